"""A year's forum (Edition) and its rules held as data."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from typing import Callable

from kb.audit import write_audit
from kb.db import database, insert_rows, prepared
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.reading import read_once
from kb.models import (Category, County, Criterion, Edition, Region, RegionCounty, Stage,
                       User)
from kb.rocdate import roc_year
from kb.schedule import template_of
from kb.settings import (CategoryRule, CriterionRule, RegionRule, StageRule, YearSettings,
                         parse_settings)
from kb.text import normalize_name
from seeds import load_reference


def load_counties(counties: list[dict]) -> int:
    """Create or update the counties (name, code, variants); return how many were added."""
    added = 0
    with database.atomic():
        for item in counties:
            county = County.get_or_none(County.name == item["name"])
            if county is None:
                County.create(name=item["name"], code=item["code"], variants=item.get("variants", []))
                added += 1
            else:
                county.code, county.variants = item["code"], item.get("variants", [])
                county.save()
    return added


def get_edition(year: int) -> Edition:
    """The edition of ROC ``year``, or :class:`NotFound` with a message that names the year
    (read once per :func:`kb.reading.one_reading`, its settings parsed once)."""
    return read_once(("edition", year), lambda: _get_edition(year))


def _get_edition(year: int) -> Edition:
    # A number no database column holds (typed or crafted) is simply no year.
    edition = next(iter(_edition_of(year)), None) if -2**31 < year < 2**31 else None
    if edition is None:
        error = NotFound(f"找不到{roc_year(year)}的論壇")
        error.hint = f"請先以 forum edition create {year} 建立"
        raise error
    return edition


@prepared
def _editions():
    return Edition.select().order_by(Edition.year.desc())


@prepared  # every year's page reads it: its SQL written once
def _edition_of(year: int):
    return Edition.select().where(Edition.year == year)


def list_editions() -> list[Edition]:
    """All editions, the newest first."""
    return list(_editions())


def edition_years() -> list[int]:
    """Every edition's ROC year, the newest first (what a year filter lists), as plain rows."""
    return [year for (year,) in database.execute(
        Edition.select(Edition.year).order_by(Edition.year.desc())).fetchall()]


def latest_edition() -> Edition | None:
    """The newest edition, or None when there is none yet."""
    return Edition.select().order_by(Edition.year.desc()).first()


def official_county_finder() -> Callable[[str], str | None]:
    """A function from a typed county name (any accepted spelling) to its official name."""
    names = {}
    for county in County.select():
        for spelling in (county.name, *county.variants):
            names[normalize_name(spelling)] = county.name
    return lambda typed: names.get(normalize_name(typed))


def check_settings(settings: dict | YearSettings) -> YearSettings:
    """A settings dict checked and typed (:func:`kb.settings.parse_settings` on this database's
    counties); a :class:`YearSettings` is checked again, as if typed."""
    raw = settings.as_dict() if isinstance(settings, YearSettings) else settings
    return parse_settings(raw, official_county_finder())


def create_edition(year: int, settings: dict | YearSettings, *, name: str | None = None,
                   actor: User | None = None) -> Edition:
    """Create the forum of ROC ``year`` from settings (the shape of seeds/reference.json)."""
    if not isinstance(year, int) or not 1 <= year <= 300:
        raise ValidationError([Problem(f"年度「{echoed(year)}」不是民國年（例如 104）", "year")])
    checked = check_settings(settings)
    with database.atomic():
        if Edition.get_or_none(Edition.year == year) is not None:
            raise ValidationError([Problem(f"{roc_year(year)}的論壇已經存在", "year")])
        edition = Edition.create(year=year, name=name or f"{roc_year(year)}地方治理標竿論壇",
                                 settings=checked.rules.as_dict())
        write_tables(edition, checked)
        write_audit(actor, "create_edition", "edition", edition.id, after={"year": year})
    return edition


