"""Judging that judges and staff can trust (issue 10): offline sheets that count, actions that
never clobber, closing that really locks; errors naming only what the uploader may see."""
from __future__ import annotations

import json
import threading

import pytest

import kb.stages
from exports.score_workbook import TABLE_SHEET
from web.score_files import (import_scores_table, import_scoresheet, scores_table_file,
                             scoresheet_file)
from kb.assignments import (assign_onsite, assign_screening, declare_conflict, list_assignments,
                            set_judge_profile, unassign)
from kb.case_codes import case_code
from kb.errors import PermissionDenied, ValidationError
from kb.models import Assignment, AuditLog, Case, Score
from kb.scores import ScoreEntry, record_scores, submit_complete_drafts
from kb.stages import OutstandingWork, get_stage, set_stage_state
from test_score_workbook import FULL, address, fill, messages, stored, with_properties

SUBMIT = "送出"


def states(judge) -> dict[int, str]:
    return {case: row["state"] for case, row in stored(judge).items()}


# --- 10.1 a score sheet's 送出 column counts ----------------------------------------------------

def test_sheet_rows_marked_submit_are_submitted_and_the_report_says_why(three_judge_panel):
    first, second, third = three_judge_panel.cases[:3]
    data = fill(scoresheet_file(104, "screening", "judge01"),
                {first: {**FULL, SUBMIT: "是"}, second: FULL, third: {"創新度": 10, SUBMIT: "否"}})
    report = import_scoresheet(data, actor=three_judge_panel.judge)
    assert states(three_judge_panel.judge) == {first: "submitted", second: "draft", third: "draft",
                                               three_judge_panel.cases[3]: "pending"}
    why = {row["case"]: (row["state"], row["why"]) for row in report.cases}
    assert why[first] == ("submitted", "已送出")
    assert why[second] == ("draft", "暫存：未標示送出")
    assert why[third] == ("draft", "暫存：尚未評分「完整度」「困難度」「效益性」「應用性」")


def test_a_submit_mark_on_an_incomplete_row_names_its_cell_and_writes_nothing(three_judge_panel):
    first = three_judge_panel.cases[0]
    template = scoresheet_file(104, "screening", "judge01")
    data = fill(template, {first: {"創新度": 10, SUBMIT: "是"}})
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge)
    assert messages(error) == [f"{address(template, first, SUBMIT)}：尚未評分「完整度」「困難度」"
                               "「效益性」「應用性」，不能送出"]
    assert Score.select().count() == 0


def test_a_submit_mark_other_than_yes_or_no_is_refused(three_judge_panel):
    template = scoresheet_file(104, "screening", "judge01")
    data = fill(template, {three_judge_panel.cases[0]: {**FULL, SUBMIT: "好"}})
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge)
    where = address(template, three_judge_panel.cases[0], SUBMIT)
    assert messages(error) == [f"{where} 送出：「好」請填「是」或「否」"]


def test_a_submitted_score_sent_again_stays_and_a_change_needs_the_stage_to_allow_it(three_judge_panel):
    first = three_judge_panel.cases[0]
    import_scoresheet(fill(scoresheet_file(104, "screening", "judge01"),
                           {first: {**FULL, SUBMIT: "是"}}), actor=three_judge_panel.judge)
    again = scoresheet_file(104, "screening", "judge01")  # prefilled: 送出 是
    report = import_scoresheet(again, actor=three_judge_panel.judge)
    assert report.changed == [] and states(three_judge_panel.judge)[first] == "submitted"
    changed = fill(again, {first: {"創新度": 5}})
    with pytest.raises(ValidationError, match="已送出評分，「書面篩選」不開放修改已送出的評分"):
        import_scoresheet(changed, actor=three_judge_panel.judge)
    assert stored(three_judge_panel.judge)[first]["scores"]["創新度"] == FULL["創新度"]
    set_stage_state(104, "screening", "open", allow_resubmit=True)
    import_scoresheet(changed, actor=three_judge_panel.judge)
    assert stored(three_judge_panel.judge)[first]["scores"]["創新度"] == 5
    assert states(three_judge_panel.judge)[first] == "submitted"


def test_a_judges_draft_sheet_counts_once_every_row_is_marked(three_judge_panel):
    """The issue's example: a whole sheet filled and uploaded used to leave 已評 0."""
    data = fill(scoresheet_file(104, "screening", "judge01"),
                {case: {**FULL, SUBMIT: "是"} for case in three_judge_panel.cases})
    import_scoresheet(data, actor=three_judge_panel.judge)
    assert set(states(three_judge_panel.judge).values()) == {"submitted"}


