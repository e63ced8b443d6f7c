"""The Excel case list (案例清單): an empty template for one year, and the reader of filled ones.

:func:`build_case_template` writes the template a county fills in (drop-down lists for the
year's counties and categories, instructions in zh-TW); :func:`read_case_workbook` turns a filled
workbook — ours, re-saved by Excel or LibreOffice, or one a county made itself — into
:class:`kb.cases.ImportRow` values for :func:`kb.cases.import_cases`. Columns are found by their
header, so their order does not matter and extra columns are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
import unicodedata
import warnings
import zipfile
import zlib
from datetime import date, datetime
from io import BytesIO

import python_calamine
from openpyxl import Workbook
from openpyxl.packaging.custom import CustomPropertyList, IntProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import fromstring

from exports.safe_write import workbook_bytes
from exports.upload_limits import check_workbook_limits
from kb.collector import collector_paused
from kb.cases import (FIELD_LABELS, REQUIRED_FIELDS, MAX_KEYWORDS, MAX_LENGTHS, PEOPLE, PERSON_FIELDS, SECTIONS,
                      CaseInput, ImportRow, PersonInput)
# plain values only: the case fields and limits, the year's choices, errors, the list splitter
from kb.editions import CaseListChoices
from kb.errors import Problem, ValidationError
from kb.rocdate import roc_year
from kb.text import split_list

CASE_SHEET = "案例清單"
GUIDE_SHEET = "填寫說明"
CHOICES_SHEET = "選項"
YEAR_PROPERTY = "forum_year"
LAST_TEMPLATE_ROW = 1000  # the drop-down lists cover rows 2 to this one
NOT_A_WORKBOOK = "檔案不是有效的 Excel 活頁簿（.xlsx）"
WORKBOOK_PART = "xl/workbook.xml"
CUSTOM_PART = "docProps/custom.xml"
WHOLE_NUMBER_LIMIT = 2 ** 53  # a float beyond this is not read back as an exact int

SECTION_FIELDS = tuple(f"sections.{key}" for key, _ in SECTIONS)
NARRATIVE_FIELDS = ("summary", *SECTION_FIELDS)
ATTESTATION_FIELDS = ("attest_own", "attest_ongoing")
# Required only in some rows; the instructions say when.
CONDITIONAL_FIELDS = ("theme", "contact.phone", "contact.email")

COLUMN_WIDTHS = {"external_id": 12, "agency": 22, "category": 14, "theme": 16, "title": 32,
                 "keywords": 24, "owner.email": 26, "contact.email": 26,
                 "attest_own": 16, "attest_ongoing": 14}
NARRATIVE_WIDTH = 50
DEFAULT_WIDTH = 13
TEXT_FORMAT_FIELDS = ("external_id", "owner.phone", "contact.phone")  # keep leading zeros

YES_WORDS = {"是", "y", "yes", "true", "1", "v", "✓", "✔"}
NO_WORDS = {"否", "n", "no", "false", "0"}
# What reading a damaged part of a workbook raises (XML parse errors are SyntaxError subclasses).
UNREADABLE_FILE_ERRORS = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
                          SyntaxError, EOFError, zlib.error)

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAPPED = Alignment(wrap_text=True, vertical="top")


# --- the template ----------------------------------------------------------------------------

def build_case_template(edition: CaseListChoices) -> bytes:
    """An empty case list (.xlsx) for a year (:func:`kb.editions.case_list_choices`): header
    row, drop-down lists, instructions.

    The ROC year is kept as the custom document property ``forum_year`` (see
    :func:`case_workbook_year`).
    """
    workbook = Workbook()
    cases = workbook.active
    cases.title = CASE_SHEET
    _write_case_sheet(cases)
    _write_guide(workbook.create_sheet(GUIDE_SHEET), edition)
    _add_drop_downs(workbook, cases, edition)
    workbook.custom_doc_props.append(IntProperty(name=YEAR_PROPERTY, value=edition.year))
    return workbook_bytes(workbook)


def _column_letters() -> dict[str, str]:
    return {name: get_column_letter(index)
            for index, name in enumerate(FIELD_LABELS, start=1)}


def _write_case_sheet(sheet) -> None:
    for index, (name, label) in enumerate(FIELD_LABELS.items(), start=1):
        cell = sheet.cell(row=1, column=index, value=label)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if name in REQUIRED_FIELDS else OPTIONAL_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        column = sheet.column_dimensions[get_column_letter(index)]
        if name in NARRATIVE_FIELDS:
            column.width = NARRATIVE_WIDTH
            column.alignment = WRAPPED
        else:
            column.width = COLUMN_WIDTHS.get(name, DEFAULT_WIDTH)
        if name in TEXT_FORMAT_FIELDS:
            column.number_format = "@"
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FIELD_LABELS))}{LAST_TEMPLATE_ROW}"


def _add_drop_downs(workbook: Workbook, cases, edition: CaseListChoices) -> None:
    """Lists on the hidden sheet 選項, named, and referenced by list validations on 案例清單."""
    choices = workbook.create_sheet(CHOICES_SHEET)
    choices.sheet_state = "hidden"
    letters = _column_letters()
    lists = (("county", "CountyChoices", edition.counties),
             ("category", "CategoryChoices", [name for name, *_ in edition.categories]))
    for index, (name, range_name, values) in enumerate(lists, start=1):
        letter = get_column_letter(index)
        choices.cell(row=1, column=index, value=FIELD_LABELS[name])
        for row, value in enumerate(values, start=2):
            choices.cell(row=row, column=index, value=value)
        target = f"{quote_sheetname(CHOICES_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        workbook.defined_names[range_name] = DefinedName(range_name, attr_text=target)
        validation = _list_validation(range_name, FIELD_LABELS[name], "請由下拉選單選取本年度的項目")
        validation.add(_data_range(letters[name]))
        cases.add_data_validation(validation)
    yes_no = _list_validation('"是,否"', "是／否", "請填「是」或「否」")
    for name in ATTESTATION_FIELDS:
        yes_no.add(_data_range(letters[name]))
    cases.add_data_validation(yes_no)


def _list_validation(formula: str, title: str, prompt: str) -> DataValidation:
    return DataValidation(type="list", formula1=formula, allow_blank=True,
                          showErrorMessage=True, errorTitle=title, error=prompt,
                          showInputMessage=True, promptTitle=title, prompt=prompt)


def _data_range(letter: str) -> str:
    return f"{letter}2:{letter}{LAST_TEMPLATE_ROW}"


def _theme_categories(edition: CaseListChoices) -> str:
    """The categories whose cases name their own theme, quoted: 「其他」."""
    return "、".join(f"「{name}」" for name, _, _, themed in edition.categories if themed)


def _column_guide(edition: CaseListChoices) -> list[tuple[str, str, str]]:
    """(header, 必填/選填, note) for every column, as the instructions sheet lists them."""
    notes = {
        "external_id": "貴單位自訂的固定編號；再次匯入同一編號會更新原案例，不會重複新增",
        "county": "由下拉選單選取本年度縣市",
        "agency": f"{MAX_LENGTHS['agency']} 字以內",
        "category": "由下拉選單選取本年度徵求類別",
        "theme": f"徵求類別為{_theme_categories(edition)}時必填，{MAX_LENGTHS['theme']} 字以內",
        "title": f"{MAX_LENGTHS['title']} 字以內；同一縣市同年度不可重複",
        "summary": f"{MAX_LENGTHS['summary']:,} 字以內",
        **{name: f"每格最多 {MAX_LENGTHS['section']:,} 字" for name in SECTION_FIELDS},
        "keywords": f"以「、」或逗號分隔，最多 {MAX_KEYWORDS} 個",
        "contact.phone": "聯絡人電話與電子郵件至少填寫一項",
        "contact.email": "聯絡人電話與電子郵件至少填寫一項",
        **{name: "填「是」或「否」；須為「是」才能受理" for name in ATTESTATION_FIELDS},
    }
    guide = []
    for name, label in FIELD_LABELS.items():
        if name in REQUIRED_FIELDS:
            requirement = "必填"
        elif name in CONDITIONAL_FIELDS:
            requirement = "條件必填"
        else:
            requirement = "選填"
        guide.append((label, requirement, notes.get(name, "")))
    return guide


def _write_guide(sheet, edition: CaseListChoices) -> None:
    limit = edition.cases_per_county
    narrative = "、".join(f"「{FIELD_LABELS[name]}」" for name in SECTION_FIELDS)
    rules = [
        f"本表適用{roc_year(edition.year)}（西元{edition.ad_year}年）論壇，請勿用於其他年度。",
        f"請在「{CASE_SHEET}」工作表填寫，一列一個案例；第1列為欄位名稱，請勿修改（欄位順序可調整）。",
        f"每縣市每年送件以 {limit} 件為原則；超過時須由主辦機關註明理由後受理。",
        "「縣市」與「徵求類別」請由下拉選單選取。",
        f"徵求類別為{_theme_categories(edition)}者，須在「{FIELD_LABELS['theme']}」填寫縣市自訂的主題。",
        f"「{FIELD_LABELS['summary']}」以 {MAX_LENGTHS['summary']:,} 字為限；{narrative}"
        f"每格最多可填 {MAX_LENGTHS['section']:,} 字（Excel 單一儲存格上限）。儲存格內換行請按 Alt+Enter。",
        f"「{FIELD_LABELS['keywords']}」以「、」或逗號分隔，最多 {MAX_KEYWORDS} 個。",
        f"「{FIELD_LABELS['attest_own']}」與「{FIELD_LABELS['attest_ongoing']}」請填「是」或「否」；"
        "兩項均須為「是」（本案為縣市自辦或成功移植他人案例，且仍持續推動、具精進空間）才能受理。",
        f"「{FIELD_LABELS['external_id']}」為選填的固定編號：填寫後再次匯入同一份清單會更新原案例，"
        "不會重複新增；未填寫時以「縣市＋案例名稱」辨識同一案例。",
        f"「{FIELD_LABELS['contact.phone']}」與「{FIELD_LABELS['contact.email']}」至少填寫一項。",
        f"「{CASE_SHEET}」標題列橘色底為必填欄位，藍色底為選填或條件必填欄位。",
        f"填妥存檔（.xlsx）後，登入評選系統，在「送件情形」頁（{roc_year(edition.year)}）按「上傳案例清單」"
        "匯入；縣市承辦人只能匯入本縣市的案例，且須在收件期間。系統先檢查整份檔案，"
        "任何一列有誤即全部不寫入，並列出錯誤的列與欄位；可先勾選「只檢查，不寫入」試算。",
    ]
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 70
    sheet.append([f"{edition.name}　案例清單填寫說明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(["填寫須知"])
    sheet.cell(row=sheet.max_row, column=1).font = HEADER_FONT
    for number, rule in enumerate(rules, start=1):
        sheet.append([f"{number}.", None, rule])
        sheet.cell(row=sheet.max_row, column=3).alignment = WRAPPED
    sheet.append([])
    _append_table(sheet, ("欄位", "是否必填", "說明"), _column_guide(edition))
    sheet.append([])
    categories = [(name, f"優先順序 {priority}", description + ("（須自訂主題）" if themed else ""))
                  for name, priority, description, themed in edition.categories]
    _append_table(sheet, ("徵求類別", "優先順序", "說明"), categories)


def _append_table(sheet, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    sheet.append(list(header))
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, OPTIONAL_FILL
    for row in rows:
        sheet.append(list(row))
        sheet.cell(row=sheet.max_row, column=3).alignment = WRAPPED


# --- reading ---------------------------------------------------------------------------------

@collector_paused()
def read_case_workbook(data: bytes) -> list[ImportRow]:
    """The cases in a filled case list, one :class:`ImportRow` per non-empty row.

    Reads the sheet 「案例清單」 (else the first sheet); finds columns by header, in any order,
    ignoring unknown ones. Raises :class:`ValidationError` listing every problem — not a
    workbook, missing or repeated headers, a 是/否 cell that says neither — each naming the
    sheet, row and column.
    """
    content = read_sheet(data, CASE_SHEET)
    title, rows = content.title, content.rows
    header_index = next((i for i, (_, values) in enumerate(rows) if _field_columns(values)), None)
    if header_index is None:
        labels = "、".join(f"「{FIELD_LABELS[name]}」" for name in ("county", "title"))
        raise ValidationError(f"「{title}」找不到欄位名稱列：須有一列標題，例如{labels}")
    header_row, header = rows[header_index]
    columns = _field_columns(header)
    problems = _header_problems(title, header_row, columns)
    if problems:
        raise ValidationError(problems)
    letters = {name: get_column_letter(indexes[0] + 1) for name, indexes in columns.items()}
    places = [(name, indexes[0]) for name, indexes in columns.items()]
    imported, messages = [], []
    for number, values in rows[header_index + 1:]:
        width = len(values)
        cells = {name: _text(values[index]) for name, index in places if index < width}
        if all_blank(cells.values()):
            continue
        case, row_problems = _case_input(cells)
        row = ImportRow(sheet=title, row=number, input=case, columns=dict(letters))
        messages.extend(row.locate(problem) for problem in row_problems)
        imported.append(row)
    if messages:
        raise ValidationError([Problem(message) for message in messages])
    return imported


def case_workbook_year(data: bytes) -> int | None:
    """The ROC year a case list was made for (kept by :func:`build_case_template`), or None.

    Lets the caller warn when a county fills in another year's template.
    """
    check_workbook_limits(data)
    value = _custom_properties(_open_archive(data)).get(YEAR_PROPERTY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _ignore_openpyxl_warnings() -> None:
    """Silence openpyxl's notes on features of a file it drops (extensions, styles): reading
    values does not need them. Call inside ``warnings.catch_warnings()``."""
    warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")


@dataclass
class SheetContent:
    """A worksheet's title, its non-empty rows (1-based number, values) and the workbook's
    custom document properties."""

    title: str
    rows: list[tuple[int, tuple]]
    properties: dict[str, object]


def read_sheet(data: bytes, title: str) -> SheetContent:
    """Read the sheet called ``title`` (else the first sheet) of an .xlsx given as bytes, or
    raise :class:`ValidationError` saying the file is not a workbook or is larger than the limits
    of :mod:`exports.upload_limits` (checked before it is read).

    The cells are read by calamine (compiled; openpyxl's reader costs seconds for a score table
    of 5,000 rows) and given as openpyxl gives them: a whole number as ``int``, a date as
    ``datetime``, an empty cell as None, a formula as its cached value (None when none)."""
    check_workbook_limits(data)
    archive = _open_archive(data)
    properties = _custom_properties(archive)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
        try:
            names = [sheet.name for sheet in workbook.sheets_metadata
                     if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet]
            if not names:
                raise ValidationError(NOT_A_WORKBOOK)
            name = next((n for n in names if _fold(n) == title), names[0])
            # From A1, so that row numbers are the sheet's whatever its first filled row.
            cells = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except python_calamine.CalamineError as error:
        raise ValidationError(NOT_A_WORKBOOK) from error
    rows = [(number, tuple([value if type(value) is str and value else _cell_value(value)
                            for value in values]))
            for number, values in enumerate(cells, start=1) if not all_blank(values)]
    return SheetContent(name, rows, properties)


def all_blank(values) -> bool:
    """Whether every cell value is None, empty or white space (a number, date or mark never is)."""
    return not any(type(value) is not str or value.strip() for value in values
                   if value is not None)


def _open_archive(data: bytes) -> zipfile.ZipFile:
    """The zip of an .xlsx workbook; ValidationError for anything else (an .xls, .ods, …)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValidationError(NOT_A_WORKBOOK) from error
    if WORKBOOK_PART not in archive.namelist():
        raise ValidationError(NOT_A_WORKBOOK)
    return archive


