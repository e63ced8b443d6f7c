"""Cases: intake (web form, command line, Excel rows), editing, listing, and who may see what."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple, TypeVar

from peewee import fn

from kb.audit import changed_values, write_audit, write_audits
from kb.case_codes import case_codes_of
from kb.collector import collector_paused
from kb.db import database, for_update, insert_rows
from kb.editions import (county_members, edition_counties, find_category, find_county,
                         get_edition)
from kb.formats import email_problem, phone_problem
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError
from kb.policy import (can_edit_case, can_view_case, check_may_import, check_may_submit,
                       is_county_contact, is_staff, require_staff)
from kb.search import SearchDocument, cases_changed, note_case_change
from kb.models import (Case, CaseRole, CaseVersion, Category, County, Edition,
                       Person, Region, User, now)
from kb.rocdate import roc_year
from kb.text import clean_text, normalize_name
from scoring.rules import Outcome

SECTIONS = (
    ("background", "背景與問題"),
    ("innovation", "創新作法"),
    ("collaboration", "跨域合作與資源整合"),
    ("outcomes", "執行成效（質化與量化）"),
    ("adoption", "推廣與應用"),
)
STATUSES = {
    "submitted": "已收件",
    "nominated": "已提名",
    "presented": "已簡報",
    **{outcome.status: outcome.label for outcome in Outcome.decided()},
}
AWARDS = {outcome.status: outcome.label for outcome in (Outcome.BENCHMARK, Outcome.HONOURABLE)}


def published_award():
    """The condition of a published benchmark case or honourable mention (the cases anyone may
    see as a year's winners), as a query expression."""
    return (Case.published == True) & Case.status.in_(list(AWARDS))  # noqa: E712
PERSON_FIELDS = (("name", "姓名"), ("title", "職稱"), ("phone", "電話"), ("email", "電子郵件"))
PEOPLE = (("owner", "案例負責人"), ("contact", "聯絡人"))

# The label of every input, as forms and spreadsheet headers show it.
FIELD_LABELS = {
    "external_id": "案例編號",
    "county": "縣市",
    "agency": "提案機關",
    "category": "徵求類別",
    "theme": "自訂主題",
    "title": "案例名稱",
    "summary": "案例摘要",
    **{f"sections.{key}": label for key, label in SECTIONS},
    "keywords": "關鍵詞",
    **{f"{who}.{key}": f"{who_label}{label}" for who, who_label in PEOPLE
       for key, label in PERSON_FIELDS},
    "attest_own": "自辦或成功移植",
    "attest_ongoing": "持續推動中",
}
# What every case must have; the attestations must also be true.
REQUIRED_FIELDS = ("county", "agency", "category", "title", "summary",
                   *(f"sections.{key}" for key, _ in SECTIONS), "owner.name", "contact.name",
                   "attest_own", "attest_ongoing")
MAX_LENGTHS = {"title": 100, "agency": 100, "theme": 50, "summary": 1_000, "section": 32_767}
MAX_KEYWORDS = 10


@dataclass
class PersonInput:
    """A person named in a case, as typed."""

    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class CaseInput:
    """A case as a person sends it in; names are resolved and checked by the services."""

    county: str = ""
    agency: str = ""
    category: str = ""
    title: str = ""
    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    theme: str = ""
    owner: PersonInput = field(default_factory=PersonInput)
    contact: PersonInput = field(default_factory=PersonInput)
    attest_own: bool = False
    attest_ongoing: bool = False
    external_id: str | None = None


@dataclass
class ImportRow:
    """One spreadsheet row: where it stands and what it says (``columns``: field -> column)."""

    sheet: str
    row: int
    input: CaseInput
    columns: dict[str, str] = field(default_factory=dict)

    def locate(self, problem: Problem) -> str:
        """The problem's message prefixed with sheet, row and column, e.g. 「案例清單」第7列「縣市」：…"""
        where = f"「{self.sheet}」第{self.row}列"
        if problem.field:
            label = FIELD_LABELS.get(problem.field, problem.field)
            column = self.columns.get(problem.field)
            where += f"「{label}」" + (f"（{column}欄）" if column else "")
        return f"{where}：{problem.message}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        """The report as plain data for --json."""
        return asdict(self)


@dataclass
class _Resolved:
    """A checked input with its names resolved to rows."""

    input: CaseInput
    county: County
    region: Region
    category: Category


# --- checking input --------------------------------------------------------------------------

def _clean_input(data: CaseInput) -> CaseInput:
    def person(p: PersonInput) -> PersonInput:
        return PersonInput(**{key: clean_text(getattr(p, key)) for key, _ in PERSON_FIELDS})

    keywords = []
    for word in data.keywords:
        word = clean_text(word)
        if word and word not in keywords:
            keywords.append(word)
    return CaseInput(
        county=clean_text(data.county), agency=clean_text(data.agency),
        category=clean_text(data.category), title=clean_text(data.title),
        summary=clean_text(data.summary), theme=clean_text(data.theme),
        sections={key: clean_text(data.sections.get(key, "")) for key, _ in SECTIONS},
        keywords=keywords, owner=person(data.owner), contact=person(data.contact),
        attest_own=bool(data.attest_own), attest_ongoing=bool(data.attest_ongoing),
        external_id=clean_text(data.external_id) or None)


class _YearNames:
    """A year's counties and categories read once, each typed name looked up once (an import
    of thousands of rows types the same few names again and again)."""

    def __init__(self, edition: Edition):
        self.edition = edition
        self.members, self.categories = county_members(edition), list(edition.categories)
        self.found: dict[tuple[str, str], object] = {}  # (kind, typed) → row(s) or problems

    def county(self, typed: str) -> tuple[County, Region]:
        """:func:`kb.editions.find_county` among the year's counties."""
        return self._find("county", typed, lambda: find_county(self.edition, typed,
                                                                 members=self.members))

    def category(self, typed: str) -> Category:
        """:func:`kb.editions.find_category` among the year's categories."""
        return self._find("category", typed, lambda: find_category(
            self.edition, typed, categories=self.categories))

    def _find(self, kind: str, typed: str, find):
        key = (kind, typed)
        if key not in self.found:
            try:
                self.found[key] = find()
            except ValidationError as error:
                self.found[key] = error.problems
        found = self.found[key]
        if isinstance(found, list):
            raise ValidationError(found)
        return found


