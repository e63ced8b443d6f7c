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

import json
import secrets

from peewee import (BlobField, BooleanField, CharField, DateField, DateTimeField,
                    ForeignKeyField, IntegerField, Model, PostgresqlDatabase, TextField)
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


def add_session_versions_and_sign_in_attempts(migrator: Migrator) -> None:
    """Version 7: a per-user session version (server-side sign-out) and the sign-in attempts
    that throttle password guessing."""
    migrator.add_column("user", "session_version", IntegerField(default=0))
    migrator.create_tables(migrator.table(
        "signinattempt", indexes=((("login", "at"), False), (("address", "at"), False)),
        login=TextField(), address=TextField(), at=DateTimeField(default=now),
        succeeded=BooleanField()))


def add_stage_locks_and_rule_breaks(migrator: Migrator) -> None:
    """Version 8: when a stage was closed, whether it takes changes to submitted scores, and
    the quota rules an outcome override knowingly breaks."""
    migrator.add_column("stage", "closed_at", DateTimeField(null=True))
    migrator.add_column("stage", "allow_resubmit", BooleanField(default=False))
    migrator.add_column("outcomeoverride", "rule_breaks", JSONField(default=list))


def add_account_columns(migrator: Migrator) -> None:
    """Version 9: a user's e-mail, and the flag that makes the next sign-in change the password."""
    migrator.add_column("user", "email", TextField(default=""))
    migrator.add_column("user", "must_change_password", BooleanField(default=False))


def rank_method_and_review_minutes(migrator: Migrator) -> None:
    """Version 10: the retired ``rank_sum`` setting becomes ``rank`` (序位法 as percentile
    ranks); tables of the 評分總表: sessions, attendance, judge codes, handled differences."""
    edition = migrator.table("edition", settings=TextField())
    for row in edition.select():
        settings = json.loads(row.settings or "{}")
        if settings.get("aggregation") == "rank_sum":
            settings["aggregation"] = "rank"
            (edition.update(settings=json.dumps(settings, ensure_ascii=False, sort_keys=True))
             .where(edition.id == row.id).execute())
    stage, region, user = migrator.table("stage"), migrator.table("region"), migrator.table("user")
    session = migrator.table(
        "reviewsession", indexes=((("stage", "scope"), True),),
        stage=ForeignKeyField(stage, on_delete="CASCADE"), scope=IntegerField(),
        region=ForeignKeyField(region, null=True, on_delete="CASCADE"),
        held_on=TextField(default=""), venue=TextField(default=""))
    migrator.create_tables(
        session,
        migrator.table("sessionattendance", indexes=((("session", "judge"), True),),
                       session=ForeignKeyField(session, on_delete="CASCADE"),
                       judge=ForeignKeyField(user, on_delete="CASCADE"),
                       present=BooleanField(default=True)),
        migrator.table("judgecode", indexes=((("stage", "judge"), True), (("stage", "code"), True)),
                       stage=ForeignKeyField(stage, on_delete="CASCADE"),
                       judge=ForeignKeyField(user, on_delete="CASCADE"), code=TextField()),
        migrator.table("differencehandling", indexes=((("session", "subject"), True),),
                       session=ForeignKeyField(session, on_delete="CASCADE"), subject=TextField(),
                       handling=TextField(), note=TextField(default=""), actor=TextField(),
                       at=DateTimeField(default=now)))


def add_case_change_log(migrator: Migrator) -> None:
    """Version 11: the change record search catches up from; each home's index now keeps its
    own generation and staleness, so the shared columns go."""
    migrator.create_tables(migrator.table("casechange", change=IntegerField(index=True),
                                          case_id=IntegerField()))
    for name in ("generation", "stale", "note"):
        migrator.drop_column("searchstate", name)


def add_adoption_letters_and_media(migrator: Migrator) -> None:
    """Version 12: counties' answers to the adoption survey of past benchmark cases,
    commendation letters, and cases' digital objects (slides, forum-day photos, video links)."""
    case, county = migrator.table("case"), migrator.table("county")
    migrator.create_tables(
        migrator.table("adoption", indexes=((("survey_year", "case", "county"), True),),
                       survey_year=IntegerField(index=True),
                       case=ForeignKeyField(case, on_delete="CASCADE"),
                       county=ForeignKeyField(county), kind=TextField(),
                       year=IntegerField(null=True), note=TextField(default=""),
                       actor=TextField(), at=DateTimeField(default=now)),
        migrator.table("adoptionresponse", indexes=((("survey_year", "county"), True),),
                       survey_year=IntegerField(), county=ForeignKeyField(county),
                       actor=TextField(), at=DateTimeField(default=now)),
        migrator.table("commendationletter",
                       case=ForeignKeyField(case, unique=True, on_delete="CASCADE"),
                       number=TextField(default=""), date=DateField(null=True),
                       sender=TextField(default=""), copies=TextField(default=""),
                       people=JSONField(null=True), actor=TextField(),
                       at=DateTimeField(default=now)),
        migrator.table("casemedia", case=ForeignKeyField(case, on_delete="CASCADE"),
                       kind=TextField(), position=IntegerField(), title=TextField(default=""),
                       url=TextField(default=""), data=BlobField(null=True),
                       size=IntegerField(default=0), width=IntegerField(null=True),
                       height=IntegerField(null=True), actor=TextField(),
                       at=DateTimeField(default=now)))


