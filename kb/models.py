"""Peewee models of the case library.

A year's forum (:class:`Edition`) holds its own rules as rows and settings — regions and their
counties, categories, rubric criteria, stages — so that a later year, or another forum, is set
up without code changes.
"""
from __future__ import annotations

from datetime import datetime

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from kb.db import JSONField, database
from kb.settings import YearRules, rules_of
from kb.rocdate import ad_year


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
    name = TextField()
    intake_open = BooleanField(default=False)
    # The JSON part of the year's rules (kb.settings.YearRules); read it through ``rules``.
    settings = JSONField(default=dict)
    created_at = DateTimeField(default=now)

    @property
    def ad_year(self) -> int:
        return ad_year(self.year)

    @property
    def rules(self) -> YearRules:
        """The year's quotas, judges per case, aggregation, tie-breaks…, typed and checked
        (once per settings value: a save assigns a new dict)."""
        cached = self.__dict__.get("_rules")
        if cached is None or cached[0] is not self.settings:
            cached = self.__dict__["_rules"] = (self.settings, rules_of(self.settings))
        return cached[1]

    def quota(self, name: str) -> int:
        """One of the year's quotas, e.g. ``cases_per_county``."""
        return self.rules.quota(name)


class Region(BaseModel):
    """A region (分區) of one edition."""

    edition = ForeignKeyField(Edition, backref="regions", on_delete="CASCADE")
    name = TextField()
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
    name = TextField()
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
    name = TextField()
    points = FloatField()
    description = TextField(default="")
    position = IntegerField()

    class Meta:
        indexes = ((("edition", "name"), True),)


class Stage(BaseModel):
    """A judging stage of one edition (書面篩選, 分區評選) with its weight and state."""

    edition = ForeignKeyField(Edition, backref="stages", on_delete="CASCADE")
    key = CharField()
    name = TextField()
    weight = FloatField()
    position = IntegerField()
    is_open = BooleanField(default=False)
    # Set when staff close the stage (cleared on reopening): a stage not yet opened is not
    # closed, and may still be staffed.
    closed_at = DateTimeField(null=True)
    # Whether a judge may change scores already submitted while the stage is open.
    allow_resubmit = BooleanField(default=False)

    class Meta:
        indexes = ((("edition", "key"), True),)



class Person(BaseModel):
    """Somebody named in a case; contact details are for staff only."""

    name = TextField()
    title = TextField(default="")
    agency = TextField(default="")
    county = ForeignKeyField(County, null=True)
    email = TextField(default="")
    phone = TextField(default="")


class User(BaseModel):
    """A login. County contacts are bound to one county."""

    login = TextField(unique=True)
    name = TextField()
    role = CharField()  # see kb.users.ROLES
    password_hash = CharField()
    county = ForeignKeyField(County, null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)
    email = TextField(default="")
    # Set by a password reset or a bulk import: the next sign-in must choose a new password.
    must_change_password = BooleanField(default=False)
    # Part of every session cookie; raising it (sign-out, new password, deactivation) ends
    # every session signed in before, wherever the cookie was copied to.
    session_version = IntegerField(default=0)


class Case(BaseModel):
    """A governance case sent in by a county for one edition."""

    edition = ForeignKeyField(Edition, backref="cases", on_delete="CASCADE")
    county = ForeignKeyField(County, backref="cases")
    # The region the case competes in, fixed at intake: a region is per-year data that staff
    # may still regroup, and a case must not silently change region mid-selection.
    region = ForeignKeyField(Region, backref="cases")
    category = ForeignKeyField(Category, backref="cases")
    theme = TextField(default="")  # the county's own theme, for a priority-3 category
    agency = TextField()
    title = TextField()
    summary = TextField()
    keywords = JSONField(default=list)
    attest_own = BooleanField()
    attest_ongoing = BooleanField()
    status = CharField(default="submitted", index=True)
    published = BooleanField(default=False, index=True)
    external_id = TextField(null=True)
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
    title = TextField(default="")
    affiliation = TextField(default="")
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
    actor = TextField()
    at = DateTimeField(default=now)
    # The quota rules staff knowingly broke with this override (see kb.selection.quota_breaks).
    rule_breaks = JSONField(default=list)


class ReviewSession(BaseModel):
    """A sitting of a stage's judges that a 評分總表 records: the whole screening, or one
    region's on-site session. ``scope`` is the region's id, 0 for the whole stage (a unique
    key that NULL could not give); ``held_on`` (YYYY-MM-DD) and ``venue`` as staff entered them."""

    stage = ForeignKeyField(Stage, backref="sessions", on_delete="CASCADE")
    scope = IntegerField()
    region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
    held_on = TextField(default="")
    venue = TextField(default="")

    class Meta:
        indexes = ((("stage", "scope"), True),)


