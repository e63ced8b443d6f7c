"""The adoption survey: counties record how they used past benchmark cases; staff see the matrix."""
from __future__ import annotations

from io import BytesIO
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from helpers import case_input, csrf_token, login
from kb.adoption import (AdoptionInput, adoption_survey, case_adoptions, record_adoptions,
                         record_county_answers)
from kb.cases import create_case, set_case_statuses
from kb.editions import create_edition, set_intake_open
from kb.errors import PermissionDenied, ValidationError
from kb.querylog import counted_queries
from seeds import load_reference


@pytest.fixture
def past(edition):
    """Year 103 with two published benchmark cases (臺北市, 臺南市), an honourable mention and
    an unpublished case; year 104 is the survey year."""
    create_edition(103, load_reference()["edition"])
    set_intake_open(103, True)
    made = {}
    for title, county, status, published in [
            ("長照交通接送服務", "臺北市", "benchmark", True),
            ("河川巡守志工隊", "臺南市", "benchmark", True),
            ("社區共餐", "新北市", "honourable", True),
            ("未公布案例", "高雄市", "benchmark", False)]:
        made[title] = create_case(103, case_input(title=title, county=county)).id
        set_case_statuses({made[title]: (status, published)})
    return made


def test_matrix_and_answered_counties_against_a_table(past):
    record_adoptions(104, "新竹市", [AdoptionInput(past["長照交通接送服務"], "internalised", 104),
                                    AdoptionInput(past["河川巡守志工隊"], "wanted")])
    record_adoptions(104, "臺南市", [AdoptionInput(past["長照交通接送服務"], "innovated", 104,
                                                   "改為偏鄉預約制")])
    record_adoptions(104, "澎湖縣", [])  # answered: no adoption
    report = adoption_survey(104).as_dict()
    assert [(row["title"], row["answers"]) for row in report["matrix"]] == [
        ("長照交通接送服務", {"新竹市": "internalised", "臺南市": "innovated"}),
        ("河川巡守志工隊", {"新竹市": "wanted"})]
    answered = {county for county, done in report["answered"].items() if done}
    assert answered == {"新竹市", "臺南市", "澎湖縣"} and len(report["answered"]) == 22
    assert report["kinds"] == {"internalised": 1, "innovated": 1, "wanted": 1}



def test_several_counties_answer_at_once_all_or_nothing(past):
    taipei, tainan = past["長照交通接送服務"], past["河川巡守志工隊"]
    record_adoptions(104, "新竹市", [AdoptionInput(taipei, "wanted")])
    with pytest.raises(ValidationError, match="臺南市第1筆：.*自己的案例"):
        record_county_answers(104, [("新竹市", []), ("臺南市", [AdoptionInput(tainan, "wanted")])])
    assert [r.county for r in case_adoptions(taipei)] == ["新竹市"]  # nothing of it is kept
    with counted_queries() as one:
        record_county_answers(104, [("新竹市", [AdoptionInput(taipei, "internalised", 104)])])
    with counted_queries() as many:
        record_county_answers(104, [("新竹市", [AdoptionInput(tainan, "innovated")]),
                                    ("澎湖縣", []), ("臺南市", [AdoptionInput(taipei, "wanted")])])
    assert len(many) == len(one)
    report = adoption_survey(104).as_dict()
    assert [(row["title"], row["answers"]) for row in report["matrix"]] == [
        ("長照交通接送服務", {"臺南市": "wanted"}), ("河川巡守志工隊", {"新竹市": "innovated"})]
    assert {county for county, done in report["answered"].items() if done} == {
        "新竹市", "臺南市", "澎湖縣"}

def test_answering_again_replaces_the_counties_answers(past):
    case = past["長照交通接送服務"]
    record_adoptions(104, "新竹市", [AdoptionInput(case, "wanted")])
    record_adoptions(104, "新竹市", [AdoptionInput(case, "internalised", 105)])
    assert [(r.county, r.kind_label, r.year) for r in case_adoptions(case)] == [("新竹市", "內化", 105)]


