"""Writes that read first, by two writers at once (two threads, two connections), on the backend
the tests run on: each audit record's "before" is the value the other writer left, a quota is
never exceeded, the same cases imported twice at once are taken in once, a failed sign-in is
counted by the next, the same new account imported twice at once is created once, and a forum's
last seat goes to one registration."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from peewee import OperationalError

from helpers import case_input
from kb import account_import, cases, participants, signin
from kb.account_import import AccountRow, import_accounts
from kb.assignments import assign_screening
from kb.cases import ImportRow, create_case, import_cases
from kb.db import database, locks_rows
from kb.errors import TooManyAttempts, ValidationError
from kb.models import Assignment, AuditLog, Case, Edition, User
from kb.participants import ParticipantInput, open_registration, register_participants
from kb.scores import ScoreEntry, record_scores
from kb.selection import override_outcome
from kb.stages import get_stage, set_stage_state

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


WAIT_SECONDS = 30  # a guard against a hung test only: every wait below ends on an event


def waits_for_a_lock() -> bool:
    """Whether a session of this test's PostgreSQL database waits for a lock another holds."""
    return database.execute_sql(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid IN "
        "(SELECT pid FROM pg_stat_activity WHERE datname = current_database())").fetchone()[0] > 0


def in_turn(first, second, module, read: str, monkeypatch) -> tuple:
    """Run ``first()`` and ``second()`` in two threads, interleaved the way that breaks a
    read-then-write without a lock: ``first`` stops right after its deciding read (the function
    ``read`` of ``module``) and goes on only once ``second`` has made that read too, or can no
    longer make it before ``first`` ends: it waits for a lock (PostgreSQL), or has begun its
    transaction, which waits for ``first``'s (SQLite). Returns what each returned or raised."""
    first_read, second_read, second_began, go = (threading.Event() for _ in range(4))
    real_read, real_begin = getattr(module, read), database.obj.begin
    outcomes = {}

    def watched_read(*args, **kwargs):
        value = real_read(*args, **kwargs)
        name = threading.current_thread().name
        if name == "first" and not first_read.is_set():
            first_read.set()
            assert go.wait(WAIT_SECONDS)
        elif name == "second":
            second_read.set()
        return value

    def watched_begin(*args, **kwargs):
        if threading.current_thread().name == "second":
            second_began.set()
        return real_begin(*args, **kwargs)

    def run(name, work):
        try:
            outcomes[name] = work()
        except Exception as error:  # noqa: BLE001 — the test looks at what each writer got
            outcomes[name] = error
        finally:
            first_read.set()  # a writer that failed before its read must not hold the other
            go.set()
            database.close()

    monkeypatch.setattr(module, read, watched_read)
    monkeypatch.setattr(database.obj, "begin", watched_begin)
    threads = {name: threading.Thread(target=run, args=(name, work), name=name)
               for name, work in (("first", first), ("second", second))}
    threads["first"].start()
    assert first_read.wait(WAIT_SECONDS)
    threads["second"].start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not second_read.wait(0.01):
        if waits_for_a_lock() if locks_rows() else second_began.is_set():
            break
        assert time.monotonic() < deadline, "the second writer neither read nor waited"
    go.set()
    for thread in threads.values():
        thread.join(WAIT_SECONDS)
    return outcomes["first"], outcomes["second"]


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


def test_two_imports_at_once_never_exceed_the_county_quota_together(edition, monkeypatch):
    Edition.update(settings={**edition.settings, "quotas": {**edition.settings["quotas"],
                                                           "cases_per_county": 2}}).execute()
    create_case(104, case_input(title="已送件的案例"))

    def batch(name):
        return lambda: import_cases(104, [ImportRow("案例清單", 2, case_input(title=name))])
    outcomes = in_turn(batch("甲案"), batch("乙案"), cases, "county_case_counts", monkeypatch)
    assert Case.select().count() == 2
    assert len(outcomes[0].created) == 1
    assert isinstance(outcomes[1], ValidationError)
    assert "已送件 2 件，每縣市以 2 件為原則" in str(outcomes[1])


def test_two_failed_sign_ins_at_once_both_count(db, make_user, monkeypatch):
    make_user("staff", login="staff1")
    for _ in range(signin.MAX_FAILURES - 1):
        assert signin.sign_in("staff1", "wrong", address="10.0.0.1") is None

    def attempt():
        return signin.sign_in("staff1", "wrong", address="10.0.0.1")
    first, second = in_turn(attempt, attempt, signin, "_locked", monkeypatch)
    assert first is None  # the fifth failure, still allowed
    assert isinstance(second, TooManyAttempts)  # the sixth is refused: it saw the fifth


