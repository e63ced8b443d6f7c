"""A deterministic demo data set: four years of cases, judges' scores and selection results.

Everything is drawn from a seeded :class:`random.Random`, one per year, so the same seed gives the
same cases, scores and results, and a year loaded alone equals that year in the full demo.
Everything goes in through the services staff use: the case list import, judge assignment, score
entry, nomination, selection and publication; only the scores themselves are made up.
"""
from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import NamedTuple

from peewee import chunked

from kb.assignments import assign_onsite, assign_screening, set_judge_profile
from kb.cases import (AWARDS, CaseInput, ImportRow, PersonInput, case_input_of, import_cases,
                      presenter_of, set_case_presenter, update_case)
from kb.db import database, lock_names
from kb.editions import (create_edition, edition_regions, get_edition, load_counties,
                         set_intake_open)
from kb.models import (Assignment, Case, Category, County, Criterion, Edition, Participant,
                       Person, Region, Stage, User)
from kb.rocdate import roc_year
from kb.scores import ScoreEntry, record_scores
from kb.selection import (change_nominations, confirm_nominations, propose_nominations,
                          publish_results)
from kb.stages import get_stage, set_stage_state
from kb.text import normalize_name
from kb.users import add_user, hash_password
from seeds import load_reference
from seeds.demo_text import compose_case, judge_profile, official_title, own_theme, person_name
from seeds.demo_programme import set_demo_venues
from seeds.demo_forumday import write_demo_forum_days
from seeds.demo_objects import write_demo_adoptions, write_demo_media_and_letters
from seeds.demo_writeups import write_demo_writeups

Progress = Callable[[int, int], None]

DEMO_YEARS = (101, 102, 103, 104)
DEMO_PASSWORD = "demo1234"
JUDGE_COUNT = 12
CASES_PER_COUNTY = (5, 10)
ONSITE_JUDGES_PER_REGION = (3, 4)
BENCHMARK_REASON = "效能測試"
BATCH_SIZE = 500

# Telephone area code and local number length of each county, by county code.
AREA_CODES = {
    "KEE": ("02", 8), "TPE": ("02", 8), "NWT": ("02", 8), "TAO": ("03", 7), "ILA": ("03", 7),
    "HUA": ("03", 7), "KIN": ("082", 6), "LIE": ("0836", 5), "HSQ": ("03", 7), "HSZ": ("03", 7),
    "MIA": ("037", 6), "TXG": ("04", 8), "CHA": ("04", 7), "NAN": ("049", 7), "YUN": ("05", 7),
    "CYQ": ("05", 7), "CYI": ("05", 7), "TNN": ("06", 7), "KHH": ("07", 7), "PIF": ("08", 7),
    "TTT": ("089", 6), "PEN": ("06", 7),
}



class DemoAccount(NamedTuple):
    """A demo login as the console prints it."""

    login: str
    role: str
    password: str
    county: str | None


@dataclass
class DemoSummary:
    """What :func:`load_demo` added: years, case and judge counts, and the demo accounts.

    ``accounts`` lists (login, role, password, county name or None).
    """

    years: tuple[int, ...]
    cases: int
    judges: int
    accounts: list[DemoAccount]


# --- composing cases -------------------------------------------------------------------------

def _phone(rng: random.Random, county_code: str) -> str:
    area, digits = AREA_CODES[county_code]
    number = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
    if digits >= 7:
        return f"{area}-{number[:-4]}-{number[-4:]}"
    return f"{area}-{number}"


def _unique_title(title: str, taken: set[str]) -> str:
    """The title, numbered when the county already has a case of that name this year."""
    candidate, number = title, 1
    while normalize_name(candidate) in taken:
        number += 1
        candidate = f"{title}（{number}）"
    taken.add(normalize_name(candidate))
    return candidate


def _reference_categories(reference: dict) -> list[Category]:
    """The reference categories as unsaved rows (names, and whether they need a theme)."""
    return [Category(name=item["name"], priority=item["priority"])
            for item in reference["edition"]["categories"]]


