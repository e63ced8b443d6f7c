"""The Excel account list (評審與縣市承辦人名單): its template, and the reader of filled ones.

Format only: :func:`build_account_template` takes the choices to offer and returns bytes;
:func:`read_account_workbook` takes bytes and returns :class:`kb.account_import.AccountRow`
values (columns found by their header, in any order) for :func:`kb.account_import.import_accounts`.
"""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from exports.case_workbook import _fold as fold, _text as cell_text, read_sheet
from exports.safe_write import workbook_bytes
from kb.account_import import (ACCOUNT_FIELDS, REQUIRED_ACCOUNT_FIELDS, AccountChoices,
                               AccountRow)
from kb.errors import Problem, ValidationError

ACCOUNT_SHEET = "帳號"
GUIDE_SHEET = "填寫說明"
CHOICES_SHEET = "選項"
LAST_TEMPLATE_ROW = 500
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WIDTHS = {"name": 12, "login": 16, "role": 12, "email": 28, "county": 10, "title": 14,
          "affiliation": 24, "fields": 28, "counties": 20}
GUIDE = [
    ("姓名", "必填。"),
    ("帳號", "必填；2–40 個英數字、句點、底線或連字號。再次匯入同一帳號會更新其資料，不會重複建立。"),
    ("角色", "必填；「評審委員」或「縣市承辦人」。"),
    ("電子郵件", "選填。"),
    ("服務縣市", "縣市承辦人必填（台／臺皆可）。"),
    ("職稱、服務單位", "評審委員選填。"),
    ("專長領域", "評審委員選填；徵求類別名稱，以頓號或逗號分隔。"),
    ("利益關係縣市", "評審委員選填；任職或擔任顧問的縣市，以頓號或逗號分隔；不會被指派這些縣市的案例。"),
    ("匯入規則", "任何一格有誤即全部不寫入，並逐一指出工作表、列與欄。新帳號的臨時密碼只在匯入結果顯示一次，首次登入時須變更。"),
]


def build_account_template(choices: AccountChoices) -> bytes:
    """An empty account list with headers, drop-down lists for role and county, and a guide."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ACCOUNT_SHEET
    for column, (name, label) in enumerate(ACCOUNT_FIELDS.items(), start=1):
        cell = sheet.cell(row=1, column=column, value=label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS[name]
    sheet.freeze_panes = "A2"
    options = workbook.create_sheet(CHOICES_SHEET)
    for column, values in enumerate((choices.roles, choices.counties, choices.categories), 1):
        for row, value in enumerate(values, start=1):
            options.cell(row=row, column=column, value=value)
    options.sheet_state = "hidden"
    names = list(ACCOUNT_FIELDS)
    for name, column, values in (("role", 1, choices.roles), ("county", 2, choices.counties)):
        if not values:
            continue
        letter = get_column_letter(column)
        rule = DataValidation(
            type="list", allow_blank=True, showErrorMessage=False,
            formula1=f"{quote_sheetname(CHOICES_SHEET)}!${letter}$1:${letter}${len(values)}")
        target = get_column_letter(names.index(name) + 1)
        rule.add(f"{target}2:{target}{LAST_TEMPLATE_ROW}")
        sheet.add_data_validation(rule)
    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 16, 90
    for row, (label, text) in enumerate(GUIDE, start=1):
        guide.cell(row=row, column=1, value=label).font = HEADER_FONT
        guide.cell(row=row, column=2, value=text)
    return workbook_bytes(workbook)


def _columns(header: tuple) -> dict[str, list[int]]:
    by_label = {fold(label): name for name, label in ACCOUNT_FIELDS.items()}
    columns: dict[str, list[int]] = {}
    for index, value in enumerate(header):
        name = by_label.get(fold(value))
        if name:
            columns.setdefault(name, []).append(index)
    return columns


def read_account_workbook(data: bytes) -> list[AccountRow]:
    """The accounts of a filled account list (sheet 「帳號」, else the first), one row each.

    Raises :class:`ValidationError` naming the sheet and row when the file is not a workbook or
    the header row is missing, lacks a required column or repeats one.
    """
    content = read_sheet(data, ACCOUNT_SHEET)
    header_index = next((i for i, (_, values) in enumerate(content.rows)
                         if {"name", "login"} <= set(_columns(values))), None)
    if header_index is None:
        raise ValidationError(f"「{content.title}」找不到欄位名稱列：須有一列標題，包含「姓名」與「帳號」")
    header_row, header = content.rows[header_index]
    columns = _columns(header)
    where = f"「{content.title}」第{header_row}列"
    problems = [Problem(f"{where}缺少必要欄位「{ACCOUNT_FIELDS[name]}」")
                for name in REQUIRED_ACCOUNT_FIELDS if name not in columns]
    problems += [Problem(f"{where}欄位「{ACCOUNT_FIELDS[name]}」重複出現（"
                         + "、".join(f"{get_column_letter(i + 1)}欄" for i in indexes) + "）")
                 for name, indexes in columns.items() if len(indexes) > 1]
    if problems:
        raise ValidationError(problems)
    letters = {name: get_column_letter(indexes[0] + 1) for name, indexes in columns.items()}
    rows = []
    for number, values in content.rows[header_index + 1:]:
        cells = {name: cell_text(values[indexes[0]]).strip() if indexes[0] < len(values) else ""
                 for name, indexes in columns.items()}
        if any(cells.values()):
            rows.append(AccountRow(sheet=content.title, row=number, values=cells,
                                   columns=dict(letters)))
    return rows
