"""Refined write-ups in the browser: the county contact's edit page with key figures and photos,
staff approval, the case page, staff's progress overview, and the year's anthology download."""
from __future__ import annotations

import html
import re
import subprocess
from io import BytesIO

import pytest
from PIL import Image

import web.writeup_views
from helpers import (browser_login, browser_test, case_input, csrf_token, login,
                      needs_poppler)
from kb.cases import SECTIONS, case_sections, create_case
from kb.models import Case, CasePhoto
from kb.writeups import (Figure, add_photo, approve_refined, remove_photo, save_refined_writeup,
                         writeup_state)

REFINED = {key: f"精進版{label}：導入參與式預算。" for key, label in SECTIONS}


def shown(response) -> str:
    """A response's page as text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def words(response) -> str:
    """A page's text as a person reads it: tags removed, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", shown(response)).split())


def png(size=(1200, 800)) -> bytes:
    """A PNG photo."""
    buffer = BytesIO()
    Image.new("RGB", size, (60, 140, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def form_fields(sections: dict[str, str], figures: list[tuple[str, str, str, str]]) -> dict:
    """The edit form's inputs for these sections and key-figure rows."""
    fields = {f"sections_{key}": text for key, text in sections.items()}
    for n, row in enumerate(figures):
        fields.update({f"figures-{n}-{name}": value
                       for name, value in zip(("indicator", "before", "after", "unit"), row)})
    return fields


def save(client, case_id: int, sections=REFINED, figures=()):
    """Send the edit form, as the signed-in user, with the page's CSRF token."""
    url = f"/cases/{case_id}/refined"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, **form_fields(sections, list(figures))})


def upload(client, case_id: int, data: bytes, caption: str):
    """Send the photo form."""
    token = csrf_token(client, f"/cases/{case_id}/refined")
    return client.post(f"/cases/{case_id}/refined/photos", content_type="multipart/form-data",
                       data={"csrf_token": token, "caption": caption,
                             "photo": (BytesIO(data), "photo.png")})


