"""Selection pages: staff's nominations, regional ranking, overrides, publication, results
workbook and judge statistics; a county contact's own nomination; a year's published outcome.

Handlers read the request, call kb.selection (or exports.results_workbook) and render; the
helpers below only put service results together for the templates.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField

from exports.results_workbook import (ALPHA_NAME, KENDALL_NAME, MEASURE_LINES,
                                      RHO_NAME, aggregation_text, alpha_reading,
                                      build_results_workbook, judge_rows, kendall_reading,
                                      statistics_guide, statistics_thresholds, tie_break_text)
from kb.case_codes import case_code, edition_case_codes
from kb.cases import AWARDS, find_cases, published_counts
from kb.computed import computed
from kb.editions import edition_regions, get_edition, latest_edition
from kb.errors import ValidationError
from kb.models import Case, County, Region
from kb.policy import can_act_for_county, can_see_selection, is_judge, is_staff
from kb.reading import one_reading
from kb.results import published_winner_rows, results_data
from kb.selection import (RESULT_STATUSES, change_nominations, compute_selection,
                          QuotaBreak, confirm_nominations, judge_statistics, nomination_flags,
                          override_outcome, propose_nominations, publish_results, stage_results)
from kb.stages import ONSITE_STATUSES, get_stage, list_stages
from kb.users import list_users
from scoring import METHOD_NAMES, OUTCOME_LABELS, Outcome
from web.auth import current_actor
from kb.rocdate import roc_year
from web.confirm import Confirmation, confirmation_page, confirmed
from web.downloads import download_name, send_download
from web.judging_views import error_messages
from web.views import id_urls

OVERRIDE_CHOICES = [(outcome.value, outcome.label) for outcome in Outcome.decided()]
OUTCOME_STYLES = {"benchmark": "award-benchmark", "honourable": "award-honourable", "none": "muted",
                  "tie": "warn"}  # an outcome's badge
GENERAL = "general"  # the errors key of messages that belong to no form on the page
CSRF_MARK = "\x00csrf\x00"  # where a kept page part takes the session's CSRF token


# --- forms ------------------------------------------------------------------------------------

class NominationForm(FlaskForm):
    """One county's nominated cases, and why they differ from what stood before."""

    county = HiddenField()
    cases = SelectMultipleField(coerce=int, validate_choice=False)
    reason = TextAreaField("變更理由")


class OverrideForm(FlaskForm):
    """Staff's outcome for one case, with the reason (checked by the service)."""

    outcome = StringField("結果")  # benchmark, honourable or none; the page offers a select
    reason = TextAreaField("理由")


# --- helpers ----------------------------------------------------------------------------------

def shown_score(value: float | None) -> str:
    """A score as the selection pages show it: two decimals, — for none (a function, not a
    template macro: a page shows hundreds)."""
    return "—" if value is None else f"{value:.2f}"


def county_key(county: str) -> str:
    """The errors key of a county's nomination form."""
    return f"county-{county}"


def case_key(case_id: int) -> str:
    """The errors key of a case's override form."""
    return f"case-{case_id}"


def _scope(actor) -> int | None:
    """Whose counties the selection page shows ``actor``: every one (None, staff) or their
    county's (its id)."""
    return None if is_staff(actor) else actor.county_id


def _county_blocks(year: int, actor) -> list[dict]:
    """Per county (a county contact: only their own), its cases best first on the screening,
    with the proposal and the current nomination side by side. A row's ``case`` is a dict of
    the case's id, title and status: plain values, as a page of every case costs less so.
    Kept by :func:`kb.computed.computed` per :func:`_scope`: do not change them."""
    return computed(("county_blocks", year, _scope(actor)),
                    lambda: _read_county_blocks(year, actor))


