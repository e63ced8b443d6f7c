"""The year's results workbook (評選結果): rankings, judges' totals, statistics, method.

:func:`build_results_workbook` writes, from the plain :class:`kb.results.ResultsData` that
:func:`kb.results.results_data` reads (rankings, judges' totals, statistics), with no database:

- one sheet per region, named after it (「第一區」…): the ranking with each case's stage scores
  and final score, each on-site judge's total (a column per judge login, under one group label),
  the outcome and its reason; under the table, the ties and cases waiting for staff;
- 「書面篩選各評審總分」: the same cases, region by region, with each screening judge's total
  (kept apart so that the region sheets stay narrow enough to print);
- 「評審統計」: per stage and region, agreement among judges (Kendall's W, Krippendorff's
  alpha) and each judge's mean and spread beside the panel's, leniency label, rank correlation
  with the other judges and whether it is flagged;
- 「說明」: how the outcome was reached (weights, aggregation, quotas, tie-break order), how to
  read the statistics, and who the judges are.

The words shared with the web pages (outcome labels, method names, readings of the agreement
coefficients) are defined here.
"""
from __future__ import annotations

import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter

import scoring
from exports.display_width import display_width
from exports.case_workbook import HEADER_FONT, OPTIONAL_FILL, WRAPPED
from exports.score_workbook import (CASE_ID, COUNTY, REGION, TITLE, _append_guide_row,
                                    _set_print_layout)
from exports.safe_write import workbook_bytes
from scoring.rules import OUTCOME_LABELS
# plain values only: the thresholds, the year's rules and the workbook's data
from kb.results import ResultsData, ResultsStage
from kb.rocdate import roc_year
from kb.selection import DISAGREEMENT_THRESHOLD, LENIENCY_THRESHOLD
from kb.settings import YearRules

SCREENING_SHEET = "書面篩選各評審總分"
STATISTICS_SHEET = "評審統計"
METHOD_SHEET = "說明"

"""A ranked case's outcome in words."""

KENDALL_SCALE = ((0.9, "極高度一致"), (0.7, "高度一致"), (0.5, "中度一致"), (0.3, "低度一致"))
KENDALL_BELOW = "幾乎不一致"
ALPHA_SCALE = ((0.8, "可信"), (0.667, "尚可，宜審慎解讀"))
ALPHA_BELOW = "偏低，評審間標準不一"

SCORE_FORMAT = "0.00"
COEFFICIENT_FORMAT = "0.000"
TIE_FILL = PatternFill("solid", fgColor="FDE2CF")
GROUP_FILLS = {"onsite": PatternFill("solid", fgColor="E2EFDA"),
               "screening": PatternFill("solid", fgColor="FFF2CC")}
CENTRED = Alignment(wrap_text=True, vertical="center", horizontal="center")
TOP = Alignment(vertical="top")

RANK, FINAL, OUTCOME, REASON = "名次", "總成績", "結果", "說明"
SCORE_WIDTH = 10
TITLE_WIDTH = 34
LINE_HEIGHT = 15  # points per line of wrapped text
JUDGE_WIDTH = 10
OUTCOME_WIDTH, REASON_WIDTH = 10, 60
HEADER_ROWS = 2  # group labels, then column names

# The agreement measures by their zh-TW names (the statistician's name after it), each with the
# one line a reader needs; the stats page, the workbook and `forum stats` all say them this way.
KENDALL_NAME = "評審一致性 Kendall's W"
ALPHA_NAME = "評分信度 Krippendorff's alpha"
RHO_NAME = "排序相關 Spearman rho"
MEASURE_LINES = {
    KENDALL_NAME: "1 表示各評審對共同評分案例的排序完全一致，0 表示毫無一致。",
    ALPHA_NAME: "1 表示評審給分完全一致，0 表示與隨機給分無異；0.8 以上可據以決定。",
    RHO_NAME: "此評審的排序與其他評審平均排序的相關：1 表示完全相同，負值表示相反。",
}

STATISTICS_COLUMNS = [("階段", 10), ("分區", 8), (KENDALL_NAME, 16), ("一致性評審數", 9),
                      ("一致性案例數", 9), (ALPHA_NAME, 18), ("評審帳號", 12),
                      ("評分件數", 9), ("平均總分", 10), ("標準差", 9), ("全體平均", 10),
                      ("與全體差距", 11), ("寬嚴", 8), (RHO_NAME, 16),
                      ("排序與其他評審差異大", 14)]
