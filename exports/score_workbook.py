"""Excel score sheets: a judge's sheet (評分表) and the staff's combined table (評分總表).

:func:`build_scoresheet` writes one judge's sheet for one stage — a row per assigned case, a
column per criterion headed 「創新度（20）」, input cells bounded by data validation, everything
else locked — with the judge's current scores filled in, and hidden metadata (custom document
properties: year, stage, judge, rubric, case ids) by which :func:`read_scoresheet` recognises it.
:func:`build_scores_table` writes every judge's scores of a stage and each case's aggregate;
staff type paper forms into it and :func:`read_scores_table` reads it back.

Both readers find columns by their header, so order does not matter, and never read a total:
openpyxl writes formulas without cached values, and a total typed into a sheet is not trusted.
The values are passed on as typed; :func:`kb.scores.record_scores` checks them (range, one
decimal, full-width digits) and writes all or nothing.

Plain data in and out, no database: :mod:`kb.scoresheets` gives the sheets' data and a stage's
rubric (the readers take a function that looks one up by year and stage key), and records
what a file holds; :mod:`web.score_files` puts the two together.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.packaging.custom import IntProperty, StringProperty
from openpyxl.styles import Alignment, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from exports.display_width import display_width
from exports.case_workbook import (HEADER_FONT, OPTIONAL_FILL, REQUIRED_FILL,
                                   WRAPPED, YEAR_PROPERTY, SheetContent, _fold, _text,
                                   all_blank, read_sheet)
from exports.safe_write import workbook_bytes
from kb.collector import collector_paused
# plain values only: the errors, the entries, the states, the sheets' data and a pure helper
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError
from kb.rocdate import roc_year
from kb.scores import ScoreEntry
from kb.scoresheets import JudgeSheet, ScoresTable, SheetCriterion, StageRubric
from kb.stages import STATES
from kb.text import clean_text

RubricOf = Callable[[int, str], StageRubric]  # a stage's rubric by ROC year and stage key

SCORE_SHEET = "評分表"
GUIDE_SHEET = "填寫說明"
TABLE_SHEET = "評分總表"
SUMMARY_SHEET = "案例彙總"

CASE_ID = "案例編號"
JUDGE_LOGIN = "評審帳號"
JUDGE_NAME = "評審姓名"
REGION = "分區"
COUNTY = "縣市"
TITLE = "案例名稱"
TOTAL = "總分"
STATE = "狀態"
COMMENT = "評語"
SUBMIT = "送出"
YES, NO = "是", "否"

# Hidden metadata, kept as custom document properties (they survive a LibreOffice re-save).
KIND_PROPERTY = "forum_sheet"
STAGE_PROPERTY = "forum_stage"
JUDGE_PROPERTY = "forum_judge"
RUBRIC_PROPERTY = "forum_rubric"
CASES_PROPERTY = "forum_cases"
SCORESHEET_KIND = "scoresheet"
TABLE_KIND = "scores_table"

NOT_A_SCORESHEET = "這不是本系統產生的評分表"
# A header like 創新度（20）, NFKC-folded: a criterion column.
CRITERION_HEADER = re.compile(r"[^()]+\(\d+(?:\.\d+)?\)")

COLUMN_WIDTHS = {CASE_ID: 10, JUDGE_LOGIN: 12, JUDGE_NAME: 12, REGION: 8, COUNTY: 9, TITLE: 36,
                 TOTAL: 9, STATE: 9, SUBMIT: 8, COMMENT: 40}
CRITERION_WIDTH = 12
GUIDE_TEXT_WIDTH = 80  # characters (a CJK character counts two)
GUIDE_LINE_HEIGHT = 16  # points
UNLOCKED = Protection(locked=False)


# --- writing ---------------------------------------------------------------------------------

def build_scoresheet(data: JudgeSheet) -> bytes:
    """One judge's score sheet (.xlsx) for a stage, with their current scores filled in.

    Sheet 「評分表」: a row per case assigned to the judge (conflicted cases left out), a column
    per criterion with data validation 0 to its points, a 總分 formula, a 送出 column (drop-down
    是/否, 是 for a case already submitted: the offline 送出評分), a 評語 column; only the
    score, 送出 and comment cells are unlocked. Sheet 「填寫說明」: instructions and the rubric. The
    year, stage, judge, rubric and case ids are kept as custom document properties for
    :func:`read_scoresheet` (``data`` from :func:`kb.scoresheets.judge_sheet`).
    """
    rubric, rows, criteria = data.rubric, data.rows, data.rubric.criteria
    year = rubric.year

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SCORE_SHEET
    scored = [criterion_header(c) for c in criteria]
    headers = [CASE_ID, REGION, COUNTY, TITLE, *scored, TOTAL, SUBMIT, COMMENT]
    _write_header(sheet, headers, required=[CASE_ID, *scored])
    first, last = (get_column_letter(headers.index(h) + 1) for h in (scored[0], scored[-1]))
    inputs = [headers.index(header) + 1 for header in (*scored, SUBMIT, COMMENT)]
    totals = []
    for number, row in enumerate(rows, start=2):
        sheet.append([row["case"], row["region"], row["county"], row["title"],
                      *(row["scores"].get(c.name) for c in criteria),
                      f"=SUM({first}{number}:{last}{number})",
                      YES if row["state"] == "submitted" else None, row["comment"] or None])
        totals.append(sheet.cell(row=number, column=headers.index(TOTAL) + 1))
        for column in inputs:
            sheet.cell(row=number, column=column).protection = UNLOCKED
        sheet.cell(row=number, column=inputs[-1]).alignment = WRAPPED
    _add_score_validations(sheet, headers, criteria, len(rows) + 1)
    _add_submit_validation(sheet, headers.index(SUBMIT) + 1, len(rows) + 1)
    _protect(sheet)
    guide = workbook.create_sheet(GUIDE_SHEET)
    _write_guide(guide, data)
    for each in (sheet, guide):
        _set_print_layout(each, f"{data.judge_name}　{roc_year(year)}{rubric.name}評分表")
    _write_metadata(workbook, {
        KIND_PROPERTY: SCORESHEET_KIND, YEAR_PROPERTY: year, STAGE_PROPERTY: rubric.key,
        JUDGE_PROPERTY: data.judge_login,
        RUBRIC_PROPERTY: json.dumps([[c.name, c.points] for c in criteria], ensure_ascii=False),
        CASES_PROPERTY: ",".join(str(row["case"]) for row in rows)})
    return workbook_bytes(workbook, formulas=totals)


def build_scores_table(data: ScoresTable) -> bytes:
    """Every judge's scores of a stage (.xlsx), for staff to read and to type paper forms into.

    Sheet 「評分總表」: one row per assignment with the judge, the case, a column per criterion,
    the total as a value computed here, the state and the comment. Sheet 「案例彙總」: each
    case's number of judges with a submitted complete score, their mean total and the stage
    score by the year's method, named in its header (2 decimals), with the classic 序位和 and
    序位平均 under 序位法 in a complete design, and notes on judges the method could not treat.
    The year and stage are kept as custom document properties for :func:`read_scores_table`
    (``data`` from :func:`kb.scoresheets.scores_table`).
    """
    table, names, criteria = data.table, data.judge_names, data.rubric.criteria
    year, stage_key = data.rubric.year, data.rubric.key
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TABLE_SHEET
    headers = [JUDGE_LOGIN, JUDGE_NAME, CASE_ID, REGION, COUNTY, TITLE,
               *map(criterion_header, criteria), TOTAL, STATE, COMMENT]
    _write_header(sheet, headers, required=[JUDGE_LOGIN, CASE_ID])
    for row in table["scores"]:
        sheet.append([row["judge"], names[row["judge"]], row["case"], row["region"], row["county"],
                      row["title"], *(row["scores"].get(c.name) for c in criteria),
                      None if row["total"] is None else round(row["total"], 1),
                      STATES[row["state"]], row["comment"] or None])
    if table["scores"]:  # an empty stage gives a table of headers only
        _add_score_validations(sheet, headers, criteria, len(table["scores"]) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(table['scores']) + 1}"
    _set_print_layout(sheet, f"{roc_year(year)}{data.rubric.name}評分總表")
    _write_summary(workbook.create_sheet(SUMMARY_SHEET), table)
    _write_metadata(workbook, {KIND_PROPERTY: TABLE_KIND, YEAR_PROPERTY: year,
                               STAGE_PROPERTY: stage_key})
    return workbook_bytes(workbook)


def criterion_header(criterion: SheetCriterion) -> str:
    """A criterion's column header: its name and points, e.g. 「創新度（20）」."""
    return f"{criterion.name}（{criterion.points:g}）"