def _compose_inputs(rng: random.Random, year: int, counties: Sequence[dict],
                    categories: Sequence[Category]) -> list[CaseInput]:
    """One case for each entry of ``counties`` (a county repeats for each of its cases).

    Categories are dealt from a shuffled cycle, so every category is used once there are at
    least as many cases as categories.
    """
    dealt = [categories[i % len(categories)] for i in range(len(counties))]
    rng.shuffle(dealt)
    numbers: dict[str, int] = defaultdict(int)
    titles: dict[str, set[str]] = defaultdict(set)
    inputs = []
    for county, category in zip(counties, dealt):
        code = county["code"]
        numbers[code] += 1
        theme = own_theme(rng) if category.needs_theme else None
        composed = compose_case(rng, county=county["name"], category=category.name, year=year,
                                theme=theme)
        case_number = f"{year}-{code}-{numbers[code]:03d}"
        inputs.append(CaseInput(
            county=county["name"], agency=composed.agency, category=category.name,
            title=_unique_title(composed.title, titles[code]), summary=composed.summary,
            sections=dict(composed.sections), keywords=list(composed.keywords),
            theme=theme or "",
            owner=PersonInput(name=person_name(rng), title=official_title(rng),
                              phone=_phone(rng, code)),
            contact=PersonInput(name=person_name(rng), title=official_title(rng),
                                phone=_phone(rng, code),
                                email=f"case{year}{numbers[code]:03d}@{code.lower()}.gov.tw"),
            attest_own=True, attest_ongoing=True, external_id=case_number))
    return inputs


def generate_cases(n: int, *, seed: int = 0, year: int = 104) -> list[CaseInput]:
    """``n`` deterministic cases for ``year``, dealt over the 22 counties and every category in turn.

    A county may get more than the year's limit of cases: this is for benchmarks, and the caller
    lets the extra cases in (see :func:`load_cases`).
    """
    reference = load_reference()
    counties = reference["counties"]
    rng = random.Random(f"cases-{seed}-{year}")
    return _compose_inputs(rng, year, [counties[i % len(counties)] for i in range(n)],
                           _reference_categories(reference))


# --- the database ----------------------------------------------------------------------------

def _ensure_edition(year: int, reference: dict) -> Edition:
    edition = Edition.get_or_none(Edition.year == year)
    return edition or create_edition(year, reference["edition"])


def load_cases(n: int, *, seed: int = 0, year: int = 104, progress: Progress | None = None) -> int:
    """Insert :func:`generate_cases` into the database for benchmarks; return how many were added.

    Creates the counties and the edition when missing. Cases go in through
    :func:`kb.cases.import_cases` in batches of :data:`BATCH_SIZE`, over the per-county limit
    with the reason 效能測試; running it again adds nothing (cases match by 案例編號).
    """
    reference = load_reference()
    load_counties(reference["counties"])
    _ensure_edition(year, reference)
    inputs = generate_cases(n, seed=seed, year=year)
    added = 0
    for batch_start, batch in zip(range(0, n, BATCH_SIZE), chunked(inputs, BATCH_SIZE)):
        rows = [ImportRow(sheet=BENCHMARK_REASON, row=batch_start + i + 1, input=data)
                for i, data in enumerate(batch)]
        added += len(import_cases(year, rows, override_reason=BENCHMARK_REASON).created)
        if progress is not None:
            progress(batch_start + len(batch), n)
    return added


def _demo_loaded(years: Sequence[int]) -> bool:
    return Case.select().join(Edition).where(Edition.year.in_(list(years))).exists()


def _account(spec: tuple, password_hash: str) -> tuple[User, bool]:
    """The user of an :func:`_account_specs` entry, created with the demo password (already
    hashed) when missing, a judge with their title and affiliation; and whether it was."""
    login, role, name, county, post = spec
    user = User.get_or_none(User.login == login)
    if user is not None:
        return user, False
    user = add_user(login, role=role, name=name, password=DEMO_PASSWORD, county=county,
                    password_hash=password_hash)
    if post is not None:
        set_judge_profile(login, title=post[0], affiliation=post[1])
    return user, True


