"""Judging in the browser: a judge's score form and sheet, staff's stages, progress, assignments."""
from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook

from helpers import case_input, csrf_token, login, saved_name
from scenarios import make_cases
from kb.assignments import assign_screening, declare_conflict, set_judge_profile
from kb.case_codes import case_code
from kb.cases import create_case
from kb.editions import create_edition
from kb.models import Assignment, AuditLog, Case, Conflict, Criterion, Score, User
from kb.querylog import counted_queries
from kb.scores import ScoreEntry, record_scores
from kb.stages import get_stage, set_stage_state
from seeds import load_reference

RUBRIC = {"創新度": 20, "完整度": 20, "困難度": 15, "效益性": 20, "應用性": 25}
FULL = {"創新度": "18", "完整度": "17.5", "困難度": "12", "效益性": "16", "應用性": "20.3"}


def assignment(login: str, case: Case) -> Assignment:
    """The screening assignment of a judge to a case."""
    return Assignment.get(judge=User.get(login=login), case=case)


def score_form(client, assignment_id: int, values: dict, action: str = "save_draft",
               comment: str = "") -> dict:
    """The score form's fields: ``values`` by criterion name, and the pressed button."""
    url = f"/judging/assignments/{assignment_id}"
    ids = {c.name: c.id for c in Criterion.select()}
    form = {"csrf_token": csrf_token(client, url), "comment": comment, action: "x"}
    form.update({f"score-{ids[name]}": value for name, value in values.items()})
    return form


def post_scores(client, assignment_id: int, values: dict, action: str = "save_draft", **kwargs):
    """Send the score form of an assignment."""
    return client.post(f"/judging/assignments/{assignment_id}",
                       data=score_form(client, assignment_id, values, action, **kwargs))


def stored(assignment_id: int) -> dict:
    """The scores in the database for an assignment, by criterion name."""
    return {s.criterion.name: s.value for s in Score.select().where(Score.assignment == assignment_id)}


def text(response) -> str:
    """A response's page as text."""
    return response.get_data(as_text=True)


def test_judge_saves_a_draft_then_submits(client, four_judge_panel):
    login(client, "judge3")
    own = assignment("judge3", four_judge_panel.cases[0])
    home = text(client.get("/judging/"))
    assert "民國104年書面篩選" in home and "已送出 <strong>0</strong>／1 件" in home
    assert four_judge_panel.cases[0].title in home and four_judge_panel.cases[1].title not in home
    page = text(client.get(f"/judging/assignments/{own.id}"))
    for name, points in RUBRIC.items():
        assert f"{name}（配分 {points}）" in page
    assert 'inputmode="decimal"' in page and 'data-points="25"' in page  # checked by the page's own script
    assert "跨機關協調與資源整合之困難程度" in page  # the criterion's description
    assert page.index('name="save_draft"') < page.index('name="send"')  # Enter saves a draft

    response = post_scores(client, own.id, {"創新度": "18", "完整度": "１７.５"}, comment="具創意")
    assert response.status_code == 302
    assert stored(own.id) == {"創新度": 18.0, "完整度": 17.5}
    assert Assignment.get_by_id(own.id).state == "draft"
    page = text(client.get(response.location))
    assert "已暫存評分" in page and 'value="17.5"' in page and "具創意" in page

    response = post_scores(client, own.id, {"困難度": "12", "效益性": "16", "應用性": "20.3"},
                           action="send", comment="具創意")
    assert response.status_code == 302 and response.location.endswith("/judging/")
    saved = Assignment.get_by_id(own.id)
    assert saved.state == "submitted" and saved.comment == "具創意"
    assert stored(own.id) == {name: float(value) for name, value in FULL.items()}
    home = text(client.get("/judging/"))
    assert "已送出 <strong>1</strong>／1 件" in home and "83.8" in home and "已送出" in home
    actions = [a.action for a in AuditLog.select().where(AuditLog.table == "assignment")]
    assert actions == ["scores_web", "scores_web"]


