"""The 評分總表 (issue 20): numbers against a scenario, 序位法, an override, codes and names, marked
differences that must be handled before printing, absent judges, and the PDF read back."""
from __future__ import annotations

import json
import re
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from helpers import PASSWORD, case_input, csrf_token, login, needs_poppler, squeeze
from exports.minutes import build_code_key_pdf, build_minutes_pdf, build_minutes_workbook
from kb.assignments import assign_onsite, assign_screening, list_assignments
from kb.case_codes import case_code
from kb.cases import create_case
from kb.editions import get_edition
from kb.errors import ValidationError
from kb.minutes import judge_code_key, minutes_record, record_handling, record_session
from kb.scores import ScoreEntry, record_scores
from kb.selection import confirm_nominations, override_outcome
from kb.stages import set_stage_state
from kb.users import add_user

POINTS = (("創新度", 20), ("完整度", 20), ("困難度", 15), ("效益性", 20), ("應用性", 25))
JUDGES = {"judge01": "王大明", "judge02": "李小華", "judge03": "陳志強"}
SCREENING = {"甲": 80, "乙": 82, "丙": 75, "丁": 70}  # every screening judge gives the same
# On site judge03 puts 甲 last with 60: 19.33 below its mean 79.33, and his ranking
# (乙 丙 丁 甲) correlates −0.2 with the others' (甲 乙 丙 丁).
ONSITE = {"judge01": {"甲": 90, "乙": 84, "丙": 80, "丁": 70},
          "judge02": {"甲": 88, "乙": 86, "丙": 78, "丁": 72},
          "judge03": {"甲": 60, "乙": 85, "丙": 79, "丁": 71}}
COUNTIES = {"甲": "臺北市", "乙": "新北市", "丙": "桃園市", "丁": "基隆市"}


def criteria_for(total: int) -> dict[str, float]:
    """Criterion scores adding up to ``total``: each criterion full until the total is used."""
    scores, left = {}, total
    for name, points in POINTS:
        scores[name] = min(points, left)
        left -= scores[name]
    return scores


def score(key: str, total_of) -> None:
    stage = set_stage_state(104, key, "open")
    record_scores([ScoreEntry(a.judge.login, a.case_id, criteria_for(total_of(a)))
                   for a in list_assignments(104, key)], stage=stage, submit=True)
    set_stage_state(104, key, "close")


@pytest.fixture
def scenario(edition):
    for account, name in JUDGES.items():
        add_user(account, role="judge", name=name, password=PASSWORD)
    ids = {title: create_case(104, case_input(title=f"案例{title}", county=county,
                                              agency=f"{county}政府")).id
           for title, county in COUNTIES.items()}
    titles = {case_id: title for title, case_id in ids.items()}
    assign_screening(104)
    score("screening", lambda a: SCREENING[titles[a.case_id]])
    confirm_nominations(104)
    assign_onsite(104, region="第一區", judges=list(JUDGES))
    score("onsite", lambda a: ONSITE[a.judge.login][titles[a.case_id]])
    override_outcome(104, ids["丙"], "honourable", reason="評審會議決議")
    return SimpleNamespace(ids=ids)


def handle_all(scenario):
    record_handling(104, "onsite", "第一區", f"points:{scenario.ids['甲']}:judge03", "請委員複評")
    record_handling(104, "onsite", "第一區", "ranking:judge03", "其他", note="委員說明後維持")


