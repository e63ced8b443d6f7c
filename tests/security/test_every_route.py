"""Issue 21.2 and 12.10: every route, driven with bad parameters by every kind of visitor,
answers a zh-TW page with a 4xx (or a normal page), never a 500 and never English."""
from __future__ import annotations

import itertools
import re
from io import BytesIO

import pytest

from helpers import PASSWORD, csrf_token, login
from hostile_files import cell_at_far_column
from kb.editions import get_edition
from kb.errors import ValidationError
from kb.selection import compute_selection

HUGE = str(10 ** 30)
BAD_TEXT = ["%0D%0ALocation:%20http://evil.example", "x" * 300, "%00", "'%22%3C%3E"]
BAD_QUERY = ("?page=" + HUGE + "&year=" + HUGE + "&q=%00%0D%0A&next=/%0D%0ASet-Cookie:x=1"
             "&region=%00&county=%E2%80%AE&deadline=2015-99-99&sort=%3Cx%3E&contacts=1&field=" + "y" * 300)
BAD_FORM = {"year": HUGE, "stage": "%00", "region": "\r\n", "judges": "a,,b", "reason": "x" * 5000,
            "outcome": "winner", "op": "explode", "start": "25:61", "venue": "\x00", "date": "0000-00-00",
            "case_id": HUGE, "cases": f"1,{HUGE}", "county": "火星", "open": "maybe", "source": HUGE,
            "target": "", "score-1": "NaN", "comment": "\x07", "deadline": "x"}
ENGLISH = re.compile(r"Internal Server Error|Not Found|Bad Request|Method Not Allowed|"
                     r"Too Many Requests|Request Entity Too Large|The requested URL|Forbidden|Unauthorized")
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def bad_urls(rule: str) -> list[str]:
    """The rule with every argument replaced by bad values (each combination), plus a bad query."""
    choices = []
    for converter, options, _ in ARGUMENT.findall(rule):
        if converter == "int":
            choices.append([HUGE, "0"])
        elif converter == "any":
            choices.append([options.split(",")[0].strip()])
        else:
            choices.append(BAD_TEXT)
    urls = []
    for values in itertools.product(*choices):
        filled = iter(values)
        urls.append(ARGUMENT.sub(lambda _: next(filled), rule))
    return [url + suffix for url in urls for suffix in ("", BAD_QUERY)]


CJK = re.compile(r"[\u4e00-\u9fff]")


def check(response, what: str) -> None:
    assert response.status_code < 500, what
    if response.status_code >= 400 and response.is_json:  # the open-data API answers in JSON
        message = response.get_json()["error"]
        assert CJK.search(message) and not ENGLISH.search(message), what
    elif response.status_code >= 400:
        page = response.get_data(as_text=True)
        assert "zh-Hant-TW" in page and not ENGLISH.search(page), what


@pytest.mark.parametrize("role", [None, "staff", "judge", "county"])
def test_every_route_with_bad_parameters_answers_in_zh_tw_without_a_500(app, make_user, role):
    client = app.test_client()
    if role:
        make_user(role, login="visitor", county="臺北市" if role == "county" else None)
        login(client, "visitor")
    token = csrf_token(client, "/") if role else csrf_token(client, "/login")
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint not in ("static", "auth.logout")]
    for rule in rules:
        for url in bad_urls(rule.rule):
            if "GET" in rule.methods:
                check(client.get(url), f"GET {url}")
            if "POST" in rule.methods:
                check(client.post(url, data={**BAD_FORM, "csrf_token": token}), f"POST {url}")
                check(client.post(url, data=BAD_FORM), f"POST {url} without a token")
        if not rule.methods & {"GET", "HEAD"}:
            check(client.get(bad_urls(rule.rule)[0]), f"GET to POST-only {rule.rule}")


@pytest.mark.parametrize("target, lands_on", [
    ("/cases/?year=104", "/cases/?year=104"),
    ("/\r\nSet-Cookie: stolen=1", "/"), ("/%0D%0ALocation:x", "/%0D%0ALocation:x"),
    ("//evil.example/", "/"), ("/\\evil.example/", "/"), ("https://evil.example/", "/"),
    ("/\tjavascript:alert(1)", "/"),
])
def test_next_after_sign_in_stays_on_this_site(client, make_user, target, lands_on):
    make_user("staff", login="chief")
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"login": "chief", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == lands_on


@pytest.mark.parametrize("upload, message", [
    (lambda: b"PK\x03\x04 not really a workbook", "檔案不是有效的 Excel 活頁簿"),
    (cell_at_far_column, "超過上限 200 欄"),
])
def test_a_refused_case_import_answers_400_naming_the_problem(client, make_user, upload, message):
    make_user("staff", login="chief")
    login(client, "chief")
    token = csrf_token(client, "/cases/import/104")
    response = client.post("/cases/import/104", content_type="multipart/form-data",
                           data={"csrf_token": token, "workbook": (BytesIO(upload()), "cases.xlsx")})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_setting_the_rules_refuse_is_a_zh_tw_400_not_a_500(client, make_user):
    edition = get_edition(104)
    edition.settings = {**edition.settings, "aggregation": "trimmed_mean", "trim_min_judges": 2}
    edition.save()
    with pytest.raises(ValidationError, match="截尾平均最少評審數須至少為 3，不是 2"):
        compute_selection(104)
    make_user("staff", login="chief")
    login(client, "chief")
    response = client.get("/selection/104/")
    assert response.status_code == 400 and "不是 2" in response.get_data(as_text=True)
