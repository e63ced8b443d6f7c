"""The participant questionnaire (成效評量): anonymous answers once per device, statistics
against a table of numbers, paper answers, the report and the charts."""
from __future__ import annotations

import json
from io import BytesIO
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from helpers import csrf_token, login, needs_poppler, page_count, squeeze
from exports.survey import answers_workbook, build_survey_report, chart_svg, read_paper_answers
from kb.errors import NotFound, ValidationError
from kb.querylog import counted_queries
from kb.survey import (DEFAULT_QUESTIONS, check_questions, copy_survey, import_paper_answers,
                       record_paper_answers,
                       response_counts, save_survey, submit_answers, submit_device_answers,
                       survey_links, survey_results)

QUESTIONS = [{"key": "q1", "kind": "rating", "text": "整體滿意度"},
             {"key": "q2", "kind": "single", "text": "最想帶回的作法", "options": ["跨域合作", "數位應用"]},
             {"key": "q3", "kind": "multiple", "text": "得知管道", "options": ["公文", "網站", "同仁"]},
             {"key": "q4", "kind": "open", "text": "心得與建議"}]


@pytest.fixture
def survey(edition):
    save_survey(104, title="成效評量", intro="", questions=QUESTIONS)
    return survey_links(104)


@pytest.mark.parametrize("questions, message", [
    ([], "至少要有一題"),
    ([{"kind": "essay", "text": "題目"}], "題型須為"),
    ([{"kind": "rating", "text": ""}], "題目須填寫"),
    ([{"kind": "single", "text": "選一個", "options": ["只有一個"]}], "2 至 10 個選項"),
    ([{"kind": "single", "text": "選一個", "options": ["甲", "甲"]}], "選項重複"),
    ([{"key": "a", "kind": "open", "text": "一"}, {"key": "a", "kind": "open", "text": "二"}], "代號 a 重複"),
    ([{"kind": "open", "text": f"題{n}"} for n in range(31)], "最多 30 題"),
])
def test_bad_questions_are_refused_with_the_question_named(questions, message):
    assert any(message in p.message for p in check_questions(questions)[1])


def test_the_statistics_against_a_table(survey):
    region1, region2 = list(survey)[:2]
    answers = [(region1, {"q1": 5, "q2": "跨域合作", "q3": ["公文", "網站"], "q4": "跨域合作的案例很實用"}),
               (region1, {"q1": 4, "q2": "數位應用", "q3": ["公文"]}),
               (region1, {"q1": 4, "q4": "希望增加數位應用的案例"}),
               (region2, {"q1": 2, "q2": "跨域合作", "q3": ["同仁"]}),
               (region2, {"q4": "時間太短"})]
    for n, (region, given) in enumerate(answers):
        submit_answers(survey[region], given, device_token=f"device-{n}")
    _, regions, results = survey_results(104)
    q1, q2, q3, q4 = results
    assert (q1.count, q1.mean) == (4, 3.75)
    assert q1.means_by_region[region1] == pytest.approx(4.33, abs=0.005)
    assert q1.means_by_region[region2] == 2.0 and q1.means_by_region[regions[2]] is None
    assert q1.counts == {"非常滿意": 1, "滿意": 2, "普通": 0, "不滿意": 1, "非常不滿意": 0}
    assert q2.by_region[region1] == {"跨域合作": 1, "數位應用": 1}
    assert q2.by_region[region2] == {"跨域合作": 1, "數位應用": 0}
    assert (q3.count, q3.counts) == (3, {"公文": 2, "網站": 1, "同仁": 1})
    assert q4.count == 3 and (region2, "時間太短") in q4.texts
    assert ("案例", 2) in q4.words
    assert response_counts(104) == {region1: 3, region2: 2, regions[2]: 0}


def test_one_answer_per_device_and_bad_answers(survey):
    token = next(iter(survey.values()))
    submit_answers(token, {"q1": 5}, device_token="phone-a")
    with pytest.raises(ValidationError, match="這個裝置已經填答過"):
        submit_answers(token, {"q1": 3}, device_token="phone-a")
    submit_answers(token, {"q1": 3}, device_token="phone-b")
    for bad, message in [({"q1": 6}, "請選 1 至 5 分"), ({"q2": "其他"}, "請從選項中選一個"),
                         ({"q3": ["公文", "電視"]}, "請從選項中勾選"), ({}, "請至少回答一題")]:
        with pytest.raises(ValidationError, match=message):
            submit_answers(token, bad, device_token="phone-c")
    with pytest.raises(NotFound):
        submit_answers("no-such-link", {"q1": 5}, device_token="phone-d")



