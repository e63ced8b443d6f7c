"""Search: every case that contains the query, best first, never an error page."""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import case_input, login
from kb.cases import create_case, search_documents, update_case
from kb.models import Case
from kb.querytext import normalize_text, parse_query, term_variants
from kb.search import SEPARATOR, case_search, note_case_change
from seeds.demo import load_cases

TEXTS = [
    ("種籽師資培訓計畫", "以種籽師資推動跨域治理，建立地方創生的人才庫。"),
    ("臺南長照ＡＩ客服", "長期照顧結合 AI 與 1999專線，服務 3,200 戶長者。"),
    ("跨域合作的治理實驗", "縣市跨域合作，共同治理河川；地方政府協力。"),
    ("Open Data 開放資料平臺", "開放資料（open data）與 GIS 圖資整合，臺北 5G 實驗場域。"),
    ("社區營造 2.0", "社區發展協會與大學合作，推動食農教育與循環經濟。"),
]


@pytest.fixture
def corpus(edition):
    """Five published cases with distinctive text, the index built."""
    ids = []
    for n, (title, summary) in enumerate(TEXTS):
        county = ("臺北市", "臺南市", "新北市", "臺中市", "高雄市")[n]
        case = create_case(104, case_input(title=title, summary=summary, county=county,
                                           agency=f"{county}政府研究發展考核委員會"))
        ids.append(case.id)
    Case.update(published=True).execute()
    case_search().rebuild(workers=1)
    return ids


def truth(term: str) -> set[int]:
    """The cases whose normalised text contains the term: the definition search must meet."""
    found = set()
    for doc in search_documents():
        text = normalize_text(doc.title) + SEPARATOR + SEPARATOR.join(
            normalize_text(t) for _, t in doc.fields)
        if any(v and v in text for v in term_variants(term)):
            found.add(doc.case_id)
    return found


def hit_ids(query: str, **filters) -> set[int]:
    return {h.case_id for h in case_search().search(query, per_page=1000, **filters).hits}


@pytest.mark.parametrize("query, expected_titles", [
    ("種籽師資", {"種籽師資培訓計畫"}),
    ("跨域治理", {"種籽師資培訓計畫"}),  # 跨域合作…治理 does not contain the phrase
    ("跨域 治理", {"種籽師資培訓計畫", "跨域合作的治理實驗"}),
    ("地方创生", {"種籽師資培訓計畫"}),  # Simplified input
    ("台南", {"臺南長照ＡＩ客服"}),
    ("ai", {"臺南長照ＡＩ客服"}),  # full-width ＡＩ folds to ai
    ("１９９９", {"臺南長照ＡＩ客服"}),  # full-width digits
    ("OPEN DATA", {"Open Data 開放資料平臺"}),  # two terms, case folded
    ('"open data"', {"Open Data 開放資料平臺"}),
    ("長照 OR 食農", {"臺南長照ＡＩ客服", "社區營造 2.0"}),
    ("治理 -種籽", {"跨域合作的治理實驗"}),
    ("5g", {"Open Data 開放資料平臺"}),
    ("2.0", {"社區營造 2.0"}),
    ("籽", {"種籽師資培訓計畫"}),
])
def test_queries_find_exactly_the_cases_that_contain_them(corpus, query, expected_titles):
    titles = {h.title for h in case_search().search(query, per_page=100).hits}
    assert titles == expected_titles


@pytest.mark.parametrize("query", ['"', '"未結束的引號', "OR", "-", "AND OR NOT", "(((", "*?~^",
                                   "title:x", "\\", "a" * 2000, "跨域" * 1000, "\x00\x1f"])
def test_anything_typed_gives_a_result_never_an_error(corpus, client, query):
    case_search().search(query)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_title_match_ranks_above_a_body_only_match(edition):
    body = create_case(104, case_input(title="河川整治", summary="以智慧城市概念整治河川。智慧城市。"))
    title = create_case(104, case_input(title="智慧城市儀表板", summary="整合各局處資料。"))
    hits = case_search().search("智慧城市").hits
    assert [h.case_id for h in hits] == [title.id, body.id]


def test_more_matches_rank_higher(edition):
    few = create_case(104, case_input(title="甲", summary="推動循環經濟。" + "其他說明。" * 20))
    many = create_case(104, case_input(title="乙", summary="循環經濟、循環經濟、循環經濟。" + "其他說明。" * 20))
    assert [h.case_id for h in case_search().search("循環經濟").hits] == [many.id, few.id]


