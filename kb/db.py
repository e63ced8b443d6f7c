"""The deferred database object and its setup from a URL.

Models import without any configuration (as in peewee's *scout*); the application, the command
line or a test later calls :func:`connect_database` with a URL such as
``sqlite:////srv/forum/forum.db`` or ``postgresql://user@host/forum``.
"""
from __future__ import annotations

import json
from itertools import chain
from urllib.parse import urlparse

from peewee import (EXCLUDED, SQL, AutoField, CharField, DatabaseProxy, FloatField,
                    ForeignKeyField, IntegerField, NodeList, PostgresqlDatabase, TextField)
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
def locking(query, *, update: tuple = (), share: tuple = ()):
    """``query`` locking, on PostgreSQL, the rows it reads of the models in ``update`` (``FOR NO
    KEY UPDATE``: the caller will change them) and in ``share`` (``FOR SHARE``: they must not
    change meanwhile, other sharers go on) until the transaction ends; for a query that joins
    several tables, some of them outer (the locked ones must be on the inner side). SQLite's
    writers take turns already (see :func:`for_update`): the query is left as it is."""
    if not locks_rows():
        return query
    parts = []
    for clause, models in (("FOR NO KEY UPDATE OF", update), ("FOR SHARE OF", share)):
        if models:
            parts += [SQL(clause), NodeList(models, ", ")]
    query = query.clone()
    query._for_update = NodeList(parts)  # peewee's for_update() takes one clause only
    return query


INSERT_BATCH = 1000  # rows per statement at most
INSERT_VALUES = 30_000  # values per statement at most: under SQLite's 32,766 and PostgreSQL's 65,535
# Fields whose values go to the database as they are (ids, numbers, text); others (JSON,
# dates) are converted by the field.
_STORED_AS_GIVEN = (AutoField, IntegerField, FloatField, CharField, ForeignKeyField)


def insert_rows(model, fields: list, rows: list[tuple], *, upsert: list | None = None,
                replace: list | None = None, returning: bool = False) -> list[int] | None:
    """Insert ``rows`` (tuples of values in the order of ``fields``) into ``model``'s table in
    multi-row statements (up to :data:`INSERT_BATCH` rows, :data:`INSERT_VALUES` values); with
    ``upsert`` (the fields of a unique index), a row already there has its ``replace`` fields
    (default: the other ``fields``) replaced instead; with ``returning``, the new rows' ids in
    the order of ``rows``. Defaults are not filled in: give every field that has one. Ids,
    numbers and text are given as stored (a foreign key as its id); JSON, dates and booleans are
    converted.

    The same as peewee's ``insert_many`` with ``on_conflict``, but its SQL is written once per
    batch size and the values converted directly: peewee renders each value as a node, which
    costs seconds for a score table's 25,000 rows."""
    width = len(fields)
    converted = [(index, f.db_value) for index, f in enumerate(fields)
                 if not (isinstance(f, _STORED_AS_GIVEN) or type(f) is TextField)]
    size = max(1, min(INSERT_BATCH, INSERT_VALUES // width))
    ids: list[int] = []
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        params = list(chain.from_iterable(batch))
        for index, convert in converted:  # a column at a time: every width-th value
            params[index::width] = map(convert, params[index::width])
        cursor = database.execute_sql(
            _insert_sql(model, fields, upsert, replace, len(batch), returning), params)
        if returning:
            # Both databases hand out ids in the order of a statement's rows, but RETURNING may
            # list them in any order.
            ids += sorted(row_id for row_id, in cursor.fetchall())
    return ids if returning else None


def _insert_sql(model, fields: list, upsert: list | None, replace: list | None,
                count: int, returning: bool) -> str:
    """The SQL of :func:`insert_rows` for ``count`` rows, from peewee's for one row."""
    query = model.insert_many([[None] * len(fields)], fields=list(fields))
    if upsert:
        kept = {id(f) for f in upsert}  # by identity: a field's == builds an expression
        query = query.on_conflict(conflict_target=list(upsert),
                                  update={f: getattr(EXCLUDED, f.column_name)
                                          for f in replace or fields if id(f) not in kept})
    sql, _ = (query.returning(model._meta.primary_key) if returning else query.returning()).sql()
    group = "(" + ", ".join([database.param] * len(fields)) + ")"
    head, values, tail = sql.partition(" VALUES " + group)
    assert values and group not in tail, sql  # the one row's placeholders, once
    return head + " VALUES " + ", ".join([group] * count) + tail


# json.dumps(value, ensure_ascii=False, sort_keys=True) without building an encoder per value
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


class JSONField(TextField):
    """Any JSON-serialisable value, stored as text so that SQLite and PostgreSQL both hold it."""

    def db_value(self, value):
        return None if value is None else _JSON_TEXT(value)

    def python_value(self, value):
        return None if value is None else json.loads(value)
