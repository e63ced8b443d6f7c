"""A participant answers the questionnaire on a phone from the QR link; staff see it counted."""
from __future__ import annotations

from helpers import BROWSER, browser_login
from kb.survey import copy_survey, survey_links

pytestmark = BROWSER


def test_answer_at_375_px_from_the_link_and_staff_see_the_chart_update(live_server, page, make_user):
    copy_survey(104)
    region, token = next(iter(survey_links(104).items()))
    make_user("staff", login="staff1")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server}/s/{token}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("非常滿意").first.check()
    page.get_by_label("跨域合作").check()
    page.get_by_label("參加本次論壇的心得或建議").fill("案例很實用")
    page.get_by_role("button", name="送出問卷").click()
    page.wait_for_selector("text=感謝您的填答")
    page.goto(f"{live_server}/s/{token}")
    assert page.is_visible("text=這個裝置已經填答過")

    browser_login(page, live_server, "staff1")
    page.goto(f"{live_server}/survey/104/")
    assert page.is_visible(f"text={region} 1 份")
    assert page.is_visible("text=填答 1 人，平均 5.00 分")
    chart = page.request.get(f"{live_server}/survey/104/charts/q1.svg")
    assert chart.ok and "非常滿意" in chart.text()
    assert page.is_visible("text=案例很實用")
