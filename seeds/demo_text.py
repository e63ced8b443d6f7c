"""Deterministic demo-text generator for the 地方治理標竿論壇 knowledge base.

Every public function takes a :class:`random.Random` instance and draws *only*
from it, so the same seed always yields the same text.  All prose is composed
from the phrase banks and templates of seeds/demo_phrases.json (Traditional
Chinese, Taiwan usage, full-width punctuation), loaded here by name, lists as
tuples; this module holds the composition.

Template mini-language (used only inside this module; none of these ASCII
characters ever reaches the output):

* ``{slot}``      – replaced by the case context value ``slot``;
* ``(甲|乙|丙)``  – one alternative is chosen at random (empty alternatives
  are allowed, e.g. ``(，並持續追蹤|)``);
* ``[12-40]``     – a random integer in the range, ``[1.5-3.0]`` a random
  number with one decimal;
* ``[~12-40]``    – as above but scaled by the county's population;
* ``[<]`` / ``[>]`` – a number smaller / larger than the previous number in
  the same template (for "由 A 降至 B" style statements).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

SECTION_KEYS = ("background", "innovation", "collaboration", "outcomes", "adoption")

CATEGORIES = (
    # priority 1
    "科技創能", "公共建設", "文化發展", "幸福城市", "社區發展", "環境保護", "觀光旅遊",
    # priority 2
    "食品安全管理", "消防救災救護", "水利工程", "交通建設", "跨域治理", "數位行銷",
    "資訊發展", "醫療保健", "教育發展", "城鄉發展", "行政革新", "社會福利",
    # priority 3
    "其他",
)

COUNTIES = (
    "基隆市", "臺北市", "新北市", "桃園市", "宜蘭縣", "花蓮縣", "金門縣", "連江縣",
    "新竹縣", "新竹市", "苗栗縣", "臺中市", "彰化縣", "南投縣", "雲林縣", "嘉義縣",
    "嘉義市", "臺南市", "高雄市", "屏東縣", "臺東縣", "澎湖縣",
)

_MIN_TOTAL = 1500
_MAX_TOTAL = 5000
_SUMMARY_MIN = 120
_SUMMARY_MAX = 300
_CN_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


@dataclass(frozen=True)
class ComposedCase:
    """One generated governance case write-up."""

    title: str
    summary: str
    sections: dict[str, str]
    keywords: list[str]
    agency: str


# ---------------------------------------------------------------------------
# Template rendering
# ---------------------------------------------------------------------------

_SLOT_RE = re.compile(r"\{([a-z0-9_]+)\}")
_CHOICE_RE = re.compile(r"\(([^()]*)\)")
_NUM_RE = re.compile(r"\[(~?)(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\]|\[([<>])\]")


def _tuples(value):
    """JSON's lists as the tuples the generator draws from (objects keep their keys)."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


_PHRASES = json.loads(Path(__file__).with_name("demo_phrases.json").read_text(encoding="utf-8"))


def _phrases(name: str):
    """One phrase bank of seeds/demo_phrases.json, lists as tuples."""
    return _tuples(_PHRASES[name])


class _Writer:
    """Renders templates against one case context with one rng."""

    def __init__(self, rng: random.Random, ctx: dict[str, str], scale: float) -> None:
        self.rng = rng
        self.ctx = ctx
        self.scale = scale

    def r(self, template: str, **extra: str) -> str:
        """Render ``template`` (slots, then choices, then numbers)."""
        mapping = {**self.ctx, **extra} if extra else self.ctx
        text = template
        for _ in range(5):  # the cheap `in` tests skip most passes (this runs ~100,000 times)
            if "{" not in text:
                break
            text, count = _SLOT_RE.subn(lambda m: mapping[m.group(1)], text)
            if not count:
                break
        while "(" in text:
            text, count = _CHOICE_RE.subn(lambda m: self.rng.choice(m.group(1).split("|")), text)
            if not count:
                break
        return self._numbers(text) if "[" in text else text

    def _numbers(self, text: str) -> str:
        rng = self.rng
        state: dict[str, float | bool] = {"prev": 10.0, "float": False}

        def repl(m: re.Match[str]) -> str:
            if m.group(4):
                prev = float(state["prev"])
                is_float = bool(state["float"])
                if m.group(4) == "<":
                    lo, hi = prev * 0.35, prev * 0.8
                else:
                    lo, hi = prev * 1.3, prev * 3.0
            else:
                is_float = "." in m.group(2)
                lo, hi = float(m.group(2)), float(m.group(3))
                if m.group(1):  # population-scaled, but never below min(lo, 2)
                    lo, hi = max(lo * self.scale, min(lo, 2.0)), max(hi * self.scale, min(hi, 3.0))
            if is_float:
                value = round(rng.uniform(lo, hi), 1)
                if m.group(4) == "<" and value >= prev:
                    value = round(prev - 0.1, 1)
                if m.group(4) == ">" and value <= prev:
                    value = round(prev + 0.1, 1)
                shown = f"{value:.1f}"
            else:
                low = max(1, round(lo))
                value = rng.randint(low, max(low, round(hi)))
                if m.group(4) == "<" and value >= prev:
                    value = max(1, int(prev) - 1)
                if m.group(4) == ">" and value <= prev:
                    value = int(prev) + 1
                shown = f"{value:,}" if value >= 1000 else str(value)
            state["prev"], state["float"] = value, is_float
            return shown

        return _NUM_RE.sub(repl, text)


# ---------------------------------------------------------------------------
# Counties
# ---------------------------------------------------------------------------