def _account_specs(rng: random.Random, counties: Sequence[dict],
                   with_judges: bool) -> list[tuple]:
    """(login, role, name, county, post) of every demo account; ``post`` is a judge's title
    and affiliation, else None."""
    specs = [("staff", "staff", "論壇承辦人", None, None),
             ("researcher", "researcher", person_name(rng), None, None)]
    specs += [(f"county-{c['code'].lower()}", "county", person_name(rng), c["name"], None)
              for c in counties]
    if with_judges:
        for n in range(1, JUDGE_COUNT + 1):
            name, title, affiliation, _ = judge_profile(rng)
            specs.append((f"judge{n:02d}", "judge", name, None, (title, affiliation)))
    return specs


def _assigned(stage: Stage) -> list[tuple[int, str]]:
    """(case id, judge login) of a stage's assignments, in the order of
    :func:`kb.assignments.list_assignments` (region, county, case, judge), read as plain rows."""
    return list(Assignment.select(Assignment.case, User.login).join(User).switch(Assignment)
                .join(Case).join(County).switch(Case).join(Region)
                .where(Assignment.stage == stage)
                .order_by(Region.position, County.id, Case.id, User.login).tuples())


class _YearJudging:
    """One past year judged through the services, with made-up scores: case quality + criterion
    profile + judge leniency + noise. Assignment, nomination, selection and publication are the
    system's own (:mod:`kb.assignments`, :mod:`kb.scores`, :mod:`kb.selection`), so the demo
    cannot drift from the rules."""

    def __init__(self, rng: random.Random, edition: Edition, cases: list[Case], judges: list[User]):
        self.rng = rng
        self.year = edition.year
        self.judges = judges
        self.criteria = list(edition.criteria.order_by(Criterion.position))
        self.quality = {case.id: rng.gauss(0.74, 0.08) for case in cases}
        self.profile = {(case.id, c.name): rng.gauss(0, 0.05)
                        for case in cases for c in self.criteria}
        self.leniency = {judge.login: rng.gauss(0, 0.04) for judge in judges}

    def values(self, case_id: int, judge: str, form: float = 0.0) -> dict[str, float]:
        """A judge's scores: each criterion's share of its points, one decimal, within the points."""
        values = {}
        for criterion in self.criteria:
            share = (self.quality[case_id] + form + self.profile[case_id, criterion.name]
                     + self.leniency[judge] + self.rng.gauss(0, 0.05))
            values[criterion.name] = round(criterion.points * min(max(share, 0.0), 1.0), 1)
        return values

    def score(self, key: str, form: Callable[[int], float] = lambda case_id: 0.0) -> None:
        """Open the stage, every assigned judge scores and submits, close the stage."""
        set_stage_state(self.year, key, "open")
        stage = get_stage(self.year, key)
        entries = [ScoreEntry(judge, case_id, self.values(case_id, judge, form(case_id)))
                   for case_id, judge in _assigned(stage)]
        record_scores(entries, stage=stage, submit=True, source="demo")
        set_stage_state(self.year, key, "close")

    def onsite_panels(self) -> None:
        """Each region's panel of three or four judges scores every case presented there."""
        for region in edition_regions(get_edition(self.year)):
            panel = self.rng.sample(self.judges, self.rng.randint(*ONSITE_JUDGES_PER_REGION))
            assign_onsite(self.year, region=region.name, judges=[j.login for j in panel])

    def nominate(self) -> None:
        """Confirm the proposal; a county tied on its last place is settled as staff would,
        taking the proposal's order (the lower case number), with the reason recorded."""
        done = confirm_nominations(self.year)
        proposal = propose_nominations(self.year) if done.flags else {}
        for flag in done.flags:
            change_nominations(self.year, flag["county"], proposal[flag["county"]],
                               reason="示範資料：同分時由主辦機關依案例編號選定")

    def run(self) -> None:
        """Assign, score the written screening, nominate, score on site, select and publish."""
        assign_screening(self.year)
        self.score("screening")
        self.nominate()
        self.onsite_panels()
        forms: dict[int, float] = {}  # how well each presentation went

        def form(case_id: int) -> float:
            if case_id not in forms:
                forms[case_id] = self.rng.gauss(0, 0.04)
            return forms[case_id]

        self.score("onsite", form)
        publish_results(self.year)


