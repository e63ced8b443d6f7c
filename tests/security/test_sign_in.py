"""Issues 12.5 and 12.6: sign-in throttling, equal cost for unknown logins, sessions ended on
the server, a fresh CSRF token at sign-in."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from werkzeug import security

from helpers import PASSWORD, csrf_token, login
from kb import users
from kb.models import AuditLog, SignInAttempt
from kb.signin import LOCKOUT, MAX_FAILURES
from kb.users import set_password, set_user_active

LOCKED = "登入失敗次數過多（15 分鐘內 5 次），請於 15 分鐘後再試"


def attempt(client, user_login: str, password: str, address: str = "203.0.113.7"):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": user_login, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_five_failures_on_an_account_lock_it_even_for_the_right_password(client, make_user):
    make_user("staff", login="chief")
    for number in range(MAX_FAILURES):
        assert attempt(client, "chief", f"guess-{number}", address=f"198.51.100.{number}").status_code == 200
    refused = attempt(client, "chief", PASSWORD, address="198.51.100.99")
    assert refused.status_code == 429 and LOCKED in refused.get_data(as_text=True)
    assert AuditLog.get(AuditLog.action == "sign_in_throttled").actor == "chief@198.51.100.99"


def test_five_failures_from_one_address_lock_the_address(client, make_user):
    make_user("staff", login="chief")
    for number in range(MAX_FAILURES):
        attempt(client, f"nobody{number}", "guess")
    assert attempt(client, "chief", PASSWORD).status_code == 429
    assert attempt(client, "chief", PASSWORD, address="192.0.2.1").status_code == 302


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(client, make_user):
    make_user("staff", login="chief")
    long_ago = datetime.now() - LOCKOUT - timedelta(seconds=1)
    for _ in range(MAX_FAILURES):
        SignInAttempt.create(login="chief", address="203.0.113.7", at=long_ago, succeeded=False)
    assert attempt(client, "chief", PASSWORD).status_code == 302


def test_a_success_clears_the_accounts_earlier_failures(app, client, make_user):
    make_user("staff", login="chief")
    for number in range(MAX_FAILURES - 1):
        attempt(client, "chief", "guess", address=f"198.51.100.{number}")
    assert attempt(client, "chief", PASSWORD, address="192.0.2.1").status_code == 302
    client = app.test_client()
    for number in range(MAX_FAILURES - 1):
        attempt(client, "chief", "guess", address=f"198.51.100.{number + 10}")
    assert attempt(client, "chief", PASSWORD, address="192.0.2.1").status_code == 302


def test_unknown_logins_cost_the_same_password_check(db, make_user, monkeypatch):
    make_user("staff", login="chief")
    checked = []
    real = security.check_password_hash
    monkeypatch.setattr(users, "check_password_hash",
                        lambda stored, password: checked.append(stored.split("$")[0]) or real(stored, password))
    users.authenticate("chief", "wrong-guess")
    users.authenticate("nobody-here", "wrong-guess")
    assert len(checked) == 2 and checked[0] == checked[1]  # same method, same work factor


@pytest.mark.parametrize("ending", ["sign-out", "password", "deactivation"])
def test_a_copied_session_cookie_stops_working(app, make_user, ending):
    make_user("staff", login="chief")
    first, copy = app.test_client(), app.test_client()
    login(first, "chief")
    cookie = first.get_cookie("session")
    copy.set_cookie("session", cookie.value)
    protected = "/intake/104"
    assert copy.get(protected).status_code == 200
    if ending == "sign-out":
        first.post("/logout", data={"csrf_token": csrf_token(first, "/")})
    elif ending == "password":
        set_password("chief", "another-pass-2")
    else:
        set_user_active("chief", False)
    assert copy.get(protected).status_code == 302  # to the sign-in page


def test_a_session_cookie_accepted_before_is_refused_once_past_its_lifetime(
        app, client, make_user, monkeypatch):
    # The server keeps what a cookie it checked holds (a browser sends the same one with every
    # request); its age still counts.
    make_user("staff", login="chief")
    login(client, "chief")
    for _ in range(2):  # the second sends the cookie the first may have replaced
        assert client.get("/intake/104").status_code == 200
    app.permanent_session_lifetime = timedelta(hours=1)
    later = datetime.now().timestamp() + 2 * 3600
    monkeypatch.setattr("time.time", lambda: later)
    assert client.get("/intake/104").status_code == 302  # to the sign-in page


def test_signing_in_gives_a_fresh_csrf_token(client, make_user):
    make_user("staff", login="chief")
    before = csrf_token(client, "/login")
    login(client, "chief")
    with client.session_transaction() as session:
        assert session.get("csrf_token") != before
    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400