class _County(NamedTuple):
    kind: str  # "muni" (直轄市), "city" (市 with 區), "county"
    pop: float  # population, 萬人
    n_units: int  # number of 區 / 鄉鎮市
    districts: tuple[str, ...]
    features: tuple[tuple[str, str], ...]  # (district, local feature)
    univs: tuple[str, ...]
    neighbors: tuple[str, ...]
    geo: str
    nickname: str


_COUNTY_DATA: dict[str, _County] = {
    name: _County(**fields) for name, fields in _phrases("COUNTY_DATA").items()}


# Outlying / mountain / island districts used where the text speaks of 偏遠地區.
_REMOTE: dict[str, tuple[str, ...]] = _phrases("REMOTE")


# Local features that are workplaces rather than places to visit.
_INDUSTRIAL_FEATURES = _phrases("INDUSTRIAL_FEATURES")


def _unit_word(info: _County) -> str:
    """區 for cities, otherwise e.g. 鄉鎮市 / 鄉鎮 / 鄉市 / 鄉 depending on the county's townships."""
    if info.kind != "county":
        return "區"
    return "".join(c for c in "鄉鎮市" if any(d.endswith(c) for d in info.districts))


def _township_office(district: str) -> str:
    """Official name of a 區/鄉/鎮/市 office, e.g. 安平區公所, 東區區公所."""
    if len(district) == 2 and district.endswith("區"):
        return district + "區公所"
    return district + "公所"


def _township_head(district: str) -> str:
    return {"區": "區長", "鄉": "鄉長", "鎮": "鎮長", "市": "市長"}[district[-1]]


def _place_short(district: str) -> str:
    """Short form of a district name for titles (礁溪鄉 → 礁溪, 東區 → 東區)."""
    return district if len(district) <= 2 else district[:-1]


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

# Common surnames in Taiwan, most frequent first; weights roughly follow usage.
_SURNAMES_COMMON = _phrases("SURNAMES_COMMON")
_SURNAMES_OTHER = _phrases("SURNAMES_OTHER")
_GIVEN_MALE_1 = _phrases("GIVEN_MALE_1")
_GIVEN_MALE_2 = _phrases("GIVEN_MALE_2")
_GIVEN_FEMALE_1 = _phrases("GIVEN_FEMALE_1")
_GIVEN_FEMALE_2 = _phrases("GIVEN_FEMALE_2")
_GIVEN_SINGLE = _phrases("GIVEN_SINGLE")


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.72:
        return rng.choice(_SURNAMES_COMMON)
    return rng.choice(_SURNAMES_OTHER)


def person_name(rng: random.Random) -> str:
    """Return a realistic Taiwanese full name (surname + 1–2 character given name)."""
    surname = _surname(rng)
    if rng.random() < 0.08:
        return surname + rng.choice(_GIVEN_SINGLE)
    if rng.random() < 0.5:
        first, second = rng.choice(_GIVEN_MALE_1), rng.choice(_GIVEN_MALE_2)
    else:
        first, second = rng.choice(_GIVEN_FEMALE_1), rng.choice(_GIVEN_FEMALE_2)
    if first == second:
        second = rng.choice(_GIVEN_SINGLE)
    return surname + first + second


_OFFICIAL_TITLES = _phrases("OFFICIAL_TITLES")


def official_title(rng: random.Random) -> str:
    """Return a plausible job title of a local-government official (科長、專員、區長…)."""
    titles = [t for t, _ in _OFFICIAL_TITLES]
    weights = [w for _, w in _OFFICIAL_TITLES]
    return rng.choices(titles, weights=weights, k=1)[0]


# (department, the forum categories it is qualified to judge)
_ACADEMIC_DEPTS = _phrases("ACADEMIC_DEPTS")
_UNIVERSITIES = _phrases("UNIVERSITIES")
_ACADEMIC_TITLES = ("教授", "教授", "副教授", "副教授", "助理教授", "講座教授", "兼任教授")
_EXPERT_POSTS = _phrases("EXPERT_POSTS")


def judge_profile(rng: random.Random) -> tuple[str, str, str, list[str]]:
    """Return ``(name, title, affiliation, fields)`` for a forum reviewer.

    ``fields`` holds 1–3 forum category names matching the affiliation.
    """
    name = person_name(rng)
    if rng.random() < 0.72:
        dept, cats = rng.choice(_ACADEMIC_DEPTS)
        title = rng.choice(_ACADEMIC_TITLES)
        affiliation = rng.choice(_UNIVERSITIES) + dept
    else:
        title, affiliation, cats = rng.choice(_EXPERT_POSTS)
    fields = rng.sample(list(cats), k=rng.randint(1, min(3, len(cats))))
    return name, title, affiliation, fields


_OWN_THEMES = _phrases("OWN_THEMES")


def own_theme(rng: random.Random) -> str:
    """Return a plausible county-specific theme for the 其他 category."""
    return rng.choice(_OWN_THEMES)


# ---------------------------------------------------------------------------
# Category phrase banks
# ---------------------------------------------------------------------------


class _Measure(NamedTuple):
    name: str
    desc: str  # clause, no final punctuation
    detail: str  # one or two full sentences
    indicator: str  # quantitative result clause, no final punctuation
    quote: tuple[str, str] | None = None  # (persona, words) from a beneficiary


class _Bank(NamedTuple):
    units: tuple[tuple[str, str], ...]  # (直轄市 unit, 縣/市 unit); first is most likely
    township: float  # probability the case is submitted by a 區/鄉/鎮/市公所
    domain: str
    target: str
    related: tuple[tuple[str, str], ...]
    cores: tuple[str, ...]
    slogans: tuple[str, ...]
    context: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]  # (short noun phrase, long clause)
    events: tuple[str, ...]
    measures: tuple[_Measure, ...]
    partners: tuple[str, ...]
    programs: tuple[tuple[str, str], ...]  # (central agency key, programme name)
    indicators: tuple[str, ...]
    quals: tuple[str, ...]
    quotes: tuple[tuple[str, str], ...]
    future: tuple[str, ...]
    keywords: tuple[str, ...]
    sdgs: tuple[int, ...]