def test_staff_submit_complete_rows_on_a_judges_behalf_from_the_command_line(three_judge_panel, forum,
                                                                            tmp_path):
    first, second = three_judge_panel.cases[:2]
    path = tmp_path / "mailed.xlsx"
    path.write_bytes(fill(scoresheet_file(104, "screening", "judge01"),
                          {first: FULL, second: {"創新度": 10}}))
    plain = forum("scoresheet", "import", str(path), "--json")
    assert plain.exit_code == 0, plain.output
    assert {row["case"]: row["state"] for row in json.loads(plain.stdout)["cases"]} == \
        {first: "draft", second: "draft"}
    result = forum("scoresheet", "import", str(path), "--submit", "--json")
    assert result.exit_code == 0, result.output
    cases = {row["case"]: row for row in json.loads(result.stdout)["cases"]}
    assert cases[first]["state"] == "submitted" and "代為送出" in cases[first]["why"]
    assert cases[second]["state"] == "draft"
    log = (AuditLog.select().where(AuditLog.action == "scores_sheet")
           .order_by(AuditLog.id.desc()).first())
    assert log.after["state"] == "submitted" and log.reason == "主辦機關代評審送出"
    with pytest.raises(PermissionDenied):
        import_scoresheet(path.read_bytes(), actor=three_judge_panel.judge, submit_complete=True)


def test_the_combined_table_submits_only_the_rows_it_carries(three_judge_panel):
    first = three_judge_panel.cases[0]
    judge01, judge02 = three_judge_panel.judges[:2]
    record_scores([ScoreEntry("judge01", first, FULL)], stage=three_judge_panel.stage, actor=judge01)
    table = scores_table_file(104, "screening")  # carries judge01's web draft
    data = fill(table, {("judge02", first): FULL}, title=TABLE_SHEET)
    report = import_scores_table(data, year=104, stage_key="screening", actor=three_judge_panel.staff)
    assert states(judge02)[first] == "submitted"
    assert states(judge01)[first] == "draft"  # never sent by judge01
    assert {(row["judge"], row["state"]) for row in report.cases} == \
        {("judge01", "draft"), ("judge02", "submitted")}


def test_a_judge_submits_every_complete_draft_at_once(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    record_scores([ScoreEntry("judge01", first, FULL), ScoreEntry("judge01", second, {"創新度": 3})],
                  stage=three_judge_panel.stage, actor=three_judge_panel.judge)
    report = submit_complete_drafts(104, "screening", judge=three_judge_panel.judge,
                                    actor=three_judge_panel.judge)
    assert [row["case"] for row in report.cases] == [first]
    assert states(three_judge_panel.judge)[first] == "submitted"
    assert states(three_judge_panel.judge)[second] == "draft"


# --- 12.3 a judge's errors name only what they may see ------------------------------------------

def test_an_unassigned_case_in_a_judges_sheet_is_named_without_its_title(three_judge_panel, make_user):
    first = three_judge_panel.cases[0]
    other = make_user("judge", login="judge09")
    assignment = Assignment.get(judge=three_judge_panel.judge, case=first)
    assignment.judge = other
    assignment.save()  # case `first` is now someone else's
    template = scoresheet_file(104, "screening", "judge09")
    data = fill(with_properties(template, forum_judge="judge01"), {first: FULL})
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge, dry_run=True)
    title = Case.get_by_id(first).title
    row = address(template, first, "案例編號").split("」")[1][1:]
    assert messages(error) == [f"「評分表」第{row}列：案例 {first} 未分派給您"]
    assert title not in str(error.value)


# --- 10.2 closing refuses outstanding work, and locks for real ----------------------------------

def test_closing_with_unsubmitted_assignments_lists_them_unless_forced_with_a_reason(three_judge_panel,
                                                                                   forum):
    first = three_judge_panel.cases[0]
    record_scores([ScoreEntry("judge01", first, FULL)], stage=three_judge_panel.stage)
    with pytest.raises(OutstandingWork) as error:
        set_stage_state(104, "screening", "close")
    assert len(error.value.outstanding) == 12
    assert {"judge": "judge01", "name": "測試judge", "case": first,
            "title": "銀髮共餐", "state": "draft"} in error.value.outstanding
    result = forum("stage", "close", "--year", "104", "--stage", "screening")
    assert result.exit_code == 1
    assert "尚有 12 筆指派未送出評分" in result.output
    assert f"judge01（測試judge）案例 {case_code(first)}：暫存" in result.output
    result = forum("stage", "close", "--year", "104", "--stage", "screening", "--force")
    assert result.exit_code == 1 and "須註明理由" in result.output
    assert get_stage(104, "screening").is_open
    result = forum("stage", "close", "--year", "104", "--stage", "screening", "--force",
                   "--reason", "期限已到，未送出者不計")
    assert result.exit_code == 0, result.output
    log = AuditLog.get(AuditLog.action == "close_stage")
    assert log.reason == "期限已到，未送出者不計" and len(log.after["outstanding"]) == 12


def test_closing_when_everything_is_submitted_needs_no_force(three_judge_panel):
    record_scores([ScoreEntry(j.login, c, FULL)
                   for j in three_judge_panel.judges for c in three_judge_panel.cases],
                  stage=three_judge_panel.stage, submit=True)
    assert not set_stage_state(104, "screening", "close").is_open


