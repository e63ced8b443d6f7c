"""Selection in the browser: nominations, the regional ranking, overrides, publication, judge
statistics, the results workbook, and the published outcome for the public."""
from __future__ import annotations

import html
from io import BytesIO

import pytest
from openpyxl import load_workbook

from helpers import csrf_token, login
from kb.assignments import assign_onsite
from kb.case_codes import case_code
from kb.models import AuditLog, Case
from kb.selection import confirm_nominations, judge_statistics
from scenarios import SCREENED_PLAN, open_and_score_stage

SELECTION = "/selection/104/"


@pytest.fixture
def presented_and_tied(screened):
    """The proposal confirmed and 第一區's presentations scored: 戊 and 己 (both 新北市) tie."""
    confirm_nominations(104)
    assign_onsite(104, region="第一區", judges=["judge01", "judge02", "judge03"])
    open_and_score_stage("onsite", {screened.ids[title]: total
                                    for _, title, _, total in SCREENED_PLAN if total})
    return screened


def page(response) -> str:
    """A response's page as text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def post(client, url: str, **fields):
    """Send a form with the session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client, SELECTION), **fields})


def app_client(client):
    """Another, signed-out client of the same app (a member of the public)."""
    return client.application.test_client()


def statuses(ids: dict[str, int]) -> dict[str, str]:
    """Each case's status, by title."""
    return {title: Case.get_by_id(case_id).status for title, case_id in ids.items()}


def test_staff_see_the_proposal_and_confirm_it(client, screened):
    login(client, "staff")
    text = page(client.get(SELECTION))
    assert "提名參加分區評選" in text and "建議提名（書面篩選成績）" in text
    for county in ("臺北市", "新北市", "桃園市", "基隆市"):
        assert county in text
    assert "90.00" in text and "尚未提名" in text
    assert "書面篩選仍開放評分中" not in text  # the stage is closed

    response = post(client, "/selection/104/confirm")
    assert response.status_code == 302
    status = statuses(screened.ids)
    assert status["甲"] == status["乙"] == status["丙"] == "nominated"
    assert status["丁"] == "submitted"  # the fourth of 臺北市
    text = page(client.get(SELECTION))
    assert "與建議相同" in text and "尚未提名" not in text


def test_a_county_contact_changes_only_their_own_countys_nomination(client, screened):
    confirm_nominations(104)
    login(client, "tpe")
    text = page(client.get(SELECTION))
    assert "案例甲" in text and "案例戊" not in text  # only 臺北市's block
    assert f"{case_code(screened.ids['甲'])}</span> 案例甲" in text  # each case with its code
    assert "各分區評選結果" not in text and "依建議確認全部縣市的提名" not in text
    ids = screened.ids
    chosen = [ids["甲"], ids["乙"], ids["丁"]]

    refused = post(client, "/selection/104/nominations", county="臺北市", cases=chosen, reason=" ")
    assert refused.status_code == 400
    assert "變更提名須註明理由" in page(refused)
    assert statuses(ids)["丁"] == "submitted"

    too_many = post(client, "/selection/104/nominations", county="臺北市",
                    cases=[ids[t] for t in "甲乙丙丁"], reason="調整")
    assert too_many.status_code == 400 and "每縣市最多提名 3 件" in page(too_many)

    response = post(client, "/selection/104/nominations", county="臺北市", cases=chosen,
                    reason="丁案成效較新")
    assert response.status_code == 302
    status = statuses(ids)
    assert status["丁"] == "nominated" and status["丙"] == "submitted"
    assert AuditLog.select().where(AuditLog.reason == "丁案成效較新").exists()
    assert "與建議不同" in page(client.get(SELECTION))

    other = post(client, "/selection/104/nominations", county="新北市", cases=[ids["戊"]],
                 reason="代為變更")
    assert other.status_code == 403
    assert statuses(ids)["戊"] == "nominated" and statuses(ids)["己"] == "nominated"
    assert post(client, "/selection/104/confirm").status_code == 403


def test_staff_see_the_ranking_with_reasons_and_the_tie_waiting_for_them(
        client, presented_and_tied):
    login(client, "staff")
    text = page(client.get(SELECTION))
    ids = presented_and_tied.ids
    assert "第一區第1名，獲選標竿案例" in text
    assert "第一區第2名；同縣市已有標竿案例〈案例甲〉，列為佳作" in text
    assert "待主辦機關處理" in text and "同分且依序比較各項仍無法區分，待主辦機關裁定" in text
    assert f'<tr id="case-{ids["戊"]}" class="flagged">' in text
    assert f'<tr id="case-{ids["甲"]}">' in text
    assert "90.00" in text and "88.00" in text and "82.40" in text  # finals

    refused = post(client, "/selection/104/publish", confirmed="1")
    assert refused.status_code == 400 and "同分待裁定" in page(refused)
    assert statuses(ids)["甲"] == "nominated"


