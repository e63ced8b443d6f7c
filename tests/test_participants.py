"""Participants of the regional forums: seats and a waiting list, registration by county
(form or Excel, all or nothing), check-in, printouts, contact details kept only as long as set."""
from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from helpers import csrf_token, login, needs_poppler, page_count, squeeze
from exports.participants import (Attendee, name_cards, participant_list_workbook,
                                  participant_template, read_attendance, read_participant_list,
                                  sign_in_sheet)
from kb.errors import PermissionDenied, ValidationError
from kb.participants import (AttendanceMark, ParticipantInput, cancel_participant, check_in,
                             import_attendance, list_participants, move_participant,
                             open_registration, purge_contacts, register_county_lists,
                             register_participants,
                             registration_counts)
from kb.programme import save_region_venue
from kb.querylog import counted_queries

TODAY = date(2026, 9, 1)
REGION1 = "第一區"  # 臺北市, 新北市 … (reference data)


@pytest.fixture
def opened(edition):
    open_registration(104, REGION1, seats=2, deadline=date(2026, 9, 30))
    open_registration(104, "第二區", seats=50, deadline=None)
    return edition


def people(*names: str) -> list[ParticipantInput]:
    return [ParticipantInput(name, "臺北市政府社會局", "科員", f"p{n}@gov.taipei", "素食")
            for n, name in enumerate(names)]


def statuses(year: int = 104) -> dict[str, str]:
    return {p.name: p.status for p in list_participants(year, include_cancelled=True)}


def test_seats_fill_then_wait_and_a_cancel_moves_the_first_up(opened):
    assert register_participants(104, "臺北市", people("甲", "乙", "丙", "丁"), today=TODAY) == {
        "added": 4, "updated": 0, "waiting": 2}
    assert statuses() == {"甲": "registered", "乙": "registered", "丙": "waiting", "丁": "waiting"}
    first = next(p for p in list_participants(104) if p.name == "甲")
    cancel_participant(first.id)
    assert statuses() == {"甲": "cancelled", "乙": "registered", "丙": "registered", "丁": "waiting"}
    counts = registration_counts(104)[0]
    assert (counts["seats"], counts["registered"], counts["waiting"]) == (2, 2, 1)
    assert counts["counties"] == [{"county": "臺北市", "registered": 2, "waiting": 1}]



def test_several_counties_register_at_once_in_the_order_given(opened):
    new_taipei = [ParticipantInput("戊", "新北市政府民政局"), ParticipantInput("己", "新北市政府民政局")]
    assert register_county_lists(104, [("台北市", people("甲")), ("新北市", new_taipei),
                                       ("臺中市", [ParticipantInput("庚", "臺中市政府")])],
                                 today=TODAY) == [{"added": 1, "updated": 0, "waiting": 0},
                                                  {"added": 2, "updated": 0, "waiting": 1},
                                                  {"added": 1, "updated": 0, "waiting": 0}]
    assert statuses() == {"甲": "registered", "戊": "registered", "己": "waiting", "庚": "registered"}
    assert [p.county.name for p in list_participants(104)] == ["臺北市", "新北市", "新北市", "臺中市"]
    with pytest.raises(ValidationError, match="姓名必須填寫"):  # all or nothing
        register_county_lists(104, [("臺北市", people("辛")),
                                    ("新北市", [ParticipantInput("", "新北市政府")])], today=TODAY)
    assert "辛" not in statuses()


def test_registering_many_counties_takes_as_many_statements_as_one(opened):
    def statements(lists):
        with counted_queries() as seen:
            register_county_lists(104, lists, today=TODAY)
        return len(seen)
    one = statements([("臺北市", people("甲", "乙"))])
    many = [(county, [ParticipantInput(f"{county}{n}", f"{county}政府") for n in range(5)])
            for county in ("新北市", "基隆市", "宜蘭縣", "臺中市", "彰化縣")]
    assert statements(many) == one

