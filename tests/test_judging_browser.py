"""A judge scores a case in a real browser from the keyboard alone; staff see the progress."""
from __future__ import annotations

from helpers import BROWSER, browser_login
from kb.case_codes import case_code
from kb.models import Assignment, Criterion, Score, User
from test_judging_web import FULL

pytestmark = BROWSER


def test_judge_enters_scores_from_the_keyboard_and_sees_the_total(live_server, page, four_judge_panel,
                                                                  tmp_path):
    judge = User.get(login="judge3")
    own = Assignment.get(judge=judge, case=four_judge_panel.cases[0])
    criteria = list(Criterion.select().order_by(Criterion.position))
    browser_login(page, live_server, "judge3")
    assert "已送出 0／1 件" in page.inner_text("main")
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
    assert "已送出 1／1 件" in page.inner_text("main")
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


def test_a_judge_goes_through_the_year_from_the_keyboard(live_server, page, four_judge_panel, tmp_path):
    """Sign in → lands on open work → fills a case → 暫存 keeps focus → 送出 opens the next
    case; then a sheet uploaded with 送出 = 是 counts as submitted."""
    from web.score_files import scoresheet_file
    from test_score_workbook import fill

    first, second = (Assignment.get(judge=User.get(login="judge1"), case=case)
                     for case in four_judge_panel.cases)
    criteria = list(Criterion.select().order_by(Criterion.position))
    browser_login(page, live_server, "judge1")
    assert page.url == f"{live_server}/judging/"
    assert "已送出 0／2 件" in page.inner_text("main")
    page.focus(f"a[href='/judging/assignments/{first.id}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/judging/assignments/{first.id}")

    page.focus(f"#score-{criteria[0].id}")
    for number, criterion in enumerate(criteria):
        if number:
            page.keyboard.press("Tab")
        page.keyboard.type(FULL[criterion.name])
    page.keyboard.press("Enter")  # 暫存
    page.wait_for_selector("text=已暫存評分")
    assert page.evaluate("document.activeElement.id") == f"score-{criteria[0].id}"
    assert Assignment.get_by_id(first.id).state == "draft"

    for _ in criteria:
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "送出評分"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/judging/assignments/{second.id}")  # the next case opens
    assert Assignment.get_by_id(first.id).state == "submitted"

    sheet = tmp_path / "評分表.xlsx"
    sheet.write_bytes(fill(scoresheet_file(104, "screening", "judge1"),
                           {four_judge_panel.cases[1].id: {**{k: float(v) for k, v in FULL.items()},
                                                           "送出": "是"}}))
    page.goto(f"{live_server}/judging/")
    page.set_input_files("input[type=file]", str(sheet))
    page.focus("input[type=file]")
    page.keyboard.press("Tab")  # 只檢查，不寫入
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "上傳評分表"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"text=案例 {case_code(four_judge_panel.cases[1])}：已送出")
    assert Assignment.get_by_id(second.id).state == "submitted"
    assert "已送出 2／2 件" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "judge-done.png"), full_page=True)


def test_the_live_total_shows_only_valid_values_in_the_products_words(live_server, page,
                                                                     four_judge_panel):
    own = Assignment.get(judge=User.get(login="judge3"), case=four_judge_panel.cases[0])
    criteria = list(Criterion.select().order_by(Criterion.position))
    browser_login(page, live_server, "judge3")
    page.goto(f"{live_server}/judging/assignments/{own.id}")
    page.focus(f"#score-{criteria[0].id}")
    page.keyboard.type("25")  # 創新度 is worth 20
    page.keyboard.press("Tab")
    page.keyboard.type("-1")
    page.keyboard.press("Tab")
    page.keyboard.type("12")
    assert page.inner_text("#score-total") == "—"
    assert page.inner_text(f"#score-{criteria[0].id}-error") == "創新度：25 超過配分 20"
    assert page.get_attribute(f"#score-{criteria[0].id}", "aria-invalid") == "true"
    page.keyboard.press("Tab")
    assert page.inner_text(f"#score-{criteria[1].id}-error") == "完整度：-1 不可為負數"
    page.keyboard.press("Enter")  # refused in the page: no browser bubble, focus on the first bad
    assert page.evaluate("document.activeElement.id") == f"score-{criteria[0].id}"
    assert Assignment.get_by_id(own.id).state == "pending"
    page.fill(f"#score-{criteria[0].id}", "18")
    page.fill(f"#score-{criteria[1].id}", "17.5")
    assert page.inner_text("#score-total") == "47.5"
