"""The change record search catches up from (every process, every server, one database).

A transaction that writes cases calls :func:`note_case_change`: it bumps the one counter row
(holding it until commit, so numbers follow commit order on SQLite and PostgreSQL alike) and
records which cases that change number touched. A search structure that records the number it
reflects then knows exactly which cases to reload: those changed after it.

Several homes (app servers) may share one database, each with its own index generation. Each
registers the change number its current snapshot reflects (:func:`register_home`); the record
is pruned up to the lowest number of the homes seen in the last :data:`HOME_TIMEOUT` (the
others rebuild when they come back: :class:`RecordPruned`).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from peewee import fn

from kb.db import database, for_update, insert_rows
from kb.models import CaseChange, SearchHome, SearchState, now

HOME_TIMEOUT = timedelta(days=30)  # a home not seen for this long no longer holds the record back


class RecordPruned(Exception):
    """The changes after the number asked for are no longer all recorded: rebuild."""


def note_case_change(case_ids: Iterable[int]) -> int:
    """Record that these cases are written; call inside the writing transaction. Returns the
    change number."""
    SearchState.update(changes=SearchState.changes + 1).execute()
    number = SearchState.select(SearchState.changes).scalar()
    insert_rows(CaseChange, [CaseChange.change, CaseChange.case_id],
                [(number, case_id) for case_id in sorted(set(case_ids))])
    return number


def current_changes() -> int:
    """The latest committed change number (asked before every search: plain SQL, no query
    building)."""
    row = database.execute_sql(f"SELECT changes FROM {SearchState._meta.table_name}").fetchone()
    return (row[0] if row else 0) or 0


def changed_since(after: int, upto: int) -> list[int]:
    """The cases written in changes after ``after`` up to ``upto``; raises RecordPruned when
    some of those changes are pruned (read after the rows: a prune committed before them is seen)."""
    found = [case_id for (case_id,) in CaseChange.select(CaseChange.case_id).distinct()
             .where((CaseChange.change > after) & (CaseChange.change <= upto))
             .order_by(CaseChange.case_id).tuples()]
    if after < upto and after < pruned_through():
        raise RecordPruned(after)
    return found


def cases_behind(after: int) -> int:
    """How many cases were written after change ``after`` (of those still recorded)."""
    return CaseChange.select(fn.COUNT(CaseChange.case_id.distinct())).where(
        CaseChange.change > after).scalar() or 0


def pruned_through() -> int:
    """The change number up to which the record is pruned."""
    return SearchState.select(SearchState.pruned).scalar() or 0


def register_home(name: str, changes: int | None = None) -> int:
    """Record that home ``name``'s index reflects change ``changes`` (None: the latest, read
    here under the record's lock so no prune passes it meanwhile); returns that number."""
    with database.atomic():
        latest = for_update(SearchState.select(SearchState.changes)).scalar() or 0
        changes = latest if changes is None else changes
        SearchHome.insert(name=name, changes=changes, seen_at=now()).on_conflict(
            conflict_target=[SearchHome.name],
            update={SearchHome.changes: changes, SearchHome.seen_at: now()}).execute()
    return changes


def prune_changes() -> int:
    """Delete the changes every home seen lately has caught up past; returns how many rows."""
    with database.atomic():
        pruned = for_update(SearchState.select(SearchState.pruned)).scalar() or 0
        lowest = SearchHome.select(fn.MIN(SearchHome.changes)).where(
            SearchHome.seen_at >= now() - HOME_TIMEOUT).scalar()
        if lowest is None or lowest <= pruned:
            return 0
        SearchState.update(pruned=lowest).execute()
        return CaseChange.delete().where(CaseChange.change <= lowest).execute()
