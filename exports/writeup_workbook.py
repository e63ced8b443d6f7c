"""The refined write-up (精進案例) as an Excel workbook in the forum's unified format.

County contacts often write in an office program and send a file. :func:`build_writeup_workbook`
writes a case's write-up as it is now (the refined text if one was started, else the submitted
text, and the saved key figures): sheet 「精進案例」 with a row per section (column A its label,
column B its text), sheet 「關鍵數據」 (指標／推動前／推動後／單位) and sheet 「填寫說明」. The case
id and title are kept as custom document properties, so an upload to another case is refused.

:func:`read_writeup_file` reads a filled file — ours, or re-saved by Excel or LibreOffice —
finding sections by the label in column A and key-figure columns by their header, so rows and
columns may move. Plain data in and out, no database: :mod:`kb.writeup_sheet` fills a
:class:`WriteupSheet` from a case and saves a :class:`WriteupUpload` (all or nothing, approval
needed again).
"""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from exports.display_width import wrapped_lines
from exports.case_workbook import (GUIDE_SHEET, HEADER_FONT, OPTIONAL_FILL, REQUIRED_FILL,
                                   WRAPPED, YEAR_PROPERTY, SheetContent, _fold, _text, read_sheet)
from exports.score_workbook import (GUIDE_TEXT_WIDTH, KIND_PROPERTY, UNLOCKED, _append_guide_row,
                                    _protect, _set_print_layout, _whole_number,
                                    _write_metadata)
from exports.safe_write import workbook_bytes
# plain values only: the write-up's rules and dataclasses, the errors, the ROC-date helper
from kb.cases import MAX_LENGTHS, SECTIONS
from kb.errors import Problem, ValidationError
from kb.rocdate import roc_date, roc_year
from kb.writeup_sheet import WriteupSheet, WriteupUpload
from kb.writeups import MAX_FIGURES, MAX_PHOTOS, Figure

WRITEUP_SHEET = "精進案例"
FIGURES_SHEET = "關鍵數據"
SECTION_HEADER = ("段落", "內容")
FIGURE_COLUMNS = (("indicator", "指標"), ("before", "推動前"), ("after", "推動後"),
                  ("unit", "單位"))

# Custom document properties (they survive a LibreOffice re-save); KIND_PROPERTY says what
# the file is, as on the score sheets.
WRITEUP_KIND = "writeup"
CASE_PROPERTY = "forum_case"
TITLE_PROPERTY = "forum_case_title"

NOT_A_WRITEUP = (f"這不是精進案例的 Excel 檔：「{WRITEUP_SHEET}」工作表A欄找不到段落名稱"
                 f"（例如「{SECTIONS[0][1]}」）")

LABEL_WIDTH = 16  # column widths, in characters (a CJK character counts two)
TEXT_WIDTH = 90
FIGURE_WIDTHS = {"indicator": 34, "before": 14, "after": 14, "unit": 10}
LINE_HEIGHT = 15  # points per wrapped line
MIN_SECTION_LINES = 4  # room to type in a short or empty section
MAX_ROW_HEIGHT = 409  # Excel's limit, in points
FIRST_SECTION_ROW = 3  # row 1 the case's title, row 2 the header
LABEL_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
EDGE = Side(style="thin", color="A6A6A6")
BOXED = Border(left=EDGE, right=EDGE, top=EDGE, bottom=EDGE)  # a table's cells, header included


# --- writing ---------------------------------------------------------------------------------

def build_writeup_workbook(case: WriteupSheet) -> bytes:
    """The case's refined write-up (.xlsx) in the unified format, filled with what it has now.
    Only the text cells are unlocked (the sheets are protected without a password)."""
    workbook = Workbook()
    sections = workbook.active
    sections.title = WRITEUP_SHEET
    _write_sections(sections, case)
    _write_figures(workbook.create_sheet(FIGURES_SHEET), case.figures)
    _write_guide(workbook.create_sheet(GUIDE_SHEET), case)
    for sheet in workbook.worksheets:
        _set_print_layout(sheet, f"{case.title}　精進案例")
        sheet.page_setup.orientation = "portrait"
        _protect(sheet)
    sections.print_title_rows = f"{FIRST_SECTION_ROW - 1}:{FIRST_SECTION_ROW - 1}"
    _write_metadata(workbook, {KIND_PROPERTY: WRITEUP_KIND, CASE_PROPERTY: case.case_id,
                               TITLE_PROPERTY: case.title, YEAR_PROPERTY: case.year})
    return workbook_bytes(workbook)


def _cell_value(text: str) -> str | None:
    """Text as a cell holds it: control characters Excel refuses removed, empty as None."""
    return ILLEGAL_CHARACTERS_RE.sub("", text) or None


def _write_header(sheet, labels) -> None:
    sheet.append(list(labels))
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill, cell.border = HEADER_FONT, OPTIONAL_FILL, BOXED
        cell.alignment = Alignment(vertical="center", horizontal="center")