def test_out_of_range_score_is_shown_beside_its_input_and_nothing_is_stored(client, four_judge_panel):
    login(client, "judge3")
    own = assignment("judge3", four_judge_panel.cases[0])
    response = post_scores(client, own.id, {"創新度": "25", "完整度": "abc", "困難度": "10"})
    page = text(response)
    assert response.status_code == 400
    assert "創新度：25 超過配分 20" in page and "完整度：「abc」不是數字" in page
    assert 'value="25"' in page  # what was typed stays, to be corrected
    assert stored(own.id) == {} and Assignment.get_by_id(own.id).state == "pending"

    response = post_scores(client, own.id, {"創新度": "15"}, action="send")
    assert response.status_code == 400
    assert "尚未評分「完整度」「困難度」「效益性」「應用性」，不能送出" in text(response)
    assert stored(own.id) == {}


def test_judge_cannot_reach_another_judges_assignment_nor_staff_pages(client, four_judge_panel):
    others = assignment("judge4", four_judge_panel.cases[1])
    shared = assignment("judge1", four_judge_panel.cases[0])
    record_scores([ScoreEntry("judge1", four_judge_panel.cases[0].id, {"創新度": 19.5})],
                  stage=get_stage(104, "screening"))
    login(client, "judge3")
    assert client.get(f"/judging/assignments/{others.id}").status_code == 404
    assert post_scores(client, assignment("judge3", four_judge_panel.cases[0]).id, {}).status_code == 302
    token = csrf_token(client, "/judging/")
    response = client.post(f"/judging/assignments/{others.id}",
                           data={"csrf_token": token, "save_draft": "x",
                                 **{f"score-{c.id}": "1" for c in Criterion.select()}})
    assert response.status_code == 404 and stored(others.id) == {}
    assert client.post(f"/judging/assignments/{others.id}/conflict",
                       data={"csrf_token": token}).status_code == 404
    assert Assignment.get_or_none(Assignment.id == others.id) is not None
    for url in ("/judging/104/", "/judging/104/screening/assignments", "/judging/staff"):
        assert client.get(url).status_code == 403
    assert client.post("/judging/104/screening/state",
                       data={"csrf_token": token, "action": "close"}).status_code == 403
    assert client.post(f"/judging/assignments/{shared.id}/unassign",
                       data={"csrf_token": token}).status_code == 403
    assert "19.5" not in text(client.get("/judging/"))  # judge1's score on the shared case


def test_pages_need_the_right_role(client, four_judge_panel, make_user):
    for url in ("/judging/", "/judging/104/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    assert client.get("/judging/").status_code == 403
    login(client, "staff")
    assert client.get("/judging/").status_code == 403
    own = assignment("judge3", four_judge_panel.cases[0])
    assert client.get(f"/judging/assignments/{own.id}").status_code == 403


def test_a_closed_stage_shows_scores_read_only_and_refuses_saving(client, four_judge_panel):
    own = assignment("judge3", four_judge_panel.cases[0])
    record_scores([ScoreEntry("judge3", four_judge_panel.cases[0].id, {"創新度": 12})],
                  stage=get_stage(104, "screening"))
    set_stage_state(104, "screening", "close", force=True, reason="截止")
    login(client, "judge3")
    assert "評分已鎖定" in text(client.get("/judging/"))
    page = text(client.get(f"/judging/assignments/{own.id}"))
    assert "評分已鎖定" in page and 'type="number"' not in page and "<td>12</td>" in page
    token = csrf_token(client, "/judging/")
    response = client.post(f"/judging/assignments/{own.id}",
                           data={"csrf_token": token, "save_draft": "x",
                                 **{f"score-{c.id}": "3" for c in Criterion.select()}})
    assert response.status_code == 400 and "評分已鎖定" in text(response)
    assert stored(own.id) == {"創新度": 12.0}
    response = client.post(f"/judging/assignments/{own.id}/conflict", data={"csrf_token": token})
    assert response.status_code == 403 and Assignment.get_or_none(Assignment.id == own.id)


def test_a_judge_declares_a_conflict_and_the_case_leaves_their_list(client, four_judge_panel):
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "judge3")
    url = f"/judging/assignments/{own.id}"
    assert "利益迴避" in text(client.get(url))
    response = client.post(f"{url}/conflict", data={"csrf_token": csrf_token(client, url),
                                                     "reason": "曾任該局顧問"},
                           follow_redirects=True)
    assert "已聲明利益迴避" in text(response)
    assert Assignment.get_or_none(Assignment.id == own.id) is None
    assert Conflict.get().reason == "曾任該局顧問"
    assert four_judge_panel.cases[0].title not in text(client.get("/judging/"))
    assert client.get(url).status_code == 404


