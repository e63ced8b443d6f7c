"""Judging that judges and staff can trust, on the web and the command line (issue 10): the
judge's landing page, confirmation pages, nominations and overrides that never clobber or
break rules unseen, county case import, errors that do not leak the machinery."""
from __future__ import annotations

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from helpers import PASSWORD, case_input, csrf_token, login
from exports.case_workbook import build_case_template
from kb.assignments import assign_onsite, assign_screening, list_assignments
from kb.case_codes import case_code
from kb.cases import create_case
from kb.editions import case_list_choices, get_edition
from kb.models import Assignment, Case, OutcomeOverride
from kb.scores import ScoreEntry, record_scores
from kb.selection import QuotaBreak, change_nominations, compute_selection, override_outcome
from kb.stages import get_stage, set_stage_state
from kb.users import add_user
from scenarios import score_stage
from test_judging_web import FULL, _fill_sheet, assignment, post_scores, text, upload
from test_case_workbook import case_values, fill_template


# --- 10.8 the judge finds the work ----------------------------------------------------------

def test_a_judge_lands_on_open_work_with_the_next_case_and_the_sheet_first(client, four_judge_panel):
    landing = login(client, "judge1")
    page = text(landing)
    assert "<h1>評分</h1>" in page  # not the generic home page
    first = assignment("judge1", four_judge_panel.cases[0])
    assert "已送出 <strong>0</strong>／2 件" in page
    assert page.index(f"/judging/assignments/{first.id}") < page.index("<table")  # next case on top
    assert page.index("/judging/104/screening/scoresheet") < page.index("<table")
    assert page.index("上傳填妥的 Excel 評分表") < page.index("<table")


def test_closed_stages_fold_away_below_the_open_one(client, four_judge_panel):
    record_scores([ScoreEntry(j.login, c.id, FULL)
                   for j in four_judge_panel.judges for c in four_judge_panel.cases
                   if Assignment.get_or_none(judge=j, case=c)], stage=get_stage(104, "screening"),
                  submit=True)
    set_stage_state(104, "screening", "close")
    case = four_judge_panel.cases[0]
    Case.update(status="nominated").where(Case.id == case.id).execute()
    assign_onsite(104, region="第一區", judges=["judge1"])
    set_stage_state(104, "onsite", "open")
    login(client, "judge1")
    page = text(client.get("/judging/"))
    assert page.index("分區評選 <span class=\"badge state-open\">評分中</span>") < \
        page.index('<details class="card stage-card closed-stage">')
    assert "書面篩選 <span class=\"badge warn\">評分已鎖定</span>：已送出 2／2 件" in page


def test_after_a_draft_focus_stays_in_the_form_and_after_submitting_the_next_case_opens(
        client, four_judge_panel):
    first, second = (assignment("judge1", case) for case in four_judge_panel.cases)
    login(client, "judge1")
    response = post_scores(client, first.id, FULL)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/judging/assignments/{first.id}?saved=1")
    page = text(client.get(f"/judging/assignments/{first.id}?saved=1"))
    first_input = page.split('<input type="text" id="score-')[1].split(">")[0]
    assert page.count(" autofocus") == 1 and " autofocus" in first_input
    response = post_scores(client, first.id, FULL, action="send")
    assert response.headers["Location"].endswith(f"/judging/assignments/{second.id}")
    response = post_scores(client, second.id, FULL, action="send")
    assert response.headers["Location"].endswith("/judging/")


def test_a_judge_sends_every_complete_draft_from_their_page(client, four_judge_panel):
    first, second = (assignment("judge1", case) for case in four_judge_panel.cases)
    login(client, "judge1")
    post_scores(client, first.id, FULL)
    post_scores(client, second.id, {"創新度": "3"})
    page = text(client.get("/judging/"))
    assert "送出全部已完成評分（1 件）" in page
    token = csrf_token(client, "/judging/")
    response = client.post("/judging/104/screening/submit-all", data={"csrf_token": token},
                           follow_redirects=True)
    assert "已送出 1 件已完成的評分" in text(response)
    assert Assignment.get_by_id(first.id).state == "submitted"
    assert Assignment.get_by_id(second.id).state == "draft"


