"""Response headers and deployment settings that keep browsers and proxies on our side.

- Every response carries a Content-Security-Policy with no inline script (scripts are files
  under /static), ``frame-ancestors 'none'`` and X-Frame-Options (no page can be framed),
  X-Content-Type-Options, and a Referrer-Policy that sends no path to other sites.
- ``FORUM_SECURE_COOKIES=1``: session cookies only over HTTPS (set it when the site is served
  through HTTPS).
- ``FORUM_TRUSTED_PROXIES=N``: the app runs behind N reverse proxies (e.g. nginx) that set
  X-Forwarded-For/-Proto/-Host; the client's address, used to throttle sign-ins, is then
  taken from them. Leave it 0 when clients connect directly, or anyone could forge an address.
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Inline style attributes stay allowed: the score bars set their widths that way, and styles
# cannot run code.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _setting_number(name: str) -> int:
    typed = os.environ.get(name, "").strip()
    if typed and not typed.isdigit():
        raise SystemExit(f"{name} 須為 0 或正整數，而不是「{typed}」")
    return int(typed or 0)


def secure_app(app: Flask) -> None:
    """Add the headers to every response and apply the deployment settings above."""
    if os.environ.get("FORUM_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes", "on"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    proxies = _setting_number("FORUM_TRUSTED_PROXIES")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def _refuse_nul():
        # No text anybody types contains a NUL character, and PostgreSQL refuses to store or
        # compare one: a request carrying it is malformed (400), not a server error.
        if request.endpoint == "main.search":
            return None  # search takes anything typed and drops NUL itself
        values = [request.path, *request.args.values(),
                  *(request.form.values() if request.form else ())]
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def _headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
