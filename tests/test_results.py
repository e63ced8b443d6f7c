"""The results workbook (`forum results export`): a ranking sheet per region with every judge's
totals, outcomes and reasons; the judge statistics; how the outcome was reached."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from helpers import case_input
from exports.results_workbook import build_results_workbook
from kb.results import results_data
from scoring.rules import OUTCOME_LABELS
from kb.assignments import assign_onsite, assign_screening, list_assignments
from kb.cases import create_case
from kb.scores import ScoreEntry, record_scores
from kb.selection import compute_selection, confirm_nominations, judge_statistics, judge_totals
from kb.stages import get_stage, set_stage_state, stage_criteria

REGIONS = ["第一區", "第二區", "第三區"]
SHEETS = [*REGIONS, "書面篩選各評審總分", "評審統計", "說明"]


@pytest.fixture
def demo_year(db):
    """民國103年 of the demo: judged in both stages, outcomes published."""
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)
    return 103


def ranking_rows(sheet) -> list[tuple]:
    """The ranking rows of a region sheet: from under the two header rows while a rank is there."""
    rows = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if not isinstance(row[0], int):
            break
        rows.append(row)
    return rows


def headers(sheet) -> list[str | None]:
    """A region sheet's column names: the lower header row, else the upper (merged) one."""
    return [lower or upper for upper, lower in zip(*sheet.iter_rows(max_row=2, values_only=True))]


def test_each_region_sheet_ranks_every_case_with_judges_totals_outcome_and_reason(demo_year):
    workbook = load_workbook(BytesIO(build_results_workbook(results_data(demo_year))))
    assert workbook.sheetnames == SHEETS
    onsite = {(t.judge, t.case_id): t.total
              for t in judge_totals(get_stage(demo_year, "onsite"))[0]}
    for region in compute_selection(demo_year):
        sheet = workbook[region.region]
        names = headers(sheet)
        assert names[:7] == ["名次", "案例編號", "縣市", "案例名稱", "書面篩選", "分區評選", "總成績"]
        assert names[-2:] == ["結果", "說明"]
        assert sheet["H1"].value == "分區評選各評審總分"
        judges = names[7:-2]
        assert judges == sorted({judge for judge, case in onsite if case in region.benchmarks})
        rows = ranking_rows(sheet)
        assert [row[1] for row in rows] == [r["case"] for r in region.ranking]
        for row, ranked in zip(rows, region.ranking):
            assert row[4:7] == (ranked["screening"], ranked["onsite"], ranked["final"])
            assert row[-2] == OUTCOME_LABELS[ranked["outcome"]] and row[-1] == ranked["reason"]
            assert list(row[7:-2]) == [pytest.approx(onsite[login, row[1]]) for login in judges]
        assert rows[0][-1].endswith("第1名，獲選標竿案例")
        assert sheet.freeze_panes == "E3" and sheet.print_title_rows == "$1:$2"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.cell(row=3, column=7).number_format == "0.00"
        assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width


def test_the_screening_judges_totals_of_every_ranked_case(demo_year):
    data = build_results_workbook(results_data(demo_year))
    sheet = load_workbook(BytesIO(data))["書面篩選各評審總分"]
    screening = {(t.judge, t.case_id): t.total
                 for t in judge_totals(get_stage(demo_year, "screening"))[0]}
    names = headers(sheet)
    assert names[:6] == ["分區", "名次", "案例編號", "縣市", "案例名稱", "書面篩選"]
    assert sheet["G1"].value == "書面篩選各評審總分"
    judges = names[6:]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(row[0], row[2]) for row in rows] == [
        (region.region, ranked["case"]) for region in compute_selection(demo_year)
        for ranked in region.ranking]
    for row in rows:
        assert list(row[6:]) == [None if (login, row[2]) not in screening
                                 else pytest.approx(screening[login, row[2]]) for login in judges]
        assert sum(value is not None for value in row[6:]) == 3  # the year's judges per case
    assert sheet.freeze_panes == "F3"


