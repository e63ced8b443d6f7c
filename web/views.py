"""Page handlers. They read the request, call one service, and render; rules live in kb/."""
from __future__ import annotations


from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, TextAreaField

from kb.adoption import case_adoptions
from kb.media import case_media
from kb.opendata import case_citation
from kb.policy import (TEMPLATE_RULES, can_edit_case, can_edit_refined, can_see_contacts,
                       is_county_contact, is_staff)
from kb.cases import (AWARDS, SECTIONS, STATUSES, case_detail, case_input_of, case_list_page,
                      county_counts, create_case, find_cases, get_case, import_cases,
                      published_counts, update_case)
from kb.case_codes import case_code, years_case_codes
from kb.editions import (case_list_choices, edition_categories, edition_counties,
                         edition_regions, get_edition, list_editions, set_intake_open)
from kb.errors import ValidationError
from kb.rocdate import ad_year, roc_date, roc_date_input, roc_time, roc_year
from kb.search import FACETS, LOOKALIKE_POOL, case_search
from kb.users import ROLES
from kb.writeups import case_writeup
from web.auth import current_actor
from web.confirm import Confirmation, confirmation_page, confirmed
from web.downloads import download_name, send_download
from web.field_html import form_field
from web.forms import (LIMITS, CaseForm, attach_problems, case_help, case_input_from_form,
                       fill_case_form)

PAGE_SIZE = 50
SIMILAR_SHOWN = 5  # similar cases listed on a case page


def template_filters() -> dict:
    """Jinja filters: ``{{ day|roc_date }}`` 民國115年12月8日, ``{{ moment|roc_time }}``,
    ``{{ year|roc_year }}``, ``{{ day|roc_date_input }}`` 115/12/08 for a date field (what
    was typed stays as typed), and ``{{ f|form_field(help, limit, attributes) }}`` a form input
    with its label, help and errors (the ``field`` macro)."""
    return {"roc_date": roc_date, "roc_time": roc_time, "roc_year": roc_year,
            "roc_date_input": lambda value: value if isinstance(value, str) else roc_date_input(value),
            "form_field": form_field}


def shown_case_code(case) -> str:
    """A case's code (104-TPE-001) as pages show it, each year's codes read once a request."""
    return case_code(case, g.setdefault("case_codes", {}))


def read_case_codes(edition_ids) -> None:
    """Read the codes of these years' cases for :func:`shown_case_code` in one query, for a
    page that lists the cases of several years."""
    if edition_ids:
        g.setdefault("case_codes", {}).update(years_case_codes(sorted(edition_ids)))


def id_urls(endpoint: str, key: str = "case_id", **values):
    """A function of an id giving ``url_for(endpoint, key=id, **values)``, the URL built once
    (a page that links hundreds of rows pays for one build): ids are plain integers."""
    marker = str(MAX_URL_NUMBER)  # no other part of these URLs holds it
    prefix, suffix = url_for(endpoint, **{key: int(marker)}, **values).split(marker)
    return lambda value: f"{prefix}{int(value)}{suffix}"


def template_helpers() -> dict:
    """Names every template may use."""
    actor = current_actor()
    return {"roc_year": roc_year, "roc_date": roc_date, "roc_time": roc_time, "ad_year": ad_year,
            "case_code": shown_case_code, "STATUSES": STATUSES, "AWARDS": AWARDS, "ROLES": ROLES,
            "SECTIONS": SECTIONS, "actor": actor, **TEMPLATE_RULES,
            "index_needs_rebuild": is_staff(actor) and case_search().needs_rebuild()}


# The largest id or year a URL or query may hold: bigger numbers are no record (a 404 or no
# filter) instead of overflowing the database's integers (a 500).
MAX_URL_NUMBER = 2 ** 31 - 1


def query_int(name: str) -> int | None:
    """The query argument ``name`` as a whole number, or None if absent, not one or too big."""
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) <= MAX_URL_NUMBER else None


def home():
    """The front page: the years, and what the signed-in person can do next."""
    editions = list_editions()
    actor = current_actor()
    counts = None
    if is_county_contact(actor) and editions:
        counts = next((row for row in county_counts(editions[0].year)
                       if row["county"] == actor.county.name), None)
    return render_template("home.html", editions=editions, counts=counts,
                           published=published_counts())


