"""Open data for researchers: every published case as a plain record, never anything else.

The records are what the versioned API (``/api/v1/cases``) and the bulk downloads (CSV, JSON
Lines) give, under the 政府資料開放授權條款. Only cases whose results are published appear; contact
details of people never do.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn, prefetch

from kb.cases import AWARDS, PEOPLE, SECTIONS, award_of, find_cases, published_award
from kb.errors import ValidationError
from kb.models import Case, CaseFigure, CaseRole, CaseVersion, Category, Edition, Person
from kb.rocdate import ad_year
from kb.search import case_search

API_VERSION = "v1"
LICENCE = {"name": "政府資料開放授權條款－第1版", "url": "https://data.gov.tw/license"}
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20

# (field, type, meaning): the data dictionary, in the order of a CSV's columns.
DATA_DICTIONARY = (
    ("id", "整數", "案例編號（案例網址中的數字，永久不變）"),
    ("year", "整數", "年度（民國年）"),
    ("ad_year", "整數", "年度（西元年）"),
    ("region", "文字", "分區"),
    ("county", "文字", "提報縣市（正式名稱）"),
    ("agency", "文字", "提報機關"),
    ("category", "文字", "徵求類別"),
    ("theme", "文字", "縣市自訂主題（類別為「其他」時）"),
    ("title", "文字", "案名"),
    ("summary", "文字", "案例摘要"),
    ("keywords", "文字清單", "關鍵詞（CSV 以「、」分隔）"),
    ("award", "代碼", "獎項代碼：標竿案例或佳作（中文名稱見下一欄）"),
    ("award_label", "文字", "獎項名稱"),
    *((f"sections.{key}", "文字", f"內容：{label}（已核定的精進案例，否則為提報版本）")
      for key, label in SECTIONS),
    ("figures", "清單", "關鍵數據：指標、改善前、改善後、單位（CSV 為 JSON 文字）"),
    *((f"people.{key}", "文字", f"{label}姓名與職稱（不含聯絡方式）") for key, label in PEOPLE),
    ("url", "網址", "案例頁面的永久網址"),
)


@dataclass
class OpenCasePage:
    """One page of open records with the total over every page."""

    total: int
    page: int
    per_page: int
    records: list[dict]

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    def as_dict(self) -> dict:
        return {"api_version": API_VERSION, "licence": LICENCE, "total": self.total,
                "page": self.page, "per_page": self.per_page, "pages": self.pages,
                "cases": self.records}


def _published_query(year: int | None = None, category: str | None = None):
    return find_cases(year=year, category=category).where(Case.published == True)  # noqa: E712


def _records(cases: list[Case], base_url: str) -> list[dict]:
    """The open records of ``cases`` (in their order), with versions, figures and people read
    in a constant number of queries."""
    if not cases:
        return []
    ids = [case.id for case in cases]
    versions = prefetch(CaseVersion.select().where(CaseVersion.case.in_(ids)), CaseFigure)
    by_case: dict[int, list[CaseVersion]] = {}
    for version in versions:
        by_case.setdefault(version.case_id, []).append(version)
    people: dict[int, dict[str, Person]] = {}
    for role in (CaseRole.select(CaseRole, Person).join(Person)
                 .where(CaseRole.case.in_(ids))):
        people.setdefault(role.case_id, {})[role.role] = role.person
    records = []
    for case in cases:
        versions_of = by_case.get(case.id, [])
        refined = next((v for v in versions_of if v.kind == "refined" and v.approved), None)
        sections = _sections(versions_of, refined)
        figures = ([{"indicator": f.indicator, "before": f.before, "after": f.after,
                     "unit": f.unit} for f in sorted(refined.figures, key=lambda f: f.position)]
                   if refined is not None else [])
        award = award_of(case)
        records.append({
            "id": case.id, "year": case.edition.year, "ad_year": ad_year(case.edition.year),
            "region": case.region.name, "county": case.county.name, "agency": case.agency,
            "category": case.category.name, "theme": case.theme, "title": case.title,
            "summary": case.summary, "keywords": list(case.keywords or []),
            "award": award, "award_label": AWARDS.get(award),
            "sections": {key: sections.get(key, "") for key, _ in SECTIONS},
            "figures": figures,
            "people": {key: _person(people.get(case.id, {}).get(key)) for key, _ in PEOPLE},
            "url": f"{base_url.rstrip('/')}/cases/{case.id}",
        })
    return records


def _sections(versions: list[CaseVersion], refined: CaseVersion | None) -> dict[str, str]:
    if refined is not None:
        return refined.sections
    submitted = next((v for v in versions if v.kind == "submitted"), None)
    return submitted.sections if submitted is not None else {}


def _person(person: Person | None) -> str:
    if person is None:
        return ""
    return f"{person.name}（{person.title}）" if person.title else person.name


def _check_paging(page: int, per_page: int) -> None:
    if page < 1 or page > 100_000:
        raise ValidationError("page（頁碼）須為 1 至 100000 的整數")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"per_page（每頁筆數）須為 1 至 {MAX_PER_PAGE} 的整數")


def open_cases(*, year: int | None = None, category: str | None = None, q: str | None = None,
               page: int = 1, per_page: int = DEFAULT_PER_PAGE,
               base_url: str = "") -> OpenCasePage:
    """A page of published cases as open records: with ``q``, the public search's matches in
    its order (the same engine as the web search); without, by year (newest first) and region."""
    _check_paging(page, per_page)
    if q and q.strip():
        results = case_search().search(q, year=year, category=category, public=True,
                                       page=page, per_page=per_page)
        ids = [hit.case_id for hit in results.hits]
        found = {case.id: case for case in _published_query().where(Case.id.in_(ids))}
        cases = [found[i] for i in ids if i in found]
        return OpenCasePage(results.total, page, per_page, _records(cases, base_url))
    query = _published_query(year, category)
    return OpenCasePage(query.count(), page, per_page,
                        _records(list(query.paginate(page, per_page)), base_url))


def open_case(case_id: int, *, base_url: str = "") -> dict | None:
    """The open record of one published case, or None if there is no such published case."""
    case = _published_query().where(Case.id == case_id).first()
    return _records([case], base_url)[0] if case is not None else None


def all_open_cases(*, year: int | None = None, base_url: str = "", batch: int = 500):
    """Every published case's open record (of one year, or all), read in batches."""
    query = _published_query(year)
    page = 1
    while True:
        cases = list(query.paginate(page, batch))
        yield from _records(cases, base_url)
        if len(cases) < batch:
            return
        page += 1


