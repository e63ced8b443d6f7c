"""Selection from judges' scores to published outcomes, as the forum's rules say."""
from __future__ import annotations

import json
from io import BytesIO

import pytest

from helpers import case_input
from scenarios import score_stage
from kb.assignments import assign_onsite, assign_screening
from kb.cases import create_case
from kb.editions import get_edition
from kb.errors import PermissionDenied, ValidationError
from kb.models import Case
from kb.selection import (change_nominations, compute_selection, confirm_nominations,
                          override_outcome, propose_nominations, publish_results)
from kb.stages import set_stage_state


def test_nominations_propose_each_countys_best_three(judged):
    cases, _ = judged
    proposal = propose_nominations(104)
    assert proposal["臺北市"] == [cases["甲"], cases["乙"], cases["丙"]]  # 丁 is fourth
    assert proposal["新北市"] == [cases["戊"]]
    assert Case.get_by_id(cases["甲"]).status == "submitted"  # only a proposal
    confirm_nominations(104)
    assert Case.get_by_id(cases["甲"]).status == "nominated"
    assert Case.get_by_id(cases["丁"]).status == "submitted"


def test_a_county_contact_changes_only_their_countys_nominations(judged, make_user):
    cases, _ = judged
    confirm_nominations(104)
    contact = make_user("county", county="臺北市")
    with pytest.raises(PermissionDenied):
        change_nominations(104, "新北市", [cases["戊"]], reason="x", actor=contact)
    with pytest.raises(ValidationError, match="理由"):
        change_nominations(104, "臺北市", [cases["甲"]], reason=" ", actor=contact)
    with pytest.raises(ValidationError, match="最多提名 3 件"):
        change_nominations(104, "臺北市", [cases[t] for t in "甲乙丙丁"], reason="調整", actor=contact)
    change_nominations(104, "台北市", [cases["甲"], cases["乙"], cases["丁"]],
                       reason="丁案成效較新", actor=contact)
    assert Case.get_by_id(cases["丁"]).status == "nominated"
    assert Case.get_by_id(cases["丙"]).status == "submitted"


def test_benchmarks_respect_the_per_county_limit_and_every_case_has_a_reason(selected):
    cases = selected
    region = compute_selection(104, "第一區")[0]
    # finals: 甲 0.4*90+0.6*90=90; 乙 88.6; 丁 83.4; 戊 82.4; 己 79.2; 庚 70; 辛 64.8
    assert region.benchmarks == [cases["甲"], cases["戊"], cases["己"]]
    assert region.honourable == [cases["乙"], cases["丁"]]
    reasons = {row["case"]: row["reason"] for row in region.ranking}
    assert "第一區第2名" in reasons[cases["乙"]] and "〈甲〉" in reasons[cases["乙"]]
    assert "佳作" in reasons[cases["乙"]]
    assert "未入選" in reasons[cases["庚"]]
    first = region.ranking[0]
    assert (first["screening"], first["onsite"], first["final"]) == (90.0, 90.0, 90.0)


def test_publishing_sets_statuses_and_makes_winners_public(selected):
    cases = selected
    publish_results(104)
    status = {t: Case.get_by_id(i) for t, i in cases.items()}
    assert status["甲"].status == "benchmark" and status["甲"].published
    assert status["乙"].status == "honourable" and status["乙"].published
    assert status["庚"].status == "not_selected" and not status["庚"].published
    assert status["丙"].status == "submitted"  # never nominated


def test_a_tie_no_rule_breaks_waits_for_staff(edition, make_user):
    for n in range(1, 4):
        make_user("judge", login=f"judge{n:02d}")
    ids = {title: create_case(104, case_input(title=title, county=county, agency=f"{county}政府")).id
           for title, county in (("甲", "新北市"), ("乙", "新北市"), ("丙", "桃園市"))}
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    totals = {ids["甲"]: 80, ids["乙"]: 80, ids["丙"]: 70}
    score_stage(104, "screening", totals)
    confirm_nominations(104)
    assign_onsite(104, region="第一區", judges=["judge01", "judge02", "judge03"])
    set_stage_state(104, "onsite", "open")
    score_stage(104, "onsite", totals)
    region = compute_selection(104, "第一區")[0]
    outcomes = {row["case"]: row["outcome"] for row in region.ranking}
    assert outcomes[ids["甲"]] == outcomes[ids["乙"]] == "tie"  # one county, one benchmark
    assert outcomes[ids["丙"]] == "benchmark"
    assert any(set(flag["cases"]) == {ids["甲"], ids["乙"]} for flag in region.flags)
    with pytest.raises(ValidationError, match="同分待裁定"):
        publish_results(104)
    override_outcome(104, ids["甲"], "benchmark", reason="抽籤決定")
    override_outcome(104, ids["乙"], "honourable", reason="抽籤決定")
    publish_results(104)
    assert Case.get_by_id(ids["甲"]).status == "benchmark"
    assert Case.get_by_id(ids["乙"]).status == "honourable"


