"""The seed-speaker registry (種籽師資庫): who is in it, one entry per person across years and
spellings, staff merges, filters, the public and staff versions in the service, the PDF, the
workbook, the command line and the web pages."""
from __future__ import annotations

import html
import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from helpers import csrf_token, login, needs_poppler, squeeze
from scenarios import WANG_EMAIL, WANG_PHONE, presented
from kb.errors import NotFound, PermissionDenied, ValidationError
from kb.models import AuditLog
from kb.speakers import (describe_filters, get_speaker, list_speaker_merges, list_speakers,
                         merge_speakers, possible_duplicates, speaker_identity, speaker_key,
                         unmerge_speaker)
from exports.registry_workbook import build_registry_file


def by_name(speakers) -> dict[str, list]:
    found: dict[str, list] = {}
    for s in speakers:
        found.setdefault(s.name, []).append(s)
    return found


# --- identity ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, agency, identity", [
    ("王大明", "臺北市政府社會局", ("王大明", "臺北市政府社會局")),
    (" 王 大明 ", "台北市政府社會局", ("王大明", "臺北市政府社會局")),
    ("王\u3000大明", "臺北市政府 社會局", ("王大明", "臺北市政府社會局")),
    ("Ａmy Lin", "ＩＴ處", ("amylin", "it處")),
])
def test_spellings_fold_to_one_identity(name, agency, identity):
    assert speaker_identity(name, agency) == identity


@pytest.mark.parametrize("other, same", [
    (("王 大明", "台北市政府社會局"), True),
    (("王大明", "臺北市政府社會局 "), True),
    (("王大明", "臺北市社會局"), False),
    (("王大銘", "臺北市政府社會局"), False),
])
def test_keys_are_short_url_safe_and_follow_the_identity(other, same):
    key = speaker_key("王大明", "臺北市政府社會局")
    assert len(key) == 12 and key.isalnum() and key == key.lower()
    assert (speaker_key(*other) == key) is same


@pytest.mark.parametrize("filters, text", [
    ({}, ""),
    ({"field": "社會福利"}, "領域：社會福利"),
    ({"region": "第三區", "year": 102, "name": "王"}, "分區：第三區；年度：民國102年；姓名或機關含「王」"),
])
def test_filters_in_words(filters, text):
    assert describe_filters(**filters) == text


# --- who is in, and how many times --------------------------------------------------------------

def test_a_person_presenting_in_two_years_is_one_entry(registry):
    wang = by_name(list_speakers())["王大明"]
    assert len(wang) == 1
    entry = wang[0]
    assert entry.years == [103, 104]
    assert [(c.year, c.title, c.award_label) for c in entry.cases] == [
        (103, "銀髮共餐", "標竿案例"), (104, "社區關懷據點", "佳作")]
    assert (entry.agency, entry.county, entry.title) == ("臺北市政府社會局", "臺北市", "副處長")
    assert entry.fields == ["社區發展", "社會福利"]
    assert entry.spellings == [("王 大明", "台北市政府社會局")]


def test_only_presenters_of_published_benchmark_cases_are_listed(registry):
    names = by_name(list_speakers())
    assert "張家豪" not in names and "趙敏" not in names
    assert "李小華" not in names  # staff named another presenter of the case
    chen = names["陳志強"][0]
    assert [(c.year, c.award) for c in chen.cases] == [(103, "honourable"), (104, "benchmark")]
    assert chen.title == "技正"
    assert "趙敏" in by_name(list_speakers(everyone=True))


def test_entries_run_by_county_north_to_south_then_name(registry):
    assert [(s.county, s.name) for s in list_speakers()] == [
        ("臺北市", "王大明"), ("新北市", "陳志強"), ("臺南市", "林美玲"), ("臺南市", "林美玲")]


def test_contacts_only_when_asked(registry):
    public = list_speakers()
    assert all(s.contacts is None for s in public)
    assert all("contacts" not in s.as_dict() for s in public)
    assert WANG_PHONE not in json.dumps([s.as_dict() for s in public], ensure_ascii=False)
    staff = by_name(list_speakers(with_contacts=True))["王大明"][0]
    assert (staff.contacts.phone, staff.contacts.email) == (WANG_PHONE, WANG_EMAIL)


