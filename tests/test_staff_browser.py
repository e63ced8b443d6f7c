"""Issue 11's "done when": staff set up a year in a real browser, from the keyboard, at phone
width — year 105 from 104, the 可行性／創意性／外溢性 rubric, two judges from Excel, a tied county,
the screening panel, the auto-assignment, and the audit entries of all of it."""
from __future__ import annotations

from helpers import BROWSER, browser_login, case_input
from kb.assignments import list_assignments
from kb.cases import create_case
from kb.conflicts import judge_profile
from kb.editions import get_edition, set_intake_open
from kb.models import Criterion, User
from test_staff_web import JUDGES, account_sheet

pytestmark = BROWSER


def retype(page, selector: str, text: str) -> None:
    """Focus a field, select what it holds and type over it (or delete it)."""
    page.focus(selector)
    page.keyboard.press("Control+A")
    if text:
        page.keyboard.type(text)
    else:
        page.keyboard.press("Delete")


def press_on(page, selector: str, key: str = "Enter") -> None:
    page.focus(selector)
    page.keyboard.press(key)


def test_staff_set_up_a_year_from_the_keyboard(live_server, page, make_user, tmp_path):
    make_user("staff", login="boss")
    page.set_viewport_size({"width": 375, "height": 800})
    browser_login(page, live_server, "boss")

    page.goto(f"{live_server}/staff/")
    press_on(page, "a[href='/staff/years/']")
    page.wait_for_url(f"{live_server}/staff/years/")
    retype(page, "#year", "105")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/years/105/settings")
    assert "已建立民國105年地方治理標竿論壇" in page.inner_text("main")

    for number, (name, points) in enumerate([("可行性", "40"), ("創意性", "30"), ("外溢性", "30")], 1):
        retype(page, f"#criteria-{number}-name", name)
        for text in (points, ""):  # the next cells of the row, reached with Tab
            page.keyboard.press("Tab")
            page.keyboard.press("Control+A")
            if text:
                page.keyboard.type(text)
            else:
                page.keyboard.press("Delete")
    for number in (4, 5):
        for part in ("name", "points", "description"):
            retype(page, f"#criteria-{number}-{part}", "")
    retype(page, "#judges_per_case", "2")
    retype(page, "#tie_break-lines", "分區評選\n外溢性")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375 + 1
    press_on(page, "button[value=preview]")
    page.wait_for_selector("#change-heading")
    assert "新增評選指標「可行性」（40 分）" in page.inner_text("#change")
    press_on(page, "button[value=save]")
    page.wait_for_selector("text=已儲存設定")
    edition = get_edition(105)
    assert [(c.name, c.points) for c in edition.criteria.order_by(Criterion.position)] == [
        ("可行性", 40), ("創意性", 30), ("外溢性", 30)]
    page.screenshot(path="/tmp/staff-settings.png", full_page=True)

    sheet = tmp_path / "judges.xlsx"
    sheet.write_bytes(account_sheet([row[:7] + ("", "") for row in JUDGES[:2]]))
    page.goto(f"{live_server}/staff/accounts/import")
    page.set_input_files("#file", str(sheet))
    press_on(page, "form[enctype] button[type=submit]")
    page.wait_for_selector("text=新增 2 個帳號")

    page.goto(f"{live_server}/staff/accounts/chen")
    press_on(page, "input[name=counties][value=臺北市]", "Space")
    press_on(page, "text=儲存評審資料")
    page.wait_for_selector("text=已更新評審資料")
    assert judge_profile(User.get(User.login == "chen")).counties == ["臺北市"]

    set_intake_open(105, True)
    case = create_case(105, case_input(county="新北市", agency="新北市政府社會局"))
    page.goto(f"{live_server}/staff/years/105/panel")
    for login in ("chen", "wu"):
        press_on(page, f"input[name=judges][value={login}]", "Space")
    press_on(page, "text=儲存評審名單")
    page.wait_for_selector("text=已設定書面篩選評審名單（2 位）")
    press_on(page, "text=依名單自動指派書面篩選評審")
    page.wait_for_selector("text=已新增 2 筆指派")
    assert {(a.judge.login, a.case_id) for a in list_assignments(105, "screening")} == {
        ("chen", case.id), ("wu", case.id)}

    page.goto(f"{live_server}/staff/audit")
    page.focus("#actor")
    page.keyboard.type("boss")
    press_on(page, "form.filters button")
    page.wait_for_url("**/staff/audit?*actor=boss*")
    shown = page.inner_text("table.audit tbody")
    for action in ("建立年度", "變更年度設定", "新增帳號", "修改評審資料", "設定書面篩選評審名單",
                   "指派評審"):
        assert action in shown, action
    page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