def _write_header(sheet, headers: list[str], *, required: list[str]) -> None:
    sheet.append(headers)
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if header in required else OPTIONAL_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(
            header, CRITERION_WIDTH)
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"


def _add_score_validations(sheet, headers: list[str], criteria: list[SheetCriterion],
                           last_row: int) -> None:
    """A decimal validation, 0 to the points, on rows 2 to ``last_row`` of each criterion."""
    for criterion in criteria:
        points = f"{criterion.points:g}"
        letter = get_column_letter(headers.index(criterion_header(criterion)) + 1)
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2=points, allow_blank=True,
            showErrorMessage=True, errorStyle="stop", errorTitle="分數超出範圍",
            error=f"「{criterion.name}」請填 0 到 {points} 的數字，最多一位小數；"
                  "留空表示維持原分數。",
            showInputMessage=True, promptTitle=criterion.name,
            prompt=f"0 到 {points} 分，最多一位小數")
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)


def _add_submit_validation(sheet, column: int, last_row: int) -> None:
    """The 送出 drop-down (是／否) on rows 2 to ``last_row`` of ``column``."""
    letter = get_column_letter(column)
    validation = DataValidation(
        type="list", formula1=f'"{YES},{NO}"', allow_blank=True, showErrorMessage=True,
        errorStyle="stop", errorTitle="送出請選是或否",
        error=f"「{SUBMIT}」請選「{YES}」（送出評分）或「{NO}」（暫存）；留空等於「{NO}」。",
        showInputMessage=True, promptTitle=SUBMIT,
        prompt=f"選「{YES}」送出本案評分（各項須已評分）；留空或「{NO}」為暫存")
    validation.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(validation)