def _read_county_blocks(year: int, actor) -> list[dict]:
    screening = stage_results(year, "screening")
    proposal = propose_nominations(year)
    flags = {flag["county"]: flag for flag in nomination_flags(year)}
    blocks: dict[str, dict] = {}
    cases = find_cases(viewer=actor, year=year).select(
        Case.id, Case.title, Case.status, County.id, County.name, County.code, Region.name)
    for case_id, title, status, county_id, county, code, region in cases.tuples():
        if not can_act_for_county(actor, county_id):
            continue
        block = blocks.get(county)
        if block is None:
            block = blocks[county] = {
                "county": {"id": county_id, "name": county, "code": code}, "region": region,
                "rows": [], "proposed": proposal.get(county, []), "flag": flags.get(county)}
        result = screening.get(case_id)
        block["rows"].append({"case": {"id": case_id, "title": title, "status": status},
                              "score": result.score if result else None,
                              "proposed": case_id in block["proposed"],
                              "nominated": status in ONSITE_STATUSES})
    for block in blocks.values():
        block["rows"].sort(key=lambda row: (row["score"] is None, -(row["score"] or 0)))
        block["nominated"] = [row["case"]["id"] for row in block["rows"] if row["nominated"]]
        block["checked"] = block["nominated"] or block["proposed"]
    return list(blocks.values())


def _kept_forms(key: tuple, refused: bool, render: Callable[[], str]) -> Markup:
    """HTML of forms ``render()`` gives with :data:`CSRF_MARK` for their token: kept under
    ``key`` by :func:`kb.computed.computed` (rendered anew when it shows a refused form), with
    the session's own token put in."""
    html = render() if refused else computed(key, render)
    return Markup(html.replace(CSRF_MARK, generate_csrf()))


def _regions_html(year: int, regions: list[dict], titles: dict[int, str], errors: dict,
                  typed: dict) -> Markup:
    """The regions' rankings with their override forms as HTML. Without a refused override's
    messages it is kept (:func:`kb.computed.computed`) while selection's inputs are unchanged:
    the rows are most of the page's time, and only the CSRF token differs between sessions."""
    def render() -> str:
        return render_template(
            "selection/_regions.html", year=year, regions=regions, titles=titles,
            errors=errors, typed=typed, csrf=CSRF_MARK, case_key=case_key,
            flagged={case for region in regions for flag in region["flags"]
                     for case in flag["cases"]},
            OUTCOME_LABELS=OUTCOME_LABELS, OUTCOME_STYLES=OUTCOME_STYLES,
            OVERRIDE_CHOICES=OVERRIDE_CHOICES, score=shown_score, case_url=id_urls("cases.page"),
            override_url=id_urls("selection.override", year=year))
    refused = any(case_key(row["case"]) in errors or case_key(row["case"]) in typed
                  for region in regions for row in region["ranking"])
    return _kept_forms(("selection_regions_html", year), refused, render)


def _nominations_html(year: int, actor, blocks: list[dict], errors: dict, typed: dict,
                      **shown) -> Markup:
    """The counties' nomination cards and forms as HTML, kept as :func:`_regions_html` is
    (per :func:`_scope`) unless a refused nomination's messages are shown."""
    def render() -> str:
        codes = edition_case_codes(get_edition(year).id)
        return render_template(
            "selection/_nominations.html", year=year, blocks=blocks, errors=errors,
            typed=typed, csrf=CSRF_MARK, county_key=county_key, score=shown_score,
            RESULT_STATUSES=RESULT_STATUSES, code_of=lambda case_id: codes.get(case_id, ""),
            **shown)
    refused = any(county_key(block["county"]["name"]) in errors
                  or county_key(block["county"]["name"]) in typed for block in blocks)
    return _kept_forms(("selection_nominations_html", year, _scope(actor)), refused, render)


@one_reading()
def _selection_page(year: int, *, errors: dict | None = None, typed: dict | None = None,
                    status: int = 200):
    """The nominations and (for staff) the regions' rankings, with a refused form's messages
    (errors key → lines) and what was typed into it (errors key → values)."""
    actor = current_actor()
    edition = get_edition(year)
    staff = is_staff(actor)
    blocks = _county_blocks(year, actor)
    regions = [region.as_dict() for region in compute_selection(year)] if staff else []
    titles = {row["case"]["id"]: row["case"]["title"] for block in blocks for row in block["rows"]}
    known = {"confirm", "publish", *(county_key(block["county"]["name"]) for block in blocks),
             *(case_key(row["case"]) for region in regions for row in region["ranking"])}
    errors = dict(errors or {})
    errors[GENERAL] = [line for key, lines in errors.items() if key not in known for line in lines]
    published = any(row["case"]["status"] in RESULT_STATUSES
                    for block in blocks for row in block["rows"])
    limit = edition.quota("presenters_per_county")
    return render_template(
        "selection/index.html", edition=edition, year=year, staff=staff, blocks=blocks,
        nominations_html=_nominations_html(year, actor, blocks, errors, typed or {},
                                           staff=staff, published=published, limit=limit),
        regions_html=_regions_html(year, regions, titles, errors, typed or {}) if staff else "",
        errors=errors, published=published, screening_open=get_stage(year, "screening").is_open,
        limit=limit, tie_break=tie_break_text(edition.rules),
        method_name=METHOD_NAMES[edition.rules.aggregation],
        method_text=aggregation_text(edition.rules), score=shown_score), status


