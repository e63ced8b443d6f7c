"""Judging: panels, assignments, conflicts of interest, score entry, stage locking.

Scores are the most sensitive data in the system: every change goes through
:func:`record_scores` (the web form, a judge's score sheet and the staff's combined table all
call it), which checks the judge, the stage, conflicts and ranges, writes all or nothing, and
logs old and new values.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict

from peewee import JOIN, fn
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import NamedTuple

import scoring
from kb.audit import write_audit, write_audits
from kb.case_codes import case_code
from kb.collector import collector_paused
from kb.computed import computed
from kb.db import (database, for_update, insert_rows, json_items, json_pairs, locking, locks_rows,
                   prepared)
from kb.editions import get_edition
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError, echoed
from kb.models import (Assignment, Case, Category, Conflict, County, Criterion, Edition,
                       JudgeProfile, PanelMember, Region, Score, Stage, User, now)
from kb.policy import (Role, acts_as_staff, can_act_for_judge, can_score, is_active_judge, is_judge,
                       require_staff)
from kb.reading import read_once
from kb.rocdate import roc_year
from kb.text import normalize_name
from kb.users import find_county_by_name, get_user

ONSITE_STATUSES = ("nominated", "presented")  # cases that go on to the on-site stage
STATES = {"pending": "未評分", "draft": "暫存", "submitted": "已送出"}


# --- stages -----------------------------------------------------------------------------------

def get_stage(year: int, key: str) -> Stage:
    """A stage of a year (``screening`` or ``onsite``), or NotFound naming both (read once per
    :func:`kb.reading.one_reading`)."""
    return read_once(("stage", year, key), lambda: _get_stage(year, key))


def _get_stage(year: int, key: str) -> Stage:
    edition = get_edition(year)
    stage = next(iter(_stage_of(edition.id, key)), None)
    if stage is None:
        raise NotFound(f"{roc_year(year)}沒有「{key}」階段")
    stage.edition = edition  # the year already read, not read again through the stage
    return stage


@prepared  # every judging page reads it: its SQL written once
def _stage_of(edition_id: int, key: str):
    return Stage.select().where((Stage.edition == edition_id) & (Stage.key == key))


def is_closed(stage: Stage) -> bool:
    """Closed by staff after judging began: scores, assignments and panels are locked. (A stage
    not yet opened is not closed; one with scores but no close time predates version 8.)"""
    return not stage.is_open and (stage.closed_at is not None or _has_scores(stage))


def _has_scores(stage: Stage) -> bool:
    return Score.select().join(Assignment).where(Assignment.stage == stage).exists()


def _current_stage(stage: Stage) -> Stage:
    """The stage as it stands now, read and locked inside the caller's transaction: the open
    check and the write it guards must see the same state (on PostgreSQL a close waits for
    saves under way, and a save after it sees the stage closed)."""
    return for_update(Stage.select().where(Stage.id == stage.id)).get()


def _current_stage_and_rubric(stage: Stage) -> tuple[Stage, dict[str, Criterion]]:
    """The stage as it stands now and its year's criteria by name (in order), read in one
    query inside the caller's transaction (see :func:`_current_stage`)."""
    if locks_rows():
        _current_stage(stage)  # the lock (FOR UPDATE cannot take the outer join's nullable side)
    rows = list(Stage.select(Stage, Criterion)
                .join(Criterion, JOIN.LEFT_OUTER, on=(Criterion.edition == Stage.edition),
                      attr="criterion")
                .where(Stage.id == stage.id).order_by(Criterion.position))
    return rows[0], {row.criterion.name: row.criterion for row in rows
                     if getattr(row, "criterion", None) is not None}


def _check_not_closed(stage: Stage) -> None:
    """Refuse any assignment or panel change in a closed stage."""
    if is_closed(stage):
        raise ValidationError(f"「{stage.name}」已關閉，評審指派與評分已鎖定；"
                              "如需變更，請先重新開放該階段（須註明理由）")


def outstanding_assignments(stage: Stage) -> list[dict]:
    """The assignments of a stage not yet submitted: judge, case, state (what closing leaves)."""
    rows = (Assignment.select(Assignment, User, Case).join(User).switch(Assignment).join(Case)
            .where((Assignment.stage == stage) & (Assignment.state != "submitted"))
            .order_by(User.login, Case.id))
    return [{"judge": a.judge.login, "name": a.judge.name, "case": a.case_id,
             "title": a.case.title, "state": a.state} for a in rows]


class OutstandingWork(ValidationError):
    """Closing a stage while assignments are not submitted, without --force and a reason."""

    def __init__(self, stage: Stage, outstanding: list[dict]):
        self.outstanding = outstanding
        codes: dict[int, str] = {}
        lines = [f"{row['judge']}（{row['name']}）案例 {case_code(row['case'], codes)}："
                 f"{STATES[row['state']]}" for row in outstanding]
        super().__init__([Problem(f"「{stage.name}」尚有 {len(outstanding)} 筆指派未送出評分，"
                                  "不能關閉；如確定要關閉，請加註理由強制關閉"
                                  "（命令列：--force --reason）：")] + [Problem(x) for x in lines])


def set_stage_state(year: int, key: str, action: str, *, reason: str | None = None,
                    force: bool = False, allow_resubmit: bool | None = None,
                    actor: User | None = None) -> Stage:
    """Open, close or reopen a stage.

    Closing locks its scores and assignments; it is refused while any assignment is not
    submitted (:class:`OutstandingWork` lists them) unless ``force`` with a ``reason``.
    Reopening needs a reason. ``allow_resubmit`` (when opening) says whether judges may change
    scores they already submitted. The check and the change run in one transaction.
    """
    stage = get_stage(year, key)
    require_staff(actor, "開放或關閉評分階段")
    if action not in ("open", "close", "reopen"):
        raise ValidationError(f"不明的動作「{echoed(action)}」")
    reason = (reason or "").strip()
    with database.atomic():
        stage = _current_stage(stage)
        if action == "reopen" or (action == "open" and is_closed(stage)):
            if not reason:
                raise ValidationError([Problem("重新開放評分階段須註明理由", "reason")])
            action = "reopen"
        if action == "close":
            outstanding = outstanding_assignments(stage)
            if outstanding and not (force and reason):
                if force:
                    raise ValidationError([Problem("強制關閉評分階段須註明理由", "reason")])
                raise OutstandingWork(stage, outstanding)
        else:
            outstanding = []
        before = {"is_open": stage.is_open, "allow_resubmit": stage.allow_resubmit}
        stage.is_open = action != "close"
        stage.closed_at = now() if action == "close" else None
        if allow_resubmit is not None and stage.is_open:
            stage.allow_resubmit = allow_resubmit
        after = {"is_open": stage.is_open, "allow_resubmit": stage.allow_resubmit}
        if outstanding:
            after["outstanding"] = [f"{row['judge']}／{row['case']}／{row['state']}"
                                    for row in outstanding]
        write_audit(actor, f"{action}_stage", "stage", stage.id, before=before, after=after,
                    reason=reason)
        stage.save()
    return stage


