"""Peewee models of the case library.

A year's forum (:class:`Edition`) holds its own rules as rows and settings — regions and their
counties, categories, rubric criteria, stages — so that a later year, or another forum, is set
up without code changes.
"""
from __future__ import annotations

from datetime import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from kb.db import JSONField, database


def now() -> datetime:
    """The current local time, without microseconds (what the audit log and pages show)."""
    return datetime.now().replace(microsecond=0)


class BaseModel(Model):
    class Meta:
        database = database


class County(BaseModel):
    """A county or city (縣市), under its official name; ``variants`` are accepted spellings."""

    name = CharField(unique=True)
    code = CharField(unique=True)
    variants = JSONField(default=list)


class Edition(BaseModel):
    """One year's forum, keyed by its ROC year, with its rules as data."""

    year = IntegerField(unique=True)
    name = CharField()
    intake_open = BooleanField(default=False)
    # quotas, judges_per_case, aggregation, tie_break: see seeds/reference.json
    settings = JSONField(default=dict)
    created_at = DateTimeField(default=now)

    @property
    def ad_year(self) -> int:
        return self.year + 1911

    def quota(self, name: str) -> int:
        """One of the year's quotas, e.g. ``cases_per_county``."""
        return int(self.settings["quotas"][name])


class Region(BaseModel):
    """A region (分區) of one edition."""

    edition = ForeignKeyField(Edition, backref="regions", on_delete="CASCADE")
    name = CharField()
    position = IntegerField()

    class Meta:
        indexes = ((("edition", "name"), True),)


class RegionCounty(BaseModel):
    """Membership of a county in a region for one edition (a later year may regroup)."""

    region = ForeignKeyField(Region, backref="memberships", on_delete="CASCADE")
    county = ForeignKeyField(County, backref="memberships")
    edition = ForeignKeyField(Edition, on_delete="CASCADE")

    class Meta:
        indexes = ((("edition", "county"), True),)


class Category(BaseModel):
    """A call category (徵求類別) of one edition; priority 3 means the county names its theme."""

    edition = ForeignKeyField(Edition, backref="categories", on_delete="CASCADE")
    name = CharField()
    priority = IntegerField()
    description = TextField(default="")
    position = IntegerField()

    class Meta:
        indexes = ((("edition", "name"), True),)

    @property
    def needs_theme(self) -> bool:
        return self.priority >= 3


class Criterion(BaseModel):
    """A rubric criterion (評選指標) of one edition with its points (配分)."""

    edition = ForeignKeyField(Edition, backref="criteria", on_delete="CASCADE")
    name = CharField()
    points = FloatField()
    description = TextField(default="")
    position = IntegerField()

    class Meta:
        indexes = ((("edition", "name"), True),)


class Stage(BaseModel):
    """A judging stage of one edition (書面篩選, 分區評選) with its weight and state."""

    edition = ForeignKeyField(Edition, backref="stages", on_delete="CASCADE")
    key = CharField()
    name = CharField()
    weight = FloatField()
    position = IntegerField()
    is_open = BooleanField(default=False)

    class Meta:
        indexes = ((("edition", "key"), True),)


class Person(BaseModel):
    """Somebody named in a case; contact details are for staff only."""

    name = CharField()
    title = CharField(default="")
    agency = CharField(default="")
    county = ForeignKeyField(County, null=True)
    email = CharField(default="")
    phone = CharField(default="")


class User(BaseModel):
    """A login. County contacts are bound to one county."""

    login = CharField(unique=True)
    name = CharField()
    role = CharField()  # see kb.users.ROLES
    password_hash = CharField()
    county = ForeignKeyField(County, null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)


class Case(BaseModel):
    """A governance case sent in by a county for one edition."""

    edition = ForeignKeyField(Edition, backref="cases", on_delete="CASCADE")
    county = ForeignKeyField(County, backref="cases")
    # The region the case competes in, fixed at intake: a region is per-year data that staff
    # may still regroup, and a case must not silently change region mid-selection.
    region = ForeignKeyField(Region, backref="cases")
    category = ForeignKeyField(Category, backref="cases")
    theme = CharField(default="")  # the county's own theme, for a priority-3 category
    agency = CharField()
    title = CharField()
    summary = TextField()
    keywords = JSONField(default=list)
    attest_own = BooleanField()
    attest_ongoing = BooleanField()
    status = CharField(default="submitted", index=True)
    published = BooleanField(default=False, index=True)
    external_id = CharField(null=True)
    created_by = ForeignKeyField(User, null=True)
    created_at = DateTimeField(default=now)
    # Full precision (unlike created_at): when the case last changed.
    updated_at = DateTimeField(default=datetime.now)

    class Meta:
        indexes = (
            (("edition", "county", "title"), True),
            (("edition", "external_id"), True),
        )


class CaseVersion(BaseModel):
    """A write-up of a case: the submitted one, later a refined one (精進案例)."""

    case = ForeignKeyField(Case, backref="versions", on_delete="CASCADE")
    kind = CharField(default="submitted")  # submitted | refined
    sections = JSONField(default=dict)  # section key -> text, see kb.cases.SECTIONS
    approved = BooleanField(default=False)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("case", "kind"), True),)


