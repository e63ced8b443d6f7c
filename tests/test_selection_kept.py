"""The selection and statistics pages keep what they compute from the judging until any of it
changes (kb.computed): a kept ranking is never one the database no longer holds, however the
scores change (a judge's web save, a score sheet imported by another process, a write rolled
back), and a page's statements do not grow with the cases."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import scoring
from helpers import login
from kb.assignments import assign_onsite, list_assignments
from kb.db import database
from kb.models import Assignment, Score, Stage, User
from kb.querylog import counted_queries
from kb.scores import ScoreEntry, record_scores
from kb.selection import (_compute_selection, _judge_statistics, compute_selection,
                          confirm_nominations)
from kb.stages import set_stage_state, stage_criteria
from seeds import demo
from test_score_workbook import FULL, fill
from scenarios import SCREENED_PLAN
from test_selection_web import SELECTION, app_client, page
from web import create_app
from web.score_files import scoresheet_file

ROOT = Path(__file__).resolve().parents[1]
LATE = ("judge03", "辛")  # the on-site score still missing when the page is first seen
SPLIT = {"judge01": 60, "judge02": 80}  # the others' on-site totals of 辛: any third one moves
# its stage score, whichever the year's aggregation method


@pytest.fixture
def presented(screened):
    """第一區's presentations scored on site by three judges, all but judge03's score of 辛
    (judge01 gave it 60, judge02 80)."""
    confirm_nominations(104)
    assign_onsite(104, region="第一區", judges=["judge01", "judge02", "judge03"])
    stage = set_stage_state(104, "onsite", "open")
    criteria = stage_criteria(stage)
    totals = {screened.ids[title]: total for _, title, _, total in SCREENED_PLAN if total}
    late = screened.ids[LATE[1]]
    def total(login: str, case_id: int) -> int:
        return SPLIT[login] if case_id == late else totals[case_id]
    record_scores([ScoreEntry(a.judge.login, a.case_id,
                              {c.name: c.points * total(a.judge.login, a.case_id) / 100
                               for c in criteria})
                   for a in list_assignments(104, "onsite")
                   if a.case_id in totals and (a.judge.login, a.case_id) != (LATE[0], late)],
                  stage=stage, submit=True)
    return screened


def final_shown(text: str, case_id: int) -> str:
    """A case's final score in its row of the ranking table on the selection page."""
    found = re.search(rf'<tr id="case-{case_id}"[^>]*>.*?<strong>([^<]+)</strong>', text, re.S)
    assert found, f"case {case_id} is not ranked on the page"
    return found.group(1)


def final_of(regions, case_id: int) -> str:
    """A case's final score in a selection's regions, as the page shows it."""
    return next(f"{row['final']:.2f}" for region in regions for row in region.ranking
                if row["case"] == case_id)


def fresh_final(case_id: int) -> str:
    """The case's final score as the rules give it on the database as it is now (computed
    anew, nothing kept), as the page shows it."""
    return final_of(_compute_selection(104, None), case_id)


def test_a_judges_web_save_shows_in_the_next_ranking(client, presented):
    late = presented.ids[LATE[1]]
    login(client, "staff")
    before = final_shown(page(client.get(SELECTION)), late)
    assert before == fresh_final(late)

    judge = app_client(client)
    login(judge, LATE[0])
    assignment = (Assignment.select().join(Stage).switch(Assignment).join(User)
                  .where((Stage.key == "onsite") & (User.login == LATE[0])
                         & (Assignment.case == late)).get())
    url = f"/judging/assignments/{assignment.id}"
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                    judge.get(url).get_data(as_text=True)).group(1),
            "comment": "", "send": "x",
            **{f"score-{c.id}": str(c.points) for c in stage_criteria(assignment.stage)}}
    assert judge.post(url, data=form).status_code == 302

    after = final_shown(page(client.get(SELECTION)), late)
    assert after != before and after == fresh_final(late)


def test_a_score_sheet_imported_by_another_process_shows_in_the_next_ranking(
        client, presented, home, tmp_path):
    late = presented.ids[LATE[1]]
    login(client, "staff")
    before = final_shown(page(client.get(SELECTION)), late)
    sheet = tmp_path / "judge03.xlsx"
    sheet.write_bytes(fill(scoresheet_file(104, "onsite", LATE[0]), {late: FULL}))

    subprocess.run([sys.executable, "-c", "from web.cli import main; main()", "--home",
                    str(home), "scoresheet", "import", "--submit", str(sheet)],
                   check=True, capture_output=True, cwd=ROOT)

    after = final_shown(page(client.get(SELECTION)), late)
    assert after != before and after == fresh_final(late)