def test_filters_and_public_scope(corpus):
    assert hit_ids("", county="臺南市") == {corpus[1]}
    assert hit_ids("治理", region="第一區") == {corpus[0], corpus[2]}
    Case.update(published=False).where(Case.id == corpus[0]).execute()
    note_case_change([corpus[0]])
    assert corpus[0] not in hit_ids("種籽", public=True)
    assert corpus[0] in hit_ids("種籽")


def test_snippets_mark_matches_and_escape_case_text(edition):
    create_case(104, case_input(title="<b>粗體</b>", summary="說明<script>alert('x')</script>跨域治理"))
    hit = case_search().search("跨域治理").hits[0]
    assert "<mark>跨域治理</mark>" in hit.snippet
    assert "<script" not in hit.snippet and "&lt;/script&gt;" in hit.snippet


def test_snippets_show_the_field_holding_the_first_match(edition):
    """The excerpt comes from the field holding the match, as written, from the snapshot and
    from a case written since, even when a field holds the separator character."""
    from kb.cases import SECTIONS

    last_key = SECTIONS[-1][0]
    sections = {key: f"{label}的說明文字。" for key, label in SECTIONS}
    sections[last_key] = "最後一節：導入ＡＩ資料治理，建立開放平臺。"
    for title, summary in (("快照中的案例", "前言\x1f第二段"), ("之後寫入的案例", "前言")):
        create_case(104, case_input(title=title, summary=summary, sections=dict(sections)))
        if title == "快照中的案例":
            case_search().rebuild(workers=1)
    hits = case_search().search("ai資料治理").hits
    assert {hit.title for hit in hits} == {"快照中的案例", "之後寫入的案例"}
    for hit in hits:
        assert "<mark>ＡＩ資料治理</mark>" in hit.snippet
        assert "最後一節" in hit.snippet
    assert case_search().search("第二段").hits[0].snippet.startswith("前言")


def test_every_page_is_its_slice_of_the_whole_ranking(edition):
    """Only the cases that can reach a page are sorted: each page still holds exactly the
    cases of that stretch of the full order, for both sorts, ties included."""
    load_cases(40, seed=5)
    case_search().rebuild(workers=1)
    for query in ("計畫", "社區", "治理 OR 長照"):
        for sort in ("relevance", "year"):
            everything = case_search().search(query, per_page=1000, sort=sort).hits
            assert len(everything) > 12
            for page in (1, 2, 3):
                shown = case_search().search(query, per_page=5, page=page, sort=sort).hits
                assert [h.as_dict() for h in shown] == [h.as_dict() for h in everything[5 * page - 5:5 * page]]


_UNSPLIT = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")  # a Latin word or a number, kept whole


def _cuts(text: str) -> set[int]:
    """Where a snippet may begin or end in a text: between jieba words, never inside a Latin
    word or a number."""
    from kb.segment import tokenizer

    folded = normalize_text(text)
    cuts = {start for _, start, _ in tokenizer().tokenize(folded, HMM=False)} | {len(text)}
    inside = {p for m in _UNSPLIT.finditer(folded) for p in range(m.start() + 1, m.end())}
    return cuts - inside