def test_the_record_against_the_scenario(scenario):
    """Finals 0.4 × screening + 0.6 × on-site mean: 乙 32.8 + 51 = 83.8, 甲 32 + 47.6 = 79.6,
    丙 30 + 47.4 = 77.4, 丁 28 + 42.6 = 70.6; three benchmarks, but staff made 丙 佳作."""
    handle_all(scenario)
    [session] = minutes_record(104, "onsite", "第一區").sessions
    ids = scenario.ids
    assert [row.case_id for row in session.rows] == [ids["乙"], ids["甲"], ids["丙"], ids["丁"]]
    first = session.rows[1]
    assert first.marks == {"judge01": 90, "judge02": 88, "judge03": 60}
    assert first.score == pytest.approx(238 / 3) and first.final == pytest.approx(79.6)
    assert first.preliminary == 80  # the 書面篩選 score beside it
    assert [(row.rank, row.outcome) for row in session.rows] == [
        (1, "標竿案例"), (2, "標竿案例"), (3, "佳作"), (4, "佳作")]
    assert "主辦機關改列為佳作（評審會議決議）" in session.rows[2].reason
    assert session.overrides == [f"案例 {case_code(ids['丙'])}〈案例丙〉：主辦機關改列為佳作（評審會議決議，命令列）"]
    assert [d.text for d in session.differences] == [
        f"案例 {case_code(ids['甲'])}〈案例甲〉：陳志強的總分低於全體平均 19.33 分",
        "陳志強的排序與其他委員的相關係數為 -0.20"]
    assert [(d.handling, d.note) for d in session.differences] == [
        ("請委員複評", ""), ("其他", "委員說明後維持")]