def check_case(edition: Edition, data: CaseInput, *,
               names: _YearNames | None = None) -> tuple[_Resolved | None, list[Problem]]:
    """Check an input against the year's rules; every problem names its field. ``names`` are
    the year's counties and categories when the caller checks many inputs."""
    data = _clean_input(data)
    names = names or _YearNames(edition)
    problems: list[Problem] = []
    county = region = category = None
    try:
        county, region = names.county(data.county)
    except ValidationError as error:
        problems.extend(error.problems)
    try:
        category = names.category(data.category)
    except ValidationError as error:
        problems.extend(error.problems)
    problems += [Problem("必須填寫", name) for name in _TYPED_REQUIRED if not _value(data, name)]
    if category is not None and category.needs_theme and not data.theme:
        problems.append(Problem(f"類別「{category.name}」須由縣市自訂主題", "theme"))
    for name, limit in _LENGTH_LIMITS:
        length = len(_value(data, name))
        if length > limit:
            problems.append(Problem(f"長度 {length} 字，超過上限 {limit} 字", name))
    if len(data.keywords) > MAX_KEYWORDS:
        problems.append(Problem(f"關鍵詞最多 {MAX_KEYWORDS} 個", "keywords"))
    for who, _ in PEOPLE:
        person = getattr(data, who)
        for key, check in (("phone", phone_problem), ("email", email_problem)):
            message = check(getattr(person, key))
            if message:
                problems.append(Problem(message, f"{who}.{key}"))
    if not (data.contact.phone or data.contact.email):
        problems.append(Problem("請填寫聯絡人電話或電子郵件", "contact.phone"))
    if not data.attest_own:
        problems.append(Problem("須聲明本案為縣市自辦或成功移植他人案例", "attest_own"))
    if not data.attest_ongoing:
        problems.append(Problem("須聲明本案仍持續推動且有精進空間", "attest_ongoing"))
    if problems:
        return None, problems
    return _Resolved(data, county, region, category), []


def _value(data: CaseInput, name: str) -> str:
    """An input's text field by name: ``title``, ``owner.phone``, ``sections.innovation``."""
    section = _SECTION_KEYS.get(name)
    return data.sections.get(section, "") if section else attrgetter(name)(data)


_SECTION_KEYS = {f"sections.{key}": key for key, _ in SECTIONS}
# The required fields check_case looks at as typed (counties, categories and the attestations
# have their own messages), and each text field's length limit.
_TYPED_REQUIRED = tuple(name for name in REQUIRED_FIELDS
                        if name not in ("county", "category") and not name.startswith("attest_"))
_LENGTH_LIMITS = tuple((field_name, limit) for name, limit in MAX_LENGTHS.items()
                       for field_name in (_SECTION_KEYS if name == "section" else (name,)))


def county_case_count(edition: Edition, county: County) -> int:
    """How many cases a county has sent in for an edition."""
    return Case.select().where((Case.edition == edition) & (Case.county == county)).count()