# --- the seed-speaker registry ---------------------------------------------------------------

def _award_cases(years: Sequence[int]) -> list[Case]:
    """The published award-winning cases of ``years``, oldest first."""
    return list(Case.select(Case, Edition).join(Edition)
                .where(Edition.year.in_(list(years)) & (Case.published == True)  # noqa: E712
                       & Case.status.in_(list(AWARDS)))
                .order_by(Edition.year, Case.id))


def _as_input(person: Person, rng: random.Random) -> PersonInput:
    """The same person some years later: same name and contacts, perhaps another title."""
    return PersonInput(name=person.name, title=official_title(rng), phone=person.phone,
                       email=person.email)


def _recurring_speakers(rng: random.Random, years: Sequence[int]) -> None:
    """People who present in several years, for the registry to find and staff to merge.

    Among the counties with award-winning cases in several of ``years`` (a benchmark among
    them), the owner of the county's first such case presents its first case of a later year
    too, for the same agency: in the first county whose agency is written with 臺, the later
    case types it with 台 (matching absorbs it); in the next one written with 政府, the later case
    types it without (臺南市政府社會局 → 臺南市社會局: only a staff merge joins the two). And in
    one other county with benchmark cases of different agencies in two years, the first year's
    presenter has moved and presents the later one: the same name in another agency, which staff
    may judge to be one person.
    """
    cases = _award_cases(years)
    by_county: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_county[case.county_id].append(case)
    recurring = [group for group in by_county.values()
                 if len({case.edition.year for case in group}) > 1
                 and any(case.status == "benchmark" for case in group)]
    spelled_tai = next((group for group in recurring if "臺" in group[0].agency), None)
    spelled_short = next((group for group in recurring
                          if group is not spelled_tai and "政府" in group[0].agency), None)
    for group, agency in ((spelled_tai, lambda a: a.replace("臺", "台")),
                          (spelled_short, lambda a: a.replace("政府", "", 1))):
        if group is None:
            continue
        first = group[0]
        later = next(case for case in group if case.edition.year != first.edition.year)
        data = case_input_of(later)
        data.agency, data.owner = agency(first.agency), _as_input(presenter_of(first), rng)
        update_case(later.id, data)
    taken = {group[0].county_id for group in (spelled_tai, spelled_short) if group}
    benchmarks: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        if case.status == "benchmark" and case.county_id not in taken:
            benchmarks[case.county_id].append(case)
    moved = [found for found in benchmarks.values()
             if len({case.edition.year for case in found}) > 1
             and normalize_name(found[0].agency) != normalize_name(found[-1].agency)]
    if moved:
        first, *_, last = rng.choice(moved)
        set_case_presenter(last.id, _as_input(presenter_of(first), rng))


def _compose_year(seed: int, year: int) -> tuple[tuple, list[CaseInput]]:
    """A demo year's cases, and the state its random generator is left in (judging goes on
    drawing from it): 5–10 cases from every county."""
    reference = load_reference()
    rng = random.Random(f"demo-{seed}-{year}")
    slots = [county for county in reference["counties"]
             for _ in range(rng.randint(*CASES_PER_COUNTY))]
    inputs = _compose_inputs(rng, year, slots, _reference_categories(reference))
    return rng.getstate(), inputs


def _compose_years_into(sender, seed: int, years: Sequence[int]) -> None:
    """Send each of ``years`` composed (:func:`_compose_year`) through ``sender``, in order."""
    for year in years:
        sender.send(_compose_year(seed, year))
    sender.close()