def test_registering_again_updates_instead_of_duplicating(opened):
    register_participants(104, "臺北市", people("甲"), today=TODAY)
    again = [ParticipantInput("甲", "臺北市政府社會局", "股長", "new@gov.taipei", "葷食")]
    assert register_participants(104, "臺北市", again, today=TODAY)["updated"] == 1
    (person,) = list_participants(104)
    assert (person.title, person.email, person.meal) == ("股長", "new@gov.taipei", "葷食")


@pytest.mark.parametrize("person, message", [
    (ParticipantInput("", "機關"), "姓名必須填寫"),
    (ParticipantInput("甲", ""), "服務機關必須填寫"),
    (ParticipantInput("甲", "機關", email="not-an-email"), "電子郵件「not-an-email」格式不正確"),
    (ParticipantInput("甲", "機關", meal="便當"), "用餐須為"),
    (ParticipantInput("甲" * 101, "機關"), "姓名最多 100 字"),
])
def test_bad_rows_refuse_the_whole_list(opened, person, message):
    with pytest.raises(ValidationError, match=message):
        register_participants(104, "臺北市", people("乙") + [person], today=TODAY)
    assert list_participants(104) == []


def test_closed_or_late_registration_and_other_counties_are_refused(opened, make_user):
    with pytest.raises(ValidationError, match="報名已於民國115年9月30日截止"):
        register_participants(104, "臺北市", people("甲"), today=date(2026, 10, 1))
    with pytest.raises(ValidationError, match="第三區成果分享目前未開放報名"):
        register_participants(104, "高雄市", people("甲"), today=TODAY)
    with pytest.raises(PermissionDenied):
        register_participants(104, "臺北市", people("甲"), today=TODAY,
                              actor=make_user("county", county="新北市"))


def test_move_and_check_in(opened):
    register_participants(104, "臺北市", people("甲", "乙", "丙"), today=TODAY)
    waiting = next(p for p in list_participants(104) if p.status == "waiting")
    moved = move_participant(waiting.id, "第二區")
    assert (moved.region.name, moved.status) == ("第二區", "registered")
    with pytest.raises(ValidationError, match="不能報到"):
        cancelled = cancel_participant(moved.id)
        check_in(cancelled.id)
    present = check_in(next(p for p in list_participants(104) if p.name == "甲").id)
    assert present.attended and registration_counts(104)[0]["attended"] == 1


def workbook_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "報名名單"
    sheet.append(["姓名", "服務機關", "職稱", "電子郵件", "用餐"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_list_round_trip_and_located_errors(opened):
    template = load_workbook(BytesIO(participant_template(104, "臺北市", REGION1)))
    assert [c.value for c in template["報名名單"][1]] == ["姓名", "服務機關", "職稱", "電子郵件", "用餐"]
    read = read_participant_list(workbook_bytes([["王小明", "臺北市政府", "科長", "a@b.tw", "素食"],
                                                 ["李小華", "臺北市政府", None, None, None]]))
    assert register_participants(104, "臺北市", read, today=TODAY)["added"] == 2
    bad = read_participant_list(workbook_bytes([["陳一", "臺北市政府", "", "壞的", ""]]))
    with pytest.raises(ValidationError, match="第 2 列：電子郵件「壞的」格式不正確"):
        register_participants(104, "臺北市", bad, today=TODAY)


@needs_poppler
def test_sign_in_sheet_and_name_cards(poppler, truetype):
    people = [Attendee("臺北市", f"人員{n}", "臺北市政府社會局", "科員") for n in range(10)]
    sheet = squeeze(poppler("pdftotext", sign_in_sheet("第一區成果分享簽到表", people)))
    assert "簽名" in sheet and "人員9" in sheet and "共10位" in sheet
    cards = name_cards("成果分享", people)
    assert page_count(cards) == 2 and "人員0" in squeeze(poppler("pdftotext", cards))


def test_contacts_are_deleted_only_after_the_retention_period(opened, make_user):
    register_participants(104, "臺北市", people("甲"), today=TODAY)
    staff = make_user("staff")
    with pytest.raises(ValidationError, match="尚未設定日期"):
        purge_contacts(104, actor=staff)
    save_region_venue(104, REGION1, "臺北市政府大禮堂", date(2015, 10, 2), actor=staff)
    with pytest.raises(ValidationError, match="保存至民國105年4月2日"):
        purge_contacts(104, today=date(2016, 1, 1), actor=staff)
    assert purge_contacts(104, today=date(2016, 5, 1), actor=staff) == 1
    assert list_participants(104)[0].email == ""


def test_county_registers_on_the_web_and_staff_check_in(client, opened, make_user):
    open_registration(104, REGION1, seats=2, deadline=None)  # the pages use today's date
    make_user("county", login="county-tpe", county="臺北市")
    login(client, "county-tpe")
    url = "/participants/104/register"
    bad = client.post(url, data={"csrf_token": csrf_token(client, url), "name": "王小明",
                                 "agency": "臺北市政府", "email": "x", "meal": "素食"})
    assert bad.status_code == 400 and "格式不正確" in bad.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "name": "王小明",
                                  "agency": "臺北市政府", "email": "x@y.tw", "meal": "素食"},
                       follow_redirects=True)
    assert "已報名 1 位" in done.get_data(as_text=True)
    assert client.get("/participants/104/").status_code == 403
    assert client.get("/participants/104/list.xlsx").status_code == 403

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    make_user("staff", login="staff1")
    login(client, "staff1")
    page = client.get("/participants/104/").get_data(as_text=True)
    assert "已報名 1 位" in page and "王小明" in page
    checkin = f"/participants/104/{REGION1}/checkin"
    person = list_participants(104)[0]
    client.post(checkin, data={"csrf_token": csrf_token(client, checkin), "participant": person.id,
                               "attended": "1"})
    assert "已報到 1 位" in client.get(checkin + "?q=王").get_data(as_text=True)
    assert client.get(f"/participants/104/{REGION1}/signin.pdf").mimetype == "application/pdf"