class SessionAttendance(BaseModel):
    """Whether an assigned judge attended a session (a judge with no row attended)."""

    session = ForeignKeyField(ReviewSession, backref="attendance", on_delete="CASCADE")
    judge = ForeignKeyField(User, on_delete="CASCADE")
    present = BooleanField(default=True)

    class Meta:
        indexes = ((("session", "judge"), True),)


class JudgeCode(BaseModel):
    """The code (委員A, 委員B …) a judge appears under in a stage's 評分總表."""

    stage = ForeignKeyField(Stage, backref="judge_codes", on_delete="CASCADE")
    judge = ForeignKeyField(User, on_delete="CASCADE")
    code = TextField()

    class Meta:
        indexes = ((("stage", "judge"), True), (("stage", "code"), True))


class DifferenceHandling(BaseModel):
    """Staff's recorded handling (處置方式) of a marked difference in a session's results;
    ``subject`` names the difference (see :func:`kb.minutes.difference_subject`)."""

    session = ForeignKeyField(ReviewSession, backref="handlings", on_delete="CASCADE")
    subject = TextField()
    handling = TextField()
    note = TextField(default="")
    actor = TextField()
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("session", "subject"), True),)


class CaseFigure(BaseModel):
    """A key figure (KPI) of a write-up: indicator, before, after, unit."""

    version = ForeignKeyField(CaseVersion, backref="figures", on_delete="CASCADE")
    position = IntegerField()
    indicator = TextField()
    before = TextField(default="")
    after = TextField(default="")
    unit = TextField(default="")


class CasePhoto(BaseModel):
    """A photo of a write-up, re-encoded on upload and kept in the instance folder."""

    version = ForeignKeyField(CaseVersion, backref="photos", on_delete="CASCADE")
    position = IntegerField()
    caption = TextField(default="")
    filename = CharField()  # under <instance>/uploads
    width = IntegerField()
    height = IntegerField()


class AuditLog(BaseModel):
    """Who changed what, when, with the values before and after."""

    at = DateTimeField(default=now, index=True)
    actor = TextField()  # a login, or "system"
    action = CharField()
    table = CharField()
    record_id = IntegerField(null=True)
    before = JSONField(null=True)
    after = JSONField(null=True)
    reason = TextField(default="")

    class Meta:
        # what the audit page's filter lists read (kb.audit.audit_choices)
        indexes = ((("actor", "action", "table"), False),)


class SignInAttempt(BaseModel):
    """One try to sign in, kept to throttle guessing (see :mod:`kb.signin`)."""

    login = TextField()  # as typed, folded; also for logins that do not exist
    address = TextField()
    at = DateTimeField(default=datetime.now)
    succeeded = BooleanField()

    class Meta:
        indexes = ((("login", "at"), False), (("address", "at"), False))


class SpeakerMerge(BaseModel):
    """Staff's finding that two seed-speaker entries are one person: the entry ``source_key``
    joins ``target_key`` (keys: :func:`kb.speakers.speaker_key`), whose spelling it takes."""

    source_key = CharField(unique=True)
    target_key = CharField(index=True)
    reason = TextField()
    actor = TextField()
    at = DateTimeField(default=now)


class Adoption(BaseModel):
    """A county's answer on one past benchmark case in one year's adoption survey (歷年案例的應用):
    adopted as it is, adapted, or wanted; with the year it was (or is to be) put to use."""

    survey_year = IntegerField(index=True)  # the ROC year of the survey that recorded it
    case = ForeignKeyField(Case, backref="adoptions", on_delete="CASCADE")
    county = ForeignKeyField(County, backref="adoptions")
    kind = TextField()  # see kb.adoption.KINDS
    year = IntegerField(null=True)  # ROC year put to use (planned, for "wanted")
    note = TextField(default="")
    actor = TextField()
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("survey_year", "case", "county"), True),)


class AdoptionResponse(BaseModel):
    """That a county answered one year's adoption survey (possibly with no adoption at all)."""

    survey_year = IntegerField()
    county = ForeignKeyField(County, backref="adoption_responses")
    actor = TextField()
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("survey_year", "county"), True),)


class CommendationLetter(BaseModel):
    """The letter (行政獎勵函) asking a winner's agency to commend its people: number, date,
    sender, copies, and who is commended (None: the case's owner, presenter and contact)."""

    case = ForeignKeyField(Case, backref="letters", unique=True, on_delete="CASCADE")
    number = TextField(default="")
    date = DateField(null=True)
    sender = TextField(default="")
    copies = TextField(default="")
    people = JSONField(null=True)
    actor = TextField()
    at = DateTimeField(default=now)


