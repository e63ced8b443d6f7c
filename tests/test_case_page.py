"""A case's page: its similar cases and keywords are remembered between requests, never stale."""
from __future__ import annotations

import re

import pytest

from helpers import case_input, login
from kb.cases import create_case, search_documents, update_case
from kb.querylog import counted_queries
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


@pytest.fixture
def winners(edition):
    """Two published benchmark cases of 103: 臺北市's with a presenter besides its owner and
    contact, adopted by three counties and with two videos; 臺南市's with one of each."""
    from kb.adoption import AdoptionInput, record_adoptions
    from kb.cases import PersonInput, set_case_presenter, set_case_statuses
    from kb.editions import create_edition, set_intake_open
    from kb.media import add_video_link
    from seeds import load_reference

    create_edition(103, load_reference()["edition"])
    set_intake_open(103, True)
    many = create_case(103, case_input(title="長照交通接送服務", county="臺北市"))
    few = create_case(103, case_input(title="河川巡守志工隊", county="臺南市",
                                      agency="臺南市政府水利局"))
    set_case_statuses({many.id: ("benchmark", True), few.id: ("benchmark", True)})
    set_case_presenter(many.id, PersonInput(name="陳志明", title="股長"))
    for county in ("新竹市", "澎湖縣", "基隆市"):
        record_adoptions(104, county, [AdoptionInput(many.id, "wanted")]
                         + ([AdoptionInput(few.id, "wanted")] if county == "新竹市" else []))
    for n in range(2):
        add_video_link(many.id, f"https://video.example.org/{n}", f"影片{n}")
    add_video_link(few.id, "https://video.example.org/few", "影片")
    case_search().rebuild(workers=1)
    return many, few


@pytest.mark.parametrize("page", ["/cases/{}", "/cases/{}/edit"])
def test_a_case_page_reads_as_many_statements_however_many_people_and_answers(
        client, make_user, winners, page):
    make_user("staff", login="staff")
    login(client, "staff")
    counts = []
    for case in winners:
        url = page.format(case.id)
        client.get(url)  # warm: first-use caches are not rows
        with counted_queries() as statements:
            shown = client.get(url).get_data(as_text=True)
        assert case.title in shown
        counts.append(len(statements))
    many = client.get(f"/cases/{winners[0].id}").get_data(as_text=True)
    assert "陳志明" in many and "已被 3 縣市應用" in many and many.count("video.example.org") == 2
    assert counts[0] == counts[1]


def test_a_case_page_shows_the_code_its_years_list_shows(client, make_user, meals):
    from kb.case_codes import edition_case_codes

    later = [create_case(104, case_input(title=f"臺北市第{n}案", agency="臺北市政府")).id
             for n in (2, 3)]
    make_user("staff", login="staff")
    login(client, "staff")
    listed = client.get("/cases/?year=104").get_data(as_text=True)
    codes = edition_case_codes(meals[0].edition_id)
    assert [codes[case_id] for case_id in later] == ["104-TPE-002", "104-TPE-003"]
    for case_id, code in codes.items():
        assert code in listed
        assert f"<dt>案例編號</dt><dd>{code}</dd>" in client.get(f"/cases/{case_id}").get_data(
            as_text=True)


def test_a_staff_case_page_asks_the_change_record_once(client, make_user, meals):
    """Its similar cases and its earlier look-alikes come from one state of the index."""
    first, _, _ = meals
    make_user("staff", login="staff")
    login(client, "staff")
    client.get(f"/cases/{first.id}")  # warm
    with counted_queries() as statements:
        shown = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert similar_titles(shown) == ["銀髮共餐據點第二期"]
    assert sum("SELECT changes FROM" in sql for sql in statements) == 1