def county_case_counts(edition: Edition, county_ids) -> dict[int, int]:
    """How many cases each of these counties has sent in for an edition, by county id (a
    county with none is left out); one query."""
    return dict(Case.select(Case.county, fn.COUNT(Case.id))
                .where((Case.edition == edition) & Case.county.in_(sorted(county_ids)))
                .group_by(Case.county).tuples())


def quota_usage(year: int, county: str) -> tuple[int, int]:
    """(cases sent in, limit) for a county in a year."""
    edition = get_edition(year)
    county_row, _ = find_county(edition, county)
    return county_case_count(edition, county_row), edition.quota("cases_per_county")


def _quota_problem(edition: Edition, county: County, count: int) -> Problem:
    limit = edition.quota("cases_per_county")
    return Problem(f"{county.name}{roc_year(edition.year)}已送件 {count} 件，每縣市以 {limit} 件為原則；"
                   "超過時須由主辦機關註明理由後受理", "county")


def _check_override(actor: User | None, override_reason: str | None) -> str:
    reason = clean_text(override_reason)
    require_staff(actor, "受理超過件數上限的案例")
    if not reason:
        raise ValidationError([Problem("受理超過件數上限的案例須註明理由", "override_reason")])
    return reason


# --- writing ---------------------------------------------------------------------------------

def _snapshot(case: Case) -> dict:
    people = {role: {key: getattr(person, key) for key, _ in PERSON_FIELDS}
              for role, person in case_people([case.id])[case.id].items()}
    return _snapshot_of(case, case.county, case.region, case.category,
                        _submitted_sections(case), people)


def _submitted_sections(case: Case) -> dict[str, str]:
    version = CaseVersion.get_or_none((CaseVersion.case == case) & (CaseVersion.kind == "submitted"))
    return version.sections if version else {}


def _snapshot_of(case: Case, county: County, region: Region, category: Category,
                 sections: dict, people: dict) -> dict:
    """What the audit log compares of a case, from its row, its write-up and the rows it names."""
    return {**_case_fields(case, county, region, category, people), "sections": sections}


def _case_fields(case: Case, county: County, region: Region, category: Category,
                 people: dict) -> dict:
    """A case's fields and people as the audit log keeps them (its write-up apart)."""
    return {
        "county": county.name, "region": region.name, "category": category.name,
        "theme": case.theme, "agency": case.agency, "title": case.title, "summary": case.summary,
        "keywords": case.keywords, "attest_own": case.attest_own,
        "attest_ongoing": case.attest_ongoing, "external_id": case.external_id,
        "people": people,
    }


def _set_fields(case: Case, resolved: _Resolved) -> None:
    data = resolved.input
    case.county, case.region, case.category = resolved.county, resolved.region, resolved.category
    case.theme = data.theme if resolved.category.needs_theme else ""
    case.agency, case.title, case.summary = data.agency, data.title, data.summary
    case.keywords = data.keywords
    case.attest_own, case.attest_ongoing = data.attest_own, data.attest_ongoing
    if data.external_id:
        case.external_id = data.external_id
    case.updated_at = datetime.now()


def _insert_cases(edition: Edition, items: list[tuple[_Resolved, str]],
                  actor: User | None) -> list[Case]:
    """Write new cases (each with its override reason, "" when none), their submitted write-ups,
    people and audit records, a few bulk statements for the lot; the cases in order."""
    cases = []
    for resolved, _ in items:
        case = Case(edition=edition, created_by=actor)
        _set_fields(case, resolved)
        cases.append(case)
    fields = [field for name, field in Case._meta.fields.items() if name != "id"]
    ids = insert_rows(Case, fields, [tuple(case.__data__.get(f.name) for f in fields)
                                     for case in cases], returning=True)
    for case, case_id in zip(cases, ids):
        case.id = case_id
    stamp = now()
    insert_rows(CaseVersion, [CaseVersion.case, CaseVersion.kind, CaseVersion.sections,
                              CaseVersion.approved, CaseVersion.created_at,
                              CaseVersion.updated_at],
                [(case.id, "submitted", r.input.sections, False, stamp, stamp)
                 for case, (r, _) in zip(cases, items)])
    people = [(case, who, {key: getattr(getattr(r.input, who), key) for key, _ in PERSON_FIELDS})
              for case, (r, _) in zip(cases, items) for who, _ in PEOPLE]
    person_fields = [Person.agency, Person.county,
                     *(getattr(Person, key) for key, _ in PERSON_FIELDS)]
    person_ids = insert_rows(Person, person_fields,
                             [(case.agency, case.county_id, *values.values())
                              for case, _, values in people], returning=True)
    insert_rows(CaseRole, [CaseRole.case, CaseRole.person, CaseRole.role],
                [(case.id, person_id, who) for (case, who, _), person_id in zip(people, person_ids)])
    note_case_change([case.id for case in cases])
    named = defaultdict(dict)
    for case, who, values in people:
        named[case.id][who] = values
    write_audits(actor, "create_case", "case",
                 [(case.id, None, _creation_record(case, r, named[case.id]), reason)
                  for case, (r, reason) in zip(cases, items)])
    return cases


