"""Judging pages: a judge's assignments, score form and score sheet; staff's stage control,
progress dashboard, assignments and combined score table.

Handlers read the request, call kb.stages, kb.assignments and kb.scores (or web.score_files)
and render; the helpers below only put service results together for the templates.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (BooleanField, HiddenField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)

from kb.assignments import (assign_onsite, assign_screening, assignment_dict, assignment_to_save,
                            assignment_with_rubric, declare_conflict, get_assignment, judge_stages,
                            list_assignments, panel_members, set_judge_profile,
                            stage_assignment_states, unassign)
from kb.case_codes import case_code
from kb.cases import case_detail
from kb.conflicts import (active_judges, conflict_reason, declared_conflicts, judge_profile,
                          judge_profiles)
from kb.editions import (edition_categories, edition_counties, edition_regions, get_edition,
                         latest_edition)
from kb.errors import ForumError, PermissionDenied, ValidationError
from kb.judges import profile_withdrawals
from kb.policy import can_view_case
from kb.rocdate import parse_roc_date, roc_date, roc_year
from kb.scores import ScoreEntry, parse_score, record_scores, stage_progress, submit_complete_drafts
from kb.stages import (STATES, get_stage, is_closed, outstanding_assignments, set_stage_state,
                       stage_case_rows)
from web.auth import current_actor
from web.confirm import Confirmation, confirmation_page, confirmed
from web.downloads import download_name, send_download
from web.paging import requested_page
from web.views import id_urls, read_case_codes, shown_case_code
from web.score_files import (import_scores_table, import_scoresheet, scores_table_file,
                              scoresheet_file)

STAGE_ACTIONS = {"open": "開放", "close": "關閉", "reopen": "重新開放"}
AUTO_ASSIGN = {"screening": assign_screening, "onsite": assign_onsite}
REMINDER_DAYS = 7
CASES_PER_PAGE = 50  # on the staff assignments page, each with its judges and their buttons


# --- forms ------------------------------------------------------------------------------------

class ScoreForm(FlaskForm):
    """The score form's comment and buttons; the scores are one input per criterion. Its page
    carries the CSRF token itself: CSRFProtect checks every POST, and the form's own token field
    would sign a new token on every save only to be thrown away with the redirect."""

    class Meta:
        csrf = False

    comment = TextAreaField("評語（選填）")
    save_draft = SubmitField("暫存")
    send = SubmitField("送出評分")


class ConflictForm(FlaskForm):
    """A judge's declaration of a conflict of interest on one case."""

    reason = TextAreaField("迴避理由")


class ProfileForm(FlaskForm):
    """A judge's own ties and fields."""

    counties = SelectMultipleField("有利益關係的縣市（任職、擔任顧問等）", validate_choice=False)
    fields = SelectMultipleField("專長領域", validate_choice=False)


class UploadForm(FlaskForm):
    """An Excel file to import, optionally only checked."""

    workbook = FileField("Excel 檔（.xlsx）", validators=[FileRequired("請選擇檔案")])
    dry_run = BooleanField("只檢查，不寫入")


class SubmitAllForm(FlaskForm):
    """A judge sends every complete draft of a stage at once."""


class StageForm(FlaskForm):
    """Open, close or reopen a stage; the pressed button names the action."""

    action = HiddenField()
    reason = StringField("理由")


class PanelForm(FlaskForm):
    """The judges of one region's on-site panel."""

    region = HiddenField()
    judges = SelectMultipleField(validate_choice=False)
    reason = StringField("變更理由")


# --- helpers ----------------------------------------------------------------------------------

def error_messages(error: ForumError) -> list[str]:
    """Every message of a service error, one line each."""
    if isinstance(error, ValidationError):
        return [problem.message for problem in error.problems]
    return [str(error)]


