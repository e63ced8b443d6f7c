"""The adoption survey of past benchmark cases: a county's answer form, staff's report and
its matrix downloads. Handlers read the request, call kb.adoption and render."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for

from exports.adoption import adoption_svg, adoption_workbook, matrix_rows
from kb.adoption import (KIND_HELP, KINDS, AdoptionInput, adoptable_cases, adoption_survey,
                         county_adoptions, record_adoptions)
from kb.editions import edition_counties, get_edition
from kb.errors import Problem, ValidationError
from kb.policy import is_county_contact, is_staff
from kb.rocdate import roc_year
from web.auth import current_actor
from web.downloads import send_download


def _answer_county(year: int) -> str:
    """The county the form answers for: a county contact's own; staff choose with ?county=."""
    actor = current_actor()
    if is_county_contact(actor):
        return actor.county.name
    wanted = request.values.get("county", "")
    if wanted not in {c.name for c in edition_counties(get_edition(year))}:
        abort(404)
    return wanted


def _entries_from_form(cases) -> tuple[list[AdoptionInput], list[Problem]]:
    entries, problems = [], []
    for case in cases:
        kind = request.form.get(f"kind-{case.id}", "")
        if not kind:
            continue
        raw_year = request.form.get(f"year-{case.id}", "").strip()
        if raw_year and not (raw_year.isdigit() and len(raw_year) <= 3):
            problems.append(Problem(f"〈{case.title}〉：應用年度請填民國年，例如 104", f"year-{case.id}"))
            raw_year = ""
        entries.append(AdoptionInput(case.id, kind, int(raw_year) if raw_year else None,
                                     request.form.get(f"note-{case.id}", "")))
    return entries, problems


def answer_page(year: int):
    """A county's answers to the year's survey: for each past benchmark case, how it was used."""
    county = _answer_county(year)
    cases = adoptable_cases(year)
    status = 200
    problems: list[Problem] = []
    if request.method == "POST":
        entries, problems = _entries_from_form(cases)
        if not problems:
            try:
                record_adoptions(year, county, entries, actor=current_actor())
            except ValidationError as error:
                problems = error.problems
        if not problems:
            flash(f"已儲存{county}的應用調查（{len(entries)} 件案例）", "success")
            return redirect(url_for("adoption.answer", year=year, **(
                {"county": county} if is_staff(current_actor()) else {})))
        status = 400
    saved = {row.case_id: row for row in county_adoptions(year, county)}
    return render_template("adoption/answer.html", year=year, county=county, cases=cases,
                           saved=saved, kinds=KINDS, kind_help=KIND_HELP, problems=problems,
                           form=request.form if request.method == "POST" else None), status


def survey_page(year: int):
    """Staff's view of the year's survey: who answered, answers by kind, the matrix."""
    report = adoption_survey(year)
    return render_template("adoption/survey.html", report=report, kinds=KINDS,
                           rows=matrix_rows(report.as_dict()))


def matrix_download(year: int, fmt: str):
    """The matrix as .xlsx or as an SVG chart."""
    report = adoption_survey(year)
    rows = matrix_rows(report.as_dict())
    if fmt == "xlsx":
        return send_download(adoption_workbook(year, report.counties, rows, report.answered),
                             f"歷年案例應用調查_{roc_year(year)}.xlsx")
    return send_file(BytesIO(adoption_svg(year, report.counties, rows)), mimetype="image/svg+xml",
                     download_name=f"歷年案例應用矩陣_{roc_year(year)}.svg")