def add_participants(migrator: Migrator) -> None:
    """Version 13: registration for the regional forums and their participants."""
    edition, region, county = (migrator.table("edition"), migrator.table("region"),
                               migrator.table("county"))
    migrator.create_tables(
        migrator.table("registrationwindow", indexes=((("edition", "region"), True),),
                       edition=ForeignKeyField(edition, on_delete="CASCADE"),
                       region=ForeignKeyField(region, on_delete="CASCADE"), seats=IntegerField(),
                       deadline=DateField(null=True), is_open=BooleanField(default=True)),
        migrator.table("participant", indexes=((("edition", "name", "agency"), True),),
                       edition=ForeignKeyField(edition, on_delete="CASCADE"),
                       region=ForeignKeyField(region, on_delete="CASCADE"),
                       county=ForeignKeyField(county), name=TextField(), agency=TextField(),
                       title=TextField(default=""), email=TextField(default=""),
                       meal=TextField(default="葷食"), status=TextField(default="registered"),
                       attended=BooleanField(default=False), attended_at=DateTimeField(null=True),
                       created_by=TextField(default=""), created_at=DateTimeField(default=now),
                       updated_at=DateTimeField(default=now)))


def add_surveys(migrator: Migrator) -> None:
    """Version 14: the participant questionnaire (成效評量), its links and answers."""
    edition, region = migrator.table("edition"), migrator.table("region")
    survey = migrator.table("survey", edition=ForeignKeyField(edition, unique=True,
                                                              on_delete="CASCADE"),
                            title=TextField(), intro=TextField(default=""),
                            questions=JSONField(default=list), updated_at=DateTimeField(default=now))
    migrator.create_tables(
        survey,
        migrator.table("surveylink", indexes=((("survey", "region"), True),),
                       survey=ForeignKeyField(survey, on_delete="CASCADE"),
                       region=ForeignKeyField(region, on_delete="CASCADE"),
                       token=TextField(unique=True)),
        migrator.table("surveyresponse", indexes=((("survey", "device"), True),),
                       survey=ForeignKeyField(survey, on_delete="CASCADE"),
                       region=ForeignKeyField(region, on_delete="CASCADE"),
                       device=TextField(null=True), source=TextField(default="web"),
                       answers=JSONField(default=dict), at=DateTimeField(default=now)))


def add_search_homes(migrator: Migrator) -> None:
    """Version 15: the homes whose index catches up from the change record, and how far the
    record is pruned."""
    migrator.add_column("searchstate", "pruned", IntegerField(default=0))
    migrator.create_tables(migrator.table("searchhome", name=TextField(unique=True),
                                          changes=IntegerField(),
                                          seen_at=DateTimeField(default=now)))


def add_selection_state(migrator: Migrator) -> None:
    """Version 16: a counter of the writes to what selection, its statistics and the regional
    programmes are computed from, bumped by triggers in the writing transaction (so results
    computed once can be kept until it moves)."""
    migrator.create_tables(migrator.table("selectionstate", changes=IntegerField(default=0),
                                          token=TextField(default="")))
    migrator.database.execute_sql(f"INSERT INTO selectionstate (changes, token) VALUES "
                                  f"(0, '{secrets.token_hex(8)}')")
    # Table → the columns whose update counts (None: any column).
    inputs = {"score": None, "assignment": None, "criterion": None, "stage": None,
              "edition": None, "region": None, "outcomeoverride": None, "panelmember": None,
              "judgeprofile": None, "caserole": None, "person": None,
              "county": ("name", "code"), "user": ("login", "name", "role"),
              "case": ("title", "agency", "status", "published", "county_id", "region_id",
                       "edition_id")}
    if migrator.on_postgresql:
        # Deferred to the commit, so the counter row is locked last and briefly (no deadlock
        # with the rows the transaction locked first), and bumped once per transaction.
        migrator.database.execute_sql("""
            CREATE FUNCTION selection_inputs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('forum.selection_changed', true)
                        IS DISTINCT FROM txid_current()::text THEN
                    PERFORM set_config('forum.selection_changed', txid_current()::text, true);
                    UPDATE selectionstate SET changes = changes + 1;
                END IF;
                RETURN NULL;
            END $$""")
    for table, columns in inputs.items():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        if migrator.on_postgresql:
            migrator.database.execute_sql(
                f'CREATE CONSTRAINT TRIGGER selection_{table} AFTER INSERT OR DELETE OR {update} '
                f'ON "{table}" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                "EXECUTE FUNCTION selection_inputs_changed()")
            continue
        for event in ("INSERT", "DELETE", update):
            migrator.database.execute_sql(
                f'CREATE TRIGGER selection_{table}_{event.split()[0].lower()} AFTER {event} '
                f'ON "{table}" BEGIN UPDATE selectionstate SET changes = changes + 1; END')


def index_audit_filters(migrator: Migrator) -> None:
    """Version 17: an index of the audit log's actor, action and table, so the audit page's
    filter lists read it instead of every record with its wide before and after texts."""
    migrator.add_index("auditlog", ("actor", "action", "table"), False)


# (version, function(migrator)) in ascending order.
MIGRATIONS: list[tuple[int, object]] = [
    (1, create_version_1),
    (2, add_judging_tables),
    (3, add_outcome_overrides),
    (4, add_writeup_figures_and_photos),
    (5, add_speaker_merges),
    (6, retype_typed_text),
    (7, add_session_versions_and_sign_in_attempts),
    (8, add_stage_locks_and_rule_breaks),
    (9, add_account_columns),
    (10, rank_method_and_review_minutes),
    (11, add_case_change_log),
    (12, add_adoption_letters_and_media),
    (13, add_participants),
    (14, add_surveys),
    (15, add_search_homes),
    (16, add_selection_state),
    (17, index_audit_filters),
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
