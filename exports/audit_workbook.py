"""The audit trail as an .xlsx file: plain audit records in, bytes out."""
from __future__ import annotations

import json

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from exports.safe_write import workbook_bytes
from kb.rocdate import roc_time

COLUMNS = [("at", "時間", 28), ("actor", "操作者", 14), ("action", "動作", 22),
           ("record", "紀錄", 16), ("before", "變更前", 50), ("after", "變更後", 50),
           ("reason", "理由", 30)]
WRAPPED = Alignment(wrap_text=True, vertical="top")


def change_text(value) -> str:
    """A before/after value as one line of readable JSON (empty for none)."""
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def build_audit_workbook(entries: list[dict], *, action_names: dict[str, str]) -> bytes:
    """One row per audit record (dicts as :func:`kb.audit.audit_dicts` makes them), saved through
    :func:`exports.safe_write.workbook_bytes`, so nothing typed by a person can run as a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "異動紀錄"
    for column, (_, label, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=label)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    for row, entry in enumerate(entries, start=2):
        values = {
            "at": roc_time(entry["at"], seconds=True) if entry["at"] else "",
            "actor": entry["actor"],
            "action": action_names.get(entry["action"], entry["action"]),
            "record": f"{entry['table']}:{entry['record_id']}" if entry["record_id"] is not None
            else entry["table"],
            "before": change_text(entry["before"]), "after": change_text(entry["after"]),
            "reason": entry["reason"],
        }
        for column, (key, _, _) in enumerate(COLUMNS, start=1):
            sheet.cell(row=row, column=column, value=values[key]).alignment = WRAPPED
    sheet.auto_filter.ref = f"A1:G{max(len(entries) + 1, 2)}"
    return workbook_bytes(workbook)