@pytest.mark.parametrize("filters, expected", [
    ({"field": "社會福利"}, {"王大明", "林美玲"}),
    ({"field": "環境保護"}, {"陳志強"}),
    ({"region": "第三區"}, {"林美玲"}),
    ({"region": "第一區", "year": 104}, {"王大明", "陳志強"}),
    ({"year": 102}, {"林美玲"}),
    ({"name": "台北"}, {"王大明"}),  # the agency, 台 or 臺
    ({"name": "美 玲"}, {"林美玲"}),
    ({"name": "環境保護局"}, {"陳志強"}),
    ({"name": "無此人"}, set()),
])
def test_filters(registry, filters, expected):
    assert {s.name for s in list_speakers(**filters)} == expected


def test_get_speaker_by_key(registry):
    key = speaker_key("王大明", "臺北市政府社會局")
    assert get_speaker(key).name == "王大明" and get_speaker(key).contacts is None
    assert get_speaker(key, with_contacts=True).contacts.phone == WANG_PHONE
    for missing in ("0" * 12, speaker_key("趙敏", "新北市政府民政局")):
        with pytest.raises(NotFound, match="種籽師資庫沒有代碼"):
            get_speaker(missing)


# --- merging ----------------------------------------------------------------------------------

def test_another_agency_spelling_is_two_entries_until_staff_merge_them(registry):
    pairs = possible_duplicates()
    assert [(p.why, {p.target.key, p.source.key}) for p in pairs] == [
        ("同名，服務機關不同（同縣市）", {registry.lin_old, registry.lin_new})]
    record = merge_speakers(registry.lin_new, registry.lin_old, reason="機關名稱簡寫",
                            actor=registry.staff)
    assert (record.source_label, record.target_label) == ("林美玲（臺南市社會局）",
                                                          "林美玲（臺南市政府社會局）")
    lin = by_name(list_speakers())["林美玲"]
    assert len(lin) == 1
    assert (lin[0].key, lin[0].agency, lin[0].years) == (registry.lin_old, "臺南市政府社會局",
                                                         [102, 104])
    assert lin[0].keys == [registry.lin_old, registry.lin_new]
    assert get_speaker(registry.lin_new).key == registry.lin_old
    assert possible_duplicates() == []
    assert [m.reason for m in list_speaker_merges()] == ["機關名稱簡寫"]

    unmerge_speaker(registry.lin_new, actor=registry.staff)
    assert len(by_name(list_speakers())["林美玲"]) == 2
    logs = list(AuditLog.select().where(AuditLog.table == "speaker_merge").order_by(AuditLog.id))
    assert [(log.action, log.actor) for log in logs] == [("merge_speakers", "staff"),
                                                         ("unmerge_speaker", "staff")]
    assert logs[0].reason == "機關名稱簡寫" and logs[0].after["source_key"] == registry.lin_new
    assert logs[1].before["target_key"] == registry.lin_old


def test_a_chain_of_merges_ends_in_one_entry(registry):
    chen = speaker_key("陳志強", "新北市政府環境保護局")
    merge_speakers(registry.lin_new, registry.lin_old, reason="同一人")
    merge_speakers(registry.lin_old, chen, reason="調任")
    merged = by_name(list_speakers())["陳志強"][0]
    assert merged.years == [102, 103, 104] and len(merged.cases) == 4
    assert "林美玲" not in by_name(list_speakers())
    unmerge_speaker(registry.lin_old)
    assert by_name(list_speakers())["林美玲"][0].years == [102, 104]