# --- judges and conflicts ---------------------------------------------------------------------

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


def set_judge_profile(login: str, *, title: str | None = None, affiliation: str | None = None,
                      fields: list[str] | None = None, counties: list[str] | None = None,
                      actor: User | None = None) -> JudgeProfile:
    """Record a judge's fields and the counties they are tied to (employment, advisory roles)."""
    user = get_user(login)
    if not is_judge(user):
        raise ValidationError(f"帳號「{echoed(login)}」不是評審委員")
    tied = [find_county_by_name(name).name for name in counties] if counties is not None else None
    with database.atomic():
        profile = judge_profile(user)
        before = {"title": profile.title, "affiliation": profile.affiliation,
                  "fields": profile.fields, "counties": profile.counties}
        for name, value in (("title", title), ("affiliation", affiliation),
                            ("fields", fields), ("counties", tied)):
            if value is not None:
                setattr(profile, name, value)
        profile.save()
        after = {"title": profile.title, "affiliation": profile.affiliation,
                 "fields": profile.fields, "counties": profile.counties}
        write_audit(actor, "set_judge_profile", "user", user.id, before=before, after=after)
        if profile.counties:
            _withdraw(user, Case.county.in_(
                County.select(County.id).where(County.name.in_(profile.counties))), actor)
    return profile


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
            reason = _conflict_text(case.county.name, tied, declared.get((judge.id, case.id)))
            if reason:
                reasons[judge.id, case.id] = reason
    return reasons


def _conflict_text(county: str, tied_counties: list[str], declared: str | None) -> str | None:
    """Why a judge tied to ``tied_counties``, with a declared conflict on the case (its reason,
    None for none), may not score a case of ``county``; None when they may."""
    if county in tied_counties:
        return f"評審與{county}有利益關係"
    if declared is not None:
        return f"評審已聲明利益迴避（{declared or '未註明理由'}）"
    return None


def _withdraw(judge: User, which, actor: User | None) -> int:
    """Take a judge off the cases ``which`` selects (a new conflict), keeping old scores in the
    audit log; returns how many assignments were withdrawn."""
    withdrawn = list(Assignment.select(Assignment, Stage).join(Case).switch(Assignment)
                     .join(Stage).where((Assignment.judge == judge) & which))
    locked = [a for a in withdrawn if is_closed(a.stage)]
    if locked:
        raise ValidationError(f"「{locked[0].stage.name}」已關閉，{judge.login} 對案例 "
                              f"{'、'.join(str(a.case_id) for a in locked)} 的指派與評分已鎖定；"
                              "請先重新開放該階段再處理利益迴避")
    for assignment in withdrawn:
        write_audit(actor, "withdraw_assignment", "assignment", assignment.id,
                    before={"case": assignment.case_id, "judge": judge.login,
                            "scores": _score_values(assignment)}, reason="利益迴避")
        assignment.delete_instance(recursive=True)
    return len(withdrawn)


def declare_conflict(login: str, case_id: int, reason: str = "", *,
                     actor: User | None = None) -> Conflict:
    """A judge declares a conflict on one case; any assignment of theirs to it is withdrawn."""
    judge = get_user(login)
    if not can_act_for_judge(actor, judge):
        raise PermissionDenied("只能為自己聲明利益迴避")
    case = Case.get_or_none(Case.id == case_id)
    if case is None:
        raise NotFound(f"找不到案例 {case_id}")
    with database.atomic():
        conflict, _ = Conflict.get_or_create(judge=judge, case=case,
                                             defaults={"reason": reason.strip()})
        _withdraw(judge, Assignment.case == case, actor)
        write_audit(actor, "declare_conflict", "conflict", conflict.id,
                    after={"case": case.id, "judge": login}, reason=reason)
    return conflict


# --- panels and assignments -------------------------------------------------------------------

@dataclass
class AssignmentReport:
    """What an assignment run created, and the cases it could not staff."""

    created: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _judges(logins: list[str]) -> list[User]:
    judges = []
    for login in logins:
        user = get_user(login)
        if not is_active_judge(user):
            raise ValidationError(f"帳號「{echoed(login)}」不是啟用中的評審委員")
        judges.append(user)
    return judges


def stage_cases(stage: Stage) -> list[Case]:
    """The cases a stage judges: every case for screening, nominated ones on site."""
    return list(_judged(stage, Case.select(Case, County, Region, Category).join(County)
                        .switch(Case).join(Region).switch(Case).join(Category))
                .order_by(Case.id))


def _judged(stage: Stage, query):
    """``query`` (of cases) narrowed to the cases ``stage`` judges."""
    query = query.where(Case.edition == stage.edition_id)
    return query.where(Case.status.in_(ONSITE_STATUSES)) if stage.key != "screening" else query


def assign_screening(year: int, *, judges: list[str] | None = None, per_case: int | None = None,
                     actor: User | None = None) -> AssignmentReport:
    """Give every case the year's number of judges, balancing the load, preferring judges whose
    fields include the case's category, never creating a conflict. Existing assignments stay.

    When some case cannot be staffed without a conflict, nothing is written and every such case
    is named with the reason.
    """
    stage = get_stage(year, "screening")
    _check_not_closed(stage)
    edition = stage.edition
    per_case = per_case or edition.rules.judges_per_case
    if judges:
        pool = _judges(judges)
        with database.atomic():
            for judge in pool:
                PanelMember.get_or_create(stage=stage, judge=judge, region=None)
    else:
        pool = [m.judge for m in PanelMember.select(PanelMember, User).join(User)
                .where(PanelMember.stage == stage)] or list(
            User.select().where((User.role == Role.JUDGE.value) & (User.active == True)))  # noqa: E712
    if not pool:
        raise ValidationError("沒有可指派的評審委員，請先以 forum users add 建立評審帳號")
    profiles = judge_profiles(pool)
    existing = defaultdict(set)
    load = Counter()
    for case_id, judge_id in (Assignment.select(Assignment.case, Assignment.judge)
                              .where(Assignment.stage == stage).tuples()):
        existing[case_id].add(judge_id)
        load[judge_id] += 1
    cases = stage_cases(stage)
    conflicts = conflict_reasons(pool, cases, profiles)
    eligible = {case.id: [j for j in pool if (j.id, case.id) not in conflicts] for case in cases}
    problems, codes = [], {}
    for case in cases:
        if len(eligible[case.id]) < per_case:
            blocked = [f"{j.login}（{conflicts[j.id, case.id]}）" for j in pool
                       if (j.id, case.id) in conflicts]
            problems.append(f"案例 {case_code(case, codes)}〈{case.title}〉：需要 {per_case} 位評審，"
                            f"可指派者僅 {len(eligible[case.id])} 位；迴避：{'、'.join(blocked) or '無'}")
    if problems:
        raise ValidationError([Problem(p) for p in problems])
    plan = []
    for case in sorted(cases, key=lambda c: (len(eligible[c.id]), c.id)):
        needed = per_case - len(existing[case.id])
        choices = sorted((j for j in eligible[case.id] if j.id not in existing[case.id]),
                         key=lambda j: (case.category.name not in profiles[j.id].fields,
                                        load[j.id], j.login))
        for judge in choices[:max(needed, 0)]:
            plan.append((case, judge))
            load[judge.id] += 1
            existing[case.id].add(judge.id)
    with database.atomic():
        _check_not_closed(_current_stage(stage))
        _create_assignments(stage, plan)
        write_audit(actor, "assign", "stage", stage.id, after={"created": len(plan)})
    return AssignmentReport(created=len(plan))