_BANKS: dict[str, _Bank] = {
    category: _Bank(**{**fields, "measures": tuple(_Measure(**m) for m in fields["measures"])})
    for category, fields in _phrases("BANKS").items()}


# Theme keyword → (直轄市 unit, 縣/市 unit) for category 其他.
_THEME_UNITS = _phrases("THEME_UNITS")


# ---------------------------------------------------------------------------
# Agencies and central government
# ---------------------------------------------------------------------------

# Central agencies whose name changed over time: (first ROC year, name), newest first.
_CENTRAL: dict[str, tuple[tuple[int, str], ...]] = _phrases("CENTRAL")


def _central(key: str, year: int) -> str:
    for since, name in _CENTRAL[key]:
        if year >= since:
            return name
    raise KeyError(key)


# County-specific official unit names that differ from the generic pattern.
_UNIT_OVERRIDES: dict[tuple[str, str], str] = {
    ("臺北市", "觀光旅遊局"): "觀光傳播局", ("臺北市", "新聞局"): "觀光傳播局",
    ("臺北市", "水利局"): "工務局水利工程處", ("臺北市", "經濟發展局"): "產業發展局",
    ("臺北市", "農業局"): "產業發展局", ("臺北市", "勞工局"): "勞動局",
    ("新北市", "資訊局"): "資訊中心", ("新北市", "都市發展局"): "城鄉發展局",
    ("桃園市", "水利局"): "水務局", ("桃園市", "資訊局"): "資訊科技局",
    ("臺中市", "資訊局"): "資訊中心", ("臺南市", "資訊局"): "資訊中心",
    ("高雄市", "觀光旅遊局"): "觀光局",
    ("宜蘭縣", "觀光處"): "工商旅遊處", ("宜蘭縣", "水利處"): "水利資源處",
    ("彰化縣", "水利處"): "水利資源處",
    ("屏東縣", "觀光處"): "交通旅遊處", ("屏東縣", "交通處"): "交通旅遊處",
    ("臺東縣", "觀光處"): "交通及觀光發展處", ("臺東縣", "交通處"): "交通及觀光發展處",
    ("澎湖縣", "觀光處"): "旅遊處",
    ("連江縣", "觀光處"): "交通旅遊局", ("連江縣", "交通處"): "交通旅遊局",
}


def _unit_name(county: str, pair: tuple[str, str]) -> str:
    """Pick the 直轄市 or 縣/市 form of a unit and apply county overrides."""
    unit = pair[0] if _COUNTY_DATA[county].kind == "muni" else pair[1]
    return _UNIT_OVERRIDES.get((county, unit), unit)


def _unit_self(unit: str) -> tuple[str, str]:
    """(self reference, head title) for a unit, e.g. 社會局 → (本局, 局長)."""
    if unit.endswith("中心"):
        return "本中心", "主任"
    if unit.endswith("委員會"):
        return "本會", "主任委員"
    if unit.endswith("所"):
        return "本所", "所長"
    return "本" + unit[-1], unit[-1] + "長"


# ---------------------------------------------------------------------------
# Cross-cutting governance terms (searchable vocabulary)
# ---------------------------------------------------------------------------


class _Approach(NamedTuple):
    term: str
    base: float  # probability for any case
    boosts: tuple[tuple[str, float], ...]  # extra probability per category
    placements: tuple[tuple[str, str], ...]  # (section key, sentence template)


_APPROACHES = tuple(_Approach(**fields) for fields in _phrases("APPROACHES"))

_SDG_NAMES = {
    1: "消除貧窮", 2: "消除飢餓", 3: "健康與福祉", 4: "優質教育", 5: "性別平權", 6: "淨水及衛生",
    7: "可負擔的潔淨能源", 8: "合適的工作及經濟成長", 9: "工業化、創新及基礎建設", 10: "減少不平等",
    11: "永續城鄉", 12: "責任消費及生產", 13: "氣候行動", 14: "保育海洋生態", 15: "保育陸域生態",
    16: "和平、正義及健全制度", 17: "多元夥伴關係",
}

# ---------------------------------------------------------------------------
# Section templates
# ---------------------------------------------------------------------------

_BG_OPEN = _phrases("BG_OPEN")
_BG_CTX_EXTRA = _phrases("BG_CTX_EXTRA")
_BG_HISTORY = _phrases("BG_HISTORY")
_BG_TRIGGER = _phrases("BG_TRIGGER")
_BG_POLICY = _phrases("BG_POLICY")
_BG_VOICE = _phrases("BG_VOICE")
_GOALS = _phrases("GOALS")
_BG_GOAL = _phrases("BG_GOAL")
_BG_DATA = _phrases("BG_DATA")
_BG_STAKEHOLDERS = _phrases("BG_STAKEHOLDERS")

_PRINCIPLES = _phrases("PRINCIPLES")
_WAYS = _phrases("WAYS")
_SHIFTS = _phrases("SHIFTS")
_INNO_OPEN = _phrases("INNO_OPEN")
_MEASURE_STYLES = _phrases("MEASURE_STYLES")
_MEASURE_EXTRAS = _phrases("MEASURE_EXTRAS")
_INNO_NOVELTY = _phrases("INNO_NOVELTY")
_INNO_PILOT = _phrases("INNO_PILOT")
_INNO_DESIGN = _phrases("INNO_DESIGN")
_INNO_MECHANISM = _phrases("INNO_MECHANISM")
_INNO_RULES = _phrases("INNO_RULES")
_INNO_DATA = _phrases("INNO_DATA")
_INNO_PEOPLE = _phrases("INNO_PEOPLE")
_INNO_APPROACH_INTRO = ("在配套作法上，", "除上述主軸策略外，", "此外，", "為強化整體效益，", "配合主軸策略，")

