"""Logins and roles."""
from __future__ import annotations

import re
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from kb.audit import write_audit
from kb.db import database
from kb.errors import NotFound, Problem, ValidationError
from kb.models import County, User
from kb.editions import county_accepts

ROLES = {
    "staff": "主辦機關承辦人",
    "judge": "評審委員",
    "county": "縣市承辦人",
    "researcher": "研究人員",
}
MIN_PASSWORD_LENGTH = 8
_LOGIN = re.compile(r"^[A-Za-z0-9._-]{2,40}$")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError([Problem(f"密碼至少需要 {MIN_PASSWORD_LENGTH} 個字元", "password")])


def find_county_by_name(typed: str) -> County:
    """A county by any accepted spelling (not tied to a year), or a ValidationError naming it."""
    for county in County.select():
        if county_accepts(county, typed):
            return county
    raise ValidationError([Problem(f"「{typed}」不是縣市名稱", "county")])


def add_user(login: str, *, role: str, name: str, password: str, county: str | None = None,
             actor: User | None = None) -> User:
    """Create a login; a county contact (role ``county``) must name the county they serve."""
    problems = []
    if not _LOGIN.match(login or ""):
        problems.append(Problem("帳號須為 2–40 個英數字、句點、底線或連字號", "login"))
    elif User.get_or_none(User.login == login) is not None:
        problems.append(Problem(f"帳號「{login}」已經存在", "login"))
    if role not in ROLES:
        problems.append(Problem(f"角色「{role}」不存在，可用：{'、'.join(ROLES)}", "role"))
    if not (name or "").strip():
        problems.append(Problem("必須填寫姓名", "name"))
    county_row = None
    if role == "county":
        if not county:
            problems.append(Problem("縣市承辦人必須指定縣市", "county"))
        else:
            try:
                county_row = find_county_by_name(county)
            except ValidationError as error:
                problems.extend(error.problems)
    if problems:
        raise ValidationError(problems)
    _check_password(password)
    with database.atomic():
        user = User.create(login=login, role=role, name=name.strip(), county=county_row,
                           password_hash=generate_password_hash(password))
        write_audit(actor, "add_user", "user", user.id,
                    after={"login": login, "role": role, "county": county_row and county_row.name})
    return user


def get_user(login: str) -> User:
    """The user with this login, or :class:`NotFound`."""
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(f"找不到帳號「{login}」")
    return user


def list_users() -> list[User]:
    """Every login, by role then login."""
    return list(User.select().order_by(User.role, User.login))


def set_password(login: str, password: str, *, actor: User | None = None) -> User:
    """Change a user's password."""
    user = get_user(login)
    _check_password(password)
    with database.atomic():
        user.password_hash = generate_password_hash(password)
        user.save()
        end_sessions(user)
        write_audit(actor, "set_password", "user", user.id)
    return user


def deactivate_user(login: str, *, actor: User | None = None) -> User:
    """Stop a login from signing in; its history stays."""
    user = get_user(login)
    with database.atomic():
        write_audit(actor, "deactivate_user", "user", user.id,
                    before={"active": user.active}, after={"active": False})
        user.active = False
        user.save()
        end_sessions(user)
    return user


@cache
def _dummy_hash() -> str:
    """A hash to check unknown logins against, made as real ones are (same method and cost)."""
    return generate_password_hash("no account has this password")


def authenticate(login: str, password: str) -> User | None:
    """The active user with this login and password, or None. An unknown or deactivated login
    costs the same password check as a known one, so timing does not tell which logins exist."""
    user = User.get_or_none(User.login == (login or "").strip())
    known = user is not None and user.active
    matches = check_password_hash(user.password_hash if known else _dummy_hash(), password or "")
    return user if known and matches else None


def end_sessions(user: User) -> None:
    """End every session of ``user``, wherever its cookie was copied to (call inside the
    transaction of the change that needs it: sign-out, new password, deactivation)."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version += 1


def user_dict(user: User) -> dict:
    """A user as plain data (no password hash)."""
    return {"login": user.login, "name": user.name, "role": user.role,
            "role_label": ROLES.get(user.role, user.role),
            "county": user.county.name if user.county_id else None, "active": user.active}