def _protect(sheet) -> None:
    """Lock the sheet (no password); cells marked unlocked stay editable, columns resizable."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _set_print_layout(sheet, header: str) -> None:
    """Landscape A4, fit to one page wide, header row repeated, ``header`` atop each page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = header.replace("&", "&&")
    sheet.oddFooter.center.text = "第 &P 頁，共 &N 頁"


def _write_guide(sheet, data: JudgeSheet) -> None:
    stage, criteria = data.rubric, data.rubric.criteria
    total = sum(c.points for c in criteria)
    rules = [
        f"本表是{roc_year(stage.year)}（西元{data.ad_year}年）「{stage.name}」階段"
        f"{data.judge_name}委員（帳號 {data.judge_login}）的評分表，共 {len(data.rows)} 件案例，"
        "請勿轉交他人。",
        f"請在「{SCORE_SHEET}」工作表為每個案例的每項評選指標填入分數：0 到該項配分之間的數字，"
        "最多一位小數（例如 17.5）。",
        "空白的儲存格表示「維持原狀」：系統保留該項目前的分數，尚未評分者仍為未評分。"
        "本表已填入您目前在系統中的分數，可繼續填寫。",
        f"「{TOTAL}」由 Excel 自動加總，僅供參考；系統依各項分數重新計算總分。",
        f"「{SUBMIT}」欄：評完一案、確定不再修改時選「{YES}」，上傳後該案即為「已送出」，"
        f"計入評分結果（等同網頁上的「送出評分」）；留空或選「{NO}」則僅暫存，不計入結果。"
        f"選「{YES}」的案例每項指標都必須有分數，否則整份評分表不會匯入。"
        + ("已送出的評分可再修改。" if data.allow_resubmit
           else "已送出的評分不能再修改；已標示「是」的案例請勿變更分數。"),
        f"「{COMMENT}」欄可填寫對該案例的意見（選填）。",
        f"請勿修改「{CASE_ID}」，也不要新增、複製或刪除列；標題列與案例資料已鎖定。",
        "填寫完成後請存檔（保持 .xlsx 格式），於評選系統上傳評分表，或寄回主辦機關承辦人。"
        "系統會檢查每一個儲存格，只要有一處錯誤，整份評分表都不會匯入，並列出錯誤的儲存格供您修正。",
    ]
    for letter, width in zip("ABC", (12, 8, GUIDE_TEXT_WIDTH)):
        sheet.column_dimensions[letter].width = width
    sheet.append([f"{data.edition_name}　{stage.name}評分表填寫說明"])
    sheet["A1"].font = HEADER_FONT
    sheet.append([])
    for number, rule in enumerate(rules, start=1):
        _append_guide_row(sheet, [f"{number}.", None, rule])
    sheet.append([])
    sheet.append(["評選指標", "配分", "評分重點"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, OPTIONAL_FILL
    for criterion in criteria:
        _append_guide_row(sheet, [criterion.name, criterion.points, criterion.description])
    sheet.append(["合計", total, None])
    _protect(sheet)


def _append_guide_row(sheet, values: list) -> None:
    """Append a row whose text (column C) wraps, tall enough for its lines (LibreOffice does not
    fit the height of a wrapped row written without one)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.alignment = WRAPPED
    width = display_width(values[2])
    sheet.row_dimensions[sheet.max_row].height = GUIDE_LINE_HEIGHT * max(
        1, math.ceil(width / GUIDE_TEXT_WIDTH))


def _write_summary(sheet, table: dict) -> None:
    """Each case of the stage with its judges, their mean total and the stage score by the
    year's method (see :func:`kb.selection.stage_score_table`)."""
    aggregates = {row["case"]: row for row in table["cases"]}
    cases, assigned = {}, {}
    for row in table["scores"]:
        cases.setdefault(row["case"], row)
        assigned[row["case"]] = assigned.get(row["case"], 0) + 1
    ranked = any(row["rank_sum"] is not None for row in table["cases"])
    headers = [CASE_ID, REGION, COUNTY, TITLE, "指派評審數", "已送出評審數", "平均總分",
               f"階段成績（{table['method_name']}）", *(("序位和", "序位平均") if ranked else ()),
               "說明"]
    _write_header(sheet, headers, required=[])
    empty = {"judges": 0, "mean": None, "score": None, "rank_sum": None, "mean_rank": None,
             "notes": []}
    for case_id, row in cases.items():
        aggregate = aggregates.get(case_id, empty)
        values = [aggregate["mean"], aggregate["score"],
                  *((aggregate["rank_sum"], aggregate["mean_rank"]) if ranked else ())]
        sheet.append([case_id, row["region"], row["county"], row["title"], assigned[case_id],
                      aggregate["judges"], *(None if v is None else round(v, 2) for v in values),
                      "；".join(aggregate["notes"]) or None])


def _write_metadata(workbook: Workbook, values: dict[str, int | str]) -> None:
    for name, value in values.items():
        kind = IntProperty if isinstance(value, int) else StringProperty
        workbook.custom_doc_props.append(kind(name=name, value=value))


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Header:
    """Where the header row is and the 0-based index of each column that is read."""

    row: int
    case: int
    judge: int | None
    comment: int | None
    criteria: dict[str, int]
    submit: int | None = None


@dataclass
class _SheetMetadata:
    """What :func:`build_scoresheet` recorded about a sheet."""

    year: int
    stage: str
    judge: str
    rubric: list[tuple[str, float]]
    cases: list[int]


@collector_paused()
def read_scoresheet(data: bytes, *, rubric_of: RubricOf,
                    judge: str | None = None) -> tuple[StageRubric, list[ScoreEntry]]:
    """The stage and the entries of a judge's filled score sheet: one per case row with a score
    or a comment typed in (a row left blank changes nothing, not even its state).

    The sheet is recognised by its metadata; with ``judge`` (a judge's login) only their own
    sheet is read. ``rubric_of`` gives the recorded stage's rubric (NotFound when it is gone),
    which must be the one the sheet was made with. Columns are found by header (the criterion
    name before 「（」), rows by 案例編號; unknown, duplicated or non-integer case rows and
    missing columns are refused with their place. Cell values are passed on as typed (blank:
    leave the score as it was) for :func:`kb.scores.record_scores` to check. Raises
    :class:`ValidationError` listing every problem, :class:`PermissionDenied` for another
    judge's sheet.
    """
    sheet = read_sheet(data, SCORE_SHEET)
    metadata = _scoresheet_metadata(sheet.properties)
    if judge is not None and judge != metadata.judge:
        raise PermissionDenied(f"這是 {metadata.judge} 的評分表，不是您的")
    rubric = _recorded_rubric(rubric_of, metadata.year, metadata.stage)
    if [(c.name, c.points) for c in rubric.criteria] != metadata.rubric:
        raise ValidationError(f"這份評分表匯出後，{roc_year(metadata.year)}的評選指標已變更，"
                              "請重新下載評分表")
    header = _find_header(sheet, [c.name for c in rubric.criteria], table=False)
    entries = _read_entries(sheet, header, judge=metadata.judge, cases=set(metadata.cases))
    return rubric, entries


@collector_paused()
def read_scores_table(data: bytes, *, rubric_of: RubricOf, expected: StageRubric | None = None
                      ) -> tuple[StageRubric | None, list[ScoreEntry]]:
    """The stage and the entries of a combined score table: one per row (評審帳號 and 案例編號)
    with a score or a comment typed in.

    The stage is ``expected`` (the stage the table is imported into), else the one the
    metadata of a table we wrote names (looked up with ``rubric_of``), else None; a table we
    wrote for another stage than ``expected`` is refused. Criterion columns are those headed
    「名稱（配分）」 (or named after the stage's criteria); other columns, 總分 among them, are
    ignored. Values are passed on as typed, as in :func:`read_scoresheet`.
    """
    sheet = read_sheet(data, TABLE_SHEET)
    recorded = None
    if sheet.properties.get(KIND_PROPERTY) == TABLE_KIND:
        year = _whole_number(sheet.properties.get(YEAR_PROPERTY))
        if year is None:
            raise ValidationError(f"「{sheet.title}」的年度資料損毀，請重新匯出評分總表")
        recorded = _recorded_rubric(rubric_of, year,
                                    _text(sheet.properties.get(STAGE_PROPERTY)))
    if expected is not None and recorded is not None and (
            (recorded.year, recorded.key) != (expected.year, expected.key)):
        raise ValidationError(
            f"這份評分總表屬於{roc_year(recorded.year)}「{recorded.name}」，"
            f"不是{roc_year(expected.year)}「{expected.name}」")
    stage = expected or recorded
    criteria = [c.name for c in stage.criteria] if stage is not None else None
    header = _find_header(sheet, criteria, table=True)
    return stage, _read_entries(sheet, header, judge=None, cases=None)


def _scoresheet_metadata(properties: dict[str, object]) -> _SheetMetadata:
    if properties.get(KIND_PROPERTY) != SCORESHEET_KIND:
        raise ValidationError(NOT_A_SCORESHEET)
    try:
        year = _whole_number(properties[YEAR_PROPERTY])
        cases = [_whole_number(c) for c in _text(properties[CASES_PROPERTY]).split(",")]
        rubric = [(str(name), float(points))
                  for name, points in json.loads(_text(properties[RUBRIC_PROPERTY]))]
        stage, judge = _text(properties[STAGE_PROPERTY]), _text(properties[JUDGE_PROPERTY])
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(f"{NOT_A_SCORESHEET}（評分表資料損毀）") from error
    if year is None or None in cases or not stage or not judge:
        raise ValidationError(f"{NOT_A_SCORESHEET}（評分表資料損毀）")
    return _SheetMetadata(year, stage, judge, rubric, cases)


def _recorded_rubric(rubric_of: RubricOf, year: int, key: str) -> StageRubric:
    """The stage a workbook's metadata names; ValidationError when it does not exist."""
    try:
        return rubric_of(year, key)
    except NotFound as error:
        raise ValidationError(f"檔案所屬的評分階段不存在：{error}") from error


def _label(value) -> str:
    """A header folded (NFKC, no white space) and cut before its 「（」: 創新度（20） → 創新度."""
    return _fold(value).split("(", 1)[0]


def _find_header(sheet: SheetContent, criteria: list[str] | None, *, table: bool) -> _Header:
    """The header row (the first with a 案例編號 column) and the columns to read.

    With ``criteria`` (a stage's criterion names) a header of the form 名稱（配分） naming no
    criterion is refused; without, such headers are the criteria. A judge's sheet must have a
    column for every criterion; a combined ``table`` needs 評審帳號 and at least one criterion.
    """
    position = next((i for i, (_, values) in enumerate(sheet.rows)
                     if CASE_ID in map(_label, values)), None)
    if position is None:
        raise ValidationError(f"「{sheet.title}」找不到標題列：須有「{CASE_ID}」欄")
    number, values = sheet.rows[position]
    where = f"「{sheet.title}」第{number}列"
    known = {_fold(name): name for name in criteria} if criteria is not None else None
    fixed: dict[str, list[int]] = {}
    found: dict[str, list[int]] = {}
    problems = []
    for index, value in enumerate(values):
        label = _label(value)
        if label in (CASE_ID, JUDGE_LOGIN, COMMENT) or (label == SUBMIT and not table):
            fixed.setdefault(label, []).append(index)
        elif known is not None and label in known:
            found.setdefault(known[label], []).append(index)
        elif CRITERION_HEADER.fullmatch(_fold(value)):
            if known is None:
                found.setdefault(label, []).append(index)
            else:
                problems.append(Problem(f"「{sheet.title}」{get_column_letter(index + 1)}{number}"
                                        f"「{_text(value).strip()}」不是本年度的評選指標"))
    if table:
        if JUDGE_LOGIN not in fixed:
            problems.append(Problem(f"{where}缺少欄位「{JUDGE_LOGIN}」"))
        if not found:
            problems.append(Problem(f"{where}找不到評選指標欄位：標題須為「指標名稱（配分）」"))
    else:
        problems += [Problem(f"{where}缺少評選指標欄位「{name}」")
                     for name in criteria if name not in found]
    for name, indexes in (*fixed.items(), *found.items()):
        if len(indexes) > 1:
            places = "、".join(f"{get_column_letter(i + 1)}欄" for i in indexes)
            problems.append(Problem(f"{where}欄位「{name}」重複出現（{places}）"))
    if problems:
        raise ValidationError(problems)
    return _Header(row=number, case=fixed[CASE_ID][0], judge=fixed.get(JUDGE_LOGIN, [None])[0],
                   comment=fixed.get(COMMENT, [None])[0],
                   criteria={name: indexes[0] for name, indexes in found.items()},
                   submit=fixed.get(SUBMIT, [None])[0])


def _read_entries(sheet: SheetContent, header: _Header, *, judge: str | None,
                  cases: set[int] | None) -> list[ScoreEntry]:
    """One entry per data row below the header; ``judge`` is the sheet's judge (else the row's
    評審帳號), ``cases`` the case ids the sheet may hold (None: any). Blank rows are skipped;
    a row without a judge or an integer case id, outside ``cases`` or repeating an earlier
    (judge, case) is a problem, and any problem raises :class:`ValidationError` listing all."""
    # Each row cut or padded to the columns read, plus one None for a column the sheet lacks.
    width = max(index for index in (header.case, header.judge, header.comment, header.submit,
                                    *header.criteria.values()) if index is not None) + 1
    padding = (None,) * width
    case_at, judge_at, comment_at, submit_at = (width if index is None else index for index in (
        header.case, header.judge, header.comment, header.submit))
    read = [case_at, judge_at, comment_at, submit_at, *header.criteria.values()]
    criteria = list(header.criteria.items())
    entries, problems = [], []
    seen: dict[tuple[str, int], int] = {}
    columns = {name: _place(sheet, index, "") for name, index in header.criteria.items()}
    folded: dict[tuple, str] = {}  # a sheet repeats the same few logins and marks
    for number, values in sheet.rows:
        if number <= header.row:
            continue
        values = (values + padding)[:width] + (None,)
        if all_blank(map(values.__getitem__, read)):
            continue
        where = f"「{sheet.title}」第{number}列"
        login = judge or _folded(values[judge_at], folded)
        typed_id = values[case_at]
        case_id = _whole_number(typed_id)
        row_problems = []
        if not login:
            row_problems.append(f"{_place(sheet, header.judge, number)} {JUDGE_LOGIN}：空白")
        if case_id is None:
            shown = _text(typed_id).strip()
            row_problems.append(f"{_place(sheet, header.case, number)} {CASE_ID}："
                                + (f"「{shown}」不是整數" if shown else "空白"))
        elif cases is not None and case_id not in cases:
            row_problems.append(f"{_place(sheet, header.case, number)} {CASE_ID}："
                                f"{case_id} 不在這份評分表的案例清單中")
        elif (login, case_id) in seen:
            who = "" if judge else f"{login} 的"
            row_problems.append(f"{where}：{who}{CASE_ID} {case_id} 與第{seen[login, case_id]}列重複")
        if row_problems:
            problems += row_problems
            continue
        seen[login, case_id] = number
        submit = _SUBMIT_MARKS.get(_folded(values[submit_at], folded))
        if submit is None:
            problems.append(f"{_place(sheet, header.submit, number)} {SUBMIT}："
                            f"「{_text(values[submit_at]).strip()}」請填「{YES}」或「{NO}」")
            continue
        comment = clean_text(values[comment_at])
        typed = {name: values[index] for name, index in criteria}
        if not (comment or submit) and all_blank(typed.values()):
            continue  # nothing typed: the case stays as it was (its state too)
        entries.append(ScoreEntry(
            judge=login, case_id=case_id,
            values=typed, comment=comment or None, where=where,
            cells={name: f"{column}{number}" for name, column in columns.items()},
            submit=submit,
            submit_cell=_place(sheet, header.submit, number) if header.submit is not None else ""))
    if problems:
        raise ValidationError([Problem(p) for p in problems])
    return entries


# A 送出 cell, folded: True for 是, False for 否 or blank (anything else: not in it).
_SUBMIT_MARKS = {YES: True, NO: False, "": False}


def _folded(value, seen: dict[tuple, str]) -> str:
    """``_fold(value)``, each distinct value folded once (``seen`` keeps them, by type too:
    1 == True but they read differently)."""
    key = (type(value), value)
    if key not in seen:
        seen[key] = _fold(value)
    return seen[key]


def _place(sheet: SheetContent, index: int, row: int | str) -> str:
    """A cell's place for messages: 「評分表」E7."""
    return f"「{sheet.title}」{get_column_letter(index + 1)}{row}"


def _whole_number(value) -> int | None:
    """A cell or property as a whole number (17, 17.0, 「１７」), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)  # as written by build_scoresheet: no folding needed
    text = _fold(value)
    return int(text) if text.isascii() and text.isdigit() else None