def test_a_tied_judge_loses_the_case_and_a_conflicted_one_stays_closed(client, four_judge_panel):
    first, second = (assignment("judge1", case) for case in four_judge_panel.cases)
    set_judge_profile("judge1", counties=["台北市"])
    login(client, "judge1")
    assert client.get(f"/judging/assignments/{first.id}").status_code == 404
    assert four_judge_panel.cases[0].title not in text(client.get("/judging/"))
    Conflict.create(judge=User.get(login="judge1"), case=four_judge_panel.cases[1], reason="舊資料")
    response = client.get(f"/judging/assignments/{second.id}")  # recorded outside the services
    assert response.status_code == 403 and "評審已聲明利益迴避（舊資料）" in text(response)


def test_staff_see_progress_and_a_reminder_for_a_judge_who_is_behind(client, four_judge_panel):
    stage = get_stage(104, "screening")
    for login_, case in (("judge3", four_judge_panel.cases[0]), ("judge4", four_judge_panel.cases[1]),
                         ("judge1", four_judge_panel.cases[0])):
        record_scores([ScoreEntry(login_, case.id, dict(FULL))], stage=stage, submit=True)
    login(client, "staff")
    assert client.get("/judging/staff").location.endswith("/judging/104/")
    page = text(client.get("/judging/104/?deadline=民國104年5月20日"))
    assert 'id="deadline" name="deadline" value="104/05/20"' in page
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r"<small>（(\w+)）</small></th>\s*<td>(\d+／\d+)</td>", page)}
    assert rows == {"judge1": "1／2", "judge2": "0／2", "judge3": "1／1", "judge4": "1／1"}
    assert re.search(r"第一區</th>\s*<td>2／3</td>", page)
    assert re.search(r"第二區</th>\s*<td>1／3</td>", page)
    assert 'class="bar"' in page
    assert "進度落後的評審（2 位）" in page
    assert "測試judge委員您好：民國104年書面篩選尚有 2 件案例待評分（截至民國" in page
    assert "尚有 1 件案例待評分" in page and "敬請於民國104年5月20日前完成" in page
    assert re.search(r"<textarea[^>]*readonly", page)
    unreadable = text(client.get("/judging/104/?deadline=104/02/30"))
    assert "完成期限「104/02/30」不是有效的日期" in unreadable
    typed = "104/02/" + "3" * 200
    cut = text(client.get(f"/judging/104/?deadline={typed}"))
    assert f"完成期限「{typed[:40]}…」不是有效的日期" in cut and typed[:41] not in cut


def test_staff_close_open_and_reopen_a_stage(client, four_judge_panel):
    record_scores([ScoreEntry("judge3", four_judge_panel.cases[0].id, {"創新度": 12})],
                  stage=get_stage(104, "screening"))
    login(client, "staff")
    url = "/judging/104/screening/state"
    token = csrf_token(client, "/judging/104/")
    response = client.post(url, data={"csrf_token": token, "action": "close", "confirmed": "1",
                                      "reason": "截止"},
                           follow_redirects=True)
    assert "書面篩選已關閉評分" in text(response) and not get_stage(104, "screening").is_open
    for action in ("reopen", "open"):
        response = client.post(url, data={"csrf_token": token, "action": action, "reason": " "})
        assert response.status_code == 400
        assert "須註明理由" in text(response)
        assert not get_stage(104, "screening").is_open
    response = client.post(url, data={"csrf_token": token, "action": "reopen",
                                      "reason": "評審漏評一項"}, follow_redirects=True)
    assert "書面篩選已重新開放評分" in text(response) and get_stage(104, "screening").is_open
    assert AuditLog.select().where(AuditLog.action == "reopen_stage").get().reason == "評審漏評一項"


