"""The one identifier a person reads for a case: 104-TPE-001 (ROC year, county code, the case's
place among its county's cases of that year). The internal id stays in URLs only.

The number is the order of sending in, and cases are never deleted, so a case keeps its code
(it changes only if staff move the case to another county). A county's own number, typed on
intake or in its case list (``external_id``), is shown beside it where it differs.
"""
from __future__ import annotations

from collections import defaultdict

from peewee import fn

from kb.computed import computed
from kb.db import prepared
from kb.models import Case, County, Edition


def format_case_code(year: int, county_code: str, number: int) -> str:
    """104-TPE-001."""
    return f"{year}-{county_code}-{number:03d}"


@prepared
def _numbered(case_ids: list[int]):
    earlier = Case.alias()
    return (Case.select(Case.id, Edition.year, County.code, fn.COUNT(earlier.id))
            .join(Edition).switch(Case).join(County).switch(Case)
            .join(earlier, on=((earlier.edition == Case.edition) & (earlier.county == Case.county)
                               & (earlier.id <= Case.id)))
            .where(Case.id.in_(case_ids)).group_by(Case.id, Edition.year, County.code).tuples())


def case_codes_of(case_ids: list[int]) -> dict[int, str]:
    """The codes of some cases by id, in one query whatever their years (a case's number is how
    many of its county's cases of that year were sent in up to it): for a list that shows a few
    cases of many years, without reading those years' other cases."""
    return {case_id: format_case_code(year, code, number)
            for case_id, year, code, number in (_numbered(list(case_ids)) if case_ids else [])}


def edition_case_codes(edition_id: int) -> dict[int, str]:
    """The code of every case of one year's forum by case id, in one query."""
    return years_case_codes([edition_id])


def years_case_codes(edition_ids: list[int]) -> dict[int, str]:
    """The code of every case of these years' forums by case id, in one query (plain rows:
    peewee's row building cost more than the query), kept by :func:`kb.computed.computed`
    while no case, county or year changes what it is computed from (a judge's page shows the
    codes of four years' cases): callers must not change it."""
    return computed(("case_codes", tuple(edition_ids)), lambda: _read_codes(edition_ids))


def _read_codes(edition_ids: list[int]) -> dict[int, str]:
    seen: dict[tuple[int, int], int] = defaultdict(int)
    codes = {}
    for case_id, edition_id, county_id, year, code in _cases_of.cursor(edition_ids).fetchall():
        seen[edition_id, county_id] += 1
        codes[case_id] = format_case_code(year, code, seen[edition_id, county_id])
    return codes


@prepared  # most pages show codes: the SQL written once per number of years
def _cases_of(edition_ids: list[int]):
    return (Case.select(Case.id, Case.edition, Case.county, Edition.year, County.code)
            .join(Edition).switch(Case).join(County)
            .where(Case.edition.in_(edition_ids)).order_by(Case.id))


def case_code(case: Case | int, cache: dict[int, str] | None = None) -> str:
    """The code of one case, given as a row (anything with ``id`` and ``edition_id``) or an id
    ("" for no such case). With ``cache`` (a dict kept for one page), each year's codes are read
    once however many cases a page shows; without, only this case's place is counted."""
    case_id = case if isinstance(case, int) else case.id
    if cache is None:
        return _one_case_code(case_id)
    if case_id not in cache:
        edition_id = (Case.select(Case.edition).where(Case.id == case_id).scalar()
                      if isinstance(case, int) else case.edition_id)
        if edition_id is None:
            return ""
        cache.update(edition_case_codes(edition_id))
    return cache.get(case_id, "")


def _one_case_code(case_id: int) -> str:
    """One case's code in one statement (:func:`case_codes_of`)."""
    return case_codes_of([case_id]).get(case_id, "")