def test_staff_override_with_a_reason_is_applied_and_explained(selected, make_user):
    cases = selected
    with pytest.raises(ValidationError, match="理由"):
        override_outcome(104, cases["庚"], "honourable", reason="")
    with pytest.raises(PermissionDenied):
        override_outcome(104, cases["庚"], "honourable", reason="x",
                         actor=make_user("county", county="基隆市"))
    override_outcome(104, cases["庚"], "honourable", reason="評審會議決議增列")
    row = next(r for r in compute_selection(104, "第一區")[0].ranking if r["case"] == cases["庚"])
    assert row["outcome"] == "honourable" and "評審會議決議增列" in row["reason"]


def test_cli_select_json(selected, forum):
    result = forum("select", "--year", "104", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == 104
    region = data["regions"][0]
    assert set(region) == {"region", "benchmarks", "honourable", "ranking", "flags"}
    assert set(region["ranking"][0]) >= {"case", "county", "screening", "onsite", "final", "rank",
                                         "outcome", "reason"}


def test_a_demo_year_reproduces_its_recorded_outcomes(db):
    """The demo chose 民國103年's outcomes with the same rules; selection must agree."""
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)
    recorded = {c.id: c.status for c in Case.select()}
    computed = {row["case"]: row["outcome"] for region in compute_selection(103)
                for row in region.ranking}
    expected = {"benchmark": "benchmark", "honourable": "honourable", "none": "not_selected"}
    assert computed and all(recorded[i] == expected[o] for i, o in computed.items())
    publish_results(103)
    assert {c.id: c.status for c in Case.select()} == recorded


def test_judge_statistics_on_a_demo_year(db, forum):
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)
    result = forum("stats", "--year", "103", "--stage", "onsite", "--json")
    assert result.exit_code == 0, result.output
    regions = json.loads(result.stdout)
    assert [r["region"] for r in regions] == ["第一區", "第二區", "第三區"]
    for region in regions:
        assert region["kendall_w"] is None or 0 <= region["kendall_w"] <= 1
        assert {j["label"] for j in region["judges"]} <= {"寬鬆", "一般", "嚴格"}
        assert all(j["cases"] > 0 for j in region["judges"])


def _set_method(method: str) -> None:
    edition = get_edition(104)
    edition.settings = {**edition.settings, "aggregation": method}
    edition.save()


def test_scores_list_and_the_summary_sheet_give_the_years_method(judged, forum):
    """Under 序位法 the stage score is each case's mean percentile rank: 甲 (the highest total
    from every judge who scored it) 100, 丁 (the lowest) 0; the mean total stays beside it."""
    from openpyxl import load_workbook

    from exports.score_workbook import SUMMARY_SHEET
    from web.score_files import scores_table_file

    cases, _ = judged
    _set_method("rank")
    result = forum("scores", "list", "--year", "104", "--stage", "screening", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert (listed["method"], listed["method_name"]) == ("rank", "序位法")
    by_case = {row["case"]: row for row in listed["cases"]}
    assert (by_case[cases["甲"]]["score"], by_case[cases["甲"]]["mean"]) == (100, 90)
    assert (by_case[cases["丁"]]["score"], by_case[cases["丁"]]["mean"]) == (0, 60)
    assert by_case[cases["甲"]]["rank_sum"] is None  # 3 of 6 judges a case: not complete
    sheet = load_workbook(BytesIO(scores_table_file(104, "screening")))[SUMMARY_SHEET]
    header = [cell.value for cell in sheet[1]]
    assert header[6:] == ["平均總分", "階段成績（序位法）", "說明"]
    summary = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {case_id: summary[case_id][7] for case_id in by_case} == {
        case_id: round(row["score"], 2) for case_id, row in by_case.items()}