def _create_assignments(stage: Stage, plan: list[tuple[Case, User]]) -> None:
    """Insert the planned (case, judge) assignments of a stage in a few multi-row statements."""
    insert_rows(Assignment, [Assignment.stage, Assignment.judge, Assignment.case,
                             Assignment.state, Assignment.comment, Assignment.submitted_at],
                [(stage.id, judge.id, case.id, "pending", "", None) for case, judge in plan])


def assign_onsite(year: int, *, region: str | None = None, judges: list[str] | None = None,
                  reason: str | None = None, actor: User | None = None) -> AssignmentReport:
    """Give each on-site panel judge every case presented in their region.

    With ``region`` and ``judges`` the region's panel becomes exactly those judges (a judge
    taken off loses their unsubmitted assignments there; one with submitted scores cannot be
    taken off, and one with draft scores only with a ``reason``). Without them, every region's
    panel as already set is applied. Nothing changes in a closed stage. Every check runs
    before anything is written, in the writing transaction.
    """
    with database.atomic():
        return _assign_onsite(year, region, judges, (reason or "").strip(), actor)


def _assign_onsite(year: int, region: str | None, judges: list[str] | None, why: str,
                   actor: User | None) -> AssignmentReport:
    stage = _current_stage(get_stage(year, "onsite"))
    _check_not_closed(stage)
    regions = list(Region.select().where(Region.edition == stage.edition_id).order_by(Region.position))
    if region is not None:
        wanted = normalize_name(region)
        regions = [r for r in regions if r.name == wanted]
        if not regions:
            raise ValidationError(f"「{echoed(region)}」不是{roc_year(year)}的分區")
    if judges is not None and region is None:
        raise ValidationError("指定評審時須同時指定分區（--region）")
    panels = {each.id: [m.judge for m in PanelMember.select().where(
        (PanelMember.stage == stage) & (PanelMember.region == each))] for each in regions}
    if judges is not None:
        panels[regions[0].id] = _judges(judges)
    cases_by_region = defaultdict(list)
    for case in stage_cases(stage):
        cases_by_region[case.region_id].append(case)
    current = list(Assignment.select().where(Assignment.stage == stage))
    existing = {(a.judge_id, a.case_id) for a in current}
    plan, problems, dropped, codes = [], [], [], {}
    for each in regions:
        members = {judge.id for judge in panels[each.id]}
        region_cases = {case.id for case in cases_by_region[each.id]}
        for assignment in current:
            if assignment.case_id in region_cases and assignment.judge_id not in members:
                if assignment.state == "submitted":
                    problems.append(f"{each.name}：{assignment.judge.login} 已送出案例 "
                                    f"{case_code(assignment.case_id, codes)} 的評分，不能移出評審名單")
                elif assignment.state == "draft" and not why:
                    problems.append(f"{each.name}：移出 {assignment.judge.login} 將刪除其對案例 "
                                    f"{case_code(assignment.case_id, codes)} 的暫存評分，請註明理由")
                dropped.append(assignment)
        conflicts = conflict_reasons(panels[each.id], cases_by_region[each.id])
        for case in cases_by_region[each.id]:
            for judge in panels[each.id]:
                reason = conflicts.get((judge.id, case.id))
                if reason:
                    problems.append(f"{each.name}案例 {case_code(case, codes)}〈{case.title}〉："
                                    f"{judge.login} {reason}，"
                                    "請更換該區評審或另行安排")
                elif (judge.id, case.id) not in existing:
                    plan.append((case, judge))
    if problems:
        raise ValidationError([Problem(p) for p in problems])
    if judges is not None:
        PanelMember.delete().where((PanelMember.stage == stage)
                                   & (PanelMember.region == regions[0])).execute()
        for judge in panels[regions[0].id]:
            PanelMember.create(stage=stage, judge=judge, region=regions[0])
    for assignment in dropped:
        write_audit(actor, "unassign", "assignment", assignment.id,
                    before={"case": assignment.case_id, "judge": assignment.judge.login,
                            "scores": _score_values(assignment)},
                    reason=why or "移出分區評審名單")
        assignment.delete_instance(recursive=True)
    _create_assignments(stage, plan)
    write_audit(actor, "assign", "stage", stage.id,
                after={"created": len(plan), "removed": len(dropped),
                       "panel": {r.name: [j.login for j in panels[r.id]] for r in regions}},
                reason=why)
    return AssignmentReport(created=len(plan))


def panel_members(year: int, key: str) -> dict[str | None, list[User]]:
    """A stage's panel: region name (None for the whole stage) → judges."""
    stage = get_stage(year, key)
    panel: dict[str | None, list[User]] = defaultdict(list)
    for member in (PanelMember.select(PanelMember, User, Region).join(User).switch(PanelMember)
                   .join(Region, join_type=JOIN.LEFT_OUTER).where(PanelMember.stage == stage)
                   .order_by(User.login)):
        panel[member.region.name if member.region_id else None].append(member.judge)
    return dict(panel)


def list_stages(year: int) -> list[Stage]:
    """A year's stages in order."""
    return list(Stage.select().where(Stage.edition == get_edition(year)).order_by(Stage.position))


