"""The regional forum (成果分享): each region's afternoon programme and the year's certificates.

The programme is the year's template (:mod:`kb.schedule`) timed from its start and filled for
one region: each ``case`` row takes the region's next published benchmark case, best final rank
first, presented by its presenter (:func:`kb.cases.presenter_of`); each ``comments`` row lists
the region's on-site judges. A slot with no benchmark case (results not yet published) says
:data:`PENDING`, and the times stay as the template has them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time

from kb.assignments import panel_members
from kb.audit import write_audit
from kb.cases import AWARDS, case_people, find_cases, presenter_of, published_award
from kb.conflicts import judge_profiles
from kb.db import database
from kb.editions import edition_regions, get_edition
from kb.errors import Problem, ValidationError, echoed
from kb.models import Assignment, Case, Edition, Person, Region, User
from kb.policy import require_staff
from kb.rocdate import parse_roc_date, roc_year
from kb.schedule import check_template, parse_clock, schedule_times, template_of
from kb.selection import compute_selection
from kb.stages import get_stage
from kb.text import clean_text, normalize_name
from seeds import load_reference

PENDING = "（待公布）"
PRESENTER, COMMENTATORS = "報告人", "與談人"
MAX_VENUE = 100


@dataclass(frozen=True)
class Speaker:
    """Somebody named on the programme: ``name``, and ``description`` (agency or affiliation
    with title) when known; a fixed row's own text is one speaker's name."""

    name: str
    description: str = ""


@dataclass
class ProgrammeRow:
    """One row of a region's programme, timed.

    ``subject`` is the case a ``case`` row presents (縣市〈案例名稱〉, or :data:`PENDING`);
    ``role`` names who ``people`` are (報告人, 與談人, or empty for a fixed row's own text).
    """

    start: time
    end: time
    kind: str
    title: str
    subject: str = ""
    role: str = ""
    people: list[Speaker] = field(default_factory=list)
    case_id: int | None = None


@dataclass
class RegionProgramme:
    """A region's afternoon: ``venue`` is empty and ``date`` None until staff set them."""

    forum_name: str
    year: int
    region: str
    venue: str
    date: date | None
    rows: list[ProgrammeRow]


@dataclass
class Certificate:
    """One certificate (獎狀): the agency, its case, the award's name, the region, the date."""

    agency: str
    case_title: str
    award_label: str
    region: str
    date: date | None


def forum_name_of(edition: Edition) -> str:
    """The forum's name without its year (地方治理標竿論壇)."""
    return edition.rules.forum_name or load_reference()["forum_name"]


def _find_region(edition: Edition, typed: str) -> Region:
    """One of the year's regions as typed (台/臺, spaces), or ValidationError listing them."""
    regions = edition_regions(edition)
    for region in regions:
        if region.name == normalize_name(typed):
            return region
    raise ValidationError([Problem(f"「{echoed(typed)}」不是{roc_year(edition.year)}的分區，可用："
                                   + "、".join(r.name for r in regions), "region")])


# --- settings ---------------------------------------------------------------------------------

def programme_settings(year: int) -> dict:
    """The year's template (start, items) and each region's venue and date (ISO), as stored;
    a year without a template gets the reference one."""
    return template_of(get_edition(year).settings)


def _store(edition: Edition, programme: dict) -> None:
    edition.settings = {**edition.settings, "programme": programme}
    edition.save(only=[Edition.settings])


def save_programme_template(year: int, start, items: list[dict], *,
                            actor: User | None = None) -> dict:
    """Check and store the year's programme template: ``start`` (HH:MM) and ``items`` (dicts of
    kind, title, minutes, people). Raises ValidationError naming each wrong input (see
    :func:`kb.schedule.check_template`); returns the stored settings."""
    require_staff(actor, "編輯議程")
    edition = get_edition(year)
    template, problems = check_template(start, items,
                                        case_slots=edition.quota("benchmarks_per_region"))
    if problems:
        raise ValidationError(problems)
    with database.atomic():  # read and write in one transaction: a concurrent save is not lost
        edition = get_edition(year)
        current = template_of(edition.settings)
        stored = {**template, "regions": current["regions"]}
        write_audit(actor, "save_programme_template", "edition", edition.id,
                    before={"start": current["start"], "items": current["items"]},
                    after=template)
        _store(edition, stored)
    return stored


def _parse_date(typed, field: str = "日期") -> date | None:
    if isinstance(typed, date) or typed is None:
        return typed
    return parse_roc_date(clean_text(typed), field=field)


def save_region_venue(year: int, region: str, venue: str, day, *,
                      actor: User | None = None) -> dict:
    """Store a region's venue and forum date (a date, an ISO string, or empty for not yet
    known). The date must fall in the forum's year or the next. Returns the stored settings."""
    require_staff(actor, "編輯議程")
    edition = get_edition(year)
    name = _find_region(edition, region).name
    venue = clean_text(venue)
    problems = []
    if len(venue) > MAX_VENUE:
        problems.append(Problem(f"地點最多 {MAX_VENUE} 字", "venue"))
    try:
        when = _parse_date(day)
    except ValidationError as error:
        when = None
        problems += [Problem(p.message, "date") for p in error.problems]
    if when is not None and not edition.ad_year <= when.year <= edition.ad_year + 1:
        problems.append(Problem(f"日期須在{roc_year(year)}或{year + 1}年（{edition.ad_year}–"
                                f"{edition.ad_year + 1}）", "date"))
    if problems:
        raise ValidationError(problems)
    after = {"venue": venue, "date": when.isoformat() if when else None}
    with database.atomic():  # read and write in one transaction: a concurrent save is not lost
        edition = get_edition(year)
        programme = template_of(edition.settings)
        before = programme["regions"].get(name)
        programme["regions"][name] = after
        write_audit(actor, "save_programme_venue", "edition", edition.id,
                    before={name: before}, after={name: after})
        _store(edition, programme)
    return programme


# --- the programme ----------------------------------------------------------------------------

def _ranks(year: int) -> dict[int, int]:
    """Each ranked case's final rank in its region."""
    return {row["case"]: row["rank"] for region in compute_selection(year)
            for row in region.ranking}


def _winners(year: int) -> dict[tuple[int, str], list[Case]]:
    """(region id, award) → the year's published cases with that award, best final rank first."""
    ranks = _ranks(year)
    chosen = defaultdict(list)
    for case in find_cases(staff_scope=True, year=year).where(published_award()):
        chosen[case.region_id, case.status].append(case)
    for cases in chosen.values():
        cases.sort(key=lambda case: (ranks.get(case.id, len(ranks) + 1), case.id))
    return chosen


def _commentators(year: int) -> dict[str, list[Speaker]]:
    """Region name → its on-site judges: the region's panel, else (a panel never recorded,
    e.g. scores typed in) the judges who scored on site there."""
    judges: dict[str, dict[str, User]] = defaultdict(dict)
    stage = get_stage(year, "onsite")
    for assignment in (Assignment.select(User, Region.name).join(User)
                       .switch(Assignment).join(Case).join(Region)
                       .where(Assignment.stage == stage).distinct().order_by(User.login)):
        judges[assignment.case.region.name][assignment.judge.login] = assignment.judge
    for region, panel in panel_members(year, "onsite").items():
        if region is not None:
            judges[region] = {user.login: user for user in panel}
    profiles = judge_profiles([user for users in judges.values() for user in users.values()])
    return {region: [Speaker(user.name, profiles[user.id].affiliation + profiles[user.id].title)
                     for user in users.values()]
            for region, users in judges.items()}


def _fill(template: dict, benchmarks: list[Case], commentators: list[Speaker],
          people: dict[int, dict[str, Person]]) -> list[ProgrammeRow]:
    items = template["items"]
    times = schedule_times(parse_clock(template["start"]), [item["minutes"] for item in items])
    waiting = iter(benchmarks)
    rows = []
    for item, (begin, end) in zip(items, times):
        row = ProgrammeRow(begin, end, item["kind"], item["title"])
        if item["kind"] == "case":
            case = next(waiting, None)
            row.role, row.subject = PRESENTER, PENDING
            if case is not None:
                person = presenter_of(case, people[case.id])
                row.subject, row.case_id = f"{case.county.name}〈{case.title}〉", case.id
                row.people = [Speaker(person.name, person.agency + person.title)] if person else []
        elif item["kind"] == "comments":
            row.role, row.people = COMMENTATORS, list(commentators)
        elif item["people"]:
            row.people = [Speaker(item["people"])]
        rows.append(row)
    return rows


def year_programmes(year: int) -> list[RegionProgramme]:
    """Every region's programme of the year, in region order."""
    edition = get_edition(year)
    template = template_of(edition.settings)
    winners = _winners(year)
    commentators = _commentators(year)
    people = case_people(case.id for (_, award), cases in winners.items()
                         if award == "benchmark" for case in cases)
    programmes = []
    for region in edition_regions(edition):
        place = template["regions"].get(region.name) or {}
        programmes.append(RegionProgramme(
            forum_name=forum_name_of(edition), year=year, region=region.name,
            venue=place.get("venue") or "", date=_parse_date(place.get("date")),
            rows=_fill(template, winners.get((region.id, "benchmark"), []),
                       commentators.get(region.name, []), people)))
    return programmes


def region_programme(year: int, region: str) -> RegionProgramme:
    """One region's programme (the region as typed; ValidationError lists the year's regions)."""
    name = _find_region(get_edition(year), region).name
    return next(p for p in year_programmes(year) if p.region == name)


# --- certificates -----------------------------------------------------------------------------

def certificate_count(year: int) -> int:
    """How many certificates :func:`certificate_list` gives: one per published winner."""
    return (Case.select().join(Edition).where(
        (Edition.year == year) & published_award()).count())


def certificate_list(year: int) -> list[Certificate]:
    """A certificate for every published benchmark case and honourable mention, region by
    region, benchmark cases first, each award best rank first; dated the region's forum day
    (None while it is not set: a certificate is never dated a day nobody chose)."""
    edition = get_edition(year)
    places = template_of(edition.settings)["regions"]
    winners = _winners(year)
    certificates = []
    for region in edition_regions(edition):
        day = _parse_date((places.get(region.name) or {}).get("date"))
        for award, label in AWARDS.items():
            certificates += [Certificate(agency=case.agency, case_title=case.title,
                                         award_label=label, region=region.name, date=day)
                             for case in winners.get((region.id, award), [])]
    return certificates


def year_certificates(year: int) -> tuple[str, list[Certificate]]:
    """The forum's name and a certificate for each published winner of the year
    (:func:`certificate_list`), ready to print; ValidationError when there are none yet, or
    when a region with winners has no forum date (the certificate would carry an invented
    date)."""
    items = certificate_list(year)
    if not items:
        raise ValidationError(f"{roc_year(year)}尚無已公布的標竿案例或佳作，無法製作獎狀")
    undated = list(dict.fromkeys(item.region for item in items if item.date is None))
    if undated:
        raise ValidationError(f"{'、'.join(undated)}尚未設定成果分享日期，獎狀無法註明頒發日期："
                              f"請先在「成果分享議程與獎狀」頁設定{roc_year(year)}各分區的日期")
    return forum_name_of(get_edition(year)), items
