"""Schema version and numbered migrations.

Every database, new or old, is built by the same steps: version 1 (:mod:`kb.schema_v1`, the
tables as they first were) and then, in order, each migration newer than the database's version.
A migration never touches the live model classes (they describe the newest schema and keep
changing); it describes the tables and columns it adds or changes itself.

A migration is a plain function of a :class:`Migrator`, appended to :data:`MIGRATIONS` with the
next number, for example::

    def add_case_language(migrator):
        \"\"\"Version 13: a case's language.\"\"\"
        migrator.add_column("case", "language", TextField(default="zh-TW"))

    def add_reviews(migrator):
        \"\"\"Version 14: reviews of a case.\"\"\"
        case = migrator.table("case")
        migrator.create_tables(migrator.table(
            "review", case=ForeignKeyField(case, on_delete="CASCADE"), text=TextField()))

The migrator's schema operations (``add_column``, ``drop_column``, ``rename_column``,
``add_index``, ``alter_column_type``, … of :class:`playhouse.migrate.SchemaMigrator`) run at
once; passing their result to ``playhouse.migrate.migrate`` as well does no harm. All
migrations of one start run in one transaction (both backends have transactional DDL), so a
failing migration leaves the database at its old version. ``tests/test_migrations.py`` checks
that a database migrated from every earlier version has exactly the schema of the live models.
"""
from __future__ import annotations

from peewee import (CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    PostgresqlDatabase, TextField)
from playhouse.migrate import Operation, SchemaMigrator

from kb.db import JSONField, database
from kb.models import SchemaVersion, now

MIGRATION_LOCK = 20_150_104  # any constant: the advisory lock key of migrations


class _Done:
    """An operation that already ran (so ``migrate(migrator.add_column(...))`` also works)."""

    def run(self) -> None:
        pass


class Migrator:
    """What a migration receives: the schema operations of playhouse's migrator, run at once,
    and frozen table definitions (:meth:`table`) independent of the live models."""

    def __init__(self, db):
        self.database = db
        self.schema = SchemaMigrator.from_database(db)
        self.on_postgresql = isinstance(db, PostgresqlDatabase)

    def __getattr__(self, name):
        operation = getattr(self.schema, name)
        if not callable(operation):
            return operation

        def run_now(*args, **kwargs):
            result = operation(*args, **kwargs)
            if isinstance(result, Operation):
                result.run()
                return _Done()
            return result
        return run_now

    def table(self, name: str, /, *, indexes: tuple = (), **fields) -> type[Model]:
        """A frozen model of the table ``name`` with exactly ``fields`` besides its ``id``
        (none: a stand-in for a foreign key to an existing table); ``indexes`` as in a
        model's ``Meta.indexes``."""
        meta = type("Meta", (), {"database": self.database, "table_name": name,
                                 "indexes": indexes})
        # Named as the table: peewee names indexes after the model.
        return type(name, (Model,), {"Meta": meta, "__module__": __name__, **fields})

    def create_tables(self, *models: type[Model]) -> None:
        """Create the frozen ``models``' tables with their indexes and foreign keys."""
        self.database.create_tables(models, safe=False)


def create_version_1(migrator: Migrator) -> None:
    """Version 1: the first schema (cases, editions and their rules, users, scores, audit)."""
    from kb.schema_v1 import create_tables_v1

    create_tables_v1(migrator)


def add_judging_tables(migrator: Migrator) -> None:
    """Version 2: judges' profiles, declared conflicts, stage panels."""
    user, case = migrator.table("user"), migrator.table("case")
    stage, region = migrator.table("stage"), migrator.table("region")
    migrator.create_tables(
        migrator.table("judgeprofile",
                       user=ForeignKeyField(user, unique=True, on_delete="CASCADE"),
                       title=CharField(default=""), affiliation=CharField(default=""),
                       fields=JSONField(default=list), counties=JSONField(default=list)),
        migrator.table("conflict", indexes=((("judge", "case"), True),),
                       judge=ForeignKeyField(user, on_delete="CASCADE"),
                       case=ForeignKeyField(case, on_delete="CASCADE"),
                       reason=TextField(default=""), declared_at=DateTimeField(default=now)),
        migrator.table("panelmember", indexes=((("stage", "judge", "region"), True),),
                       stage=ForeignKeyField(stage, on_delete="CASCADE"),
                       judge=ForeignKeyField(user, on_delete="CASCADE"),
                       region=ForeignKeyField(region, null=True, on_delete="CASCADE")))


