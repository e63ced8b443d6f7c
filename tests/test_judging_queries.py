"""Judging hot paths (issue 15) by statement count, never by time: a score import reads and
writes in bulk, so its statements do not grow with its rows; a web save takes a handful."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from exports.score_workbook import TABLE_SHEET
from web.score_files import (import_scores_table, import_scoresheet, scores_table_file,
                             scoresheet_file)
from kb.assignments import list_assignments
from kb.db import database, locks_rows
from kb.models import Assignment
from kb.querylog import counted_queries
from test_judging_web import FULL as TYPED, assignment, score_form
from test_score_workbook import FULL, fill
from helpers import login


@contextmanager
def statements():
    """The SQL statements sent while the block runs (a list of strings), transaction control
    and a new SQLite connection's PRAGMAs included; and, on PostgreSQL, a line per connection
    the pool had to open."""
    opened: list[str] = []

    class Opened(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("Created new connection"):
                opened.append("CONNECT")

    logger = logging.getLogger("peewee.pool")
    handler, level = Opened(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with counted_queries() as sent:
            yield sent
        sent.extend(opened)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_combined_table_imports_in_statements_that_do_not_grow_with_its_rows(three_judge_panel):
    table = scores_table_file(104, "screening")
    rows = [(a.judge.login, a.case_id) for a in list_assignments(104, "screening")]
    assert len(rows) == 12
    counts = []
    for judge_rows in (rows[:3], rows[3:]):  # 3 rows, then the other 9
        data = fill(table, {key: FULL for key in judge_rows}, title=TABLE_SHEET)
        with statements() as sent:
            report = import_scores_table(data, year=104, stage_key="screening",
                                         actor=three_judge_panel.staff)
        assert len(report.changed) == len(judge_rows)
        counts.append(len(sent))
    assert counts[0] == counts[1]


def test_a_score_sheet_imports_in_statements_that_do_not_grow_with_its_rows(three_judge_panel):
    sheets = {judge.login: scoresheet_file(104, "screening", judge.login)
              for judge in three_judge_panel.judges[:2]}
    counts = []
    for judge, cases in ((three_judge_panel.judges[0], three_judge_panel.cases[:1]),
                         (three_judge_panel.judges[1], three_judge_panel.cases)):
        data = fill(sheets[judge.login], {case: {**FULL, "送出": "是"} for case in cases})
        with statements() as sent:
            import_scoresheet(data, actor=judge)
        counts.append(len(sent))
    assert counts[0] == counts[1]


def test_one_web_save_takes_at_most_eight_statements_on_the_connection_already_open(
        client, four_judge_panel):
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "judge3")
    form = score_form(client, own.id, TYPED)  # a page before: the thread has its connection
    with statements() as sent:
        response = client.post(f"/judging/assignments/{own.id}", data=form)
    assert response.status_code == 302
    assert not [s for s in sent if s.startswith(("PRAGMA", "CONNECT"))], sent  # none opened
    writing = [sql for sql in sent if sql.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert len(writing) == 3, writing  # the scores, the assignment, the audit record
    # the signed-in user and the assignment with its rubric (the view); BEGIN; the assignment
    # with stage, judge, case, ties, conflict and stored scores (the service), on PostgreSQL
    # after a statement locking the assignment and the stage; the three writes; COMMIT
    assert len(sent) <= 8 + locks_rows(), sent
    assert sent.count("COMMIT") == 1


def test_a_draft_save_leaves_the_session_cookie_as_it_was(client, four_judge_panel):
    # The page it leads to says 「已暫存評分」 by its address: a flashed message would make the
    # server sign a new cookie on every save, and the browser send it back (issue 15).
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "judge3")
    form = score_form(client, own.id, TYPED)
    response = client.post(f"/judging/assignments/{own.id}", data=form)
    assert response.status_code == 302 and "Set-Cookie" not in response.headers
    assert "已暫存評分" in client.get(response.location).get_data(as_text=True)


def test_a_repeated_web_save_sends_sql_written_once_not_rebuilt_per_request(client, four_judge_panel):
    # Peewee writing a save's SQL again on every request cost more CPU than the database
    # (issue 15): the second save of a form must reuse what the first one wrote.
    own = assignment("judge3", four_judge_panel.cases[0])
    login(client, "judge3")
    form = score_form(client, own.id, TYPED)
    assert client.post(f"/judging/assignments/{own.id}", data=form).status_code == 302
    db, written = database.obj, []
    build = db.get_sql_context
    db.get_sql_context = lambda **options: written.append(1) or build(**options)
    try:
        form["comment"] = "second thoughts"
        response = client.post(f"/judging/assignments/{own.id}", data=form)
    finally:
        del db.get_sql_context
    assert response.status_code == 302
    assert Assignment.get_by_id(own.id).comment == "second thoughts"
    assert written == []


def test_queries_written_once_still_answer_for_each_judge_and_assignment(app, four_judge_panel):
    # The SQL is kept, the values are not: a second judge is not taken for the first, nor one
    # assignment for another.
    third, fourth = app.test_client(), app.test_client()
    login(third, "judge3")
    login(fourth, "judge4")
    own = assignment("judge3", four_judge_panel.cases[0])
    other = assignment("judge4", four_judge_panel.cases[1])
    assert third.post(f"/judging/assignments/{own.id}",
                      data=score_form(third, own.id, TYPED, comment="三號")).status_code == 302
    form = score_form(fourth, other.id, TYPED, comment="四號")
    assert fourth.post(f"/judging/assignments/{own.id}", data=form).status_code == 404
    assert fourth.post(f"/judging/assignments/{other.id}", data=form).status_code == 302
    assert [Assignment.get_by_id(a.id).comment for a in (own, other)] == ["三號", "四號"]