def reminder_text(name: str, year: int, stage_name: str, pending: int, today: date,
                  deadline: date) -> str:
    """The reminder staff copy into a mail or message to a judge who is behind."""
    return (f"{name}委員您好：{roc_year(year)}{stage_name}尚有 {pending} 件案例待評分"
            f"（截至{roc_date(today)}），敬請於{roc_date(deadline)}前完成。"
            "請登入系統「評分」頁面填寫，或下載 Excel 評分表填妥後上傳。感謝您的協助！")


def _judge_stages(judge) -> list[dict]:
    """Every stage in which the judge has assignments, open ones first (then newest year
    first), with their rows, how many are submitted, the next case to score and how many
    complete drafts wait to be sent."""
    shown = [{"year": stage.edition.year, "stage": stage, "rows": rows,
              "done": sum(row["state"] == "submitted" for row in rows),
              "next": next((row for row in rows if row["state"] != "submitted"), None),
              "complete_drafts": sum(row["state"] == "draft" and row["total"] is not None
                                     for row in rows)}
             for stage, rows in judge_stages(judge)]
    return sorted(shown, key=lambda item: not item["stage"].is_open)


def _deadline_arg(today: date) -> date:
    """The reminder deadline from ?deadline= (115/12/08, 民國115年12月8日…), else a week from
    today; a date that cannot be read is said so and replaced by the default."""
    try:
        typed = parse_roc_date(request.args.get("deadline", ""), field="完成期限")
    except ValidationError as error:
        flash(str(error), "error")
        typed = None
    return typed or today + timedelta(days=REMINDER_DAYS)


def _reminders(year: int, stage: dict, names: dict[str, str], today: date,
               deadline: date) -> list[dict]:
    """The judges of an open stage who have not submitted every assigned case, with a text."""
    behind = []
    for row in stage["judges"]:
        pending = row["assigned"] - row["scored"]
        if pending > 0:
            name = names.get(row["judge"], row["judge"])
            behind.append({"judge": row["judge"], "name": name, "pending": pending,
                           "text": reminder_text(name, year, stage["name"], pending, today,
                                                 deadline)})
    return behind


def _score_errors(criteria: list, typed: dict[str, str]) -> dict[str, str]:
    """Criterion name → what is wrong with its typed score (checked by the service's parser)."""
    errors = {}
    for criterion in criteria:
        try:
            parse_score(typed.get(criterion.name), criterion.points)
        except ValueError as error:
            errors[criterion.name] = str(error)
    return errors


def _region_summary(cases: list, by_case: dict) -> list[dict]:
    """Each region (in order) with its number of cases, of cases nobody is assigned to, and of
    submitted and all assignments."""
    regions = {}
    for case in cases:
        row = regions.setdefault(case.region, {"region": case.region, "cases": 0, "missing": 0,
                                               "submitted": 0, "given": 0})
        given = by_case.get(case.id, ())
        row["cases"] += 1
        row["missing"] += not given
        row["given"] += len(given)
        row["submitted"] += sum(a.state == "submitted" for a in given)
    return list(regions.values())


def _assignment_filters() -> dict:
    """The case list's filters as asked in the query: a region, only cases nobody is assigned to."""
    return {"region": request.args.get("region") or None,
            "pending": request.args.get("pending") == "1"}


def _judge_rows(stage, assignments: list) -> list[dict]:
    """Every active judge with fields, tied counties, this year's declared conflicts and load."""
    load = Counter(assignment.judge_id for assignment in assignments)
    judges = active_judges()
    profiles, conflicts = judge_profiles(judges), declared_conflicts(stage.edition_id)
    return [{"judge": judge, "fields": profiles[judge.id].fields,
             "counties": profiles[judge.id].counties, "conflicts": conflicts.get(judge.id, []),
             "load": load[judge.id]} for judge in judges]


def _region_panels(stage) -> list[tuple]:
    """Each region with the logins of its on-site panel."""
    panel = panel_members(stage.edition.year, stage.key)
    return [(region, {judge.login for judge in panel.get(region.name, [])})
            for region in edition_regions(stage.edition)]