class CaseRole(BaseModel):
    """A person's role in a case: owner, presenter or contact."""

    case = ForeignKeyField(Case, backref="roles", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="roles")
    role = CharField()

    class Meta:
        indexes = ((("case", "role"), True),)


class Assignment(BaseModel):
    """A judge put on a case in one stage; their scores hang off it."""

    stage = ForeignKeyField(Stage, backref="assignments", on_delete="CASCADE")
    judge = ForeignKeyField(User, backref="assignments")
    case = ForeignKeyField(Case, backref="assignments", on_delete="CASCADE")
    state = CharField(default="pending")  # pending | draft | submitted
    comment = TextField(default="")
    submitted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("stage", "judge", "case"), True),)


class Score(BaseModel):
    """A judge's score on one criterion for one assigned case."""

    assignment = ForeignKeyField(Assignment, backref="scores", on_delete="CASCADE")
    criterion = ForeignKeyField(Criterion)
    value = FloatField()

    class Meta:
        indexes = ((("assignment", "criterion"), True),)


class JudgeProfile(BaseModel):
    """A judge's title, affiliation, fields (category names) and the counties they are tied to."""

    user = ForeignKeyField(User, backref="judge_profile", unique=True, on_delete="CASCADE")
    title = CharField(default="")
    affiliation = CharField(default="")
    fields = JSONField(default=list)
    counties = JSONField(default=list)  # official names: employment, advisory roles


class Conflict(BaseModel):
    """A conflict of interest a judge declared on one case."""

    judge = ForeignKeyField(User, backref="conflicts", on_delete="CASCADE")
    case = ForeignKeyField(Case, backref="conflicts", on_delete="CASCADE")
    reason = TextField(default="")
    declared_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("judge", "case"), True),)


class PanelMember(BaseModel):
    """A judge on a stage's panel; for the on-site stage, on one region's panel."""

    stage = ForeignKeyField(Stage, backref="panel", on_delete="CASCADE")
    judge = ForeignKeyField(User, backref="panels", on_delete="CASCADE")
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")

    class Meta:
        indexes = ((("stage", "judge", "region"), True),)


class OutcomeOverride(BaseModel):
    """Staff's decision on a case's outcome (e.g. settling a tie), with the reason."""

    case = ForeignKeyField(Case, backref="overrides", unique=True, on_delete="CASCADE")
    outcome = CharField()  # benchmark | honourable | none
    reason = TextField()
    actor = CharField()
    at = DateTimeField(default=now)


class CaseFigure(BaseModel):
    """A key figure (KPI) of a write-up: indicator, before, after, unit."""

    version = ForeignKeyField(CaseVersion, backref="figures", on_delete="CASCADE")
    position = IntegerField()
    indicator = CharField()
    before = CharField(default="")
    after = CharField(default="")
    unit = CharField(default="")


class CasePhoto(BaseModel):
    """A photo of a write-up, re-encoded on upload and kept in the instance folder."""

    version = ForeignKeyField(CaseVersion, backref="photos", on_delete="CASCADE")
    position = IntegerField()
    caption = CharField(default="")
    filename = CharField()  # under <instance>/uploads
    width = IntegerField()
    height = IntegerField()


class AuditLog(BaseModel):
    """Who changed what, when, with the values before and after."""

    at = DateTimeField(default=now, index=True)
    actor = CharField()  # a login, or "system"
    action = CharField()
    table = CharField()
    record_id = IntegerField(null=True)
    before = JSONField(null=True)
    after = JSONField(null=True)
    reason = TextField(default="")


class SpeakerMerge(BaseModel):
    """Staff's finding that two seed-speaker entries are one person: the entry ``source_key``
    joins ``target_key`` (keys: :func:`kb.speakers.speaker_key`), whose spelling it takes."""

    source_key = CharField(unique=True)
    target_key = CharField(index=True)
    reason = TextField()
    actor = CharField()
    at = DateTimeField(default=now)


class SearchState(BaseModel):
    """One row: ``changes`` counts case writes (bumped in the writing transaction, which holds
    the row until it commits, so change numbers follow commit order on every backend).

    Each home's search index records the change number it reflects (kb.search_rebuild), so any
    process on any server tells cheaply that it is behind and which cases to catch up on.
    """

    changes = IntegerField(default=0)


class CaseChange(BaseModel):
    """The change record: case ``case_id`` was written in change number ``change``."""

    change = IntegerField(index=True)
    case_id = IntegerField()


class SchemaVersion(BaseModel):
    """The schema version a database is at (one row)."""

    version = IntegerField()


MODELS = [
    County, Edition, Region, RegionCounty, Category, Criterion, Stage, Person, User,
    Case, CaseVersion, CaseRole, Assignment, Score, JudgeProfile, Conflict, PanelMember, OutcomeOverride, CaseFigure, CasePhoto, AuditLog, SearchState, CaseChange,
    SpeakerMerge, SchemaVersion,
]
