"""The deferred database object and its setup from a URL.

Models import without any configuration (as in peewee's *scout*); the application, the command
line or a test later calls :func:`connect_database` with a URL such as
``sqlite:////srv/forum/forum.db`` or ``postgresql://user@host/forum``.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import threading
import time
from itertools import chain
from urllib.parse import urlparse

from peewee import (EXCLUDED, SQL, AutoField, CharField, DatabaseProxy, FloatField,
                    ForeignKeyField, IntegerField, NodeList, OperationalError, fn,
                    PostgresqlDatabase, SqliteDatabase, TextField)
from playhouse.db_url import connect, parse
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


class WriterTurns:
    """The writers of one SQLite file queue here for their turn, in this process and across the
    processes on the file (a ``flock`` on ``<file>-writers``), before ``BEGIN IMMEDIATE``.

    SQLite's own wait for the write lock polls: a writer that finds it taken sleeps 1, 2, 5, 10,
    … up to 100 ms between tries, so under load writers sleep while the lock is free, and the
    last to come is as likely to get it as the first (with two server processes on one home that
    made p95 of a save 461 ms, issue 15). Here a waiting thread sleeps on a lock and is woken the
    moment the writer before it in this process ends; the one thread of a process that waits for
    another process is handed the file lock by a helper thread blocked on it, woken by the kernel
    the moment the other process gives it up (trying it every millisecond instead left it free
    for up to that long at every handover between the processes). Either wait ends with
    SQLite's own error after the busy timeout, so a hung process fails writes elsewhere instead
    of stalling every request thread behind it (the helper, still waiting, lets the lock go
    again when it gets it late)."""

    def __init__(self, path: str, timeout: float):
        self.path = f"{path}-writers"
        self.timeout = timeout
        self._turn = threading.Lock()  # one thread of this process at a time
        self._fd: int | None = None
        self.waiting = 0  # threads of this process waiting for their turn
        self._handover = threading.Condition()  # between a writer and the helper (below)
        self._wanted = False  # the writer whose turn it is waits for the file lock
        self._granted = False  # the helper took the file lock for that writer
        self._helper_locking = False  # the helper is waiting for the file lock
        self._helper: threading.Thread | None = None

    def take(self) -> None:
        """Wait for this writer's turn (OperationalError after the timeout within a process)."""
        with _turns_lock:
            self.waiting += 1
        try:
            if not self._turn.acquire(timeout=self.timeout):
                raise OperationalError("database is locked")
        finally:
            with _turns_lock:
                self.waiting -= 1
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_file(time.monotonic() + self.timeout)
        except BaseException:
            self._turn.release()
            raise

    def _lock_file(self, deadline: float) -> None:
        with self._handover:
            if not self._helper_locking:  # (else the helper may be given the lock any moment)
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    pass
            if self._helper is None:
                self._helper = threading.Thread(target=self._lock_for_writers, daemon=True,
                                                name="writer-turns")
                self._helper.start()
            self._wanted = True
            self._handover.notify_all()
            granted = self._handover.wait_for(lambda: self._granted,
                                              max(0.0, deadline - time.monotonic()))
            self._wanted = self._granted = False
            if not granted:
                raise OperationalError("database is locked")

    def _lock_for_writers(self) -> None:
        """The helper: whenever a writer of this process waits for the file lock, wait for it
        (a blocking flock) and hand it over; a writer that gave up meanwhile leaves it to be
        let go at once."""
        while True:
            with self._handover:
                self._handover.wait_for(lambda: self._wanted)
                self._helper_locking = True
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            with self._handover:
                self._helper_locking = False
                if self._wanted:
                    self._wanted, self._granted = False, True
                    self._handover.notify_all()
                else:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def give(self) -> None:
        """End this writer's turn: the next one waiting, here or in another process, goes on."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    def forget(self) -> None:
        """In a forked child: the parent's turn (and file) are not the child's; never unlock the
        file there, which would end the parent's turn."""
        self._turn = threading.Lock()
        self._handover = threading.Condition()  # the helper thread is not the child's either
        self._wanted = self._granted = self._helper_locking = False
        self._helper = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


_turns: dict[str, WriterTurns] = {}
_turns_lock = threading.Lock()