def _excerpt(snippet: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", snippet)).strip("…")


def test_snippets_never_cut_a_word_or_a_number_in_half(edition):
    long = ("為了推動長期照顧與社區營造，本府結合民間團體與大專院校，"
            "導入 Open Data 與 GIS 圖資，服務 3,200 戶長者；另以 1999專線受理陳情，"
            "並於 2.0 版平臺整合跨局處資料，提升行政效率與民眾滿意度。")
    load_cases(12, seed=3)
    case_search().rebuild(workers=1)  # these from the snapshot, the next one written since
    create_case(104, case_input(title="長照與社區營造整合計畫", summary=long))
    queries = ["長者", "陳情", "資料", "行政效率", "滿意度", "社區", "圖資", "GIS", "3,200"]
    texts = [d.fields[0][1] for d in search_documents()]
    queries += [t[n:n + 2] for t in texts[:12] for n in (20, 45, 70, 95) if len(t) > n + 2]
    checked = 0
    for query in queries:
        for hit in case_search().search(query, per_page=50).hits:
            excerpt = _excerpt(hit.snippet)
            doc = next(d for d in search_documents([hit.case_id]))
            field = next(text for _, text in doc.fields if excerpt in text)
            cuts = _cuts(field)
            starts = [m.start() for m in re.finditer(re.escape(excerpt), field)]
            assert any(p in cuts and p + len(excerpt) in cuts for p in starts), (query, excerpt)
            checked += 1
    assert checked > 50


def test_snippets_are_the_same_from_the_snapshot_from_the_database_and_for_cases_written_since(edition, home):
    """A snapshot stores each case's text by character, so a snippet reads one range of bytes
    and decodes only what it shows; a home whose generation is of an older format answers from
    the database until it is rebuilt, and cases written since the snapshot, with the very same
    snippets (a separator typed in a field included)."""
    load_cases(20, seed=4)
    create_case(104, case_input(title="分隔字元", summary="前言\x1f第二段，跨域治理。"))
    case_search().rebuild(workers=1)
    texts = [d.fields[n][1] for d in search_documents() for n in (0, 2) if len(d.fields) > n]
    queries = ["跨域治理", "第二段", "計畫", "ai", "open data", "分隔"]
    queries += [t[n:n + size] for t in texts[:20] for n, size in ((15, 2), (60, 3), (140, 5)) if len(t) > n + size]

    def snippets(service):
        return [(h.case_id, h.title, h.snippet) for q in queries for h in service.search(q, per_page=100).hits]

    stored = snippets(case_search())
    assert len(stored) > 150
    _as_older_format(case_search().generations.current())
    older = _second_process_search(home, loads := [])
    assert snippets(older) == stored
    assert loads == [None] and older.status()["missing"]  # every case read from the database
    note_case_change([d.case_id for d in search_documents()])
    case_search().rebuild(workers=1)
    assert snippets(older) == stored  # from the new generation
    note_case_change([d.case_id for d in search_documents()])
    assert snippets(older) == stored  # every case now written since the snapshot
    assert older._exact.overlay_size == 21


def _as_older_format(folder):
    """Make a generation look as one written before the snapshot's format number."""
    meta_path = folder / "exact" / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["format"]
    meta_path.write_text(json.dumps(meta))


def test_a_home_whose_index_is_of_an_older_format_is_told_to_rebuild_it(corpus, home):
    """As a home with no index: `forum serve` and the staff page rebuild it; meanwhile every
    search is still exact."""
    _as_older_format(case_search().generations.current())
    other = _second_process_search(home, [])
    assert other.status()["missing"] and other.needs_rebuild()
    assert {h.case_id for h in other.search("治理").hits} == {corpus[0], corpus[2]}
    other.rebuild(workers=1)
    assert not other.status()["missing"] and other.similar(corpus[0]) is not None


def test_loading_a_generation_reads_its_files_in_the_background(corpus):
    """So the searches after it find the snapshot in memory, not on disk page by page."""
    folder = case_search().generations.current() / "exact"
    assert case_search().warm().prefetched(timeout=30) == sum(p.stat().st_size for p in folder.iterdir())


def test_a_page_of_results_reads_each_case_shown_once(corpus, monkeypatch):
    """One read of a case's record gives its title and its snippet."""
    import os

    case_search().warm()
    reads = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, *args: reads.append(os.readlink(f"/proc/self/fd/{fd}"))
                        or real(fd, *args))
    hits = case_search().search("治理 OR 資料").hits
    assert len(hits) == 3 and sum(path.endswith("/cases.bin") for path in reads) == 3


def test_postings_and_positions_are_read_not_mapped(corpus):
    """A serving process holds only what its queries read: the big arrays are read by range (a
    mapped file's cached pages count in its memory, 16 at each fault)."""
    case_search().warm()
    assert case_search().search("治理資料 OR 社區").total
    folder = str(case_search().generations.current())
    mapped = [line for line in Path("/proc/self/maps").read_text().splitlines() if folder in line]
    assert mapped and not [line for line in mapped
                           if line.endswith(("slots.npy", "counts.npy", "bigram_positions.npy"))]


def test_search_page_shows_facets_and_escapes(corpus, client):
    page = client.get("/search", query_string={"q": "治理"}).get_data(as_text=True)
    assert "找到 2 件案例" in page
    assert "<mark>治理</mark>" in page
    assert "第一區" in page and "臺北市" in page  # facet values


def test_edits_are_searchable_at_once(corpus):
    update_case(corpus[4], case_input(title="社區營造 2.0", summary="新增參與式預算。",
                                      county="高雄市", agency="高雄市政府"))
    assert hit_ids("參與式預算") == {corpus[4]}
    assert hit_ids("食農教育") == set()