@pytest.mark.parametrize("source, target, reason, message", [
    ("lin_old", "lin_old", "同一人", "不能將一筆師資合併到自己"),
    ("lin_old", "000000000000", "同一人", "找不到師資代碼「000000000000」"),
    ("nobody", "lin_old", "同一人", "找不到師資代碼「nobody」"),
    ("lin_old", "lin_new", "  ", "請說明合併理由"),
    ("lin_new", "lin_old", "同一人", "不能再反向合併（會形成循環）"),  # lin_old is in lin_new
    ("lin_old", "wang", "同一人", "已合併到「林美玲（臺南市社會局）」，請先取消該合併"),
])
def test_merges_that_are_refused(registry, source, target, reason, message):
    keys = {"lin_old": registry.lin_old, "lin_new": registry.lin_new,
            "wang": speaker_key("王大明", "臺北市政府社會局")}
    merge_speakers(registry.lin_old, registry.lin_new, reason="先前的合併")
    with pytest.raises(ValidationError, match=message):
        merge_speakers(keys.get(source, source), keys.get(target, target), reason=reason)
    assert len(list_speaker_merges()) == 1


def test_only_staff_merge_and_an_unknown_merge_cannot_be_undone(registry, make_user):
    county = make_user("county", county="臺南市")
    with pytest.raises(PermissionDenied):
        merge_speakers(registry.lin_new, registry.lin_old, reason="同一人", actor=county)
    with pytest.raises(PermissionDenied):
        unmerge_speaker(registry.lin_new, actor=county)
    with pytest.raises(ValidationError, match="沒有合併紀錄"):
        unmerge_speaker(registry.lin_new)


def test_names_one_character_apart_in_one_agency_are_suggested(registry):
    presented(104, "河川巡守二", "陳志鋼", "新北市政府環境保護局", county="新北市",
              category="環境保護", award="honourable")
    pairs = [(p.why, p.target.name, p.source.name) for p in possible_duplicates()]
    assert ("同機關，姓名僅差一字", "陳志強", "陳志鋼") in pairs


# --- files ------------------------------------------------------------------------------------

@needs_poppler
def test_the_pdf_carries_contacts_only_in_the_staff_version(registry, truetype,  # noqa: F811
                                                            poppler):  # noqa: F811
    public = build_registry_file(list_speakers(), "pdf", with_contacts=False)
    staff = build_registry_file(list_speakers(with_contacts=True), "pdf", with_contacts=True)
    public_text, staff_text = poppler("pdftotext", public), poppler("pdftotext", staff)
    for name in ("王大明", "陳志強", "林美玲"):
        assert name in public_text and name in staff_text
    assert WANG_PHONE not in public_text and WANG_EMAIL not in public_text
    assert "聯絡方式" not in public_text and "公開版" in squeeze(public_text)
    assert WANG_PHONE in staff_text and WANG_EMAIL in staff_text and "內部版" in squeeze(staff_text)
    assert "103年〈銀髮共餐〉（標竿案例）" in squeeze(public_text)
    fonts = poppler("pdffonts", public).splitlines()[2:]
    assert fonts and all(row.split()[-5:-3] == ["yes", "yes"] for row in fonts)  # emb, sub
    assert any(truetype.name in row or "Ming" in row for row in fonts), fonts


def read_rows(data: bytes, sheet: str = "種籽師資庫") -> list[tuple]:
    return list(load_workbook(BytesIO(data))[sheet].iter_rows(values_only=True))


def test_the_workbook_has_a_contact_column_only_in_the_staff_version(registry):
    public = build_registry_file(list_speakers(field="社會福利"), "xlsx", with_contacts=False,
                                 filters=describe_filters(field="社會福利"))
    rows = read_rows(public)
    assert rows[0] == ("姓名", "職稱", "服務機關", "縣市", "年度", "發表案例（年度、案例、獎項）", "領域")
    assert [row[0] for row in rows[1:]] == ["王大明", "林美玲"]
    assert rows[1][4] == "103、104" and rows[1][5] == "103年〈銀髮共餐〉（標竿案例）\n104年〈社區關懷據點〉（佳作）"
    assert WANG_PHONE not in json.dumps(rows, ensure_ascii=False)
    sheet = load_workbook(BytesIO(public))["種籽師資庫"]
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == "A1:G3"
    guide = {row[0]: row[1:] for row in read_rows(public, "說明")}
    assert guide["版本"][0] == "公開版" and guide["篩選條件"][0] == "領域：社會福利"

    staff = read_rows(build_registry_file(list_speakers(with_contacts=True), "xlsx",
                                          with_contacts=True))
    assert staff[0][-2:] == ("電話", "電子郵件")
    assert ("王大明", WANG_PHONE, WANG_EMAIL) in {(row[0], row[-2], row[-1]) for row in staff}


