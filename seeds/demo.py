"""A deterministic demo data set: four years of cases, judges' scores and selection results.

Everything is drawn from a seeded :class:`random.Random`, one per year, so the same seed gives the
same cases, scores and results, and a year loaded alone equals that year in the full demo.
Cases go in through the real intake service (:func:`kb.cases.create_case`); judging is seed
data, written in bulk with the models and decided by the :mod:`scoring` rules.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from peewee import chunked

import scoring
from kb.cases import (AWARDS, CaseInput, ImportRow, PersonInput, case_input_of, create_case,
                      import_cases, presenter_of, set_case_presenter, set_case_statuses,
                      update_case)
from kb.db import database
from kb.editions import create_edition, load_counties, set_intake_open
from kb.judging import set_judge_profile
from kb.models import (Assignment, Case, Category, Criterion, Edition, Person, Score, Stage, User,
                       now)
from kb.text import normalize_name
from kb.users import add_user
from seeds import load_reference
from seeds.demo_text import compose_case, judge_profile, official_title, own_theme, person_name
from seeds.demo_programme import set_demo_venues
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

# A region's selection outcome (scoring.OUTCOMES) as a case status; a tie stays "presented"
# until staff break it.
STATUS_OF_OUTCOME = {"benchmark": "benchmark", "honourable": "honourable",
                     "none": "not_selected", "tie": "presented"}
PUBLISHED_STATUSES = ("benchmark", "honourable")


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


def _account(login: str, role: str, name: str, county: str | None = None,
             post: tuple[str, str] | None = None) -> tuple[User, bool]:
    """The user with this login, created with the demo password when missing (a judge with
    ``post``: title and affiliation); and whether it was."""
    user = User.get_or_none(User.login == login)
    if user is not None:
        return user, False
    user = add_user(login, role=role, name=name, password=DEMO_PASSWORD, county=county)
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


@dataclass(frozen=True)
class _Sheet:
    """One judge's scores on one case in one stage, by criterion name."""

    stage: Stage
    case: Case
    judge: User
    values: dict[str, float]


@dataclass(frozen=True)
class _StageResult:
    """A case's score in one stage: the judges' mean total and mean per criterion."""

    total: float
    criterion_means: dict[str, float]