class CaseMedia(BaseModel):
    """A digital object of a published case besides its write-up: presentation slides (PDF),
    a photo of the forum day (re-encoded JPEG), or a link to a video on an outside host. Files
    are kept in the database, so every app server serves them."""

    case = ForeignKeyField(Case, backref="media", on_delete="CASCADE")
    kind = TextField()  # slides | photo | video
    position = IntegerField()
    title = TextField(default="")
    url = TextField(default="")  # video only
    data = BlobField(null=True)  # slides and photos
    size = IntegerField(default=0)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    actor = TextField()
    at = DateTimeField(default=now)


class RegistrationWindow(BaseModel):
    """Registration for one region's forum: seats, the last day to register, open or not."""

    edition = ForeignKeyField(Edition, on_delete="CASCADE")
    region = ForeignKeyField(Region, on_delete="CASCADE")
    seats = IntegerField()
    deadline = DateField(null=True)
    is_open = BooleanField(default=True)

    class Meta:
        indexes = ((("edition", "region"), True),)


class Participant(BaseModel):
    """A person registered for a region's forum (調訓學員) by their county."""

    edition = ForeignKeyField(Edition, backref="participants", on_delete="CASCADE")
    region = ForeignKeyField(Region, on_delete="CASCADE")
    county = ForeignKeyField(County)
    name = TextField()
    agency = TextField()
    title = TextField(default="")
    email = TextField(default="")
    meal = TextField(default="葷食")
    status = TextField(default="registered")  # registered | waiting | cancelled
    attended = BooleanField(default=False)
    attended_at = DateTimeField(null=True)
    created_by = TextField(default="")
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("edition", "name", "agency"), True),)


class Survey(BaseModel):
    """A year's participant questionnaire (成效評量): ``questions`` as kb.survey describes."""

    edition = ForeignKeyField(Edition, backref="surveys", unique=True, on_delete="CASCADE")
    title = TextField()
    intro = TextField(default="")
    questions = JSONField(default=list)
    updated_at = DateTimeField(default=now)


class SurveyLink(BaseModel):
    """The link (token) participants of one region's forum answer through."""

    survey = ForeignKeyField(Survey, backref="links", on_delete="CASCADE")
    region = ForeignKeyField(Region, on_delete="CASCADE")
    token = TextField(unique=True)

    class Meta:
        indexes = ((("survey", "region"), True),)


class SurveyResponse(BaseModel):
    """One participant's answers; ``device`` is a digest of the answering browser's token (one
    answer per device), empty for answers typed in from paper by staff."""

    survey = ForeignKeyField(Survey, backref="responses", on_delete="CASCADE")
    region = ForeignKeyField(Region, on_delete="CASCADE")
    device = TextField(null=True)
    source = TextField(default="web")  # web | paper
    answers = JSONField(default=dict)
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("survey", "device"), True),)


class SearchState(BaseModel):
    """One row: ``changes`` counts case writes (bumped in the writing transaction, which holds
    the row until it commits, so change numbers follow commit order on every backend).

    Each home's search index records the change number it reflects (kb.search_rebuild), so any
    process on any server tells cheaply that it is behind and which cases to catch up on.
    """

    changes = IntegerField(default=0)
    pruned = IntegerField(default=0)  # the change record holds no change up to this number


class SearchHome(BaseModel):
    """A home whose search index catches up from the change record: ``changes`` is the change
    number its current generation's snapshot reflects (its processes catch up from there), so
    the record is kept after the lowest such number of the homes seen lately."""

    name = TextField(unique=True)
    changes = IntegerField()
    seen_at = DateTimeField(default=now)


class CaseChange(BaseModel):
    """The change record: case ``case_id`` was written in change number ``change``."""

    change = IntegerField(index=True)
    case_id = IntegerField()


class SelectionState(BaseModel):
    """One row: ``changes`` counts the committed writes to what selection, its statistics and
    the regional programmes are computed from (scores, assignments, rubric, stages, a year's
    settings, cases, counties, regions, overrides, panels, judges' accounts and profiles, the
    people of cases). Database triggers (migration 16) bump it in the writing transaction,
    whatever writes: a service, a bulk import, another process. :mod:`kb.computed` keys its
    per-process results on it, with ``token`` (random, set when the table is made), so a
    database made anew under the same name never passes for the old one."""

    changes = IntegerField(default=0)
    token = TextField(default="")


class SchemaVersion(BaseModel):
    """The schema version a database is at (one row)."""

    version = IntegerField()


MODELS = [
    County, Edition, Region, RegionCounty, Category, Criterion, Stage, Person, User,
    Case, CaseVersion, CaseRole, Assignment, Score, JudgeProfile, Conflict, PanelMember, OutcomeOverride, CaseFigure, CasePhoto, AuditLog, SearchState, SearchHome, CaseChange,
    SelectionState,
    SpeakerMerge, SignInAttempt, ReviewSession, SessionAttendance, JudgeCode, DifferenceHandling, Adoption,
    AdoptionResponse, CommendationLetter, CaseMedia, RegistrationWindow, Participant, Survey,
    SurveyLink, SurveyResponse, SchemaVersion,
]