def _write_sections(sheet, case: WriteupSheet) -> None:
    """Row 1 the case, row 2 the header, then a row per section: label (locked), text."""
    sheet.append([f"{case.title}　精進案例（案例編號 {case.case_id}）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.row_dimensions[1].height = 24
    _write_header(sheet, SECTION_HEADER)
    sheet.column_dimensions["A"].width = LABEL_WIDTH
    sheet.column_dimensions["B"].width = TEXT_WIDTH
    for key, label in SECTIONS:
        text = case.sections.get(key, "")
        sheet.append([label, _cell_value(text)])
        row = sheet.max_row
        heading, cell = sheet.cell(row=row, column=1), sheet.cell(row=row, column=2)
        heading.font, heading.fill, heading.alignment = HEADER_FONT, REQUIRED_FILL, LABEL_ALIGNMENT
        cell.alignment, cell.protection = WRAPPED, UNLOCKED
        heading.border = cell.border = BOXED
        lines = max(MIN_SECTION_LINES, wrapped_lines(text, TEXT_WIDTH))
        sheet.row_dimensions[row].height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines)
    sheet.freeze_panes = f"A{FIRST_SECTION_ROW}"


def _write_figures(sheet, figures) -> None:
    """The header and MAX_FIGURES input rows (text cells, so 「3,450」 stays as typed)."""
    _write_header(sheet, (label for _, label in FIGURE_COLUMNS))
    for column, (name, _) in enumerate(FIGURE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = FIGURE_WIDTHS[name]
    saved = list(figures)
    for row in range(2, MAX_FIGURES + 2):
        figure = saved[row - 2] if row - 2 < len(saved) else None
        for column, (name, _) in enumerate(FIGURE_COLUMNS, start=1):
            cell = sheet.cell(row=row, column=column,
                              value=_cell_value(getattr(figure, name)) if figure else None)
            cell.number_format, cell.protection, cell.alignment = "@", UNLOCKED, WRAPPED
            cell.border = BOXED
    sheet.freeze_panes = "A2"


def _write_guide(sheet, case: WriteupSheet) -> None:
    """What the file is for (the case, visibly) and how to fill it in, in zh-TW."""
    figure_labels = "／".join(label for _, label in FIGURE_COLUMNS)
    about = [
        ("案例編號", str(case.case_id)),
        ("案例名稱", case.title),
        ("縣市與機關", f"{case.county}　{case.agency}"),
        ("年度與獎項", f"{roc_year(case.year)}　{case.region}{case.award}"),
        ("下載時間", f"{roc_date(datetime.now())} {datetime.now():%H:%M}（內容為當時系統中的版本）"),
    ]
    rules = [
        f"本檔案是〈{case.title}〉（案例編號 {case.case_id}）的精進案例，請只用於這個案例；"
        "上傳到其他案例會被拒絕。",
        f"請在「{WRITEUP_SHEET}」工作表的B欄填寫各段落內容；A欄的段落名稱請勿修改。"
        f"{len(SECTIONS)} 個段落都須填寫，每段最多 {MAX_LENGTHS['section']:,} 字。"
        "儲存格內換行請按 Alt+Enter。",
        f"請在「{FIGURES_SHEET}」工作表每列填寫一項關鍵數據（{figure_labels}），最多 "
        f"{MAX_FIGURES} 列；有填寫的列須有指標名稱，空白列不會儲存。儲存格為文字格式，"
        "數值會照您輸入的樣子保留（例如「3,450」）。",
        f"照片（最多 {MAX_PHOTOS} 張，附照片說明）不放在本檔案中，請在系統的精進案例頁面上傳。",
        "上傳本檔案會以檔案內容取代系統中精進案例的全部段落與關鍵數據（照片不受影響），"
        "並須經主辦機關重新核定後，才會印入標竿案例彙編。",
        "上傳時系統會先檢查整份檔案，只要有一處錯誤就全部不寫入，並列出錯誤所在的工作表與列。",
        "填寫完成後請存檔（保持 .xlsx 格式），於精進案例頁面「以 Excel 檔撰寫」處上傳。",
    ]
    for letter, width in zip("ABC", (12, 2, GUIDE_TEXT_WIDTH)):  # the width rows are fitted to
        sheet.column_dimensions[letter].width = width
    sheet.append(["精進案例填寫說明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    for label, value in about:
        _append_guide_row(sheet, [label, None, value])
        sheet.cell(row=sheet.max_row, column=1).font = HEADER_FONT
    sheet.append([])
    for number, rule in enumerate(rules, start=1):
        _append_guide_row(sheet, [f"{number}.", None, rule])


# --- reading ---------------------------------------------------------------------------------

def read_writeup_file(data: bytes) -> WriteupUpload:
    """What a filled write-up workbook holds, with the problems found in it collected, not
    raised, and each section's place (sheet, row, label) for locating later problems.

    Sections are found by their label in column A of 「精進案例」 (full-width forms and white
    space folded), key-figure columns by their header in 「關鍵數據」. A file that is not a
    workbook at all raises :class:`ValidationError`.
    """
    sheet = read_sheet(data, WRITEUP_SHEET)
    properties = sheet.properties
    recorded = properties.get(KIND_PROPERTY) == WRITEUP_KIND
    content = WriteupUpload(
        case_id=_whole_number(properties.get(CASE_PROPERTY)) if recorded else None,
        case_title=_text(properties.get(TITLE_PROPERTY)).strip() if recorded else "")
    _read_sections(sheet, content)
    if not content.sections:
        return content  # not a write-up at all: say only that
    figures = read_sheet(data, FIGURES_SHEET)
    if _fold(figures.title) != FIGURES_SHEET:
        content.problems.append(Problem(f"找不到「{FIGURES_SHEET}」工作表"))
    else:
        _read_figures(figures, content)
    return content


def read_writeup_workbook(data: bytes) -> tuple[int | None, dict[str, str], list[Figure]]:
    """The case id the file was made for (None when it does not say), the sections (section
    key -> text) and the key figures (filled rows, in order) of a filled write-up workbook
    (see :func:`read_writeup_file`). Raises :class:`ValidationError` listing every problem,
    each naming its sheet and row.
    """
    content = read_writeup_file(data)
    if content.problems:
        raise ValidationError(content.problems)
    return content.case_id, content.sections, content.figures


def _read_sections(sheet: SheetContent, content: WriteupUpload) -> None:
    """Each section's text (column B of the row labelled with it in column A)."""
    keys = {_fold(label): key for key, label in SECTIONS}
    seen: dict[str, list[int]] = {}
    for number, values in sheet.rows:
        key = keys.get(_fold(values[0])) if values else None
        if key is None:
            continue
        seen.setdefault(key, []).append(number)
        content.sections.setdefault(key, _text(values[1]) if len(values) > 1 else "")
        content.places.setdefault(
            key, f"「{WRITEUP_SHEET}」第{number}列「{dict(SECTIONS)[key]}」")
    if not seen:
        content.problems.append(Problem(NOT_A_WRITEUP))
        return
    where = f"「{sheet.title}」"
    for key, label in SECTIONS:
        numbers = seen.get(key)
        if numbers is None:
            content.problems.append(Problem(f"{where}缺少「{label}」列：A欄須為段落名稱「{label}」"))
        elif len(numbers) > 1:
            places = "、".join(f"第{n}列" for n in numbers)
            content.problems.append(Problem(f"{where}{places}都是「{label}」，請只保留一列"))


def _read_figures(sheet: SheetContent, content: WriteupUpload) -> None:
    """The filled key-figure rows under the header (the first row with a 指標 column)."""
    names = {_fold(label): name for name, label in FIGURE_COLUMNS}
    position = next((i for i, (_, values) in enumerate(sheet.rows)
                     if any(_fold(value) == _fold(FIGURE_COLUMNS[0][1]) for value in values)),
                    None)
    where = f"「{sheet.title}」"
    headers = "".join(f"「{label}」" for _, label in FIGURE_COLUMNS)
    if position is None:
        content.problems.append(Problem(f"{where}找不到標題列：須有{headers}欄"))
        return
    header_row, header = sheet.rows[position]
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        if _fold(value) in names:
            columns.setdefault(names[_fold(value)], index)
    missing = [label for name, label in FIGURE_COLUMNS if name not in columns]
    if missing:
        content.problems.append(Problem(
            f"{where}第{header_row}列缺少欄位" + "、".join(f"「{label}」" for label in missing)))
        return
    filled = []
    for number, values in sheet.rows[position + 1:]:
        figure = Figure(**{name: shown_text(values[columns[name]])
                           if columns[name] < len(values) else ""
                           for name, _ in FIGURE_COLUMNS})
        if not any(vars(figure).values()):
            continue
        if not figure.indicator.strip():
            content.problems.append(Problem(f"{where}第{number}列：須填寫「{FIGURE_COLUMNS[0][1]}」"))
        filled.append((number, figure))
    if len(filled) > MAX_FIGURES:
        content.problems.append(Problem(
            f"{where}最多 {MAX_FIGURES} 列關鍵數據，這份檔案有 {len(filled)} 列"
            f"（第{filled[MAX_FIGURES][0]}列起超出）"))
    content.figures = [figure for _, figure in filled]


def shown_text(value) -> str:
    """A key-figure cell as text, close to what the cell shows: text as typed, a whole number
    without 「.0」, a fraction without floating-point noise (0.30000000000000004 → 0.3)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.15g}"
    return _text(value)
