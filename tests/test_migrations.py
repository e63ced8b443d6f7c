"""Numbered migrations: a database at any earlier version reaches exactly the live models' schema,
keeping its rows, on the backend the tests run on (SQLite, or PostgreSQL in CI's second run)."""
from __future__ import annotations

import json

import re

import pytest
from peewee import SqliteDatabase

from kb.db import connect_database, database
from kb.migrations import MIGRATIONS, SCHEMA_VERSION, current_version, migrate_database
from kb.models import MODELS, County, Person

LONG_NAME = "長" * 10_000


def schema() -> dict:
    """The shared database's tables: columns (type, null), indexes and foreign keys."""
    def column_type(data_type: str) -> str:
        # SQLite keeps the declared type but ignores a length: VARCHAR(255) holds any text.
        if isinstance(database.obj, SqliteDatabase):
            return re.sub(r"VARCHAR\(\d+\)", "TEXT", data_type.upper())
        return data_type.lower()

    return {table: {
        "columns": sorted((c.name, column_type(c.data_type), c.null, c.primary_key)
                          for c in database.get_columns(table)),
        "indexes": sorted((i.name, tuple(i.columns), i.unique) for i in database.get_indexes(table)),
        "foreign_keys": sorted((f.column, f.dest_table, f.dest_column)
                               for f in database.get_foreign_keys(table)),
    } for table in database.get_tables()}


@pytest.fixture
def models_schema(new_database):
    """The schema the live models create on an empty database."""
    db = connect_database(new_database(empty=True))
    database.create_tables(MODELS)
    built = schema()
    db.close()
    return built


def test_the_versions_are_numbered_one_by_one():
    assert [number for number, _ in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert all(migration.__doc__.startswith(f"Version {number}:")
               for number, migration in MIGRATIONS)


@pytest.mark.parametrize("start", range(0, SCHEMA_VERSION))
def test_a_database_at_every_earlier_version_migrates_to_the_models_schema(
        start, models_schema, new_database):
    db = connect_database(new_database(empty=True))
    try:
        if start:
            assert migrate_database(target=start) == start == current_version()
            database.execute_sql("INSERT INTO county (name, code, variants) VALUES (%s, %s, %s)"
                                 .replace("%s", db.param), ("臺北市", "TPE", "[]"))
        assert migrate_database() == SCHEMA_VERSION == current_version()
        assert migrate_database() == SCHEMA_VERSION  # again at the next start: nothing to do
        assert schema() == models_schema
        assert [c.name for c in County.select()] == (["臺北市"] if start else [])
    finally:
        db.close()


def test_after_migrating_text_people_type_is_unbounded(new_database):
    """On PostgreSQL version 6 retypes varchar(255) columns; a long value is kept whole."""
    db = connect_database(new_database(empty=True))
    try:
        migrate_database(target=5)
        migrate_database()
        person = Person.create(name=LONG_NAME, title=LONG_NAME, agency=LONG_NAME)
        assert Person.get_by_id(person.id).title == LONG_NAME
    finally:
        db.close()


def test_a_failing_migration_leaves_the_database_at_its_version(new_database, monkeypatch):
    db = connect_database(new_database(empty=True))
    try:
        migrate_database(target=SCHEMA_VERSION - 1)

        def broken(migrator):
            """Version N: adds a column, then fails."""
            migrator.add_column("county", "note", County.name.__class__(default=""))
            raise RuntimeError("broken migration")
        monkeypatch.setattr("kb.migrations.MIGRATIONS",
                            MIGRATIONS[:-1] + [(SCHEMA_VERSION, broken)])
        with pytest.raises(RuntimeError):
            migrate_database()
        assert current_version() == SCHEMA_VERSION - 1
        assert "note" not in [c.name for c in database.get_columns("county")]
    finally:
        db.close()


def test_a_stored_rank_sum_setting_becomes_rank(new_database):
    """Version 10 retires the rank sum: a year that chose it now uses 序位法 (percentile ranks)."""
    db = connect_database(new_database(empty=True))
    try:
        migrate_database(target=9)
        database.execute_sql("INSERT INTO edition (year, name, intake_open, settings, created_at) "
                             "VALUES (%s, %s, %s, %s, %s)".replace("%s", db.param),
                             (104, "民國104年", False, '{"aggregation": "rank_sum"}',
                              "2015-01-01 00:00:00"))
        migrate_database()
        (settings,) = database.execute_sql("SELECT settings FROM edition").fetchone()
        assert json.loads(settings)["aggregation"] == "rank"
    finally:
        db.close()