def test_under_rank_each_judge_marks_their_rank_and_the_classic_rank_sum_is_shown(
        scenario, client, make_user):
    """Every judge scored every case: judge03 ranks 甲 4th; 甲's percentiles 100, 100, 0."""
    edition = get_edition(104)
    edition.settings = {**edition.settings, "aggregation": "rank"}
    edition.save()
    handle_all(scenario)
    record = minutes_record(104, "onsite", "第一區")
    assert (record.method_name, record.marks_label) == ("序位法", "序位")
    row = next(r for r in record.sessions[0].rows if r.case_id == scenario.ids["甲"])
    assert row.marks == {"judge01": 1, "judge02": 1, "judge03": 4}
    assert (row.score, row.rank_sum, row.mean_rank) == (pytest.approx(200 / 3), 6, 2)
    workbook = load_workbook(BytesIO(build_minutes_workbook(record)))
    rows = list(workbook["第一區"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "名次")
    assert header[4:9] == ("王大明", "李小華", "陳志強", "階段成績（序位法）", "序位和")
    values = next(r for r in rows if r and r[1] == scenario.ids["甲"])
    assert values[4:10] == (1, 1, 4, 66.67, 6, 2)
    make_user("staff", login="staff")
    login(client, "staff")
    page = client.get("/selection/104/").get_data(as_text=True)
    assert "階段成績的彙整方式：<strong>序位法</strong>" in page
    assert "序位和 6／序位平均 2" in page  # 甲 on site, where every judge scored every case


def test_printing_is_refused_until_every_marked_difference_is_handled(scenario, forum, tmp_path):
    output = tmp_path / "總表.pdf"
    refused = forum("minutes", "--year", "104", "--stage", "onsite", "--region", "第一區",
                    "-o", str(output))
    assert refused.exit_code == 1 and not output.exists()
    assert "案例甲" in refused.output and "尚未記錄處置方式" in refused.output
    with pytest.raises(ValidationError, match="須說明"):
        record_handling(104, "onsite", "第一區", "ranking:judge03", "其他")
    with pytest.raises(ValidationError, match="不是本場次列出的評分差異"):
        record_handling(104, "onsite", "第一區", "ranking:judge01", "維持原評分")
    record_handling(104, "onsite", "第一區", f"points:{scenario.ids['甲']}:judge03", "維持原評分")
    with pytest.raises(ValidationError, match="陳志強的排序"):
        minutes_record(104, "onsite", "第一區")
    assert forum("minutes", "handle", "--year", "104", "--stage", "onsite", "--region", "第一區",
                 "--subject", "ranking:judge03", "--handling", "提會討論後維持").exit_code == 0
    done = forum("minutes", "--year", "104", "--stage", "onsite", "--region", "第一區",
                 "-o", str(output))
    assert done.exit_code == 0, done.output
    assert output.read_bytes().startswith(b"%PDF")


def pdf_text(pdf: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


def test_codes_replace_names_and_the_key_is_printed_apart(scenario, truetype):
    handle_all(scenario)
    named = pdf_text(build_minutes_pdf(minutes_record(104, "onsite", "第一區")))
    coded_record = minutes_record(104, "onsite", "第一區", by_code=True)
    coded = pdf_text(build_minutes_pdf(coded_record))
    assert all(name in named for name in JUDGES.values())
    assert not any(name in coded for name in JUDGES.values())
    codes = {judge.label for judge in coded_record.sessions[0].judges}
    assert codes == {"委員A", "委員B", "委員C"} and all(code in coded for code in codes)
    key = judge_code_key(104, "onsite")
    assert {name for _, name, _ in key} == set(JUDGES.values())
    assert {code for code, _, _ in key} == codes
    assert minutes_record(104, "onsite", "第一區", by_code=True) == coded_record  # codes kept
    printed = pdf_text(build_code_key_pdf(104, "分區評選", key))
    assert "委員代號對照表" in printed and all(name in printed for name in JUDGES.values())


def test_an_absent_judge_is_marked_and_does_not_sign(scenario, truetype):
    handle_all(scenario)
    record_session(104, "onsite", "第一區", held_on="2015-10-02", venue="臺北市政府大禮堂",
                   absent=["judge02"])
    [session] = minutes_record(104, "onsite", "第一區").sessions
    assert [(j.label, j.present) for j in session.judges] == [
        ("王大明", True), ("李小華", False), ("陳志強", True)]
    text = pdf_text(build_minutes_pdf(minutes_record(104, "onsite", "第一區")))
    assert "日期：2015-10-02" in text and "地點：臺北市政府大禮堂" in text
    assert "出席委員：王大明、陳志強缺席委員：李小華" in text
    signatures = text.split("出席委員簽名（或蓋章）")[1]
    assert "王大明：" in signatures and "陳志強：" in signatures and "李小華" not in signatures
    assert "承辦人：" in signatures
    with pytest.raises(ValidationError, match="不是本場次指派的評審"):
        record_session(104, "onsite", "第一區", absent=["judge09"])


@needs_poppler
def test_the_pdf_embeds_its_font_and_numbers_pages_per_region(scenario, truetype, poppler):
    """Every region gets its own page group: 第一區 has the cases, 第二區 and 第三區 none."""
    handle_all(scenario)
    pdf = build_minutes_pdf(minutes_record(104, "onsite"))
    fonts = poppler("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # emb column
    pages = [squeeze(page) for page in poppler("pdftotext", pdf).split("\f") if page.strip()]
    groups = []  # (region, pages) in order: a page with a title starts a group
    for page in pages:
        title = re.search(r"評分總表（(第.區)）", page)
        if title:
            groups.append((title.group(1), []))
        groups[-1][1].append(page)
    assert [region for region, _ in groups] == ["第一區", "第二區", "第三區"]
    for _, group in groups:
        count = len(group)
        assert [re.search(r"第(\d+)頁，共(\d+)頁", page).groups() for page in group] == [
            (str(n), str(count)) for n in range(1, count + 1)]
    assert "案例甲" in groups[0][1][0] and "案例甲" not in groups[1][1][0]


def test_the_screening_record_covers_every_case(scenario):
    [session] = minutes_record(104, "screening").sessions
    assert session.region == "" and session.differences == []
    assert [row.outcome for row in session.rows] == ["提名分區評選"] * 4
    assert [row.score for row in session.rows] == [82, 80, 75, 70]
    workbook = load_workbook(BytesIO(build_minutes_workbook(minutes_record(104, "screening"))))
    assert workbook.sheetnames == ["全部案例"]


def test_staff_handle_differences_and_download_from_the_selection_page(scenario, client,
                                                                      make_user):
    make_user("staff", login="staff")
    make_user("county", login="tpe", county="臺北市")
    login(client, "tpe")
    assert client.get("/selection/104/minutes/onsite").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/selection/104/")})
    login(client, "staff")
    assert "/selection/104/minutes/onsite" in client.get("/selection/104/").get_data(as_text=True)
    url = "/selection/104/minutes/onsite"
    text = client.get(url).get_data(as_text=True)
    assert "陳志強的排序與其他委員的相關係數為 -0.20" in text and "尚未記錄" in text
    refused = client.get(f"{url}/minutes.pdf?region=第一區")
    assert refused.status_code == 400 and "尚未記錄處置方式" in refused.get_data(as_text=True)
    token = csrf_token(client, url)
    for subject in (f"points:{scenario.ids['甲']}:judge03", "ranking:judge03"):
        answer = client.post(f"{url}/handling", data={"csrf_token": token, "region": "第一區",
                                                     "subject": subject, "handling": "維持原評分"})
        assert answer.status_code == 302
    answer = client.post(f"{url}/session", data={"csrf_token": token, "region": "第一區",
                                                 "held_on": "2015-10-02", "venue": "市府大禮堂",
                                                 "absent": ["judge02"]})
    assert answer.status_code == 302
    pdf = client.get(f"{url}/minutes.pdf?region=第一區&codes=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "李小華" not in pdf_text(pdf.data)
    sheet = client.get(f"{url}/minutes.xlsx")
    assert load_workbook(BytesIO(sheet.data)).sheetnames == ["第一區", "第二區", "第三區"]
    assert "王大明" in pdf_text(client.get(f"{url}/key.pdf").data)


def test_the_demos_judged_years_print_their_tables(db):
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)
    for key in ("screening", "onsite"):
        for session in minutes_record(103, key, for_print=False).sessions:
            for difference in session.differences:
                record_handling(103, key, session.region or None, difference.subject,
                                "提會討論後維持")
        record = minutes_record(103, key)
        assert all(session.rows for session in record.sessions)
        assert build_minutes_pdf(record).startswith(b"%PDF")
        assert load_workbook(BytesIO(build_minutes_workbook(record))).sheetnames


def test_the_command_line_lists_differences_and_prints_by_code_with_the_key_apart(scenario, forum,
                                                                                  tmp_path):
    listed = forum("minutes", "differences", "--year", "104", "--stage", "onsite", "--region",
                   "第一區", "--json")
    assert listed.exit_code == 0, listed.output
    subjects = [row["subject"] for row in json.loads(listed.stdout)]
    assert subjects == [f"points:{scenario.ids['甲']}:judge03", "ranking:judge03"]
    for subject in subjects:
        assert forum("minutes", "handle", "--year", "104", "--stage", "onsite", "--region",
                     "第一區", "--subject", subject, "--handling", "維持原評分").exit_code == 0
    assert forum("minutes", "session", "--year", "104", "--stage", "onsite", "--region", "第一區",
                 "--date", "2015-10-02", "--absent", "judge03").exit_code == 0
    table, key = tmp_path / "總表.xlsx", tmp_path / "key.pdf"
    done = forum("minutes", "--year", "104", "--stage", "onsite", "--codes", "-o", str(table))
    assert done.exit_code == 0, done.output
    cells = {str(value) for sheet in load_workbook(table).worksheets
             for row in sheet.iter_rows(values_only=True) for value in row if value is not None}
    assert not any(name in cell for cell in cells for name in JUDGES.values())
    assert any("委員A" in cell for cell in cells) and any("（缺席）" in cell for cell in cells)
    assert forum("minutes", "--year", "104", "--stage", "onsite", "--key", "-o",
                 str(key)).exit_code == 0
    assert "陳志強" in pdf_text(key.read_bytes())