def post(client, url: str, case_id: int):
    """A button's POST (remove, approve) with the edit page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client, f"/cases/{case_id}/refined")})


def visitor(client):
    """Another, signed-out client of the same app."""
    return client.application.test_client()


def test_the_county_contact_writes_the_refined_version_and_sees_errors_in_zh_tw(client, winners):
    login(client, "tpe")
    case = shown(client.get(f"/cases/{winners.tpe}"))
    assert "撰寫精進案例" in case and "尚未撰寫精進版，彙編將印原送件版本" in case
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "背景與問題的說明文字。" in edit  # starts from the submitted text

    refused = save(client, winners.tpe, {**REFINED, "background": ""},
                   [("服務人次", "1,200", "3,450", "人次"), ("", "", "", ""), ("", "5", "9", "處")])
    assert refused.status_code == 400
    text = shown(refused)
    assert "背景與問題：必須填寫" in text
    assert "第3列關鍵數據須填寫指標名稱" in text  # the row the person sees, blank rows counted
    assert 'value="服務人次"' in text  # what was typed stays
    assert writeup_state(Case.get_by_id(winners.tpe)) == "submitted"

    saved = save(client, winners.tpe, REFINED, [("服務人次", "1,200", "3,450", "人次")])
    assert saved.status_code == 302
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "已儲存精進案例" in edit
    assert "精進版待核定，彙編目前仍印原送件版本" in edit
    assert "精進版背景與問題：導入參與式預算。" in edit and 'value="3,450"' in edit
    assert 'id="figures-1-indicator"' in edit  # blank rows to add more


def test_the_county_contact_uploads_and_removes_a_photo(client, winners, home):
    login(client, "tpe")
    early = upload(client, winners.tpe, png(), "共餐現場")
    assert early.status_code == 400 and "請先儲存精進案例內容，再上傳照片" in shown(early)
    save(client, winners.tpe)
    not_a_photo = upload(client, winners.tpe, b"%PDF-1.4 not a photo", "x")
    assert not_a_photo.status_code == 400
    assert "無法讀取照片，請上傳 JPEG 或 PNG 檔" in shown(not_a_photo)

    assert upload(client, winners.tpe, png(), "長者共餐合影").status_code == 302
    photo = CasePhoto.get()
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "長者共餐合影" in edit and f'src="/photos/{photo.id}"' in edit
    assert "照片（1／4 張）" in edit
    with client.get(f"/photos/{photo.id}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert visitor(client).get(f"/photos/{photo.id}").status_code == 404  # not approved yet

    removed = post(client, f"/photos/{photo.id}/remove", winners.tpe)
    assert removed.status_code == 302
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "已移除照片" in edit and "長者共餐合影" not in edit
    assert not (home / "uploads" / photo.filename).exists()


def test_a_case_that_was_not_selected_has_no_refined_write_up(client, winners):
    plain = create_case(104, case_input(title="未入選的案例"))
    login(client, "tpe")
    refused = client.get(f"/cases/{plain.id}/refined")
    assert refused.status_code == 400
    assert "只有已公布的標竿案例與佳作可以撰寫精進案例" in shown(refused)
    assert "撰寫精進案例" not in shown(client.get(f"/cases/{plain.id}"))


def test_another_countys_contact_may_not_write_or_approve(client, winners):
    login(client, "ntpc")
    assert "撰寫精進案例" not in shown(client.get(f"/cases/{winners.tpe}"))
    refused = client.get(f"/cases/{winners.tpe}/refined")
    assert refused.status_code == 403
    assert "只有主辦機關或該縣市承辦人可以撰寫精進案例" in shown(refused)
    token = csrf_token(client, f"/cases/{winners.ntpc}/refined")  # their own case is fine
    assert client.post(f"/cases/{winners.tpe}/refined",
                       data={"csrf_token": token, **form_fields(REFINED, [])}).status_code == 403
    save(client, winners.ntpc)
    assert client.post(f"/cases/{winners.ntpc}/refined/approve",
                       data={"csrf_token": token}).status_code == 403
    assert client.get("/results/104/writeups").status_code == 403
    assert writeup_state(Case.get_by_id(winners.ntpc)) == "refined_pending"


def test_staff_approve_and_the_case_page_shows_the_refined_version(client, winners, home):
    save_refined_writeup(winners.tpe, REFINED, [Figure("服務人次", "1,200", "3,450", "人次")])
    photo = add_photo(winners.tpe, png(), "長者共餐合影", uploads=home / "uploads")
    public = visitor(client)
    before = shown(public.get(f"/cases/{winners.tpe}"))
    assert "背景與問題的說明文字。" in before and "服務人次" not in before

    login(client, "staff")
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "核定精進版" in edit
    assert post(client, f"/cases/{winners.tpe}/refined/approve", winners.tpe).status_code == 302
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "精進版已核定，彙編將印此版本" in edit and "核定精進版" not in edit

    after = shown(public.get(f"/cases/{winners.tpe}"))
    assert "精進版背景與問題：導入參與式預算。" in after
    assert "關鍵績效指標" in after and "3,450" in after
    assert "長者共餐合影" in after and f'src="/photos/{photo.id}"' in after
    assert "撰寫精進案例" not in after  # a visitor may not write
    with public.get(f"/photos/{photo.id}") as served:
        assert served.status_code == 200


def test_the_overview_says_which_version_the_anthology_prints(client, winners):
    save_refined_writeup(winners.tpe, REFINED, [Figure("服務人次", "1,200", "3,450", "人次")])
    approve_refined(winners.tpe)
    save_refined_writeup(winners.ntpc, REFINED, [])
    login(client, "staff")
    results = shown(client.get("/results/104"))
    assert "下載標竿案例彙編（PDF）" in results and "精進案例進度" in results
    response = client.get("/results/104/writeups")
    assert "精進版已核定 1 件、待核定 1 件、尚未撰寫 0 件" in words(response)
    overview = shown(response)
    rows = {title: overview[overview.index(title):].split("</tr>")[0]
            for title in ("銀髮共餐據點擴展計畫", "新北市老屋共生宿舍計畫")}
    assert "已核定" in rows["銀髮共餐據點擴展計畫"] and "<td>精進版</td>" in rows["銀髮共餐據點擴展計畫"]
    assert "1 項" in rows["銀髮共餐據點擴展計畫"]
    assert "待核定" in rows["新北市老屋共生宿舍計畫"]
    assert "<td>原送件版本</td>" in rows["新北市老屋共生宿舍計畫"]
    assert "第一區" in overview
    assert "精進案例進度" not in shown(visitor(client).get("/results/104"))


def pdf_text(data: bytes, tmp_path) -> str:
    """The text of a PDF, line breaks and spaces removed."""
    path = tmp_path / "book.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.replace("\n", "").replace(" ", "")


@needs_poppler
def test_the_anthology_download_is_built_once_and_rebuilt_when_the_book_changes(
        client, winners, home, tmp_path, monkeypatch):
    public = visitor(client)
    first = public.get("/results/104/anthology.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    text = pdf_text(first.data, tmp_path)
    assert "銀髮共餐據點擴展計畫" in text and "新北市老屋共生宿舍計畫" in text
    cached = list((home / "exports").glob("anthology-104-*.pdf"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.data

    def no_build(*args, **kwargs):
        raise AssertionError("the cached book should have been served")

    with monkeypatch.context() as patch:
        patch.setattr(web.writeup_views, "build_anthology", no_build)
        assert public.get("/results/104/anthology.pdf").data == first.data

    save_refined_writeup(winners.tpe, REFINED, [Figure("服務人次", "1,200", "3,450", "人次")])
    unchanged = public.get("/results/104/anthology.pdf")  # not approved: the same book
    assert unchanged.data == first.data
    approve_refined(winners.tpe)
    approved = public.get("/results/104/anthology.pdf")
    assert "精進版背景與問題：導入參與式預算。" in pdf_text(approved.data, tmp_path)
    assert "3,450" in pdf_text(approved.data, tmp_path)
    now_cached = list((home / "exports").glob("anthology-104-*.pdf"))
    assert len(now_cached) == 1 and now_cached[0] != cached[0]  # the old book is gone


def test_adding_or_removing_a_photo_changes_the_printed_book(winners, home):
    from exports.anthology import book_stamp
    from kb.anthology import anthology_for_year

    uploads = home / "uploads"
    save_refined_writeup(winners.tpe, REFINED, [])
    approve_refined(winners.tpe)
    stamps = [book_stamp(anthology_for_year(104, uploads=uploads))]
    updated = Case.get_by_id(winners.tpe).updated_at
    photo = add_photo(winners.tpe, png(), "開幕", uploads=uploads)
    case = Case.get_by_id(winners.tpe)
    assert case.updated_at > updated  # the case changed: search and the last-edit time see it
    assert writeup_state(case) == "refined_pending"  # an added photo needs approval again
    assert case_sections(case)["background"] == "背景與問題的說明文字。"
    approve_refined(winners.tpe)
    stamps.append(book_stamp(anthology_for_year(104, uploads=uploads)))
    updated = Case.get_by_id(winners.tpe).updated_at
    remove_photo(photo.id, uploads=uploads)
    assert Case.get_by_id(winners.tpe).updated_at > updated
    stamps.append(book_stamp(anthology_for_year(104, uploads=uploads)))
    assert stamps[1] != stamps[0]  # the photo is printed
    assert stamps[2] == stamps[0]  # removed: the same book as before the photo


def test_nothing_published_gives_a_404_with_a_message(client, edition):
    missing = client.get("/results/104/anthology.pdf")
    assert missing.status_code == 404
    assert "民國104年尚無已公布的標竿案例或佳作" in shown(missing)
    assert "下載標竿案例彙編（PDF）" not in shown(client.get("/results/104"))
    assert client.get("/results/99/anthology.pdf").status_code == 404


@pytest.mark.browser
@browser_test
def test_the_refined_write_up_works_from_the_keyboard(live_server, page, winners, tmp_path):  # noqa: F811
    photo = tmp_path / "photo.png"
    photo.write_bytes(png())
    browser_login(page, live_server, "tpe")
    page.goto(f"{live_server}/cases/{winners.tpe}/refined")
    page.get_by_label("第1列指標").focus()
    for value in ("服務人次", "1,200", "3,450", "人次"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "figures-1-indicator"
    page.get_by_role("button", name="儲存精進案例").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已儲存精進案例" in page.inner_text("main")
    assert page.get_by_label("第1列推動後").input_value() == "3,450"

    page.get_by_label("照片檔案（JPEG 或 PNG）").set_input_files(str(photo))
    page.get_by_label("照片說明").focus()
    page.keyboard.type("長者共餐合影")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("img", name="長者共餐合影").is_visible()
    page.get_by_role("button", name="移除照片：長者共餐合影").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已移除照片" in page.inner_text("main")
    assert page.get_by_role("img", name="長者共餐合影").count() == 0


def test_the_refined_form_says_its_limits_before_typing_and_counts_as_one_types(client, winners):
    """Each section shows its limit and a counter (web/static/forms.js, no inline script); the
    photo caption too."""
    login(client, "tpe")
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    for key, label in SECTIONS:
        assert re.search(rf'<small id="sections_{key}-help">最多 32,767 字。</small>', edit)
        assert re.search(rf'<textarea[^>]*data-max="32767"[^>]*id="sections_{key}"'
                         rf'|<textarea[^>]*id="sections_{key}"[^>]*data-max="32767"', edit)
        assert f'id="sections_{key}-count"' in edit
    assert "forms.js" in edit and "<script>" not in edit
    save(client, winners.tpe, REFINED, [])  # photos come once the refined text is saved
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert 'data-max="200"' in edit and 'id="caption-count"' in edit and "200 字以內" in edit