# (partner name fragments, roles that suit such a partner)
_ROLES = _phrases("ROLES")
def _role_for(rng: random.Random, partner: str, used: list[str]) -> str:
    """A role that suits the kind of partner, not yet given to another partner."""
    for needles, roles in _ROLES:
        if any(n in partner for n in needles):
            options = [r for r in roles if r not in used]
            if options:
                return rng.choice(options)
    return rng.choice([r for r in ("推廣與資源串連", "專業意見與人力支援") if r not in used])


_COL_INTERNAL_BUREAU = _phrases("COL_INTERNAL_BUREAU")
_COL_INTERNAL_TOWNSHIP = _phrases("COL_INTERNAL_TOWNSHIP")
_COL_FUNDING = _phrases("COL_FUNDING")
_COL_PARTNERS = _phrases("COL_PARTNERS")
_COL_ACADEMIC = _phrases("COL_ACADEMIC")
_COL_COMMUNITY = _phrases("COL_COMMUNITY")
_COL_RESOURCES = _phrases("COL_RESOURCES")
_COL_CROSS = _phrases("COL_CROSS")
_COL_VOLUNTEERS = _phrases("COL_VOLUNTEERS")
_COL_COMPANIES = _phrases("COL_COMPANIES")
_COL_LIAISON = _phrases("COL_LIAISON")
_COL_APPROACH_INTRO = ("此外，", "在合作模式上，", "值得一提的是，", "", "另外，")

_OUT_QUANT1 = _phrases("OUT_QUANT1")
_OUT_QUANT2 = _phrases("OUT_QUANT2")
_OUT_QUAL1 = _phrases("OUT_QUAL1")
_OUT_QUAL2 = ("(另一方面|與此同時)，{q3}。{quote}", "{q3}。{quote}", "(更深層的改變是|最明顯的轉變是)，{q3}。{quote}")
_QUOTE_FORMS = _phrases("QUOTE_FORMS")
_OUT_VOICES = _phrases("OUT_VOICES")
_OUT_SATISFACTION = _phrases("OUT_SATISFACTION")
_OUT_AWARD = _phrases("OUT_AWARD")
_OUT_COST = _phrases("OUT_COST")
_OUT_INTERNAL = _phrases("OUT_INTERNAL")
_OUT_UNEXPECTED = _phrases("OUT_UNEXPECTED")
_OUT_TARGETS = _phrases("OUT_TARGETS")

_AD_EXTERNAL = _phrases("AD_EXTERNAL")
_AD_TOOLKIT = _phrases("AD_TOOLKIT")
_FACTORS = _phrases("FACTORS")
_AD_FACTORS = _phrases("AD_FACTORS")
_CHALLENGES = _phrases("CHALLENGES")
_AD_CHALLENGE = _phrases("AD_CHALLENGE")
_AD_POLICY = _phrases("AD_POLICY")
_AD_LIMITS = _phrases("AD_LIMITS")
_AD_MODULES = _phrases("AD_MODULES")
_AD_FUTURE = _phrases("AD_FUTURE")

_GENERIC_QUALS = _phrases("GENERIC_QUALS")
_GENERIC_FUTURES = _phrases("GENERIC_FUTURES")
_GENERIC_QUOTES = _phrases("GENERIC_QUOTES")

_SUMMARY_OPEN = _phrases("SUMMARY_OPEN")
_SUMMARY_MEASURES = _phrases("SUMMARY_MEASURES")
_SUMMARY_CLOSE = _phrases("SUMMARY_CLOSE")

_GENERIC_SLOGANS = _phrases("GENERIC_SLOGANS")
_FROM_TO = _phrases("FROM_TO")


# ---------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------


def _join(items: list[str], last: str = "及") -> str:
    """Join Chinese list items: A、B及C."""
    if len(items) == 1:
        return items[0]
    return "、".join(items[:-1]) + last + items[-1]


class _Para(NamedTuple):
    rank: float
    text: str


def _theme_unit(theme: str) -> tuple[str, str]:
    for needle, pair in _THEME_UNITS:
        if needle in theme:
            return pair
    return ("研究發展考核委員會", "計畫處")


def _pick_units(
    rng: random.Random, bank: _Bank, county: str, category: str, theme: str
) -> tuple[str, list[tuple[str, str]]]:
    """Return the lead unit name and three related unit pairs (excluding the lead)."""
    if category == "其他":
        pair = _theme_unit(theme)
    else:
        weights = [3] + [1] * (len(bank.units) - 1)
        pair = rng.choices(list(bank.units), weights=weights, k=1)[0]
    unit = _unit_name(county, pair)
    related = [p for p in bank.related if _unit_name(county, p) != unit]
    return unit, rng.sample(related, k=3)


_PLAN_SUFFIXES = ("計畫", "推動計畫", "行動方案", "實施計畫", "躍升計畫", "精進方案", "整合計畫")
_UPGRADE_SUFFIXES = ("2.0", "新模式", "再升級", "實驗計畫", "整合方案", "創新方案", "在地行動", "新思維", "新路徑")


def _title(rng: random.Random, w: _Writer, bank: _Bank, place: str, measures: list[str]) -> tuple[str, str]:
    """Return (title, project name); the project name is quoted in the body text.

    The title's core noun is either a category topic (always the theme for 其他)
    or the case's first measure.
    """
    core = w.r(rng.choice(bank.cores))  # for 其他 this always names the theme
    if not w.ctx["theme"] and rng.random() < 0.5:
        core = measures[0]
    title, project = _title_body(rng, w, bank, place, core)
    if rng.random() < 0.3 and "——" not in title and "：" not in title:
        measure = rng.choice([m for m in measures if m != core])
        title += rng.choice((f"——以{measure}為核心", f"：從{measure}出發", f"——{measure}的實踐經驗"))
    return title, project


