"""The regional forum page (staff): the year's programme template, each region's venue, date,
timed programme and presenters, the agenda downloads (PDF, Excel) and the certificates PDF.

The template's rows are edited without script: 「新增一列」, 「上移」, 「下移」 and 「刪除」 send
the typed rows back and the page returns them rearranged (nothing is saved until 「儲存議程範本」).
"""
from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for

from exports.agenda_workbook import build_agenda_workbook
from exports.programme import (DATE_UNSET, VENUE_UNSET, build_certificates, build_programme_pdf,
                               people_text, region_agenda, time_span)
from kb.computed import computed
from kb.cases import PERSON_FIELDS, PersonInput, case_people, set_case_presenter
from kb.editions import get_edition
from kb.errors import NotFound, ValidationError
from kb.programme import (certificate_count, programme_settings, region_programme,
                          save_programme_template, save_region_venue, year_certificates,
                          year_programmes)
from kb.schedule import KINDS, parse_clock, parse_minutes, schedule_times
from kb.survey import region_token
from web.auth import current_actor
from web.downloads import download_name, send_download
from web.judging_views import error_messages

ITEM_FIELDS = ("kind", "title", "minutes", "people")
NEW_ROW = {"kind": "fixed", "title": "", "minutes": "10", "people": ""}
TEMPLATE = "template"  # the errors key of the template form


def venue_key(region: str) -> str:
    """The errors key of a region's venue form."""
    return f"venue-{region}"


def presenter_key(case_id: int) -> str:
    """The errors key (and anchor) of a case's presenter form."""
    return f"presenter-{case_id}"


# --- helpers ----------------------------------------------------------------------------------

def _typed_rows() -> list[dict]:
    """The template rows as sent, in order (every row sends each of its inputs once)."""
    columns = [request.form.getlist(name) for name in ITEM_FIELDS]
    return [dict(zip(ITEM_FIELDS, values)) for values in zip(*columns)]


def _rearranged(rows: list[dict], op: str) -> tuple[list[dict], str]:
    """The rows after a row button (add, remove-N, up-N, down-N), and the id of the input that
    should have the focus next."""
    if op == "add":
        return [*rows, dict(NEW_ROW)], f"item-{len(rows)}-title"
    action, _, number = op.partition("-")
    index = int(number) if number.isdigit() else -1
    if not 0 <= index < len(rows):
        return rows, "add-row"
    if action == "remove":
        rest = rows[:index] + rows[index + 1:]
        return rest, f"item-{min(index, len(rest) - 1)}-title" if rest else "add-row"
    target = index - 1 if action == "up" else index + 1
    if action not in ("up", "down") or not 0 <= target < len(rows):
        return rows, f"item-{index}-title"
    rows = list(rows)
    rows[index], rows[target] = rows[target], rows[index]
    return rows, f"item-{target}-{action}"


def _row_times(start, rows: list[dict]) -> list[str]:
    """Each row's time (13:30–14:00) while the typed start and minutes make sense, else 「—」."""
    begins = parse_clock(start)
    lengths = [parse_minutes(row.get("minutes")) for row in rows]
    if begins is not None and None not in lengths:
        try:
            return [time_span(*span) for span in schedule_times(begins, lengths)]
        except ValueError:
            pass
    return ["—"] * len(rows)


def _input_id(field: str | None) -> str:
    """The page's input for a template problem's field (items.3.title → item-3-title), or ''
    for the template as a whole."""
    if field == "start":
        return field
    if field and field.startswith("items."):
        return "item-" + field.removeprefix("items.").replace(".", "-")
    return ""


def _field_errors(error: ValidationError) -> dict[str, list[str]]:
    """A refused template's messages by input id (start, item-3-title…; '' for the whole)."""
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        found.setdefault(_input_id(problem.field), []).append(problem.message)
    return found


def _presenters(programmes) -> dict[int, dict]:
    """For each case on the programmes: its owner and the presenter staff named (or None)."""
    people = case_people(row.case_id for programme in programmes for row in programme.rows
                         if row.case_id is not None)

    def shown(person):
        return {key: getattr(person, key) for key, _ in PERSON_FIELDS} if person else None
    return {case_id: {"owner": shown(roles.get("owner")), "presenter": shown(roles.get("presenter"))}
            for case_id, roles in people.items()}


def _programme_data(year: int) -> tuple[list, dict[int, dict], int]:
    """The year's regional programmes, their cases' presenters and the number of certificates
    (kept by :func:`kb.computed.computed`: the ranking, the winners, the panels and the people
    they come from all count as selection's inputs)."""
    programmes = year_programmes(year)
    return programmes, _presenters(programmes), certificate_count(year)