class _YearJudging:
    """One past year's scores: case quality + criterion profile + judge leniency + noise."""

    def __init__(self, rng: random.Random, edition: Edition, cases: list[Case], judges: list[User]):
        self.rng = rng
        self.edition = edition
        self.cases = cases
        self.judges = judges
        self.criteria = list(edition.criteria.order_by(Criterion.position))
        self.rubric = [scoring.Criterion(c.name, c.points) for c in self.criteria]
        self.written, self.onsite = edition.stages.order_by(Stage.position)
        self.quality = {case.id: rng.gauss(0.74, 0.08) for case in cases}
        self.profile = {(case.id, c.name): rng.gauss(0, 0.05)
                        for case in cases for c in self.criteria}
        self.leniency = {judge.id: rng.gauss(0, 0.04) for judge in judges}

    def sheet(self, stage: Stage, case: Case, judge: User, form: float = 0.0) -> _Sheet:
        """A judge's scores: each criterion's share of its points, one decimal, within the points."""
        values = {}
        for criterion in self.criteria:
            share = (self.quality[case.id] + form + self.profile[case.id, criterion.name]
                     + self.leniency[judge.id] + self.rng.gauss(0, 0.05))
            values[criterion.name] = round(criterion.points * min(max(share, 0.0), 1.0), 1)
        return _Sheet(stage, case, judge, values)

    def written_sheets(self) -> list[_Sheet]:
        """Every case scored by the year's number of judges, spreading the work evenly."""
        per_case = self.edition.rules.judges_per_case
        load: Counter[int] = Counter()
        sheets = []
        for case in self.cases:
            panel = sorted(self.judges, key=lambda j: (load[j.id], self.rng.random()))[:per_case]
            load.update(judge.id for judge in panel)
            sheets += [self.sheet(self.written, case, judge) for judge in panel]
        return sheets

    def onsite_sheets(self, presented: list[Case]) -> list[_Sheet]:
        """Each region's panel of judges scores every case presented there."""
        by_region: dict[int, list[Case]] = defaultdict(list)
        for case in presented:
            by_region[case.region_id].append(case)
        sheets = []
        for region_cases in by_region.values():
            panel = self.rng.sample(self.judges, self.rng.randint(*ONSITE_JUDGES_PER_REGION))
            for case in region_cases:
                form = self.rng.gauss(0, 0.04)  # how well the presentation went
                sheets += [self.sheet(self.onsite, case, judge, form) for judge in panel]
        return sheets

    def stage_results(self, sheets: list[_Sheet]) -> dict[int, _StageResult]:
        """Each case's mean judge total and mean per criterion (the year's aggregation: mean)."""
        by_case: dict[int, list[_Sheet]] = defaultdict(list)
        for sheet in sheets:
            by_case[sheet.case.id].append(sheet)
        return {case_id: _StageResult(
                    total=scoring.mean_score([scoring.judge_total(s.values, self.rubric)
                                              for s in case_sheets]),
                    criterion_means={c.name: scoring.mean_score([s.values[c.name]
                                                                 for s in case_sheets])
                                     for c in self.rubric})
                for case_id, case_sheets in by_case.items()}

    def nominate(self, written: dict[int, _StageResult]) -> list[Case]:
        """Each county's best cases on the written screening, up to its number of presenters."""
        limit = self.edition.quota("presenters_per_county")
        by_county: dict[int, list[Case]] = defaultdict(list)
        for case in self.cases:
            by_county[case.county_id].append(case)
        return [case for county_cases in by_county.values()
                for case in sorted(county_cases, key=lambda c: -written[c.id].total)[:limit]]

    def outcomes(self, presented: list[Case], written: dict[int, _StageResult],
                 onsite: dict[int, _StageResult]) -> dict[int, str]:
        """Each presented case's outcome (scoring.OUTCOMES), region by region."""
        weights = {stage.key: stage.weight for stage in (self.written, self.onsite)}

        def combined(written_value: float, onsite_value: float) -> float:
            stage_scores = {self.written.key: written_value, self.onsite.key: onsite_value}
            return scoring.final_score(stage_scores, weights)

        by_region: dict[int, list[scoring.Candidate]] = defaultdict(list)
        for case in presented:
            w, o = written[case.id], onsite[case.id]
            by_region[case.region_id].append(scoring.Candidate(
                case_id=case.id, county=case.county.name, final=combined(w.total, o.total),
                onsite=o.total,
                criterion_means={name: combined(w.criterion_means[name], o.criterion_means[name])
                                 for name in w.criterion_means}))
        outcomes = {}
        for candidates in by_region.values():
            result = scoring.select_region(
                candidates, benchmarks=self.edition.quota("benchmarks_per_region"),
                per_county=self.edition.quota("benchmarks_per_county"),
                honourable=self.edition.quota("honourable_per_region"),
                tie_break=self.edition.rules.tie_break)
            outcomes.update((ranked.case_id, ranked.outcome) for ranked in result.ranking)
        return outcomes

    def run(self) -> None:
        """Score both stages, nominate, select, and write sheets and statuses."""
        written_sheets = self.written_sheets()
        written = self.stage_results(written_sheets)
        presented = self.nominate(written)
        onsite_sheets = self.onsite_sheets(presented)
        outcomes = self.outcomes(presented, written, self.stage_results(onsite_sheets))
        _write_sheets(written_sheets + onsite_sheets, {c.name: c.id for c in self.criteria})
        statuses = {case.id: STATUS_OF_OUTCOME[outcomes.get(case.id, "none")] for case in self.cases}
        _write_statuses(statuses)


def _write_sheets(sheets: list[_Sheet], criterion_ids: dict[str, int]) -> None:
    """Submitted assignments and their scores, in bulk."""
    submitted_at = now()
    rows = [{"stage": s.stage.id, "judge": s.judge.id, "case": s.case.id, "state": "submitted",
             "submitted_at": submitted_at} for s in sheets]
    for batch in chunked(rows, BATCH_SIZE):
        Assignment.insert_many(batch).execute()
    stage_ids = {s.stage.id for s in sheets}
    assignment_ids = {(a.stage_id, a.judge_id, a.case_id): a.id
                      for a in Assignment.select().where(Assignment.stage.in_(list(stage_ids)))}
    scores = [{"assignment": assignment_ids[s.stage.id, s.judge.id, s.case.id],
               "criterion": criterion_ids[name], "value": value}
              for s in sheets for name, value in s.values.items()]
    for batch in chunked(scores, BATCH_SIZE):
        Score.insert_many(batch).execute()