def test_a_submitted_case_is_read_only_unless_the_stage_allows_resubmission(client, four_judge_panel):
    first = assignment("judge1", four_judge_panel.cases[0])
    login(client, "judge1")
    post_scores(client, first.id, FULL, action="send")
    page = text(client.get(f"/judging/assignments/{first.id}"))
    assert 'id="score-form"' not in page and "不開放修改已送出的評分" in page
    set_stage_state(104, "screening", "open", allow_resubmit=True)
    assert 'id="score-form"' in text(client.get(f"/judging/assignments/{first.id}"))


# --- 10.9 the score form speaks the product's language --------------------------------------

def test_the_score_form_uses_no_browser_native_validation(client, four_judge_panel):
    login(client, "judge1")
    page = text(client.get(f"/judging/assignments/{assignment('judge1', four_judge_panel.cases[0]).id}"))
    form = page.split('<form method="post" id="score-form"')[1].split("</form>")[0]
    assert form.startswith(' class="score-form" novalidate>')
    assert 'type="number"' not in form and " min=" not in form and " max=" not in form
    assert "score-form.js" in page


# --- 10.1 / 10.2 on the web -----------------------------------------------------------------

def test_an_uploaded_sheet_report_says_per_case_submitted_or_draft(client, four_judge_panel):
    login(client, "judge3")
    data = _fill_sheet(client.get("/judging/104/screening/scoresheet").data, {**FULL, "送出": "是"})
    response = upload(client, "/judging/upload", "/judging/", data)
    assert response.status_code == 200
    page = text(response)
    assert f"案例 {case_code(four_judge_panel.cases[0])}：已送出" in page
    assert assignment("judge3", four_judge_panel.cases[0]).state == "submitted"