# --- judge pages ------------------------------------------------------------------------------

def _judge_home_page(form: UploadForm, *, report=None, problems=(), status: int = 200):
    """The judge's page, with the outcome of a score-sheet upload if there was one."""
    stages = _judge_stages(current_actor())
    read_case_codes({item["stage"].edition_id for item in stages})
    score_url = id_urls("judging.score", key="assignment_id")
    for item in stages:
        item["rows_html"] = _assignment_rows_html(item["rows"], item["stage"].is_open, score_url)
    return render_template("judging/home.html", stages=stages,
                           form=form, report=report, problems=problems, STATES=STATES,
                           submit_form=SubmitAllForm(formdata=None)), status


def _assignment_rows_html(rows: list[dict], is_open: bool, score_url) -> Markup:
    """The rows of a stage's table of assignments on the judge's page (case code, county,
    title, state, total, a link to score or view it). Written in Python, as
    :mod:`web.field_html` writes inputs: a judge may have hundreds of rows, and the template's
    filters and lookups for each cell were most of the page's time."""
    action = "評分" if is_open else "檢視"
    return Markup("".join(
        f'\n    <tr>\n      <td>{escape(shown_case_code(row["case"]))}</td>\n'
        f'      <td>{escape(row["county"])}</td>\n      <td>{escape(row["title"])}</td>\n'
        f'      <td><span class="badge state-{escape(row["state"])}">'
        f'{escape(STATES[row["state"]])}</span></td>\n'
        f'      <td>{"—" if row["total"] is None else "%g" % row["total"]}</td>\n'
        f'      <td><a href="{escape(score_url(row["assignment"]))}" '
        f'aria-label="{action}：{escape(row["title"])}">{action}</a></td>\n    </tr>\n  '
        for row in rows))


def judge_home():
    """A judge's stages: their assignments with state and total, progress, score sheets."""
    return _judge_home_page(UploadForm())


def scoresheet_download(year: int, stage_key: str):
    """The signed-in judge's Excel score sheet for a stage."""
    judge = current_actor()
    try:
        data = scoresheet_file(year, stage_key, judge.login)
    except ValidationError as error:
        flash(str(error), "error")
        return redirect(url_for("judging.home"))
    stage = get_stage(year, stage_key)
    return send_download(data, download_name("評分表", stage.name, judge.name, year=year,
                                             suffix="xlsx"))


def submit_all(year: int, stage_key: str):
    """Submit every complete draft of the signed-in judge in a stage (「送出全部已完成評分」)."""
    if not SubmitAllForm().validate_on_submit():
        abort(400)
    actor = current_actor()
    try:
        report = submit_complete_drafts(year, stage_key, judge=actor, actor=actor)
    except ValidationError as error:
        return _judge_home_page(UploadForm(formdata=None), problems=error_messages(error),
                                status=400)
    flash(f"已送出 {len(report.changed)} 件已完成的評分", "success")
    return redirect(url_for("judging.home"))


def _next_to_score(assignment) -> int | None:
    """The next case of the same stage the judge has not submitted (after this one, wrapping
    round), or None when every case is submitted."""
    rows = [a for a in list_assignments(assignment.stage.edition.year, assignment.stage.key,
                                        judge=assignment.judge)
            if conflict_reason(assignment.judge, a.case) is None]
    ids = [a.id for a in rows]
    start = ids.index(assignment.id) + 1 if assignment.id in ids else 0
    later = rows[start:] + rows[:start]
    return next((a.id for a in later if a.state != "submitted" and a.id != assignment.id), None)


def scoresheet_upload():
    """Import a filled score sheet (or only check it); every problem is listed."""
    form = UploadForm()
    report, problems = None, []
    if form.validate_on_submit():
        try:
            report = import_scoresheet(form.workbook.data.read(), actor=current_actor(),
                                       dry_run=form.dry_run.data)
        except ForumError as error:
            problems = error_messages(error)
    failed = bool(problems or form.errors)
    return _judge_home_page(form, report=report, problems=problems, status=400 if failed else 200)


