"""Logins and roles."""
from __future__ import annotations

import re
import secrets
from functools import cache

from peewee import JOIN, IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from kb.audit import changed_values, write_audit
from kb.db import database
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.models import County, User
from kb.policy import ROLE_LABELS, Role
from kb.editions import county_accepts

ROLES = ROLE_LABELS  # every role's stored value and zh-TW name
MIN_PASSWORD_LENGTH = 8
_LOGIN = re.compile(r"^[A-Za-z0-9._-]{2,40}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_LENGTH = 12


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError([Problem(f"密碼至少需要 {MIN_PASSWORD_LENGTH} 個字元", "password")])


def find_county_by_name(typed: str) -> County:
    """A county by any accepted spelling (not tied to a year), or a ValidationError naming it."""
    for county in County.select():
        if county_accepts(county, typed):
            return county
    raise ValidationError([Problem(f"「{echoed(typed)}」不是縣市名稱", "county")])


def hash_password(password: str) -> str:
    """A password's salted hash as stored, for :func:`add_user` to give many new accounts the
    same first password without hashing it for each (hashing is slow on purpose)."""
    _check_password(password)
    return generate_password_hash(password)


def temporary_password() -> str:
    """A random password to hand over once; its owner must change it at the next sign-in."""
    return "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))


def check_account(*, role: str, name: str, county: str | None, email: str = "") -> tuple[
        list[Problem], County | None]:
    """The problems of an account's role, name, county and e-mail, and the county row."""
    problems = []
    if role not in ROLES:
        problems.append(Problem(f"角色「{echoed(role)}」不存在，可用：{'、'.join(ROLES.values())}", "role"))
    if not (name or "").strip():
        problems.append(Problem("必須填寫姓名", "name"))
    if (email or "").strip() and not _EMAIL.match(email.strip()):
        problems.append(Problem(f"「{echoed(email)}」不是有效的電子郵件地址", "email"))
    county_row = None
    if role == Role.COUNTY:
        if not (county or "").strip():
            problems.append(Problem("縣市承辦人必須指定縣市", "county"))
        else:
            try:
                county_row = find_county_by_name(county)
            except ValidationError as error:
                problems.extend(error.problems)
    return problems, county_row


def check_login(login: str) -> list[Problem]:
    """The problems of a new login: its form, and whether it is taken."""
    if not _LOGIN.match(login or ""):
        return [Problem("帳號須為 2–40 個英數字、句點、底線或連字號", "login")]
    if User.get_or_none(User.login == login) is not None:
        return [Problem(f"帳號「{echoed(login)}」已經存在", "login")]
    return []


def add_user(login: str, *, role: str, name: str, password: str | None = None,
             county: str | None = None, email: str = "", actor: User | None = None,
             password_hash: str | None = None) -> User:
    """Create a login; a county contact (role ``county``) must name the county they serve.

    Without ``password`` the account gets a temporary one (``user.temporary_password``, to be
    shown once) that must be changed at the first sign-in. ``password_hash`` is ``password``
    already hashed by :func:`hash_password`.
    """
    problems, county_row = check_account(role=role, name=name, county=county, email=email)
    problems = check_login(login) + problems
    if problems:
        raise ValidationError(problems)
    temporary = temporary_password() if password is None else None
    if password is not None:
        _check_password(password)
    try:
        with database.atomic():
            user = User.create(login=login, role=role, name=name.strip(), county=county_row,
                               email=(email or "").strip(),
                               must_change_password=temporary is not None,
                               password_hash=password_hash or generate_password_hash(password or temporary))
            write_audit(actor, "add_user", "user", user.id,
                        after={"login": login, "role": role,
                               "county": county_row and county_row.name, "email": user.email})
    except IntegrityError:  # the same login created by another writer since the check above
        taken = check_login(login)
        if not taken:
            raise
        raise ValidationError(taken) from None
    user.temporary_password = temporary
    return user


def update_user(login: str, *, name: str, role: str, county: str | None = None,
                email: str = "", actor: User | None = None) -> User:
    """Change an account's name, role, county and e-mail (the login stays)."""
    user = get_user(login)
    problems, county_row = check_account(role=role, name=name, county=county, email=email)
    if actor is not None and actor.id == user.id and role != user.role:
        problems.append(Problem("不能變更自己的角色", "role"))
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        before = user_dict(user)
        user.name, user.role, user.county, user.email = (name.strip(), role, county_row,
                                                         (email or "").strip())
        user.save()
        old, new = changed_values(before, user_dict(user))
        if new:
            write_audit(actor, "update_user", "user", user.id, before=old, after=new)
    return user


def get_user(login: str) -> User:
    """The user with this login, or :class:`NotFound`."""
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(f"找不到帳號「{echoed(login)}」")
    return user


def list_users() -> list[User]:
    """Every login, by role then login."""
    return list(find_users())


def find_users(*, role: str | None = None, active: bool | None = None):
    """A query of the logins (with their county), by role then login, optionally of one role
    or state."""
    query = (User.select(User, County).join(County, JOIN.LEFT_OUTER)
             .order_by(User.role, User.login))
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return query


def set_password(login: str, password: str, *, actor: User | None = None) -> User:
    """Change a user's password."""
    user = get_user(login)
    _check_password(password)
    return _store_password(user, password, must_change=False, action="set_password", actor=actor)


def reset_password(login: str, *, actor: User | None = None) -> str:
    """Give an account a temporary password, returned to be shown once; the next sign-in must
    choose a new one. The hash is all that is kept."""
    temporary = temporary_password()
    _store_password(get_user(login), temporary, must_change=True, action="reset_password",
                    actor=actor)
    return temporary


def _store_password(user: User, password: str, *, must_change: bool, action: str,
                    actor: User | None) -> User:
    with database.atomic():
        user.password_hash = generate_password_hash(password)
        user.must_change_password = must_change
        user.save()
        end_sessions(user)
        write_audit(actor, action, "user", user.id)
    return user


def change_own_password(user: User, current: str, new: str, confirm: str) -> User:
    """A signed-in user changes their own password (the current one proves it is them)."""
    problems = []
    if not check_password_hash(user.password_hash, current or ""):
        problems.append(Problem("目前的密碼不正確", "current"))
    if len(new or "") < MIN_PASSWORD_LENGTH:
        problems.append(Problem(f"新密碼至少需要 {MIN_PASSWORD_LENGTH} 個字元", "new"))
    elif new == current:
        problems.append(Problem("新密碼不能與目前的密碼相同", "new"))
    elif new != confirm:
        problems.append(Problem("兩次輸入的新密碼不一致", "confirm"))
    if problems:
        raise ValidationError(problems)
    return _store_password(user, new, must_change=False, action="change_own_password", actor=user)


def set_user_active(login: str, active: bool, *, actor: User | None = None) -> User:
    """Stop a login from signing in (its history stays), or let it sign in again."""
    user = get_user(login)
    if not active and actor is not None and actor.id == user.id:
        raise ValidationError([Problem("不能停用自己的帳號", "active")])
    with database.atomic():
        write_audit(actor, "reactivate_user" if active else "deactivate_user", "user", user.id,
                    before={"active": user.active}, after={"active": active})
        user.active = active
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
            "county": user.county.name if user.county_id else None, "active": user.active,
            "email": user.email, "must_change_password": user.must_change_password}
