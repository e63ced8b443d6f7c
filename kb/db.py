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

database = DatabaseProxy()

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
        db = connect(url)
    database.initialize(db)
    return db


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


class JSONField(TextField):
    """Any JSON-serialisable value, stored as text so that SQLite and PostgreSQL both hold it."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)
