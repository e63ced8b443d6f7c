"""The Flask app: factory, sessions, CSRF, error pages. Only this package imports Flask."""
from __future__ import annotations

from flask import Flask, render_template
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from kb.db import database
from kb.errors import NotFound, PermissionDenied
from kb.models import User
from kb.search import case_search
from web.auth import SessionUser
from web.instance import database_url, instance_home, open_instance, secret_key
from web.routes import register_routes
from web.views import template_helpers

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "login"
login_manager.login_message = "請先登入"
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in user for a session, unless deactivated since."""
    user = User.get_or_none((User.id == int(user_id)) & (User.active == True))  # noqa: E712
    return SessionUser(user) if user else None


def create_app(test_config: dict | None = None, *, home=None) -> Flask:
    """Build the app on an instance folder (``home``, $FORUM_HOME or ./instance)."""
    folder = instance_home(home or (test_config or {}).get("FORUM_HOME"))
    app = Flask(__name__, instance_path=str(folder))
    app.config.from_mapping(
        DATABASE_URL=database_url(folder),
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config:
        app.config.update(test_config)
    open_instance(folder, app.config["DATABASE_URL"])
    search = case_search()
    index = search.status()
    if index["missing"] and not search.building():
        app.logger.warning("搜尋索引不存在（%s）：請執行 forum reindex", index["note"] or "無索引")
    if not app.testing:
        search.keep_current()  # edits made through other processes and servers reach this index
    app.secret_key = app.config.get("SECRET_KEY") or secret_key(folder)

    csrf.init_app(app)
    login_manager.init_app(app)
    register_routes(app)
    app.context_processor(template_helpers)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc):
        if not database.is_closed():
            database.close()

    def error_page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    app.register_error_handler(CSRFError, lambda e: error_page(
        400, "表單驗證失敗", "表單已過期或缺少安全驗證碼，請重新整理頁面後再送出。"))
    app.register_error_handler(PermissionDenied, lambda e: error_page(403, "沒有權限", str(e)))
    app.register_error_handler(NotFound, lambda e: error_page(404, "找不到資料", str(e)))
    app.register_error_handler(403, lambda e: error_page(403, "沒有權限", "您沒有使用此頁面的權限。"))
    app.register_error_handler(404, lambda e: error_page(404, "找不到頁面", "您要找的頁面不存在。"))
    app.register_error_handler(413, lambda e: error_page(413, "檔案太大", "上傳的檔案超過 32 MB。"))
    return app