def _title_body(rng: random.Random, w: _Writer, bank: _Bank, place: str, core: str) -> tuple[str, str]:
    slogan = w.r(rng.choice(bank.slogans + _GENERIC_SLOGANS))
    county, short = w.ctx["county"], w.ctx["county_short"]
    brand = rng.choice((w.ctx["nickname"], short, place, county))
    plan, upgrade = rng.choice(_PLAN_SUFFIXES), rng.choice(_UPGRADE_SUFFIXES)
    pattern = rng.randrange(11)
    if pattern == 10:
        return f"{county}{w.ctx['start']}年度{core}{plan}", f"{w.ctx['start']}年度{core}{plan}"
    if pattern == 0:
        return f"「{place}{core}」{plan}", place + core
    if pattern == 1:
        return f"{slogan}——{county}{core}{plan}", slogan
    if pattern == 2:
        return f"{brand}新創：{core}{upgrade}", core + upgrade
    if pattern == 3:
        a, b = rng.choice(_FROM_TO)
        return f"從{a}到{b}：{county}「{slogan}{core}計畫」", f"{slogan}{core}計畫"
    if pattern == 4:
        return f"「{slogan}」——{place}{core}的" + rng.choice(("實踐", "經驗", "故事")), slogan
    if pattern == 5:
        return place + core + plan, place + core + plan
    if pattern == 6:
        return f"{core}{upgrade}：{slogan}", core + upgrade
    if pattern == 7:
        return f"{slogan}！{county}{core}{plan}", slogan
    if pattern == 8:
        return f"「{short}{slogan}」{core}{plan}", short + slogan
    return f"{brand}{core}——{slogan}", brand + core


def _quote(w: _Writer, persona: str, text: str) -> str:
    sur = _surname(w.rng)
    return w.r(w.rng.choice(_QUOTE_FORMS), persona=w.r(persona, sur=sur), text=w.r(text, sur=sur))


def _pick_approaches(rng: random.Random, category: str) -> list[_Approach]:
    chosen = []
    for ap in _APPROACHES:
        p = ap.base + dict(ap.boosts).get(category, 0.0)
        if rng.random() < p:
            chosen.append(ap)
    return chosen


def _summary(rng: random.Random, w: _Writer, measures: list[_Measure], first_ind: str, qual: str) -> str:
    """Summary of 120–300 characters; longer variants are tried first."""
    names = [m.name for m in measures]
    opening = w.r(rng.choice(_SUMMARY_OPEN))
    close = w.r(rng.choice(_SUMMARY_CLOSE), q1=qual)
    result = f"執行迄今，{first_ind}。"
    middle3 = w.r(rng.choice(_SUMMARY_MEASURES), m_short=_join(names[:3]))
    middle2 = w.r(rng.choice(_SUMMARY_MEASURES), m_short=_join(names[:2]))
    candidates = (
        opening + middle3 + result + close, opening + middle3 + result,
        opening + middle2 + result, opening + middle2,
    )
    text = next((c for c in candidates if len(c) <= _SUMMARY_MAX), candidates[-1])
    if len(text) < _SUMMARY_MIN:
        text += w.r("(未來將持續擴大服務範圍，深化跨機關合作。|後續將滾動檢討並擴大推廣至更多地區。)")
    return text


