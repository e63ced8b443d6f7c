"""A year's rules as a typed model, with the one validator every reader of them goes through.

The settings shape (seeds/reference.json's ``edition``, ``forum edition settings --load`` and
the settings editor page) is parsed by :func:`parse_settings` into a :class:`YearSettings`;
the part kept as JSON on the edition is read back by :func:`rules_of`, which applies the same
checks and the defaults in one place. Nothing here touches the database: the caller passes a
function that names the official county for a typed one.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

from kb.errors import Problem, ValidationError
from kb.schedule import check_template
from scoring.aggregate import AGGREGATION_METHODS

STAGE_KEYS = {"screening": "書面篩選", "onsite": "分區評選"}
QUOTA_LABELS = {
    "cases_per_county": "每縣市送件上限",
    "presenters_per_county": "每縣市推薦出席分區評選上限",
    "benchmarks_per_region": "每分區標竿案例數",
    "benchmarks_per_county": "每縣市標竿案例上限",
    "honourable_per_region": "每分區佳作數",
}
QUOTA_MINIMUM = {"honourable_per_region": 0}  # the others must be at least 1
DEFAULT_TRIM_MIN_JUDGES = 5
DEFAULT_RUBRIC_TOTAL = 100
SECTION_LABELS = {
    "regions": "分區", "categories": "徵求類別", "criteria": "評選指標", "stages": "評選階段",
    "quotas": "名額", "judges_per_case": "每案評審人數", "aggregation": "評分彙整方式",
    "trim_min_judges": "截尾平均最少評審數", "tie_break": "比序規則", "rubric_total": "評選指標總分",
    "programme": "議程範本", "forum_name": "論壇名稱", "preface": "彙編序言",
    "marked_difference": "評分差異明顯的門檻",
    "participant_retention_months": "學員聯絡資料保存月數",
}
DEFAULT_DIFFERENCE_POINTS = 15.0  # a judge's total this far from the case's mean is marked
DEFAULT_DIFFERENCE_RHO = 0.3  # a judge whose ranking correlates below this with the rest
DEFAULT_RETENTION_MONTHS = 6  # participants' contacts are deleted this long after the forum
TABLE_SECTIONS = ("regions", "categories", "criteria", "stages")
MAX_ROWS = 200  # per list: far above any real year, low enough to refuse a runaway file


@dataclass(frozen=True)
class RegionRule:
    """A region (分區) and the official names of its counties."""

    name: str
    counties: tuple[str, ...]


@dataclass(frozen=True)
class CategoryRule:
    """A call category (徵求類別); priority 3 means the county names its own theme."""

    name: str
    priority: int
    description: str = ""


@dataclass(frozen=True)
class CriterionRule:
    """A rubric criterion (評選指標) with its points (配分)."""

    name: str
    points: float
    description: str = ""


@dataclass(frozen=True)
class StageRule:
    """A judging stage with its weight in the final score."""

    key: str
    name: str
    weight: float


@dataclass(frozen=True)
class Quotas:
    """The year's numbers: cases, presenters, benchmarks and honourable mentions."""

    cases_per_county: int
    presenters_per_county: int
    benchmarks_per_region: int
    benchmarks_per_county: int
    honourable_per_region: int


@dataclass(frozen=True)
class YearRules:
    """The part of a year's rules kept as JSON on the edition (the rest are tables)."""

    quotas: Quotas
    judges_per_case: int
    aggregation: str
    tie_break: tuple[str, ...]
    trim_min_judges: int = DEFAULT_TRIM_MIN_JUDGES
    rubric_total: float = DEFAULT_RUBRIC_TOTAL
    programme: dict | None = None
    forum_name: str = ""
    preface: str = ""
    difference_points: float = DEFAULT_DIFFERENCE_POINTS
    difference_rho: float = DEFAULT_DIFFERENCE_RHO
    participant_retention_months: int = DEFAULT_RETENTION_MONTHS

    def quota(self, name: str) -> int:
        """One quota by its key, e.g. ``cases_per_county``."""
        return getattr(self.quotas, name)

    def as_dict(self) -> dict:
        """The JSON stored on the edition (optional parts only when set)."""
        data = asdict(self)
        data["tie_break"] = list(self.tie_break)
        data["marked_difference"] = {"points": data.pop("difference_points"),
                                     "rho": data.pop("difference_rho")}
        for key in ("programme", "forum_name", "preface"):
            if not data[key]:
                del data[key]
        return data