def _creation_record(case: Case, resolved: _Resolved, people: dict) -> dict:
    """What the audit log keeps of a new case: its fields and people, and how long each section
    of its write-up is. The text is the case's submitted version, not copied again into the
    log (it was half of what an import wrote); a later change logs the text before and after."""
    return {**_case_fields(case, resolved.county, resolved.region, resolved.category, people),
            "section_characters": {key: len(text)
                                   for key, text in resolved.input.sections.items()}}


def _update_cases(items: list[tuple[Case, _Resolved]], actor: User | None) -> list[bool]:
    """Change existing cases (read with their county, region and category) as their checked
    inputs say, in order; whether each changed. Their write-ups and people are read in two
    statements, and only what changed is written, in a few bulk statements for the lot: each
    changed case with its audit record of what changed, as one update after another would
    (a person named in two of them ends as the later one says)."""
    if not items:
        return []
    ids = [case.id for case, _ in items]
    sections = dict(CaseVersion.select(CaseVersion.case, CaseVersion.sections).where(
        CaseVersion.case.in_(ids) & (CaseVersion.kind == "submitted")).tuples())
    keys = ("agency", "county", *(key for key, _ in PERSON_FIELDS))
    roles: dict[int, dict[str, int]] = defaultdict(dict)  # case id → role → person id
    people: dict[int, dict] = {}  # person id → its values as the rows before have left them
    for case_id, role, person_id, *values in (
            CaseRole.select(CaseRole.case, CaseRole.role, Person.id, Person.agency,
                            Person.county, *(getattr(Person, key) for key, _ in PERSON_FIELDS))
            .join(Person).where(CaseRole.case.in_(ids)).order_by(CaseRole.id).tuples()):
        roles[case_id][role] = person_id
        people[person_id] = dict(zip(keys, values))
    stored = {person_id: dict(values) for person_id, values in people.items()}
    added: list[tuple[Case, str, dict]] = []  # people named for a role the case lacked

    def named(case: Case) -> dict:
        return {**{role: {key: people[person_id][key] for key, _ in PERSON_FIELDS}
                   for role, person_id in roles[case.id].items()},
                **{who: {key: values[key] for key, _ in PERSON_FIELDS}
                   for other, who, values in added if other is case}}

    changes = []
    for case, resolved in items:
        before = _snapshot_of(case, case.county, case.region, case.category,
                              sections.get(case.id, {}), named(case))
        _set_fields(case, resolved)
        for who, _ in PEOPLE:
            typed: PersonInput = getattr(resolved.input, who)
            values = {"agency": case.agency, "county": case.county_id,
                      **{key: getattr(typed, key) for key, _ in PERSON_FIELDS}}
            if who in roles[case.id]:
                people[roles[case.id][who]] = values
            else:
                added.append((case, who, values))
        after = _snapshot_of(case, resolved.county, resolved.region, resolved.category,
                             resolved.input.sections, named(case))
        changes.append((case, resolved, *changed_values(before, after)))
    changed = [(case, resolved, old, new) for case, resolved, old, new in changes if new]
    if changed:
        fields = Case._meta.sorted_fields
        insert_rows(Case, fields, [tuple(case.__data__.get(f.name) for f in fields)
                                   for case, *_ in changed], upsert=[Case.id])
        stamp = now()
        insert_rows(CaseVersion, [CaseVersion.case, CaseVersion.kind, CaseVersion.sections,
                                  CaseVersion.approved, CaseVersion.created_at,
                                  CaseVersion.updated_at],
                    [(case.id, "submitted", resolved.input.sections, False, stamp, stamp)
                     for case, resolved, *_ in changed],
                    upsert=[CaseVersion.case, CaseVersion.kind],
                    replace=[CaseVersion.sections, CaseVersion.updated_at])
    person_fields = [getattr(Person, key) for key in keys]
    rewritten = [(person_id, *values.values()) for person_id, values in people.items()
                 if values != stored[person_id]]
    if rewritten:
        insert_rows(Person, [Person.id, *person_fields], rewritten, upsert=[Person.id])
    if added:
        person_ids = insert_rows(Person, person_fields, [tuple(values.values())
                                                         for _, _, values in added],
                                 returning=True)
        insert_rows(CaseRole, [CaseRole.case, CaseRole.person, CaseRole.role],
                    [(case.id, person_id, who)
                     for (case, who, _), person_id in zip(added, person_ids)])
    if changed:
        note_case_change([case.id for case, *_ in changed])
        write_audits(actor, "update_case", "case",
                     [(case.id, old, new, "") for case, _, old, new in changed])
    return [bool(new) for *_, new in changes]


