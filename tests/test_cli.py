"""The forum command line, as staff and scripts use it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from helpers import case_input
from kb.cases import create_case
from kb.users import authenticate
from web.cli import main


def test_init_is_safe_to_run_twice(forum, home):
    assert forum("init").exit_code == 0
    assert forum("init").exit_code == 0
    assert forum("edition", "list", "--json").stdout.strip() == "[]"


def test_edition_create_from_reference_and_from_an_earlier_year(forum):
    assert forum("edition", "create", "104").exit_code == 0
    result = forum("edition", "create", "105", "--from", "104")
    assert result.exit_code == 0 and "民國105年" in result.stdout
    years = [row["year"] for row in json.loads(forum("edition", "list", "--json").stdout)]
    assert years == [105, 104]
    again = forum("edition", "create", "105")
    assert again.exit_code == 1 and "已經存在" in again.stderr


def test_users_add_list_passwd_deactivate(forum, db):
    result = forum("users", "add", "tpe", "--role", "county", "--name", "林佳蓉",
                   "--county", "台北市", "--password-stdin", input="first-pass-1\n")
    assert result.exit_code == 0, result.output
    users = json.loads(forum("users", "list", "--json").stdout)
    assert users == [{"login": "tpe", "name": "林佳蓉", "role": "county", "role_label": "縣市承辦人",
                      "county": "臺北市", "active": True, "email": "",
                      "must_change_password": False}]
    assert forum("users", "passwd", "tpe", "--password-stdin", input="second-pass-2\n").exit_code == 0
    assert authenticate("tpe", "second-pass-2") and not authenticate("tpe", "first-pass-1")
    assert forum("users", "deactivate", "tpe").exit_code == 0
    assert authenticate("tpe", "second-pass-2") is None


@pytest.mark.parametrize("args, message", [
    (["users", "add", "x1", "--role", "county", "--name", "某人", "--password-stdin"], "必須指定縣市"),
    (["users", "add", "x1", "--role", "staff", "--name", "某人", "--password-stdin"], "至少需要 8"),
    (["users", "passwd", "nobody", "--password-stdin"], "找不到帳號「nobody」"),
    (["cases", "show", "999"], "找不到案例 999"),
    (["edition", "intake", "99", "--open"], "找不到民國99年的論壇"),
])
def test_errors_go_to_stderr_with_a_non_zero_exit(forum, db, args, message):
    result = forum(*args, input="short\n")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cases_list_and_show_json(forum, edition):
    case = create_case(104, case_input())
    create_case(104, case_input(county="新北市", agency="新北市政府社會局", title="新北案例"))
    listed = json.loads(forum("cases", "list", "--year", "104", "--county", "台北市", "--json").stdout)
    assert [row["id"] for row in listed] == [case.id]
    row = listed[0]
    assert {k: row[k] for k in ("year", "county", "region", "category", "title", "agency",
                                "status", "award")} == {
        "year": 104, "county": "臺北市", "region": "第一區", "category": "社會福利",
        "title": "銀髮共餐據點擴展計畫", "agency": "臺北市政府社會局", "status": "submitted",
        "award": None}
    shown = json.loads(forum("cases", "show", str(case.id), "--json").stdout)
    assert shown["people"]["contact"]["phone"] == "02-2720-8889"
    assert shown["sections"]["background"].startswith("背景與問題")


def test_intake_open_and_close(forum, edition):
    assert forum("edition", "intake", "104", "--close").exit_code == 0
    rows = json.loads(forum("edition", "list", "--json").stdout)
    assert rows[0]["intake_open"] is False


def test_every_command_has_zh_help(forum):
    for args in (["--help"], ["cases", "--help"], ["cases", "import", "--help"],
                 ["users", "add", "--help"], ["serve", "--help"]):
        result = forum(*args)
        assert result.exit_code == 0
        assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stdout)


README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def readme_commands() -> set[tuple[str, ...]]:
    """Every `forum WORD [WORD]` the README names (options and placeholders left out)."""
    found = set()
    for words in re.findall(r"`forum ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", README):
        found.add(tuple(words.split()))
    return found


def test_the_readme_documents_every_command_and_only_real_ones():
    for words in sorted(readme_commands()):
        command = main.commands.get(words[0])
        assert command is not None, f"README names `forum {words[0]}`, which does not exist"
        if len(words) == 2 and isinstance(command, click.Group):
            assert words[1] in command.commands, f"README names `forum {' '.join(words)}`"
    documented = {words[0] for words in readme_commands()}
    assert set(main.commands) - documented == set()


def _index_view(case_ids):
    """What the word index and the snippets give: keywords, similar cases, excerpts."""
    from kb.search import case_search

    search = case_search()
    return ({i: search.keywords(i) for i in case_ids},
            {i: {hit.case_id for hit in search.similar(i, limit=20)} for i in case_ids},
            {q: [(h.case_id, h.snippet) for h in search.search(q, per_page=50).hits]
             for q in ("社區", "資料", "長者")})


def test_reindex_on_two_workers_gives_what_one_process_gives(forum, edition, monkeypatch):
    from kb import search_words
    from kb.models import Case
    from kb.search import case_search, note_case_change
    from seeds.demo import load_cases

    load_cases(12, seed=3)
    case_ids = [case.id for case in Case.select()]
    case_search().rebuild(workers=1)
    one = _index_view(case_ids)
    assert all(one[0].values()) and any(one[1].values())
    monkeypatch.setattr(search_words, "PARALLEL_FROM", 2)  # the demo corpus is small
    result = forum("reindex", "--workers", "2")
    assert result.exit_code == 0 and "搜尋索引已重建" in result.stdout
    assert _index_view(case_ids) == one
    seen = []
    case_search().rebuild(workers=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(case_ids), len(case_ids))
    assert _index_view(case_ids) == one
    note_case_change(case_ids[:4])  # written again unchanged: caught up by the rebuild's counts
    case_search().catch_up()
    assert _index_view(case_ids) == one


def test_a_failing_reindex_worker_fails_the_reindex_and_the_old_index_serves(forum, edition,
                                                                            monkeypatch):
    from kb import search_words
    from kb.search import case_search
    from seeds.demo import load_cases

    load_cases(6, seed=3)
    before = case_search().rebuild(workers=1)
    monkeypatch.setattr(search_words, "PARALLEL_FROM", 2)
    monkeypatch.setattr(search_words, "pick_keywords",
                        lambda *args: (_ for _ in ()).throw(MemoryError("no memory")))
    with pytest.raises(RuntimeError, match="斷詞子行程失敗：MemoryError"):
        case_search().rebuild(workers=2)
    assert case_search().status()["folder"] == before
