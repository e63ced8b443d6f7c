"""Open-data files: case records as CSV or JSON Lines, and the data dictionary as CSV.

JSON Lines keeps every value as it is. CSV is what people open in a spreadsheet, so a text that a
spreadsheet would read as a formula (leading ``= + - @``, tab or CR) gets a leading apostrophe,
as OWASP advises; the data dictionary says so.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from io import StringIO

from exports.safe_write import FORMULA_STARTS
from kb.opendata import DATA_DICTIONARY  # a plain value: the published fields and their meaning
from kb.rocdate import roc_year

CSV_NOTE = "CSV 中以 = + - @ 開頭的文字前加上 ' 以免試算表當成公式執行；JSONL 保留原值。"


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _flatten(record: dict) -> dict:
    flat = {}
    for key, value in record.items():
        if key in ("sections", "people"):
            flat.update({f"{key}.{inner}": text for inner, text in value.items()})
        elif key == "keywords":
            flat[key] = "、".join(value)
        else:
            flat[key] = value
    return flat


def _csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    # UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly.
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def records_csv(records: Iterable[dict], dictionary: Iterable[tuple[str, str, str]]) -> bytes:
    """The records as CSV, a column per field of the data dictionary, in its order."""
    columns = [name for name, _, _ in dictionary]
    return _csv_bytes(columns, ([_flatten(record).get(c) for c in columns] for record in records))


def records_jsonl(records: Iterable[dict]) -> bytes:
    """The records as JSON Lines: one UTF-8 JSON object a line."""
    return b"".join(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
                    for record in records)


def dictionary_csv(dictionary: Iterable[tuple[str, str, str]]) -> bytes:
    """The data dictionary (field, type, meaning) as CSV, with the CSV note as its last row."""
    return _csv_bytes(["欄位", "型態", "說明"], [*dictionary, ("（註）", "", CSV_NOTE)])



def open_data_file(records: list[dict], fmt: str, *, year: int | None = None) -> tuple[bytes, str]:
    """The published case records (of ``year``, or all; :func:`kb.opendata.all_open_cases`) as
    ``csv`` or ``jsonl``: the bytes and the file's name, shared by page and command."""
    data = records_csv(records, DATA_DICTIONARY) if fmt == "csv" else records_jsonl(records)
    name = f"標竿案例_{roc_year(year)}.{fmt}" if year else f"標竿案例_全部年度.{fmt}"
    return data, name