def test_an_override_needs_a_reason_and_then_publication_shows_the_winners(
        client, presented_and_tied):
    ids = presented_and_tied.ids
    login(client, "staff")
    refused = post(client, f"/selection/104/cases/{ids['戊']}/override", outcome="benchmark",
                   reason="")
    assert refused.status_code == 400 and "調整評選結果須註明理由" in page(refused)
    for title, outcome in (("戊", "benchmark"), ("己", "honourable")):
        response = post(client, f"/selection/104/cases/{ids[title]}/override", outcome=outcome,
                        reason="評審會議抽籤決定")
        assert response.status_code == 302
    assert "主辦機關改列為標竿案例（評審會議抽籤決定）" in page(client.get(SELECTION))

    public = app_client(client)
    before = page(public.get("/results/104"))
    assert "評選結果尚未公布" in before and "案例甲" not in before

    response = post(client, "/selection/104/publish", confirmed="1")
    assert response.status_code == 302 and response.location.endswith("/results/104")
    status = statuses(ids)
    assert (status["甲"], status["戊"], status["己"], status["辛"]) == (
        "benchmark", "benchmark", "honourable", "not_selected")

    after = page(public.get("/results/104"))
    assert "尚未公布" not in after
    for title in ("甲", "戊", "庚", "乙", "己"):
        assert f"案例{title}" in after
    assert "案例辛" not in after and "案例丁" not in after
    assert f'href="/cases/{ids["甲"]}"' in after
    assert public.get("/results/").location.endswith("/results/104")


def test_the_stats_page_shows_each_judges_numbers(client, presented_and_tied):
    login(client, "staff")
    text = page(client.get("/selection/104/stats"))
    assert "評審一致性 Kendall's W" in text and "評分信度 Krippendorff's alpha" in text
    assert "1 表示各評審對共同評分案例的排序完全一致" in text and "如何解讀" in text
    assert ">rho<" not in text and "排序相關" in text
    for stage in ("screening", "onsite"):
        for region in judge_statistics(104, stage):
            for judge in region["judges"]:
                assert judge["judge"] in text and f"{judge['mean']:.2f}" in text
            if region["kendall_w"] is not None:
                assert f"{region['kendall_w']:.3f}" in text
    assert 'role="img" aria-label="全體平均' in text


def test_staff_download_the_results_workbook(client, presented_and_tied):
    login(client, "staff")
    response = client.get("/selection/104/results.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(BytesIO(response.data))
    assert workbook.sheetnames == ["第一區", "第二區", "第三區", "書面篩選各評審總分", "評審統計", "說明"]


def test_every_selection_route_checks_the_role(client, screened, make_user):
    assert client.get(SELECTION).status_code == 302  # to the login page
    assert "/login" in client.get("/selection/104/stats").location
    make_user("judge", login="judge99")
    login(client, "judge99")
    for url in (SELECTION, "/selection/104/stats", "/selection/104/results.xlsx"):
        assert client.get(url).status_code == 403
    for url in ("/selection/104/confirm", "/selection/104/nominations", "/selection/104/publish",
                f"/selection/104/cases/{screened.ids['甲']}/override"):
        assert post(client, url).status_code == 403
    assert client.get("/results/104").status_code == 200

    county = app_client(client)
    login(county, "tpe")
    for url in ("/selection/104/stats", "/selection/104/results.xlsx"):
        assert county.get(url).status_code == 403
    for url in ("/selection/104/publish", f"/selection/104/cases/{screened.ids['甲']}/override"):
        assert post(county, url, outcome="benchmark", reason="x").status_code == 403
    assert county.get("/results/").location.endswith(SELECTION)


def test_a_post_without_the_csrf_token_is_refused(client, screened):
    login(client, "staff")
    response = client.post("/selection/104/confirm")
    assert response.status_code == 400
    assert statuses(screened.ids)["甲"] == "submitted"


@pytest.mark.parametrize("method, words", [
    ("mean", "各評審總分的平均"),
    ("zscore", "不截斷"),
    ("rank", "100 ×（n − 序位）÷（n − 1）"),
])
def test_the_results_page_explains_the_years_method(client, method, words):
    from kb.editions import get_edition
    from scoring import METHOD_NAMES

    edition = get_edition(104)
    edition.settings = {**edition.settings, "aggregation": method}
    edition.save()
    text = page(client.get("/results/104"))
    assert f"階段成績的彙整方式：<strong>{METHOD_NAMES[method]}</strong>" in text
    assert html.escape(words) in text and "越高越好的同一尺度" in text
