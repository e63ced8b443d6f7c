"""Schema version and migrations.

A new database gets every table as the models now define them and the latest version number.
An existing database runs, in order, each migration newer than its version. A migration is a
function of a :class:`playhouse.migrate.SchemaMigrator`; add one to :data:`MIGRATIONS` (with the
next number) whenever a model gains or changes a column.
"""
from __future__ import annotations

import json

from peewee import (BooleanField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)
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


def add_account_columns(migrator: SchemaMigrator) -> None:
    """Version 9: a user's e-mail, and the flag that makes the next sign-in change the password."""
    present = {column.name for column in database.get_columns("user")}
    wanted = {"email": TextField(default=""), "must_change_password": BooleanField(default=False)}
    migrate(*(migrator.add_column("user", name, column) for name, column in wanted.items()
              if name not in present))
def rank_method_and_review_minutes(migrator: SchemaMigrator) -> None:
    """Version 10: the retired ``rank_sum`` setting becomes ``rank`` (序位法 as percentile
    ranks); tables of the 評分總表: sessions, attendance, judge codes, handled differences.
    Frozen copies of the tables, so later changes to the models do not change this step."""
    class Frozen(Model):
        class Meta:
            database = database

    class Edition(Frozen):
        settings = TextField()

        class Meta:
            table_name = "edition"

    class Stage(Frozen):
        class Meta:
            table_name = "stage"

    class Region(Frozen):
        class Meta:
            table_name = "region"

    class User(Frozen):
        class Meta:
            table_name = "user"

    for edition in Edition.select():
        settings = json.loads(edition.settings or "{}")
        if settings.get("aggregation") == "rank_sum":
            settings["aggregation"] = "rank"
            (Edition.update(settings=json.dumps(settings, ensure_ascii=False, sort_keys=True))
             .where(Edition.id == edition.id).execute())

    class ReviewSession(Frozen):
        stage = ForeignKeyField(Stage, on_delete="CASCADE")
        scope = IntegerField()
        region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
        held_on = TextField(default="")
        venue = TextField(default="")

        class Meta:
            table_name = "reviewsession"
            indexes = ((("stage", "scope"), True),)

    class SessionAttendance(Frozen):
        session = ForeignKeyField(ReviewSession, on_delete="CASCADE")
        judge = ForeignKeyField(User, on_delete="CASCADE")
        present = BooleanField(default=True)

        class Meta:
            table_name = "sessionattendance"
            indexes = ((("session", "judge"), True),)

    class JudgeCode(Frozen):
        stage = ForeignKeyField(Stage, on_delete="CASCADE")
        judge = ForeignKeyField(User, on_delete="CASCADE")
        code = TextField()

        class Meta:
            table_name = "judgecode"
            indexes = ((("stage", "judge"), True), (("stage", "code"), True))

    class DifferenceHandling(Frozen):
        session = ForeignKeyField(ReviewSession, on_delete="CASCADE")
        subject = TextField()
        handling = TextField()
        note = TextField(default="")
        actor = TextField()
        at = DateTimeField()

        class Meta:
            table_name = "differencehandling"
            indexes = ((("session", "subject"), True),)

    database.create_tables([ReviewSession, SessionAttendance, JudgeCode, DifferenceHandling])


# (version, function(migrator)) in ascending order; version 1 is the initial schema.
MIGRATIONS: list[tuple[int, object]] = [(2, add_judging_tables), (3, add_outcome_overrides),
                                        (4, add_writeup_figures_and_photos),
                                        (5, add_speaker_merges), (9, add_account_columns),
                                        (10, rank_method_and_review_minutes)]
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