class _ComposedYears:
    """The demo years' cases (:func:`_compose_year`), composed in a forked process while this
    one writes the counties and accounts and then each year, so each year's text is ready when
    the database work before it is done (composing is pure computation, a quarter of the load,
    and the same seed gives the same text wherever it runs). Composed here instead where
    forking is not safe: on a system without fork, or with other threads running (a fork copies
    their locks as they are), and for a single year."""

    def __init__(self, seed: int, years: Sequence[int]):
        self.seed, self.years = seed, list(years)
        self.child = self.results = None
        self.ready: dict[int, tuple[random.Random, list[CaseInput]]] = {}

    def __enter__(self) -> _ComposedYears:
        if (len(self.years) > 1 and "fork" in get_all_start_methods()
                and threading.active_count() == 1):
            context = get_context("fork")
            self.results, sender = context.Pipe(duplex=False)
            self.child = context.Process(target=_compose_years_into, daemon=True,
                                         args=(sender, self.seed, self.years))
            self.child.start()
            sender.close()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.child is not None:
            self.results.close()
            self.child.terminate()  # done by now, unless the load failed first
            self.child.join()

    def year(self, year: int) -> tuple[random.Random, list[CaseInput]]:
        """The year's random generator, as composing left it, and its cases (years are asked
        for in order; asking again gives the same)."""
        if year not in self.ready:
            composed = None
            if self.child is not None:
                try:
                    composed = self.results.recv()
                except EOFError:  # the child died: compose the rest here
                    self.child = None
            state, inputs = composed or _compose_year(self.seed, year)
            rng = random.Random()
            rng.setstate(state)
            self.ready[year] = (rng, inputs)
        return self.ready[year]

    def expected_total(self) -> int:
        """The number of cases of all the years: exact once every year is composed, until then
        the years still to come counted at the average of those composed so far."""
        known = [len(inputs) for _, inputs in self.ready.values()]
        return sum(known) + round(sum(known) / len(known) * (len(self.years) - len(known)))


def load_demo(*, seed: int = 104, years: Sequence[int] = DEMO_YEARS, current_year: int = 104,
              progress: Progress | None = None, objects: bool = True) -> DemoSummary:
    """Fill an empty, migrated database with the demo: cases, judges' scores, results, accounts.

    Each of ``years`` gets 5–10 cases from every county, every category used. ``current_year``
    (104) has intake open and every case just submitted; every other year is judged through the
    services, as staff would: judges assigned, written screening by three judges a case, each
    county's best three nominated to present on site, each region's panel scores them, and the
    selection is published (:class:`_YearJudging`).
    Accounts: ``staff``, ``researcher``, ``county-<code>`` per county and ``judge01``… for judged
    years, all with password demo1234; an existing login is left as it is. Then some people
    present in several judged years (:func:`_recurring_speakers`; people aside, a year loaded
    alone equals that year in the full demo). Judged years' regional forums get a venue and a
    date (:func:`seeds.demo_programme.set_demo_venues`); most winners of the latest judged year
    have a refined write-up, most of them approved (:mod:`seeds.demo_writeups`), slides, video
    links and commendation letters (:mod:`seeds.demo_objects`); every judged year has forum-day
    participants and questionnaire answers (:mod:`seeds.demo_forumday`), and the current year
    counties' answers to the adoption survey.

    When any of ``years`` already has cases nothing is changed and the summary is empty, so it is
    safe to run twice. ``progress(done, total)`` is called after each year's cases go in (the case
    list import, all at once; ``total`` estimated until every year is composed). All in one
    transaction; the years' text is composed meanwhile in a forked process
    (:class:`_ComposedYears`), the password hashed once in a thread. With ``objects`` false the
    write-ups, slides, letters, forum days and adoption answers are left to
    :func:`load_demo_objects` (a server serves its first page meanwhile): the same rows then.
    """
    if _demo_loaded(years):
        return DemoSummary(years=(), cases=0, judges=0, accounts=[])
    reference = load_reference()
    counties = reference["counties"]
    judged_years = _judged_years(years, current_year)
    with _ComposedYears(seed, years) as plans, database.atomic():
        with ThreadPoolExecutor(1) as hashing:  # once: hashing is slow on purpose, and lets go
            hashed = hashing.submit(hash_password, DEMO_PASSWORD)  # of the GIL meanwhile
            load_counties(counties)
        password_hash = hashed.result()
        created = [(spec, *_account(spec, password_hash))
                   for spec in _account_specs(random.Random(f"accounts-{seed}"), counties,
                                              with_judges=bool(judged_years))]
        judges = [user for spec, user, _ in created if spec[1] == "judge"]
        done = 0
        for year in years:
            rng, inputs = plans.year(year)
            edition = _ensure_edition(year, reference)
            import_cases(year, [ImportRow(sheet="示範資料", row=n, input=data)
                                for n, data in enumerate(inputs, start=1)])
            done += len(inputs)
            if progress is not None:
                progress(done, plans.expected_total())
            if year == current_year:
                set_intake_open(year, True)
            else:
                cases = list(Case.select().where(Case.edition == edition).order_by(Case.id))
                _YearJudging(rng, edition, cases, judges).run()
        _recurring_speakers(random.Random(f"speakers-{seed}"), judged_years)
        set_demo_venues(judged_years)
        if objects:
            _write_objects(seed, years, current_year)
    return DemoSummary(
        years=tuple(years), cases=done, judges=len(judges),
        accounts=[DemoAccount(login, role, DEMO_PASSWORD, county)
                  for (login, role, _, county, _), _, is_new in created if is_new])


