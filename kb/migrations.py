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


def add_adoption_letters_and_media(migrator: SchemaMigrator) -> None:
    """Version 13: counties' answers to the adoption survey of past benchmark cases,
    commendation letters, and cases' digital objects (slides, forum-day photos, video links)."""
    from peewee import (BlobField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model,
                        TextField)

    from kb.db import JSONField

    class CaseRef(Model):
        class Meta:
            database = database.obj
            table_name = "case"

    class CountyRef(Model):
        class Meta:
            database = database.obj
            table_name = "county"

    class Adoption(Model):
        survey_year = IntegerField(index=True)
        case = ForeignKeyField(CaseRef, on_delete="CASCADE")
        county = ForeignKeyField(CountyRef)
        kind = TextField()
        year = IntegerField(null=True)
        note = TextField(default="")
        actor = TextField()
        at = DateTimeField()

        class Meta:
            database = database.obj
            table_name = "adoption"
            indexes = ((("survey_year", "case", "county"), True),)

    class AdoptionResponse(Model):
        survey_year = IntegerField()
        county = ForeignKeyField(CountyRef)
        actor = TextField()
        at = DateTimeField()

        class Meta:
            database = database.obj
            table_name = "adoptionresponse"
            indexes = ((("survey_year", "county"), True),)

    class CommendationLetter(Model):
        case = ForeignKeyField(CaseRef, unique=True, on_delete="CASCADE")
        number = TextField(default="")
        date = DateField(null=True)
        sender = TextField(default="")
        copies = TextField(default="")
        people = JSONField(null=True)
        actor = TextField()
        at = DateTimeField()

        class Meta:
            database = database.obj
            table_name = "commendationletter"

    class CaseMedia(Model):
        case = ForeignKeyField(CaseRef, on_delete="CASCADE")
        kind = TextField()
        position = IntegerField()
        title = TextField(default="")
        url = TextField(default="")
        data = BlobField(null=True)
        size = IntegerField(default=0)
        width = IntegerField(null=True)
        height = IntegerField(null=True)
        actor = TextField()
        at = DateTimeField()

        class Meta:
            database = database.obj
            table_name = "casemedia"

    database.obj.create_tables([Adoption, AdoptionResponse, CommendationLetter, CaseMedia])


def add_participants(migrator: SchemaMigrator) -> None:
    """Version 14: registration for the regional forums and their participants."""
    from peewee import (BooleanField, DateField, DateTimeField, ForeignKeyField, IntegerField,
                        Model, TextField)

    def ref(table: str):
        return type(f"{table}_ref", (Model,), {"Meta": type("Meta", (), {
            "database": database.obj, "table_name": table})})

    def table(name: str, indexes=(), **fields):
        meta = type("Meta", (), {"database": database.obj, "table_name": name,
                                 "indexes": indexes})
        return type(name, (Model,), {"Meta": meta, "__module__": __name__, **fields})

    edition, region, county = ref("edition"), ref("region"), ref("county")
    window = table("registrationwindow", indexes=((("edition", "region"), True),),
                   edition=ForeignKeyField(edition, on_delete="CASCADE"),
                   region=ForeignKeyField(region, on_delete="CASCADE"), seats=IntegerField(),
                   deadline=DateField(null=True), is_open=BooleanField(default=True))
    participant = table(
        "participant", indexes=((("edition", "name", "agency"), True),),
        edition=ForeignKeyField(edition, on_delete="CASCADE"),
        region=ForeignKeyField(region, on_delete="CASCADE"), county=ForeignKeyField(county),
        name=TextField(), agency=TextField(), title=TextField(default=""),
        email=TextField(default=""), meal=TextField(default="葷食"),
        status=TextField(default="registered"), attended=BooleanField(default=False),
        attended_at=DateTimeField(null=True), created_by=TextField(default=""),
        created_at=DateTimeField(), updated_at=DateTimeField())
    database.obj.create_tables([window, participant])


def add_surveys(migrator: SchemaMigrator) -> None:
    """Version 15: the participant questionnaire (成效評量), its links and answers."""
    from peewee import DateTimeField, ForeignKeyField, Model, TextField

    from kb.db import JSONField

    def ref(table: str):
        return type(f"{table}_ref", (Model,), {"Meta": type("Meta", (), {
            "database": database.obj, "table_name": table})})

    def table(name: str, indexes=(), **fields):
        meta = type("Meta", (), {"database": database.obj, "table_name": name,
                                 "indexes": indexes})
        return type(name, (Model,), {"Meta": meta, "__module__": __name__, **fields})

    edition, region = ref("edition"), ref("region")
    survey = table("survey", edition=ForeignKeyField(edition, unique=True, on_delete="CASCADE"),
                   title=TextField(), intro=TextField(default=""),
                   questions=JSONField(default=list), updated_at=DateTimeField())
    link = table("surveylink", indexes=((("survey", "region"), True),),
                 survey=ForeignKeyField(survey, on_delete="CASCADE"),
                 region=ForeignKeyField(region, on_delete="CASCADE"), token=TextField(unique=True))
    response = table("surveyresponse", indexes=((("survey", "device"), True),),
                     survey=ForeignKeyField(survey, on_delete="CASCADE"),
                     region=ForeignKeyField(region, on_delete="CASCADE"),
                     device=TextField(null=True), source=TextField(default="web"),
                     answers=JSONField(default=dict), at=DateTimeField())
    database.obj.create_tables([survey, link, response])


# (version, function(migrator)) in ascending order; version 1 is the initial schema.
MIGRATIONS: list[tuple[int, object]] = [(2, add_judging_tables), (3, add_outcome_overrides),
                                        (4, add_writeup_figures_and_photos),
                                        (5, add_speaker_merges), (9, add_account_columns),
                                        (10, rank_method_and_review_minutes),
                                        (13, add_adoption_letters_and_media),
                                        (14, add_participants), (15, add_surveys)]
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
