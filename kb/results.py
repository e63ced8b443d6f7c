"""The database side of the year's results workbook (:mod:`exports.results_workbook` is the
file format, plain data in): the rankings, every judge's totals, the statistics and the
year's rules, read once for the file; and the published winners the year's results page lists."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from kb.cases import find_cases, published_award
from kb.db import prepared
from kb.editions import get_edition
from kb.models import Case, Category, County, Edition, User
from kb.selection import compute_selection, judge_statistics, judge_totals
from kb.settings import YearRules
from kb.stages import list_stages


@dataclass
class ResultsStage:
    """A stage as the workbook names it: its key, name and weight in the final score."""

    key: str
    name: str
    weight: float


@dataclass
class ResultsData:
    """What the results workbook of a year shows: the year (ROC ``year``, ``ad_year``, name,
    rules), its stages by key, each stage's complete submitted totals (case id → judge login →
    total), case titles, the regions' rankings (:meth:`RegionResult.as_dict` of
    :func:`kb.selection.compute_selection`), each stage's :func:`kb.selection.judge_statistics`
    and the judges' names by login."""

    year: int
    ad_year: int
    name: str
    rules: YearRules
    stages: dict[str, ResultsStage]
    totals: dict[str, dict[int, dict[str, float]]]
    titles: dict[int, str]
    regions: list[dict]
    statistics: dict[str, list[dict]]
    judge_names: dict[str, str]


def results_data(year: int) -> ResultsData:
    """The data of ROC ``year``'s results workbook; raises :class:`kb.errors.NotFound` for a
    year or stage that does not exist."""
    edition = get_edition(year)
    stages = list_stages(year)
    totals = {stage.key: _totals_by_case(stage) for stage in stages}
    logins = {login for by_case in totals.values() for case in by_case.values() for login in case}
    return ResultsData(
        year=edition.year, ad_year=edition.ad_year, name=edition.name, rules=edition.rules,
        stages={stage.key: ResultsStage(stage.key, stage.name, stage.weight) for stage in stages},
        totals=totals,
        titles={case.id: case.title for case in find_cases(staff_scope=True, year=year)},
        regions=[region.as_dict() for region in compute_selection(year)],
        statistics={stage.key: judge_statistics(year, stage.key) for stage in stages},
        judge_names=dict(User.select(User.login, User.name)
                         .where(User.login.in_(sorted(logins))).tuples()))


def _totals_by_case(stage) -> dict[int, dict[str, float]]:
    """Each case's complete, submitted judge totals in a stage: case id → judge login → total."""
    table: dict[int, dict[str, float]] = {}
    for row in judge_totals(stage)[0]:
        table.setdefault(row.case_id, {})[row.judge] = row.total
    return table


class Winner(NamedTuple):
    """A published benchmark case or honourable mention as the results page lists it."""

    id: int
    title: str
    status: str
    county: str
    agency: str
    category: str
    region_id: int


@prepared  # every results page reads it: its SQL written once
def _published_winners(year: int):
    return (Case.select(Case.id, Case.title, Case.status, County.name, Case.agency,
                        Category.name, Case.region)
            .join(Edition).switch(Case).join(County).switch(Case).join(Category)
            .where((Edition.year == year) & published_award())
            .order_by(County.id, Case.id))


def published_winner_rows(year: int) -> list[Winner]:
    """The year's published benchmark cases and honourable mentions (what anyone may see), by
    county and then as sent in, as plain rows in one statement (whole cases with their year's
    settings cost the results page most of its time)."""
    return [Winner(*row) for row in _published_winners.cursor(year).fetchall()]