def _custom_properties(archive: zipfile.ZipFile) -> dict[str, object]:
    """A workbook's custom document properties (name → value), read as openpyxl reads them."""
    if CUSTOM_PART not in archive.namelist():
        return {}
    with warnings.catch_warnings():
        _ignore_openpyxl_warnings()
        try:
            tree = fromstring(archive.read(CUSTOM_PART))
            return {prop.name: prop.value for prop in CustomPropertyList.from_tree(tree)}
        except UNREADABLE_FILE_ERRORS as error:
            raise ValidationError(NOT_A_WORKBOOK) from error


def _cell_value(value):
    """A cell value from calamine as openpyxl would give it (see :func:`read_sheet`)."""
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < WHOLE_NUMBER_LIMIT:
        return int(value)
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    return value


def _fold(value) -> str:
    """A cell or sheet name folded for comparison: NFKC (full-width to ASCII), no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value)))


def _field_columns(header: tuple) -> dict[str, list[int]]:
    """Field name -> 0-based indexes of the columns headed with its label."""
    fields_by_key = {_fold(label): name for name, label in FIELD_LABELS.items()}
    columns: dict[str, list[int]] = {}
    for index, value in enumerate(header):
        name = fields_by_key.get(_fold(value))
        if name:
            columns.setdefault(name, []).append(index)
    return columns


def _header_problems(title: str, row: int, columns: dict[str, list[int]]) -> list[Problem]:
    where = f"「{title}」第{row}列"
    problems = [Problem(f"{where}缺少必要欄位「{FIELD_LABELS[name]}」")
                for name in REQUIRED_FIELDS if name not in columns]
    for name, indexes in columns.items():
        if len(indexes) > 1:
            places = "、".join(f"{get_column_letter(i + 1)}欄" for i in indexes)
            problems.append(Problem(f"{where}欄位「{FIELD_LABELS[name]}」重複出現（{places}）"))
    return problems


def _text(value) -> str:
    """A cell as text: None is empty, a whole number has no ``.0`` (IDs, phone numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _attestation(text: str) -> bool | None:
    """是 -> True, 否 or empty -> False, anything else -> None (an Excel TRUE reads as 「True」)."""
    word = _fold(text).lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS or word == "":
        return False
    return None


def _case_input(cells: dict[str, str]) -> tuple[CaseInput, list[Problem]]:
    """A row's cells as text (field name -> text, a missing column left out) as a case input,
    and its unreadable 是/否 cells."""
    text = cells.get
    problems = []
    attested = {}
    for name in ATTESTATION_FIELDS:
        attested[name] = _attestation(text(name, ""))
        if attested[name] is None:
            problems.append(Problem(f"「{text(name).strip()}」不是「是」或「否」", name))
    people = {who: PersonInput(*(text(name, "") for name in names))
              for who, names in _PERSON_COLUMNS.items()}
    case = CaseInput(
        county=text("county", ""), agency=text("agency", ""), category=text("category", ""),
        theme=text("theme", ""), title=text("title", ""), summary=text("summary", ""),
        sections={key: text(name, "") for key, name in _SECTION_COLUMNS},
        keywords=split_list(text("keywords", "")), **people,
        attest_own=bool(attested["attest_own"]), attest_ongoing=bool(attested["attest_ongoing"]),
        external_id=text("external_id", "").strip() or None)
    return case, problems


# The field names of each person's columns and of the write-up's sections, in order.
_PERSON_COLUMNS = {who: tuple(f"{who}.{key}" for key, _ in PERSON_FIELDS) for who, _ in PEOPLE}
_SECTION_COLUMNS = tuple((key, f"sections.{key}") for key, _ in SECTIONS)