def test_the_statistics_and_method_sheets(demo_year):
    workbook = load_workbook(BytesIO(build_results_workbook(results_data(demo_year))))
    sheet = workbook["評審統計"]
    assert sheet.freeze_panes == "A2" and sheet.page_setup.orientation == "landscape"
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    expected = [(stage_name, region, judge) for key, stage_name in (("screening", "書面篩選"),
                                                                    ("onsite", "分區評選"))
                for region in judge_statistics(demo_year, key) for judge in region["judges"]]
    assert len(rows) == len(expected)
    for row, (stage_name, region, judge) in zip(rows, expected):
        assert (row["階段"], row["分區"], row["評審帳號"]) == (stage_name, region["region"],
                                                         judge["judge"])
        assert row["評審一致性 Kendall's W"] == region["kendall_w"]
        assert row["評分信度 Krippendorff's alpha"] == region["alpha"]
        assert (row["平均總分"], row["全體平均"], row["寬嚴"]) == (
            judge["mean"], judge["panel_mean"], judge["label"])
    assert sheet.cell(row=2, column=header.index("平均總分") + 1).number_format == "0.00"

    text = "\n".join(str(value) for row in workbook["說明"].iter_rows(values_only=True)
                     for value in row if value is not None)
    for words in ("書面篩選權重", "40%", "60%", "平均數", "每分區標竿案例", "每縣市標竿上限",
                  "（1）分區評選成績、（2）應用性", "待裁定", "評審一致性 Kendall's W", "judge01"):
        assert words in text


@pytest.fixture
def tied_year(edition, make_user):
    """第一區: two 新北市 cases tied throughout, one 桃園市 case below, and a 基隆市 case
    nominated but not scored on site."""
    for n in range(1, 4):
        make_user("judge", login=f"judge{n:02d}")
    cases = {title: create_case(104, case_input(title=title, county=county,
                                                agency=f"{county}政府")).id
             for title, county in (("甲", "新北市"), ("乙", "新北市"), ("丙", "桃園市"),
                                   ("丁", "基隆市"))}
    def score(key: str, totals: dict[int, int]) -> None:
        stage = set_stage_state(104, key, "open")
        criteria = stage_criteria(stage)
        record_scores([ScoreEntry(a.judge.login, a.case_id,
                                  {c.name: c.points * totals[a.case_id] / 100 for c in criteria})
                       for a in list_assignments(104, key) if a.case_id in totals],
                      stage=stage, submit=True)

    assign_screening(104)
    score("screening", {cases["甲"]: 80, cases["乙"]: 80, cases["丙"]: 70, cases["丁"]: 60})
    confirm_nominations(104)
    assign_onsite(104, region="第一區", judges=["judge01", "judge02", "judge03"])
    score("onsite", {cases["甲"]: 80, cases["乙"]: 80, cases["丙"]: 70})
    return cases


def test_ties_and_unscored_cases_are_shown_for_staff(tied_year):
    sheet = load_workbook(BytesIO(build_results_workbook(results_data(104))))["第一區"]
    rows = {row[1]: row for row in ranking_rows(sheet)}
    assert set(rows) == {tied_year["甲"], tied_year["乙"], tied_year["丙"]}
    assert rows[tied_year["甲"]][-2] == rows[tied_year["乙"]][-2] == "待裁定"
    assert "待主辦機關裁定" in rows[tied_year["甲"]][-1]
    assert rows[tied_year["丙"]][-2] == "標竿案例"
    tied = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == tied_year["甲"])
    assert tied[0].fill.fgColor.rgb.endswith("FDE2CF")
    notes = [row[0] for row in sheet.iter_rows(min_row=3 + len(rows), values_only=True) if row[0]]
    assert any("待主辦機關裁定" in note and "〈甲〉" in note and "〈乙〉" in note for note in notes)
    assert any("尚無完整的書面或分區評選成績" in note and "〈丁〉" in note for note in notes)
    data = build_results_workbook(results_data(104))
    assert ranking_rows(load_workbook(BytesIO(data))["第二區"]) == []


def test_cli_results_export(tied_year, forum, tmp_path):
    output = tmp_path / "results.xlsx"
    result = forum("results", "export", "--year", "104", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert "已寫出" in result.output
    workbook = load_workbook(output)
    assert workbook.sheetnames == SHEETS
    assert len(ranking_rows(workbook["第一區"])) == 3

    missing = forum("results", "export", "--year", "99", "-o", str(tmp_path / "none.xlsx"))
    assert missing.exit_code == 1 and "找不到民國99年" in missing.output
    assert not (tmp_path / "none.xlsx").exists()