def writer_turns(path: str, timeout: float) -> WriterTurns:
    """The queue of the writers of the SQLite file at ``path`` (one per file in a process)."""
    key = os.path.realpath(path)
    with _turns_lock:
        if key not in _turns:
            _turns[key] = WriterTurns(key, timeout)
        return _turns[key]


def _forget_turns() -> None:
    global _turns_lock
    _turns_lock = threading.Lock()  # perhaps held by a thread of the parent's at the fork
    for turns in _turns.values():
        turns.forget()


os.register_at_fork(after_in_child=_forget_turns)


class TurnTakingSqliteDatabase(SqliteDatabase):
    """SQLite whose write transactions wait for their turn in :class:`WriterTurns` before they
    begin, and give it up when they end (commit, rollback, or the connection closing)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._holding = threading.local()

    def init(self, database, *args, **kwargs):
        super().init(database, *args, **kwargs)
        pragmas = dict(self._pragmas)
        in_memory = not database or database == ":memory:" or str(database).startswith("file:")
        self.turns = None if in_memory else writer_turns(
            database, pragmas.get("busy_timeout", 5000) / 1000)

    def begin(self, lock_type=None):
        """BEGIN, once this writer's turn has come."""
        if self.turns is None or getattr(self._holding, "turn", False):
            return super().begin(lock_type)
        self.turns.take()
        try:
            super().begin(lock_type)
        except BaseException:
            self.turns.give()
            raise
        self._holding.turn = True

    def commit(self):
        """COMMIT, then the next writer's turn (a failed commit keeps it: a rollback follows)."""
        super().commit()
        self._end_turn()

    def rollback(self):
        """ROLLBACK, and the next writer's turn."""
        try:
            super().rollback()
        finally:
            self._end_turn()

    def _close(self, conn):
        try:
            super()._close(conn)
        finally:
            self._end_turn()  # closing rolls back an open transaction

    def _end_turn(self) -> None:
        if getattr(self._holding, "turn", False):
            self._holding.turn = False
            self.turns.give()


def sqlite_url(path) -> str:
    """Return the database URL of a SQLite file at ``path``."""
    return f"sqlite:///{path}"


def connect_database(url: str):
    """Point the shared :data:`database` at ``url`` and return the concrete database object."""
    if urlparse(url).scheme.startswith("sqlite"):
        # Transactions take the write lock when they begin: a deferred transaction that reads
        # and then writes fails at once with "database is locked" when another connection wrote
        # in between, and the busy timeout cannot help it; this way writers wait their turn.
        # Writers queue for their turn first (TurnTakingSqliteDatabase) instead of polling.
        if urlparse(url).scheme == "sqlite":
            db = TurnTakingSqliteDatabase(parse(url)["database"], pragmas=SQLITE_PRAGMAS,
                                          lock_type="IMMEDIATE")
        else:
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


