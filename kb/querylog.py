"""Counting the SQL statements a piece of work runs (for the page bench and the N+1 tests)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kb.db import database


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every SQL statement run on the shared database inside the block, in order."""
    db = database.obj
    seen: list[str] = []
    execute = db.execute_sql

    def counting(sql, params=None):
        seen.append(sql)
        return execute(sql, params)

    db.execute_sql = counting
    try:
        yield seen
    finally:
        del db.execute_sql  # the class's method again