def case_list():
    """The case list, filtered by year, region, county, category and status."""
    actor = current_actor()
    filters = {"year": query_int("year"), "region": request.args.get("region") or None,
               "county": request.args.get("county") or None,
               "category": request.args.get("category") or None,
               "status": request.args.get("status") or None}
    page = max(query_int("page") or 1, 1)
    cases, total = case_list_page(find_cases(viewer=actor, **filters), page, PAGE_SIZE)
    editions = list_editions()
    by_year = {edition.year: edition for edition in editions}
    # the menus of the year asked for (one not there: NotFound, naming it), else the newest's
    shown = ((by_year.get(filters["year"]) or get_edition(filters["year"])) if filters["year"]
             else (editions[0] if editions else None))
    choices = {
        "regions": [r.name for r in edition_regions(shown)] if shown else [],
        "counties": [c.name for c in edition_counties(shown)] if shown else [],
        "categories": [c.name for c in edition_categories(shown)] if shown else [],
    }
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("cases/list.html", cases=cases, total=total, page=page, pages=pages,
                           filters=filters, editions=editions, choices=choices,
                           case_url=id_urls("cases.page"))


def case_page(case_id: int):
    """One case in full; contact details only for staff and the case's county."""
    actor = current_actor()
    case = get_case(case_id, viewer=actor)
    search = case_search()
    staff = is_staff(actor)
    similar = search.similar(case.id, public=not staff,
                             limit=LOOKALIKE_POOL if staff else SIMILAR_SHOWN)
    writeup = case_writeup(case)
    citation = case_citation(case, base_url=request.host_url)
    return render_template("cases/detail.html", case=case, code=case_code(case),
                           detail=case_detail(case, include_private=can_see_contacts(actor, case),
                                              sections=writeup.shown),
                           may_edit=actor is not None and can_edit_case(actor, case),
                           may_refine=actor is not None and can_edit_refined(actor, case),
                           writeup=writeup,
                           similar=similar[:SIMILAR_SHOWN], keywords=search.keywords(case.id),
                           lookalikes=(search.earlier_lookalikes(case.id, similar=similar)
                                       if staff else []),
                           adoptions=case_adoptions(case.id),
                           media=case_media(case.id) if citation else [],  # shown with the citation
                           citation=citation, index_building=search.building())


FACET_LABELS = {"year": "年度", "region": "分區", "county": "縣市", "category": "類別",
                "award": "獎項"}
SEARCH_PAGE_SIZE = 20


