"""In a real browser (Debian's chromium driven by Playwright), from the keyboard."""
from __future__ import annotations

import re

from helpers import BROWSER, PASSWORD
from kb.cases import SECTIONS
from kb.models import Case

pytestmark = BROWSER


def test_county_contact_logs_in_and_sends_in_a_case_from_the_keyboard(live_server, page,
                                                                      make_user, tmp_path):
    make_user("county", login="tpe", county="臺北市")
    page.goto(f"{live_server}/login")
    page.wait_for_selector("#login:focus")  # the login box takes focus by itself
    page.keyboard.type("tpe")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    assert "民國104年已送件 0 件／上限 10 件" in page.inner_text("main")

    page.goto(f"{live_server}/cases/new")
    assert page.input_value("#county") == "臺北市"
    page.focus("#agency")
    page.keyboard.type("臺北市政府社會局")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "category"
    page.select_option("#category", "社會福利")
    page.fill("#title", "銀髮共餐據點擴展計畫")
    page.fill("#summary", "結合社區發展協會設置共餐據點，減少獨居長者孤立。")
    for key, label in SECTIONS:
        page.fill(f"#sections_{key}", f"{label}：本市自一百零一年起推動共餐據點。")
    page.fill("#owner_name", "王文彥")
    page.fill("#contact_name", "林佳蓉")
    page.fill("#contact_phone", "02-2720-8889")
    page.focus("#attest_own")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # focus is on the submit button
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已收件" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)
    case = Case.get()
    assert case.title == "銀髮共餐據點擴展計畫" and case.category.name == "社會福利"
    assert case.attest_own and case.attest_ongoing