def test_staff_assign_automatically_from_the_page(client, edition, make_user):
    cases = make_cases()
    make_user("staff", login="staff")
    for n in (1, 2):
        make_user("judge", login=f"judge{n}")
    login(client, "staff")
    url = "/judging/104/screening/assignments"
    page = text(client.get(url))
    assert page.count("尚未指派") == 2
    response = client.post("/judging/104/screening/assign", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 400
    assert f"案例 {case_code(cases[0])}〈{cases[0].title}〉：需要 3 位評審，可指派者僅 2 位" in text(response)
    assert Assignment.select().count() == 0

    make_user("judge", login="judge3")
    response = client.post("/judging/104/screening/assign",
                           data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert "已新增 6 筆指派" in text(response)
    assert Assignment.select().count() == 6 and "尚未指派" not in text(response)


def test_the_assignments_page_sums_up_each_region_before_its_cases(client, four_judge_panel):
    stage = get_stage(104, "screening")
    record_scores([ScoreEntry("judge4", four_judge_panel.cases[1].id, dict(FULL))], stage=stage,
                  submit=True)
    login(client, "staff")
    page = text(client.get("/judging/104/screening/assignments"))
    summary = re.findall(r'<a href="[^"]*\?region=[^"]*">(\w+)</a></th>\s*<td class="num">(\d+)</td>\s*'
                         r'<td class="num">(\d+)</td>\s*<td class="num">(\d+／\d+)</td>', page)
    assert summary == [("第一區", "1", "0", "0／3"), ("第二區", "1", "0", "1／3")]
    assert page.index("各分區概況") < page.index(four_judge_panel.cases[0].title)
    assert "104-TPE-001" in page and "104-HSZ-001" in page  # the codes people read, not ids


def test_the_assignments_page_shows_its_cases_a_page_at_a_time(client, four_judge_panel, monkeypatch):
    import web.judging_views
    monkeypatch.setattr(web.judging_views, "CASES_PER_PAGE", 1)
    login(client, "staff")
    url = "/judging/104/screening/assignments"
    first = text(client.get(url))
    assert "共 2 件，第 1–1 件" in first
    assert four_judge_panel.cases[0].title in first and four_judge_panel.cases[1].title not in first
    assert f'href="{url}?page=2" rel="next"' in first and f'href="{url}?page=2" aria-label="第 2 頁"' not in first
    second = text(client.get(f"{url}?page=2"))
    assert "共 2 件，第 2–2 件" in second
    assert four_judge_panel.cases[1].title in second and four_judge_panel.cases[0].title not in second
    assert f'href="{url}?page=1" rel="prev"' in second
    assert "共 2 件，第 2–2 件" in text(client.get(f"{url}?page=9"))  # past the end: the last page


def test_staff_narrow_the_assignments_to_a_region_and_to_unassigned_cases(client, edition, make_user):
    cases = make_cases()
    make_user("staff", login="staff")
    for n in range(1, 4):
        make_user("judge", login=f"judge{n}")
    assign_screening(104)
    added = create_case(104, case_input(county="新竹市", agency="新竹市政府社會處",
                                        title="新竹市長者共餐據點"))
    login(client, "staff")
    url = "/judging/104/screening/assignments"
    region = text(client.get(url, query_string={"region": "第二區"}))
    assert "共 2 件" in region and cases[1].title in region and added.title in region
    assert cases[0].title not in region
    assert 'aria-label="第二區待指派 1 件"' in region
    pending = text(client.get(url, query_string={"pending": "1"}))
    assert "共 1 件" in pending and added.title in pending and cases[1].title not in pending
    none = text(client.get(url, query_string={"region": "第一區", "pending": "1"}))
    assert "共 0 件" in none and "沒有符合條件的案例。" in none


def test_cancelling_an_assignment_returns_to_the_same_page_of_the_list(client, four_judge_panel, monkeypatch):
    import web.judging_views
    monkeypatch.setattr(web.judging_views, "CASES_PER_PAGE", 1)
    login(client, "staff")
    url = "/judging/104/screening/assignments"
    page = text(client.get(f"{url}?region=第二區&page=1"))
    assert '<input type="hidden" name="region" value="第二區">' in page
    pending = assignment("judge4", four_judge_panel.cases[1])
    response = client.post(f"/judging/assignments/{pending.id}/unassign",
                           data={"csrf_token": csrf_token(client, url), "region": "第二區",
                                 "page": "2"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}?region=%E7%AC%AC%E4%BA%8C%E5%8D%80&page=2"


def test_staff_remove_an_assignment_but_not_a_submitted_one(client, four_judge_panel):
    stage = get_stage(104, "screening")
    record_scores([ScoreEntry("judge4", four_judge_panel.cases[1].id, dict(FULL))], stage=stage,
                  submit=True)
    login(client, "staff")
    url = "/judging/104/screening/assignments"
    page = text(client.get(url))
    pending = assignment("judge3", four_judge_panel.cases[0])
    submitted = assignment("judge4", four_judge_panel.cases[1])
    assert f"/judging/assignments/{pending.id}/unassign" in page
    assert f"/judging/assignments/{submitted.id}/unassign" not in page
    token = csrf_token(client, url)
    response = client.post(f"/judging/assignments/{pending.id}/unassign",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "已取消指派" in text(response)
    assert Assignment.get_or_none(Assignment.id == pending.id) is None
    response = client.post(f"/judging/assignments/{submitted.id}/unassign",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "評審已送出此案評分，不能取消指派" in text(response)
    assert Assignment.get_or_none(Assignment.id == submitted.id) is not None


def test_staff_see_ties_and_declared_conflicts_and_set_an_onsite_panel(client, four_judge_panel):
    set_judge_profile("judge4", counties=["新竹市"], fields=["交通建設"])
    declare_conflict("judge2", four_judge_panel.cases[1].id, "親屬任職")
    Case.update(status="nominated").execute()
    login(client, "staff")
    url = "/judging/104/onsite/assignments"
    page = text(client.get(url))
    assert "新竹市" in page and "交通建設" in page and "親屬任職" in page
    assert page.count('name="judges"') == 3 * 4  # each region lists every judge
    token = csrf_token(client, url)
    response = client.post("/judging/104/onsite/panel",
                           data={"csrf_token": token, "region": "第二區",
                                 "judges": ["judge1", "judge4"]})
    assert response.status_code == 400
    assert "judge4 評審與新竹市有利益關係" in text(response)
    response = client.post("/judging/104/onsite/panel",
                           data={"csrf_token": token, "region": "第一區",
                                 "judges": ["judge1", "judge3"]}, follow_redirects=True)
    assert "第一區：已新增 2 筆指派" in text(response)
    onsite = Assignment.select().where(Assignment.stage == get_stage(104, "onsite").id)
    assert sorted(a.judge.login for a in onsite) == ["judge1", "judge3"]
    assert {a.case_id for a in onsite} == {four_judge_panel.cases[0].id}



def test_the_assignments_page_reads_judges_profiles_and_conflicts_whatever_their_number(
        client, four_judge_panel, make_user):
    def statements() -> int:
        client.get("/judging/104/screening/assignments")  # warm: first-use caches are not rows
        with counted_queries() as sent:
            page = text(client.get("/judging/104/screening/assignments"))
        assert "親屬任職" in page and "交通建設" in page
        return len(sent)
    set_judge_profile("judge4", counties=["新竹市"], fields=["交通建設"])
    declare_conflict("judge2", four_judge_panel.cases[1].id, "親屬任職")
    login(client, "staff")
    few = statements()
    for n in range(5, 9):
        make_user("judge", login=f"judge{n}")
        set_judge_profile(f"judge{n}", fields=["交通建設"])
        declare_conflict(f"judge{n}", four_judge_panel.cases[0].id, "親屬任職")
    assert statements() == few


def test_a_judges_page_reads_the_same_statements_whatever_the_number_of_years(client, four_judge_panel):
    def statements() -> int:
        client.get("/judging/")  # warm: first-use caches are not rows
        with counted_queries() as sent:
            page = text(client.get("/judging/"))
        assert four_judge_panel.cases[0].title in page and "104-TPE-001" in page
        return len(sent)
    login(client, "judge1")
    one_year = statements()
    for year in (101, 102, 103):
        create_edition(year, load_reference()["edition"])
    assert statements() == one_year

def _fill_sheet(data: bytes, values: dict) -> bytes:
    """A downloaded score sheet with ``values`` typed into its first case row."""
    workbook = load_workbook(BytesIO(data))
    sheet = workbook["評分表"]
    headers = [str(cell.value or "") for cell in sheet[1]]
    for name, value in values.items():
        column = next(i for i, h in enumerate(headers, start=1) if h.startswith(name))
        sheet.cell(row=2, column=column, value=value)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(client, url: str, page: str, data: bytes, dry_run: bool = False):
    """Upload a workbook through the form on ``page``."""
    form = {"csrf_token": csrf_token(client, page), "workbook": (BytesIO(data), "sheet.xlsx")}
    if dry_run:
        form["dry_run"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def test_judge_downloads_fills_and_uploads_a_score_sheet(client, four_judge_panel):
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "judge3")
    assert "/judging/104/screening/scoresheet" in text(client.get("/judging/"))
    response = client.get("/judging/104/screening/scoresheet")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert saved_name(response) == "評分表_民國104年_書面篩選_測試judge.xlsx"
    filled = _fill_sheet(response.data, {"創新度": 19, "應用性": 30})

    response = upload(client, "/judging/upload", "/judging/", filled)
    assert response.status_code == 400
    assert "「評分表」" in text(response) and "30 超過配分 25" in text(response)
    assert stored(own.id) == {}

    filled = _fill_sheet(filled, {"應用性": 22.5})
    response = upload(client, "/judging/upload", "/judging/", filled, dry_run=True)
    assert response.status_code == 200 and "檢查完成" in text(response)
    assert "創新度 空白 → 19" in text(response) and stored(own.id) == {}
    response = upload(client, "/judging/upload", "/judging/", filled)
    assert "匯入完成" in text(response)
    assert stored(own.id) == {"創新度": 19.0, "應用性": 22.5}

    login(client, "judge4")
    response = upload(client, "/judging/upload", "/judging/", filled)
    assert response.status_code == 400 and "這是 judge3 的評分表，不是您的" in text(response)


def test_staff_download_and_upload_the_combined_score_table(client, four_judge_panel):
    login(client, "staff")
    page = "/judging/104/screening/assignments"
    response = client.get("/judging/104/screening/scores.xlsx")
    assert response.status_code == 200 and saved_name(response) == "評分總表_民國104年_書面篩選.xlsx"
    workbook = load_workbook(BytesIO(response.data))
    sheet = workbook["評分總表"]
    headers = [str(cell.value or "") for cell in sheet[1]]
    column = headers.index("創新度（20）") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column, value=14)
    output = BytesIO()
    workbook.save(output)
    response = upload(client, "/judging/104/screening/scores", page, output.getvalue(),
                      dry_run=True)
    assert "檢查完成" in text(response) and "變更 6 件" in text(response)
    assert Score.select().count() == 0
    response = upload(client, "/judging/104/screening/scores", page, output.getvalue())
    assert "匯入完成" in text(response) and Score.select().count() == 6
    response = upload(client, "/judging/104/onsite/scores", page, output.getvalue())
    assert response.status_code == 400 and "不是民國104年「分區評選」" in text(response)


def test_a_judge_records_tied_counties_and_loses_those_assignments(client, make_user, edition):
    from kb.assignments import list_assignments
    from kb.conflicts import judge_profile

    taipei = create_case(104, case_input(title="臺北案", county="臺北市", agency="臺北市政府"))
    create_case(104, case_input(title="新北案", county="新北市", agency="新北市政府"))
    for n in range(1, 4):
        make_user("judge", login=f"judge{n:02d}")
    assign_screening(104)
    login(client, "judge01")
    data = {"csrf_token": csrf_token(client, "/judging/profile"), "counties": ["臺北市"],
            "fields": ["社會福利"]}
    preview = client.post("/judging/profile", data=data).get_data(as_text=True)
    assert "儲存後將撤回您的 1 筆指派" in preview and "臺北案" in preview  # nothing saved yet
    judge = User.get(User.login == "judge01")
    assert judge_profile(judge).counties == []
    response = client.post("/judging/profile", data={**data, "confirm": "yes"},
                           follow_redirects=True)
    assert "已更新利益關係縣市與專長領域，撤回 1 筆指派" in response.get_data(as_text=True)
    assert judge_profile(judge).counties == ["臺北市"]
    assert taipei.id not in {a.case_id for a in list_assignments(104, "screening", judge=judge)}