@dataclass(frozen=True)
class YearSettings:
    """Every rule of one year's forum."""

    regions: tuple[RegionRule, ...]
    categories: tuple[CategoryRule, ...]
    criteria: tuple[CriterionRule, ...]
    stages: tuple[StageRule, ...]
    rules: YearRules = field(repr=False)

    def as_dict(self) -> dict:
        """The settings shape (what ``--json`` prints and ``--load`` reads)."""
        return {
            "regions": [{"name": r.name, "counties": list(r.counties)} for r in self.regions],
            "categories": [asdict(c) for c in self.categories],
            "criteria": [asdict(c) for c in self.criteria],
            "stages": [asdict(s) for s in self.stages],
            **self.rules.as_dict(),
        }


# --- checking -------------------------------------------------------------------------------

class _Checker:
    """Collects problems while reading raw values, so one pass reports every mistake."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, message: str, where: str) -> None:
        self.problems.append(Problem(message, where))

    def text(self, value, label: str, where: str, *, required: bool = True) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(f"{label}須為文字", where)
            return ""
        value = value.strip()
        if required and not value:
            self.add(f"{label}必須填寫", where)
        return value

    def number(self, value, label: str, where: str, *, minimum: float, integer: bool) -> float:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(f"{label}必須填寫", where)
            return minimum
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.add(f"{label}須為{'整數' if integer else '數字'}", where)
            return minimum
        if integer and value != int(value):
            self.add(f"{label}須為整數，不是 {value:g}", where)
            return minimum
        if value < minimum:
            self.add(f"{label}須至少為 {minimum:g}，不是 {value:g}", where)
            return minimum
        return int(value) if integer else float(value)

    def rows(self, raw: dict, key: str) -> list[dict]:
        label = SECTION_LABELS[key]
        value = raw.get(key)
        if not isinstance(value, list) or not value:
            self.add(f"{label}至少需要一項", key)
            return []
        if len(value) > MAX_ROWS:
            self.add(f"{label}共 {len(value)} 項，超過上限 {MAX_ROWS} 項", key)
            return []
        rows = []
        for number, row in enumerate(value, 1):
            if isinstance(row, dict):
                rows.append(row)
            else:
                self.add(f"{label}第 {number} 項的格式不正確", f"{key}.{number}")
        return rows

    def unique(self, names: list[str], label: str, key: str) -> None:
        seen = set()
        for number, name in enumerate(names, 1):
            if name and name in seen:
                self.add(f"{label}「{name}」重複（第 {number} 項）", f"{key}.{number}.name")
            seen.add(name)


def _regions(check: _Checker, raw: dict, official_county: Callable[[str], str | None]):
    regions, seen = [], {}
    for number, row in enumerate(check.rows(raw, "regions"), 1):
        where = f"regions.{number}"
        name = check.text(row.get("name"), f"分區第 {number} 項的名稱", f"{where}.name")
        typed = row.get("counties")
        if isinstance(typed, str):
            typed = [typed]
        if not isinstance(typed, list) or not typed:
            check.add(f"分區「{name}」至少需要一個縣市", f"{where}.counties")
            typed = []
        counties = []
        for county in typed:
            official = official_county(county) if isinstance(county, str) else None
            if official is None:
                check.add(f"分區「{name}」的縣市「{county}」不存在", f"{where}.counties")
            elif official in seen:
                check.add(f"縣市「{official}」同時屬於「{seen[official]}」與「{name}」，"
                          "一個縣市只能屬於一個分區", f"{where}.counties")
            else:
                seen[official] = name
                counties.append(official)
        regions.append(RegionRule(name=name, counties=tuple(counties)))
    check.unique([r.name for r in regions], "分區", "regions")
    return tuple(regions)


def _categories(check: _Checker, raw: dict):
    categories = []
    for number, row in enumerate(check.rows(raw, "categories"), 1):
        where = f"categories.{number}"
        name = check.text(row.get("name"), f"徵求類別第 {number} 項的名稱", f"{where}.name")
        categories.append(CategoryRule(
            name=name,
            priority=check.number(row.get("priority"), f"徵求類別「{name}」的優先順序",
                                  f"{where}.priority", minimum=1, integer=True),
            description=check.text(row.get("description"), f"徵求類別「{name}」的說明",
                                   f"{where}.description", required=False)))
    check.unique([c.name for c in categories], "徵求類別", "categories")
    return tuple(categories)


def _criteria(check: _Checker, raw: dict, total: float):
    criteria = []
    for number, row in enumerate(check.rows(raw, "criteria"), 1):
        where = f"criteria.{number}"
        name = check.text(row.get("name"), f"評選指標第 {number} 項的名稱", f"{where}.name")
        points = check.number(row.get("points"), f"評選指標「{name}」的配分", f"{where}.points",
                              minimum=0, integer=False)
        if points == 0 and f"{where}.points" not in {p.field for p in check.problems}:
            check.add(f"評選指標「{name}」的配分須大於 0", f"{where}.points")
        criteria.append(CriterionRule(
            name=name, points=points,
            description=check.text(row.get("description"), f"評選指標「{name}」的說明",
                                   f"{where}.description", required=False)))
    check.unique([c.name for c in criteria], "評選指標", "criteria")
    points = sum(c.points for c in criteria)
    if criteria and abs(points - total) > 1e-9:
        check.add(f"評選指標配分合計 {points:g} 分，與總分 {total:g} 分不符；若本年度採 {points:g} "
                  f"分制，請將「評選指標總分」設為 {points:g}", "criteria")
    return tuple(criteria)


def _stages(check: _Checker, raw: dict):
    stages = []
    for number, row in enumerate(check.rows(raw, "stages"), 1):
        where = f"stages.{number}"
        key = row.get("key")
        if key not in STAGE_KEYS:
            check.add(f"評選階段第 {number} 項的代碼「{key}」不存在，可用："
                      + "、".join(f"{k}（{v}）" for k, v in STAGE_KEYS.items()), f"{where}.key")
        name = check.text(row.get("name"), f"評選階段第 {number} 項的名稱", f"{where}.name")
        weight = check.number(row.get("weight"), f"評選階段「{name}」的權重", f"{where}.weight",
                              minimum=0, integer=False)
        if weight > 1:
            check.add(f"評選階段「{name}」的權重須介於 0 與 1 之間（例如 0.4 代表 40%）",
                      f"{where}.weight")
        stages.append(StageRule(key=key if isinstance(key, str) else "", name=name, weight=weight))
    keys = [s.key for s in stages]
    for key, name in STAGE_KEYS.items():
        if stages and keys.count(key) != 1:
            check.add(f"評選階段須恰有一個「{name}」（{key}），目前有 {keys.count(key)} 個", "stages")
    weights = sum(s.weight for s in stages)
    if stages and abs(weights - 1) > 1e-9:
        check.add(f"各評選階段權重合計須為 1（100%），目前為 {weights:g}", "stages")
    return tuple(stages)


def _quotas(check: _Checker, raw: dict) -> Quotas:
    value = raw.get("quotas")
    if not isinstance(value, dict):
        check.add("名額設定缺少或格式不正確", "quotas")
        value = {}
    for extra in sorted(set(value) - set(QUOTA_LABELS)):
        check.add(f"名額中不認得的項目「{extra}」", f"quotas.{extra}")
    return Quotas(**{key: check.number(value.get(key), label, f"quotas.{key}",
                                       minimum=QUOTA_MINIMUM.get(key, 1), integer=True)
                     for key, label in QUOTA_LABELS.items()})


def _tie_break(check: _Checker, raw: dict, criteria: tuple[CriterionRule, ...]) -> tuple[str, ...]:
    value = raw.get("tie_break", [])
    if not isinstance(value, list):
        check.add("比序規則須為清單", "tie_break")
        return ()
    names = {c.name for c in criteria}
    keys = []
    for number, key in enumerate(value, 1):
        where = f"tie_break.{number}"
        if not isinstance(key, str):
            check.add(f"比序規則第 {number} 項須為文字", where)
            continue
        key = key.strip()
        if key.startswith("criterion:"):
            if key.removeprefix("criterion:") not in names:
                check.add(f"比序規則第 {number} 項的評選指標「{key.removeprefix('criterion:')}」"
                          "不在本年度的評選指標中", where)
        elif key not in STAGE_KEYS:
            check.add(f"比序規則第 {number} 項「{key}」不存在：須為 onsite、screening 或 "
                      "criterion:指標名稱", where)
        if key in keys:
            check.add(f"比序規則「{key}」重複（第 {number} 項）", where)
        keys.append(key)
    return tuple(keys)


def _rubric_total(check: _Checker, raw: dict) -> float:
    return check.number(raw.get("rubric_total", DEFAULT_RUBRIC_TOTAL), "評選指標總分",
                        "rubric_total", minimum=1, integer=False)


def _rules(check: _Checker, raw: dict, criteria: tuple[CriterionRule, ...] | None,
           rubric_total: float) -> YearRules:
    aggregation = raw.get("aggregation", "mean")
    if aggregation not in AGGREGATION_METHODS:
        check.add(f"評分彙整方式「{aggregation}」不存在，可用：{'、'.join(AGGREGATION_METHODS)}",
                  "aggregation")
    programme = raw.get("programme")
    if programme is not None:
        if not isinstance(programme, dict):
            check.add("議程範本的格式不正確", "programme")
            programme = None
        else:
            benchmarks = raw.get("quotas", {}).get("benchmarks_per_region") \
                if isinstance(raw.get("quotas"), dict) else None
            cleaned, problems = check_template(
                programme.get("start"), programme.get("items") or [],
                case_slots=benchmarks if isinstance(benchmarks, int) else None)
            for problem in problems:
                check.add(f"議程範本：{problem.message}", "programme")
            if programme.get("regions"):
                cleaned["regions"] = programme["regions"]
            programme = cleaned
    return YearRules(
        quotas=_quotas(check, raw),
        judges_per_case=check.number(raw.get("judges_per_case"), "每案評審人數", "judges_per_case",
                                     minimum=1, integer=True),
        aggregation=aggregation if aggregation in AGGREGATION_METHODS else "mean",
        tie_break=_tie_break(check, raw, criteria) if criteria is not None
        else tuple(raw.get("tie_break") or ()),
        trim_min_judges=check.number(raw.get("trim_min_judges", DEFAULT_TRIM_MIN_JUDGES),
                                     "截尾平均最少評審數", "trim_min_judges", minimum=3, integer=True),
        rubric_total=rubric_total,
        programme=programme,
        forum_name=check.text(raw.get("forum_name"), "論壇名稱", "forum_name", required=False),
        preface=check.text(raw.get("preface"), "彙編序言", "preface", required=False),
        participant_retention_months=check.number(
            raw.get("participant_retention_months", DEFAULT_RETENTION_MONTHS),
            "學員聯絡資料保存月數", "participant_retention_months", minimum=1, integer=True),
        **_difference_rule(check, raw.get("marked_difference")))


def _difference_rule(check: _Checker, raw) -> dict:
    """The 評分總表's marked-difference thresholds (``{"points": 15, "rho": 0.3}``)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - {"points", "rho"}:
        check.add("評分差異明顯的門檻須為 {\"points\": 分數, \"rho\": 相關係數}", "marked_difference")
        return {}
    return {"difference_points": check.number(raw.get("points", DEFAULT_DIFFERENCE_POINTS),
                                              "評分差異明顯的分數門檻", "marked_difference.points",
                                              minimum=0, integer=False),
            "difference_rho": check.number(raw.get("rho", DEFAULT_DIFFERENCE_RHO),
                                           "評分差異明顯的相關係數門檻", "marked_difference.rho",
                                           minimum=-1, integer=False)}