def _same_title(edition: Edition, county: County, title: str, exclude: int | None = None) -> Case | None:
    wanted = normalize_name(title)
    for case in Case.select().where((Case.edition == edition) & (Case.county == county)):
        if case.id != exclude and normalize_name(case.title) == wanted:
            return case
    return None


def _lock_county(county: County) -> None:
    """Hold the county's row until the transaction ends: intake's quota count and the insert it
    allows are not split by another intake of the same county."""
    for_update(County.select(County.id).where(County.id == county.id)).get()


def create_case(year: int, data: CaseInput, *, actor: User | None = None,
                override_reason: str | None = None) -> Case:
    """Take in one case for ROC ``year``.

    The county's 11th case (over the year's limit) is refused unless staff give a reason, which
    the audit log keeps. Raises :class:`ValidationError` listing every problem by field.
    """
    edition = get_edition(year)
    resolved, problems = check_case(edition, data)
    if problems:
        raise ValidationError(problems)
    check_may_submit(actor, edition, resolved.county)
    if _same_title(edition, resolved.county, resolved.input.title):
        raise ValidationError([Problem("本年度同縣市已有同名案例", "title")])
    with database.atomic():
        _lock_county(resolved.county)
        count = county_case_count(edition, resolved.county)
        reason = ""
        if count >= edition.quota("cases_per_county"):
            if override_reason is None:
                raise ValidationError([_quota_problem(edition, resolved.county, count)])
            reason = _check_override(actor, override_reason)
        case, = _insert_cases(edition, [(resolved, reason)], actor)
    cases_changed([case.id])
    return case


def update_case(case_id: int, data: CaseInput, *, actor: User | None = None) -> Case:
    """Change a case's write-up and details; a county contact may do so only while intake is open."""
    case = get_case(case_id, viewer=actor, staff_scope=actor is None)
    if not can_edit_case(actor, case):
        raise PermissionDenied("收件已截止或您沒有修改此案例的權限")
    resolved, problems = check_case(case.edition, data)
    if problems:
        raise ValidationError(problems)
    if is_county_contact(actor) and not is_county_contact(actor, resolved.county.id):
        raise PermissionDenied(f"您只能為{actor.county.name}送件")
    if _same_title(case.edition, resolved.county, resolved.input.title, exclude=case.id):
        raise ValidationError([Problem("本年度同縣市已有同名案例", "title")])
    with database.atomic():
        if resolved.county.id != case.county_id:
            _lock_county(resolved.county)
            count = county_case_count(case.edition, resolved.county)
            if count >= case.edition.quota("cases_per_county"):
                raise ValidationError([_quota_problem(case.edition, resolved.county, count)])
        changed, = _update_cases([(case, resolved)], actor)
    if changed:
        cases_changed([case.id])
    return case


class _ExistingCases:
    """The cases of an edition, read once, by 案例編號 and by county and title (for an import)."""

    def __init__(self, edition: Edition):
        self.by_number: dict[str, Case] = {}
        self.by_title: dict[tuple[int, str], Case] = {}
        for case in (Case.select(Case, County, Region, Category).join(County).switch(Case)
                     .join(Region).switch(Case).join(Category)
                     .where(Case.edition == edition).order_by(Case.id)):
            if case.external_id:
                self.by_number[case.external_id] = case
            self.by_title.setdefault((case.county_id, normalize_name(case.title)), case)

    def match(self, resolved: _Resolved) -> Case | None:
        """The existing case an import row updates: the one with its 案例編號, else its title."""
        data = resolved.input
        if data.external_id:
            return self.by_number.get(data.external_id)
        return self.by_title.get((resolved.county.id, normalize_name(data.title)))


def import_cases(year: int, rows: list[ImportRow], *, actor: User | None = None,
                 dry_run: bool = False, override_reason: str | None = None) -> ImportReport:
    """Import spreadsheet rows as one all-or-nothing batch.

    Every row is checked first; any problem aborts the whole import with every problem located
    by sheet, row and column. A row matches an existing case by 案例編號 when given, otherwise
    by county and title, so importing the same file twice creates nothing new. A county
    contact imports only their own county's cases, while intake is open.
    """
    with collector_paused(len(rows) >= BULK_ROWS):
        return _import_cases(year, rows, actor=actor, dry_run=dry_run,
                             override_reason=override_reason)


