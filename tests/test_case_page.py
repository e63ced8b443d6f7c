"""A case's page: its similar cases and keywords are remembered between requests, never stale."""
from __future__ import annotations

import re

import pytest

from helpers import case_input, login
from kb.cases import create_case, search_documents, update_case
from kb.search import CaseSearch, case_search

MEALS = "結合社區發展協會設置銀髮共餐據點，提供長者共餐與健康促進，減少獨居長者孤立。"
BIKES = "串連河濱自行車道與捷運站，設置公共自行車租賃站，推廣低碳通勤。"


@pytest.fixture
def meals(edition):
    """Two cases about senior meals and one about bike lanes, the index built."""
    first = create_case(104, case_input(title="銀髮共餐據點擴展計畫", summary=MEALS))
    second = create_case(104, case_input(title="銀髮共餐據點第二期", summary=MEALS + "擴大辦理。",
                                         county="新北市", agency="新北市政府社會局"))
    bikes = create_case(104, case_input(title="河濱自行車道串連", summary=BIKES,
                                        county="臺中市", agency="臺中市政府交通局"))
    case_search().rebuild(workers=1)
    return first, second, bikes


def similar_titles(page: str) -> list[str]:
    """The titles a case page lists under 相似案例."""
    section = page.split("<h2>相似案例</h2>", 1)
    return re.findall(r'<li><a href="/cases/\d+">([^<]+)</a>', section[1]) if len(section) > 1 else []


def keywords(page: str) -> str:
    """The keywords (自動關鍵詞) a case page shows, as links."""
    return page.split("<dt>自動關鍵詞</dt>", 1)[1].split("</dd>", 1)[0]


def test_a_case_page_shown_again_searches_the_word_index_no_more(client, make_user, meals,
                                                                 monkeypatch):
    from whoosh.index import FileIndex

    first, _, _ = meals
    make_user("staff", login="staff")
    login(client, "staff")
    shown = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert similar_titles(shown) == ["銀髮共餐據點第二期"] and "/search?q=" in keywords(shown)
    opened = []
    searcher = FileIndex.searcher
    monkeypatch.setattr(FileIndex, "searcher",
                        lambda self, **kw: opened.append(1) or searcher(self, **kw))
    again = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert similar_titles(again) == similar_titles(shown) and keywords(again) == keywords(shown)
    assert opened == []


def test_an_edit_shows_at_once_in_the_similar_cases_of_this_process_and_another(
        client, make_user, meals, home):
    first, second, bikes = meals
    make_user("staff", login="staff")
    login(client, "staff")
    other = CaseSearch(home / "index", search_documents)  # a second server on the same home
    assert [h.title for h in other.similar(first.id)] == ["銀髮共餐據點第二期"]
    assert similar_titles(client.get(f"/cases/{first.id}").get_data(as_text=True)) == [
        "銀髮共餐據點第二期"]
    update_case(second.id, case_input(title="自行車道第二期", summary=BIKES + "擴大辦理。",
                                      county="新北市", agency="新北市政府交通局"))
    update_case(bikes.id, case_input(title="銀髮共餐走入山區", summary=MEALS + "山區巡迴。",
                                     county="臺中市", agency="臺中市政府社會局"))
    # the case now about meals comes first, in this process and the other
    assert similar_titles(client.get(f"/cases/{first.id}").get_data(as_text=True))[0] == "銀髮共餐走入山區"
    assert [h.title for h in other.similar(first.id)][0] == "銀髮共餐走入山區"
    assert other.keywords(second.id) == case_search().keywords(second.id)
    assert "自行車" in "".join(other.keywords(second.id))


def test_a_word_index_remembers_a_bounded_number_of_cases(meals, monkeypatch):
    from whoosh.index import FileIndex

    from kb import search_words

    monkeypatch.setattr(search_words, "REMEMBERED_CASES", 2)
    first, second, bikes = meals
    words = case_search()._word_index()
    found = {case.id: words.similar(case.id, 5) for case in meals}  # the first is forgotten
    opened = []
    searcher = FileIndex.searcher
    monkeypatch.setattr(FileIndex, "searcher",
                        lambda self, **kw: opened.append(1) or searcher(self, **kw))
    assert words.similar(bikes.id, 5) == found[bikes.id] and words.keywords(second.id)
    assert opened == []
    assert words.similar(first.id, 5) == found[first.id]
    assert len(opened) == 1