@pytest.mark.parametrize("entry, message", [
    (lambda p: AdoptionInput(p["社區共餐"], "internalised"), "不是104年以前已公布的標竿案例"),
    (lambda p: AdoptionInput(p["未公布案例"], "internalised"), "不是104年以前已公布的標竿案例"),
    (lambda p: AdoptionInput(p["河川巡守志工隊"], "copied"), "應用情形須為"),
    (lambda p: AdoptionInput(p["河川巡守志工隊"], "wanted", 90), "應用年度須介於民國103年"),
    (lambda p: AdoptionInput(p["河川巡守志工隊"], "wanted", note="很" * 501), "最多 500 字"),
])
def test_bad_answers_are_refused_whole(past, entry, message):
    good = AdoptionInput(past["長照交通接送服務"], "wanted")
    with pytest.raises(ValidationError, match=message):
        record_adoptions(104, "新竹市", [good, entry(past)])
    assert case_adoptions(past["長照交通接送服務"]) == []


def test_a_county_does_not_answer_about_its_own_case_or_for_another_county(past, make_user):
    with pytest.raises(ValidationError, match="本縣市自己的案例"):
        record_adoptions(104, "臺北市", [AdoptionInput(past["長照交通接送服務"], "wanted")])
    other = make_user("county", county="臺中市")
    with pytest.raises(PermissionDenied):
        record_adoptions(104, "新竹市", [], actor=other)


def test_county_answers_on_the_web_and_the_case_page_shows_it(client, past, make_user):
    make_user("county", login="county-hsc", county="新竹市")
    login(client, "county-hsc")
    url = "/adoption/104/answer"
    case = past["河川巡守志工隊"]
    page = client.get(url).get_data(as_text=True)
    assert "河川巡守志工隊" in page and "社區共餐" not in page
    bad = client.post(url, data={"csrf_token": csrf_token(client, url), f"kind-{case}": "innovated",
                                 f"year-{case}": "明年"})
    assert bad.status_code == 400 and "應用年度請填民國年" in bad.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), f"kind-{case}": "innovated",
                                  f"year-{case}": "104", f"note-{case}": "擴大至全縣"},
                       follow_redirects=True)
    assert "已儲存新竹市的應用調查" in done.get_data(as_text=True)
    shown = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "已被 1 縣市應用" in shown and "新竹市：創新" in shown and "擴大至全縣" in shown


def test_staff_survey_page_and_matrix_downloads(client, past, make_user):
    record_adoptions(104, "新竹市", [AdoptionInput(past["長照交通接送服務"], "internalised")])
    make_user("staff", login="staff1")
    login(client, "staff1")
    page = client.get("/adoption/104/").get_data(as_text=True)
    assert "已填答 1／22 縣市" in page and "新竹市（內化）" in page
    book = load_workbook(BytesIO(client.get("/adoption/104/matrix.xlsx").get_data()))
    sheet = book["應用矩陣"]
    header = [c.value for c in sheet[2]]
    row = [c.value for c in sheet[3]]
    assert row[header.index("新竹市")] == "內化" and row[-1] == 1
    svg = ElementTree.fromstring(client.get("/adoption/104/matrix.svg").get_data())
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert "新竹市：內化" in titles


def test_county_contacts_cannot_see_the_staff_report(client, past, make_user):
    make_user("county", login="county-hsc", county="新竹市")
    login(client, "county-hsc")
    assert client.get("/adoption/104/").status_code == 403
    page = client.get("/adoption/104/answer?county=臺中市").get_data(as_text=True)
    assert "應用調查：新竹市" in page and "應用調查：臺中市" not in page


def test_cli_records_and_reports(forum, past, tmp_path):
    case = past["河川巡守志工隊"]
    done = forum("adoption", "record", "--year", "104", "--county", "新竹市",
                 "--answer", f"{case}:wanted:105", "--note", f"{case}:評估中")
    assert done.exit_code == 0, done.output
    report = forum("adoption", "report", "--year", "104")
    assert "河川巡守志工隊：新竹市（需求）" in report.output
    bad = forum("adoption", "record", "--year", "104", "--county", "新竹市", "--answer", "x:wanted")
    assert bad.exit_code == 1 and "格式須為" in bad.output
    out = tmp_path / "matrix.xlsx"
    assert forum("adoption", "report", "--year", "104", "-o", str(out)).exit_code == 0
    assert out.stat().st_size > 0
