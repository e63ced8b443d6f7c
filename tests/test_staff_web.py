"""Staff run the year from the browser: years and settings, accounts and judges, bulk import,
the screening panel, the search index page and the audit trail."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from helpers import case_input, csrf_token, login
from exports.account_workbook import build_account_template, read_account_workbook
from kb.account_import import account_choices, import_accounts
from kb.assignments import assign_screening, list_assignments
from kb.case_codes import case_code
from kb.cases import create_case
from kb.conflicts import judge_profile
from kb.editions import edition_settings, get_edition
from kb.errors import ValidationError
from kb.models import AuditLog, Criterion, User
from kb.search import case_search
from web import admin_views


@pytest.fixture
def staff(client, make_user):
    make_user("staff", login="boss")
    login(client, "boss")
    return client


def post(client, url, data, page=None, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)}, **kwargs)


def settings_form(settings: dict, **changes) -> dict:
    """The settings editor's form fields for ``settings`` (as the page fills them)."""
    data = {}
    for section, names in (("regions", ("name", "counties")),
                           ("categories", ("name", "priority", "description")),
                           ("criteria", ("name", "points", "description"))):
        data[f"{section}-count"] = str(len(settings[section]) + 3)
        for number, row in enumerate(settings[section], 1):
            for name in names:
                value = row[name]
                data[f"{section}-{number}-{name}"] = "、".join(value) if isinstance(value, list) \
                    else str(value)
    for number, stage in enumerate(settings["stages"], 1):
        data[f"stages-{number}-name"] = stage["name"]
        data[f"stages-{number}-weight"] = f"{stage['weight'] * 100:g}"
    for key, value in settings["quotas"].items():
        data[f"quotas-{key}"] = str(value)
    data.update(judges_per_case=str(settings["judges_per_case"]),
                aggregation=settings["aggregation"], trim_min_judges="5", rubric_total="100",
                tie_break="分區評選\n應用性", action="save")
    data.update(changes)
    return data


THREE_CRITERIA = {"criteria-count": "8",
                  "criteria-1-name": "可行性", "criteria-1-points": "40", "criteria-1-description": "",
                  "criteria-2-name": "創意性", "criteria-2-points": "30", "criteria-2-description": "",
                  "criteria-3-name": "外溢性", "criteria-3-points": "30", "criteria-3-description": "",
                  **{f"criteria-{n}-{f}": "" for n in (4, 5) for f in ("name", "points", "description")},
                  "tie_break": "分區評選\n外溢性"}


def test_staff_pages_are_for_staff_only(client, make_user):
    make_user("judge", login="judge1")
    login(client, "judge1")
    for url in ("/staff/", "/staff/years/", "/staff/years/104/settings", "/staff/accounts/",
                "/staff/audit", "/staff/index", "/staff/years/104/panel"):
        assert client.get(url).status_code == 403, url


def test_a_year_is_created_from_a_year_in_the_browser(staff):
    response = post(staff, "/staff/years/new", {"year": "105", "source": "104"},
                    page="/staff/years/", follow_redirects=True)
    assert "已建立民國105年地方治理標竿論壇" in response.get_data(as_text=True)
    assert edition_settings(get_edition(105))["criteria"] == edition_settings(get_edition(104))["criteria"]
    again = post(staff, "/staff/years/new", {"year": "105", "source": ""}, page="/staff/years/")
    assert again.status_code == 400 and "民國105年的論壇已經存在" in again.get_data(as_text=True)


def test_a_long_typed_year_is_repeated_cut_short(staff):
    typed = "一百零五" * 50
    refused = post(staff, "/staff/years/new", {"year": typed, "source": ""}, page="/staff/years/")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and f"年度「{typed[:40]}…」不是民國年" in page
    assert typed[:41] not in page.replace(f'value="{typed}"', "")  # the field keeps what was typed


def test_the_settings_editor_changes_the_rubric_to_a_second_forums(staff, edition):
    url = "/staff/years/104/settings"
    page = staff.get(url).get_data(as_text=True)
    assert 'value="創新度"' in page and "議程與證書" in page
    data = settings_form(edition_settings(edition), **THREE_CRITERIA)
    response = post(staff, url, data, follow_redirects=True)
    assert "已儲存設定" in response.get_data(as_text=True)
    assert [c.name for c in get_edition(104).criteria.order_by(Criterion.position)] == [
        "可行性", "創意性", "外溢性"]
    assert get_edition(104).rules.tie_break == ("onsite", "criterion:外溢性")