GUIDE_COLUMNS = (("項目", 18), ("設定", 12), ("說明", 80))


# --- words shared with the web pages ----------------------------------------------------------

def statistics_thresholds() -> tuple[float, float]:
    """The points by which a judge's mean must differ from the panel's to be called lenient or
    severe, and the rank correlation below which a judge is flagged, as
    :func:`kb.selection.judge_statistics` applies them."""
    return LENIENCY_THRESHOLD, DISAGREEMENT_THRESHOLD


def kendall_reading(value: float | None) -> str:
    """How strong a Kendall's W is, in words (Schmidt's scale)."""
    if value is None:
        return "無法計算（共同評分的案例或評審不足）"
    return _reading(value, KENDALL_SCALE, KENDALL_BELOW)


def alpha_reading(value: float | None) -> str:
    """What a Krippendorff's alpha allows, in words (Krippendorff's 0.8 and 0.667 bounds)."""
    if value is None:
        return "無法計算（評分資料不足）"
    return _reading(value, ALPHA_SCALE, ALPHA_BELOW)


def _reading(value: float, scale: tuple[tuple[float, str], ...], below: str) -> str:
    return next((words for bound, words in scale if value >= bound), below)


def _scale_text(scale: tuple[tuple[float, str], ...], below: str) -> str:
    """A reading scale in words: 「0.9 以上：極高度一致；…；其餘：幾乎不一致」."""
    return "；".join([*(f"{bound:g} 以上：{words}" for bound, words in scale), f"其餘：{below}"])


def statistics_guide() -> list[tuple[str, str, str]]:
    """How to read the judge statistics: (name, bound, explanation) for each measure."""
    lenient, disagreement = statistics_thresholds()
    return [
        (KENDALL_NAME, "0–1",
         "評過同一批案例的評審，對這些案例的排序有多一致：1 表示所有評審排序完全相同，"
         f"0 表示毫無一致。{_scale_text(KENDALL_SCALE, KENDALL_BELOW)}。"),
        (ALPHA_NAME, "≤ 1",
         "評審間分數的信度，容許評審沒有評全部案例：1 表示完全一致，0 表示與隨機給分無異。"
         f"{_scale_text(ALPHA_SCALE, ALPHA_BELOW)}。"),
        ("寬嚴", f"±{lenient:g} 分",
         f"評審平均總分高於全體平均超過 {lenient:g} 分標示「寬鬆」，低於超過 {lenient:g} 分"
         "標示「嚴格」。"),
        (RHO_NAME, f"< {disagreement:g}",
         "評審對案例的排序與其他評審平均排序的相關（−1 到 1）；低於 "
         f"{disagreement:g} 者標示「排序與其他評審差異大」，建議檢視其評分與評語"
         f"（共同評分案例少於 {scoring.MIN_SHARED_CASES} 件時不計算）。"),
    ]


def aggregation_text(rules: YearRules) -> str:
    """How the year's method turns judges' totals into a stage score, in one zh-TW paragraph."""
    return scoring.method_rule(rules.aggregation, rules.trim_min_judges)


def tie_break_text(rules: YearRules) -> str:
    """The year's tie-break order in words, ending with what happens when it does not decide."""
    keys = rules.tie_break
    steps = "、".join(f"（{n}）{scoring.tie_break_name(key)}" for n, key in enumerate(keys, 1))
    compared = (f"總成績相同時，依序比較：{steps}；評選指標以分區評選各評審的平均分數比較。"
                if keys else "本年度未設定比序規則。")
    return (compared + "依序比較後仍無法區分、且影響結果者標示「待裁定」，由主辦機關裁定並註明"
            "理由；不以案例編號或送件順序決定。")


# --- the workbook -----------------------------------------------------------------------------