def test_many_devices_answers_at_once_all_or_nothing(survey):
    region1, region2 = list(survey)[:2]
    submit_answers(survey[region1], {"q1": 5}, device_token="phone-a")
    for answered, message in [([("phone-b", {"q1": 4}), ("phone-a", {"q1": 3})], "這個裝置已經填答過"),
                              ([("phone-b", {"q1": 4}), ("phone-b", {"q1": 3})], "第2份：同一個裝置"),
                              ([("phone-b", {"q1": 4}), ("phone-c", {"q1": 9})], "第2份：第1題：請選 1 至 5 分")]:
        with pytest.raises(ValidationError, match=message):
            submit_device_answers(survey[region1], answered)
    assert response_counts(104)[region1] == 1  # nothing of a refused batch is kept
    assert submit_device_answers(survey[region2], [("phone-b", {"q1": 4, "q2": "數位應用"}),
                                                   ("phone-c", {"q3": ["網站", "公文"]})]) == 2
    _, _, (q1, q2, q3, _) = survey_results(104)
    assert q1.by_region[region2]["滿意"] == 1 and q2.counts["數位應用"] == 1
    assert q3.counts == {"公文": 1, "網站": 1, "同仁": 0}
    with pytest.raises(ValidationError, match="這個裝置已經填答過"):
        submit_answers(survey[region2], {"q1": 1}, device_token="phone-c")

def test_answers_fix_the_structure_but_not_the_wording(survey):
    submit_answers(next(iter(survey.values())), {"q1": 5}, device_token="x")
    reworded = [dict(q) for q in QUESTIONS]
    reworded[0]["text"] = "整體而言的滿意度"
    assert save_survey(104, title="成效評量", intro="", questions=reworded).questions[0]["text"] == "整體而言的滿意度"
    with pytest.raises(ValidationError, match="已有 1 份填答"):
        save_survey(104, title="成效評量", intro="", questions=QUESTIONS[:2])


def test_copy_from_default_and_paper_answers(edition, make_user):
    made = copy_survey(104)
    assert [q["key"] for q in made.questions] == [q["key"] for q in DEFAULT_QUESTIONS]
    staff = make_user("staff")
    region = next(iter(survey_links(104)))
    record_paper_answers(104, region, {"q1": "4", "q6": "紙本意見"}, actor=staff)
    _, _, results = survey_results(104)
    assert results[0].count == 1 and results[-1].texts == [(region, "紙本意見")]
    with pytest.raises(ValidationError, match="沒有分區"):
        record_paper_answers(104, "第九區", {"q1": 4}, actor=staff)


def test_the_chart_is_an_svg_with_a_bar_per_answer(survey):
    region = next(iter(survey))
    submit_answers(survey[region], {"q1": 5, "q2": "跨域合作"}, device_token="a")
    _, regions, results = survey_results(104)
    svg = ElementTree.fromstring(chart_svg(results[0], regions))
    texts = "".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "非常滿意" in texts and region in texts


@needs_poppler
def test_the_report_pdf_has_numbers_charts_and_open_answers(survey, poppler, truetype):
    tokens = list(survey.values())
    for n in range(3):
        submit_answers(tokens[n], {"q1": 5 - n, "q4": f"建議增加第{n}場的交流時間"}, device_token=f"d{n}")
    made, regions, results = survey_results(104)
    pdf = build_survey_report(made.title, 104, regions, response_counts(104), results)
    text = squeeze(poppler("pdftotext", pdf))
    assert "成效評量報告" in text and "平均4.00分" in text and "非常滿意" in text
    assert "建議增加第0場的交流時間" in text and "合計3份" in text
    assert page_count(pdf) >= 1


def test_answer_from_the_link_on_a_phone_and_staff_see_the_result(client, survey, make_user):
    token = next(iter(survey.values()))
    url = f"/s/{token}"
    page = client.get(url).get_data(as_text=True)
    assert "整體滿意度" in page and "非常滿意" in page
    bad = client.post(url, data={"csrf_token": csrf_token(client, url), "q1": "9"})
    assert bad.status_code == 400 and "請選 1 至 5 分" in bad.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "q1": "5",
                                  "q3": ["公文", "網站"], "q4": "很有收穫"})
    assert done.status_code == 200 and "感謝您的填答" in done.get_data(as_text=True)
    assert "已經填答過" in client.get(url).get_data(as_text=True)
    assert client.get("/s/not-a-token").status_code == 404

    make_user("staff", login="staff1")
    login(client, "staff1")
    results = client.get("/survey/104/").get_data(as_text=True)
    assert "共 1 份" in results and "平均 5.00 分" in results and "很有收穫" in results
    assert client.get("/survey/104/charts/q1.svg").mimetype == "image/svg+xml"
    assert client.get("/survey/104/charts/q4.svg").status_code == 404
    region = next(iter(survey))
    assert b"<svg" in client.get(f"/survey/104/qr/{region}.svg").get_data()