def citation(record: dict) -> str:
    """The citation line of a case's open record: 年度、縣市、機關、案名、網址."""
    return (f"{record['county']}{record['agency']}（民國{record['year']}年）。〈{record['title']}〉。"
            f"地方治理標竿論壇{record['award_label'] or ''}。{record['url']}")


def case_citation(case: Case, *, base_url: str = "") -> str | None:
    """The citation line (:func:`citation`) of a published benchmark case or honourable mention
    (None for any other case), from the case row alone: what a case page shows without reading
    the whole open record."""
    award = award_of(case)
    if not case.published or award is None:
        return None
    return citation({"county": case.county.name, "agency": case.agency,
                     "year": case.edition.year, "title": case.title,
                     "award_label": AWARDS[award], "url": f"{base_url.rstrip('/')}/cases/{case.id}"})


def category_counts() -> dict[str, dict[int, int]]:
    """Category name → ROC year → how many published benchmark cases and honourable mentions."""
    counts: dict[str, dict[int, int]] = {}
    query = (Case.select(Category.name, Edition.year, fn.COUNT(Case.id).alias("n"))
             .join(Category).switch(Case).join(Edition)
             .where(published_award())
             .group_by(Category.name, Edition.year).tuples())
    for name, year, n in query:
        counts.setdefault(name, {})[year] = n
    return dict(sorted(counts.items()))


def category_cases(name: str) -> list[Case]:
    """One category's published winners across years, newest year first."""
    return list(_published_query(category=name).where(Case.status.in_(list(AWARDS))))
