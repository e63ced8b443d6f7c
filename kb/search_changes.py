"""The change record search catches up from (every process, every server, one database).

A transaction that writes cases calls :func:`note_case_change`: it bumps the one counter row
(holding it until commit, so numbers follow commit order on SQLite and PostgreSQL alike) and
records which cases that change number touched. A search structure that records the number it
reflects then knows exactly which cases to reload: those changed after it.
"""
from __future__ import annotations

from typing import Iterable

from peewee import fn

from kb.models import CaseChange, SearchState

_BATCH = 500


def note_case_change(case_ids: Iterable[int]) -> int:
    """Record that these cases are written; call inside the writing transaction. Returns the
    change number."""
    SearchState.update(changes=SearchState.changes + 1).execute()
    number = SearchState.select(SearchState.changes).scalar()
    rows = [(number, case_id) for case_id in sorted(set(case_ids))]
    for start in range(0, len(rows), _BATCH):
        CaseChange.insert_many(rows[start:start + _BATCH],
                               fields=[CaseChange.change, CaseChange.case_id]).execute()
    return number


def current_changes() -> int:
    """The latest committed change number."""
    return SearchState.select(SearchState.changes).scalar() or 0


def changed_since(after: int, upto: int) -> list[int]:
    """The cases written in changes after ``after`` up to ``upto``."""
    return [case_id for (case_id,) in CaseChange.select(CaseChange.case_id).distinct()
            .where((CaseChange.change > after) & (CaseChange.change <= upto))
            .order_by(CaseChange.case_id).tuples()]


def cases_behind(after: int) -> int:
    """How many cases were written after change ``after``."""
    return CaseChange.select(fn.COUNT(CaseChange.case_id.distinct())).where(
        CaseChange.change > after).scalar() or 0