BULK_ROWS = 200  # rows from which an import holds off Python's cycle collector


def _import_cases(year: int, rows: list[ImportRow], *, actor: User | None, dry_run: bool,
                  override_reason: str | None) -> ImportReport:
    edition = get_edition(year)
    check_may_import(actor, edition)
    problems: list[str] = []
    plan: list[tuple[ImportRow, _Resolved]] = []
    keys: dict[tuple, int] = {}
    names = _YearNames(edition)
    for row in rows:
        resolved, row_problems = check_case(edition, row.input, names=names)
        problems.extend(row.locate(p) for p in row_problems)
        if resolved is None:
            continue
        data = resolved.input
        key = ("id", data.external_id) if data.external_id else (
            "title", resolved.county.id, normalize_name(data.title))
        if key in keys:
            field_name = "external_id" if data.external_id else "title"
            problems.append(row.locate(Problem(f"與第{keys[key]}列重複", field_name)))
            continue
        keys[key] = row.row
        plan.append((row, resolved))

    report = ImportReport(dry_run=dry_run)
    written = []
    with database.atomic() as transaction:
        # What exists and what the quotas allow is decided under the counties' locks: an import
        # of the same counties at the same time waits, then sees what this one took in.
        list(for_update(County.select(County.id).order_by(County.id).where(
            County.id.in_({resolved.county.id for _, resolved in plan}))).tuples())
        existing_cases = _ExistingCases(edition)
        existing = {row.row: existing_cases.match(resolved) for row, resolved in plan}
        reasons = _check_import(edition, plan, existing, actor, override_reason, problems)
        if problems:
            raise ValidationError([Problem(message) for message in problems])
        new: list[tuple[_Resolved, str]] = []
        matched: list[tuple[str, Case, _Resolved]] = []
        for row, resolved in plan:
            label = f"第{row.row}列 {resolved.county.name}〈{resolved.input.title}〉"
            case = existing[row.row]
            if case is None:
                new.append((resolved, reasons.get(row.row, "")))
                report.created.append(label)
            else:
                matched.append((label, case, resolved))
        updated = _update_cases([(case, resolved) for _, case, resolved in matched], actor)
        for (label, case, _), changed in zip(matched, updated):
            if changed:
                written.append(case.id)
            (report.updated if changed else report.unchanged).append(label)
        if new:
            written += [case.id for case in _insert_cases(edition, new, actor)]
        if dry_run:
            transaction.rollback()
    if not dry_run:
        cases_changed(written)
    return report


def _check_import(edition: Edition, plan: list[tuple[ImportRow, _Resolved]],
                  existing: dict[int, Case | None], actor: User | None,
                  override_reason: str | None, problems: list[str]) -> dict[int, str]:
    """Add to ``problems`` the rows a county contact may not import and the new cases over a
    county's quota (run under the counties' locks); returns the override reason of each row
    let through over the limit."""
    reasons: dict[int, str] = {}
    counts = county_case_counts(edition, {resolved.county.id for _, resolved in plan})
    for row, resolved in plan:
        county, case = resolved.county, existing[row.row]
        if is_county_contact(actor) and (
                actor.county_id != county.id or (case is not None and case.county_id != actor.county_id)):
            problems.append(row.locate(Problem(f"您只能匯入{actor.county.name}的案例", "county")))
            continue
        if case is not None and case.county_id == county.id:
            continue
        counts.setdefault(county.id, 0)
        if counts[county.id] >= edition.quota("cases_per_county"):
            if override_reason is None:
                problems.append(row.locate(_quota_problem(edition, county, counts[county.id])))
            else:
                reasons[row.row] = _check_override(actor, override_reason)
        counts[county.id] += 1
    return reasons


# --- reading ---------------------------------------------------------------------------------

def get_case(case_id: int, *, viewer: User | None = None, staff_scope: bool = False) -> Case:
    """A case the viewer may see (``staff_scope`` for the operator's command line)."""
    case = (Case.select(Case, Edition, County, Region, Category)
            .join(Edition).switch(Case).join(County).switch(Case).join(Region)
            .switch(Case).join(Category).where(Case.id == case_id).first())
    if case is None or not (staff_scope or can_view_case(viewer, case)):
        raise NotFound(f"找不到案例 {case_id}")
    return case