def score_page(assignment_id: int):
    """Score one assigned case: draft or submit; read-only once the stage is closed."""
    actor = current_actor()
    if request.method == "GET":
        assignment, criteria = assignment_with_rubric(assignment_id, viewer=actor)
        reason = conflict_reason(actor, assignment.case)
        if reason:
            raise PermissionDenied(f"您不得評分此案例：{reason}")
    else:  # a save is checked by record_scores, in its transaction
        assignment, criteria = assignment_to_save(assignment_id, viewer=actor)
    stage = assignment.stage
    typed, errors, general = None, {}, []
    if request.method == "POST":
        # The fields read as ScoreForm reads them (a button pressed: its name sent, not empty
        # or "false"); the form itself is built only for a page shown again, as it cost a
        # tenth of a save (issue 15).
        send = request.form.get("send", "") not in ("", "false")
        typed = {c.name: request.form.get(f"score-{c.id}", "") for c in criteria}
        errors = _score_errors(criteria, typed)
        if not errors:
            entry = ScoreEntry(judge=actor.login, case_id=assignment.case_id, values=typed,
                               comment=request.form.get("comment", ""),
                               where=f"〈{assignment.case.title}〉")
            try:
                record_scores([entry], stage=stage, actor=actor, submit=send)
            except ForumError as error:
                general = error_messages(error)
            else:
                if send:
                    flash(f"已送出〈{assignment.case.title}〉的評分", "success")
                    following = _next_to_score(assignment)
                    if following is None:
                        flash("您在本階段的案例已全部送出，感謝您的協助", "success")
                        return redirect(url_for("judging.home"))
                    return redirect(url_for("judging.score", assignment_id=following))
                # The page says 「已暫存評分」 for saved=1: a flashed message would change the
                # session cookie, signed and sent back with every save. No #fragment: a browser
                # skips autofocus on a page opened at one.
                return redirect(url_for("judging.score", assignment_id=assignment.id, saved=1))
    form = ScoreForm()
    if request.method == "GET":
        form.comment.data = assignment.comment
    else:  # the form again, with what was typed: the page shows the assignment in full
        assignment, criteria = assignment_with_rubric(assignment_id, viewer=actor)
        stage = assignment.stage
    case = assignment.case
    current = assignment_dict(assignment, criteria)
    return render_template(
        "judging/score.html", assignment=assignment, stage=stage, year=stage.edition.year,
        editable=stage.is_open and (current["state"] != "submitted" or stage.allow_resubmit),
        saved=request.args.get("saved") == "1", criteria=criteria, current=current, typed=typed,
        errors=errors, general=general, form=form, conflict_form=ConflictForm(formdata=None),
        detail=case_detail(case), case_link=can_view_case(actor, case), STATES=STATES,
    ), 400 if errors or general else 200


def conflict_declare(assignment_id: int):
    """A judge declares a conflict of interest on an assigned case; the assignment goes."""
    actor = current_actor()
    assignment = get_assignment(assignment_id, viewer=actor)
    if not assignment.stage.is_open:
        raise PermissionDenied("此階段評分已鎖定，如需聲明利益迴避請洽主辦機關")
    declare_conflict(actor.login, assignment.case_id, ConflictForm().reason.data or "", actor=actor)
    flash(f"已聲明利益迴避：〈{assignment.case.title}〉不再列入您的評分案件", "success")
    return redirect(url_for("judging.home"))


# --- staff pages ------------------------------------------------------------------------------

def staff_latest():
    """The newest year's judging dashboard."""
    edition = latest_edition()
    if edition is None:
        flash("尚未建立任何年度的論壇", "warning")
        return redirect(url_for("main.home"))
    return redirect(url_for("judging.progress", year=edition.year))


