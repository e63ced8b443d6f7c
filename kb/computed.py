"""What selection computes from the judging (stage scores, rankings, judge statistics, the
regional programmes, pages made of them), kept per process until something it is computed
from changes.

A kept result is keyed on the database's :class:`kb.models.SelectionState` counter, which
triggers bump in the same transaction as every write to what these are computed from (see
the model; migration 16), whoever writes: a page, a bulk import, a command, another process
or server.
The counter is read before what is computed from it, so a kept result is never older than
its key. Inside a transaction (whose own writes may yet roll back) nothing is kept or reused.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from peewee import PostgresqlDatabase

from kb.db import database
from kb.models import SelectionState
from kb.reading import read_once

T = TypeVar("T")
KEPT = 64  # results kept per process (a few years' pages, each a handful of results)
_kept: OrderedDict[Hashable, object] = OrderedDict()
_lock = threading.Lock()
_MISSING = object()


def selection_version() -> tuple | None:
    """What identifies the current state of selection's inputs: the database, its counter
    (with the table's identity: a restored PostgreSQL table is a new one), or None inside a
    transaction or where the counter has no row."""
    if database.in_transaction():
        return None
    table = SelectionState._meta.table_name
    oid = ", tableoid" if isinstance(database.obj, PostgresqlDatabase) else ""
    row = database.execute_sql(f"SELECT changes, token{oid} FROM {table}").fetchone()
    return None if row is None else (database.obj.database, *row)


def computed(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or the value it gave for ``key`` when selection's inputs were as they
    are now (once per :func:`kb.reading.one_reading` as well). Callers must not change the
    value: it is shared."""
    return read_once(key, lambda: _kept_or_computed(key, compute))


def _kept_or_computed(key: Hashable, compute: Callable[[], T]) -> T:
    version = read_once(("selection_version",), selection_version)
    if version is None:
        return compute()
    full = (version, key)
    with _lock:
        value = _kept.get(full, _MISSING)
        if value is not _MISSING:
            _kept.move_to_end(full)
            return value
    value = compute()
    with _lock:
        _kept[full] = value
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return value