def find_cases(*, viewer: User | None = None, staff_scope: bool = False, year: int | None = None,
               county: str | None = None, region: str | None = None,
               category: str | None = None, status: str | None = None):
    """Cases the viewer may see, filtered; a query ordered by year (newest first), region, county."""
    query = (Case.select(Case, Edition, County, Region, Category)
             .join(Edition).switch(Case).join(County).switch(Case).join(Region)
             .switch(Case).join(Category))
    if not staff_scope and not is_staff(viewer):
        visible = Case.published == True  # noqa: E712 (peewee expression)
        if is_county_contact(viewer):
            visible |= Case.county == viewer.county_id
        query = query.where(visible)
    if year is not None:
        query = query.where(Edition.year == year)
    if county:
        wanted = normalize_name(county)
        query = query.where((County.name == wanted) | (County.code == county.upper()))
    if region:
        query = query.where(Region.name == normalize_name(region))
    if category:
        query = query.where(Category.name == normalize_name(category))
    if status:
        query = query.where(Case.status == status)
    return query.order_by(Edition.year.desc(), Region.position, County.id, Case.id)


class CaseListRow(NamedTuple):
    """What a list of cases shows of one."""

    id: int
    code: str
    year: int
    region: str
    county: str
    title: str
    category: str
    theme: str
    agency: str
    status: str


def case_list_page(query, page: int, size: int) -> tuple[list[CaseListRow], int]:
    """Page ``page`` (``size`` a page) of a :func:`find_cases` query as plain rows with their
    codes, and how many cases all its pages hold: two queries (three for a page past the end).
    A full case row (keywords, its year's settings) costs more to build than a list page."""
    rows = list(query.paginate(page, size).select(
        Case.id, Edition.year, Region.name, County.name, Case.title, Category.name, Case.theme,
        Case.agency, Case.status, fn.COUNT(Case.id).over()).tuples())
    total = rows[0][-1] if rows else query.count()
    codes = case_codes_of([row[0] for row in rows])
    return [CaseListRow(row[0], codes[row[0]], *row[1:-1]) for row in rows], total


def award_of(case: Case) -> str | None:
    """The case's award key (benchmark or honourable), or None."""
    return case.status if case.status in AWARDS else None


def case_summary(case: Case) -> dict:
    """A case as a list row: what `forum cases list --json` prints for each case."""
    award = award_of(case)
    return {
        "id": case.id, "year": case.edition.year, "county": case.county.name,
        "region": case.region.name, "category": case.category.name, "theme": case.theme,
        "title": case.title, "agency": case.agency, "status": case.status,
        "status_label": STATUSES[case.status], "award": award,
        "award_label": AWARDS.get(award), "published": case.published,
        "external_id": case.external_id,
    }


def case_sections(case: Case) -> dict[str, str]:
    """The write-up's sections: the approved refined version if any, else the submitted one."""
    versions = {v.kind: v for v in case.versions}
    refined = versions.get("refined")
    chosen = refined if refined is not None and refined.approved else versions.get("submitted")
    return chosen.sections if chosen else {}


def case_detail(case: Case, *, include_private: bool = False,
                sections: dict[str, str] | None = None) -> dict:
    """A case in full; people's contact details only with ``include_private`` (staff).
    ``sections``: its :func:`case_sections`, when the caller has read them."""
    detail = case_summary(case)
    detail.update(summary=case.summary, keywords=case.keywords, attest_own=case.attest_own,
                  attest_ongoing=case.attest_ongoing,
                  sections=case_sections(case) if sections is None else sections,
                  created_at=case.created_at.isoformat(sep=" "),
                  updated_at=case.updated_at.isoformat(sep=" "))
    shown = ("name", "title", "phone", "email") if include_private else ("name", "title")
    detail["people"] = {role: {key: getattr(person, key) for key in shown}
                        for role, person in case_people([case.id])[case.id].items()}
    return detail


def case_people(case_ids) -> dict[int, dict[str, Person]]:
    """Each case's people by role (owner, contact, presenter, in the order they were named), in
    one read for all the cases."""
    by_case: dict[int, dict[str, Person]] = {case_id: {} for case_id in case_ids}
    if by_case:
        for role in (CaseRole.select(CaseRole, Person).join(Person)
                     .where(CaseRole.case.in_(list(by_case))).order_by(CaseRole.id)):
            by_case[role.case_id][role.role] = role.person
    return by_case


T = TypeVar("T")


def presenting(people: Mapping[str, T]) -> T | None:
    """Of a case's people by role, who presents it at its regional forum: the presenter staff
    named, else its owner."""
    return people.get("presenter") or people.get("owner")


def presenter_of(case: Case, people: dict[str, Person] | None = None) -> Person | None:
    """Who presents the case (:func:`presenting`), from ``people``, its :func:`case_people`,
    when the caller has read them."""
    if people is None:
        people = {role.role: role.person for role in case.roles}
    return presenting(people)