def test_staff_read_the_participants_a_page_at_a_time_in_constant_statements(
        client, opened, make_user, monkeypatch):
    import web.participant_views
    monkeypatch.setattr(web.participant_views, "PEOPLE_PER_PAGE", 2)
    make_user("staff", login="staff1")
    login(client, "staff1")
    register_participants(104, "臺北市", people("甲", "乙"), today=TODAY)

    def statements() -> int:
        client.get("/participants/104/")  # warm: first-use caches are not rows
        with counted_queries() as seen:
            client.get("/participants/104/")
        return len(seen)
    few = statements()
    register_participants(104, "新竹市", [ParticipantInput(n, "新竹市政府") for n in "丙丁戊"],
                          today=TODAY)
    assert statements() == few
    first = client.get("/participants/104/").get_data(as_text=True)
    assert "共 5 位，第 1–2 位" in first and "取消 甲 的報名" in first and "取消 丙 的報名" not in first
    assert 'href="/participants/104/?page=2" aria-label="第 2 頁"' in first
    assert 'href="/participants/104/?page=3" aria-label="第 3 頁"' in first
    second = client.get("/participants/104/?page=2").get_data(as_text=True)
    assert "共 5 位，第 3–4 位" in second and "取消 丙 的報名" in second and "取消 甲 的報名" not in second
    region = client.get("/participants/104/", query_string={"region": "第二區"}).get_data(as_text=True)
    assert "共 3 位，第 1–2 位" in region and "取消 甲 的報名" not in region
    assert '<option value="第二區" selected>' in region