def _progress_page(year: int, *, errors: dict | None = None, status: int = 200):
    """The staff dashboard, with a refused stage change's messages (stage key → lines)."""
    edition = get_edition(year)
    today = date.today()
    deadline = _deadline_arg(today)
    names = {judge.login: judge.name for judge in active_judges()}
    stages = stage_progress(year)
    reminders = {s["stage"]: _reminders(year, s, names, today, deadline)
                 for s in stages if s["open"]}
    return render_template("judging/progress.html", edition=edition, stages=stages,
                           names=names, reminders=reminders, deadline=deadline,
                           errors=errors or {}), status


def progress_page(year: int):
    """Staff dashboard: each stage's state, progress per judge and region, reminders."""
    return _progress_page(year)


def _close_confirmation(year: int, stage_key: str, errors: list[str] = ()) -> Confirmation:
    """What closing a stage will do: how many assignments it locks, who has not submitted."""
    stage = get_stage(year, stage_key)
    outstanding = outstanding_assignments(stage)
    assigned = stage.assignments.count()  # a count, not every assignment row read
    lines = [f"鎖定{roc_year(year)}「{stage.name}」全部 {assigned} 筆指派的評分："
             "評審不能再修改、上傳評分表或送出，評審指派與名單也不能再變更。",
             f"尚未送出的 {len(outstanding)} 筆不會計入成績（見下表）。" if outstanding
             else "所有指派皆已送出評分。"]
    return Confirmation(
        title=f"關閉{stage.name}評分", button="確認關閉評分（鎖定分數）",
        action=url_for("judging.stage_state", year=year, stage_key=stage_key),
        cancel=url_for("judging.progress", year=year), lines=lines,
        table_caption=f"尚未送出評分的指派（{len(outstanding)} 筆）",
        table_headers=["評審委員", "帳號", "案例編號", "案例名稱", "狀態"],
        table_rows=[[row["name"], row["judge"], row["case"], row["title"], STATES[row["state"]]]
                    for row in outstanding],
        undo="關閉後可在評審作業頁「重新開放」（須註明理由，留有紀錄）。",
        reason_label="仍有未送出評分時關閉的理由" if outstanding else "",
        reason_required=bool(outstanding), hidden={"action": "close"}, errors=list(errors))


def stage_close_page(year: int, stage_key: str):
    """Confirm closing a stage: what it locks and who has not submitted."""
    return confirmation_page(_close_confirmation(year, stage_key))


def stage_state(year: int, stage_key: str):
    """Open, close or reopen a stage (reopening needs a reason; closing is confirmed first,
    with a reason when assignments are not submitted)."""
    form = StageForm()
    closing = form.action.data == "close"
    if closing and not confirmed():
        return redirect(url_for("judging.stage_close", year=year, stage_key=stage_key))
    try:
        stage = set_stage_state(year, stage_key, form.action.data, reason=form.reason.data,
                                force=closing, allow_resubmit=_allow_resubmit_arg(),
                                actor=current_actor())
    except ValidationError as error:
        if closing:
            return confirmation_page(_close_confirmation(year, stage_key, error_messages(error)),
                                     status=400)
        return _progress_page(year, errors={stage_key: error_messages(error)}, status=400)
    flash(f"{stage.name}已{STAGE_ACTIONS[form.action.data]}評分", "success")
    return redirect(url_for("judging.progress", year=year))


def _allow_resubmit_arg() -> bool | None:
    """The stage form's 「允許評審修改已送出的評分」 box, when the form has it."""
    if "allow_resubmit_shown" not in request.form:
        return None
    return request.form.get("allow_resubmit") == "1"


