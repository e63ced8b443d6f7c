"""Hot paths: pages whose work does not grow with the data (no N+1 queries, no repeated search)."""
from __future__ import annotations

import pytest

from helpers import case_input, login
from kb.assignments import assign_screening, list_assignments
from kb.cases import create_case
from kb.db import database
from kb.querylog import counted_queries
from kb.search import CaseSearch, case_search
from kb.speakers import list_speakers
from kb.stages import set_stage_state
from seeds import demo
from test_score_workbook import FULL, fill
from web import create_app
from web.score_files import import_scoresheets, scoresheet_file


def test_the_staff_case_page_runs_the_similar_cases_search_once(client, make_user, monkeypatch):
    first = create_case(104, case_input(title="銀髮共餐據點擴展計畫"))
    create_case(104, case_input(title="銀髮共餐據點擴展計畫第二期", county="新北市",
                                agency="新北市政府社會局"))
    case_search().rebuild(workers=1)
    calls = []
    similar = CaseSearch.similar

    def counted(self, *args, **kwargs):
        calls.append(args)
        return similar(self, *args, **kwargs)

    monkeypatch.setattr(CaseSearch, "similar", counted)
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get(f"/cases/{first.id}").get_data(as_text=True)
    assert "銀髮共餐據點擴展計畫第二期" in page  # the similar case is still listed
    assert len(calls) == 1



