"""Schema version and migrations.

A new database gets every table as the models now define them and the latest version number.
An existing database runs, in order, each migration newer than its version. A migration is a
function of a :class:`playhouse.migrate.SchemaMigrator`; add one to :data:`MIGRATIONS` (with the
next number) whenever a model gains or changes a column.
"""
from __future__ import annotations

from playhouse.migrate import SchemaMigrator, migrate

from kb.db import database
from kb.models import (MODELS, CaseFigure, CasePhoto, Conflict, JudgeProfile, OutcomeOverride,
                       PanelMember, SchemaVersion, SearchState, SpeakerMerge)


def add_judging_tables(migrator: SchemaMigrator) -> None:
    """Version 2: judges' profiles, declared conflicts, stage panels."""
    database.create_tables([JudgeProfile, Conflict, PanelMember])


def add_outcome_overrides(migrator: SchemaMigrator) -> None:
    """Version 3: staff decisions on outcomes."""
    database.create_tables([OutcomeOverride])


def add_writeup_figures_and_photos(migrator: SchemaMigrator) -> None:
    """Version 4: key figures and photos of refined write-ups."""
    database.create_tables([CaseFigure, CasePhoto])


def add_speaker_merges(migrator: SchemaMigrator) -> None:
    """Version 5: staff merges of seed-speaker registry entries."""
    database.create_tables([SpeakerMerge])


def add_case_change_log(migrator: SchemaMigrator) -> None:
    """Version 11: the change record search catches up from; each home's index now keeps its
    own generation and staleness, so the shared columns go."""
    from peewee import IntegerField, Model

    class CaseChange(Model):
        change = IntegerField(index=True)
        case_id = IntegerField()

        class Meta:
            database = database
            table_name = "casechange"

    database.create_tables([CaseChange])
    columns = {column.name for column in database.get_columns("searchstate")}
    for name in ("generation", "stale", "note"):
        if name in columns:
            migrate(migrator.drop_column("searchstate", name))


# (version, function(migrator)) in ascending order; version 1 is the initial schema.
MIGRATIONS: list[tuple[int, object]] = [(2, add_judging_tables), (3, add_outcome_overrides),
                                        (4, add_writeup_figures_and_photos),
                                        (5, add_speaker_merges), (11, add_case_change_log)]
SCHEMA_VERSION = max([1] + [v for v, _ in MIGRATIONS])


def current_version() -> int | None:
    """The schema version the database is at, or None for an empty database."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return None
    row = SchemaVersion.select().first()
    return row.version if row else None


def migrate_database() -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; safe to call at every start."""
    with database.atomic():
        version = current_version()
        if version is None:
            database.create_tables(MODELS)
            SchemaVersion.create(version=SCHEMA_VERSION)
            SearchState.create()
            return SCHEMA_VERSION
        migrator = SchemaMigrator.from_database(database.obj)
        for number, migration in MIGRATIONS:
            if number > version:
                migration(migrator)
                version = number
        SchemaVersion.update(version=version).execute()
        return version