class prepared:
    """Decorator for a function that builds one peewee query from its arguments: calling the
    decorated function runs the query, with peewee writing its SQL only once per kind of
    database and shape of the arguments, and returns peewee's rows (models, tuples or dicts, as
    the query asks).

    Why: peewee writes a query's SQL anew every time it runs, and for the joins of a judge's save
    that cost more CPU than SQLite took to answer (issue 15).

    How: the first call of a shape builds the query from stand-in values instead of the real
    ones (ints and texts no caller passes, one per value), and looks each stand-in up among the
    parameters of the SQL peewee writes; a parameter that is no stand-in is a constant of the
    query. Every call then runs that SQL with its own values in the stand-ins' places.

    So the arguments are ints, texts, or lists of them (a shape: their types and each list's
    length), and the function must build the same query for any values of one shape and pass
    each value to the query unchanged: a value it computes with is not found among the
    parameters, which raises ValueError."""

    SHAPES_KEPT = 32  # per query, e.g. the lengths of an import's lists; then it starts over

    def __init__(self, build):
        functools.update_wrapper(self, build)
        self.build = build
        self.written: dict = {}  # (database class, shape) -> (query, sql, parameter sources)

    def __call__(self, *args):
        query, cursor = self._run(args)
        return query._get_cursor_wrapper(cursor)  # what peewee's own execute() turns rows with

    def cursor(self, *args):
        """Run the query; the database's own cursor (rows as the driver gives them)."""
        return self._run(args)[1]

    def _run(self, args: tuple) -> tuple:
        values = [value for arg in args for value in _as_list(arg)]
        shape = tuple(tuple(map(type, arg)) if isinstance(arg, (list, tuple)) else type(arg)
                      for arg in args)
        key = (type(database.obj), shape)
        if key not in self.written:
            if len(self.written) >= self.SHAPES_KEPT:
                self.written.clear()
            self.written[key] = self._write(args)
        query, sql, sources = self.written[key]
        params = [values[position] if position is not None else constant
                  for position, constant in sources]
        return query, database.execute_sql(sql, params)

    def _write(self, args: tuple) -> tuple:
        """The query built on stand-ins, its SQL, and for each of the SQL's parameters where
        its value comes from: ``(position among the flattened arguments, None)``, or
        ``(None, constant)`` for a constant of the query."""
        stand_ins, built_args = [], []
        for arg in args:
            marks = [self._stand_in(value, len(stand_ins) + n)
                     for n, value in enumerate(_as_list(arg))]
            stand_ins += marks
            built_args.append(marks if isinstance(arg, (list, tuple)) else marks[0])
        query = self.build(*built_args)
        sql, params = query.sql()
        # keyed by type too: a stand-in int must not match an equal float or bool constant
        position_of = {(type(mark), mark): position for position, mark in enumerate(stand_ins)}
        sources = [(position_of[type(param), param], None) if (type(param), param) in position_of
                   else (None, param) for param in params]
        found = {position for position, _ in sources if position is not None}
        if found != set(range(len(stand_ins))):
            raise ValueError(f"{self.__name__}: a value is not a parameter of the SQL")
        return query, sql, sources

    def _stand_in(self, value, position: int):
        """A value of ``value``'s type that no caller passes, distinct for each ``position``:
        an int below -2**52, or a text holding NUL characters."""
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"{self.__name__}: {value!r} is not an int or a text")
        return -(1 << 52) - position if isinstance(value, int) else f"\x00{position}\x00"


def _as_list(arg) -> list:
    """An argument's values: a list or tuple's items, or the argument alone."""
    return list(arg) if isinstance(arg, (list, tuple)) else [arg]


def locks_rows() -> bool:
    """Whether the database takes row locks (PostgreSQL); SQLite's writers take turns anyway."""
    return isinstance(database.obj, PostgresqlDatabase)


def json_pairs(key, value):
    """An aggregate: the group's ``key`` → ``value`` pairs as one JSON object, a text (SQLite's
    ``json_group_object``, PostgreSQL's ``json_object_agg``); NULL or ``{}`` for no rows."""
    if isinstance(database.obj, PostgresqlDatabase):
        return fn.json_object_agg(key, value).cast("text")
    return fn.json_group_object(key, value)


def json_items(*values):
    """An aggregate: the group's rows as one JSON array of arrays of ``values``, a text."""
    if isinstance(database.obj, PostgresqlDatabase):
        return fn.json_agg(fn.json_build_array(*values)).cast("text")
    return fn.json_group_array(fn.json_array(*values))


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
    names = [tuple(f.name for f in group or ()) for group in (fields, upsert, replace)]
    ids: list[int] = []
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        params = list(chain.from_iterable(batch))
        for index, convert in converted:  # a column at a time: every width-th value
            params[index::width] = map(convert, params[index::width])
        cursor = database.execute_sql(
            _insert_sql(type(database.obj), model, *names, len(batch), returning), params)
        if returning:
            # Both databases hand out ids in the order of a statement's rows, but RETURNING may
            # list them in any order.
            ids += sorted(row_id for row_id, in cursor.fetchall())
    return ids if returning else None


@functools.lru_cache(maxsize=256)
def _insert_sql(kind: type, model, names: tuple, upsert_names: tuple, replace_names: tuple,
                count: int, returning: bool) -> str:
    """The SQL of :func:`insert_rows` for ``count`` rows on a database of class ``kind``,
    from peewee's for one row; written once per shape (an upsert of one score costs more to
    write than to run)."""
    fields = [model._meta.fields[name] for name in names]
    upsert = [model._meta.fields[name] for name in upsert_names]
    replace = [model._meta.fields[name] for name in replace_names]
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
