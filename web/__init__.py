"""The Flask app: factory, sessions, CSRF, error pages. Only this package imports Flask."""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from jinja2 import FileSystemBytecodeCache

from kb.db import database, release_connection
from kb.signin import session_user
from kb.search import case_search
from web.account_views import register_password_gate
from web.auth import SessionUser
from kb.instance import database_url, instance_home, loose_permissions, open_instance, secret_key
from web.routes import register_routes
from web.errors import MAX_REQUEST_MB, register_error_pages
from web.security import secure_app
from web.views import template_filters, template_helpers

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "請先登入"
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the same cookies, with the signer built once per key
    instead of twice a request (reading and writing the cookie of every save, issue 15), and
    each cookie's checked contents kept: a browser sends the same cookie with every request."""

    KEPT = 4096  # cookies whose contents are kept, at most

    def __init__(self):
        self._signers: dict = {}
        self._checked: dict[str, tuple[dict, int]] = {}  # cookie → contents, when signed

    def get_signing_serializer(self, app: Flask):
        """The serializer for the app's current secret key (and its fallbacks)."""
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(key)
        if signer is None:
            self._signers.clear()  # a key replaced: the old one's signer is not needed again
            self._checked.clear()  # nor what it accepted
            signer = self._signers[key] = super().get_signing_serializer(app)
        return signer

    def open_session(self, app: Flask, request):
        """The request's session, as Flask reads it; a cookie already checked is not verified
        and decoded again (a third of the cost of reading it on every save), but its age is
        checked every time."""
        signer = self.get_signing_serializer(app)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if signer is None or not cookie:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        checked = self._checked.get(cookie)
        if checked is not None:
            contents, signed = checked
            # itsdangerous's own test of the age, in whole seconds
            return self.session_class(contents if int(time.time()) - signed <= max_age else {})
        try:
            contents, signed_at = signer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        # Only contents of plain values are kept: a list in a session (flashed messages) is
        # changed in place.
        if all(isinstance(v, (str, int, float, bool, type(None))) for v in contents.values()):
            if len(self._checked) >= self.KEPT:
                self._checked.clear()
            self._checked[cookie] = (dict(contents), int(signed_at.timestamp()))
        return self.session_class(contents)


@login_manager.user_loader
def load_user(token: str):
    """The signed-in user for a session, unless deactivated or signed out since."""
    user = session_user(token)
    return SessionUser(user) if user else None


def _templates_cache(folder: Path) -> Path:
    """The folder of the compiled page templates: each process that starts reads them instead of
    compiling every template again on its first page (a tenth of a second for the search page).
    Jinja keys each by its template's source, so an edited template is compiled anew."""
    cache = folder / "cache" / "templates"
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache


def create_app(test_config: dict | None = None, *, home=None,
               index_coming: bool = False) -> Flask:
    """Build the app on an instance folder (``home``, $FORUM_HOME or ./instance).

    ``index_coming``: the caller builds the search index once the app is made (as `forum serve`
    does on a fresh folder), so a missing index is not warned about."""
    folder = instance_home(home or (test_config or {}).get("FORUM_HOME"))
    app = Flask(__name__, instance_path=str(folder))
    app.config.from_mapping(
        DATABASE_URL=database_url(folder),
        MAX_CONTENT_LENGTH=MAX_REQUEST_MB * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config:
        app.config.update(test_config)
    open_instance(folder, app.config["DATABASE_URL"])
    search = case_search()
    index = search.status()
    if index["missing"] and not (index_coming or search.building()):
        app.logger.warning("搜尋索引不存在（%s）：請執行 forum reindex", index["note"] or "無索引")
    if not app.testing:
        search.keep_current()  # edits made through other processes and servers reach this index
    app.secret_key = app.config.get("SECRET_KEY") or secret_key(folder)
    app.session_interface = SignedCookieSessions()
    loose = loose_permissions(folder)
    if loose:
        app.logger.warning("資料夾或檔案可被其他本機使用者讀取，請改為僅擁有者可讀寫"
                           "（資料夾 700、檔案 600）：%s", "、".join(loose))

    secure_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    register_routes(app)
    register_password_gate(app)
    app.context_processor(template_helpers)
    app.config.setdefault("FORUM_PREPARING", None)  # () -> what is still being prepared, or None

    @app.context_processor
    def _preparing():
        preparing = app.config["FORUM_PREPARING"]
        return {"preparing": preparing() if preparing else None}
    app.jinja_env.filters.update(template_filters())
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(_templates_cache(folder)))

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _release(_exc):
        release_connection()

    register_error_pages(app)
    return app