def create_edition_from(year: int, source_year: int | None = None, *,
                        actor: User | None = None) -> Edition:
    """Create year ``year`` with the rules of year ``source_year`` copied, or the reference
    data's when it is None."""
    settings = (year_settings(get_edition(source_year)) if source_year is not None
                else load_reference()["edition"])
    return create_edition(year, settings, actor=actor)


def write_tables(edition: Edition, settings: YearSettings) -> None:
    """Make the year's regions, categories, criteria and stages those of ``settings``.

    Rows are matched by name (stages by key) and updated in place, so the scores on a criterion
    and the cases of a region or category stay attached; rows no longer named are deleted (the
    caller has made sure nothing hangs off them). Call inside a transaction.
    """
    counties = {c.name: c.id for c in County.select(County.id, County.name)}
    RegionCounty.delete().where(RegionCounty.edition == edition).execute()
    tables = (
        (Region, Region.name, settings.regions, lambda r: {"name": r.name}),
        (Category, Category.name, settings.categories, asdict),
        (Criterion, Criterion.name, settings.criteria, asdict),
        (Stage, Stage.key, settings.stages, asdict),
    )
    for model, key, rules, values_of in tables:
        rows = {getattr(row, key.name): row
                for row in model.select().where(model.edition == edition)}
        wanted = {values_of(rule)[key.name] for rule in rules}
        gone = [row.id for name, row in rows.items() if name not in wanted]
        if gone:
            model.delete().where(model.id.in_(gone)).execute()
        ids = {name: row.id for name, row in rows.items()}
        new = []
        for position, rule in enumerate(rules):
            values = {**values_of(rule), "position": position}
            row = rows.get(values[key.name])
            if row is None:
                new.append({**values, "edition": edition.id})
            elif any(getattr(row, name) != value for name, value in values.items()):
                model.update(**values).where(model.id == row.id).execute()
        if new:  # in one statement, defaults filled in as peewee's create would
            fields = [f for f in model._meta.sorted_fields if f.name != "id"]
            made = insert_rows(model, fields, [
                tuple(values[f.name] if f.name in values
                      else f.default() if callable(f.default) else f.default for f in fields)
                for values in new], returning=True)
            ids.update(zip((values[key.name] for values in new), made))
        if model is Region:
            insert_rows(RegionCounty, [RegionCounty.region, RegionCounty.edition,
                                       RegionCounty.county],
                        [(ids[rule.name], edition.id, counties[county])
                         for rule in rules for county in rule.counties])


def year_settings(edition: Edition) -> YearSettings:
    """An edition's rules, typed (what the settings editor shows and a later year copies);
    its tables read as plain rows (model rows cost the settings page most of its time)."""
    def rows(query) -> list[tuple]:
        return database.execute(query).fetchall()
    regions = defaultdict(list)
    for region_id, county in rows(RegionCounty.select(RegionCounty.region, County.name)
                                  .join(County).where(RegionCounty.edition == edition)
                                  .order_by(RegionCounty.id)):
        regions[region_id].append(county)
    rules = edition.rules
    return YearSettings(
        regions=tuple(RegionRule(name, tuple(regions[region_id])) for region_id, name in rows(
            Region.select(Region.id, Region.name).where(Region.edition == edition)
            .order_by(Region.position))),
        categories=tuple(CategoryRule(*row) for row in rows(
            Category.select(Category.name, Category.priority, Category.description)
            .where(Category.edition == edition).order_by(Category.position))),
        criteria=tuple(CriterionRule(*row) for row in rows(
            Criterion.select(Criterion.name, Criterion.points, Criterion.description)
            .where(Criterion.edition == edition).order_by(Criterion.position))),
        stages=tuple(StageRule(*row) for row in rows(
            Stage.select(Stage.key, Stage.name, Stage.weight).where(Stage.edition == edition)
            .order_by(Stage.position))),
        # The programme's venues are the programme page's business, not a rule to copy.
        rules=replace(rules, programme={key: template_of(edition.settings)[key]
                                        for key in ("start", "items")}))


def edition_settings(edition: Edition) -> dict:
    """An edition's rules in the settings shape, to copy into a later year."""
    return year_settings(edition).as_dict()


