"""The participant questionnaire (成效評量): staff set it up, print its links as QR codes, type
in paper answers and read the results; participants answer on a phone without an account."""
from __future__ import annotations

import secrets
from io import BytesIO

from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

from exports.survey import answers_workbook, build_survey_report, chart_svg, read_paper_answers
from kb.editions import edition_regions, get_edition, list_editions
from kb.errors import Problem, ValidationError
from kb.reading import one_reading
from kb.rocdate import roc_year
from kb.survey import (KINDS, RATING_LABELS, RATING_VALUES, copy_survey, get_survey,
                       has_answered, import_paper_answers, open_link, record_paper_answers,
                       response_counts,
                       save_survey, submit_answers, survey_answer_rows, survey_links,
                       survey_results)
from web.auth import current_actor
from web.downloads import send_download
from web.ratelimit import rate_limited

DEVICE_COOKIE = "forum_survey_device"
BLANK_ROWS = 3
ANSWERS_PER_MINUTE = 20


def _answers_from_form(questions: list[dict]) -> dict:
    return {q["key"]: (request.form.getlist(q["key"]) if q["kind"] == "multiple"
                       else request.form.get(q["key"], "")) for q in questions}


def _question_context() -> dict:
    return {"rating_choices": list(zip(RATING_VALUES, RATING_LABELS)), "kinds": KINDS}


@rate_limited("survey", ANSWERS_PER_MINUTE)
def answer_page(token: str):
    """A participant answers the questionnaire of their region's forum (no account needed)."""
    opened = open_link(token)
    device = request.cookies.get(DEVICE_COOKIE)
    problems: list[Problem] = []
    status = 200
    if request.method == "POST":
        device = device or secrets.token_urlsafe(24)
        try:
            submit_answers(token, _answers_from_form(opened.survey.questions), device_token=device)
        except ValidationError as error:
            problems, status = error.problems, 400
        else:
            response = make_response(render_template("survey/thanks.html", opened=opened))
            response.set_cookie(DEVICE_COOKIE, device, max_age=365 * 24 * 3600, httponly=True,
                                samesite="Lax", secure=request.is_secure)
            return response
    answered = has_answered(token, device)
    return render_template("survey/answer.html", opened=opened, problems=problems,
                           answered=answered, form=request.form, **_question_context()), status


@one_reading()
def results_page(year: int):
    """Staff's view: links and QR codes per region, every question's numbers and chart, open
    answers (searchable) with their common words."""
    survey = get_survey(year)
    if survey is None:
        return render_template("survey/none.html", year=year,
                               earlier=[e.year for e in list_editions() if e.year < year])
    _, regions, results = survey_results(year)
    wanted = request.args.get("q", "").strip()
    return render_template("survey/results.html", year=year, survey=survey, regions=regions,
                           results=results, links=survey_links(year), counts=response_counts(year),
                           wanted=wanted)


def copy_page(year: int):
    """Set the year's questionnaire from an earlier year's or the default one."""
    raw = request.form.get("from_year", "")
    copy_survey(year, int(raw) if raw.isdigit() else None, actor=current_actor())
    flash("已建立成效評量問卷，可再修改題目", "success")
    return redirect(url_for("survey.edit", year=year))


def _questions_from_form() -> list[dict]:
    questions = []
    for n in range(int(request.form.get("rows", "0") or 0)):
        text = request.form.get(f"text-{n}", "").strip()
        if not text:
            continue
        options = request.form.get(f"options-{n}", "").replace("，", "、").split("、")
        questions.append({"key": request.form.get(f"key-{n}", ""),
                          "kind": request.form.get(f"kind-{n}", ""), "text": text,
                          "options": [o for o in options if o.strip()]})
    return questions


def edit_page(year: int):
    """Staff edit the questions: kind, text, and choices (separated by 、)."""
    get_edition(year)
    survey = get_survey(year)
    problems: list[Problem] = []
    questions = survey.questions if survey else []
    if request.method == "POST":
        questions = _questions_from_form()
        try:
            save_survey(year, title=request.form.get("title", ""),
                        intro=request.form.get("intro", ""), questions=questions,
                        actor=current_actor())
        except ValidationError as error:
            problems = error.problems
        else:
            flash("已儲存成效評量問卷", "success")
            return redirect(url_for("survey.results", year=year))
    rows = questions + [{"key": "", "kind": "rating", "text": ""}] * BLANK_ROWS
    return render_template("survey/edit.html", year=year, survey=survey, rows=rows,
                           problems=problems, kinds=KINDS,
                           title=request.form.get("title") or (survey.title if survey else ""),
                           intro=request.form.get("intro") or (survey.intro if survey else "")), \
        400 if problems else 200


def paper_page(year: int):
    """Staff type in one paper questionnaire."""
    survey = get_survey(year)
    if survey is None:
        abort(404)
    problems: list[Problem] = []
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is not None and upload.filename:
                done = len(import_paper_answers(year, read_paper_answers(upload.read(), survey.questions),
                                                actor=current_actor()))
            else:
                record_paper_answers(year, request.form.get("region", ""),
                                     _answers_from_form(survey.questions), actor=current_actor())
                done = 1
        except ValidationError as error:
            problems = error.problems
        else:
            flash(f"已登錄 {done} 份紙本問卷", "success")
            return redirect(url_for("survey.paper", year=year))
    return render_template("survey/paper.html", year=year, survey=survey, problems=problems,
                           regions=[r.name for r in edition_regions(survey.edition)],
                           form=request.form, **_question_context()), 400 if problems else 200


def chart(year: int, key: str):
    """One question's bar chart (SVG)."""
    _, regions, results = survey_results(year)
    result = next((r for r in results if r.key == key and r.kind != "open"), None)
    if result is None:
        abort(404)
    return send_file(BytesIO(chart_svg(result, regions)), mimetype="image/svg+xml")


def qr_code(year: int, region: str):
    """The QR code of a region's answering link (SVG), to print on the programme."""
    token = survey_links(year).get(region)
    if token is None:
        abort(404)
    widget = QrCodeWidget(url_for("survey.answer", token=token, _external=True))
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(x1 - x0, y1 - y0)
    drawing.add(widget)
    return send_file(BytesIO(renderSVG.drawToString(drawing).encode("utf-8")),
                     mimetype="image/svg+xml")


def report_pdf(year: int):
    """The questionnaire report (成效評量報告) as PDF."""
    survey, regions, results = survey_results(year)
    data = build_survey_report(survey.title, year, regions, response_counts(year), results)
    return send_download(data, f"成效評量報告_{roc_year(year)}.pdf")


def answers_download(year: int):
    """Every answer as a workbook (``?blank=1``: the empty template for paper answers)."""
    questions, rows = survey_answer_rows(year)
    if request.args.get("blank"):
        return send_download(answers_workbook(questions, []), f"成效評量紙本登錄範本_{roc_year(year)}.xlsx")
    return send_download(answers_workbook(questions, rows), f"成效評量填答_{roc_year(year)}.xlsx")