def unassign(assignment_id: int, *, reason: str | None = None,
             actor: User | None = None) -> None:
    """Take a judge off a case (staff): refused once scores are submitted or the stage is
    closed; a draft with scores is deleted only with a ``reason``."""
    with database.atomic():
        assignment = Assignment.get_or_none(Assignment.id == assignment_id)
        if assignment is None:
            raise NotFound(f"找不到指派 {assignment_id}")
        _check_not_closed(_current_stage(assignment.stage))
        if assignment.state == "submitted":
            raise ValidationError("評審已送出此案評分，不能取消指派")
        scores = _score_values(assignment)
        if scores and not (reason or "").strip():
            raise ValidationError([Problem(f"取消指派將刪除 {assignment.judge.login} 對案例 "
                                           f"{case_code(assignment.case_id)} 的暫存評分，請註明理由",
                                           "reason")])
        write_audit(actor, "unassign", "assignment", assignment.id,
                    before={"case": assignment.case_id, "judge": assignment.judge.login,
                            "scores": scores}, reason=(reason or "").strip())
        assignment.delete_instance(recursive=True)


def list_assignments(year: int, key: str, *, judge: User | None = None) -> list[Assignment]:
    """A stage's assignments (one judge's when ``judge`` is given), by region, county, case."""
    stage = get_stage(year, key)
    query = (Assignment.select(Assignment, Case, User, County, Region)
             .join(Case).join(County).switch(Case).join(Region).switch(Assignment).join(User)
             .where(Assignment.stage == stage))
    if judge is not None:
        query = query.where(Assignment.judge == judge)
    return list(query.order_by(Region.position, County.id, Case.id, User.login))


class AssignmentState(NamedTuple):
    """What the staff assignments page shows of one assignment."""

    id: int
    case_id: int
    judge_id: int
    login: str
    name: str
    state: str


def stage_assignment_states(stage: Stage) -> list[AssignmentState]:
    """A stage's assignments as a list page shows them: id, case, state and the judge's login
    and name only, as plain rows (a stage may have thousands; model rows cost the page)."""
    # Straight from the cursor (ints and texts need no conversion): peewee's row building
    # was three quarters of the time.
    return [AssignmentState(*row) for row in _assignment_states.cursor(stage.id).fetchall()]


@prepared
def _assignment_states(stage_id: int):
    return (Assignment.select(Assignment.id, Assignment.case, Assignment.judge, User.login,
                              User.name, Assignment.state)
            .join(User).where(Assignment.stage == stage_id).order_by(Assignment.case, User.login))


class StageCase(NamedTuple):
    """What the staff assignments page shows of one case of a stage."""

    id: int
    edition_id: int
    title: str
    county: str
    region: str


def stage_case_rows(stage: Stage) -> list[StageCase]:
    """The cases a stage judges (as :func:`stage_cases`) as plain rows, region by region in
    the edition's order, then as sent in."""
    query = _judged(stage, Case.select(Case.id, Case.edition, Case.title, County.name, Region.name)
                    .join(County).switch(Case).join(Region))
    return [StageCase(*row) for row in
            database.execute(query.order_by(Region.position, Case.id)).fetchall()]


def assignment_dict(assignment: Assignment, criteria: list[Criterion]) -> dict:
    """An assignment as plain data: case, judge, state, scores, total."""
    return assignment_dicts([assignment], criteria)[0]


def assignment_dicts(assignments: list[Assignment], criteria: list[Criterion]) -> list[dict]:
    """Assignments (as :func:`list_assignments` reads them) as plain data, their scores read
    in one query."""
    return _plain_assignments(
        [_Listed(a.id, a.case_id, a.case.title, a.case.county.name, a.case.region.name,
                 a.judge.login, a.state, a.comment) for a in assignments],
        criteria, _stored_scores([a.id for a in assignments], criteria))


class _Listed(NamedTuple):
    """What a list of assignments shows of one."""

    id: int
    case_id: int
    title: str
    county: str
    region: str
    login: str
    state: str
    comment: str


def _stored_scores(assignment_ids: list[int],
                   criteria: list[Criterion]) -> dict[int, dict[str, float]]:
    """The assignments' stored scores by assignment id and criterion name, in one query."""
    names = {c.id: c.name for c in criteria}
    values: dict[int, dict[str, float]] = defaultdict(dict)
    for assignment_id, criterion_id, value in (
            Score.select(Score.assignment, Score.criterion, Score.value)
            .where(Score.assignment.in_(assignment_ids)).tuples()):
        values[assignment_id][names[criterion_id]] = value
    return values


def _plain_assignments(listed: list[_Listed], criteria: list[Criterion],
                       values: dict[int, dict[str, float]]) -> list[dict]:
    rubric = _rubric(criteria)
    return [{"assignment": a.id, "case": a.case_id, "title": a.title, "county": a.county,
             "region": a.region, "judge": a.login, "state": a.state, "scores": values[a.id],
             "total": scoring.judge_total(values[a.id], rubric), "comment": a.comment}
            for a in listed]


def judge_stages(judge: User) -> list[tuple[Stage, list[dict]]]:
    """Every stage in which the judge has assignments (newest year first, stages in order),
    with those assignments as :func:`judge_assignment_dicts` gives them; in the same few
    queries however many years there are (plain rows: a judge may have hundreds; each query's
    SQL written once, which cost more than SQLite's answer). What they are computed from is
    kept by :func:`kb.computed.computed` while selection's inputs are unchanged; the judge's
    conflicts, which are not among those inputs, are read each time."""
    declared = dict(_judge_conflicts.cursor(judge.id).fetchall())
    tied = judge_profiles([judge])[judge.id].counties
    shown = []
    for stage, rows in computed(("judge_stages", judge.id),
                                lambda: _judge_stage_rows(judge.id, judge.login)):
        rows = [row for row in rows
                if _conflict_text(row["county"], tied, declared.get(row["case"])) is None]
        if rows:
            shown.append((stage, rows))
    return shown


def _judge_stage_rows(judge_id: int, login: str) -> list[tuple[Stage, list[dict]]]:
    """Every stage of the judge's assignments with all of them, conflicts or not."""
    by_stage: dict[int, list[_Listed]] = {}
    for stage_id, assignment_id, case_id, title, county, region, state, comment in (
            _judge_assignments.cursor(judge_id).fetchall()):
        by_stage.setdefault(stage_id, []).append(
            _Listed(assignment_id, case_id, title, county, region, login, state, comment))
    if not by_stage:
        return []
    stages = {stage.id: stage for stage in _stages_of(list(by_stage))}
    rubrics: dict[int, list[Criterion]] = defaultdict(list)
    for criterion in _criteria_of(sorted({stage.edition_id for stage in stages.values()})):
        rubrics[criterion.edition_id].append(criterion)
    names = {c.id: c.name for rubric in rubrics.values() for c in rubric}
    values: dict[int, dict[str, float]] = defaultdict(dict)
    for assignment_id, criterion_id, value in _judge_scores.cursor(judge_id).fetchall():
        values[assignment_id][names[criterion_id]] = value
    return [(stages[stage_id],
             _plain_assignments(group, rubrics[stages[stage_id].edition_id], values))
            for stage_id, group in by_stage.items()]