def test_no_score_is_written_after_a_close_that_ran_first(three_judge_panel, monkeypatch):
    """Staff close while a judge saves: the close holds its transaction open (paused in its
    audit write) while the save starts with the stage it loaded when the stage was open."""
    stage = get_stage(104, "screening")  # loaded while open, as a page or an upload would
    inside, release = threading.Event(), threading.Event()
    audit = kb.stages.write_audit

    def paused_audit(*args, **kwargs):
        if args[1] == "close_stage":
            inside.set()
            assert release.wait(timeout=30)
        return audit(*args, **kwargs)

    monkeypatch.setattr(kb.stages, "write_audit", paused_audit)
    def close():
        try:
            set_stage_state(104, "screening", "close", force=True, reason="截止")
        finally:
            kb.stages.database.close()

    closer = threading.Thread(target=close)
    closer.start()
    assert inside.wait(timeout=30)
    outcome = {}

    def save():
        try:
            record_scores([ScoreEntry("judge01", three_judge_panel.cases[0], FULL)], stage=stage)
        except ValidationError as error:
            outcome["error"] = str(error)
        finally:
            kb.stages.database.close()

    saver = threading.Thread(target=save)
    saver.start()
    release.set()
    closer.join(timeout=30)
    saver.join(timeout=30)
    assert outcome["error"] == "「書面篩選」階段已關閉，評分已鎖定"
    assert Score.select().count() == 0


# --- 10.3 a closed stage keeps its panels and assignments ---------------------------------------

@pytest.fixture
def closed_screening(three_judge_panel):
    record_scores([ScoreEntry("judge01", three_judge_panel.cases[0], {"創新度": 10})],
                  stage=three_judge_panel.stage)
    set_stage_state(104, "screening", "close", force=True, reason="截止")
    return three_judge_panel


@pytest.mark.parametrize("change", [
    lambda p: assign_screening(104, per_case=3),
    lambda p: unassign(Assignment.get(judge=p.judge, case=p.cases[1]).id, reason="調整"),
    lambda p: declare_conflict("judge01", p.cases[1], "曾任顧問"),
    lambda p: set_judge_profile("judge02", counties=["新北市"]),
], ids=["auto-assign", "unassign", "declare-conflict", "new-tie"])
def test_a_closed_stage_refuses_every_assignment_change(closed_screening, change):
    before = [(a.judge_id, a.case_id, a.state) for a in list_assignments(104, "screening")]
    scores = Score.select().count()
    with pytest.raises(ValidationError, match="已關閉"):
        change(closed_screening)
    assert [(a.judge_id, a.case_id, a.state) for a in list_assignments(104, "screening")] == before
    assert Score.select().count() == scores


@pytest.fixture
def onsite_draft(three_judge_panel) -> Case:
    """第一區's on-site panel judge01 and judge02 on one nominated case; judge01 has a draft."""
    case = Case.get_by_id(three_judge_panel.cases[0])
    case.status = "nominated"
    case.save()
    assign_onsite(104, region="第一區", judges=["judge01", "judge02"])
    set_stage_state(104, "onsite", "open")
    record_scores([ScoreEntry("judge01", case.id, {"創新度": 10})], stage=get_stage(104, "onsite"))
    return case


def test_a_closed_onsite_stage_refuses_a_panel_change_on_the_command_line(onsite_draft, forum):
    set_stage_state(104, "onsite", "close", force=True, reason="現場評選結束")
    result = forum("assign", "--year", "104", "--stage", "onsite", "--region", "第一區",
                   "--judges", "judge03")
    assert result.exit_code == 1 and "「分區評選」已關閉" in result.output
    onsite = list_assignments(104, "onsite")
    assert {a.judge.login for a in onsite} == {"judge01", "judge02"}
    assert Score.select().join(Assignment).where(Assignment.stage == get_stage(104, "onsite")).count() == 1


def test_a_panel_change_that_deletes_draft_scores_says_so_and_needs_a_reason(onsite_draft):
    case = onsite_draft
    with pytest.raises(ValidationError, match=f"移出 judge01 將刪除其對案例 {case_code(case)} 的暫存評分，請註明理由"):
        assign_onsite(104, region="第一區", judges=["judge02", "judge03"])
    assert {a.judge.login for a in list_assignments(104, "onsite")} == {"judge01", "judge02"}
    assign_onsite(104, region="第一區", judges=["judge02", "judge03"], reason="委員請辭")
    assert {a.judge.login for a in list_assignments(104, "onsite")} == {"judge02", "judge03"}
    log = AuditLog.get((AuditLog.action == "unassign") & (AuditLog.reason == "委員請辭"))
    assert log.before["scores"] == {"創新度": 10.0}


def test_unassigning_a_draft_with_scores_needs_a_reason(three_judge_panel):
    record_scores([ScoreEntry("judge01", three_judge_panel.cases[0], {"創新度": 10})],
                  stage=three_judge_panel.stage)
    assignment = Assignment.get(judge=three_judge_panel.judge, case=three_judge_panel.cases[0])
    with pytest.raises(ValidationError, match="將刪除 judge01 對案例 .* 的暫存評分，請註明理由"):
        unassign(assignment.id)
    unassign(assignment.id, reason="改派")
    assert Assignment.get_or_none(Assignment.id == assignment.id) is None