# --- command line -----------------------------------------------------------------------------

def test_the_command_lists_filters_and_writes_files(forum, registry, tmp_path):  # noqa: F811
    listed = json.loads(forum("speakers", "--field", "社會福利", "--json").stdout)
    assert [(row["name"], row["years"]) for row in listed] == [("王大明", [103, 104]),
                                                               ("林美玲", [102])]
    assert "contacts" not in listed[0]
    staff = json.loads(forum("speakers", "--name", "王", "--with-contacts", "--json").stdout)
    assert staff[0]["contacts"] == {"phone": WANG_PHONE, "email": WANG_EMAIL}
    text = forum("speakers", "--year", "102").stdout
    assert "林美玲" in text and "王大明" not in text and "共 1 位" in text

    result = forum("speakers", "--region", "第三區", "-o", str(tmp_path / "registry.xlsx"))
    assert result.exit_code == 0 and "2 位，公開版" in result.stdout
    assert [row[0] for row in read_rows((tmp_path / "registry.xlsx").read_bytes())[1:]] == [
        "林美玲", "林美玲"]
    assert forum("speakers", "--with-contacts", "-o", str(tmp_path / "r.pdf")).exit_code == 0
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    wrong = forum("speakers", "-o", str(tmp_path / "registry.docx"))
    assert wrong.exit_code == 1 and "須為 .pdf 或 .xlsx" in wrong.stderr
    assert not (tmp_path / "registry.docx").exists()


def test_the_command_merges_and_unmerges(forum, registry):  # noqa: F811
    pairs = json.loads(forum("speakers", "duplicates", "--json").stdout)["pairs"]
    assert {pairs[0]["target"]["key"], pairs[0]["source"]["key"]} == {registry.lin_old,
                                                                      registry.lin_new}
    refused = forum("speakers", "merge", registry.lin_new, registry.lin_new, "--reason", "x")
    assert refused.exit_code == 1 and "不能將一筆師資合併到自己" in refused.stderr
    done = forum("speakers", "merge", registry.lin_new, registry.lin_old, "--reason", "簡寫")
    assert done.exit_code == 0 and "已將「林美玲（臺南市社會局）」併入" in done.stdout
    assert len([row for row in json.loads(forum("speakers", "--json").stdout)
                if row["name"] == "林美玲"]) == 1
    merges = json.loads(forum("speakers", "duplicates", "--json").stdout)["merges"]
    assert [(m["source_key"], m["actor"]) for m in merges] == [(registry.lin_new, "命令列")]
    assert forum("speakers", "unmerge", registry.lin_new).exit_code == 0
    assert list_speaker_merges() == []


# --- web pages --------------------------------------------------------------------------------