@prepared
def _judge_conflicts(judge_id: int):
    return Conflict.select(Conflict.case, Conflict.reason).where(Conflict.judge == judge_id)


@prepared
def _judge_assignments(judge_id: int):
    return (Assignment.select(Assignment.stage, Assignment.id, Assignment.case, Case.title,
                              County.name, Region.name, Assignment.state, Assignment.comment)
            .join(Stage).join(Edition).switch(Assignment).join(Case).join(County).switch(Case)
            .join(Region).where(Assignment.judge == judge_id)
            .order_by(Edition.year.desc(), Stage.position, Region.position, County.id, Case.id))


@prepared
def _judge_scores(judge_id: int):  # the judge's scores, not a list of assignment ids
    return (Score.select(Score.assignment, Score.criterion, Score.value).join(Assignment)
            .where(Assignment.judge == judge_id))


@prepared
def _stages_of(stage_ids: list[int]):
    return Stage.select(Stage, Edition.id, Edition.year).join(Edition).where(Stage.id.in_(stage_ids))


@prepared
def _criteria_of(edition_ids: list[int]):
    return (Criterion.select().where(Criterion.edition.in_(edition_ids))
            .order_by(Criterion.position))


def judge_assignment_dicts(year: int, key: str, judge: User) -> list[dict]:
    """A judge's assignments of a stage as plain data, without the cases they may not score
    (a conflict found after assignment), in a few queries whatever their number."""
    stage = get_stage(year, key)
    assignments = list_assignments(year, key, judge=judge)
    declared = {c.case_id: c.reason for c in Conflict.select().where(
        (Conflict.judge == judge) & Conflict.case.in_([a.case_id for a in assignments]))}
    tied = judge_profile(judge).counties
    allowed = [a for a in assignments
               if _conflict_text(a.case.county.name, tied, declared.get(a.case_id)) is None]
    return assignment_dicts(allowed, stage_criteria(stage))


def _assignment_query():
    return (Assignment.select(Assignment, Stage, Case, County)
            .join(Stage).switch(Assignment).join(Case).join(County))


@prepared
def _assignment(assignment_id: int):
    return _assignment_query().where(Assignment.id == assignment_id)


@prepared
def _assignment_and_rubric(assignment_id: int):
    return (_assignment_query().select_extend(Criterion).switch(Stage)
            .join(Criterion, JOIN.LEFT_OUTER, on=(Criterion.edition == Stage.edition),
                  attr="criterion")
            .where(Assignment.id == assignment_id).order_by(Criterion.position))


def get_assignment(assignment_id: int, *, viewer: User | None = None) -> Assignment:
    """An assignment its judge (or staff) may see, with its stage, case and county; anyone
    else gets NotFound."""
    return assignment_with_rubric(assignment_id, viewer=viewer, rubric=False)[0]


def assignment_with_rubric(assignment_id: int, *, viewer: User | None = None,
                           rubric: bool = True) -> tuple[Assignment, list[Criterion]]:
    """An assignment as :func:`get_assignment` gives it and its year's criteria in order (none
    without ``rubric``), read in one query: what the score form needs to read a save."""
    rows = list((_assignment_and_rubric if rubric else _assignment)(assignment_id))
    if not rows or (viewer is not None and not can_score(viewer, rows[0])):
        raise NotFound(f"找不到指派 {assignment_id}")
    # a left-joined row that is not there comes back empty (or not at all)
    criteria = [row.stage.criterion for row in rows
                if getattr(row.stage, "criterion", None) is not None
                and row.stage.criterion.id is not None]
    return rows[0], criteria


@prepared
def _save_target(assignment_id: int):
    return (Assignment.select(Assignment.judge, Assignment.case, Case.title, Stage.id,
                              Stage.edition, Stage.key, Edition.year, Criterion.id,
                              Criterion.name, Criterion.points)
            .join(Stage).join(Edition)
            .join(Criterion, JOIN.LEFT_OUTER, on=(Criterion.edition == Edition.id))
            .switch(Assignment).join(Case)
            .where(Assignment.id == assignment_id).order_by(Criterion.position))


def assignment_to_save(assignment_id: int, *, viewer: User) -> tuple[Assignment, list[Criterion]]:
    """What a save of the score form needs of its assignment, read in one query: the assignment
    (its judge and case ids, the case's title, the stage with its key and year) and its year's
    criteria in order (id, name, points); NotFound as :func:`get_assignment` gives it. The rows
    hold only these fields (a case's full row cost more than the save itself, issue 15):
    :func:`record_scores` reads the rest in its transaction, and a page showing the assignment
    reads it with :func:`assignment_with_rubric`."""
    rows = _save_target.cursor(assignment_id).fetchall()
    if not rows:
        raise NotFound(f"找不到指派 {assignment_id}")
    judge_id, case_id, title, stage_id, edition_id, key, year = rows[0][:7]
    stage = Stage(id=stage_id, edition=Edition(id=edition_id, year=year), key=key)
    assignment = Assignment(id=assignment_id, stage=stage, judge=judge_id,
                            case=Case(id=case_id, title=title))
    if not can_score(viewer, assignment):
        raise NotFound(f"找不到指派 {assignment_id}")
    criteria = [Criterion(id=criterion_id, edition=edition_id, name=name, points=points)
                for *_, criterion_id, name, points in rows if criterion_id is not None]
    return assignment, criteria


# --- scores -----------------------------------------------------------------------------------

def stage_criteria(stage: Stage) -> list[Criterion]:
    """The rubric of a stage's year, in order."""
    return list(Criterion.select().where(Criterion.edition == stage.edition_id)
                .order_by(Criterion.position))


def _rubric(criteria: list[Criterion]) -> list[scoring.Criterion]:
    return [scoring.Criterion(c.name, c.points) for c in criteria]


def _score_values(assignment: Assignment) -> dict[str, float]:
    return {s.criterion.name: s.value for s in
            Score.select(Score, Criterion).join(Criterion).where(Score.assignment == assignment)}


@dataclass
class ScoreEntry:
    """Scores for one assigned case, as typed: criterion name → number, text, or None (blank:
    leave as it was). ``where`` names the place for messages (e.g. 「評分表」第5列), ``cells``
    each criterion's cell and ``submit_cell`` the cell of the 送出 mark; ``submit`` asks for the
    assignment to be submitted (the web's 送出評分, a sheet's 送出 = 是)."""

    judge: str
    case_id: int
    values: dict[str, object]
    comment: str | None = None
    where: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # criterion → place, e.g. 「評分表」E7
    submit: bool = False
    submit_cell: str = ""


