"""The regional forum: programme template and times, each region's agenda, certificates."""
from __future__ import annotations

import html
import json
from datetime import date, time
from io import BytesIO

import pytest
from openpyxl import load_workbook

from helpers import csrf_token, login, needs_poppler, page_count, squeeze
from exports.agenda_workbook import build_agenda_workbook
from exports.programme import (build_certificates, build_programme_pdf, certificate_text,
                               region_agenda)
from kb.assignments import set_judge_profile
from kb.cases import PersonInput, set_case_presenter
from kb.editions import create_edition, edition_settings, get_edition
from kb.errors import PermissionDenied, ValidationError
from kb.models import AuditLog, Edition
from kb.programme import (PENDING, Speaker, certificate_count, certificate_list,
                          programme_settings, region_programme, save_programme_template,
                          save_region_venue, year_certificates)
from kb.schedule import schedule_times
from kb.selection import publish_results
from seeds import load_reference

REFERENCE = load_reference()["edition"]["programme"]
# The reference template from 13:30: 報到, 開幕致詞, 致贈標竿案例獎座, 3 × (發表, 與談), 茶敘暨
# 標竿案例展示, 綜合座談與意見回饋, 分組展示交流, 賦歸 (0 minutes).
REFERENCE_TIMES = [("13:30", "14:00"), ("14:00", "14:10"), ("14:10", "14:20"),
                   ("14:20", "14:40"), ("14:40", "14:50"), ("14:50", "15:10"),
                   ("15:10", "15:20"), ("15:20", "15:40"), ("15:40", "15:50"),
                   ("15:50", "16:10"), ("16:10", "16:30"), ("16:30", "17:00"), ("17:00", "17:00")]
FORUM_DAY = date(2015, 10, 2)  # a Friday


def clock_times(start: str, minutes: list[int]) -> list[tuple[str, str]]:
    """schedule_times with clock strings in and out."""
    return [(f"{a:%H:%M}", f"{b:%H:%M}")
            for a, b in schedule_times(time.fromisoformat(start), minutes)]


# --- times ------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, minutes, expected", [
    ("13:30", [item["minutes"] for item in REFERENCE["items"]], REFERENCE_TIMES),
    ("09:50", [5, 15, 45], [("09:50", "09:55"), ("09:55", "10:10"), ("10:10", "10:55")]),
    ("08:45", [15, 0, 60], [("08:45", "09:00"), ("09:00", "09:00"), ("09:00", "10:00")]),
    ("12:00", [0], [("12:00", "12:00")]),
    ("11:59", [1, 120], [("11:59", "12:00"), ("12:00", "14:00")]),
    ("23:30", [29], [("23:30", "23:59")]),
    ("00:00", [], []),
])
def test_rows_follow_one_another_from_the_start(start, minutes, expected):
    assert clock_times(start, minutes) == expected


def test_a_programme_cannot_run_past_the_end_of_its_day():
    with pytest.raises(ValueError):
        clock_times("23:30", [20, 10])


def test_the_reference_template_is_the_forums_afternoon():
    kinds = [item["kind"] for item in REFERENCE["items"]]
    assert kinds.count("case") == 3 and kinds.count("comments") == 3
    assert REFERENCE["items"][0]["title"] == "報到" and REFERENCE["items"][-1]["title"] == "賦歸"


# --- settings ---------------------------------------------------------------------------------