def parse_settings(raw, official_county: Callable[[str], str | None]) -> YearSettings:
    """Check a settings dict and return it typed, or raise :class:`ValidationError` listing every
    problem, each naming its field (e.g. ``criteria.3.points``) in a zh-TW message.

    ``official_county`` maps a typed county name to its official name, or None when unknown.
    """
    check = _Checker()
    if not isinstance(raw, dict):
        raise ValidationError([Problem("設定須為一個 JSON 物件（{…}）")])
    for extra in sorted(set(raw) - set(SECTION_LABELS)):
        check.add(f"不認得的設定「{extra}」，可用：{'、'.join(SECTION_LABELS)}", extra)
    regions = _regions(check, raw, official_county)
    categories = _categories(check, raw)
    total = _rubric_total(check, raw)
    criteria = _criteria(check, raw, total)
    stages = _stages(check, raw)
    rules = _rules(check, raw, criteria, total)
    if check.problems:
        raise ValidationError(check.problems)
    return YearSettings(regions=regions, categories=categories, criteria=criteria,
                        stages=stages, rules=rules)


def rules_of(stored: dict, criteria_names: list[str] | None = None) -> YearRules:
    """The typed rules of an edition's stored JSON, checked by the same rules as
    :func:`parse_settings` (with defaults for what older years lack)."""
    check = _Checker()
    criteria = (tuple(CriterionRule(name, 0) for name in criteria_names)
                if criteria_names is not None else None)
    raw = {key: value for key, value in (stored or {}).items() if key in SECTION_LABELS}
    rules = _rules(check, raw, criteria, _rubric_total(check, raw))
    if check.problems:
        raise ValidationError(check.problems)
    return rules