def compose_case(
    rng: random.Random, *, county: str, category: str, year: int, theme: str | None = None
) -> ComposedCase:
    """Compose one realistic governance case write-up.

    county: official name, e.g. 臺北市 (one of :data:`COUNTIES`);
    category: one of :data:`CATEGORIES`;
    year: ROC year of submission, e.g. 104;
    theme: only used for category 其他 — the county's own theme (invented with
    :func:`own_theme` when ``None``); ignored for every other category.

    The result depends only on the state of ``rng``.
    """
    if county not in _COUNTY_DATA:
        raise ValueError(f"unknown county: {county!r}")
    if category not in _BANKS:
        raise ValueError(f"unknown category: {category!r}")
    bank = _BANKS[category]
    info = _COUNTY_DATA[county]
    if category == "其他":
        theme = (theme or own_theme(rng)).replace("(", "（").replace(")", "）")
    else:
        theme = ""
    target_len = rng.randint(_MIN_TOTAL + 50, _MAX_TOTAL - 100)
    n_measures = 3 if target_len < 2500 else rng.randint(3, 4) if target_len < 3600 else rng.randint(4, 5)

    # --- who and where ------------------------------------------------------
    is_muni = info.kind != "county"
    gov = "市府" if is_muni else "縣府"
    features = [f for f in info.features if (f[1] in _INDUSTRIAL_FEATURES) == (category == "科技創能")]
    feature_dist, feature = rng.choice(features or list(info.features))
    township = rng.random() < bank.township
    unit, related_pairs = _pick_units(rng, bank, county, category, theme)
    if township:
        dist1 = rng.choice(info.districts)
        agency = county + _township_office(dist1)
        we, self_unit, leader = "本所", "公所", _township_head(dist1)
        rels = [gov + _unit_name(county, p) for p in related_pairs]
    else:
        dist1 = feature_dist if rng.random() < 0.5 else rng.choice(info.districts)
        agency = f"{county}政府{unit}"
        own_ref, leader = _unit_self(unit)
        we, self_unit = rng.choice(("本府", own_ref)), unit
        rels = [_unit_name(county, p) for p in related_pairs]
    others = [d for d in info.districts if d != dist1]
    dist2 = rng.choice(others)
    start = year - rng.randint(1, 4)
    other_counties = rng.sample([c for c in COUNTIES if c != county], k=2)
    program_key, program = rng.choice(bank.programs)
    sdg1, sdg2 = rng.sample(list(bank.sdgs), k=2)
    way_old, way_new = rng.choice(_WAYS)

    ctx: dict[str, str] = {
        "county": county, "county_short": county[:-1], "nickname": info.nickname, "geo": info.geo,
        "gov": gov, "head": "市長" if is_muni else "縣長", "deputy": "副市長" if is_muni else "副縣長",
        "agency": agency, "we": we, "self_unit": self_unit, "leader": leader,
        "in_gov": "所內" if township else "府內", "in_units": "所內各課室" if township else "府內各局處",
        "convener": leader if township else ("副市長" if is_muni else "副縣長"),
        "unit_word": _unit_word(info),
        "whole": "全市" if is_muni else "全縣", "n_units": str(info.n_units), "pop": f"{info.pop:g}",
        "dist1": dist1, "dist2": dist2, "remote": rng.choice(_REMOTE[county]),
        # the old town centre: each county's first listed district, except 嘉義縣 (太保 is the new seat)
        "urban": "朴子市" if county == "嘉義縣" else info.districts[0],
        "feature": feature, "feature_dist": feature_dist,
        "univ": rng.choice(info.univs), "neighbor": rng.choice(info.neighbors),
        "other1": other_counties[0], "other2": other_counties[1],
        "theme": theme, "target": bank.target, "start": str(start), "year": str(year),
        "prev": str(start - 1), "next": str(year + 1), "month": str(rng.randint(3, 10)),
        "central": _central(program_key, year), "program": program,
        "rel1": rels[0], "rel2": rels[1], "rel3": rels[2],
        "principle": rng.choice(_PRINCIPLES), "old_way": way_old, "new_way": way_new,
        "sdg1": str(sdg1), "sdg1name": _SDG_NAMES[sdg1], "sdg2": str(sdg2), "sdg2name": _SDG_NAMES[sdg2],
        "n_measures": _CN_NUM[n_measures - 1],
    }
    scale = (info.pop / 100) ** 0.75
    if township:  # a 鄉鎮市區 is a small slice of the county
        scale *= 2.5 / info.n_units
    w = _Writer(rng, ctx, scale=min(3.0, max(0.08, scale)))
    ctx["domain"] = w.r(bank.domain)

    # --- content drawn from the category bank -------------------------------
    problems = [(w.r(s), w.r(lng)) for s, lng in rng.sample(list(bank.problems), k=3)]
    ctx["s1"], ctx["s2"] = problems[0][0], problems[1][0]
    measures = rng.sample(list(bank.measures), k=n_measures)
    measures = [m._replace(name=w.r(m.name)) for m in measures]
    names = [m.name for m in measures]
    ctx["m_list"] = _join([f"「{n}」" for n in names]) if rng.random() < 0.5 else _join(names)
    partners = [w.r(p) for p in rng.sample(list(bank.partners), k=3)]
    roles: list[str] = []
    for i, partner in enumerate(partners):
        roles.append(_role_for(rng, partner, roles))
        ctx[f"partner{i + 1}"], ctx[f"role{i + 1}"] = partner, roles[-1]
    contexts = [w.r(c) for c in rng.sample(list(bank.context), k=3)]
    indicators = [w.r(m.indicator) for m in measures]
    indicators += [w.r(i) for i in rng.sample(list(bank.indicators), k=rng.randint(1, 2))]
    quals = [w.r(q) for q in rng.sample(list(bank.quals), k=2) + rng.sample(list(_GENERIC_QUALS), k=2)]
    rng.shuffle(quals)
    quote_pool = [m.quote for m in measures if m.quote] + list(bank.quotes) + list(_GENERIC_QUOTES)
    quotes = [_quote(w, *q) for q in rng.sample(quote_pool, k=3)]
    place = _place_short(dist1) if rng.random() < 0.6 else ctx["county_short"]
    title, project = _title(rng, w, bank, place, names)
    ctx["project"] = project

    # --- sections -----------------------------------------------------------
    mandatory: dict[str, list[_Para]] = {k: [] for k in SECTION_KEYS}
    optional: list[tuple[str, _Para]] = []

    def add(section: str, rank: float, template: str, required: bool = False, **extra: str) -> None:
        para = _Para(rank, w.r(template, **extra))
        if required:
            mandatory[section].append(para)
        else:
            optional.append((section, para))

    # 背景與問題
    add("background", 0, rng.choice(_BG_OPEN), True, ctx1=contexts[0], ctx2=contexts[1])
    add("background", 1, rng.choice(_BG_CTX_EXTRA), ctx3=contexts[2])
    add("background", 2, rng.choice(_BG_HISTORY))
    add("background", rng.choice((3, 5)), _problem_paragraph(rng, problems), True)
    add("background", rng.choice((4, 6)), rng.choice(_BG_TRIGGER), event=w.r(rng.choice(bank.events)))
    add("background", 6.5, rng.choice(_BG_POLICY))
    add("background", 7, rng.choice(_BG_VOICE))
    add("background", 1.5, rng.choice(_BG_DATA))
    add("background", rng.choice((2.5, 8)), rng.choice(_BG_STAKEHOLDERS))
    goals = rng.sample(list(_GOALS), k=3)
    add("background", 9, rng.choice(_BG_GOAL), g1=goals[0], g2=goals[1], g3=goals[2])

    # 創新作法
    add("innovation", 0, rng.choice(_INNO_OPEN), True)
    add("innovation", 1, rng.choice(_INNO_DESIGN))
    style = rng.choice(_MEASURE_STYLES)
    extra_p = 0.15 + 0.6 * (target_len - _MIN_TOTAL) / (_MAX_TOTAL - _MIN_TOTAL)
    extras = rng.sample(list(_MEASURE_EXTRAS), k=len(_MEASURE_EXTRAS))  # each used at most once
    for i, m in enumerate(measures):
        text = style
        for _ in range(2):
            if extras and rng.random() < extra_p:
                text += extras.pop()
        add("innovation", 2 + i / 10, text, True,
            ord=_CN_NUM[i], name=m.name, desc=w.r(m.desc), detail=w.r(m.detail))
    shifts = rng.sample(list(_SHIFTS), k=3)
    add("innovation", rng.choice((1.5, 9)), rng.choice(_INNO_NOVELTY),
        o1=shifts[0][0], n1=shifts[0][1], o2=shifts[1][0], n2=shifts[1][1], o3=shifts[2][0], n3=shifts[2][1])
    add("innovation", 8, rng.choice(_INNO_PILOT))
    add("innovation", 8.5, rng.choice(_INNO_MECHANISM))
    add("innovation", 8.7, rng.choice(_INNO_RULES))
    add("innovation", rng.choice((1.2, 8.2)), rng.choice(_INNO_DATA))
    add("innovation", 8.9, rng.choice(_INNO_PEOPLE))
    add("innovation", 0.5, _timeline_paragraph(rng, start, year))

    # 跨域合作與資源整合
    internal = _COL_INTERNAL_TOWNSHIP if township else _COL_INTERNAL_BUREAU
    add("collaboration", rng.choice((0, 2.5)), rng.choice(internal), True)
    add("collaboration", rng.choice((1, 3)), rng.choice(_COL_PARTNERS), True)
    add("collaboration", rng.choice((0.5, 4)), rng.choice(_COL_FUNDING))
    add("collaboration", 3.5, rng.choice(_COL_ACADEMIC))
    add("collaboration", 3.7, rng.choice(_COL_COMMUNITY))
    add("collaboration", 5, rng.choice(_COL_RESOURCES))
    add("collaboration", 6, rng.choice(_COL_CROSS))
    add("collaboration", 3.8, rng.choice(_COL_VOLUNTEERS))
    add("collaboration", 6.5, rng.choice(_COL_LIAISON))
    add("collaboration", rng.choice((3.9, 5.5)), rng.choice(_COL_COMPANIES))

    # 執行成效（質化與量化）
    split = (len(indicators) + 1) // 2
    add("outcomes", 0, rng.choice(_OUT_QUANT1), True, inds="；".join(indicators[:split]))
    add("outcomes", 1, rng.choice(_OUT_QUANT2), inds="；".join(indicators[split:]))
    add("outcomes", 2, rng.choice(_OUT_QUAL1), True, q1=quals[0], q2=quals[1], quote=quotes[0])
    add("outcomes", 3, rng.choice(_OUT_QUAL2), q3=quals[2], quote=quotes[1])
    add("outcomes", 2.5, rng.choice(_OUT_SATISFACTION))
    award = rng.choice((
        "{central}年度考核特優", "{central}績效評核優等",
        "國家發展委員會政府服務獎" if year >= 108 else "行政院政府服務品質獎",
    ))
    forum = rng.choice(("全國性研討會", "{central}業務觀摩會", "國際研討會", "公部門創新實務論壇"))
    add("outcomes", 5, rng.choice(_OUT_AWARD), award=award, forum_event=forum)
    add("outcomes", 4, rng.choice(_OUT_COST))
    add("outcomes", 4.5, rng.choice(_OUT_INTERNAL), q4=quals[3])
    add("outcomes", 4.7, rng.choice(_OUT_UNEXPECTED))
    add("outcomes", 3.5, rng.choice(_OUT_VOICES), quote=quotes[2])
    add("outcomes", 1.5, rng.choice(_OUT_TARGETS))

    # 推廣與應用
    add("adoption", 0, _expansion_paragraph(rng, info, township, start, year, dist1), True)
    add("adoption", 1, rng.choice(_AD_EXTERNAL))
    add("adoption", 2, rng.choice(_AD_TOOLKIT))
    factors = rng.sample(list(_FACTORS), k=3)
    add("adoption", 3, rng.choice(_AD_FACTORS), f1=factors[0], f2=factors[1], f3=factors[2])
    challenge, solution = rng.choice(_CHALLENGES)
    add("adoption", 2.5, rng.choice(_AD_CHALLENGE), ch=challenge, sol=solution)
    add("adoption", 4, rng.choice(_AD_POLICY))
    add("adoption", 5, rng.choice(_AD_LIMITS))
    add("adoption", rng.choice((2.2, 3.5)), rng.choice(_AD_MODULES))
    futures = [w.r(f) for f in rng.sample(list(bank.future), k=rng.randint(1, 2))
               + rng.sample(list(_GENERIC_FUTURES), k=rng.randint(1, 2))]
    rng.shuffle(futures)
    future_text = w.r(rng.choice(_AD_FUTURE), fu="；".join(futures))

    # governance vocabulary: each chosen approach adds one sentence somewhere
    extra_sentences: dict[str, list[str]] = {k: [] for k in SECTION_KEYS}
    for ap in _pick_approaches(rng, category):
        section, template = rng.choice(ap.placements)
        extra_sentences[section].append(w.r(template))
    if extra_sentences["innovation"]:
        mandatory["innovation"].append(
            _Para(7, rng.choice(_INNO_APPROACH_INTRO) + _chain(rng, extra_sentences["innovation"])))
    if extra_sentences["collaboration"]:
        mandatory["collaboration"].append(
            _Para(7, rng.choice(_COL_APPROACH_INTRO) + _chain(rng, extra_sentences["collaboration"])))
    mandatory["adoption"].append(_Para(9, future_text + "".join(extra_sentences["adoption"])))

    summary = _summary(rng, w, measures, indicators[0], quals[0])

    # --- length control: add optional paragraphs until the target length ----
    chosen = {k: list(v) for k, v in mandatory.items()}
    total = len(summary) + sum(len(p.text) for v in chosen.values() for p in v)
    rng.shuffle(optional)
    for section, para in optional:
        if total >= target_len:
            break
        if total + len(para.text) <= _MAX_TOTAL - 50:
            chosen[section].append(para)
            total += len(para.text)
    sections = {
        k: "\n\n".join(p.text for p in sorted(chosen[k], key=lambda p: p.rank)) for k in SECTION_KEYS
    }

    keywords = _keywords(rng, bank, theme, summary, sections)
    if len(keywords) < 3:
        missing = [k for k in bank.keywords if k not in keywords][: 3 - len(keywords)]
        sections["adoption"] += w.r(
            "(整體而言|綜上所述)，本案在{kws}等面向累積的經驗，可供其他縣市推動相關業務時參考。",
            kws=_join(missing + keywords, "與"))
        keywords = _keywords(rng, bank, theme, summary, sections)
    return ComposedCase(title=title, summary=summary, sections=sections, keywords=keywords, agency=agency)