def add_outcome_overrides(migrator: Migrator) -> None:
    """Version 3: staff decisions on outcomes."""
    case = migrator.table("case")
    migrator.create_tables(migrator.table(
        "outcomeoverride", case=ForeignKeyField(case, unique=True, on_delete="CASCADE"),
        outcome=CharField(), reason=TextField(), actor=CharField(),
        at=DateTimeField(default=now)))


def add_writeup_figures_and_photos(migrator: Migrator) -> None:
    """Version 4: key figures and photos of refined write-ups."""
    version = migrator.table("caseversion")
    migrator.create_tables(
        migrator.table("casefigure", version=ForeignKeyField(version, on_delete="CASCADE"),
                       position=IntegerField(), indicator=CharField(),
                       before=CharField(default=""), after=CharField(default=""),
                       unit=CharField(default="")),
        migrator.table("casephoto", version=ForeignKeyField(version, on_delete="CASCADE"),
                       position=IntegerField(), caption=CharField(default=""),
                       filename=CharField(), width=IntegerField(), height=IntegerField()))


def add_speaker_merges(migrator: Migrator) -> None:
    """Version 5: staff merges of seed-speaker registry entries."""
    migrator.create_tables(migrator.table(
        "speakermerge", source_key=CharField(unique=True), target_key=CharField(index=True),
        reason=TextField(), actor=CharField(), at=DateTimeField(default=now)))


# Text people type (and logins, which name the actor of audit records): varchar(255) on
# PostgreSQL until version 6.
TYPED_TEXT_COLUMNS = [
    ("user", "login"), ("auditlog", "actor"), ("outcomeoverride", "actor"),
    ("speakermerge", "actor"),
    ("edition", "name"), ("region", "name"), ("category", "name"), ("criterion", "name"),
    ("stage", "name"), ("person", "name"), ("person", "title"), ("person", "agency"),
    ("person", "email"), ("person", "phone"), ("user", "name"), ("case", "theme"),
    ("case", "agency"), ("case", "title"), ("case", "external_id"), ("judgeprofile", "title"),
    ("judgeprofile", "affiliation"), ("casefigure", "indicator"), ("casefigure", "before"),
    ("casefigure", "after"), ("casefigure", "unit"), ("casephoto", "caption"),
]


def retype_typed_text(migrator: Migrator) -> None:
    """Version 6: text people type is unbounded ``text`` (PostgreSQL's varchar(255) refused
    longer values; SQLite never enforced the length, so its columns stay as they are)."""
    if not migrator.on_postgresql:
        return
    for table, column in TYPED_TEXT_COLUMNS:
        migrator.alter_column_type(table, column, TextField())


# (version, function(migrator)) in ascending order.
MIGRATIONS: list[tuple[int, object]] = [
    (1, create_version_1),
    (2, add_judging_tables),
    (3, add_outcome_overrides),
    (4, add_writeup_figures_and_photos),
    (5, add_speaker_merges),
    (6, retype_typed_text),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version() -> int | None:
    """The schema version the database is at, or None for an empty database."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return None
    row = SchemaVersion.select().first()
    return row.version if row else None


def migrate_database(target: int = SCHEMA_VERSION) -> int:
    """Bring the database to version ``target`` (the newest unless a test asks for an older
    one); safe to call at every start. Returns the version reached."""
    with database.atomic():
        if isinstance(database.obj, PostgresqlDatabase):
            # Several app servers may start at once on a new database: one migrates, the
            # others wait here and then find it done (SQLite's BEGIN IMMEDIATE does the same).
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        version = current_version() or 0
        migrator = Migrator(database.obj)
        for number, migration in MIGRATIONS:
            if version < number <= target:
                migration(migrator)
                version = number
        SchemaVersion.update(version=version).execute()
        return version
