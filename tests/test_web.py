"""The web app as people use it: signing in, sending in cases, who sees what, CSRF."""
from __future__ import annotations

import html

import pytest

from helpers import case_input, csrf_token, login
from kb.cases import SECTIONS, create_case
from kb.editions import create_edition
from kb.models import Case
from seeds import load_reference


def case_form(token: str, **changes) -> dict:
    form = {
        "csrf_token": token, "county": "臺北市", "agency": "臺北市政府社會局",
        "category": "社會福利", "title": "銀髮共餐據點擴展計畫", "summary": "設置共餐據點。",
        "keywords": "長期照顧、社區營造", "owner_name": "王文彥", "contact_name": "林佳蓉",
        "contact_phone": "02-2720-8889", "attest_own": "y", "attest_ongoing": "y",
        **{f"sections_{key}": f"{label}的內容" for key, label in SECTIONS},
    }
    form.update(changes)
    return form


def test_login_with_a_wrong_password_says_so(client, make_user):
    make_user("staff", login="staff")
    page = login(client, "staff", "wrong-password").get_data(as_text=True)
    assert "帳號或密碼錯誤" in page


def test_county_contact_sends_in_a_case_and_sees_the_count(client, make_user):
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    response = client.post("/cases/new", data=case_form(csrf_token(client, "/cases/new")),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已收件" in page and "銀髮共餐據點擴展計畫" in page
    case = Case.get()
    assert case.county.name == "臺北市" and case.keywords == ["長期照顧", "社區營造"]
    assert "已送件 <strong>1</strong> 件／上限 10 件" in client.get("/cases/new").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "messages"), [
    ({"title": "", "attest_own": None}, ["案例名稱：必須填寫", "須聲明本案為縣市自辦或成功移植他人案例"]),
    ({"contact_email": "not-an-email", "owner_phone": "call me"},
     ["聯絡人電子郵件：「not-an-email」不是有效的電子郵件地址（例如 name@city.gov.tw）",
      "案例負責人電話：「call me」不是有效的電話號碼"]),
])
def test_form_errors_are_shown_beside_the_fields(client, make_user, changes, messages):
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    form = case_form(csrf_token(client, "/cases/new"), **changes)
    form = {name: value for name, value in form.items() if value is not None}
    page = html.unescape(client.post("/cases/new", data=form).get_data(as_text=True))
    for message in messages:
        assert message in page
    assert Case.select().count() == 0


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    form = case_form("")
    del form["csrf_token"]
    response = client.post("/cases/new", data=form)
    assert response.status_code == 400
    assert "安全驗證碼" in response.get_data(as_text=True)
    assert Case.select().count() == 0


def test_county_contact_cannot_read_or_change_another_countys_case(client, make_user):
    other = create_case(104, case_input(county="新北市", agency="新北市政府社會局"))
    own = create_case(104, case_input())
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    assert client.get(f"/cases/{own.id}").status_code == 200
    assert client.get(f"/cases/{other.id}").status_code == 404
    assert client.get(f"/cases/{other.id}/edit").status_code == 404
    token = csrf_token(client, "/cases/new")
    response = client.post(f"/cases/{other.id}/edit", data=case_form(token, county="新北市"))
    assert response.status_code == 404
    assert Case.get_by_id(other.id).county.name == "新北市"
    listing = client.get("/cases/?year=104").get_data(as_text=True)
    assert own.title in listing and "共 1 件" in listing


def test_county_contact_cannot_move_a_case_to_another_county(client, make_user):
    own = create_case(104, case_input())
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    token = csrf_token(client, f"/cases/{own.id}/edit")
    response = client.post(f"/cases/{own.id}/edit", data=case_form(token, county="新北市"))
    assert response.status_code == 403
    assert Case.get_by_id(own.id).county.name == "臺北市"


def test_staff_see_every_case_and_filter_by_county(client, make_user):
    create_case(104, case_input(county="新北市", agency="新北市政府社會局", title="新北案例"))
    create_case(104, case_input(title="臺北案例"))
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get("/cases/?year=104&county=新北市").get_data(as_text=True)
    assert "新北案例" in page and "臺北案例" not in page and "共 1 件" in page


def test_visitors_see_published_cases_only(client):
    hidden = create_case(104, case_input(title="尚未公開"))
    shown = create_case(104, case_input(title="已公開案例"))
    Case.update(published=True, status="benchmark").where(Case.id == shown.id).execute()
    page = client.get("/cases/").get_data(as_text=True)
    assert "已公開案例" in page and "尚未公開" not in page
    assert client.get(f"/cases/{hidden.id}").status_code == 404
    detail = client.get(f"/cases/{shown.id}").get_data(as_text=True)
    assert "標竿案例" in detail and "02-2720-8889" not in detail