@pytest.mark.parametrize("changes, message, field_id", [
    ({"criteria-1-points": "10"}, "評選指標配分合計 90 分，與總分 100 分不符", None),
    ({"stages-1-weight": "50"}, "各評選階段權重合計須為 1（100%），目前為 1.1", None),
    ({"regions-2-counties": "臺北市、新竹縣"}, "縣市「臺北市」同時屬於「第一區」與「第二區」",
     "regions-2-counties"),
    ({"tie_break": "分區評選\n創意性"}, "比序規則第 2 項的評選指標「創意性」不在本年度的評選指標中",
     None),
    ({"quotas-cases_per_county": "十"}, "每縣市送件上限須為整數", "quotas-cases_per_county"),
])
def test_a_bad_setting_is_refused_on_the_page_naming_the_field(staff, edition, changes, message,
                                                                field_id):
    url = "/staff/years/104/settings"
    before = edition_settings(edition)
    response = post(staff, url, settings_form(before, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    if field_id:
        assert f'id="{field_id}"' in page and f'aria-describedby="{field_id}-error"' in page
    assert edition_settings(get_edition(104)) == before


def test_once_scored_the_page_shows_what_changes_and_asks_for_a_reason(staff, scored):
    edition = scored
    url = "/staff/years/104/settings"
    data = settings_form(edition_settings(edition), **{"stages-1-weight": "50",
                                                        "stages-2-weight": "50"})
    refused = post(staff, url, data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "「書面篩選」權重 40% → 50%" in page and "須註明理由" in page
    saved = post(staff, url, {**data, "reason": "評審會議決議"}, follow_redirects=True)
    assert "已儲存設定" in saved.get_data(as_text=True)
    orphan = post(staff, url, settings_form(edition_settings(get_edition(104)), **THREE_CRITERIA,
                                            reason="改用新指標"))
    assert orphan.status_code == 400
    assert "評選指標「創新度」已有 1 筆評分，不能刪除或改名" in orphan.get_data(as_text=True)


def test_an_account_gets_a_temporary_password_that_must_be_changed(staff, app):
    response = post(staff, "/staff/accounts/new",
                    {"login": "lin.judge", "name": "林評審", "role": "judge", "county": "",
                     "email": "lin@example.org"})
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    temporary = page.split('id="temporary-password" class="case-id">')[1].split("<")[0]
    user = User.get(User.login == "lin.judge")
    assert user.must_change_password and temporary not in user.password_hash
    judge = app.test_client()
    login(judge, "lin.judge", temporary)
    assert judge.get("/judging/").headers["Location"].endswith("/account/password")
    bad = post(judge, "/account/password", {"current": temporary, "new": "short", "confirm": "short"})
    assert bad.status_code == 400 and "新密碼至少需要 8 個字元" in bad.get_data(as_text=True)
    post(judge, "/account/password", {"current": temporary, "new": "my-own-pass-1",
                                      "confirm": "my-own-pass-1"})
    assert judge.get("/judging/").status_code == 200
    assert "林評審" in judge.get("/account/").get_data(as_text=True)


def test_staff_edit_deactivate_reactivate_and_reset(staff, app, make_user):
    make_user("county", login="tpe", county="臺北市")
    url = "/staff/accounts/tpe"
    post(staff, url, {"part": "account", "name": "王承辦", "role": "county", "county": "台中市",
                      "email": ""})
    assert User.get(User.login == "tpe").county.name == "臺中市"
    bad = post(staff, url, {"part": "account", "name": "王承辦", "role": "county", "county": "",
                            "email": "x"})
    assert bad.status_code == 400 and "縣市承辦人必須指定縣市" in bad.get_data(as_text=True)
    post(staff, url + "/active", {"active": "0"}, page=url)
    other = app.test_client()
    assert "帳號或密碼錯誤，或帳號已停用" in login(other, "tpe").get_data(as_text=True)
    post(staff, url + "/active", {"active": "1"}, page=url)
    reset = post(staff, url + "/reset", {}, page=url).get_data(as_text=True)
    temporary = reset.split('id="temporary-password" class="case-id">')[1].split("<")[0]
    assert "歡迎" in login(other, "tpe", temporary).get_data(as_text=True)
    assert [a.action for a in AuditLog.select().where(AuditLog.table == "user")
            .order_by(AuditLog.id)][-4:] == ["update_user", "deactivate_user", "reactivate_user",
                                            "reset_password"]
    assert "password_hash" not in staff.get("/staff/accounts/").get_data(as_text=True)


def test_a_judges_tied_county_shows_the_withdrawals_before_saving(staff, make_user):
    for n in range(3):
        make_user("judge", login=f"judge{n}")
    case = create_case(104, case_input())
    assign_screening(104)
    url = "/staff/accounts/judge0"
    data = {"part": "profile", "title": "教授", "affiliation": "政治大學", "counties": "臺北市",
            "fields": "社會福利"}
    shown = post(staff, url, data)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 409 and "儲存後將撤回 1 筆指派" in page and f"案例 {case_code(case)}" in page
    assert judge_profile(User.get(User.login == "judge0")).counties == []
    post(staff, url, {**data, "confirm": "yes"})
    assert judge_profile(User.get(User.login == "judge0")).counties == ["臺北市"]
    assert "judge0" not in {a.judge.login for a in list_assignments(104, "screening")}


def account_sheet(rows, header=("姓名", "帳號", "角色", "電子郵件", "服務縣市", "職稱", "服務單位",
                                "專長領域", "利益關係縣市")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "帳號"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


JUDGES = [("陳教授", "chen", "評審委員", "chen@example.org", "", "教授", "臺灣大學", "社會福利、環境保護", "台北市"),
          ("吳研究員", "wu", "評審委員", "", "", "研究員", "中研院", "", ""),
          ("李承辦", "li.tnn", "縣市承辦人", "", "台南市", "", "", "", "")]


def test_the_template_round_trips_and_reimport_updates(edition):
    template = build_account_template(account_choices())
    assert load_workbook(BytesIO(template)).sheetnames[:2] == ["帳號", "選項"]
    assert read_account_workbook(template) == []
    report = import_accounts(read_account_workbook(account_sheet(JUDGES)))
    assert [row["login"] for row in report.created] == ["chen", "wu", "li.tnn"]
    assert all(len(row["password"]) >= 8 for row in report.created)
    assert judge_profile(User.get(User.login == "chen")).counties == ["臺北市"]
    changed = [JUDGES[0][:6] + ("政治大學",) + JUDGES[0][7:], *JUDGES[1:]]
    again = import_accounts(read_account_workbook(account_sheet(changed)))
    assert again.created == [] and again.updated == ["chen"] and again.unchanged == ["wu", "li.tnn"]
    assert User.select().count() == 3


@pytest.mark.parametrize("row, message", [
    (("王", "wang", "評審", "", "", "", "", "", ""), "「帳號」第3列「角色」（C欄）：「評審」不是可匯入的角色"),
    (("王", "wang", "評審委員", "not-mail", "", "", "", "", ""), "第3列「電子郵件」（D欄）：「not-mail」不是有效的電子郵件地址"),
    (("王", "wang", "縣市承辦人", "", "", "", "", "", ""), "第3列「服務縣市」（E欄）：縣市承辦人必須指定縣市"),
    (("王", "wang", "評審委員", "", "", "", "", "", "火星市"), "第3列「利益關係縣市」（I欄）：「火星市」不是縣市名稱"),
    (("王", "wang", "評審委員", "", "", "", "", "園藝", ""), "第3列「專長領域」（H欄）：「園藝」不是任何年度的徵求類別"),
    (("王", "chen", "評審委員", "", "", "", "", "", ""), "第3列「帳號」（B欄）：帳號「chen」與第2列重複"),
    (("", "wang", "評審委員", "", "", "", "", "", ""), "第3列「姓名」（A欄）：必須填寫"),
    (("王", "w a n g", "評審委員", "", "", "", "", "", ""), "第3列「帳號」（B欄）：帳號須為 2–40 個英數字"),
])
def test_a_bad_cell_is_named_and_nothing_is_imported(edition, row, message):
    with pytest.raises(ValidationError) as error:
        import_accounts(read_account_workbook(account_sheet([JUDGES[0], row])))
    assert message in str(error.value)
    assert User.select().count() == 0


def test_an_import_cannot_change_a_staff_account(edition, make_user):
    make_user("staff", login="chen")
    with pytest.raises(ValidationError, match="帳號「chen」已存在且角色為「主辦機關承辦人」"):
        import_accounts(read_account_workbook(account_sheet(JUDGES[:1])))


def test_import_from_the_browser_shows_the_passwords_once(staff):
    template = staff.get("/staff/accounts/template.xlsx")
    assert template.status_code == 200 and load_workbook(BytesIO(template.data)).active.title == "帳號"
    token = csrf_token(staff, "/staff/accounts/import")
    bad = staff.post("/staff/accounts/import", data={
        "csrf_token": token, "file": (BytesIO(account_sheet([JUDGES[0][:2] + ("x",) + JUDGES[0][3:]])),
                                      "judges.xlsx")})
    assert bad.status_code == 400 and "「帳號」第2列「角色」（C欄）" in bad.get_data(as_text=True)
    done = staff.post("/staff/accounts/import", data={
        "csrf_token": token, "file": (BytesIO(account_sheet(JUDGES)), "judges.xlsx")})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert "新增 3 個帳號" in done.get_data(as_text=True)


def test_the_screening_panel_is_what_the_auto_assignment_uses(staff, make_user):
    for n in range(5):
        make_user("judge", login=f"judge{n}")
    create_case(104, case_input())
    url = "/staff/years/104/panel"
    post(staff, url, {"judges": ["judge1", "judge2", "judge4"]})
    assert 'value="judge1" checked' in staff.get(url).get_data(as_text=True)
    post(staff, "/judging/104/screening/assign", {}, page=url)
    assert {a.judge.login for a in list_assignments(104, "screening")} == {"judge1", "judge2", "judge4"}
    bad = post(staff, url, {"judges": ["boss"]})
    assert bad.status_code == 400 and "「boss」不是啟用中的評審委員" in bad.get_data(as_text=True)


def test_the_index_page_shows_the_state_and_rebuilds(staff):
    create_case(104, case_input())
    case_search().rebuild()
    page = staff.get("/staff/index").get_data(as_text=True)
    assert "搜尋索引與資料庫一致" in page and "資料庫中的案例</dt><dd>1 件" in page
    generation = case_search().status()["generation"]
    post(staff, "/staff/index/rebuild", {}, page="/staff/index")
    admin_views.rebuild_job.wait()
    state = staff.get("/staff/index.json").get_json()
    assert state["generation"] > generation and not state["job"]["running"]
    assert state["job"]["error"] == ""


def test_the_audit_trail_filters_pages_and_exports(staff, make_user):
    make_user("judge", login="judge1")
    post(staff, "/staff/accounts/judge1/reset", {}, page="/staff/accounts/judge1")
    post(staff, "/staff/years/new", {"year": "105", "source": "104"}, page="/staff/years/")
    page = staff.get("/staff/audit?actor=boss&action=reset_password").get_data(as_text=True)
    assert "重設密碼" in page and "建立年度" not in page.split("<tbody>")[1]
    by_year = staff.get("/staff/audit?year=105").get_data(as_text=True)
    assert "建立年度" in by_year.split("<tbody>")[1] and "重設密碼" not in by_year.split("<tbody>")[1]
    judge = User.get(User.login == "judge1")
    assert "重設密碼" in staff.get(f"/staff/audit?record=user:{judge.id}").get_data(as_text=True)
    export = staff.get("/staff/audit.xlsx?actor=boss")
    sheet = load_workbook(BytesIO(export.data)).active
    assert [c.value for c in sheet[1]][:3] == ["時間", "操作者", "動作"]
    assert {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"重設密碼", "建立年度"}


def test_the_audit_trail_shows_roc_date_times_on_the_page_and_in_the_file(staff, make_user):
    make_user("judge", login="judge1")
    post(staff, "/staff/accounts/judge1/reset", {}, page="/staff/accounts/judge1")
    moment = AuditLog.select().order_by(AuditLog.id.desc()).get().at
    shown = f"民國{moment.year - 1911}年{moment.month}月{moment.day}日 {moment:%H:%M:%S}"
    rows = staff.get("/staff/audit").get_data(as_text=True).split("<tbody>")[1]
    assert shown in rows and f"{moment:%Y-%m-%d}" not in rows
    sheet = load_workbook(BytesIO(staff.get("/staff/audit.xlsx").data)).active
    times = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert shown in times and all(t.startswith("民國") for t in times)


def test_the_audit_trail_is_paged(staff, make_user):
    for n in range(admin_views.PAGE_SIZE + 1):
        make_user("researcher", login=f"r{n:03d}")
    first = staff.get("/staff/audit?action=add_user").get_data(as_text=True)
    assert "第 1／2 頁" in first
    assert "第 2／2 頁" in staff.get("/staff/audit?action=add_user&page=2").get_data(as_text=True)



def test_the_audit_filters_list_each_actor_action_and_table_once_in_order(staff, make_user):
    import re
    make_user("judge", login="judge1")
    post(staff, "/staff/accounts/judge1/reset", {}, page="/staff/accounts/judge1")
    make_user("researcher", login="r1")
    page = staff.get("/staff/audit").get_data(as_text=True)
    logged = list(AuditLog.select(AuditLog.actor, AuditLog.action, AuditLog.table).tuples())
    for name, column in (("actor", 0), ("action", 1)):
        listed = re.findall(r'<option value="([^"]+)"', page.split(f'name="{name}"')[1].split("</select>")[0])
        assert listed == sorted({row[column] for row in logged}) and len(listed) >= 1
    tables = re.findall(r'<option value="([^"]+)"', page.split('id="record-tables"')[1].split("</datalist>")[0])
    assert tables == sorted({row[2] for row in logged}) and "user" in tables