# How record_scores decides which entries are submitted (besides ``submit=True``: all must be).
SUBMIT_MARKED = False  # each entry's own ``submit`` mark
SUBMIT_COMPLETE = "complete"  # staff on the judge's behalf: every entry whose criteria are all scored
SUBMIT_TYPED = "typed"  # a combined table: entries whose own row scores every criterion and changes


@dataclass
class ScoreReport:
    """What a score write changed (or, on a dry run, would change), and per case the state it
    ends in and why (``cases``: case, judge, state, why)."""

    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False
    cases: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_score(typed, points: float) -> float | None:
    """A typed score: full-width digits and stray spaces accepted, one decimal, 0 to points.

    Returns None for a blank; raises ValueError with a zh-TW message otherwise.
    """
    if typed is None:
        return None
    if type(typed) in (float, int) and 0 <= typed <= points and round(typed, 1) == typed:
        return float(typed)  # the usual cell, taken without the checks below (an import has thousands)
    if isinstance(typed, (int, float)) and not isinstance(typed, bool):
        value = float(typed)
    else:
        text = normalize_name(str(typed))
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"「{echoed(typed)}」不是數字") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"「{echoed(typed)}」不是數字")
    if value < 0:
        raise ValueError(f"{_number(value)} 不可為負數")
    if value > points:
        raise ValueError(f"{_number(value)} 超過配分 {_number(points)}")
    tenths = round(value, 1)
    if tenths != round(value, 6):
        raise ValueError(f"{_number(value)} 最多一位小數")
    return tenths


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(slots=True)
class _Held:
    """An assignment as a score write reads and changes it: plain fields, because building
    thousands of peewee models for an import cost more than the query that read them."""

    id: int
    stage_id: int
    judge_id: int
    case_id: int
    login: str
    state: str
    comment: str | None
    submitted_at: datetime | None


class _HeldCase(NamedTuple):
    """A case as a score write's messages name it."""

    id: int
    title: str
    county: str


@dataclass
class _Planned:
    """One checked entry: the assignment, its scores after the write, and the state it ends in."""

    assignment: _Held
    old_values: dict[str, float]
    values: dict[str, float]
    comment: str | None
    state: str
    why: str
    edited: bool


def record_scores(entries: list[ScoreEntry], *, stage: Stage, actor: User | None = None,
                  submit: bool | str = SUBMIT_MARKED, dry_run: bool = False,
                  source: str = "web") -> ScoreReport:
    """Write scores for assigned cases of one stage, all or nothing.

    Every entry is checked first — the judge is assigned to the case in this stage, the stage is
    open, no conflict, each value a number from 0 to the criterion's points, no case twice, an
    entry to submit scores every criterion, a submitted score changes only where the stage
    allows resubmission — and any problem aborts the whole write with every problem listed. A
    judge may only write their own scores, and messages name only what the judge may see. Which
    entries are submitted: ``submit=True`` all, :data:`SUBMIT_MARKED` those marked,
    :data:`SUBMIT_COMPLETE` every complete one (staff on the judge's behalf, audited so),
    :data:`SUBMIT_TYPED` those whose own values score every criterion and change something.
    The open check and the write run in one transaction; each change is audited with old and
    new values.
    """
    report = ScoreReport(dry_run=dry_run)
    with collector_paused(len(entries) >= BULK_ENTRIES), database.atomic() as transaction:
        known = _load_known(entries, stage)
        stage, criteria = known.stage, known.criteria
        if not stage.is_open:
            raise ValidationError(f"「{stage.name}」階段已關閉，評分已鎖定")
        plan = _check_entries(entries, stage, actor, submit, criteria, known)
        report.cases = [{"case": item.assignment.case_id, "judge": item.assignment.login,
                         "state": item.state, "why": item.why} for item in plan]
        changed = [item for item in plan
                   if item.edited or item.state != item.assignment.state]
        report.unchanged = len(plan) - len(changed)
        _write_plan(changed, criteria, actor, source, submit in (SUBMIT_COMPLETE, SUBMIT_TYPED),
                    report)
        if dry_run:
            transaction.rollback()
    return report


BULK_ENTRIES = 200  # entries from which a write holds off Python's cycle collector


@dataclass
class _Known:
    """What checking a batch of score entries reads, in a number of queries that does not grow
    with the batch: the stage as it stands now and its rubric (criterion name → criterion, in
    order), judges by login, assignments by (judge id, case id), cases, judges' tied counties,
    declared conflicts by (judge id, case id), stored scores by assignment id."""

    stage: Stage
    criteria: dict[str, Criterion]
    users: dict[str, User]
    assignments: dict[tuple[int, int], _Held]
    cases: dict[int, _HeldCase]
    tied: dict[int, list[str]]
    declared: dict[tuple[int, int], str]
    scores: dict[int, dict[str, float]]


# What _load_known reads of each assignment: one row each, with the year's rubric (the same on
# every row, read once by the database) and the assignment's stored scores as JSON texts.
_KNOWN_COLUMNS = (Stage.name, Stage.is_open, Stage.allow_resubmit,
                  Assignment.id, Assignment.judge, Assignment.case, Assignment.state,
                  Assignment.comment, Assignment.submitted_at, User.login, User.name, Case.title,
                  County.name, JudgeProfile.counties, Conflict.id, Conflict.reason)


def _known_assignments(stage_id: int, logins: list[str], case_ids: list[int]):
    return ((Assignment.stage == stage_id) & User.login.in_(logins)
            & Assignment.case.in_(case_ids))


@prepared
def _lock_known(stage_id: int, logins: list[str], case_ids: list[int]):
    return locking(Assignment.select(Assignment.id).join(Stage).switch(Assignment).join(User)
                   .where(_known_assignments(stage_id, logins, case_ids))
                   .order_by(Assignment.id),
                   update=(Assignment,), share=(Stage,))


@prepared
def _known_rows(stage_id: int, edition_id: int, logins: list[str], case_ids: list[int]):
    rubric = (Criterion.select(json_items(Criterion.id, Criterion.name, Criterion.points,
                                          Criterion.position))
              .where(Criterion.edition == edition_id))
    stored = (Score.select(json_pairs(Score.criterion, Score.value))
              .where(Score.assignment == Assignment.id))
    return (Assignment.select(*_KNOWN_COLUMNS, rubric, stored)
            .join(Stage)
            .switch(Assignment).join(User)
            .switch(Assignment).join(Case).join(County)
            .switch(Assignment)
            .join(JudgeProfile, JOIN.LEFT_OUTER, on=(JudgeProfile.user == Assignment.judge))
            .switch(Assignment)
            .join(Conflict, JOIN.LEFT_OUTER, on=((Conflict.judge == Assignment.judge)
                                                 & (Conflict.case == Assignment.case)))
            .where(_known_assignments(stage_id, logins, case_ids))
            .order_by(Assignment.id))


