"""The deferred database object and its setup from a URL.

Models import without any configuration (as in peewee's *scout*); the application, the command
line or a test later calls :func:`connect_database` with a URL such as
``sqlite:////srv/forum/forum.db`` or ``postgresql://user@host/forum``.
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

from peewee import DatabaseProxy, PostgresqlDatabase, TextField
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

database = DatabaseProxy()

# Connections one process keeps to PostgreSQL (each waitress thread holds at most one), and how
# long an idle one is kept before it is replaced.
POOL_SIZE = 32
POOL_STALE_SECONDS = 300

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
}


def sqlite_url(path) -> str:
    """Return the database URL of a SQLite file at ``path``."""
    return f"sqlite:///{path}"


def connect_database(url: str):
    """Point the shared :data:`database` at ``url`` and return the concrete database object."""
    if urlparse(url).scheme.startswith("sqlite"):
        # Transactions take the write lock when they begin: a deferred transaction that reads
        # and then writes fails at once with "database is locked" when another connection wrote
        # in between, and the busy timeout cannot help it; this way writers wait their turn.
        db = connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    else:
        # A pool: a new PostgreSQL connection costs milliseconds, and every request needs one.
        scheme, rest = url.split(":", 1)
        db = connect(f"{scheme.split('+')[0]}+pool:{rest}", max_connections=POOL_SIZE,
                     stale_timeout=POOL_STALE_SECONDS)
    database.initialize(db)
    return db


def release_connection() -> None:
    """At the end of a request: a pooled connection goes back to the pool; a SQLite connection
    stays open for the thread's next request (no connecting and PRAGMAs per request)."""
    if isinstance(database.obj, PooledDatabase) and not database.is_closed():
        database.close()


def disconnect_database() -> None:
    """Close this thread's connection and, for a pool, every idle one (the end of a process or
    of a test)."""
    if not database.is_closed():
        database.close()
    if isinstance(database.obj, PooledDatabase):
        database.obj.close_idle()


def insert_returning_ids(model, rows: list[dict], batch: int = 200) -> list[int]:
    """Insert ``rows`` of ``model`` in a few multi-row statements; their new ids, in the order of
    the rows. Both databases hand out ids in the order of a statement's rows, but RETURNING may
    list them in any order, so each batch's ids are sorted."""
    ids: list[int] = []
    for start in range(0, len(rows), batch):
        query = model.insert_many(rows[start:start + batch]).returning(model.id).tuples()
        ids += sorted(row_id for row_id, in query.execute())
    return ids


def locks_rows() -> bool:
    """Whether the database takes row locks (PostgreSQL); SQLite's writers take turns anyway."""
    return isinstance(database.obj, PostgresqlDatabase)


def for_update(query, *, share: bool = False):
    """``query`` locking the rows it reads until the transaction ends, for a write that reads
    first: ``SELECT … FOR UPDATE`` on PostgreSQL (``FOR SHARE`` with ``share``: other sharers go
    on, an updater waits), whose default isolation lets two transactions read the same rows and
    both write. SQLite's transactions begin with the write lock (BEGIN IMMEDIATE), so writers
    already run one at a time there and the query is left as it is. Run it inside the
    transaction that writes."""
    if isinstance(database.obj, PostgresqlDatabase):
        return query.for_update("FOR SHARE" if share else True)
    return query


def lock_names(*names: str) -> None:
    """Hold a lock on each name until the transaction ends, for a read-then-write with no row to
    lock (a count of rows that may not exist yet): PostgreSQL's advisory transaction locks, taken
    in one order so that two writers never wait for each other. SQLite's writers take turns
    anyway (BEGIN IMMEDIATE). Run it inside the transaction that writes."""
    if isinstance(database.obj, PostgresqlDatabase):
        for name in sorted(set(names)):
            database.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))


class JSONField(TextField):
    """Any JSON-serialisable value, stored as text so that SQLite and PostgreSQL both hold it."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)
