"""The regional forum page and the speaker registry in a real browser, from the keyboard."""
from __future__ import annotations

from helpers import BROWSER, browser_login
from kb.programme import programme_settings

pytestmark = BROWSER


def test_staff_add_a_programme_row_and_save_it_from_the_keyboard(live_server, page, edition,
                                                                 make_user):
    make_user("staff", login="office")
    rows = len(programme_settings(104)["items"])
    browser_login(page, live_server, "office")
    page.goto(f"{live_server}/programme/104/")
    page.focus("#add-row")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == f"item-{rows}-title"  # the new row
    assert "尚未儲存" in page.inner_text("main")
    page.keyboard.type("頒發感謝狀")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"item-{rows}-minutes"
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a field saves the template
    saved = programme_settings(104)["items"]
    assert (saved[-1]["title"], saved[-1]["minutes"]) == ("頒發感謝狀", 15)
    last = page.locator(".template-table tbody tr").last
    assert last.locator("td.time").inner_text() == "17:00–17:15"  # after 賦歸 at 17:00


def test_the_registry_search_and_filters_work_from_the_keyboard(live_server, page, registry):
    page.goto(f"{live_server}/speakers/")
    assert "王大明" in page.inner_text("main") and "林美玲" in page.inner_text("main")
    page.focus("input[name=q]")
    page.keyboard.type("台北市政府")  # 台 typed, 臺 stored
    with page.expect_navigation():
        page.keyboard.press("Enter")
    listed = page.inner_text("main")
    assert "王大明" in listed and "林美玲" not in listed
    assert page.input_value("input[name=q]") == "台北市政府"