def _chain(rng: random.Random, sentences: list[str]) -> str:
    """Concatenate sentences, linking the later ones with varied connectives."""
    out = sentences[0]
    for sentence in sentences[1:]:
        out += rng.choice(("同時，", "另外，", "此外，", "", "再者，")) + sentence
    return out


def _problem_paragraph(rng: random.Random, problems: list[tuple[str, str]]) -> str:
    (s1, p1), (s2, p2), (s3, p3) = problems
    style = rng.randrange(3)
    if style == 0:
        c = rng.choice((("一是", "二是", "三是"), ("首先，", "其次，", "再者，")))
        return (f"然而，(在{{domain}}的推動上|檢視現行作法)，仍面臨三大挑戰：{c[0]}{p1}；"
                f"{c[1]}{p2}；{c[2]}{p3}。")
    if style == 1:
        return (f"經{{we}}盤點，主要問題包括{s1}、{s2}與{s3}。具體而言，{p1}；此外，{p2}；"
                f"(再加上|同時){p3}，(使問題更加複雜|讓第一線人員疲於奔命|更凸顯改革的急迫性)。")
    return (f"從第一線的觀察可以歸納出三個核心問題。第一，{s1}：{p1}。第二，{s2}：{p2}。"
            f"第三，{s3}：{p3}。")


