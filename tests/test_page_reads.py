"""What pages read: a judge's page and the case codes every list shows are kept while they are
unchanged (kb.computed) and follow every change at once; the screening panel page reads its
judges in as many statements however many there are."""
from __future__ import annotations

from helpers import login
from kb.assignments import set_judge_profile
from kb.models import Case, Conflict, County, User
from kb.querylog import counted_queries
from kb.scores import ScoreEntry, record_scores
from kb.stages import get_stage


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


def test_the_screening_panel_page_reads_as_many_statements_for_three_times_the_judges(
        client, edition, make_user):
    make_user("staff", login="staff")
    login(client, "staff")

    def statements_with(judges: int) -> int:
        for number in range(User.select().where(User.role == "judge").count(), judges):
            make_user("judge", login=f"judge{number}")
            set_judge_profile(f"judge{number}", counties=["新竹市"])
        client.get("/staff/years/104/panel")  # warm: first-use caches are not rows
        with counted_queries() as statements:
            page = client.get("/staff/years/104/panel").get_data(as_text=True)
        assert f"（judge{judges - 1}）・利益關係：新竹市" in page
        return len(statements)

    two = statements_with(2)
    assert statements_with(6) == two