def _programme_page(year: int, *, start=None, rows=None, focus: str | None = None,
                    errors: dict | None = None, typed: dict | None = None, status: int = 200):
    """The page; ``start``/``rows`` are typed template values to show instead of the stored
    ones, ``errors`` maps a form key to messages (the template: input id → messages), ``typed``
    a refused form's values by form key."""
    edition = get_edition(year)
    settings = programme_settings(year)
    if rows is None:
        start, rows = settings["start"], [dict(item) for item in settings["items"]]
    programmes, presenters, certificates = computed(("programme_page", year),
                                                    lambda: _programme_data(year))
    return render_template(
        "programme/index.html", edition=edition, year=year, start=start, rows=rows,
        row_times=_row_times(start, rows), focus=focus, KINDS=KINDS,
        unsaved=focus is not None and not errors, programmes=programmes,
        presenters=presenters, certificates=certificates,
        errors=errors or {}, typed=typed or {}, venue_key=venue_key,
        presenter_key=presenter_key, people_text=people_text, time_span=time_span,
        VENUE_UNSET=VENUE_UNSET, DATE_UNSET=DATE_UNSET,
        PERSON_FIELDS=PERSON_FIELDS), status


# --- pages ------------------------------------------------------------------------------------

def programme_page(year: int):
    """The year's programme template, each region's venue, date and timed programme with its
    presenters, and the downloads."""
    return _programme_page(year)


def template_save(year: int):
    """Save the template, or (a row button) return the typed rows rearranged, unsaved."""
    start, rows = request.form.get("start", ""), _typed_rows()
    op = request.form.get("op", "save")
    if op != "save":
        rows, focus = _rearranged(rows, op)
        return _programme_page(year, start=start, rows=rows, focus=focus)
    try:
        save_programme_template(year, start, rows, actor=current_actor())
    except ValidationError as error:
        found = _field_errors(error)
        return _programme_page(year, start=start, rows=rows, errors={TEMPLATE: found},
                               focus=next((key for key in found if key), None), status=400)
    flash("已儲存議程範本，各分區議程時間已重新計算", "success")
    return redirect(url_for("programme.page", year=year, _anchor="programmes-title"))


def venue_save(year: int):
    """Save one region's venue and date."""
    region = request.form.get("region", "")
    venue, day = request.form.get("venue", ""), request.form.get("date", "")
    try:
        save_region_venue(year, region, venue, day, actor=current_actor())
    except ValidationError as error:
        key = venue_key(region)
        return _programme_page(year, errors={key: error_messages(error)},
                               typed={key: {"venue": venue, "date": day}}, status=400)
    flash(f"已儲存{region}的地點與日期", "success")
    return redirect(url_for("programme.page", year=year, _anchor=venue_key(region)))


def presenter_save(year: int, case_id: int):
    """Name who presents a case; an empty form lets its owner present."""
    typed = PersonInput(**{key: request.form.get(key, "") for key, _ in PERSON_FIELDS})
    person = typed if any(value.strip() for value in vars(typed).values()) else None
    try:
        set_case_presenter(case_id, person, actor=current_actor())
    except ValidationError as error:
        key = presenter_key(case_id)
        return _programme_page(year, errors={key: error_messages(error)},
                               typed={key: vars(typed)}, status=400)
    flash("已更新報告人" if person else "已改由案例負責人報告", "success")
    return redirect(url_for("programme.page", year=year, _anchor=presenter_key(case_id)))


def agenda_download(year: int, region: str, fmt: str):
    """A region's agenda as PDF or Excel."""
    try:
        programme = region_agenda(region_programme(year, region))
    except ValidationError as error:
        raise NotFound(str(error)) from error
    name = download_name("議程", programme.region, year=year, suffix=fmt)
    if fmt == "xlsx":
        return send_download(build_agenda_workbook(programme), name)
    token = region_token(year, programme.region)
    survey_url = url_for("survey.answer", token=token, _external=True) if token else ""
    return send_download(build_programme_pdf(programme, survey_url=survey_url), name)


def certificates_download(year: int):
    """The year's certificates, one page per published winner (back to the page, with the
    reason, while there are none)."""
    try:
        forum_name, items = year_certificates(year)
    except ValidationError as error:
        flash(str(error), "warning")
        return redirect(url_for("programme.page", year=year))
    return send_download(build_certificates(items, forum_name=forum_name, year=year),
                         download_name("獎狀", year=year, suffix="pdf"))
