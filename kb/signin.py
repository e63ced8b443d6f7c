"""Signing in with throttling, and ending sessions on the server.

:func:`sign_in` refuses, for :data:`LOCKOUT` after the last try, every attempt on an account
or from an address that failed :data:`MAX_FAILURES` times within that time — the right password
too — and records each refusal in the audit log. Failures on an account count since its last
successful sign-in; failures from an address always count. The counts are rows in the database
(not process memory), so they hold across web workers and servers, which a limiter keeping its
counts per process would not. Unknown logins cost the same as known ones
(:func:`kb.users.authenticate`).

A session cookie carries the user's ``session_version`` (:func:`session_token`);
:func:`kb.users.end_sessions` raises it, which ends every session signed in before
(:func:`session_user`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from kb.audit import write_audit
from kb.db import database, lock_names, prepared
from kb.errors import TooManyAttempts
from kb.models import SignInAttempt, User
from kb.users import authenticate

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
KEEP_ATTEMPTS = timedelta(days=1)


def _folded(login: str) -> str:
    return (login or "").strip().lower()


def _recent_failures(condition, since: datetime) -> int:
    return SignInAttempt.select().where(condition & (SignInAttempt.at >= since)
                                        & (SignInAttempt.succeeded == False)).count()  # noqa: E712


def _locked(login: str, address: str, now: datetime) -> bool:
    since = now - LOCKOUT
    last_success = (SignInAttempt.select()
                    .where((SignInAttempt.login == login) & (SignInAttempt.succeeded == True))  # noqa: E712
                    .order_by(SignInAttempt.at.desc()).first())
    account_since = max(since, last_success.at) if last_success else since
    return (_recent_failures(SignInAttempt.login == login, account_since) >= MAX_FAILURES
            or _recent_failures(SignInAttempt.address == address, since) >= MAX_FAILURES)


def sign_in(login: str, password: str, *, address: str) -> User | None:
    """The active user with this login and password, or None; raises :class:`TooManyAttempts`
    (zh-TW) while the account or ``address`` is locked out."""
    folded, address = _folded(login), address or "unknown"
    user = authenticate(login, password)
    now = datetime.now()
    with database.atomic():
        # Two attempts at once would both count the failures before either is recorded.
        lock_names(f"sign-in login {folded}", f"sign-in address {address}")
        locked = _locked(folded, address, now)
        SignInAttempt.create(login=folded, address=address, at=now, succeeded=bool(user) and not locked)
        SignInAttempt.delete().where(SignInAttempt.at < now - KEEP_ATTEMPTS).execute()
        if locked:
            write_audit(f"{folded}@{address}", "sign_in_throttled", "user", None,
                        after={"login": folded, "address": address})
    if locked:
        minutes = int(LOCKOUT.total_seconds() // 60)
        raise TooManyAttempts(f"登入失敗次數過多（{minutes} 分鐘內 {MAX_FAILURES} 次），"
                              f"請於 {minutes} 分鐘後再試；如忘記密碼請洽主辦機關")
    return user


def session_token(user: User) -> str:
    """What a session cookie holds for ``user``: its id and current session version."""
    return f"{user.id}:{user.session_version}"


def session_user(token: str) -> User | None:
    """The active user a session token belongs to, or None if the session was ended since."""
    user_id, _, version = (token or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    return next(iter(_session_user(int(user_id), int(version))), None)


@prepared
def _session_user(user_id: int, version: int):
    return User.select().where((User.id == user_id) & (User.active == True)  # noqa: E712
                               & (User.session_version == version)).limit(1)