def _load_known(entries: list[ScoreEntry], stage: Stage) -> _Known:
    """Read what :func:`_check_entries` needs, inside the writing transaction (on PostgreSQL the
    stage row is held against a close and the assignments against another save until it ends,
    by a statement of its own before the read).

    The usual case, every entry assigned, is one query: a row per assignment, joined with its
    stage, judge, case, county, the judge's ties and a declared conflict, with the year's rubric
    and the assignment's stored scores. Entries naming no assignment cost a few more, for their
    messages.
    """
    logins = sorted({e.judge for e in entries})
    case_ids = sorted({e.case_id for e in entries})
    if entries and locks_rows():
        # Locked first, read after: a statement that waited for a lock sees the locked rows as
        # they are now but the rest (the stored scores) as they were when it began.
        _lock_known.cursor(stage.id, logins, case_ids)
    # A raw cursor: peewee's conversion of each of some 5,000 rows costs more than the query;
    # the few columns that need one are converted below, once per assignment or judge.
    rows = (_known_rows.cursor(stage.id, stage.edition_id, logins, case_ids).fetchall()
            if entries else [])
    criteria: dict[str, Criterion] = {}
    if rows and rows[0][-2] is not None:
        criteria = {name: Criterion(id=criterion_id, edition=stage.edition_id, name=name,
                                    points=points)
                    for criterion_id, name, points, _ in sorted(json.loads(rows[0][-2]),
                                                                key=lambda item: item[3])}
    name_of = {criterion.id: name for name, criterion in criteria.items()}
    assignments, users, cases = {}, {}, {}
    tied, declared = {}, {}
    scores: dict[int, dict[str, float]] = {}
    for (stage_name, is_open, allow_resubmit, assignment_id, judge_id, case_id, state, comment,
         submitted_at, login, name, title, county, counties_tied, conflict_id, conflict_reason,
         _, stored) in rows:
        if stored:
            scores[assignment_id] = {name_of[int(criterion_id)]: float(value)
                                     for criterion_id, value in json.loads(stored).items()}
        if login not in users:
            users[login] = User(id=judge_id, login=login, name=name, role="judge")
            if counties_tied is not None:
                tied[judge_id] = JudgeProfile.counties.python_value(counties_tied)
        if case_id not in cases:
            cases[case_id] = _HeldCase(case_id, title, county)
        assignments[judge_id, case_id] = _Held(
            assignment_id, stage.id, judge_id, case_id, login, state, comment,
            Assignment.submitted_at.python_value(submitted_at))
        if conflict_id is not None:
            declared[judge_id, case_id] = conflict_reason
    if rows:
        current = Stage(id=stage.id, edition=stage.edition_id, key=stage.key, name=stage_name,
                        is_open=bool(is_open), allow_resubmit=bool(allow_resubmit))
    else:
        current, criteria = _current_stage_and_rubric(stage)
    if len({(e.judge, e.case_id) for e in entries}) > len(assignments):
        # Some entry names no assignment: read what its message needs.
        users = {u.login: u for u in User.select().where(User.login.in_(logins))}
        judge_ids = [u.id for u in users.values()]
        cases = {case_id: _HeldCase(case_id, title, county) for case_id, title, county in
                 Case.select(Case.id, Case.title, County.name).join(County)
                 .where(Case.id.in_(case_ids)).tuples()}
        tied = {p.user_id: p.counties for p in
                JudgeProfile.select().where(JudgeProfile.user.in_(judge_ids))}
        declared = {(c.judge_id, c.case_id): c.reason for c in Conflict.select().where(
            Conflict.judge.in_(judge_ids) & Conflict.case.in_(case_ids))}
    return _Known(current, criteria, users, assignments, cases, tied, declared, scores)


def _check_entries(entries: list[ScoreEntry], stage: Stage, actor: User | None,
                   submit: bool | str, criteria: dict[str, Criterion],
                   known: _Known) -> list[_Planned]:
    """Every entry checked and its outcome decided; ValidationError listing every problem."""
    judge_view = not acts_as_staff(actor)
    problems: list[str] = []
    codes: dict[int, str] = {}
    seen: dict[tuple[str, int], str] = {}
    plan = []
    for entry in entries:
        where = entry.where or f"案例 {entry.case_id}"
        key = (entry.judge, entry.case_id)
        if key in seen:
            problems.append(f"{where}：與{seen[key]}重複（同一評審、同一案例）")
            continue
        seen[key] = where
        judge = known.users.get(entry.judge)
        if judge is None:
            problems.append(f"{where}：找不到評審帳號「{entry.judge}」")
            continue
        if not can_act_for_judge(actor, judge):
            raise PermissionDenied("只能填寫自己的評分")
        assignment = known.assignments.get((judge.id, entry.case_id))
        declared = known.declared.get((judge.id, entry.case_id))
        if assignment is None and judge_view:
            # A judge learns nothing of a case not assigned to them, not even that it exists,
            # beyond a conflict they declared themselves.
            problems.append(f"{where}：{judge.login} 不得評分案例 {case_code(entry.case_id, codes)}（評審已聲明利益迴避"
                            f"（{declared or '未註明理由'}））" if declared is not None else
                            f"{where}：案例 {entry.case_id} 未分派給您")
            continue
        case = known.cases.get(entry.case_id)
        if case is None:
            problems.append(f"{where}：找不到案例 {entry.case_id}")
            continue
        reason = _conflict_text(case.county, known.tied.get(judge.id, []), declared)
        if reason:
            problems.append(f"{where}：{judge.login} 不得評分案例 {case_code(case.id, codes)}（{reason}）")
            continue
        if assignment is None:
            problems.append(f"{where}：{judge.login} 未被指派評分案例 {case_code(case.id, codes)}〈{case.title}〉")
            continue
        old_values = known.scores.get(assignment.id, {})
        new_values = dict(old_values)
        typed_values: dict[str, float] = {}
        for name, typed in entry.values.items():
            criterion = criteria.get(name)
            if criterion is None:
                problems.append(f"{where}：評選指標「{name}」不在本年度評分表中")
                continue
            try:
                value = parse_score(typed, criterion.points)
            except ValueError as error:
                problems.append(f"{entry.cells.get(name) or where} {name}：{error}")
                continue
            if value is not None:
                new_values[name] = typed_values[name] = value
        edited = old_values != new_values or (entry.comment is not None
                                              and entry.comment != assignment.comment)
        missing = [n for n in criteria if n not in new_values]
        wants = {True: True, SUBMIT_MARKED: entry.submit, SUBMIT_COMPLETE: not missing,
                 SUBMIT_TYPED: edited and len(typed_values) == len(criteria)}[submit]
        if assignment.state == "submitted":
            if edited and not stage.allow_resubmit:
                problems.append(f"{where}：案例 {case_code(case.id, codes)} 已送出評分，「{stage.name}」"
                                "不開放修改已送出的評分（如需修改請洽主辦機關重新開放並允許修改）")
                continue
            plan.append(_Planned(assignment, old_values, new_values, entry.comment, "submitted",
                                 "已送出（修改）" if edited else "已送出（未變動）", edited))
            continue
        if (entry.submit or submit is True) and missing:
            problems.append(f"{entry.submit_cell or where}：尚未評分「{'」「'.join(missing)}」，"
                            "不能送出")
            continue
        if wants and not missing:
            state, why = "submitted", "已送出" + ("（主辦機關代為送出）" if submit in (
                SUBMIT_COMPLETE, SUBMIT_TYPED) else "")
        else:
            state = "draft" if edited or assignment.state == "draft" else assignment.state
            why = (f"暫存：尚未評分「{'」「'.join(missing)}」" if missing
                   else "暫存：未標示送出" if submit is SUBMIT_MARKED
                   else "暫存：本列未變更或未填齊各項分數，維持原狀")
        plan.append(_Planned(assignment, old_values, new_values, entry.comment, state, why,
                             edited))
    if problems:
        raise ValidationError([Problem(p) for p in problems])
    return plan