def test_staff_confirm_closing_a_stage_with_the_list_and_a_reason(client, four_judge_panel):
    login(client, "staff")
    progress = text(client.get("/judging/104/"))
    assert "/judging/104/screening/close" in progress
    token = csrf_token(client, "/judging/104/screening/close")
    response = client.post("/judging/104/screening/state", data={"csrf_token": token,
                                                               "action": "close"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/judging/104/screening/close")  # one click never closes
    page = text(client.get("/judging/104/screening/close"))
    assert "尚未送出評分的指派（6 筆）" in page and "judge1" in page and "未評分" in page
    assert f"全部 {len(list_assignments(104, 'screening'))} 筆指派的評分" in page
    assert "重新開放" in page  # says how to undo
    form = {"csrf_token": token, "action": "close", "confirmed": "1"}
    response = client.post("/judging/104/screening/state", data=form)
    assert response.status_code == 400 and "強制關閉評分階段須註明理由" in text(response)
    assert get_stage(104, "screening").is_open
    response = client.post("/judging/104/screening/state", data={**form, "reason": "逾期"},
                           follow_redirects=True)
    assert "書面篩選已關閉評分" in text(response) and not get_stage(104, "screening").is_open


def test_staff_confirm_closing_intake_with_its_counts(client, four_judge_panel):
    login(client, "staff")
    assert "/intake/104/close" in text(client.get("/intake/104"))
    token = csrf_token(client, "/intake/104/close")
    response = client.post("/intake/104/toggle", data={"csrf_token": token, "open": "0"})
    assert response.headers["Location"].endswith("/intake/104/close")
    assert get_edition(104).intake_open
    page = text(client.get("/intake/104/close"))
    assert "目前共 2 件案例，來自 2 個縣市" in page and "開放收件" in page
    client.post("/intake/104/toggle", data={"csrf_token": token, "open": "0", "confirmed": "1"})
    assert not get_edition(104).intake_open


def test_staff_confirm_publishing_with_what_becomes_public(client, selected):
    cases = selected
    add_user("boss", role="staff", name="主辦", password=PASSWORD)
    login(client, "boss")
    token = csrf_token(client, "/selection/104/publish/confirm")
    response = client.post("/selection/104/publish", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/selection/104/publish/confirm")
    assert Case.get_by_id(cases["甲"]).status == "nominated"
    page = text(client.get("/selection/104/publish/confirm"))
    assert "5 件入選案例將於案例庫" in page and "甲" in page and "無法復原" in page
    assert f"<td>{case_code(cases['甲'])}</td>" in page  # the code staff read, not the id
    client.post("/selection/104/publish", data={"csrf_token": token, "confirmed": "1"})
    assert Case.get_by_id(cases["甲"]).status == "benchmark"


# --- 10.4 confirming all keeps a county's own choice ----------------------------------------

def test_confirming_all_keeps_a_countys_own_nominations(judged, forum):
    cases, _ = judged
    change_nominations(104, "臺北市", [cases["丁"]], reason="丁案成效較新")
    result = forum("nominate", "--year", "104", "--confirm", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kept"] == {"臺北市": [cases["丁"]]}
    assert report["confirmed"]["新北市"] == [cases["戊"]]
    assert Case.get_by_id(cases["丁"]).status == "nominated"
    assert Case.get_by_id(cases["甲"]).status == "submitted"


# --- 10.5 a nomination tie at the quota is flagged and waits --------------------------------

@pytest.fixture
def tied(edition, make_user):
    """臺北市 with four cases, the third and fourth tied on the screening."""
    for n in range(1, 4):
        make_user("judge", login=f"judge{n:02d}")
    ids = {title: create_case(104, case_input(title=title, county=county, agency=f"{county}政府")).id
           for title, county in (("甲", "臺北市"), ("乙", "臺北市"), ("丙", "臺北市"),
                                 ("丁", "臺北市"), ("戊", "新北市"))}
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    score_stage(104, "screening", {ids["甲"]: 90, ids["乙"]: 88, ids["丙"]: 80, ids["丁"]: 80,
                                   ids["戊"]: 70})
    return ids


def test_a_tie_at_the_countys_quota_is_flagged_and_confirm_waits_for_staff(tied, forum):
    ids = tied
    result = forum("nominate", "--year", "104", "--json")
    flags = json.loads(result.stdout)["flags"]
    assert [(f["county"], f["cases"]) for f in flags] == [("臺北市", [ids["丙"], ids["丁"]])]
    result = forum("nominate", "--year", "104", "--confirm")
    assert result.exit_code == 0
    assert "臺北市第 3 個提名名額同分" in result.output and "--county 臺北市" in result.output
    assert Case.get_by_id(ids["甲"]).status == "submitted"  # 臺北市 waits
    assert Case.get_by_id(ids["戊"]).status == "nominated"
    result = forum("nominate", "--year", "104", "--county", "臺北市", "--cases",
                   f"{ids['甲']},{ids['乙']},{ids['丁']}", "--reason", "評審會議選定丁案")
    assert result.exit_code == 0 and Case.get_by_id(ids["丁"]).status == "nominated"


def test_the_selection_page_flags_the_tie(client, tied, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    page = text(client.get("/selection/104/"))
    assert f"臺北市第 3 個提名名額同分（案例 {case_code(tied['丙'])}、{case_code(tied['丁'])}），待主辦機關選定" in page


# --- 10.6 an override that breaks a quota must be confirmed ---------------------------------

def test_an_override_breaking_a_quota_is_refused_until_that_break_is_confirmed(selected, forum):
    cases = selected
    with pytest.raises(QuotaBreak) as error:
        override_outcome(104, cases["乙"], "benchmark", reason="評審會議決議")
    assert error.value.breaks == {"region:第一區": "第一區標竿案例將有 4 件（每區 3 件）",
                                  "county:臺北市": "臺北市標竿案例將有 2 件（每縣市 1 件）"}
    assert OutcomeOverride.select().count() == 0
    result = forum("select", "override", "--year", "104", "--case", str(cases["乙"]),
                   "--outcome", "benchmark", "--reason", "評審會議決議",
                   "--accept-break", "region:第一區")
    assert result.exit_code == 1 and "臺北市標竿案例將有 2 件" in result.output
    result = forum("select", "override", "--year", "104", "--case", str(cases["乙"]),
                   "--outcome", "benchmark", "--reason", "評審會議決議",
                   "--accept-break", "region:第一區", "--accept-break", "county:臺北市")
    assert result.exit_code == 0, result.output
    region = compute_selection(104, "第一區")[0]
    row = next(r for r in region.ranking if r["case"] == cases["乙"])
    assert "經確認超出名額：第一區標竿案例將有 4 件" in row["reason"]
    assert any(cases["乙"] in flag["cases"] and "超出名額" in flag["message"]
               for flag in region.flags)
    from exports.results_workbook import build_results_workbook
    from kb.results import results_data
    workbook = load_workbook(BytesIO(build_results_workbook(results_data(104))))
    cells = [str(v) for sheet in workbook for r in sheet.iter_rows(values_only=True) for v in r if v]
    assert any("主辦機關調整結果超出名額" in v for v in cells)


# --- 10.10 a county contact imports their own case list -------------------------------------

def test_a_county_contact_imports_their_own_case_list_from_the_intake_page(client, edition,
                                                                           make_user):
    make_user("county", login="county-tpe", county="臺北市")
    login(client, "county-tpe")
    page = text(client.get("/intake/104"))
    assert "/cases/template/104" in page and "/cases/import/104" in page
    assert client.get("/cases/import/104").status_code == 200
    template = build_case_template(case_list_choices(get_edition(104)))
    own = fill_template(template, {2: case_values(案例名稱="社宅青創基地")})
    response = upload(client, "/cases/import/104", "/cases/import/104", own)
    assert response.status_code == 200, text(response)
    assert Case.get(title="社宅青創基地").county.name == "臺北市"
    other = fill_template(template, {2: case_values(案例名稱="他縣市案例", 縣市="新北市",
                                                     提案機關="新北市政府資訊局")})
    response = upload(client, "/cases/import/104", "/cases/import/104", other)
    assert response.status_code == 400 and "您只能匯入臺北市的案例" in text(response)
    assert Case.get_or_none(title="他縣市案例") is None


# --- 10.11 errors that do not leak the machinery --------------------------------------------

def test_a_public_page_of_a_missing_year_names_no_command(client, forum):
    response = client.get("/results/99")
    assert response.status_code == 404
    assert "forum" not in text(response) and "找不到民國99年的論壇" in text(response)
    result = forum("scores", "list", "--year", "99", "--stage", "screening")
    assert result.exit_code == 1 and "forum edition create 99" in result.output


def test_an_empty_stage_exports_an_empty_table_with_headers(client, edition, make_user, forum,
                                                            tmp_path):
    make_user("staff", login="staff")
    login(client, "staff")
    response = client.get("/judging/104/screening/scores.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data))["評分總表"]
    assert [c.value for c in sheet[1]][:3] == ["評審帳號", "評審姓名", "案例編號"]
    assert sheet.max_row == 1
    result = forum("scores", "export", "--year", "104", "--stage", "onsite", "-o",
                   str(tmp_path / "empty.xlsx"))
    assert result.exit_code == 0, result.output


# --- 10.3 on the web ------------------------------------------------------------------------

def test_staff_cannot_change_a_closed_onsite_panel_from_the_page(client, four_judge_panel):
    case = four_judge_panel.cases[0]
    Case.update(status="nominated").where(Case.id == case.id).execute()
    assign_onsite(104, region="第一區", judges=["judge1", "judge3"])
    set_stage_state(104, "onsite", "open")
    record_scores([ScoreEntry("judge1", case.id, {"創新度": "10"})], stage=get_stage(104, "onsite"))
    login(client, "staff")
    token = csrf_token(client, "/judging/104/onsite/assignments")
    form = {"csrf_token": token, "region": "第一區", "judges": ["judge3"]}
    response = client.post("/judging/104/onsite/panel", data=form)
    assert response.status_code == 400 and "將刪除其對案例" in text(response)
    set_stage_state(104, "onsite", "close", force=True, reason="現場評選結束")
    page = text(client.get("/judging/104/onsite/assignments"))
    assert "已關閉：評審指派與名單已鎖定" in page and "取消指派" not in page
    response = client.post("/judging/104/onsite/panel", data={**form, "reason": "委員請辭"})
    assert response.status_code == 400 and "「分區評選」已關閉" in text(response)
    onsite = Assignment.select().where(Assignment.stage == get_stage(104, "onsite").id)
    assert sorted(a.judge.login for a in onsite) == ["judge1", "judge3"]


def test_staff_unassign_a_draft_from_the_page_only_with_a_reason(client, four_judge_panel):
    record_scores([ScoreEntry("judge3", four_judge_panel.cases[0].id, {"創新度": "10"})],
                  stage=get_stage(104, "screening"))
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "staff")
    token = csrf_token(client, "/judging/104/screening/assignments")
    response = client.post(f"/judging/assignments/{own.id}/unassign", data={"csrf_token": token},
                           follow_redirects=True)
    assert "請註明理由" in text(response) and Assignment.get_or_none(id=own.id)
    client.post(f"/judging/assignments/{own.id}/unassign",
                data={"csrf_token": token, "reason": "改派"})
    assert Assignment.get_or_none(id=own.id) is None


def test_the_front_page_of_an_empty_instance_names_no_command(home):
    from web import create_app

    visitor = create_app({"TESTING": True}, home=home).test_client()
    page = text(visitor.get("/"))
    assert "尚未建立任何年度的論壇" in page and "forum" not in page.split("<main")[1]
