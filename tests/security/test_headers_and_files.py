"""Issues 12.7 and 12.8: private instance files, security headers, no inline script, the
secure-cookie and proxy settings."""
from __future__ import annotations

import logging
import re
import stat
from pathlib import Path

import pytest

from helpers import csrf_token
from kb.models import SignInAttempt
from web import create_app
from kb.instance import open_instance

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.sqlite_only  # the database file's mode
def test_a_new_instance_is_private_to_its_owner(home):
    database = open_instance(home)
    try:
        SignInAttempt.create(login="x", address="y", succeeded=False)  # a write: the WAL exists
        assert mode(home) == 0o700
        assert mode(home / "uploads") == mode(home / "exports") == 0o700
        assert mode(home / "forum.db") == mode(home / "forum.db-wal") == 0o600
    finally:
        database.close()


@pytest.mark.sqlite_only  # the database file's mode
def test_loosened_permissions_are_warned_about_at_start(home, edition, caplog):
    (home / "forum.db").chmod(0o644)
    home.chmod(0o755)
    with caplog.at_level(logging.WARNING):
        create_app({"TESTING": True}, home=home)
    warning = next(r.getMessage() for r in caplog.records if "其他本機使用者" in r.getMessage())
    assert f"{home}（755）" in warning and f"{home / 'forum.db'}（644）" in warning


@pytest.mark.parametrize("url", ["/", "/login", "/cases/", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_or_event_handler():
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offending.append(template.name)
    assert offending == []


def test_secure_cookies_and_a_trusted_proxy_are_settings(home, edition, make_user, monkeypatch):
    monkeypatch.setenv("FORUM_SECURE_COOKIES", "1")
    monkeypatch.setenv("FORUM_TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True}, home=home)
    client = app.test_client()
    make_user("staff", login="chief")
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.23", "HTTP_X_FORWARDED_PROTO": "https"}
    token = csrf_token(client, "https://localhost/login")
    response = client.post("https://localhost/login", environ_base=forwarded,
                           headers={"Referer": "https://localhost/login"},
                           data={"login": "chief", "password": "wrong", "csrf_token": token})
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session_cookie
    assert SignInAttempt.get().address == "198.51.100.23"