def _assignments_page(year: int, stage_key: str, *, form: UploadForm | None = None,
                      problems=(), report=None, status: int = 200):
    """The staff assignments page, with a refused action's problems or an import's report."""
    stage = get_stage(year, stage_key)
    assignments = stage_assignment_states(stage)
    by_case = defaultdict(list)
    for assignment in assignments:
        by_case[assignment.case_id].append(assignment)
    cases, filters = stage_case_rows(stage), _assignment_filters()
    shown = [case for case in cases
             if (filters["region"] in (None, case.region))
             and not (filters["pending"] and by_case.get(case.id))]
    paging = requested_page(len(shown), CASES_PER_PAGE)
    rows = paging.rows(shown)
    return render_template(
        "judging/assignments.html", year=year, stage=stage, closed=is_closed(stage),
        regions=_region_summary(cases, by_case), filters=filters, paging=paging,
        total_cases=len(cases),
        rows_html=_case_rows_html([(case, by_case.get(case.id, [])) for case in rows],
                                  closed=is_closed(stage), kept=_kept_filters(filters, paging)),
        judges=_judge_rows(stage, assignments),
        panels=_region_panels(stage) if stage.key == "onsite" else [],
        form=form or UploadForm(formdata=None), problems=problems, report=report,
        STATES=STATES), status


def _kept_filters(filters: dict, paging) -> str:
    """The hidden inputs that bring a cancel back to the same filtered page of the list."""
    kept = []
    if filters["region"]:
        kept.append(f'<input type="hidden" name="region" value="{escape(filters["region"])}">')
    if filters["pending"]:
        kept.append('<input type="hidden" name="pending" value="1">')
    if paging.page > 1:
        kept.append(f'<input type="hidden" name="page" value="{paging.page}">')
    return "".join(f"\n                {field}" for field in kept)


def _case_rows_html(cases: list[tuple], *, closed: bool, kept: str) -> Markup:
    """The rows of the staff assignments table: each case with its judges, their states and
    (in an open stage, until submitted) a form to cancel the assignment. Written in Python, as
    :func:`_assignment_rows_html`: the template's lookups for each of a page's hundreds of
    judges were most of its time."""
    case_url = id_urls("cases.page")
    unassign_url = id_urls("judging.unassign", key="assignment_id")
    token = generate_csrf()
    lines = []
    for case, assigned in cases:
        code = escape(shown_case_code(case))
        lines.append(
            f'\n      <tr>\n        <td class="stack-lead"><span class="case-id">{code}</span>'
            f'　<a href="{case_url(case.id)}">{escape(case.title)}</a></td>\n'
            f'        <td data-label="分區／縣市">{escape(case.region)}／{escape(case.county)}</td>\n'
            '        <td data-label="評審與狀態">')
        if not assigned:
            lines.append('<span class="badge warn">尚未指派</span></td>\n      </tr>')
            continue
        lines.append('\n          <ul class="judge-list">')
        for a in assigned:
            judge = f"{escape(a.name)}（{escape(a.login)}）"
            lines.append(f'\n            <li>{judge}<span class="badge state-{escape(a.state)}">'
                         f'{escape(STATES[a.state])}</span>')
            if a.state != "submitted" and not closed:
                reason = ('\n                <label>取消理由（將刪除暫存評分）<input type="text" '
                          'name="reason" maxlength="200"></label>' if a.state == "draft" else "")
                lines.append(
                    f'\n              <form method="post" action="{unassign_url(a.id)}" class="inline">'
                    f'\n                <input type="hidden" name="csrf_token" value="{escape(token)}">'
                    f'{kept}{reason}\n                <button type="submit" class="link" '
                    f'aria-label="取消指派 {judge}評分案例 {code}">取消指派</button>'
                    '\n              </form>')
            lines.append("\n            </li>")
        lines.append("\n          </ul>\n        </td>\n      </tr>")
    return Markup("".join(lines))


def assignments_page(year: int, stage_key: str):
    """A stage's assignments by case, the judges' ties and conflicts, and the score table."""
    return _assignments_page(year, stage_key)


