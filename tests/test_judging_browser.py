"""A judge scores a case in a real browser from the keyboard alone; staff see the progress."""
from __future__ import annotations

from conftest import BROWSER, browser_login
from kb.models import Assignment, Criterion, Score, User
from test_judging_web import FULL, panel  # noqa: F401 (fixture)

pytestmark = BROWSER


def test_judge_enters_scores_from_the_keyboard_and_sees_the_total(live_server, page, panel,
                                                                  tmp_path):
    judge = User.get(login="judge3")
    own = Assignment.get(judge=judge, case=panel.cases[0])
    criteria = list(Criterion.select().order_by(Criterion.position))
    browser_login(page, live_server, "judge3")
    page.goto(f"{live_server}/judging/")
    assert "已評 0／1 件" in page.inner_text("main")
    page.click(f"a[href='/judging/assignments/{own.id}']")
    page.wait_for_url(f"{live_server}/judging/assignments/{own.id}")

    page.focus(f"#score-{criteria[0].id}")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    running = 0.0
    for number, criterion in enumerate(criteria):
        if number:
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == f"score-{criterion.id}"
        page.keyboard.type(FULL[criterion.name])
        running += float(FULL[criterion.name])
        assert page.inner_text("#score-total") == f"{running:g}"
    assert page.inner_text("#score-total") == "83.8"
    page.screenshot(path=str(tmp_path / "score.png"), full_page=True)

    page.keyboard.press("Enter")  # in a number input: saves a draft
    page.wait_for_selector("text=已暫存評分")
    own = Assignment.get_by_id(own.id)
    assert own.state == "draft"
    assert {s.criterion.name: s.value for s in Score.select().where(Score.assignment == own)} \
        == {name: float(value) for name, value in FULL.items()}
    assert page.inner_text("#score-total") == "83.8"

    page.focus(f"#score-{criteria[-1].id}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    page.keyboard.type("跨局處整合完整")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "暫存"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "送出評分"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/judging/")
    assert "已送出" in page.inner_text("main") and "已評 1／1 件" in page.inner_text("main")
    own = Assignment.get_by_id(own.id)
    assert own.state == "submitted" and own.comment == "跨局處整合完整"
    page.screenshot(path=str(tmp_path / "judge-home.png"), full_page=True)

    page.context.clear_cookies()
    browser_login(page, live_server, "staff")
    page.goto(f"{live_server}/judging/104/")
    assert "進度落後的評審" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "progress.png"), full_page=True)
    page.goto(f"{live_server}/judging/104/screening/assignments")
    page.screenshot(path=str(tmp_path / "assignments.png"), full_page=True)