def test_the_list_shows_each_case_its_own_code_of_its_year_and_county(client):
    """A case keeps its number among its county's cases of the year even where the list shows
    some of them only (a visitor: the published ones), in every year the list shows."""
    create_edition(103, load_reference()["edition"])
    hidden = create_case(104, case_input(title="尚未公開"))
    later = create_case(104, case_input(title="臺北第二件"))
    other = create_case(104, case_input(county="新北市", agency="新北市政府社會局",
                                        title="新北第一件"))
    earlier = create_case(103, case_input(title="前一年臺北案例"))
    shown = [later, other, earlier]
    (Case.update(published=True, status="benchmark")
     .where(Case.id.in_([case.id for case in shown])).execute())
    page = client.get("/cases/").get_data(as_text=True)
    assert hidden.title not in page
    for case, code in ((later, "104-TPE-002"), (other, "104-NWT-001"), (earlier, "103-TPE-001")):
        assert f'{case.title}</a> <span class="case-id">{code}</span>' in page


def test_roles_are_checked_on_every_intake_route(client, make_user):
    assert client.get("/cases/new").status_code == 302
    make_user("judge", login="judge")
    login(client, "judge")
    assert client.get("/cases/new").status_code == 403
    assert client.get("/intake/104").status_code == 403
    token = csrf_token(client, "/login")
    assert client.post("/intake/104/toggle", data={"csrf_token": token, "open": "0"}).status_code == 403


def test_case_text_is_escaped(client):
    case = create_case(104, case_input(title="<script>alert(1)</script>"))
    Case.update(published=True).where(Case.id == case.id).execute()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_staff_close_intake_and_county_contacts_can_no_longer_edit(client, app, make_user):
    case = create_case(104, case_input())
    make_user("staff", login="staff")
    login(client, "staff")
    token = csrf_token(client, "/intake/104")
    client.post("/intake/104/toggle", data={"csrf_token": token, "open": "0", "confirmed": "1"})
    assert "已截止" in client.get("/intake/104").get_data(as_text=True)
    other = app.test_client()
    make_user("county", login="tpe", county="臺北市")
    login(other, "tpe")
    assert other.get(f"/cases/{case.id}/edit").status_code == 403


def test_staff_download_the_template_and_import_it_from_the_web(client, make_user):
    from io import BytesIO

    from openpyxl import load_workbook

    make_user("staff", login="staff")
    login(client, "staff")
    response = client.get("/cases/template/104")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    sheet = book["案例清單"]
    headers = [cell.value for cell in sheet[1]]
    values = {"縣市": "台中市", "提案機關": "臺中市政府社會局", "徵求類別": "社會福利",
              "案例名稱": "托育一條龍", "案例摘要": "整合托育資源。", "案例負責人姓名": "陳志明",
              "聯絡人姓名": "黃雅婷", "聯絡人電話": "04-2228-9111", "自辦或成功移植": "是",
              "持續推動中": "是"}
    for key, label in SECTIONS:
        values[label] = f"{label}內容"
    for column, header in enumerate(headers, 1):
        if header in values:
            sheet.cell(row=2, column=column, value=values[header])
    buffer = BytesIO()
    book.save(buffer)

    def upload(**extra):
        token = csrf_token(client, "/cases/import/104")
        return client.post("/cases/import/104", data={
            "csrf_token": token, "workbook": (BytesIO(buffer.getvalue()), "cases.xlsx"), **extra},
            content_type="multipart/form-data").get_data(as_text=True)

    assert "將新增 1 件" in upload(dry_run="y") and Case.select().count() == 0
    assert "已新增 1 件" in upload()
    assert Case.get().county.name == "臺中市"
    assert "已新增 0 件、更新 0 件，未變動 1 件" in upload()


def test_long_lists_are_paged(client, make_user):
    for n in range(55):
        county = ("臺北市", "新北市", "桃園市", "基隆市", "宜蘭縣", "花蓮縣")[n % 6]
        create_case(104, case_input(title=f"案例{n}", county=county, agency=f"{county}政府"),
                    override_reason="測試分頁")
    make_user("staff", login="staff")
    login(client, "staff")
    first = client.get("/cases/?year=104").get_data(as_text=True)
    assert "第 1／2 頁" in first and 'rel="next"' in first
    second = client.get("/cases/?year=104&page=2").get_data(as_text=True)
    assert second.count("<tr>") == 5 + 1 and 'rel="prev"' in second


def test_the_case_form_shows_limits_and_formats_before_typing(client, make_user):
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    page = html.unescape(client.get("/cases/new").get_data(as_text=True))
    assert "最多 1,000 字" in page and 'data-max="1000"' in page  # 案例摘要, with a live counter
    assert "最多 100 字" in page and "例如 name@city.gov.tw" in page and "例如 02-2720-8889" in page
    assert '<script src="/static/forms.js" defer></script>' in page and "<script>" not in page
