"""A year's forum (Edition) and its rules held as data."""
from __future__ import annotations

from kb.audit import write_audit
from kb.db import database
from kb.errors import NotFound, Problem, ValidationError
from kb.models import (Category, County, Criterion, Edition, Region, RegionCounty, Stage,
                       User)
from kb.schedule import check_template, template_of
from kb.text import normalize_name

# Settings kept as JSON on the edition; everything else in the settings shape is a table.
JSON_SETTINGS = ("quotas", "judges_per_case", "aggregation", "tie_break")


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
    """The edition of ROC ``year``, or :class:`NotFound` with a message that names the year."""
    edition = Edition.get_or_none(Edition.year == year)
    if edition is None:
        error = NotFound(f"找不到民國{year}年的論壇")
        error.hint = f"請先以 forum edition create {year} 建立"
        raise error
    return edition


def list_editions() -> list[Edition]:
    """All editions, the newest first."""
    return list(Edition.select().order_by(Edition.year.desc()))


def latest_edition() -> Edition | None:
    """The newest edition, or None when there is none yet."""
    return Edition.select().order_by(Edition.year.desc()).first()


def _check_settings(settings: dict) -> list[Problem]:
    problems = []
    counties = {c.name for c in County.select()}
    seen = set()
    for region in settings.get("regions", []):
        for name in region["counties"]:
            official = normalize_name(name)
            if official not in counties:
                problems.append(Problem(f"分區「{region['name']}」的縣市「{name}」不存在", "regions"))
            elif official in seen:
                problems.append(Problem(f"縣市「{official}」同時屬於兩個分區", "regions"))
            seen.add(official)
    if not settings.get("regions"):
        problems.append(Problem("至少需要一個分區", "regions"))
    if not settings.get("categories"):
        problems.append(Problem("至少需要一個徵求類別", "categories"))
    if not settings.get("criteria"):
        problems.append(Problem("至少需要一項評選指標", "criteria"))
    weights = [s["weight"] for s in settings.get("stages", [])]
    if not weights or abs(sum(weights) - 1) > 1e-9:
        problems.append(Problem("各階段權重合計須為 100%", "stages"))
    if "programme" in settings:
        problems += [Problem(f"議程範本：{p.message}", "programme")
                     for p in _checked_programme(settings)[1]]
    return problems


def _checked_programme(settings: dict) -> tuple[dict, list[Problem]]:
    programme = settings["programme"]
    return check_template(programme.get("start"), programme.get("items") or [],
                          case_slots=settings.get("quotas", {}).get("benchmarks_per_region"))


def create_edition(year: int, settings: dict, *, name: str | None = None,
                   actor: User | None = None) -> Edition:
    """Create the forum of ROC ``year`` from a settings dict (the shape of seeds/reference.json)."""
    if Edition.get_or_none(Edition.year == year) is not None:
        raise ValidationError(f"民國{year}年的論壇已經存在")
    if not 1 <= year <= 300:
        raise ValidationError(f"年度「{year}」不是民國年（例如 104）")
    problems = _check_settings(settings)
    if problems:
        raise ValidationError(problems)
    counties = {c.name: c for c in County.select()}
    with database.atomic():
        # No programme: the year reads the reference template (kb.schedule.template_of).
        programme = ({"programme": _checked_programme(settings)[0]}
                     if "programme" in settings else {})
        edition = Edition.create(
            year=year, name=name or f"民國{year}年地方治理標竿論壇",
            settings={**{key: settings[key] for key in JSON_SETTINGS}, **programme})
        for position, item in enumerate(settings["regions"]):
            region = Region.create(edition=edition, name=item["name"], position=position)
            for county_name in item["counties"]:
                RegionCounty.create(region=region, edition=edition,
                                    county=counties[normalize_name(county_name)])
        for position, item in enumerate(settings["categories"]):
            Category.create(edition=edition, position=position, name=item["name"],
                            priority=item["priority"], description=item.get("description", ""))
        for position, item in enumerate(settings["criteria"]):
            Criterion.create(edition=edition, position=position, name=item["name"],
                             points=item["points"], description=item.get("description", ""))
        for position, item in enumerate(settings["stages"]):
            Stage.create(edition=edition, position=position, key=item["key"], name=item["name"],
                         weight=item["weight"])
        write_audit(actor, "create_edition", "edition", edition.id, after={"year": year})
    return edition