def _region_statistics(region: dict, lenient: float) -> dict:
    """A region's statistics with its judges' rows and the scale of the difference chart
    (twice the leniency threshold, or the largest difference)."""
    rows = judge_rows(region)
    return {**region, "rows": rows,
            "scale": max([2 * lenient, *(abs(row["difference"]) for row in rows)])}


# --- staff and county pages -------------------------------------------------------------------

def selection_page(year: int):
    """Nominations per county (a county contact: their own); for staff also each region's
    ranking with reasons, ties, overrides, publication and the results workbook."""
    return _selection_page(year)


def confirm(year: int):
    """Confirm every county's nomination as proposed (staff)."""
    try:
        result = confirm_nominations(year, actor=current_actor())
    except ValidationError as error:
        return _selection_page(year, errors={"confirm": error_messages(error)}, status=400)
    flash(f"已依建議確認 {len(result.confirmed)} 個縣市、共 "
          f"{sum(len(ids) for ids in result.confirmed.values())} 件提名", "success")
    if result.kept:
        flash(f"保留 {len(result.kept)} 個縣市已有的提名（{'、'.join(result.kept)}），未改為建議",
              "success")
    for flag in result.flags:
        flash(f"{flag['message']}：請在該縣市的「變更提名」勾選並註明理由", "warning")
    return redirect(url_for("selection.page", year=year, _anchor="nominations-title"))


def nominate(year: int):
    """Change one county's nomination, with a reason (staff, or that county's contact)."""
    form = NominationForm()
    key = county_key(form.county.data or "")
    typed = {key: {"cases": form.cases.data or [], "reason": form.reason.data or ""}}
    if not form.validate():
        lines = [line for field_errors in form.errors.values() for line in field_errors]
        return _selection_page(year, errors={key: lines}, typed=typed, status=400)
    try:
        chosen = change_nominations(year, form.county.data or "", form.cases.data,
                                    reason=form.reason.data or "", actor=current_actor())
    except ValidationError as error:
        return _selection_page(year, errors={key: error_messages(error)}, typed=typed, status=400)
    flash(f"已變更{form.county.data}的提名：{len(chosen)} 件", "success")
    return redirect(url_for("selection.page", year=year, _anchor=key))


def override(year: int, case_id: int):
    """Set one case's outcome by hand, with a reason (staff)."""
    form = OverrideForm()
    key = case_key(case_id)
    try:
        override_outcome(year, case_id, form.outcome.data or "", reason=form.reason.data or "",
                         accept_breaks=request.form.getlist("accept_break"),
                         actor=current_actor())
    except ValidationError as error:
        breaks = error.breaks if isinstance(error, QuotaBreak) else {}
        return _selection_page(year, errors={key: error_messages(error)}, status=400,
                               typed={key: {"outcome": form.outcome.data,
                                            "reason": form.reason.data or "",
                                            "breaks": breaks}})
    flash(f"已將案例 {case_code(case_id)} 的結果調整為{OUTCOME_LABELS[form.outcome.data]}", "success")
    return redirect(url_for("selection.page", year=year, _anchor=key))


def _publish_confirmation(year: int, errors: list[str] = ()) -> Confirmation:
    """What publishing will do: which cases become public as what, how many are ranked."""
    regions, codes = compute_selection(year), {}
    shown = (Outcome.BENCHMARK, Outcome.HONOURABLE, Outcome.TIE)
    rows = [[region.region, case_code(row["case"], codes), row["county"], row["title"],
             OUTCOME_LABELS[row["outcome"]]]
            for region in regions for row in region.ranking if row["outcome"] in shown]
    ranked = sum(len(region.ranking) for region in regions)
    public = sum(row[4] in (Outcome.BENCHMARK.label, Outcome.HONOURABLE.label) for row in rows)
    return Confirmation(
        title=f"公布{roc_year(year)}評選結果", button="確認公布評選結果",
        action=url_for("selection.publish", year=year),
        cancel=url_for("selection.page", year=year, _anchor="publish-title"),
        lines=[f"設定 {ranked} 件排名案例的評選結果（標竿案例、佳作、未入選）。",
               f"下表 {public} 件入選案例將於案例庫、評選結果頁對外公開，任何人皆可瀏覽與搜尋。",
               "各縣市的提名不能再變更。"],
        table_caption="將公開的入選案例", table_headers=["分區", "案例編號", "縣市", "案例名稱", "結果"],
        table_rows=rows, errors=list(errors))


