"""Accounts: staff list, add, edit, deactivate and reset them, edit judges' profiles and import
judges and county contacts from Excel; everyone changes their own password and sees their
own profile."""
from __future__ import annotations


from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import login_user

from kb.account_import import account_choices, import_accounts
from kb.assignments import set_judge_profile
from kb.conflicts import judge_profile
from kb.editions import edition_categories, edition_counties, latest_edition
from kb.errors import ValidationError
from kb.judges import profile_withdrawals
from kb.models import County, User
from kb.policy import is_judge
from kb.users import (ROLES, add_user, change_own_password, find_users, get_user,
                      reset_password, set_user_active, update_user)
from web.auth import SessionUser, current_actor
from web.downloads import send_download

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Where a person who must change their password may still go.
OPEN_ENDPOINTS = {"auth.password", "auth.logout", "static", "auth.login"}


def _problems(error: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        found.setdefault(problem.field or "", []).append(problem.message)
    return found


def _once(html: str, status: int = 200):
    """A page that shows a one-time password: never kept by the browser or a proxy."""
    return html, status, {"Cache-Control": "no-store"}


def register_password_gate(app: Flask) -> None:
    """Send a person whose password was reset (or made for them) to the password page first."""
    @app.before_request
    def _must_change_password():
        actor = current_actor()
        if (actor is not None and actor.must_change_password
                and request.endpoint not in OPEN_ENDPOINTS):
            flash("請先設定您自己的新密碼", "warning")
            return redirect(url_for("auth.password"))
        return None


# --- staff: the account list and one account ---------------------------------------------------

def accounts_page():
    """Every account, filtered by role and state, paged."""
    role = request.args.get("role") or None
    state = request.args.get("state") or None
    query = find_users(role=role if role in ROLES else None,
                       active={"active": True, "inactive": False}.get(state))
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template("staff/accounts.html", users=list(query.paginate(page, PAGE_SIZE)),
                           total=total, page=page, pages=pages, role=role, state=state)


def _county_names() -> list[str]:
    return [c.name for c in County.select().order_by(County.id)]


def account_new():
    """Add an account (any role); it gets a temporary password, shown once."""
    problems: dict = {}
    if request.method == "POST":
        form = request.form
        try:
            user = add_user(form.get("login", "").strip(), role=form.get("role", ""),
                            name=form.get("name", ""), county=form.get("county") or None,
                            email=form.get("email", ""), actor=current_actor())
        except ValidationError as error:
            problems = _problems(error)
        else:
            return _once(render_template("staff/password_once.html", user=user,
                                         password=user.temporary_password, created=True))
    return render_template("staff/account_form.html", user=None, typed=request.form,
                           counties=_county_names(), problems=problems), 400 if problems else 200


def _judge_choices() -> tuple[list[str], list[str]]:
    edition = latest_edition()
    if edition is None:
        return _county_names(), []
    return ([c.name for c in edition_counties(edition)],
            [c.name for c in edition_categories(edition)])


def account_edit(login: str):
    """One account: its details, and for a judge the profile (with the effect of a change on
    their assignments shown before it is saved)."""
    user = get_user(login)
    problems, withdrawals, status = {}, None, 200
    actor = current_actor()
    profile_form = None
    if request.method == "POST":
        form = request.form
        try:
            if form.get("part") == "profile":
                profile_form = {"title": form.get("title", "").strip(),
                                "affiliation": form.get("affiliation", "").strip(),
                                "fields": form.getlist("fields"),
                                "counties": form.getlist("counties")}
                withdrawals = profile_withdrawals(login, profile_form["counties"])
                if withdrawals and form.get("confirm") != "yes":
                    status = 409  # shown, waiting for the confirmation
                else:
                    set_judge_profile(login, actor=actor, **profile_form)
                    flash("已更新評審資料" + (f"，撤回 {len(withdrawals)} 筆指派" if withdrawals
                                           else ""), "success")
                    return redirect(url_for("accounts.edit", login=login))
            else:
                update_user(login, name=form.get("name", ""), role=form.get("role", ""),
                            county=form.get("county") or None, email=form.get("email", ""),
                            actor=actor)
                flash("已更新帳號資料", "success")
                return redirect(url_for("accounts.edit", login=login))
        except ValidationError as error:
            problems, status = _problems(error), 400
    counties, fields = _judge_choices()
    profile = judge_profile(user) if is_judge(user) else None
    return render_template(
        "staff/account_form.html", user=user, typed=request.form if request.method == "POST"
        and request.form.get("part") != "profile" else {}, counties=_county_names(),
        problems=problems, profile=profile, profile_form=profile_form, withdrawals=withdrawals,
        judge_counties=counties, judge_fields=fields), status


def account_active(login: str):
    """Deactivate or reactivate an account (POST)."""
    active = request.form.get("active") == "1"
    try:
        set_user_active(login, active, actor=current_actor())
    except ValidationError as error:
        flash(str(error), "error")
    else:
        flash(f"已{'重新啟用' if active else '停用'}帳號 {login}", "success")
    return redirect(url_for("accounts.edit", login=login))


def account_reset(login: str):
    """Give an account a temporary password (POST), shown on the next page only."""
    user = get_user(login)
    password = reset_password(login, actor=current_actor())
    return _once(render_template("staff/password_once.html", user=user, password=password,
                                 created=False))


# --- staff: bulk import ------------------------------------------------------------------------

def accounts_template():
    """The account list template (.xlsx)."""
    from exports.account_workbook import build_account_template
    return send_download(build_account_template(account_choices()), "評審與縣市承辦人名單範本.xlsx")


def accounts_import():
    """Upload a filled account list: all or nothing, every problem located by cell."""
    from exports.account_workbook import read_account_workbook
    problems, status = [], 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems, status = ["請選擇要匯入的 Excel 檔（.xlsx）"], 400
        else:
            try:
                report = import_accounts(read_account_workbook(upload.read()),
                                         actor=current_actor())
            except ValidationError as error:
                problems, status = [p.message for p in error.problems], 400
            else:
                return _once(render_template("staff/import_done.html", report=report,
                                             ROLE_NAMES=ROLES))
    return render_template("staff/import.html", problems=problems), status


# --- everyone: own password and profile --------------------------------------------------------

def own_password():
    """Change one's own password (required after a reset)."""
    actor = current_actor()
    problems = {}
    if request.method == "POST":
        form = request.form
        try:
            change_own_password(actor, form.get("current", ""), form.get("new", ""),
                                form.get("confirm", ""))
        except ValidationError as error:
            problems = _problems(error)
        else:
            # The new password ended every session of the account, this one too: sign this
            # browser in again, under the new session version.
            login_user(SessionUser(User.get_by_id(actor.id)))
            flash("已變更密碼（其他裝置上的登入已結束）", "success")
            return redirect(url_for("auth.account"))
    return render_template("staff/own_password.html", problems=problems), 400 if problems else 200


def own_account():
    """The signed-in person's own account and, for a judge, profile."""
    actor = current_actor()
    profile = judge_profile(actor) if is_judge(actor) else None
    return render_template("staff/own_account.html", user=actor, profile=profile)
