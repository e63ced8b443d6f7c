"""Commendation letters (行政獎勵函): one per published winner, never printed without its number
and date, in the layout of an official letter."""
from __future__ import annotations

from datetime import date

import pytest

from helpers import case_input, csrf_token, login, needs_poppler, page_count, squeeze
from exports.letters import build_letters
from kb.cases import create_case, set_case_statuses
from kb.errors import PermissionDenied, ValidationError
from kb.letters import Commended, letters_to_print, parse_people, save_letter, year_letters


@pytest.fixture
def letter_cases(edition):
    """Year 104's case ids by title: a published benchmark case (owner 王文彥, contact 林佳蓉),
    a published honourable mention, and an unpublished case (which scenarios.py's ``winners``
    lacks)."""
    made = {}
    for title, county, status, published in [("長照交通接送服務", "臺北市", "benchmark", True),
                                             ("社區共餐", "臺南市", "honourable", True),
                                             ("未公布案例", "新北市", "benchmark", False)]:
        made[title] = create_case(104, case_input(title=title, county=county,
                                                  agency=f"{county}政府社會局")).id
        set_case_statuses({made[title]: (status, published)})
    return made


def ready(case_id: int, **changes):
    values = dict(number="標竿字第1150000001號", day=date(2026, 12, 8), sender="地方治理標竿論壇辦公室")
    values.update(changes)
    return save_letter(case_id, **values)


def test_a_letter_per_published_winner_with_the_cases_people(letter_cases):
    letters = year_letters(104)
    assert [(l.case_title, l.award_label) for l in letters] == [("長照交通接送服務", "標竿案例"),
                                                                ("社區共餐", "佳作")]
    assert [(p.name, p.title) for p in letters[0].people] == [("王文彥", "科長"), ("林佳蓉", "專員")]
    assert letters[0].missing == ["發文字號", "發文日期", "發文機關"]


def test_printing_is_refused_until_every_letter_has_number_and_date(letter_cases):
    ready(letter_cases["長照交通接送服務"])
    with pytest.raises(ValidationError, match="〈社區共餐〉尚缺發文字號、發文日期、發文機關"):
        letters_to_print(104)
    assert len(letters_to_print(104, letter_cases["長照交通接送服務"])) == 1
    ready(letter_cases["社區共餐"], number="標竿字第1150000002號")
    assert len(letters_to_print(104)) == 2


@pytest.mark.parametrize("changes, message", [
    ({"day": date(2010, 1, 1)}, "不能早於民國104年"),
    ({"number": "字" * 61}, "發文字號最多 60 字"),
    ({"people": [Commended("", "科長")]}, "第1位須填寫姓名"),
    ({"people": [Commended(f"人{n}") for n in range(21)]}, "最多 20 位"),
])
def test_bad_letters_are_refused(letter_cases, changes, message):
    with pytest.raises(ValidationError, match=message):
        ready(letter_cases["長照交通接送服務"], **changes)


def test_only_winners_and_only_staff(letter_cases, make_user):
    with pytest.raises(ValidationError, match="不是已公布的標竿案例或佳作"):
        ready(letter_cases["未公布案例"])
    with pytest.raises(PermissionDenied):
        ready(letter_cases["社區共餐"], actor=make_user("county", county="臺南市"))


@pytest.mark.parametrize("typed, expected", [
    ("王文彥（科長）\n林佳蓉 專員\n\n陳小明", [("王文彥", "科長"), ("林佳蓉", "專員"), ("陳小明", "")]),
    ("張三(技正)", [("張三", "技正")]),
])
def test_people_typed_one_per_line(typed, expected):
    assert [(p.name, p.title) for p in parse_people(typed)] == expected


@needs_poppler
def test_the_letter_pdf_has_the_official_fields(letter_cases, poppler, truetype):
    letter = ready(letter_cases["長照交通接送服務"], copies="臺北市政府",
                   people=[Commended("王文彥", "科長"), Commended("李大同", "股長")])
    pdf = build_letters([letter, ready(letter_cases["社區共餐"])])
    assert page_count(pdf) == 2
    text = squeeze(poppler("pdftotext", pdf))
    for expected in ["地方治理標竿論壇辦公室函", "受文者：臺北市政府社會局", "發文日期：中華民國115年12月8日",
                     "發文字號：標竿字第1150000001號", "主旨：貴機關辦理「長照交通接送服務」榮獲民國104年地方治理標竿論壇第一區標竿案例",
                     "建請敘獎人員：王文彥（科長）、李大同（股長）", "正本：臺北市政府社會局", "副本：臺北市政府"]:
        assert expected in text
    fonts = poppler("pdffonts", pdf).splitlines()[2:]
    assert fonts and all("TrueType" in line and line.split()[-5] == "yes" for line in fonts)


def test_staff_edit_and_download_on_the_web(client, letter_cases, make_user):
    make_user("staff", login="staff1")
    login(client, "staff1")
    url = "/letters/104/"
    case = letter_cases["長照交通接送服務"]
    page = client.get(url).get_data(as_text=True)
    assert "已完成 0／2 封" in page and "王文彥（科長）" in page
    assert client.get("/letters/104/letters.pdf").status_code == 400
    bad = client.post(f"/letters/104/{case}", data={
        "csrf_token": csrf_token(client, url), "sender": "論壇辦公室", "number": "字第1號",
        "date": "115/13/40", "people": "王文彥（科長）"})
    assert bad.status_code == 400 and "發文日期「115/13/40」不是有效的日期" in bad.get_data(as_text=True)
    done = client.post(f"/letters/104/{case}", data={
        "csrf_token": csrf_token(client, url), "sender": "論壇辦公室", "number": "字第1號",
        "date": "民國115年12月8日", "people": "王文彥（科長）"}, follow_redirects=True)
    assert "已儲存行政獎勵函" in done.get_data(as_text=True) and "115/12/08" in done.get_data(as_text=True)
    pdf = client.get(f"/letters/104/{case}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_cli_sets_lists_and_prints(forum, letter_cases, tmp_path):
    case = letter_cases["社區共餐"]
    assert forum("letters", "print", "--year", "104", "-o", str(tmp_path / "x.pdf")).exit_code == 1
    done = forum("letters", "set", "--case", str(case), "--number", "字第2號", "--date", "115/12/08",
                 "--sender", "論壇辦公室", "--person", "陳小明（技士）")
    assert done.exit_code == 0, done.output
    listed = forum("letters", "list", "--year", "104")
    assert "字第2號，2026-12-08" in listed.output and "尚缺發文字號" in listed.output
    out = tmp_path / "one.pdf"
    assert forum("letters", "print", "--year", "104", "--case", str(case), "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")