def test_the_results_page_reads_the_same_statements_for_more_answers_and_writes_nothing(
        client, survey, make_user):
    """Its links made (the fixture), the results page only reads: it never waits for a turn to
    write behind the forum's writers; and ten times the answers are not more statements."""
    region = next(iter(survey))
    make_user("staff", login="staff1")
    login(client, "staff1")
    counts, total = [], 0
    for more in (1, 10):
        for n in range(more):
            record_paper_answers(104, region, {"q1": "4", "q4": f"第{total + n}份心得"})
        total += more
        client.get("/survey/104/")  # warm: first-use caches are not rows
        with counted_queries() as statements:
            page = client.get("/survey/104/").get_data(as_text=True)
        assert f"共 {total} 份" in page and f"第{total - 1}份心得" in page
        assert not [sql for sql in statements if sql.startswith(("BEGIN", "INSERT", "UPDATE"))]
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_staff_edit_questions_on_the_web(client, edition, make_user):
    make_user("staff", login="staff1")
    login(client, "staff1")
    assert "尚未設定問卷" in client.get("/survey/104/").get_data(as_text=True)
    client.post("/survey/104/copy", data={"csrf_token": csrf_token(client, "/survey/104/")})
    url = "/survey/104/edit"
    bad = client.post(url, data={"csrf_token": csrf_token(client, url), "rows": "1",
                                 "kind-0": "single", "text-0": "選一個", "options-0": "甲"})
    assert bad.status_code == 400 and "2 至 10 個選項" in bad.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "rows": "2",
                                  "kind-0": "single", "text-0": "選一個", "options-0": "甲、乙",
                                  "kind-1": "open", "text-1": "建議"}, follow_redirects=True)
    assert "已儲存成效評量問卷" in done.get_data(as_text=True)


def test_cli_setup_links_and_results(forum, edition, tmp_path):
    spec = tmp_path / "survey.json"
    spec.write_text(json.dumps({"title": "問卷", "questions": QUESTIONS}), encoding="utf-8")
    assert forum("survey", "setup", "--year", "104", "--load", str(spec)).exit_code == 0
    links = json.loads(forum("survey", "links", "--year", "104", "--json").output)
    token = next(iter(links.values())).rsplit("/", 1)[1]
    submit_answers(token, {"q1": 4}, device_token="cli")
    data = json.loads(forum("survey", "results", "--year", "104", "--json").output)
    assert data["questions"][0]["mean"] == 4.0
    out = tmp_path / "report.pdf"
    assert forum("survey", "results", "--year", "104", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")


@needs_poppler
def test_the_programme_carries_the_questionnaires_qr_code(client, survey, make_user, poppler, truetype):
    make_user("staff", login="staff1")
    login(client, "staff1")
    region, token = next(iter(survey.items()))
    pdf = client.get(f"/programme/104/{region}/agenda.pdf").get_data()
    assert f"http://localhost/s/{token}" in squeeze(poppler("pdftotext", pdf))
    assert "成效評量問卷" in squeeze(poppler("pdftotext", pdf))


def test_paper_answers_from_excel_all_or_nothing(survey, make_user):
    staff = make_user("staff")
    region = next(iter(survey))
    book = load_workbook(BytesIO(answers_workbook(QUESTIONS, [])))
    sheet = book.active
    sheet.append([region, "", "", "非常滿意", "跨域合作", "公文、網站", "紙本心得"])
    sheet.append([region, "", "", 3, "", "", ""])
    good = BytesIO()
    book.save(good)
    assert len(import_paper_answers(104, read_paper_answers(good.getvalue(), QUESTIONS), actor=staff)) == 2
    _, _, results = survey_results(104)
    assert results[0].mean == 4.0 and results[2].counts["網站"] == 1
    sheet.append(["第九區", "", "", 5, "", "", ""])
    sheet.append([region, "", "", 7, "", "", ""])
    bad = BytesIO()
    book.save(bad)
    with pytest.raises(ValidationError) as refused:
        import_paper_answers(104, read_paper_answers(bad.getvalue(), QUESTIONS), actor=staff)
    assert "第 4 列：民國104年沒有分區「第九區」" in str(refused.value)
    assert "第 5 列：第1題：請選 1 至 5 分" in str(refused.value)
    assert survey_results(104)[2][0].count == 2