def _timeline_paragraph(rng: random.Random, start: int, year: int) -> str:
    """Phases of the project between its start year and the submission year."""
    middle = min(start + 1, year - 1)
    if middle > start:
        return (f"本案推動歷程可分為三個階段：{start}年為規劃試辦期，完成需求盤點並於{{dist1}}示範；"
                f"{middle}年為修正擴大期，依試辦經驗調整流程並擴充服務量能；"
                f"{year}年起進入(制度化|全面推廣)階段，將作法納入常態業務。")
    return (f"本案推動歷程可分為兩個階段：{start}年為規劃試辦期，(完成需求盤點|建立合作架構)並於{{dist1}}示範；"
            f"{year}年起進入擴大推廣期，依試辦經驗調整流程並逐步擴充服務範圍。")


def _expansion_paragraph(
    rng: random.Random, info: _County, township: bool, start: int, year: int, dist1: str
) -> str:
    others = [d for d in info.districts if d != dist1]
    listed = _join(rng.sample(others, k=min(2, len(others))), "與")
    since = min(start + 1, year)
    if township:
        return (f"本案經驗已在{dist1}各村里全面推廣，並獲{{gov}}肯定，列為全{{county_short}}的示範模式，"
                f"(預計|目前已著手)擴大至{listed}等地。")
    n_units = info.n_units
    covered = rng.randint(min(n_units, max(2, n_units // 3)), n_units)
    if covered == n_units:
        reach = f"目前已擴大至{{whole}}{n_units}個{{unit_word}}"
    else:
        reach = f"(目前|迄今)已涵蓋{covered}個{{unit_word}}，(覆蓋率約|約占){round(covered * 100 / n_units)}%"
    return rng.choice((
        f"本案經驗已在{{county}}內擴大推廣。繼{dist1}示範成功後，{since}年起陸續推廣至{listed}等地，{reach}。",
        f"(在縣市內部|就{{county}}內部而言)，本案已由{dist1}(一處示範|單點試辦)(逐步|陸續)擴展，{since}年起(納入|加入){listed}等地，{reach}。",
        f"(推廣上|在推廣方面)，{{we}}(採取|依循)「(由點到面|先點後面)」的策略：{dist1}(的經驗|試辦成果)(經|在)(整理|檢討)後，{since}年(起|開始)(複製|延伸)到{listed}，{reach}。",
    ))


def _keywords(
    rng: random.Random, bank: _Bank, theme: str, summary: str, sections: dict[str, str]
) -> list[str]:
    """3–6 governance keywords that literally occur in the summary or sections.

    Parts of a 其他 theme come first; fewer than 3 are returned only when the
    text does not contain enough candidates (the caller then adds some).
    """
    text = summary + "".join(sections.values())
    theme_parts = [p for p in re.split(r"[與及、]", theme) if 2 <= len(p) <= 8 and p in text] if theme else []
    pool: list[str] = []
    for kw in [ap.term for ap in _APPROACHES] + list(bank.keywords):
        if kw in text and kw not in pool and kw not in theme_parts:
            pool.append(kw)
    rng.shuffle(pool)
    present = theme_parts + pool
    return present[: rng.randint(3, 6)]