def test_what_a_rolled_back_transaction_read_is_not_kept(presented):
    late = presented.ids[LATE[1]]
    shown = final_of(compute_selection(104), late)  # kept before the transaction
    onsite = (Assignment.select(Assignment.id).join(Stage)
              .where((Stage.key == "onsite") & (Assignment.case == late)).limit(1))
    with database.atomic() as transaction:
        Score.update(value=0).where(Score.assignment.in_(onsite)).execute()
        assert final_of(compute_selection(104), late) != shown  # it sees its own write
        transaction.rollback()
    assert final_of(compute_selection(104), late) == shown == fresh_final(late)
    # An unrelated write takes the counter where the rolled-back one had taken it.
    Stage.update(weight=Stage.weight).where(Stage.key == "onsite").execute()
    assert final_of(compute_selection(104), late) == shown


def test_the_ranking_is_computed_once_until_a_score_changes(client, presented, monkeypatch):
    calls = []
    select_region = scoring.select_region
    monkeypatch.setattr(scoring, "select_region",
                        lambda *args, **kwargs: calls.append(1) or select_region(*args, **kwargs))
    login(client, "staff")
    client.get(SELECTION)
    computed = len(calls)
    assert computed  # one per region
    client.get(SELECTION)
    client.get("/programme/104/")
    assert len(calls) == computed
    Score.update(value=Score.value).where(Score.id == Score.select(Score.id).limit(1)).execute()
    client.get(SELECTION)
    assert len(calls) == 2 * computed


# --- statements: the same for three times the cases, when the results must be computed --------

PAGES = {"selection": "/selection/103/", "statistics": "/selection/103/stats",
         "programme": "/programme/103/"}


def _cold_statements(home: Path, cases_per_county: int) -> dict[str, int]:
    """On a demo with ``cases_per_county`` cases, each page's statements right after a score
    changed (so nothing kept can answer)."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, home=home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "CASES_PER_COUNTY", (cases_per_county, cases_per_county))
        demo.load_demo(years=(103, 104), current_year=104)
    client = app.test_client()
    client.post("/login", data={"login": "staff", "password": demo.DEMO_PASSWORD})
    counts = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # warm: first-use caches are not rows
        Score.update(value=Score.value).where(
            Score.id == Score.select(Score.id).limit(1)).execute()
        with counted_queries() as statements:
            assert client.get(url).status_code == 200
        counts[name] = len(statements)
    database.close()
    return counts


@pytest.fixture(scope="module")
def cold_statements(tmp_path_factory):
    """Statements per page, computed anew, on a small demo and on three times the cases."""
    return (_cold_statements(tmp_path_factory.mktemp("small"), 1),
            _cold_statements(tmp_path_factory.mktemp("large"), 3))


@pytest.mark.parametrize("name", PAGES)
def test_computing_a_page_anew_runs_as_many_statements_for_three_times_the_cases(
        cold_statements, name):
    small, large = cold_statements
    assert large[name] == small[name]


def test_a_kept_ranking_carries_each_sessions_own_form_token(client, presented, make_user):
    """The ranking's override forms are kept as HTML for every staff member: each one still
    gets forms that their own session accepts."""
    make_user("staff", login="staff02")
    late = presented.ids[LATE[1]]
    login(client, "staff")
    client.get(SELECTION)  # kept from this session's page
    other = app_client(client)
    login(other, "staff02")
    text = other.get(SELECTION).get_data(as_text=True)
    form = re.search(rf'action="/selection/104/cases/{late}/override">\s*<input type="hidden" '
                     r'name="csrf_token" value="([^"]+)"', text)
    response = other.post(f"/selection/104/cases/{late}/override",
                          data={"csrf_token": form.group(1), "outcome": "honourable",
                                "reason": "評審會議決議"})
    assert response.status_code == 302
    assert "主辦機關改列為佳作（評審會議決議）" in page(other.get(SELECTION))


def test_the_statistics_page_shows_a_new_score_at_once(client, presented):
    def judge_mean(statistics) -> str:
        return next(f"{judge['mean']:.2f}" for region in statistics
                    for judge in region["judges"] if judge["judge"] == LATE[0])

    login(client, "staff")
    before = judge_mean(_judge_statistics(104, "onsite"))
    assert before in page(client.get("/selection/104/stats"))
    stage = set_stage_state(104, "onsite", "open")
    record_scores([ScoreEntry(LATE[0], presented.ids[LATE[1]], FULL)], stage=stage, submit=True)
    after = judge_mean(_judge_statistics(104, "onsite"))
    assert after != before and after in page(client.get("/selection/104/stats"))


def test_a_county_contact_after_staff_still_sees_only_their_own_county(client, presented):
    login(client, "staff")
    assert "案例戊" in page(client.get(SELECTION))  # 新北市's, kept for staff
    contact = app_client(client)
    login(contact, "tpe")
    text = page(contact.get(SELECTION))
    assert "案例甲" in text and "案例戊" not in text