def test_a_year_created_before_templates_reads_the_reference_template(edition):
    Edition.update(settings={k: v for k, v in edition.settings.items() if k != "programme"}).where(
        Edition.year == 104).execute()
    settings = programme_settings(104)
    assert settings == {"start": "13:30", "items": REFERENCE["items"], "regions": {}}
    rows = region_programme(104, "第一區").rows
    assert [(f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in rows] == REFERENCE_TIMES
    create_edition(105, edition_settings(get_edition(104)))  # a copy keeps the template
    assert get_edition(105).settings["programme"]["items"] == REFERENCE["items"]
    wrong = {**edition_settings(get_edition(104)), "programme": {"start": "9點", "items": []}}
    with pytest.raises(ValidationError, match="議程範本：開始時間「9點」"):
        create_edition(106, wrong)


def rows_with(**changes) -> list[dict]:
    """The reference rows, with ``changes`` as {index: {key: value}} or drop=index."""
    rows = [dict(item) for item in REFERENCE["items"]]
    for index, values in changes.get("set", {}).items():
        rows[index].update(values)
    if "drop" in changes:
        del rows[changes["drop"]]
    return rows


@pytest.mark.parametrize("start, changes, field, message", [
    ("25:00", {}, "start", "開始時間「25:00」須為 24 小時制的「時:分」，例如 13:30"),
    ("下午", {}, "start", "開始時間「下午」須為 24 小時制"),
    ("13:30", {"set": {0: {"title": "  "}}}, "items.0.title", "第 1 列：議程名稱必須填寫"),
    ("13:30", {"set": {1: {"minutes": "-5"}}}, "items.1.minutes",
     "第 2 列：時間長度「-5」須為 0 以上的整數（分鐘）"),
    ("13:30", {"set": {2: {"minutes": "2.5"}}}, "items.2.minutes", "第 3 列：時間長度「2.5」"),
    ("13:30", {"set": {0: {"kind": "lunch"}}}, "items.0.kind", "第 1 列：類型「lunch」不存在"),
    ("22:00", {}, "items", "議程共 210 分鐘，自 22:00 開始將超過當日 23:59"),
    ("13:30", {"drop": 7}, "items", "議程須有 3 列「標竿案例發表」（每區標竿案例 3 件各發表一次），目前 2 列"),
])
def test_a_wrong_template_is_refused_naming_the_input(edition, start, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        save_programme_template(104, start, rows_with(**changes))
    assert [p.field for p in refused.value.problems] == [field]
    assert refused.value.problems[0].message.startswith(message)
    assert programme_settings(104)["start"] == "13:30"  # nothing written


def test_staff_save_a_template_typed_with_full_width_digits(edition, make_user):
    staff = make_user("staff")
    saved = save_programme_template(104, "１４：００", rows_with(set={0: {"minutes": "２０"}}),
                                    actor=staff)
    assert saved["start"] == "14:00" and saved["items"][0]["minutes"] == 20
    first = region_programme(104, "第一區").rows[0]
    assert (first.start, first.end) == (time(14, 0), time(14, 20))
    log = AuditLog.get(AuditLog.action == "save_programme_template")
    assert log.actor == staff.login and log.before["start"] == "13:30"
    with pytest.raises(PermissionDenied):
        save_programme_template(104, "13:30", rows_with(),
                                actor=make_user("county", county="臺北市"))


def test_a_regions_venue_and_date(edition):
    shown = region_programme(104, "第一區")
    assert (shown.venue, shown.date) == ("", None)
    save_region_venue(104, " 第一區", " 國立臺灣大學集思會議中心 ", "2015-10-02")
    shown = region_programme(104, "第一區")
    assert (shown.venue, shown.date) == ("國立臺灣大學集思會議中心", FORUM_DAY)
    assert region_programme(104, "第二區").venue == ""
    with pytest.raises(ValidationError, match="不是有效的日期"):
        save_region_venue(104, "第一區", "某地", "2015-13-01")
    with pytest.raises(ValidationError, match=r"須在民國104年或105年"):
        save_region_venue(104, "第一區", "某地", "2025-10-02")
    with pytest.raises(ValidationError, match="「第九區」不是民國104年的分區，可用：第一區、第二區、第三區"):
        region_programme(104, "第九區")


# --- a region's programme ---------------------------------------------------------------------

@pytest.fixture
def published(selected):
    """第一區 published: benchmark cases 甲 (臺北市), 戊 (新北市), 己 (桃園市) in final rank
    order, honourable mentions 乙 and 丁; judge01–03 on the on-site panel, two with titles."""
    set_judge_profile("judge01", title="教授", affiliation="甲大學公共行政學系")
    set_judge_profile("judge02", title="副教授", affiliation="乙大學")
    set_judge_profile("judge04", title="研究員", affiliation="丁研究院")  # not on site
    publish_results(104)
    return selected


def case_rows(region: str = "第一區"):
    return [row for row in region_programme(104, region).rows if row.kind == "case"]


def test_before_publication_the_case_slots_wait(selected):
    assert [row.subject for row in case_rows()] == [PENDING] * 3
    assert all(row.people == [] and row.case_id is None for row in case_rows())


def test_the_benchmark_cases_fill_the_slots_in_rank_order_with_their_presenters(published):
    rows = case_rows()
    assert [row.subject for row in rows] == ["臺北市〈甲〉", "新北市〈戊〉", "桃園市〈己〉"]
    assert [(f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in rows] == REFERENCE_TIMES[3:9:2]
    assert rows[0].role == "報告人"
    assert rows[0].people == [Speaker("王文彥", "臺北市政府科長")]  # the owner
    set_case_presenter(published["甲"], PersonInput(name="林佳慧", title="專門委員"))
    assert case_rows()[0].people == [Speaker("林佳慧", "臺北市政府專門委員")]
    assert [row.subject for row in case_rows("第二區")] == [PENDING] * 3


def test_the_regions_on_site_judges_comment(published):
    comments = [row for row in region_programme(104, "第一區").rows if row.kind == "comments"]
    assert len(comments) == 3 and {row.role for row in comments} == {"與談人"}
    assert comments[0].people == [Speaker("測試judge", "甲大學公共行政學系教授"),
                                  Speaker("測試judge", "乙大學副教授"), Speaker("測試judge")]
    assert [row for row in region_programme(104, "第二區").rows
            if row.kind == "comments"][0].people == []


@needs_poppler
def test_the_agenda_pdf_shows_times_cases_venue_and_date(published, truetype, poppler):
    save_region_venue(104, "第一區", "國立臺灣大學集思會議中心", FORUM_DAY)
    pdf = build_programme_pdf(region_agenda(region_programme(104, "第一區")))
    assert page_count(pdf) == 1
    text = poppler("pdftotext", pdf)
    for start, end in REFERENCE_TIMES[:-1]:
        assert f"{start}–{end}" in text
    flat = squeeze(text)
    assert "民國104年10月2日（星期五）" in flat and "國立臺灣大學集思會議中心" in flat
    assert "標竿案例發表（一）臺北市〈甲〉" in flat and "報告人：王文彥臺北市政府科長" in flat
    assert "與談人：測試judge甲大學公共行政學系教授" in flat and "丁研究院" not in flat
    second = region_agenda(region_programme(104, "第二區"))
    unset = squeeze(poppler("pdftotext", build_programme_pdf(second)))
    assert "日期：日期未定" in unset and "地點：地點未定" in unset and PENDING in unset


def test_the_agenda_workbook_holds_the_same_rows(published):
    save_region_venue(104, "第一區", "國立臺灣大學集思會議中心", FORUM_DAY)
    first = region_agenda(region_programme(104, "第一區"))
    sheet = load_workbook(BytesIO(build_agenda_workbook(first))).active
    assert sheet.title == "第一區議程"
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[2][0] == "日期：民國104年10月2日（星期五）"
    assert values[3][0] == "地點：國立臺灣大學集思會議中心"
    header = values.index(["時間", "議程", "主持人・報告人・與談人"])
    table = values[header + 1:]
    assert [row[0] for row in table] == [f"{a}–{b}" for a, b in REFERENCE_TIMES[:-1]] + ["17:00"]
    assert table[3][1] == "標竿案例發表（一）\n臺北市〈甲〉"
    assert table[3][2] == "報告人：\n王文彥　臺北市政府科長"
    assert sheet.page_setup.orientation == "portrait" and sheet.page_setup.fitToWidth == 1
    assert sheet[f"B{header + 5}"].alignment.wrap_text


# --- certificates -----------------------------------------------------------------------------

@needs_poppler
def test_one_certificate_per_published_winner_dated_the_regions_forum(published, truetype, poppler):
    save_region_venue(104, "第一區", "國立臺灣大學集思會議中心", FORUM_DAY)
    listed = certificate_list(104)
    assert [(c.case_title, c.award_label) for c in listed] == [
        ("甲", "標竿案例"), ("戊", "標竿案例"), ("己", "標竿案例"), ("乙", "佳作"), ("丁", "佳作")]
    assert certificate_count(104) == 5  # what the programme page says it will print
    forum_name, items = year_certificates(104)
    pdf = build_certificates(items, forum_name=forum_name, year=104)
    assert page_count(pdf) == 5
    first = squeeze(poppler("pdftotext", pdf, "-f", "1", "-l", "1"))
    assert "臺北市政府辦理〈甲〉，榮獲民國104年地方治理標竿論壇第一區標竿案例" in first
    assert "中華民國104年10月2日" in first
    last = squeeze(poppler("pdftotext", pdf, "-f", "5", "-l", "5"))
    assert squeeze(certificate_text(items[4], forum_name=forum_name, year=104)) in last
    assert "佳作" in last


def test_certificates_are_refused_while_a_winning_region_has_no_forum_date(published):
    assert {c.date for c in certificate_list(104)} == {None}  # never today
    with pytest.raises(ValidationError, match="第一區尚未設定成果分享日期"):
        year_certificates(104)
    save_region_venue(104, "第一區", "", "民國104年10月2日")
    assert {c.date for c in certificate_list(104)} == {FORUM_DAY}


def test_no_certificates_before_publication(selected):
    with pytest.raises(ValidationError, match="民國104年尚無已公布的標竿案例或佳作"):
        year_certificates(104)


# --- command line -----------------------------------------------------------------------------

def test_forum_agenda_writes_pdf_or_xlsx_by_suffix(published, forum, tmp_path):
    pdf, xlsx = tmp_path / "agenda.pdf", tmp_path / "議程.xlsx"
    result = forum("agenda", "--year", "104", "--region", " 第一區 ", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF") and "第一區議程" in result.stdout
    assert forum("agenda", "--year", "104", "--region", "第一區", "-o", str(xlsx)).exit_code == 0
    assert load_workbook(xlsx).active["A1"].value == "地方治理標竿論壇"
    wrong = forum("agenda", "--year", "104", "--region", "第一區", "-o", str(tmp_path / "a.docx"))
    assert wrong.exit_code == 1 and "須為 .pdf 或 .xlsx" in wrong.stderr
    unknown = forum("agenda", "--year", "104", "--region", "第九區", "-o", str(pdf))
    assert unknown.exit_code == 1 and "可用：第一區、第二區、第三區" in unknown.stderr


def test_forum_agenda_template_and_venue(edition, forum, tmp_path):
    shown = json.loads(forum("agenda", "template", "--year", "104", "--json").stdout)
    assert shown["start"] == "13:30" and shown["items"] == REFERENCE["items"]
    shown["start"] = "14:00"
    source = tmp_path / "template.json"
    source.write_text(json.dumps(shown, ensure_ascii=False), "utf-8")
    result = forum("agenda", "template", "--year", "104", "--load", str(source))
    assert result.exit_code == 0 and result.stdout.startswith("14:00–14:30  報到")
    assert forum("agenda", "venue", "--year", "104", "--region", "第二區", "--venue", "臺中市政府",
                 "--date", "2015-10-09").exit_code == 0
    place = region_programme(104, "第二區")
    assert (place.venue, place.date) == ("臺中市政府", date(2015, 10, 9))


def test_forum_certificates(selected, forum, tmp_path):
    output = tmp_path / "certificates.pdf"
    before = forum("certificates", "--year", "104", "-o", str(output))
    assert before.exit_code == 1 and "尚無已公布" in before.stderr and not output.exists()
    publish_results(104)
    undated = forum("certificates", "--year", "104", "-o", str(output))
    assert undated.exit_code == 1 and "尚未設定成果分享日期" in undated.stderr
    save_region_venue(104, "第一區", "", FORUM_DAY)
    result = forum("certificates", "--year", "104", "-o", str(output))
    assert result.exit_code == 0 and "獎狀 5 張" in result.stdout


# --- the staff page ---------------------------------------------------------------------------

PAGE = "/programme/104/"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def template_form(client, *, start="13:30", rows=None, op="save") -> dict:
    rows = REFERENCE["items"] if rows is None else rows
    return {"csrf_token": csrf_token(client, PAGE), "start": start, "op": op,
            **{key: [str(row[key]) for row in rows] for key in ("kind", "title", "minutes", "people")}}


def test_staff_save_the_template_and_see_the_times_recomputed(client, published, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    page = text_of(client.get(PAGE))
    assert "14:20–14:40" in page and "臺北市〈甲〉" in page and "地點未定" in page
    response = client.post(f"{PAGE}template", data=template_form(client, start="14:00"))
    assert response.status_code == 302
    page = text_of(client.get(PAGE))
    assert "14:00–14:30" in page and "14:50–15:10" in page and "17:30" in page
    assert "14:20–14:40" not in page


def test_row_buttons_rearrange_the_typed_rows_without_saving(client, edition, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    added = client.post(f"{PAGE}template", data=template_form(client, op="add"))
    assert added.status_code == 200 and "尚未儲存" in text_of(added)
    assert 'id="item-13-title"' in text_of(added) and "autofocus" in text_of(added)
    moved = client.post(f"{PAGE}template", data=template_form(client, op="up-1"))
    titles = [row["title"] for row in REFERENCE["items"]]
    page = text_of(moved)
    assert page.index(f'value="{titles[1]}"') < page.index(f'value="{titles[0]}"')
    removed = client.post(f"{PAGE}template", data=template_form(client, op="remove-12"))
    assert 'id="item-12-title"' not in text_of(removed)
    assert programme_settings(104)["items"] == REFERENCE["items"]  # none of it saved


def test_a_refused_template_shows_each_message_beside_its_input(client, edition, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    response = client.post(f"{PAGE}template", data=template_form(
        client, start="25:00", rows=rows_with(set={1: {"minutes": "x"}})))
    page = text_of(response)
    assert response.status_code == 400 and "議程範本未儲存" in page
    assert 'href="#start"' in page and 'href="#item-1-minutes"' in page
    assert "第 2 列：時間長度「x」須為 0 以上的整數（分鐘）" in page


def test_staff_set_a_venue_and_a_presenter_on_the_page(client, published, make_user):
    make_user("staff", login="staff")
    login(client, "staff")
    token = csrf_token(client, PAGE)
    saved = client.post(f"{PAGE}venue", data={"csrf_token": token, "region": "第一區",
                                               "venue": "集思會議中心", "date": "104/10/02"})
    assert saved.status_code == 302
    shown = text_of(client.get(PAGE))
    assert "民國104年10月2日（星期五）・集思會議中心" in shown and 'value="104/10/02"' in shown
    bad = client.post(f"{PAGE}venue", data={"csrf_token": token, "region": "第一區",
                                             "venue": "集思會議中心", "date": "2025-10-02"})
    assert bad.status_code == 400 and "日期須在民國104年或105年" in text_of(bad)
    case_id = published["戊"]
    named = client.post(f"{PAGE}cases/{case_id}/presenter",
                        data={"csrf_token": token, "name": "陳志明", "title": "專員"})
    assert named.status_code == 302 and "陳志明　新北市政府專員" in text_of(client.get(PAGE))
    back = client.post(f"{PAGE}cases/{case_id}/presenter", data={"csrf_token": token, "name": ""})
    assert back.status_code == 302 and "陳志明" not in text_of(client.get(PAGE))
    pdf = client.get("/programme/104/第一區/agenda.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get("/programme/104/第一區/agenda.xlsx")
    assert load_workbook(BytesIO(xlsx.data)).active.title == "第一區議程"
    assert client.get("/programme/104/第九區/agenda.pdf").status_code == 404
    certificates = client.get("/programme/104/certificates.pdf")
    assert certificates.status_code == 200 and certificates.data.startswith(b"%PDF")


def test_only_staff_use_the_page(client, edition, make_user):
    assert client.get(PAGE).status_code == 302  # to the login page
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    assert client.get(PAGE).status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"{PAGE}template", data={"csrf_token": token, "start": "08:00"}).status_code == 403
    assert client.get("/programme/104/certificates.pdf").status_code == 403
    assert programme_settings(104)["start"] == "13:30"


def test_demo_venues_are_weekdays_of_the_forums_october(edition):
    from seeds.demo_programme import set_demo_venues

    set_demo_venues([104])
    days = [region_programme(104, region).date for region in ("第一區", "第二區", "第三區")]
    assert days == [date(2015, 10, 14), date(2015, 10, 15), date(2015, 10, 16)]
    assert region_programme(104, "第三區").venue == "國立成功大學成功會館"


def test_the_on_site_panel_is_read_in_one_statement_however_many_judges(selected):
    """The programme and assignment pages list each region's panel: its judges and their
    regions come in one statement, not one more per judge."""
    from kb.assignments import panel_members
    from kb.querylog import counted_queries
    from kb.reading import one_reading
    from kb.stages import get_stage

    with one_reading():
        get_stage(104, "onsite")  # the stage, read once per page
        with counted_queries() as statements:
            panel = panel_members(104, "onsite")
    assert [judge.login for judge in panel["第一區"]] == ["judge01", "judge02", "judge03"]
    assert len(statements) == 1
