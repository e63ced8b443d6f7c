"""How counties put past benchmark cases to use (歷年案例的應用): the yearly adoption survey.

Each year's survey asks every county which published benchmark cases of earlier years it has
adopted as they are (內化), adapted (創新), or wants to adopt (需求). A county contact answers for
their own county; staff see who answered and the matrix of cases × counties.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from peewee import chunked

from kb.audit import write_audits
from kb.db import database
from kb.editions import edition_counties, get_edition
from kb.errors import PermissionDenied, Problem, ValidationError, echoed
from kb.models import Adoption, AdoptionResponse, Case, County, Edition, User, now
from kb.policy import can_act_for_county
from kb.rocdate import roc_year
from kb.text import clean_text

KINDS = {"internalised": "內化", "innovated": "創新", "wanted": "需求"}
KIND_HELP = {"internalised": "照原作法導入", "innovated": "參考後調整創新", "wanted": "有意導入"}
MAX_NOTE = 500


@dataclass
class AdoptionInput:
    """One answer: a past case, how it was used, the year, a short note."""

    case_id: int
    kind: str
    year: int | None = None
    note: str = ""


@dataclass
class AdoptionRow:
    """An answer as pages and reports show it."""

    case_id: int
    case_title: str
    case_year: int
    case_county: str
    county: str
    kind: str
    year: int | None
    note: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    def as_dict(self) -> dict:
        return {"case": self.case_id, "case_title": self.case_title,
                "case_year": self.case_year, "case_county": self.case_county,
                "county": self.county, "kind": self.kind, "kind_label": self.kind_label,
                "year": self.year, "note": self.note}


def adoptable_cases(survey_year: int) -> list[Case]:
    """The published benchmark cases of the years before ``survey_year``, newest year first
    (id, title, agency, status, year and county only: a survey lists dozens, and a full case
    row with its year's settings costs more to build than the page)."""
    return list(Case.select(Case.id, Case.title, Case.agency, Case.status, Case.edition,
                            Case.county, Edition.id, Edition.year, County.id, County.name)
                .join(Edition).switch(Case).join(County)
                .where((Case.published == True) & (Case.status == "benchmark")  # noqa: E712
                       & (Edition.year < survey_year))
                .order_by(Edition.year.desc(), Case.region, Case.county, Case.id))


def _check_county_actor(actor: User | None, county: County) -> None:
    if not can_act_for_county(actor, county.id):
        raise PermissionDenied("只有該縣市的承辦人或主辦機關承辦人可填寫應用調查")


def _problems(entries: list[AdoptionInput], cases: dict[int, Case], county: County,
              survey_year: int) -> list[Problem]:
    problems = []
    seen = set()
    for n, entry in enumerate(entries, start=1):
        where = f"第{n}筆"
        case = cases.get(entry.case_id)
        if case is None:
            problems.append(Problem(f"{where}：案例 {entry.case_id} 不是{survey_year}年以前已公布的標竿案例",
                                    "case"))
            continue
        if case.county_id == county.id:
            problems.append(Problem(f"{where}：〈{case.title}〉是本縣市自己的案例，不需填寫應用", "case"))
        if entry.case_id in seen:
            problems.append(Problem(f"{where}：〈{case.title}〉重複填寫", "case"))
        seen.add(entry.case_id)
        if entry.kind not in KINDS:
            problems.append(Problem(f"{where}：應用情形須為 內化、創新 或 需求", "kind"))
        if entry.year is not None and not (case.edition.year <= entry.year <= survey_year + 5):
            problems.append(Problem(
                f"{where}：應用年度須介於{roc_year(case.edition.year)}與{survey_year + 5}年之間", "year"))
        if len(clean_text(entry.note)) > MAX_NOTE:
            problems.append(Problem(f"{where}：說明最多 {MAX_NOTE} 字", "note"))
    return problems


def record_adoptions(survey_year: int, county_name: str, entries: list[AdoptionInput], *,
                     actor: User | None = None) -> list[AdoptionRow]:
    """Replace a county's answers to one year's survey with ``entries`` (empty: the county
    answered that it uses none), all or nothing, audited; the county counts as having answered."""
    record_county_answers(survey_year, [(county_name, entries)], actor=actor)
    return county_adoptions(survey_year, county_name)


def record_county_answers(survey_year: int, answers: list[tuple[str, list[AdoptionInput]]], *,
                          actor: User | None = None) -> None:
    """Several counties' answers to one year's survey at once, each as :func:`record_adoptions`
    takes it, all or nothing, in a fixed number of statements; one audit record per county."""
    edition = get_edition(survey_year)
    counties = {c.name: c for c in edition_counties(edition)}
    named = len(answers) > 1  # problems name their county when there are several
    resolved, problems = [], []
    for county_name, entries in answers:
        county = counties.get(county_name)
        if county is None:
            raise ValidationError(f"{roc_year(survey_year)}沒有縣市「{echoed(county_name)}」")
        _check_county_actor(actor, county)
        if any(county is other for other, _ in resolved):
            problems.append(Problem(f"{county.name}的答案重複", "county"))
        resolved.append((county, entries))
    with database.atomic():
        cases = {case.id: case for case in adoptable_cases(survey_year)}
        for county, entries in resolved:
            problems += [Problem(f"{county.name}{p.message}" if named else p.message, p.field)
                         for p in _problems(entries, cases, county, survey_year)]
        if problems:
            raise ValidationError(problems)
        ids = [county.id for county, _ in resolved]
        answered = (Adoption.survey_year == survey_year) & Adoption.county.in_(ids)
        before = defaultdict(list)
        for a in Adoption.select().where(answered):
            before[a.county_id].append((a.case_id, a.kind, a.year, a.note))
        Adoption.delete().where(answered).execute()
        who = actor.login if actor is not None else "命令列"
        rows = [{"survey_year": survey_year, "case": e.case_id, "county": county.id,
                 "kind": e.kind, "year": e.year, "note": clean_text(e.note), "actor": who}
                for county, entries in resolved for e in entries]
        for batch in chunked(rows, 200):
            Adoption.insert_many(batch).execute()
        AdoptionResponse.delete().where((AdoptionResponse.survey_year == survey_year)
                                        & AdoptionResponse.county.in_(ids)).execute()
        at = now()
        AdoptionResponse.insert_many([{"survey_year": survey_year, "county": county_id,
                                       "actor": who, "at": at} for county_id in ids]).execute()
        write_audits(actor, "record_adoptions", "adoption", [
            (county.id, {"survey_year": survey_year, "answers": sorted(before[county.id])},
             {"survey_year": survey_year,
              "answers": sorted((e.case_id, e.kind, e.year, clean_text(e.note)) for e in entries)},
             "") for county, entries in resolved])


def _rows(where) -> list[AdoptionRow]:
    """Answers matching ``where``, newest survey first, then by case and county."""
    owner, answering = County.alias(), County.alias()
    query = (Adoption.select(Case.id, Case.title, Edition.year, owner.name, answering.name,
                             Adoption.kind, Adoption.year, Adoption.note)
             .join(Case).join(Edition).switch(Case).join(owner, on=Case.county == owner.id)
             .switch(Adoption).join(answering, on=Adoption.county == answering.id)
             .where(where).order_by(Adoption.survey_year.desc(), Edition.year.desc(), Case.id,
                                    Adoption.county))
    return [AdoptionRow(*row) for row in query.tuples()]


def county_adoptions(survey_year: int, county_name: str) -> list[AdoptionRow]:
    """One county's answers to one year's survey."""
    county = County.get_or_none(County.name == county_name)
    return _rows((Adoption.survey_year == survey_year) & (Adoption.county == county)) \
        if county is not None else []


def case_adoptions(case_id: int) -> list[AdoptionRow]:
    """Every county's latest answer about one case (across survey years), one row a county."""
    latest: dict[str, AdoptionRow] = {}
    for row in _rows(Adoption.case == case_id):
        latest.setdefault(row.county, row)
    return sorted(latest.values(), key=lambda row: row.county)


@dataclass
class SurveyReport:
    """One year's survey: who answered, and the matrix of past cases × counties."""

    year: int
    counties: list[str]
    answered: dict[str, bool]
    cases: list[Case]
    cells: dict[tuple[int, str], str]  # (case id, county) -> kind

    @property
    def answered_count(self) -> int:
        return sum(self.answered.values())

    def kind_counts(self) -> dict[str, int]:
        """How many answers of each kind."""
        counts = dict.fromkeys(KINDS, 0)
        for kind in self.cells.values():
            counts[kind] += 1
        return counts

    def as_dict(self) -> dict:
        return {"year": self.year, "answered": self.answered,
                "kinds": self.kind_counts(),
                "matrix": [{"case": c.id, "title": c.title, "year": c.edition.year,
                            "county": c.county.name,
                            "answers": {county: self.cells[(c.id, county)]
                                        for county in self.counties if (c.id, county) in self.cells}}
                           for c in self.cases]}


def adoption_survey(survey_year: int) -> SurveyReport:
    """The year's survey report (a constant number of queries)."""
    counties = edition_counties(get_edition(survey_year))
    answered_ids = {r.county_id for r in AdoptionResponse.select().where(
        AdoptionResponse.survey_year == survey_year)}
    names = {c.id: c.name for c in County.select()}
    cells = {(a.case_id, names[a.county_id]): a.kind
             for a in Adoption.select().where(Adoption.survey_year == survey_year)}
    return SurveyReport(survey_year, [c.name for c in counties],
                        {c.name: c.id in answered_ids for c in counties},
                        adoptable_cases(survey_year), cells)