def auto_assign(year: int, stage_key: str):
    """Assign judges automatically (screening) or apply the regions' panels (on site)."""
    if stage_key not in AUTO_ASSIGN:
        abort(404)
    try:
        report = AUTO_ASSIGN[stage_key](year, actor=current_actor())
    except ValidationError as error:
        return _assignments_page(year, stage_key, problems=error_messages(error), status=400)
    flash(f"已新增 {report.created} 筆指派", "success")
    return redirect(url_for("judging.assignments", year=year, stage_key=stage_key))


def assign_panel(year: int):
    """Put the chosen judges on a region's on-site panel and assign them its cases."""
    form = PanelForm()
    try:
        report = assign_onsite(year, region=form.region.data, judges=form.judges.data,
                               reason=form.reason.data, actor=current_actor())
    except ValidationError as error:
        return _assignments_page(year, "onsite", problems=error_messages(error), status=400)
    flash(f"{form.region.data}：已新增 {report.created} 筆指派", "success")
    return redirect(url_for("judging.assignments", year=year, stage_key="onsite"))


def remove_assignment(assignment_id: int):
    """Take a judge off a case (not once the judge has submitted)."""
    assignment = get_assignment(assignment_id)
    stage = assignment.stage
    label = f"{assignment.judge.name}（{assignment.judge.login}）／案例 {case_code(assignment.case)}"
    try:
        unassign(assignment.id, reason=request.form.get("reason"), actor=current_actor())
    except ValidationError as error:
        flash(f"{label}：{error}", "error")
    else:
        flash(f"已取消指派：{label}", "success")
    back = {name: request.form[name] for name in ("region", "pending", "page")
            if request.form.get(name)}  # the list page the button was on
    return redirect(url_for("judging.assignments", year=stage.edition.year, stage_key=stage.key,
                            **back))


def scores_table_download(year: int, stage_key: str):
    """Every judge's scores of a stage and each case's aggregate, as Excel."""
    name = download_name("評分總表", get_stage(year, stage_key).name, year=year, suffix="xlsx")
    return send_download(scores_table_file(year, stage_key), name)


def scores_table_upload(year: int, stage_key: str):
    """Import a combined score table typed in from paper forms (or only check it)."""
    form = UploadForm()
    report, problems = None, []
    if form.validate_on_submit():
        try:
            report = import_scores_table(form.workbook.data.read(), year=year,
                                         stage_key=stage_key, actor=current_actor(),
                                         dry_run=form.dry_run.data)
        except ForumError as error:
            problems = error_messages(error)
    failed = bool(problems or form.errors)
    return _assignments_page(year, stage_key, form=form, problems=problems, report=report,
                             status=400 if failed else 200)


def judge_profile_page():
    """A judge records the counties they are tied to and their fields; a new tie withdraws
    their assignments in that county."""
    actor = current_actor()
    edition = latest_edition()
    form = ProfileForm()
    counties = [c.name for c in edition_counties(edition)] if edition else []
    fields = [c.name for c in edition_categories(edition)] if edition else []
    form.counties.choices = [(name, name) for name in counties]
    form.fields.choices = [(name, name) for name in fields]
    problems, withdrawals = [], []
    if form.validate_on_submit():
        try:
            # A new tie withdraws assignments: show which before anything is saved.
            withdrawals = profile_withdrawals(actor.login, form.counties.data)
            if not withdrawals or request.form.get("confirm") == "yes":
                set_judge_profile(actor.login, counties=form.counties.data,
                                  fields=form.fields.data, actor=actor)
                flash("已更新利益關係縣市與專長領域"
                      + (f"，撤回 {len(withdrawals)} 筆指派" if withdrawals else ""), "success")
                return redirect(url_for("judging.profile"))
        except ForumError as error:
            problems = error_messages(error)
    elif request.method == "GET":
        profile = judge_profile(actor)
        form.counties.data, form.fields.data = profile.counties, profile.fields
    return render_template("judging/profile.html", form=form, problems=problems,
                           withdrawals=withdrawals), 400 if problems else 200
