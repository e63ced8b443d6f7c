"""Pages that keep what they read while it is unchanged (kb.computed): a judge's page and the
case codes every list shows are read once, and follow every change at once."""
from __future__ import annotations

from helpers import login
from kb.judging import ScoreEntry, get_stage, record_scores
from kb.models import Case, Conflict, County, User
from kb.querylog import counted_queries


def page(client) -> str:
    """The signed-in judge's page as text."""
    return client.get("/judging/").get_data(as_text=True)


def test_a_judges_page_seen_again_reads_no_assignment_score_or_case(client, four_judge_panel):
    login(client, "judge1")
    page(client)
    with counted_queries() as statements:
        assert four_judge_panel.cases[0].title in page(client)
    read = " ".join(statements)
    assert '"assignment"' not in read and '"score"' not in read and '"case"' not in read


def test_a_judges_kept_page_follows_conflicts_titles_scores_and_county_moves(
        client, four_judge_panel):
    first, second = four_judge_panel.cases
    login(client, "judge1")
    shown = page(client)
    assert first.title in shown and second.title in shown and "104-TPE-001" in shown
    # a conflict recorded outside the services (it is not among selection's inputs)
    Conflict.create(judge=User.get(login="judge1"), case=second, reason="舊資料")
    assert second.title not in page(client)
    Case.update(title="長者共餐據點第二期").where(Case.id == first.id).execute()
    assert "長者共餐據點第二期" in page(client)
    record_scores([ScoreEntry("judge1", first.id, {"創新度": 18, "完整度": 17, "困難度": 12,
                                                   "效益性": 16, "應用性": 21})],
                  stage=get_stage(104, "screening"), submit=False)
    assert "<td>84</td>" in page(client)
    Case.update(county=County.get(name="新竹市")).where(Case.id == first.id).execute()
    shown = page(client)
    assert "104-HSZ-001" in shown and "104-TPE-001" not in shown