def _judged_years(years: Sequence[int], current_year: int) -> list[int]:
    """The demo years judged and published: every year but the current one."""
    return [year for year in years if year != current_year]


def _write_objects(seed: int, years: Sequence[int], current_year: int) -> None:
    """The latest judged year's write-ups, slides, videos and letters, every judged year's forum
    day, and the current year's adoption answers."""
    judged_years = _judged_years(years, current_year)
    if judged_years:
        write_demo_writeups(random.Random(f"writeups-{seed}"), max(judged_years))
        write_demo_media_and_letters(random.Random(f"objects-{seed}"), max(judged_years))
        write_demo_forum_days(random.Random(f"forumdays-{seed}"), judged_years)
        if current_year in years:
            write_demo_adoptions(random.Random(f"adoptions-{seed}"), current_year)


def demo_objects_pending(*, years: Sequence[int] = DEMO_YEARS, current_year: int = 104) -> bool:
    """Whether the demo's years are loaded without their objects (``load_demo(objects=False)``,
    or a start stopped before :func:`load_demo_objects` was done): no judged year has a forum
    day's participants yet."""
    judged_years = _judged_years(years, current_year)
    return bool(judged_years) and _demo_loaded(years) and not (
        Participant.select().join(Edition).where(Edition.year.in_(judged_years)).exists())


def demo_objects_preparing(*, years: Sequence[int] = DEMO_YEARS, current_year: int = 104) -> str:
    """What pages say while :func:`load_demo_objects` runs."""
    judged = sorted(_judged_years(years, current_year))
    return (f"示範資料準備中：{roc_year(judged[-1])}的精進案例、簡報與影片、行政獎勵函，"
            f"{roc_year(judged[0])}至{roc_year(judged[-1])}各屆論壇當日的學員與問卷，"
            f"及{roc_year(current_year)}的案例應用調查，數秒後就緒（重新整理頁面即可看到）")


def load_demo_objects(*, seed: int = 104, years: Sequence[int] = DEMO_YEARS,
                      current_year: int = 104) -> bool:
    """Write the objects :func:`load_demo` left out (``objects=False``), in one transaction,
    unless they are there already; whether they were written. Another start doing the same
    waits, then finds them."""
    with database.atomic():
        lock_names("demo-objects")
        if not demo_objects_pending(years=years, current_year=current_year):
            return False
        _write_objects(seed, years, current_year)
    return True


def demo_accounts(*, seed: int = 104) -> list[DemoAccount]:
    """The demo accounts that exist in the database (to print at start-up)."""
    specs = _account_specs(random.Random(f"accounts-{seed}"), load_reference()["counties"],
                           with_judges=True)
    existing = {login for (login,) in User.select(User.login).tuples()}
    return [DemoAccount(login, role, DEMO_PASSWORD, county)
            for login, role, _, county, _ in specs if login in existing]
