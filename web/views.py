"""Page handlers. They read the request, call one service, and render; rules live in kb/."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, TextAreaField

from exports.case_workbook import build_case_template, read_case_workbook
from kb.cases import (AWARDS, SECTIONS, STATUSES, can_edit_case, case_detail, case_input_of,
                      county_counts, create_case, find_cases, get_case, import_cases,
                      published_counts, update_case)
from kb.editions import (edition_categories, edition_counties, edition_regions, get_edition,
                         list_editions, set_intake_open)
from kb.errors import ValidationError
from kb.search import FACETS, case_search
from kb.users import ROLES
from kb.writeups import can_edit_refined, case_writeup
from web.auth import current_actor
from web.forms import CaseForm, HELP, attach_problems, case_input_from_form, fill_case_form

PAGE_SIZE = 50


def roc_year(year: int, *, with_ad: bool = False) -> str:
    """「民國104年」, or 「民國104年（2015）」 with the AD year."""
    return f"民國{year}年（{year + 1911}）" if with_ad else f"民國{year}年"


def template_helpers() -> dict:
    """Names every template may use."""
    actor = current_actor()
    index = case_search().status() if actor is not None and actor.role == "staff" else None
    return {"roc_year": roc_year, "STATUSES": STATUSES, "AWARDS": AWARDS, "ROLES": ROLES,
            "SECTIONS": SECTIONS, "actor": actor,
            "index_needs_rebuild": bool(index and (index["missing"] or index["note"]))}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def home():
    """The front page: the years, and what the signed-in person can do next."""
    editions = list_editions()
    actor = current_actor()
    counts = None
    if actor is not None and actor.role == "county" and editions:
        counts = next((row for row in county_counts(editions[0].year)
                       if row["county"] == actor.county.name), None)
    return render_template("home.html", editions=editions, counts=counts,
                           published=published_counts())


def case_list():
    """The case list, filtered by year, region, county, category and status."""
    actor = current_actor()
    filters = {"year": _int_arg("year"), "region": request.args.get("region") or None,
               "county": request.args.get("county") or None,
               "category": request.args.get("category") or None,
               "status": request.args.get("status") or None}
    query = find_cases(viewer=actor, **filters)
    total = query.count()
    page = max(_int_arg("page") or 1, 1)
    cases = list(query.paginate(page, PAGE_SIZE))
    editions = list_editions()
    shown = get_edition(filters["year"]) if filters["year"] else (editions[0] if editions else None)
    choices = {
        "regions": [r.name for r in edition_regions(shown)] if shown else [],
        "counties": [c.name for c in edition_counties(shown)] if shown else [],
        "categories": [c.name for c in edition_categories(shown)] if shown else [],
    }
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("cases/list.html", cases=cases, total=total, page=page, pages=pages,
                           filters=filters, editions=editions, choices=choices)


def case_page(case_id: int):
    """One case in full; contact details only for staff and the case's county."""
    actor = current_actor()
    case = get_case(case_id, viewer=actor)
    private = actor is not None and (actor.role == "staff" or actor.county_id == case.county_id)
    search = case_search()
    staff = actor is not None and actor.role == "staff"
    return render_template("cases/detail.html", case=case,
                           detail=case_detail(case, include_private=private),
                           may_edit=actor is not None and can_edit_case(actor, case),
                           may_refine=actor is not None and can_edit_refined(actor, case),
                           writeup=case_writeup(case),
                           similar=search.similar(case.id, public=not staff),
                           keywords=search.keywords(case.id),
                           lookalikes=search.earlier_lookalikes(case.id) if staff else [],
                           index_building=search.building())


FACET_LABELS = {"year": "年度", "region": "分區", "county": "縣市", "category": "類別",
                "award": "獎項"}
SEARCH_PAGE_SIZE = 20


