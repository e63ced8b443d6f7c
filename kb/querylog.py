"""Counting the SQL statements a piece of work runs (for the page bench and the N+1 tests)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kb.db import database


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every SQL statement run on the shared database inside the block, in order: the queries,
    and the transaction control (``BEGIN``, ``COMMIT``, ``ROLLBACK``) and a new SQLite
    connection's ``PRAGMA`` statements, which peewee sends past :meth:`execute_sql`."""
    db = database.obj
    seen: list[str] = []
    execute = db.execute_sql

    def counting(sql, params=None):
        seen.append(sql)
        return execute(sql, params)

    def control(name: str, method):
        def run(*args, **kwargs):
            seen.append(" ".join([name, *map(str, args)]))
            return method(*args, **kwargs)
        return run

    def pragmas(conn):
        seen.extend(f"PRAGMA {key} = {value}" for key, value in db._pragmas)
        return set_pragmas(conn)

    db.execute_sql = counting
    for name in ("begin", "commit", "rollback"):
        setattr(db, name, control(name.upper(), getattr(db, name)))
    set_pragmas = getattr(db, "_set_pragmas", None)
    if set_pragmas is not None:
        db._set_pragmas = pragmas
    try:
        yield seen
    finally:
        for name in ("execute_sql", "begin", "commit", "rollback", "_set_pragmas"):
            db.__dict__.pop(name, None)  # the class's methods again
