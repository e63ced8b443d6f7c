"""Open data: the API and the bulk downloads give every published case and nothing else."""
from __future__ import annotations

import csv
import json
from io import StringIO

import pytest

from helpers import case_input
from kb.cases import create_case, set_case_statuses
from kb.opendata import DATA_DICTIONARY
from kb.search import case_search

PUBLISHED = [("長照交通接送服務", "社會福利", "benchmark"),
             ("=HYPERLINK(\"http://evil.example\")智慧路燈", "科技創能", "honourable"),
             ("河川巡守志工隊", "環境保護", "benchmark")]
UNPUBLISHED = [("未公布的長照祕密計畫", "社會福利")]


@pytest.fixture
def library(edition):
    """Three published cases (one with a formula-like title) and one unpublished, indexed."""
    counties = ("臺北市", "臺南市", "新北市", "高雄市")
    ids = {}
    for n, (title, category, *_rest) in enumerate(PUBLISHED + UNPUBLISHED):
        case = create_case(104, case_input(title=title, category=category, county=counties[n],
                                           summary=f"{title}的摘要，結合社區參與。"))
        ids[title] = case.id
    set_case_statuses({ids[t]: (award, True) for t, _, award in PUBLISHED}
                      | {ids[t]: ("submitted", False) for t, _ in UNPUBLISHED})
    case_search().rebuild(workers=1)
    return ids


def titles(data: dict) -> set[str]:
    return {case["title"] for case in data["cases"]}


def test_api_lists_published_cases_only_with_licence_and_paging(client, library):
    data = client.get("/api/v1/cases").get_json()
    assert data["api_version"] == "v1" and "政府資料開放授權條款" in data["licence"]["name"]
    assert data["total"] == 3 and titles(data) == {t for t, _, _ in PUBLISHED}
    case = next(c for c in data["cases"] if c["title"] == "長照交通接送服務")
    assert case["award_label"] == "標竿案例" and case["year"] == 104 and case["ad_year"] == 2015
    assert case["url"].endswith(f"/cases/{library['長照交通接送服務']}")
    assert "phone" not in json.dumps(case) and "02-2720-8889" not in json.dumps(data)

    first = client.get("/api/v1/cases?per_page=2").get_json()
    second = client.get(first["next"]).get_json()
    assert first["pages"] == 2 and len(first["cases"]) == 2 and second["next"] is None
    assert titles(first) | titles(second) == titles(data)


@pytest.mark.parametrize("query, expected", [
    ("", {"長照交通接送服務", "=HYPERLINK(\"http://evil.example\")智慧路燈", "河川巡守志工隊"}),
    ("category=社會福利", {"長照交通接送服務"}),
    ("year=103", set()),
    ("q=長照", {"長照交通接送服務"}),  # the unpublished 長照 case never appears
    ("q=河川&category=環境保護", {"河川巡守志工隊"}),
])
def test_api_filters_and_searches(client, library, query, expected):
    assert titles(client.get(f"/api/v1/cases?{query}").get_json()) == expected


def test_api_search_matches_the_public_web_search(client, library):
    api = [c["id"] for c in client.get("/api/v1/cases?q=社區").get_json()["cases"]]
    web = [h.case_id for h in case_search().search("社區", public=True).hits]
    assert api == web and len(api) == 3


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=101", "per_page=0",
                                   "year=x", "page=99999999999999999999"])
def test_bad_parameters_are_a_400_in_chinese(client, library, query):
    response = client.get(f"/api/v1/cases?{query}")
    assert response.status_code == 400
    assert "須為" in response.get_json()["error"]


def test_one_case_and_unpublished_is_404(client, library):
    shown = client.get(f"/api/v1/cases/{library['河川巡守志工隊']}").get_json()["case"]
    assert shown["sections"]["background"] and shown["people"]["owner"].startswith("王文彥")
    hidden = client.get(f"/api/v1/cases/{library['未公布的長照祕密計畫']}")
    assert hidden.status_code == 404 and "找不到" in hidden.get_json()["error"]


def test_csv_dump_has_every_dictionary_column_and_no_live_formula(client, library):
    response = client.get("/opendata/104/cases.csv")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(StringIO(text)))
    assert list(rows[0]) == [name for name, _, _ in DATA_DICTIONARY]
    assert {r["title"] for r in rows} == {"長照交通接送服務", "'=HYPERLINK(\"http://evil.example\")智慧路燈",
                                         "河川巡守志工隊"}
    assert all(r["year"] == "104" for r in rows)


def test_jsonl_dump_keeps_values_and_omits_unpublished(client, library):
    lines = client.get("/opendata/cases.jsonl").get_data().decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["title"] for r in records} == {t for t, _, _ in PUBLISHED}
    assert client.get("/opendata/103/cases.jsonl").get_data() == b""


def test_the_page_lists_downloads_and_the_dictionary(client, library):
    page = client.get("/opendata/").get_data(as_text=True)
    assert "政府資料開放授權條款" in page and "/opendata/104/cases.csv" in page
    assert all(f"<code>{name}</code>" in page for name, _, _ in DATA_DICTIONARY)
    dictionary = client.get("/opendata/dictionary.csv").get_data().decode("utf-8-sig")
    assert "sections.background" in dictionary


def test_the_api_is_rate_limited(client, library, monkeypatch):
    from web import api_views, ratelimit
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)  # one fixed minute
    for _ in range(api_views.API_PER_MINUTE):
        assert client.get("/api/v1/cases/1").status_code in (200, 404)
    refused = client.get("/api/v1/cases")
    assert refused.status_code == 429 and "請求太頻繁" in refused.get_json()["error"]
    assert int(refused.headers["Retry-After"]) >= 1


def test_cli_writes_the_same_dump_as_the_page(forum, library, client, tmp_path):
    out = tmp_path / "cases.jsonl"
    result = forum("opendata", "--format", "jsonl", "--year", "104", "--base-url",
                   "http://localhost", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == client.get("/opendata/104/cases.jsonl").get_data()