def set_intake_open(year: int, is_open: bool, *, actor: User | None = None) -> Edition:
    """Open or close case intake (收件) for a year."""
    edition = get_edition(year)
    with database.atomic():
        write_audit(actor, "open_intake" if is_open else "close_intake", "edition", edition.id,
                    before={"intake_open": edition.intake_open}, after={"intake_open": is_open})
        edition.intake_open = is_open
        edition.save(only=[Edition.intake_open])  # leave the settings to their own saves
    return edition


@prepared
def _counties(edition_id: int):
    return (County.select().join(RegionCounty).join(Region)
            .where(RegionCounty.edition == edition_id).order_by(Region.position, RegionCounty.id))


@prepared
def _regions(edition_id: int):
    return Region.select().where(Region.edition == edition_id).order_by(Region.position)


@prepared
def _categories(edition_id: int):
    return Category.select().where(Category.edition == edition_id).order_by(Category.position)


def edition_counties(edition: Edition) -> list[County]:
    """The counties taking part in an edition, region by region."""
    return list(_counties(edition.id))


def edition_regions(edition: Edition) -> list[Region]:
    """An edition's regions in order."""
    return list(_regions(edition.id))


def edition_categories(edition: Edition) -> list[Category]:
    """An edition's categories in order (priority 1 first)."""
    return list(_categories(edition.id))


def county_accepts(county: County, typed: str) -> bool:
    """Whether a typed name means this county (official name or an accepted variant)."""
    wanted = normalize_name(typed)
    return wanted == county.name or wanted in {normalize_name(v) for v in county.variants}


def county_members(edition: Edition) -> list[RegionCounty]:
    """The year's counties with their regions (to look many typed names up in one read)."""
    return list(RegionCounty.select(RegionCounty, County, Region).join(County)
                .switch(RegionCounty).join(Region).where(RegionCounty.edition == edition))


def find_county(edition: Edition, typed: str, *,
                members: list[RegionCounty] | None = None) -> tuple[County, Region]:
    """The county a person typed (台/臺 variants and stray spaces accepted) and its region,
    among ``members`` (:func:`county_members`) when the caller has read them.

    Raises :class:`ValidationError` naming the value when it is not one of the year's counties.
    """
    if not normalize_name(typed):
        raise ValidationError([Problem("必須填寫", "county")])
    for member in members if members is not None else county_members(edition):
        if county_accepts(member.county, typed):
            return member.county, member.region
    raise ValidationError([Problem(f"「{echoed(typed)}」不是本年度的縣市", "county")])


def find_category(edition: Edition, typed: str, *,
                  categories: list[Category] | None = None) -> Category:
    """The category a person typed, among ``categories`` (the year's, when the caller has read
    them), or :class:`ValidationError` naming the value."""
    wanted = normalize_name(typed)
    if not wanted:
        raise ValidationError([Problem("必須填寫", "category")])
    for category in categories if categories is not None else edition.categories:
        if normalize_name(category.name) == wanted:
            return category
    raise ValidationError([Problem(f"「{echoed(typed)}」不是本年度的徵求類別", "category")])


@dataclass
class CaseListChoices:
    """What a year's empty case list (the Excel template) offers: the year (ROC and AD) and
    the forum's name, the per-county limit, the counties region by region, and the categories
    in order as (name, priority, description, whether the county names its own theme)."""

    year: int
    ad_year: int
    name: str
    cases_per_county: int
    counties: list[str]
    categories: list[tuple[str, int, str, bool]]


def case_list_choices(edition: Edition) -> CaseListChoices:
    """The choices of ``edition``'s case list, as plain data for the workbook."""
    return CaseListChoices(
        year=edition.year, ad_year=edition.ad_year, name=edition.name,
        cases_per_county=edition.quota("cases_per_county"),
        counties=[county.name for county in edition_counties(edition)],
        categories=[(c.name, c.priority, c.description, c.needs_theme)
                    for c in edition_categories(edition)])