def build_results_workbook(data: ResultsData) -> bytes:
    """The results workbook (.xlsx) of a year: a ranking sheet per region,
    「書面篩選各評審總分」, 「評審統計」 and 「說明」 (see the module's docstring)."""
    year, stages, totals, regions = data.year, data.stages, data.totals, data.regions
    workbook = Workbook()
    workbook.remove(workbook.active)
    for region in regions:
        sheet = workbook.create_sheet(region["region"])
        _write_region(sheet, region, stages, totals["onsite"], data.titles)
        _print_layout(sheet, f"{roc_year(year)}{region['region']}評選結果", HEADER_ROWS)
    screening = workbook.create_sheet(SCREENING_SHEET)
    _write_screening_judges(screening, regions, stages["screening"], totals["screening"])
    _print_layout(screening, f"{roc_year(year)}{SCREENING_SHEET}", HEADER_ROWS)
    statistics = workbook.create_sheet(STATISTICS_SHEET)
    _write_statistics(statistics, stages, data.statistics)
    _print_layout(statistics, f"{roc_year(year)}評審統計")
    guide = workbook.create_sheet(METHOD_SHEET)
    _write_method(guide, data)
    _print_layout(guide, f"{roc_year(year)}評選方式說明")
    return workbook_bytes(workbook)


def _print_layout(sheet, header: str, title_rows: int = 1) -> None:
    """Landscape A4, one page wide, ``header`` atop each page, the header rows repeated."""
    _set_print_layout(sheet, header)
    sheet.print_title_rows = f"1:{title_rows}"


def _judges_of(ranking: list[dict], totals: dict[int, dict[str, float]]) -> list[str]:
    """The logins of the judges who scored any of the ranked cases, sorted."""
    return sorted({judge for row in ranking for judge in totals.get(row["case"], {})})


def _write_region(sheet, region: dict, stages: dict[str, ResultsStage],
                  onsite: dict[int, dict[str, float]],
                  titles: dict[int, str]) -> None:
    """A region's ranking: two header rows (on-site judges grouped under one label), a row per
    case, then the ties and unscored cases that wait for staff."""
    judges = _judges_of(region["ranking"], onsite)
    last = _write_headers(
        sheet, [(RANK, 6), (CASE_ID, 9), (COUNTY, 9), (TITLE, TITLE_WIDTH),
                (stages["screening"].name, SCORE_WIDTH), (stages["onsite"].name, SCORE_WIDTH),
                (FINAL, SCORE_WIDTH)],
        (f"{stages['onsite'].name}各評審總分", judges, GROUP_FILLS["onsite"]),
        [(OUTCOME, OUTCOME_WIDTH), (REASON, REASON_WIDTH)], frozen="E")
    for ranked in region["ranking"]:
        sheet.append([ranked["rank"], ranked["case"], ranked["county"], ranked["title"],
                      ranked["screening"], ranked["onsite"], ranked["final"],
                      *_judge_values(onsite, ranked["case"], judges),
                      OUTCOME_LABELS[ranked["outcome"]], ranked["reason"]])
        row = sheet[sheet.max_row]
        _format_scores(row[4:-2])
        _wrap(sheet, row, {3: TITLE_WIDTH, len(row) - 1: REASON_WIDTH})
        if ranked["outcome"] == "tie":
            for cell in row:
                cell.fill = TIE_FILL
    if region["ranking"]:
        sheet.auto_filter.ref = f"A{HEADER_ROWS}:{get_column_letter(last)}{sheet.max_row}"
    else:
        sheet.append(["本區尚無完整的書面與分區評選成績"])
    for flag in region["flags"]:
        named = "、".join(f"{case_id}〈{titles.get(case_id, '')}〉" for case_id in flag["cases"])
        sheet.append([f"⚠ {flag['message']}：{named}"])
        sheet.cell(row=sheet.max_row, column=1).fill = TIE_FILL


def _write_screening_judges(sheet, regions: list[dict], stage: ResultsStage,
                            screening: dict[int, dict[str, float]]) -> None:
    """Every ranked case, region by region, with each screening judge's total (a judge scored
    only the cases assigned to them, so most cells are empty)."""
    ranking = [ranked for region in regions for ranked in region["ranking"]]
    judges = _judges_of(ranking, screening)
    last = _write_headers(
        sheet, [(REGION, 8), (RANK, 6), (CASE_ID, 9), (COUNTY, 9), (TITLE, TITLE_WIDTH),
                (stage.name, SCORE_WIDTH)],
        (f"{stage.name}各評審總分", judges, GROUP_FILLS["screening"]), [], frozen="F")
    for region in regions:
        for ranked in region["ranking"]:
            sheet.append([region["region"], ranked["rank"], ranked["case"], ranked["county"],
                          ranked["title"], ranked["screening"],
                          *_judge_values(screening, ranked["case"], judges)])
            row = sheet[sheet.max_row]
            _format_scores(row[5:])
            _wrap(sheet, row, {4: TITLE_WIDTH})
    if ranking:
        sheet.auto_filter.ref = f"A{HEADER_ROWS}:{get_column_letter(last)}{sheet.max_row}"