def search_page():
    """Full-text search: every case containing the query, with facets and snippets."""
    actor = current_actor()
    query = request.args.get("q", "")
    filters = {"year": _int_arg("year"), **{name: request.args.get(name) or None
                                             for name in ("region", "county", "category", "award")}}
    sort = "year" if request.args.get("sort") == "year" else "relevance"
    page = max(_int_arg("page") or 1, 1)
    results = None
    if query.strip() or any(filters.values()):
        results = case_search().search(query, **filters, sort=sort, page=page,
                                       per_page=SEARCH_PAGE_SIZE,
                                       public=not (actor is not None and actor.role == "staff"))
    pages = max(((results.total if results else 0) + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE, 1)
    return render_template("search.html", query=query, filters=filters, sort=sort, page=page,
                           pages=pages, results=results, facet_names=FACETS,
                           facet_labels=FACET_LABELS, index_building=case_search().building())


def _form_choices(form, edition, actor) -> None:
    counties = [c.name for c in edition_counties(edition)]
    if actor.role == "county":
        counties = [actor.county.name]
    form.county.choices = [("", "請選擇縣市")] + [(c, c) for c in counties]
    form.category.choices = [("", "請選擇類別")] + [
        (c.name, f"{c.name}（優先順序{c.priority}）") for c in edition_categories(edition)]


def _open_edition_for(actor):
    """The year a new case goes to: the newest with intake open (staff: newest, or ?year=)."""
    editions = list_editions()
    if actor.role == "staff":
        wanted = _int_arg("year")
        return get_edition(wanted) if wanted else (editions[0] if editions else None)
    return next((e for e in editions if e.intake_open), None)


def case_new():
    """The intake form for a new case."""
    actor = current_actor()
    edition = _open_edition_for(actor)
    if edition is None:
        flash("目前沒有開放收件的年度", "warning")
        return redirect(url_for("home"))
    form = CaseForm()
    _form_choices(form, edition, actor)
    if request.method == "GET" and actor.role == "county":
        form.county.data = actor.county.name
    general = []
    if form.validate_on_submit():
        reason = form.override_reason.data if actor.role == "staff" else None
        try:
            case = create_case(edition.year, case_input_from_form(form), actor=actor,
                               override_reason=reason or None)
        except ValidationError as error:
            general = attach_problems(form, error.problems)
        else:
            flash(f"已收件：〈{case.title}〉（案例編號 {case.id}）", "success")
            return redirect(url_for("case_page", case_id=case.id))
    usage = None
    if actor.role == "county":
        usage = next((r for r in county_counts(edition.year) if r["county"] == actor.county.name), None)
    return render_template("cases/form.html", form=form, edition=edition, help=HELP,
                           general=general, usage=usage, case=None)


def case_edit(case_id: int):
    """Edit a case: staff any time, the county contact while intake is open."""
    actor = current_actor()
    case = get_case(case_id, viewer=actor)
    if not can_edit_case(actor, case):
        abort(403)
    form = CaseForm()
    _form_choices(form, case.edition, actor)
    if request.method == "GET":
        fill_case_form(form, case_input_of(case))
    general = []
    if form.validate_on_submit():
        try:
            update_case(case.id, case_input_from_form(form), actor=actor)
        except ValidationError as error:
            general = attach_problems(form, error.problems)
        else:
            flash("已儲存修改", "success")
            return redirect(url_for("case_page", case_id=case.id))
    return render_template("cases/form.html", form=form, edition=case.edition, help=HELP,
                           general=general, usage=None, case=case)


def intake_page(year: int):
    """Cases sent in per county against the limit; staff open and close intake here."""
    actor = current_actor()
    edition = get_edition(year)
    rows = county_counts(year)
    if actor.role == "county":
        rows = [r for r in rows if r["county"] == actor.county.name]
    return render_template("intake.html", edition=edition, rows=rows, editions=list_editions())


def intake_toggle(year: int):
    """Open or close a year's intake (staff)."""
    is_open = request.form.get("open") == "1"
    set_intake_open(year, is_open, actor=current_actor())
    flash(f"{roc_year(year)}收件已{'開放' if is_open else '截止'}", "success")
    return redirect(url_for("intake_page", year=year))


class ImportForm(FlaskForm):
    workbook = FileField("案例清單（.xlsx）", validators=[FileRequired("請選擇檔案")])
    dry_run = BooleanField("只檢查，不寫入")
    override_reason = TextAreaField("超過每縣市件數上限時的受理理由（選填）")


def case_template(year: int):
    """Download the year's empty case-list workbook."""
    data = build_case_template(get_edition(year))
    return send_file(BytesIO(data), as_attachment=True, download_name=f"案例清單範本_{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def case_import(year: int):
    """Upload a filled case list; every problem is listed and nothing is written if any."""
    edition = get_edition(year)
    form = ImportForm()
    problems, report = [], None
    if form.validate_on_submit():
        try:
            rows = read_case_workbook(form.workbook.data.read())
            report = import_cases(year, rows, actor=current_actor(), dry_run=form.dry_run.data,
                                  override_reason=(form.override_reason.data or "").strip() or None)
        except ValidationError as error:
            problems = [p.message for p in error.problems]
    return render_template("cases/import.html", form=form, edition=edition, problems=problems,
                           report=report)