def set_case_presenter(case_id: int, person: PersonInput | None, *,
                       actor: User | None = None) -> Case:
    """Name who presents a case instead of its owner (staff only); None goes back to the owner."""
    require_staff(actor, "指定發表人")
    case = get_case(case_id, staff_scope=True)
    role = CaseRole.get_or_none((CaseRole.case == case) & (CaseRole.role == "presenter"))
    before = {key: getattr(role.person, key) for key, _ in PERSON_FIELDS} if role else None
    with database.atomic():
        if person is None:
            if role is not None:
                role.delete_instance()
            after = None
        else:
            after = {key: clean_text(getattr(person, key)) for key, _ in PERSON_FIELDS}
            if not after["name"]:
                raise ValidationError([Problem("必須填寫", "presenter.name")])
            if role is None:
                CaseRole.create(case=case, role="presenter", person=Person.create(
                    agency=case.agency, county=case.county, **after))
            else:
                Person.update(**after).where(Person.id == role.person_id).execute()
        if before != after:
            write_audit(actor, "set_presenter", "case", case.id, before=before, after=after)
    return case


def case_input_of(case: Case) -> CaseInput:
    """The input that would recreate a case as it stands (to pre-fill the edit form)."""
    people = case_people([case.id])[case.id]

    def person(who: str) -> PersonInput:
        row = people.get(who)
        return PersonInput(**{k: getattr(row, k) for k, _ in PERSON_FIELDS}) if row else PersonInput()

    return CaseInput(county=case.county.name, agency=case.agency, category=case.category.name,
                     title=case.title, summary=case.summary,
                     sections=_submitted_sections(case),
                     keywords=list(case.keywords), theme=case.theme, owner=person("owner"),
                     contact=person("contact"), attest_own=case.attest_own,
                     attest_ongoing=case.attest_ongoing, external_id=case.external_id)


def county_counts(year: int) -> list[dict]:
    """Per county of a year: cases sent in against the limit (for staff and county pages)."""
    edition = get_edition(year)
    counts = dict(Case.select(Case.county, fn.COUNT(Case.id)).where(Case.edition == edition)
                  .group_by(Case.county).tuples())
    limit = edition.quota("cases_per_county")
    return [{"county": c.name, "count": counts.get(c.id, 0), "limit": limit}
            for c in edition_counties(edition)]


def published_counts() -> dict[int, int]:
    """Published cases per ROC year (what the public can browse)."""
    return dict(Case.select(Edition.year, fn.COUNT(Case.id)).join(Edition)
                .where(Case.published == True).group_by(Edition.year).tuples())  # noqa: E712


def search_documents(case_ids: list[int] | None = None) -> list[SearchDocument]:
    """What search indexes of these cases (all when None), read in a few bulk queries."""
    query = (Case.select(Case, Edition.year, County.name, Region.name, Category.name)
             .join(Edition).switch(Case).join(County).switch(Case).join(Region)
             .switch(Case).join(Category))
    if case_ids is not None:
        if not case_ids:
            return []
        query = query.where(Case.id.in_(case_ids))
    cases = list(query)
    versions: dict[int, dict] = {}
    version_query = CaseVersion.select(CaseVersion.case, CaseVersion.kind, CaseVersion.sections,
                                       CaseVersion.approved)
    if case_ids is not None:
        version_query = version_query.where(CaseVersion.case.in_(case_ids))
    for case_id, kind, sections, approved in version_query.tuples().iterator():
        if kind == "submitted" and case_id not in versions or kind == "refined" and approved:
            versions[case_id] = sections
    documents = []
    for case in cases:
        sections = versions.get(case.id, {})
        documents.append(SearchDocument(
            case_id=case.id, year=case.edition.year, region=case.region.name,
            county=case.county.name, category=case.category.name, award=award_of(case),
            published=case.published, title=case.title,
            fields=[("案例摘要", case.summary),
                    *((label, sections.get(key, "")) for key, label in SECTIONS),
                    ("提案機關", case.agency), ("關鍵詞", "、".join(case.keywords)),
                    *([("自訂主題", case.theme)] if case.theme else [])]))
    return documents


def set_case_statuses(statuses: dict[int, tuple[str, bool]]) -> None:
    """Set cases' status and published flag (case id → (status, published)) inside the caller's
    transaction; search sees the change. The caller writes the audit record and, after commit,
    calls :func:`kb.search.cases_changed`."""
    stamp = datetime.now()
    by_value: dict[tuple[str, bool], list[int]] = {}
    for case_id, value in statuses.items():
        by_value.setdefault(value, []).append(case_id)
    for (status, published), case_ids in by_value.items():
        Case.update(status=status, published=published, updated_at=stamp).where(
            Case.id.in_(case_ids)).execute()
    note_case_change(statuses)
