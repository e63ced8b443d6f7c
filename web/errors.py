"""Error pages: every error a person can cause, and every HTTP error, as a zh-TW page with the
right status. Errors from ``kb/`` arrive as :class:`kb.errors.ForumError` subclasses."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.errors import ForumError, NotFound, PermissionDenied, TooManyAttempts, ValidationError

MAX_REQUEST_MB = 32
"""The largest request (an upload with its form) the site takes, in MB."""
# status -> (title, message) for errors raised by Flask and Werkzeug themselves
HTTP_ERRORS = {
    400: ("無法處理的要求", "送出的資料格式不正確，請回上一頁檢查後再試。"),
    401: ("請先登入", "請先登入後再使用此頁面。"),
    403: ("沒有權限", "您沒有使用此頁面的權限。"),
    404: ("找不到頁面", "您要找的頁面不存在。"),
    405: ("無法這樣使用此網址", "此網址不接受這種要求（例如直接開啟只供表單送出的網址）。"),
    413: ("檔案太大", f"上傳的檔案超過 {MAX_REQUEST_MB} MB。"),
    429: ("嘗試次數過多", "短時間內的要求太多，請稍後再試。"),
    500: ("系統發生錯誤", "系統發生未預期的錯誤，已記錄下來；請稍後再試，或洽主辦機關。"),
}
# kind of ForumError -> status; the message is the error's own (zh-TW)
FORUM_ERRORS = [(NotFound, 404, "找不到資料"), (PermissionDenied, 403, "沒有權限"),
                (TooManyAttempts, 429, "嘗試次數過多"), (ValidationError, 400, "資料有誤"),
                (ForumError, 400, "無法完成")]


def error_page(status: int, title: str, message: str):
    """The zh-TW error page."""
    return render_template("error.html", title=title, message=message), status


def _http_error(error: HTTPException):
    status = error.code or 500
    title, message = HTTP_ERRORS.get(status, HTTP_ERRORS[400 if status < 500 else 500])
    return error_page(status, title, message)


def register_error_pages(app: Flask) -> None:
    """Map every kind of error to its page."""
    app.register_error_handler(CSRFError, lambda e: error_page(
        400, "表單驗證失敗", "表單已過期或缺少安全驗證碼，請重新整理頁面後再送出。"))
    for kind, status, title in FORUM_ERRORS:
        app.register_error_handler(kind, lambda e, status=status, title=title: error_page(status, title, str(e)))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _http_error)