def edition_settings(edition: Edition) -> dict:
    """An edition's rules in the settings shape, to copy into a later year."""
    regions = []
    for region in edition.regions.order_by(Region.position):
        members = (RegionCounty.select(RegionCounty, County).join(County)
                   .where(RegionCounty.region == region).order_by(RegionCounty.id))
        regions.append({"name": region.name, "counties": [m.county.name for m in members]})
    return {
        "regions": regions,
        "categories": [{"name": c.name, "priority": c.priority, "description": c.description}
                       for c in edition.categories.order_by(Category.position)],
        "criteria": [{"name": c.name, "points": c.points, "description": c.description}
                     for c in edition.criteria.order_by(Criterion.position)],
        "stages": [{"key": s.key, "name": s.name, "weight": s.weight}
                   for s in edition.stages.order_by(Stage.position)],
        **{key: edition.settings[key] for key in JSON_SETTINGS},
        "programme": {key: template_of(edition.settings)[key] for key in ("start", "items")},
    }


def set_intake_open(year: int, is_open: bool, *, actor: User | None = None) -> Edition:
    """Open or close case intake (收件) for a year."""
    edition = get_edition(year)
    with database.atomic():
        write_audit(actor, "open_intake" if is_open else "close_intake", "edition", edition.id,
                    before={"intake_open": edition.intake_open}, after={"intake_open": is_open})
        edition.intake_open = is_open
        edition.save(only=[Edition.intake_open])  # leave the settings to their own saves
    return edition


def edition_counties(edition: Edition) -> list[County]:
    """The counties taking part in an edition, region by region."""
    return list(County.select().join(RegionCounty).join(Region)
                .where(RegionCounty.edition == edition)
                .order_by(Region.position, RegionCounty.id))


def edition_regions(edition: Edition) -> list[Region]:
    """An edition's regions in order."""
    return list(edition.regions.order_by(Region.position))


def edition_categories(edition: Edition) -> list[Category]:
    """An edition's categories in order (priority 1 first)."""
    return list(edition.categories.order_by(Category.position))


def county_accepts(county: County, typed: str) -> bool:
    """Whether a typed name means this county (official name or an accepted variant)."""
    wanted = normalize_name(typed)
    return wanted == county.name or wanted in {normalize_name(v) for v in county.variants}


def find_county(edition: Edition, typed: str) -> tuple[County, Region]:
    """The county a person typed (台/臺 variants and stray spaces accepted) and its region.

    Raises :class:`ValidationError` naming the value when it is not one of the year's counties.
    """
    if not normalize_name(typed):
        raise ValidationError([Problem("必須填寫", "county")])
    for member in (RegionCounty.select(RegionCounty, County, Region).join(County)
                   .switch(RegionCounty).join(Region).where(RegionCounty.edition == edition)):
        if county_accepts(member.county, typed):
            return member.county, member.region
    raise ValidationError([Problem(f"「{typed}」不是本年度的縣市", "county")])


def find_category(edition: Edition, typed: str) -> Category:
    """The category a person typed, or :class:`ValidationError` naming the value."""
    wanted = normalize_name(typed)
    if not wanted:
        raise ValidationError([Problem("必須填寫", "category")])
    for category in edition.categories:
        if normalize_name(category.name) == wanted:
            return category
    raise ValidationError([Problem(f"「{typed}」不是本年度的徵求類別", "category")])