# What _write_plan writes of an assignment (all its fields: the rows go in as an upsert).
_ASSIGNMENT_FIELDS = (Assignment.id, Assignment.stage, Assignment.judge, Assignment.case,
                      Assignment.state, Assignment.comment, Assignment.submitted_at)


def _write_plan(plan: list[_Planned], criteria: dict[str, Criterion], actor: User | None,
                source: str, on_behalf: bool, report: ScoreReport) -> None:
    """Write the changed scores, states and comments of checked entries in bulk statements
    (whatever their number: one for the scores, one for the assignments, one for the audit
    records, per thousand rows), and audit each change."""
    criterion_ids = {name: criterion.id for name, criterion in criteria.items()}
    scores = []
    for item in plan:
        assignment_id, old = item.assignment.id, item.old_values
        scores += [(assignment_id, criterion_ids[name], value)
                   for name, value in item.values.items() if old.get(name) != value]
    insert_rows(Score, [Score.assignment, Score.criterion, Score.value], scores,
                upsert=[Score.assignment, Score.criterion])
    changes, rows = [], []
    moment = datetime.now()
    for item in plan:
        assignment = item.assignment
        before = {"scores": item.old_values, "state": assignment.state,
                  "comment": assignment.comment}
        submitted_now = item.state == "submitted" and assignment.state != "submitted"
        assignment.state = item.state
        if item.comment is not None:
            assignment.comment = item.comment
        if submitted_now:
            assignment.submitted_at = moment
        after = {"scores": item.values, "state": item.state, "comment": assignment.comment}
        changes.append((assignment.id, before, after,
                        "主辦機關代評審送出" if submitted_now and on_behalf else ""))
        rows.append((assignment.id, assignment.stage_id, assignment.judge_id, assignment.case_id,
                     assignment.state, assignment.comment, assignment.submitted_at))
        report.changed.append({"case": assignment.case_id, "judge": assignment.login,
                               "before": item.old_values, "after": item.values,
                               "state": item.state})
    # An upsert of rows that are there: one statement for any mix of states and comments.
    insert_rows(Assignment, list(_ASSIGNMENT_FIELDS), rows, upsert=[Assignment.id],
                replace=[Assignment.state, Assignment.comment, Assignment.submitted_at])
    write_audits(actor, f"scores_{source}", "assignment", changes)


def submit_complete_drafts(year: int, key: str, *, judge: User,
                           actor: User | None = None) -> ScoreReport:
    """Submit every draft of a judge in a stage whose criteria are all scored (「送出全部已完成
    評分」); incomplete drafts stay as they are."""
    stage = get_stage(year, key)
    criteria = stage_criteria(stage)
    codes: dict[int, str] = {}
    entries = [ScoreEntry(judge=judge.login, case_id=a.case_id, values={},
                          submit=True, where=f"案例 {case_code(a.case_id, codes)}")
               for a in list_assignments(year, key, judge=judge)
               if a.state == "draft" and len(_score_values(a)) == len(criteria)]
    return record_scores(entries, stage=stage, actor=actor, source="web")


# --- progress and tables ----------------------------------------------------------------------

def stage_progress(year: int) -> list[dict]:
    """Per stage: open or closed, and per judge and per region how many are scored of assigned
    (counted by the database: two GROUP BY queries whatever the number of assignments)."""
    stages = list_stages(year)
    stage_ids = [stage.id for stage in stages]
    scored = fn.SUM((Assignment.state == "submitted").cast("integer"))
    assigned = fn.COUNT(Assignment.id)
    rows: dict[tuple[int, str], list[dict]] = defaultdict(list)
    by_judge = (Assignment.select(Assignment.stage, User.login, scored, assigned).join(User)
                .where(Assignment.stage.in_(stage_ids))
                .group_by(Assignment.stage, User.login).order_by(User.login))
    by_region = (Assignment.select(Assignment.stage, Region.name, scored, assigned)
                 .join(Case).join(Region).where(Assignment.stage.in_(stage_ids))
                 .group_by(Assignment.stage, Region.id, Region.name, Region.position)
                 .order_by(Region.position))
    for key, query in (("judge", by_judge), ("region", by_region)):
        for stage_id, name, done, total in query.tuples():
            rows[stage_id, key].append({key: name, "scored": int(done or 0), "assigned": total})
    return [{"stage": stage.key, "name": stage.name, "open": stage.is_open,
             "allow_resubmit": stage.allow_resubmit,
             "judges": rows[stage.id, "judge"], "regions": rows[stage.id, "region"]}
            for stage in stages]


def stage_scores(year: int, key: str) -> dict:
    """Every judge's scores of a stage and each case's aggregate (mean of complete totals)."""
    stage = get_stage(year, key)
    criteria = stage_criteria(stage)
    rows = assignment_dicts(list_assignments(year, key), criteria)
    by_case = defaultdict(list)
    for row in rows:
        if row["total"] is not None and row["state"] == "submitted":
            by_case[row["case"]].append(row["total"])
    cases = [{"case": case_id, "judges": len(totals), "score": scoring.mean_score(totals)}
             for case_id, totals in sorted(by_case.items())]
    return {"year": year, "stage": key, "criteria": [{"name": c.name, "points": c.points}
                                                     for c in criteria],
            "scores": rows, "cases": cases}