def test_a_staff_page_asks_for_the_index_banner_without_reading_the_change_record(
        client, edition, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    client.get("/account/")  # warm: first-use caches are not rows
    with counted_queries() as statements:
        page = client.get("/account/").get_data(as_text=True)
    assert "搜尋索引不存在或已過期" in page  # no index yet: the banner is still there
    assert not [sql for sql in statements if "searchstate" in sql or "casechange" in sql]

def test_a_staff_page_opens_no_word_index_searcher_while_the_index_is_unchanged(
        client, edition, make_user, monkeypatch):
    from whoosh.index import FileIndex

    case_search().rebuild(workers=1)
    make_user("staff", login="staff")
    login(client, "staff")
    assert "搜尋索引不存在或已過期" not in client.get("/account/").get_data(as_text=True)
    opened = []
    searcher = FileIndex.searcher
    monkeypatch.setattr(FileIndex, "searcher",
                        lambda self, **kwargs: opened.append(1) or searcher(self, **kwargs))
    assert "搜尋索引不存在或已過期" not in client.get("/account/").get_data(as_text=True)
    assert opened == []

# --- list pages: the same number of SQL statements however many rows they show -----------------

JUDGED, CURRENT = 103, 104


def _list_pages() -> dict[tuple[str | None, str], str]:
    """(role, page name) → URL of every list page, on the loaded demo (role: a demo login,
    ``judge`` or None for a visitor)."""
    speaker = list_speakers()[0].key
    urls = {
        "all cases": "/cases/", "cases": f"/cases/?year={JUDGED}",
        "current cases": f"/cases/?year={CURRENT}",
        "results": f"/results/{JUDGED}", "speakers": "/speakers/",
        "speaker": f"/speakers/{speaker}",
    }
    staff = {"progress": f"/judging/{JUDGED}/",
             "screening assignments": f"/judging/{JUDGED}/screening/assignments",
             "onsite assignments": f"/judging/{JUDGED}/onsite/assignments",
             "selection": f"/selection/{JUDGED}/", "statistics": f"/selection/{JUDGED}/stats",
             "write-ups": f"/results/{JUDGED}/writeups", "programme": f"/programme/{JUDGED}/",
             "intake": f"/intake/{CURRENT}", "merge": "/speakers/merge",
             "audit": "/staff/audit", "letters": f"/letters/{JUDGED}/",
             "screening minutes": f"/selection/{JUDGED}/minutes/screening",
             "onsite minutes": f"/selection/{JUDGED}/minutes/onsite",
             "participants": f"/participants/{JUDGED}/", "settings": f"/staff/years/{JUDGED}/settings"}
    pages = {(None, name): url for name, url in urls.items() if name != "current cases"}
    pages.update({("staff", name): url for name, url in {**urls, **staff}.items()})
    pages.update({("county-tpe", name): url for name, url in
                  {**urls, "intake": f"/intake/{CURRENT}", "selection": f"/selection/{JUDGED}/"}
                  .items()})
    pages[("judge", "my assignments")] = "/judging/"
    pages.update({("judge", name): urls[name] for name in ("all cases", "speakers", "speaker")})
    return pages


def _signed_in(app, role: str | None):
    """A test client signed in as the demo account of ``role`` (a login, or ``judge``: a judge
    on an on-site panel, so both demos show them the same stages), or anonymous."""
    client = app.test_client()
    if role == "judge":
        role = next(a.judge.login for a in list_assignments(JUDGED, "onsite"))
    if role is not None:
        client.post("/login", data={"login": role, "password": demo.DEMO_PASSWORD})
    return client


def _statements_per_page(home, cases_per_county: int) -> dict[tuple[str | None, str], int]:
    """A demo of one judged and one open year with ``cases_per_county`` cases each, and the
    number of SQL statements of each list page on it."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, home=home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "CASES_PER_COUNTY", (cases_per_county, cases_per_county))
        demo.load_demo(years=(JUDGED, CURRENT), current_year=CURRENT)
    counts, clients = {}, {}
    for (role, name), url in _list_pages().items():
        if role not in clients:
            clients[role] = _signed_in(app, role)
        client = clients[role]
        assert client.get(url).status_code == 200, url  # warm: first-use caches are not rows
        with counted_queries() as statements:
            assert client.get(url).status_code == 200, url
        counts[role, name] = len(statements)
    database.close()
    return counts


@pytest.fixture(scope="module")
def statements(tmp_path_factory):
    """Statements per list page on a small demo and on one with three times the cases."""
    return (_statements_per_page(tmp_path_factory.mktemp("small"), 1),
            _statements_per_page(tmp_path_factory.mktemp("large"), 3))


@pytest.mark.parametrize("role, name", [
    (None, "all cases"), (None, "cases"), (None, "results"), (None, "speakers"), (None, "speaker"),
    *[("staff", name) for name in ("all cases", "cases", "current cases", "results", "speakers",
                                   "speaker", "progress", "screening assignments",
                                   "onsite assignments", "selection", "statistics", "write-ups",
                                   "programme", "intake", "merge", "audit", "letters",
                                   "screening minutes", "onsite minutes", "participants",
                                   "settings")],
    *[("county-tpe", name) for name in ("all cases", "cases", "current cases", "intake",
                                        "selection")],
    *[("judge", name) for name in ("my assignments", "all cases", "speakers", "speaker")],
])
def test_list_pages_run_as_many_statements_for_three_times_the_rows(statements, role, name):
    small, large = statements
    assert large[role, name] == small[role, name]



# --- imports: the same number of SQL statements however many rows or files -------------------

def test_score_sheets_given_together_import_in_as_many_statements_as_one(edition, make_user):
    """Several score sheets are one import: one read and one write for them all."""
    cases = [create_case(104, case_input(title=f"案例{n}", county=county)).id
             for n, county in enumerate(("臺北市", "新北市", "臺中市", "高雄市"))]
    judges = [make_user("judge", login=f"judge0{n}").login for n in range(1, 5)]
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    sheets = [(f"{login}.xlsx", fill(scoresheet_file(104, "screening", login),
                                     {case: FULL for case in cases}))
              for login in judges]
    counts = []
    for files in (sheets[:1], sheets[1:]):
        with counted_queries() as statements:
            report = import_scoresheets(files)
        assert {row["judge"] for row in report.changed} == {name[:-5] for name, _ in files}
        counts.append(len(statements))
    assert counts[0] == counts[1]