def test_rebuild_after_the_index_folder_is_deleted(corpus, home):
    shutil.rmtree(home / "index")
    assert case_search().status()["missing"]
    assert hit_ids("種籽師資") == {corpus[0]}  # matching does not need the word index
    case_search().rebuild(workers=1)
    assert not case_search().status()["missing"]
    assert case_search().similar(corpus[0]) is not None


def test_a_home_with_no_cases_yet_builds_an_index_and_then_finds_its_first_case(edition):
    case_search().rebuild(workers=1)
    assert not case_search().status()["stale"]
    assert case_search().search("治理").hits == []
    case = create_case(104, case_input(title="社區治理新模式"))
    assert hit_ids("治理") == {case.id}


def test_a_crash_during_reindex_leaves_the_old_index_serving(corpus, home, monkeypatch):
    from kb import search_words

    before = case_search().status()["folder"]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search_words, "pick_keywords", crash)
    with pytest.raises(KeyboardInterrupt):
        case_search().rebuild(workers=1)
    monkeypatch.undo()
    assert case_search().status()["folder"] == before
    assert case_search().keywords(corpus[0])


def test_a_failed_index_update_marks_the_index_stale_and_keeps_the_case(corpus, monkeypatch):
    from kb import search_words

    monkeypatch.setattr(search_words.WordIndex, "catch_up",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    case = create_case(104, case_input(title="新案例", summary="韌性社區"))
    assert Case.get_by_id(case.id).title == "新案例"
    status = case_search().status()
    assert status["stale"] and status["behind"] == 1 and "disk full" in status["note"]
    assert hit_ids("韌性社區") == {case.id}
    monkeypatch.undo()
    case_search().catch_up()
    assert not case_search().status()["stale"] and case_search().keywords(case.id)


def test_cli_search_json(corpus, forum):
    result = forum("search", "治理", "--json")
    data = json.loads(result.stdout)
    assert data["total"] == 2
    assert set(data["hits"][0]) >= {"id", "title", "year", "county", "region", "category",
                                    "award", "score", "snippet"}
    assert data["facets"]["county"] == {"臺北市": 1, "新北市": 1}


@pytest.mark.parametrize("query, clauses, excluded", [
    ("甲 乙", [["甲"], ["乙"]], []),
    ("甲 OR 乙 丙", [["甲", "乙"], ["丙"]], []),
    ('"甲 乙" -丙', [["甲 乙"]], ["丙"]),
    ("「社區 營造」", [["社區 營造"]], []),
    ("OR 甲 OR", [["甲"]], []),
])
def test_query_parsing(query, clauses, excluded):
    parsed = parse_query(query)
    assert (parsed.clauses, parsed.excluded) == (clauses, excluded)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hits_equal_substring_truth(corpus, data):
    """For random substrings of the cases, and random strings, hits equal the substring truth."""
    docs = search_documents()
    doc = data.draw(st.sampled_from(docs))
    text = data.draw(st.sampled_from([doc.title] + [t for _, t in doc.fields if t]))
    start = data.draw(st.integers(0, max(len(text) - 1, 0)))
    length = data.draw(st.integers(1, 8))
    term = text[start:start + length].strip() or data.draw(
        st.text(alphabet="跨域治理臺台南ai5G資料 ", min_size=1, max_size=4)).strip()
    if not term or " " in term:
        term = term.replace(" ", "") or "治"
    assert hit_ids(term) == truth(term)


def test_a_command_writing_while_the_app_writes_loses_nothing(corpus, home):
    """Another process (the command line) and this one write cases at the same time."""
    import subprocess
    import sys

    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from kb.instance import open_instance\n"
        "from kb.cases import create_case\n"
        "from helpers import case_input\n"
        f"open_instance(Path({str(home)!r}))\n"
        "for n in range(15):\n"
        "    create_case(104, case_input(title=f'命令列案例{n}', county='桃園市',"
        " agency='桃園市政府', summary='命令列寫入'), override_reason='測試')\n"
    )
    other = subprocess.Popen([sys.executable, "-c", script])
    for n in range(15):
        create_case(104, case_input(title=f"網頁案例{n}", county="宜蘭縣", agency="宜蘭縣政府",
                                    summary="網頁寫入"), override_reason="測試")
    assert other.wait(timeout=120) == 0
    assert not case_search().status()["stale"]
    assert len(hit_ids("命令列寫入")) == 15 and len(hit_ids("網頁寫入")) == 15
    written = Case.select().where(Case.title.contains("案例")).count()
    assert written == 30
    assert all(case_search().keywords(case.id) for case in Case.select())