def _judge_values(totals: dict[int, dict[str, float]], case_id: int,
                  judges: list[str]) -> list[float | None]:
    """A case's total from each judge (None where the judge did not score it), 2 decimals."""
    values = [totals.get(case_id, {}).get(login) for login in judges]
    return [None if value is None else round(value, 2) for value in values]


def _wrap(sheet, row, widths: dict[int, int]) -> None:
    """Align a row's cells to the top, wrap the text of the cells at the given indexes (index →
    column width) and make the row tall enough for the longest (LibreOffice does not fit a
    wrapped row written without a height). A CJK character counts two."""
    for cell in row:
        cell.alignment = TOP
    lines = 1
    for index, width in widths.items():
        cell = row[index]
        cell.alignment = WRAPPED
        text = str(cell.value or "")
        used = display_width(text)
        lines = max(lines, math.ceil(used / (width - 1)))
    sheet.row_dimensions[row[0].row].height = LINE_HEIGHT * lines


def _format_scores(cells) -> None:
    """The scores' number format: 2 decimals."""
    for cell in cells:
        cell.number_format = SCORE_FORMAT


def _write_headers(sheet, before: list[tuple[str, int]], group: tuple[str, list[str], PatternFill],
                   after: list[tuple[str, int]], *, frozen: str) -> int:
    """Two header rows: the ``before`` and ``after`` column names span both; the ``group``
    label (label, judge logins, fill) spans a column per judge, named by login below it.
    Panes are frozen under the headers, left of column ``frozen``. Returns the last column."""
    column = 1
    for header, width in before:
        column = _tall_header(sheet, column, header, width)
    column = _group_header(sheet, column, *group)
    for header, width in after:
        column = _tall_header(sheet, column, header, width)
    sheet.row_dimensions[HEADER_ROWS].height = 24
    sheet.freeze_panes = f"{frozen}{HEADER_ROWS + 1}"
    return column - 1


def _header_cell(sheet, row: int, column: int, value: str | None,
                 fill: PatternFill = OPTIONAL_FILL):
    """A bold, centred, filled header cell."""
    cell = sheet.cell(row=row, column=column, value=value)
    cell.font, cell.fill, cell.alignment = HEADER_FONT, fill, CENTRED
    return cell


def _tall_header(sheet, column: int, header: str, width: int) -> int:
    """A column name spanning both header rows; returns the next column."""
    _header_cell(sheet, 1, column, header)
    _header_cell(sheet, HEADER_ROWS, column, None)
    sheet.merge_cells(start_row=1, start_column=column, end_row=HEADER_ROWS, end_column=column)
    sheet.column_dimensions[get_column_letter(column)].width = width
    return column + 1


def _group_header(sheet, column: int, label: str, logins: list[str], fill: PatternFill) -> int:
    """A group label over a column per judge login (nothing when there is no judge); returns
    the next column."""
    if not logins:
        return column
    for offset, login in enumerate(logins):
        _header_cell(sheet, 1, column + offset, label if offset == 0 else None, fill)
        _header_cell(sheet, HEADER_ROWS, column + offset, login, fill)
        sheet.column_dimensions[get_column_letter(column + offset)].width = JUDGE_WIDTH
    sheet.merge_cells(start_row=1, start_column=column, end_row=1,
                      end_column=column + len(logins) - 1)
    return column + len(logins)


def judge_rows(region: dict) -> list[dict]:
    """A region's judges (an item of :func:`kb.selection.judge_statistics`) with, in one row
    each, their leniency, their difference from the panel mean, rho and the flag."""
    agreement = {row["judge"]: row for row in region["agreement"]}
    return [{**judge, "difference": round(judge["mean"] - judge["panel_mean"], 2),
             "rho": agreement.get(judge["judge"], {}).get("rho"),
             "flagged": agreement.get(judge["judge"], {}).get("flagged", False)}
            for judge in region["judges"]]


