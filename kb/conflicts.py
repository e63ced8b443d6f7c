"""Who may not score what: judges' profiles (their fields and the counties they are tied to) and
the conflicts of interest they declare. These are reads; setting a profile or declaring a
conflict takes the judge off the cases concerned, so those operations are in
:mod:`kb.assignments`."""
from __future__ import annotations

from typing import NamedTuple

from kb.db import database, prepared
from kb.models import Case, Conflict, JudgeProfile, User
from kb.policy import Role


def judge_profile(user: User) -> JudgeProfile:
    """A judge's profile (empty until set)."""
    profile = JudgeProfile.get_or_none(JudgeProfile.user == user)
    return profile or JudgeProfile(user=user)


def declared_conflicts(edition_id: int) -> dict[int, list[Conflict]]:
    """The conflicts judges declared on one year's cases, with their case, by judge id, in
    the order declared; read in one statement."""
    conflicts: dict[int, list[Conflict]] = {}
    for conflict in _edition_conflicts(edition_id):
        conflicts.setdefault(conflict.judge_id, []).append(conflict)
    return conflicts


@prepared  # the assignments page's: its SQL written once
def _edition_conflicts(edition_id: int):
    return (Conflict.select(Conflict, Case).join(Case)
            .where(Case.edition == edition_id).order_by(Conflict.id))


def conflict_reason(judge: User, case: Case) -> str | None:
    """Why a judge may not score a case, or None when they may."""
    return conflict_reasons([judge], [case]).get((judge.id, case.id))


def judge_profiles(judges: list) -> dict[int, JudgeProfile]:
    """Each judge's profile by user id (empty until set), in one query; ``judges`` are users or
    anything with their ``id`` (:func:`active_judges`' rows)."""
    found = {p.user_id: p for p in _profiles_of([j.id for j in judges])} if judges else {}
    return {judge.id: found.get(judge.id) or JudgeProfile(user=judge.id) for judge in judges}


@prepared  # its SQL written once per number of judges
def _profiles_of(user_ids: list[int]):
    return JudgeProfile.select().where(JudgeProfile.user.in_(user_ids))


class JudgeName(NamedTuple):
    """A judge as lists name them."""

    id: int
    login: str
    name: str


def active_judges() -> list[JudgeName]:
    """Every judge who may still sign in (and so be assigned), by login, as plain rows."""
    return [JudgeName(*row) for row in database.execute(
        User.select(User.id, User.login, User.name)
        .where((User.role == Role.JUDGE.value) & (User.active == True))  # noqa: E712
        .order_by(User.login)).fetchall()]


def conflict_reasons(judges: list[User], cases: list[Case],
                     profiles: dict[int, JudgeProfile] | None = None) -> dict[tuple[int, int], str]:
    """Why each judge may not score each case: (judge id, case id) → reason, for the pairs in
    conflict only. Two queries whatever the numbers (``profiles`` from :func:`judge_profiles`
    saves one; the cases should come with their county)."""
    profiles = profiles or judge_profiles(judges)
    case_ids = {case.id for case in cases}
    declared = {(c.judge_id, c.case_id): c.reason for c in
                Conflict.select().where(Conflict.judge.in_([j.id for j in judges]))
                if c.case_id in case_ids}
    reasons = {}
    for judge in judges:
        tied = profiles[judge.id].counties
        for case in cases:
            reason = conflict_text(case.county.name, tied, declared.get((judge.id, case.id)))
            if reason:
                reasons[judge.id, case.id] = reason
    return reasons


def conflict_text(county: str, tied_counties: list[str], declared: str | None) -> str | None:
    """Why a judge tied to ``tied_counties``, with a declared conflict on the case (its reason,
    None for none), may not score a case of ``county``; None when they may."""
    if county in tied_counties:
        return f"評審與{county}有利益關係"
    if declared is not None:
        return f"評審已聲明利益迴避（{declared or '未註明理由'}）"
    return None
