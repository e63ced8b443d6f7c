"""Commendation letters (行政獎勵函): staff edit each winner's letter and print them.
Handlers read the request, call kb.letters (and exports.letters) and render."""
from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for

from exports.letters import build_letters, explanation_points, subject_text
from kb.errors import Problem, ValidationError
from kb.letters import letters_to_print, parse_people, save_letter, year_letters
from kb.rocdate import parse_roc_date, roc_year
from web.downloads import send_download
from web.auth import current_actor


def letters_page(year: int, *, problems: dict[int, list[Problem]] | None = None,
                 status: int = 200):
    """Every winner's letter with its form; the letters still missing something are marked."""
    letters = year_letters(year)
    return render_template("letters/index.html", year=year, letters=letters,
                           problems=problems or {}, subject_text=subject_text,
                           explanation_points=explanation_points), status


def letter_save(year: int, case_id: int):
    """Save one letter's number, date, sender, copies and people."""
    try:
        save_letter(case_id, number=request.form.get("number", ""),
                    day=parse_roc_date(request.form.get("date", ""), field="發文日期"),
                    sender=request.form.get("sender", ""), copies=request.form.get("copies", ""),
                    people=parse_people(request.form.get("people", "")),
                    actor=current_actor())
    except ValidationError as error:
        return letters_page(year, problems={case_id: error.problems}, status=400)
    flash("已儲存行政獎勵函", "success")
    return redirect(url_for("letters.page", year=year) + f"#letter-{case_id}")


def letters_download(year: int, case_id: int | None = None):
    """One letter, or every letter of the year, as PDF; refused while any lacks its number,
    date, sender or people."""
    try:
        letters = letters_to_print(year, case_id)
    except ValidationError as error:
        return render_template("error.html", title="行政獎勵函尚未完成",
                               message="\n".join(p.message for p in error.problems)), 400
    name = (f"行政獎勵函_{roc_year(year)}_{letters[0].county}_{letters[0].case_title}.pdf" if case_id
            else f"行政獎勵函_{roc_year(year)}.pdf")
    return send_download(build_letters(letters), name)