def test_the_same_new_account_imported_twice_at_once_is_created_once(db, monkeypatch):
    def batch():
        return import_accounts([AccountRow("帳號", 2, {"name": "陳委員", "login": "judge.chen",
                                                       "role": "評審委員"},
                                           {"login": "B"})])
    outcomes = in_turn(batch, batch, account_import, "_check_row", monkeypatch)
    assert [u.login for u in User.select()] == ["judge.chen"]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    done = [o for o in outcomes if o not in refused]
    assert len(refused) == 1, outcomes
    assert [created["login"] for created in done[0].created] == ["judge.chen"]
    assert str(refused[0]) == "「帳號」第2列「帳號」（B欄）：帳號「judge.chen」已經存在，請重新匯入以更新此帳號"


def test_two_counties_registering_at_once_for_the_last_seat_leave_one_waiting(edition, monkeypatch):
    open_registration(104, "第一區", seats=1, deadline=None)

    def register(county, name):
        return lambda: register_participants(104, county, [ParticipantInput(name, f"{county}政府")])
    first, second = in_turn(register("臺北市", "甲"), register("新北市", "乙"), participants,
                            "_taken_seats", monkeypatch)
    assert (first["waiting"], second["waiting"]) == (0, 1)
    assert {p.name: p.status for p in participants.Participant.select()} == {
        "甲": "registered", "乙": "waiting"}


def _wait_until(condition, what: str) -> None:
    """Wait (bounded) for ``condition()`` to hold; every caller's condition ends on an event."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        threading.Event().wait(0.01)


@pytest.mark.sqlite_only
def test_a_writer_waits_for_its_turn_and_begins_as_the_writer_before_it_ends(edition):
    # SQLite's own wait polls in growing sleeps (up to 100 ms); the writer queues instead.
    turns, order = database.obj.turns, []

    def second():
        try:
            with database.atomic():
                order.append("second begins")
                Edition.update(name="第二位").where(Edition.year == 104).execute()
        finally:
            database.close()

    with database.atomic():
        Edition.update(name="第一位").where(Edition.year == 104).execute()
        thread = threading.Thread(target=second)
        thread.start()
        _wait_until(lambda: turns.waiting == 1, "the second writer did not queue")
        order.append("first commits")
    thread.join(WAIT_SECONDS)
    assert order == ["first commits", "second begins"]
    assert Edition.get(Edition.year == 104).name == "第二位"


@contextmanager
def _writing_elsewhere():
    """Another process (a second server on the same home) in a write transaction until the
    block ends."""
    url = f"sqlite:///{database.obj.database}"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from kb.db import connect_database, database\n"
        "from kb.models import Edition\n"
        f"connect_database({url!r})\n"
        "with database.atomic():\n"
        "    Edition.update(name='他處').where(Edition.year == 104).execute()\n"
        "    print('holding', flush=True); sys.stdin.readline()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
        holder.communicate("go\n", timeout=WAIT_SECONDS)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert holder.returncode == 0


@pytest.mark.sqlite_only
def test_a_writer_waits_for_another_process_and_goes_on_when_its_transaction_ends(edition):
    turns, saved = database.obj.turns, []

    def write():
        try:
            with database.atomic():
                Edition.update(name="此處").where(Edition.year == 104).execute()
            saved.append(True)
        finally:
            database.close()
    with _writing_elsewhere():
        thread = threading.Thread(target=write)
        thread.start()
        # its turn in this process taken, it waits for the other process's lock on the file
        _wait_until(lambda: turns.waiting == 0 and turns._turn.locked(),
                    "this process's writer is not waiting for the other process")
        assert saved == []
    thread.join(WAIT_SECONDS)
    assert saved == [True]
    assert Edition.get(Edition.year == 104).name == "此處"


@pytest.mark.sqlite_only
def test_a_writer_behind_a_hung_process_fails_after_the_busy_timeout(edition, monkeypatch):
    monkeypatch.setattr(database.obj.turns, "timeout", 0.2)
    with _writing_elsewhere():
        with pytest.raises(OperationalError, match="locked"):
            with database.atomic():
                Edition.update(name="此處").where(Edition.year == 104).execute()
        database.close()
    assert Edition.get(Edition.year == 104).name == "他處"
    # once the other process ends, the lock its writer gave up on is free for every process
    with database.atomic():
        Edition.update(name="此處").where(Edition.year == 104).execute()
    with _writing_elsewhere():
        pass
    assert Edition.get(Edition.year == 104).name == "他處"