def test_cli_open_import_list_and_print(forum, edition, tmp_path):
    assert forum("participants", "open", "--year", "104", "--region", REGION1, "--seats", "1").exit_code == 0
    sheet = tmp_path / "list.xlsx"
    sheet.write_bytes(workbook_bytes([["王小明", "臺北市政府", "", "", ""], ["李小華", "臺北市政府", "", "", ""]]))
    done = forum("participants", "import", str(sheet), "--year", "104", "--county", "臺北市")
    assert done.exit_code == 0 and "其中候補 1 位" in done.output
    listed = forum("participants", "list", "--year", "104")
    assert "已報名 1，候補 1" in listed.output
    out = tmp_path / "signin.pdf"
    assert forum("participants", "print", "--year", "104", "--region", REGION1, "--kind", "signin",
                 "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_attendance_from_a_marked_list_and_certificates(client, opened, make_user, poppler):
    register_participants(104, "臺北市", people("甲", "乙"), today=TODAY)
    rows = [{"region": REGION1, "county": "臺北市", "name": n, "agency": "臺北市政府社會局",
             "title": "", "email": "", "meal": "", "status": "已報名", "attended": False}
            for n in ("甲", "乙")]
    book = load_workbook(BytesIO(participant_list_workbook(rows)))
    book.active["I2"] = "V"
    marked = BytesIO()
    book.save(marked)
    assert import_attendance(104, read_attendance(marked.getvalue())) == 1
    assert {p.name: p.attended for p in list_participants(104)} == {"甲": True, "乙": False}
    with pytest.raises(ValidationError, match="第 1 列缺少欄位：報到"):
        read_attendance(workbook_bytes([]))
    with pytest.raises(ValidationError, match="第 3 列：丙（臺北市政府社會局）不是本年度已報名的人員"):
        import_attendance(104, [AttendanceMark("甲", "臺北市政府社會局", True, "第 2 列"),
                                AttendanceMark("丙", "臺北市政府社會局", True, "第 3 列")])

    staff = make_user("staff", login="staff1")
    login(client, "staff1")
    refused = client.get(f"/participants/104/{REGION1}/certificates.pdf")
    assert refused.status_code == 400 and "尚未設定日期" in refused.get_data(as_text=True)
    save_region_venue(104, REGION1, "臺北市政府大禮堂", date(2015, 10, 2), actor=staff)
    pdf = client.get(f"/participants/104/{REGION1}/certificates.pdf").get_data()
    text = squeeze(poppler("pdftotext", pdf))
    assert page_count(pdf) == 1 and "甲於中華民國104年10月2日參加" in text


def _form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form on ``page`` that posts to ``action``."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))


def test_after_a_move_or_a_cancel_staff_stay_on_their_page_and_filters(
        client, opened, make_user, monkeypatch):
    import web.participant_views
    monkeypatch.setattr(web.participant_views, "PEOPLE_PER_PAGE", 2)
    make_user("staff", login="staff1")
    login(client, "staff1")
    register_participants(104, "臺北市", people("甲"), today=TODAY)
    register_participants(104, "新竹市", [ParticipantInput(n, "新竹市政府") for n in "丙丁戊己庚"],
                          today=TODAY)
    ids = {p.name: p.id for p in list_participants(104)}
    asked = {"region": "第二區", "q": "新竹", "page": "2"}
    listed = client.get("/participants/104/", query_string=asked).get_data(as_text=True)
    assert "共 5 位，第 3–4 位" in listed and "取消 戊 的報名" in listed

    cancel = f"/participants/104/{ids['戊']}/cancel"
    done = client.post(cancel, data=_form_fields(listed, cancel), follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.request.args.to_dict() == asked
    assert "已取消 戊 的報名" in page and "共 4 位，第 3–4 位" in page and "取消 己 的報名" in page
    assert '<option value="第二區" selected>' in page and 'name="q" value="新竹"' in page

    move = f"/participants/104/{ids['己']}/move"
    done = client.post(move, data={**_form_fields(page, move), "region": REGION1},
                       follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.request.args.to_dict() == asked
    assert "已將 己 改至第一區" in page and "共 3 位，第 3–3 位" in page and "取消 庚 的報名" in page


def test_a_county_contact_cancels_from_their_registration_page(client, opened, make_user):
    make_user("county", login="county-tpe", county="臺北市")
    login(client, "county-tpe")
    register_participants(104, "臺北市", people("甲", "乙"), today=TODAY)
    first = list_participants(104)[0]
    url = "/participants/104/register"
    cancel = f"/participants/104/{first.id}/cancel"
    done = client.post(cancel, data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert done.request.path == url
    assert "已取消 甲 的報名" in done.get_data(as_text=True)
    assert statuses() == {"甲": "cancelled", "乙": "registered"}