def test_staff_are_warned_of_a_case_much_like_one_of_an_earlier_year(edition, client, make_user):
    from kb.editions import create_edition
    from seeds import load_reference

    create_edition(103, load_reference()["edition"])
    text = "結合社區發展協會與在地醫療院所，設置失智據點並培訓照顧志工，提供喘息服務。"
    old = create_case(103, case_input(title="失智友善社區計畫", summary=text))
    new = create_case(104, case_input(title="失智友善社區計畫（續）", summary=text + "擴大辦理。"))
    other = create_case(104, case_input(title="自行車道串連", summary="串連河濱自行車道。"))
    case_search().rebuild(workers=1)
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get(f"/cases/{new.id}").get_data(as_text=True)
    assert "內容相似" in page and f"/cases/{old.id}" in page
    assert "內容相似" not in client.get(f"/cases/{other.id}").get_data(as_text=True)


def _second_process_search(home, loads: list):
    """A search service on the same home and database, as another process would have."""
    from kb.search import CaseSearch

    def load(case_ids):
        loads.append(None if case_ids is None else sorted(case_ids))
        return search_documents(case_ids)
    return CaseSearch(home / "index", load)


def test_an_edit_costs_another_process_only_that_case(corpus, home):
    loads = []
    other = _second_process_search(home, loads)
    assert {h.case_id for h in other.search("治理").hits} == {corpus[0], corpus[2]}
    assert loads == []  # a new process answers from the persisted snapshot, reading no case
    update_case(corpus[4], case_input(title="社區營造 2.0", summary="新增參與式預算。",
                                      county="高雄市", agency="高雄市政府"))
    assert {h.case_id for h in other.search("參與式預算").hits} == {corpus[4]}
    assert {h.case_id for h in other.search("治理").hits} == {corpus[0], corpus[2]}
    assert loads == [[corpus[4]]]


def test_another_process_sees_the_change_number_a_catch_up_records(corpus, home, monkeypatch):
    """The change number is read again once per new index commit, so a home that another
    process caught up is reported current (and one lagging is reported behind) at once."""
    from kb import cases as cases_module

    other = _second_process_search(home, [])
    assert other.status()["behind"] == 0
    monkeypatch.setattr(cases_module, "cases_changed", lambda ids: None)
    create_case(104, case_input(title="防災韌性社區", summary="防災韌性社區的演練。"))
    monkeypatch.undo()
    assert other.status()["behind"] == 1
    case_search().catch_up()  # the first process writes the word index
    assert other.status()["behind"] == 0


def test_the_app_keeps_the_warmed_search_service(corpus, home):
    from web import create_app

    warmed = case_search()
    warmed.warm()
    create_app({"TESTING": True}, home=home)
    assert case_search() is warmed


def test_an_index_update_lost_in_a_crash_is_detected_and_caught_up(corpus, home, monkeypatch):
    """The process died between the commit and the word-index update."""
    from kb import cases as cases_module

    monkeypatch.setattr(cases_module, "cases_changed", lambda ids: None)
    case = create_case(104, case_input(title="防災韌性社區", summary="防災韌性社區的演練。"))
    monkeypatch.undo()
    assert case_search().status()["behind"] == 1
    restarted = _second_process_search(home, [])
    assert restarted.status()["behind"] == 1
    restarted.catch_up()
    assert restarted.status()["behind"] == 0 and not restarted.status()["stale"]
    assert "防災" in " ".join(restarted.keywords(case.id)) or "韌性" in " ".join(
        restarted.keywords(case.id))
    assert hit_ids("防災韌性") == {case.id}


def test_an_edit_committed_while_the_index_is_written_is_never_silently_missed(corpus, monkeypatch):
    """Another writer commits a new text of the case while this one updates the word index."""
    from kb import cases as cases_module

    service = case_search()
    original = service._load_documents
    edited = []

    def load_then_someone_edits(case_ids):
        documents = original(case_ids)
        if not edited:
            edited.append(True)
            with monkeypatch.context() as patch:
                patch.setattr(cases_module, "cases_changed", lambda ids: None)
                update_case(corpus[4], case_input(title="社區營造 2.0", summary="水庫、水庫、水庫。",
                                                  county="高雄市", agency="高雄市政府"))
        return documents

    with monkeypatch.context() as patch:
        patch.setattr(cases_module, "cases_changed", lambda ids: None)
        update_case(corpus[4], case_input(title="社區營造 2.0", summary="參與式預算。",
                                          county="高雄市", agency="高雄市政府"))
    monkeypatch.setattr(service, "_load_documents", load_then_someone_edits)
    service.catch_up()
    monkeypatch.setattr(service, "_load_documents", original)
    assert edited and service.status()["behind"] == 1
    service.catch_up()
    assert "水庫" in service.keywords(corpus[4])


