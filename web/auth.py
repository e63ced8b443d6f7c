"""Signing in and out, and role checks on routes."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from kb.models import User
from kb.db import database
from kb.errors import TooManyAttempts
from kb.policy import is_judge
from kb.signin import session_token, sign_in
from kb.users import end_sessions


class SessionUser(UserMixin):
    """The signed-in :class:`kb.models.User`, as Flask-Login wants it."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return session_token(self.user)


def current_actor() -> User | None:
    """The signed-in user's record, or None for a visitor."""
    return current_user.user if current_user.is_authenticated else None


def role_required(*roles: str):
    """Let only signed-in users with one of ``roles`` through; others get 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if current_actor().role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


class LoginForm(FlaskForm):
    login = StringField("帳號", validators=[DataRequired("請輸入帳號")])
    password = PasswordField("密碼", validators=[DataRequired("請輸入密碼")])


def _safe_next(target: str | None, default: str | None = None) -> str:
    """Only a path on this site, so a crafted link cannot send people elsewhere after login:
    no other host, no backslash (browsers read ``/\\host`` as ``//host``), no control
    characters (a line break would split the redirect's header); else ``default`` (the front
    page when not given)."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not urlsplit(target).netloc and target.isprintable() and "\\" not in target):
        return target
    return default or url_for("main.home")


def landing_page(user) -> str:
    """Where a person lands after signing in: a judge on their open work, others on the front
    page."""
    return url_for("judging.home") if is_judge(user) else url_for("main.home")


def login():
    """The sign-in page."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = sign_in(form.login.data, form.password.data, address=request.remote_addr)
        except TooManyAttempts as error:
            flash(str(error), "error")
            return render_template("login.html", form=form), 429
        if user is None:
            flash("帳號或密碼錯誤，或帳號已停用", "error")
        else:
            session.clear()  # a new session: no token or message carried over from before
            login_user(SessionUser(user))
            flash(f"歡迎，{user.name}", "success")
            return redirect(_safe_next(request.args.get("next"), landing_page(user)))
    return render_template("login.html", form=form)


def logout():
    """Sign out (POST only, so a link on another site cannot sign anyone out), ending every
    session of the account, so a copied cookie stops working too."""
    if current_actor() is not None:
        with database.atomic():
            end_sessions(current_actor())
    logout_user()
    flash("已登出", "success")
    return redirect(url_for("main.home"))