def page(response) -> str:
    """A response's page as text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def test_everyone_sees_the_registry_and_only_staff_the_contacts(client, registry):
    anonymous = page(client.get("/speakers/"))
    assert "王大明" in anonymous and "陳志強" in anonymous and "趙敏" not in anonymous
    assert WANG_PHONE not in anonymous and WANG_EMAIL not in anonymous
    assert "contacts=1" not in anonymous
    login(client, "staff")
    staff = page(client.get("/speakers/"))
    assert WANG_PHONE in staff and WANG_EMAIL in staff and "contacts=1" in staff


def test_the_page_searches_and_filters(client, registry):
    shown = page(client.get("/speakers/?q=台北"))
    assert "王大明" in shown and "林美玲" not in shown
    assert "符合「姓名或機關含「台北」」：1 位（全部 4 位）" in shown
    shown = page(client.get("/speakers/?field=環境保護&region=第一區&year=104"))
    assert "陳志強" in shown and "王大明" not in shown
    assert "沒有符合條件的師資" in page(client.get("/speakers/?year=101"))


def test_a_persons_page_links_their_cases(client, registry):
    key = speaker_key("王大明", "臺北市政府社會局")
    shown = page(client.get(f"/speakers/{key}"))
    assert f'/cases/{registry.cases.wang_103.id}"' in shown
    assert f'/cases/{registry.cases.wang_104.id}"' in shown
    assert "民國103、104年" in shown and WANG_PHONE not in shown
    assert client.get("/speakers/000000000000").status_code == 404


def test_downloads_give_the_public_version_unless_staff_ask(client, registry):
    public = read_rows(client.get("/speakers/registry.xlsx?contacts=1&q=王").data)
    assert public[0][-1] == "領域" and [row[0] for row in public[1:]] == ["王大明"]
    assert client.get("/speakers/registry.pdf").data.startswith(b"%PDF")
    login(client, "staff")
    response = client.get("/speakers/registry.xlsx?contacts=1")
    assert "%E5%85%A7%E9%83%A8%E7%89%88" in response.headers["Content-Disposition"]  # 內部版
    assert read_rows(response.data)[0][-1] == "電子郵件"
    assert read_rows(client.get("/speakers/registry.xlsx").data)[0][-1] == "領域"


def test_the_merge_page_is_for_staff_only(client, registry, make_user):
    assert client.get("/speakers/merge").status_code == 302  # to the sign-in page
    make_user("county", login="tnn", county="臺南市")
    login(client, "tnn")
    assert client.get("/speakers/merge").status_code == 403
    token = csrf_token(client, "/speakers/")
    assert client.post("/speakers/unmerge", data={"csrf_token": token,
                                                  "source": registry.lin_new}).status_code == 403


def test_staff_merge_through_the_page_and_undo(client, registry):
    login(client, "staff")
    shown = page(client.get("/speakers/merge"))
    assert "同名，服務機關不同（同縣市）" in shown and "林美玲（臺南市社會局）" in shown
    token = csrf_token(client, "/speakers/merge")
    pair = f"{registry.lin_new} {registry.lin_old}"
    refused = client.post("/speakers/merge", data={"csrf_token": token, "pair": pair,
                                                   "target": registry.lin_old, "reason": ""})
    assert refused.status_code == 400 and "請說明合併理由" in page(refused)
    done = client.post("/speakers/merge", data={"csrf_token": token, "pair": pair,
                                                "target": registry.lin_old, "reason": "簡寫"},
                       follow_redirects=True)
    assert "已將「林美玲（臺南市社會局）」併入「林美玲（臺南市政府社會局）」" in page(done)
    assert client.get(f"/speakers/{registry.lin_new}").location.endswith(
        f"/speakers/{registry.lin_old}")
    assert "民國102、104年" in page(client.get(f"/speakers/{registry.lin_old}"))

    undone = client.post("/speakers/unmerge", data={"csrf_token": token,
                                                    "source": registry.lin_new},
                         follow_redirects=True)
    assert "已取消合併：「林美玲（臺南市社會局）」恢復為獨立的一筆" in page(undone)
    assert client.get(f"/speakers/{registry.lin_new}").status_code == 200


def test_any_two_entries_merge_through_the_other_form(client, registry):
    login(client, "staff")
    chen = speaker_key("陳志強", "新北市政府環境保護局")
    token = csrf_token(client, "/speakers/merge")
    refused = client.post("/speakers/merge", data={"csrf_token": token, "source": chen,
                                                   "target": chen, "reason": "同一人"})
    assert refused.status_code == 400 and "不能將一筆師資合併到自己" in page(refused)
    assert client.post("/speakers/merge", data={"csrf_token": token, "source": registry.lin_old,
                                                "target": chen, "reason": "調任"}).status_code == 302
    assert get_speaker(registry.lin_old).key == chen
