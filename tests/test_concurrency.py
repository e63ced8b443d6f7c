"""Writes that read first, by two writers at once (two threads, two connections), on the backend
the tests run on: each audit record's "before" is the value the other writer left, a quota is
never exceeded, and the same cases imported twice at once are taken in once."""
from __future__ import annotations

import threading

import pytest

from helpers import case_input
from kb.cases import ImportRow, create_case, import_cases
from kb.db import database
from kb.errors import ValidationError
from kb.judging import ScoreEntry, assign_screening, get_stage, record_scores, set_stage_state
from kb.models import Assignment, AuditLog, Case, Edition
from kb.selection import override_outcome

ROUNDS = 12


def two_writers(write, rounds: int = ROUNDS) -> list:
    """Run ``write(writer, round)`` for writers 0 and 1 in two threads, each round started by
    both together; returns what each call returned or raised."""
    barrier = threading.Barrier(2)
    outcomes = []

    def writer(number: int) -> None:
        try:
            for round_ in range(rounds):
                barrier.wait()
                try:
                    outcomes.append(write(number, round_))
                except ValidationError as error:
                    outcomes.append(error)
        finally:
            database.close()
    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def audit_chain(table: str, record_id: int) -> list[AuditLog]:
    return list(AuditLog.select().where((AuditLog.table == table)
                                        & (AuditLog.record_id == record_id)).order_by(AuditLog.id))


def assert_each_before_is_the_previous_after(records: list[AuditLog], key: str) -> None:
    records = [r for r in records if key in (r.after or {})]
    assert len(records) > ROUNDS  # both writers' changes are there
    for previous, record in zip(records, records[1:]):
        assert record.before[key] == previous.after[key], (previous.id, record.id)


@pytest.fixture
def assignment(edition, make_user):
    create_case(104, case_input())
    make_user("judge", login="judge01")
    edition.settings = {**edition.settings, "judges_per_case": 1}
    edition.save()
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    return Assignment.get()


def test_two_score_saves_at_once_audit_the_value_each_replaced(assignment):
    def save(writer, round_):
        return record_scores([ScoreEntry("judge01", assignment.case_id,
                                         {"創新度": (2 * round_ + writer) % 20 + 1})],
                             stage=get_stage(104, "screening"))
    two_writers(save)
    assert_each_before_is_the_previous_after(audit_chain("assignment", assignment.id), "scores")


def test_closing_and_reopening_a_stage_at_once_audit_the_state_each_replaced(assignment):
    def toggle(writer, round_):
        action = "close" if writer == 0 else "reopen"
        return set_stage_state(104, "screening", action, reason="再次開放")
    two_writers(toggle)
    stage = get_stage(104, "screening")
    assert_each_before_is_the_previous_after(audit_chain("stage", stage.id), "is_open")


def test_two_overrides_at_once_audit_the_outcome_each_replaced(assignment):
    def override(writer, round_):
        outcome = ["benchmark", "honourable", "none"][(round_ + writer) % 3]
        return override_outcome(104, assignment.case_id, outcome, reason="同分裁定")
    two_writers(override)
    assert_each_before_is_the_previous_after(audit_chain("case", assignment.case_id), "outcome")


def test_two_intakes_at_once_never_exceed_the_county_quota(edition):
    Edition.update(settings={**edition.settings, "quotas": {**edition.settings["quotas"],
                                                           "cases_per_county": 1}}).execute()

    def send_in(writer, round_):
        return create_case(104, case_input(title=f"案例{writer}-{round_}"))
    outcomes = two_writers(send_in, rounds=1)
    assert Case.select().count() == 1
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and "以 1 件為原則" in str(refused[0])


def test_the_same_cases_imported_twice_at_once_are_taken_in_once(edition):
    rows = [ImportRow("案例清單", n + 2, case_input(title=f"案例{n}")) for n in range(3)]
    outcomes = two_writers(lambda writer, round_: import_cases(104, rows), rounds=1)
    assert sorted(len(report.created) for report in outcomes) == [0, 3]
    assert Case.select().count() == 3