def test_each_home_keeps_its_own_word_index_and_catches_up_from_the_database(corpus, home, tmp_path):
    """Two app servers with their own homes on one database."""
    from kb.search import CaseSearch

    other = CaseSearch(tmp_path / "server2" / "index", search_documents)
    other.rebuild(workers=1)
    assert not case_search().status()["missing"] and not other.status()["missing"]
    case = create_case(104, case_input(title="智慧路燈節能", summary="智慧路燈節能改善。"))
    assert {h.case_id for h in other.search("智慧路燈").hits} == {case.id}
    assert other.status()["behind"] == 1
    other.catch_up()
    assert other.keywords(case.id) and other.status()["behind"] == 0
    assert case_search().status()["behind"] == 0


def test_search_pages_answer_while_the_index_is_built_in_the_background(corpus, client, home,
                                                                        monkeypatch):
    import threading

    from kb import search as search_module

    release, real = threading.Event(), search_module.rebuild_generation

    def held_back(*args, **kwargs):
        release.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(search_module, "rebuild_generation", held_back)
    shutil.rmtree(home / "index")
    case_search().rebuild_in_background(workers=1)
    page = client.get("/search?q=治理").get_data(as_text=True)
    assert "搜尋索引建立中" in page and "找到 2 件案例" in page
    assert "搜尋索引建立中" in client.get(f"/cases/{corpus[0]}").get_data(as_text=True)
    release.set()
    case_search()._builder.join(120)
    assert not case_search().status()["missing"]
    page = client.get("/search?q=治理").get_data(as_text=True)
    assert "搜尋索引建立中" not in page and "找到 2 件案例" in page


def test_the_change_record_is_pruned_once_every_home_has_caught_up_past_it(corpus, home, tmp_path):
    """Two app servers on one database: the record is kept until both rebuilt past it."""
    from kb.models import CaseChange
    from kb.search import CaseSearch

    other = CaseSearch(tmp_path / "server2" / "index", search_documents)
    other.rebuild(workers=1)
    first = create_case(104, case_input(title="智慧路燈節能", summary="智慧路燈節能改善。"))
    case_search().rebuild(workers=1)  # this home is past the edit; the other one is not
    assert CaseChange.select().where(CaseChange.case_id == first.id).exists()
    assert {h.case_id for h in CaseSearch(other.root, search_documents).search("智慧路燈").hits} \
        == {first.id}
    other.rebuild(workers=1)
    assert CaseChange.select().count() == 0
    second = create_case(104, case_input(title="海岸復育", summary="海岸林復育與淨灘。"))
    for server in (case_search(), other, CaseSearch(other.root, search_documents)):
        assert {h.case_id for h in server.search("智慧路燈 OR 海岸林").hits} == {first.id, second.id}
    other.catch_up()
    assert other.keywords(second.id) and not other.status()["stale"]


def test_a_home_away_longer_than_the_record_is_kept_rebuilds_and_stays_exact(corpus, home, tmp_path):
    from datetime import timedelta

    from kb.models import CaseChange, SearchHome, now
    from kb.search import CaseSearch

    away = CaseSearch(tmp_path / "server2" / "index", search_documents)
    away.rebuild(workers=1)
    SearchHome.update(seen_at=now() - timedelta(days=31)).where(
        SearchHome.name == away.generations.home_name()).execute()
    case = create_case(104, case_input(title="智慧路燈節能", summary="智慧路燈節能改善。"))
    case_search().rebuild(workers=1)
    assert not CaseChange.select().exists()  # the away home no longer holds the record back
    back = CaseSearch(away.root, search_documents)
    assert {h.case_id for h in back.search("智慧路燈").hits} == {case.id}
    assert back.status()["outdated"] and back.status()["stale"]
    back.catch_up()  # it cannot catch up from the record: a rebuild starts
    back._builder.join(120)
    assert not back.status()["stale"] and back.keywords(case.id)