def _write_statuses(statuses: dict[int, str]) -> None:
    set_case_statuses({case_id: (status, status in PUBLISHED_STATUSES)
                       for case_id, status in statuses.items()})


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

    Where one agency of a county has award-winning cases in several of ``years`` (a benchmark
    among them), the owner of its first case owns the later ones too. The first such agency
    written with 臺 is typed with 台 on the later cases (matching absorbs it); the next one
    written with 政府 is typed without it (臺南市政府社會局 → 臺南市社會局: only a staff merge
    joins the two). And in one other county with benchmark cases of different agencies in two
    years, the first year's presenter has moved and presents the later one: the same name in
    another agency, which staff may judge to be one person.
    """
    cases = _award_cases(years)
    by_agency: dict[tuple[int, str], list[Case]] = defaultdict(list)
    for case in cases:
        by_agency[case.county_id, normalize_name(case.agency)].append(case)
    recurring = [group for group in by_agency.values()
                 if len({case.edition.year for case in group}) > 1
                 and any(case.status == "benchmark" for case in group)]
    spelled_tai = next((group for group in recurring if "臺" in group[0].agency), None)
    spelled_short = next((group for group in recurring
                          if group is not spelled_tai and "政府" in group[0].agency), None)
    for group in recurring:
        first = group[0]
        owner, agency = presenter_of(first), first.agency
        if group is spelled_tai:
            agency = agency.replace("臺", "台")
        elif group is spelled_short:
            agency = agency.replace("政府", "", 1)
        for case in (case for case in group if case.edition.year != first.edition.year):
            data = case_input_of(case)
            data.agency, data.owner = agency, _as_input(owner, rng)
            update_case(case.id, data)
    benchmarks: dict[int, list[Case]] = defaultdict(list)
    taken = {group[0].county_id for group in recurring}
    for case in cases:
        if case.status == "benchmark" and case.county_id not in taken:
            benchmarks[case.county_id].append(case)
    moved = [found for found in benchmarks.values()
             if len({case.edition.year for case in found}) > 1
             and normalize_name(found[0].agency) != normalize_name(found[-1].agency)]
    if moved:
        first, *_, last = rng.choice(moved)
        set_case_presenter(last.id, _as_input(presenter_of(first), rng))


def load_demo(*, seed: int = 104, years: Sequence[int] = DEMO_YEARS, current_year: int = 104,
              progress: Progress | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo: cases, judges' scores, results, accounts.

    Each of ``years`` gets 5–10 cases from every county, every category used. ``current_year``
    (104) has intake open and every case just submitted; every other year is judged: written
    screening by three judges a case, each county's best three present on site, and each region's
    benchmark cases and honourable mentions are chosen by the :mod:`scoring` rules and published.
    Accounts: ``staff``, ``researcher``, ``county-<code>`` per county and ``judge01``… for judged
    years, all with password demo1234; an existing login is left as it is. Then some people
    present in several judged years (:func:`_recurring_speakers`; people aside, a year loaded
    alone equals that year in the full demo). Judged years' regional forums get a venue and a
    date (:func:`seeds.demo_programme.set_demo_venues`); most winners of the latest judged year
    have a refined write-up, most of them approved (:mod:`seeds.demo_writeups`).

    When any of ``years`` already has cases nothing is changed and the summary is empty, so it is
    safe to run twice. ``progress(done, total)`` is called after each case. All in one transaction.
    """
    if _demo_loaded(years):
        return DemoSummary(years=(), cases=0, judges=0, accounts=[])
    reference = load_reference()
    counties = reference["counties"]
    categories = _reference_categories(reference)
    judged_years = [year for year in years if year != current_year]
    plans = {}
    for year in years:
        rng = random.Random(f"demo-{seed}-{year}")
        slots = [county for county in counties for _ in range(rng.randint(*CASES_PER_COUNTY))]
        plans[year] = (rng, _compose_inputs(rng, year, slots, categories))
    total = sum(len(inputs) for _, inputs in plans.values())
    with database.atomic():
        load_counties(counties)
        created = [(spec, *_account(*spec))
                   for spec in _account_specs(random.Random(f"accounts-{seed}"), counties,
                                              with_judges=bool(judged_years))]
        judges = [user for spec, user, _ in created if spec[1] == "judge"]
        done = 0
        for year, (rng, inputs) in plans.items():
            edition = _ensure_edition(year, reference)
            cases = []
            for data in inputs:
                cases.append(create_case(year, data))
                done += 1
                if progress is not None:
                    progress(done, total)
            if year == current_year:
                set_intake_open(year, True)
            else:
                _YearJudging(rng, edition, cases, judges).run()
        _recurring_speakers(random.Random(f"speakers-{seed}"), judged_years)
        set_demo_venues(judged_years)
        if judged_years:
            write_demo_writeups(random.Random(f"writeups-{seed}"), max(judged_years))
    return DemoSummary(
        years=tuple(years), cases=total, judges=len(judges),
        accounts=[DemoAccount(login, role, DEMO_PASSWORD, county)
                  for (login, role, _, county, _), _, is_new in created if is_new])


def demo_accounts(*, seed: int = 104) -> list[DemoAccount]:
    """The demo accounts that exist in the database (to print at start-up)."""
    specs = _account_specs(random.Random(f"accounts-{seed}"), load_reference()["counties"],
                           with_judges=True)
    existing = {login for (login,) in User.select(User.login).tuples()}
    return [DemoAccount(login, role, DEMO_PASSWORD, county)
            for login, role, _, county, _ in specs if login in existing]