def publish_page(year: int):
    """Confirm publishing the year's outcome: what becomes public."""
    return confirmation_page(_publish_confirmation(year))


def publish(year: int):
    """Publish the year's outcome: statuses set, benchmark and honourable cases public
    (confirmed first)."""
    if not confirmed():
        return redirect(url_for("selection.publish_confirm", year=year))
    try:
        result = publish_results(year, actor=current_actor())
    except ValidationError as error:
        return confirmation_page(_publish_confirmation(year, error_messages(error)), status=400)
    flash(f"已公布{roc_year(year)}評選結果：{result['ranked']} 件排名，"
          f"{result['published']} 件入選案例公開", "success")
    return redirect(url_for("results.page", year=year))


def results_workbook(year: int):
    """The year's results workbook (rankings, judges' totals, statistics, method) as Excel."""
    return send_download(build_results_workbook(results_data(year)),
                         download_name("評選結果", year=year, suffix="xlsx"))


def stats_page(year: int):
    """Judge statistics per stage and region: leniency charts, agreement, flagged judges (the
    content kept as HTML while what it is computed from is unchanged: it shows the same to
    every staff member)."""
    get_edition(year)  # an unknown year is a 404, never kept
    body = computed(("stats_html", year), lambda: _stats_body(year))
    return render_template("selection/stats.html", year=year, body=Markup(body))


def _stats_body(year: int) -> str:
    edition = get_edition(year)
    lenient, _ = statistics_thresholds()
    stages = [{"stage": stage,
               "regions": [_region_statistics(region, lenient)
                           for region in judge_statistics(year, stage.key)]}
              for stage in list_stages(year)]
    return render_template(
        "selection/_stats_body.html", edition=edition, year=year, stages=stages,
        names={user.login: user.name for user in list_users() if is_judge(user)},
        lenient=lenient, method=METHOD_NAMES[edition.rules.aggregation],
        method_text=aggregation_text(edition.rules),
        kendall_reading=kendall_reading, alpha_reading=alpha_reading, guide=statistics_guide(),
        KENDALL_NAME=KENDALL_NAME, ALPHA_NAME=ALPHA_NAME, RHO_NAME=RHO_NAME, MEASURE_LINES=MEASURE_LINES,
        score=shown_score)


# --- public pages -----------------------------------------------------------------------------

def results_latest():
    """Where 「評選結果」 leads: staff and county contacts to the newest year's selection page,
    everyone else to the newest year with published results."""
    actor = current_actor()
    edition = latest_edition()
    if edition is None:
        flash("尚未建立任何年度的論壇", "warning")
        return redirect(url_for("main.home"))
    if can_see_selection(actor):
        return redirect(url_for("selection.page", year=edition.year))
    years = published_counts()
    return redirect(url_for("results.page", year=max(years) if years else edition.year))


def results_page(year: int):
    """A year's published outcome: per region its benchmark cases and honourable mentions
    (published cases only, whoever looks)."""
    edition = get_edition(year)
    winners = published_winner_rows(year)
    regions = [{"region": region,
                "awards": [(award, label, [c for c in winners if c.region_id == region.id
                                           and c.status == award])
                           for award, label in AWARDS.items()]}
               for region in edition_regions(edition)]
    return render_template("selection/results.html", edition=edition, year=year,
                           regions=regions, any_published=bool(winners),
                           method_name=METHOD_NAMES[edition.rules.aggregation],
                           method_text=aggregation_text(edition.rules),
                           tie_break=tie_break_text(edition.rules),
                           weights=[(stage.name, stage.weight) for stage in list_stages(year)],
                           years=sorted(published_counts(), reverse=True),
                           case_url=id_urls("cases.page"))