def _write_statistics(sheet, stages: dict[str, ResultsStage],
                      statistics: dict[str, list[dict]]) -> None:
    """One row per judge per stage and region (``statistics``: each stage's
    :func:`kb.selection.judge_statistics`), with the region's agreement coefficients."""
    _write_header_row(sheet, STATISTICS_COLUMNS)
    for key, stage in stages.items():
        for region in statistics[key]:
            for judge in judge_rows(region):
                sheet.append([
                    stage.name, region["region"], region["kendall_w"],
                    len(region["kendall_judges"]), region["kendall_cases"], region["alpha"],
                    judge["judge"], judge["cases"], judge["mean"], judge["spread"],
                    judge["panel_mean"], judge["difference"], judge["label"], judge["rho"],
                    "是" if judge["flagged"] else ""])
                _style_statistics_row(sheet[sheet.max_row], flagged=judge["flagged"])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(STATISTICS_COLUMNS))}{sheet.max_row}"


def _write_header_row(sheet, columns: list[tuple[str, int]]) -> None:
    """A single frozen header row with the columns' names and widths."""
    for index, (header, width) in enumerate(columns, start=1):
        _header_cell(sheet, 1, index, header)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"


def _style_statistics_row(row, *, flagged: bool) -> None:
    """Number formats on a statistics row; a flagged, lenient or severe judge highlighted."""
    for index in (2, 5, 13):  # W, alpha, rho
        row[index].number_format = COEFFICIENT_FORMAT
    _format_scores(row[8:12])  # mean, spread, panel mean, difference
    if flagged or row[12].value != scoring.TYPICAL:
        for cell in row:
            cell.fill = TIE_FILL


def _write_method(sheet, data: ResultsData) -> None:
    """How the outcome was reached, how to read the statistics, and the judges."""
    rules, stages, totals = data.rules, data.stages, data.totals
    method = rules.aggregation
    weights = "＋".join(f"{stage.weight:.0%} × {stage.name}成績" for stage in stages.values())
    rows = [
        ("年度", f"{roc_year(data.year)}", f"{data.name}（西元{data.ad_year}年）。"),
        *((f"{stage.name}權重", f"{stage.weight:.0%}",
           "所有案例皆經書面篩選評分。" if key == "screening"
           else "各縣市依書面篩選成績提名的案例，於所屬分區簡報，由該區評審評分。")
          for key, stage in stages.items()),
        ("總成績", "", f"總成績 = {weights}，表中四捨五入至小數 2 位。"),
        ("評分彙整方式", scoring.METHOD_NAMES[method],
         "每位評審的總分為各評選指標分數的加總（0–100 分），各項皆評分且已送出才計入。"
         + aggregation_text(rules)),
        ("每縣市提名上限", f"{rules.quota('presenters_per_county')} 件",
         "書面篩選後，各縣市依書面篩選成績提名參加分區評選的案例（縣市可附理由調整）。"),
        ("每分區標竿案例", f"{rules.quota('benchmarks_per_region')} 件",
         "各分區依總成績由高至低選出標竿案例，至名額滿為止。"),
        ("每縣市標竿上限", f"{rules.quota('benchmarks_per_county')} 件",
         "同縣市已有此數量標竿案例時，排名較後的案例不再列為標竿案例，改依序列為佳作。"),
        ("每分區佳作", f"{rules.quota('honourable_per_region')} 件",
         "標竿案例選定後，其餘案例依同一排序列為佳作至名額滿；其他列為未入選。"),
        ("同分比序", "", tie_break_text(rules)),
        ("主辦機關調整", "", "主辦機關得調整個別案例的結果，須註明理由並留存紀錄；理由附記於各分區工作表的「說明」欄。"),
        *statistics_guide(),
    ]
    for letter, (_, width) in zip("ABC", GUIDE_COLUMNS):
        sheet.column_dimensions[letter].width = width
    sheet.append([f"{data.name}　評選方式說明"])
    sheet["A1"].font = HEADER_FONT
    _append_header(sheet, [name for name, _ in GUIDE_COLUMNS])
    sheet.freeze_panes = "A3"
    for row in rows:
        _append_guide_row(sheet, list(row))
    sheet.append([])
    _append_header(sheet, ["評審帳號", "姓名", "評分階段"])
    logins = sorted({login for by_case in totals.values() for case in by_case.values()
                     for login in case})
    for login in logins:
        judged = [stage.name for key, stage in stages.items()
                  if any(login in case for case in totals[key].values())]
        _append_guide_row(sheet, [login, data.judge_names.get(login, ""), "、".join(judged)])


def _append_header(sheet, values: list[str]) -> None:
    """A header row under what the sheet holds."""
    row = sheet.max_row + 1
    for index, value in enumerate(values, start=1):
        _header_cell(sheet, row, index, value)