def search_page():
    """Full-text search: every case containing the query, with facets and snippets."""
    actor = current_actor()
    query = request.args.get("q", "")
    filters = {"year": query_int("year"), **{name: request.args.get(name) or None
                                             for name in ("region", "county", "category", "award")}}
    sort = "year" if request.args.get("sort") == "year" else "relevance"
    page = max(query_int("page") or 1, 1)
    results = None
    if query.strip() or any(filters.values()):
        results = case_search().search(query, **filters, sort=sort, page=page,
                                       per_page=SEARCH_PAGE_SIZE,
                                       public=not is_staff(actor))
    pages = max(((results.total if results else 0) + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE, 1)
    return render_template("search.html", query=query, filters=filters, sort=sort, page=page,
                           pages=pages, results=results, facet_names=FACETS,
                           facet_labels=FACET_LABELS, index_building=case_search().building())


def _form_choices(form, edition, actor) -> dict[str, str]:
    """Fill in the case form's county and category choices; returns its inputs' help."""
    counties = [actor.county.name] if is_county_contact(actor) else [
        c.name for c in edition_counties(edition)]
    categories = edition_categories(edition)
    form.county.choices = [("", "請選擇縣市")] + [(c, c) for c in counties]
    form.category.choices = [("", "請選擇類別")] + [
        (c.name, f"{c.name}（優先順序{c.priority}）") for c in categories]
    return case_help(categories)


def _open_edition_for(actor):
    """The year a new case goes to: the newest with intake open (staff: newest, or ?year=)."""
    editions = list_editions()
    if is_staff(actor):
        wanted = query_int("year")
        return get_edition(wanted) if wanted else (editions[0] if editions else None)
    return next((e for e in editions if e.intake_open), None)


def case_new():
    """The intake form for a new case."""
    actor = current_actor()
    edition = _open_edition_for(actor)
    if edition is None:
        flash("目前沒有開放收件的年度", "warning")
        return redirect(url_for("main.home"))
    form = CaseForm()
    field_help = _form_choices(form, edition, actor)
    if request.method == "GET" and is_county_contact(actor):
        form.county.data = actor.county.name
    general = []
    if form.validate_on_submit():
        reason = form.override_reason.data if is_staff(actor) else None
        try:
            case = create_case(edition.year, case_input_from_form(form), actor=actor,
                               override_reason=reason or None)
        except ValidationError as error:
            general = attach_problems(form, error.problems)
        else:
            flash(f"已收件：〈{case.title}〉（案例編號 {shown_case_code(case)}）", "success")
            return redirect(url_for("cases.page", case_id=case.id))
    usage = None
    if is_county_contact(actor):
        usage = next((r for r in county_counts(edition.year) if r["county"] == actor.county.name), None)
    return render_template("cases/form.html", form=form, edition=edition, help=field_help,
                           limits=LIMITS, general=general, usage=usage, case=None)


def case_edit(case_id: int):
    """Edit a case: staff any time, the county contact while intake is open."""
    actor = current_actor()
    case = get_case(case_id, viewer=actor)
    if not can_edit_case(actor, case):
        abort(403)
    form = CaseForm()
    field_help = _form_choices(form, case.edition, actor)
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
            return redirect(url_for("cases.page", case_id=case.id))
    return render_template("cases/form.html", form=form, edition=case.edition, help=field_help,
                           limits=LIMITS, general=general, usage=None, case=case)


def intake_page(year: int):
    """Cases sent in per county against the limit; staff open and close intake here."""
    actor = current_actor()
    edition = get_edition(year)
    rows = county_counts(year)
    if is_county_contact(actor):
        rows = [r for r in rows if r["county"] == actor.county.name]
    return render_template("intake.html", edition=edition, rows=rows, editions=list_editions())


def intake_close_page(year: int):
    """Confirm closing a year's intake: how many cases are in, what counties can no longer do."""
    rows = county_counts(year)
    sent = [row for row in rows if row["count"]]
    return confirmation_page(Confirmation(
        title=f"截止{roc_year(year)}收件", button="確認截止收件",
        action=url_for("intake.toggle", year=year), cancel=url_for("intake.page", year=year),
        lines=[f"目前共 {sum(row['count'] for row in rows)} 件案例，來自 {len(sent)} 個縣市；"
               f"{len(rows) - len(sent)} 個縣市尚未送件。",
               "截止後縣市承辦人不能再新增或匯入案例，已送件的案例保留，可進行評審指派。"],
        table_caption="各縣市送件數", table_headers=["縣市", "已送件", "上限"],
        table_rows=[[row["county"], row["count"], row["limit"]] for row in rows],
        undo="截止後可在送件情形頁按「開放收件」恢復收件。", hidden={"open": "0"}))


def intake_toggle(year: int):
    """Open or close a year's intake (staff); closing is confirmed first."""
    is_open = request.form.get("open") == "1"
    if not is_open and not confirmed():
        return redirect(url_for("intake.close", year=year))
    set_intake_open(year, is_open, actor=current_actor())
    flash(f"{roc_year(year)}收件已{'開放' if is_open else '截止'}", "success")
    return redirect(url_for("intake.page", year=year))


class ImportForm(FlaskForm):
    workbook = FileField("案例清單（.xlsx）", validators=[FileRequired("請選擇檔案")])
    dry_run = BooleanField("只檢查，不寫入")
    override_reason = TextAreaField("超過每縣市件數上限時的受理理由（選填）")


def case_template(year: int):
    """Download the year's empty case-list workbook."""
    from exports.case_workbook import build_case_template
    data = build_case_template(case_list_choices(get_edition(year)))
    return send_download(data, download_name("案例清單範本", year=year, suffix="xlsx"))


def case_import(year: int):
    """Upload a filled case list; every problem is listed and nothing is written if any."""
    from exports.case_workbook import read_case_workbook
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
    failed = bool(problems or form.errors)
    return render_template("cases/import.html", form=form, edition=edition, problems=problems,
                           report=report), 400 if failed else 200
