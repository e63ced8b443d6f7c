"""Judging: panels, assignments, conflicts of interest, score entry, stage locking.

Scores are the most sensitive data in the system: every change goes through
:func:`record_scores` (the web form, a judge's score sheet and the staff's combined table all
call it), which checks the judge, the stage, conflicts and ranges, writes all or nothing, and
logs old and new values.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from peewee import EXCLUDED, JOIN, chunked, fn
from dataclasses import asdict, dataclass, field
from datetime import datetime

import scoring
from kb.audit import write_audit
from kb.db import database, for_update
from kb.editions import get_edition
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError
from kb.models import (Assignment, Case, Category, Conflict, County, Criterion, JudgeProfile,
                       PanelMember, Region, Score, Stage, User)
from kb.text import normalize_name
from kb.users import find_county_by_name, get_user

ONSITE_STATUSES = ("nominated", "presented")  # cases that go on to the on-site stage
STATES = {"pending": "未評分", "draft": "暫存", "submitted": "已送出"}
ASSIGNMENT_BATCH = 500  # rows per multi-row INSERT (well under SQLite's parameter limit)


# --- stages -----------------------------------------------------------------------------------

def get_stage(year: int, key: str) -> Stage:
    """A stage of a year (``screening`` or ``onsite``), or NotFound naming both."""
    edition = get_edition(year)
    stage = Stage.get_or_none((Stage.edition == edition) & (Stage.key == key))
    if stage is None:
        raise NotFound(f"民國{year}年沒有「{key}」階段")
    return stage


def set_stage_state(year: int, key: str, action: str, *, reason: str | None = None,
                    actor: User | None = None) -> Stage:
    """Open, close or reopen a stage. Closing locks its scores; reopening needs a reason."""
    stage = get_stage(year, key)
    if actor is not None and actor.role != "staff":
        raise PermissionDenied("只有主辦機關可以開放或關閉評分階段")
    if action not in ("open", "close", "reopen"):
        raise ValidationError(f"不明的動作「{action}」")
    has_scores = Score.select().join(Assignment).where(Assignment.stage == stage).exists()
    if action == "reopen" or (action == "open" and has_scores):
        if not (reason or "").strip():
            raise ValidationError([Problem("重新開放評分階段須註明理由", "reason")])
        action = "reopen"
    is_open = action != "close"
    with database.atomic():
        stage = for_update(Stage.select().where(Stage.id == stage.id)).get()
        write_audit(actor, f"{action}_stage", "stage", stage.id, before={"is_open": stage.is_open},
                    after={"is_open": is_open}, reason=(reason or "").strip())
        stage.is_open = is_open
        stage.save()
    return stage


# --- judges and conflicts ---------------------------------------------------------------------

def judge_profile(user: User) -> JudgeProfile:
    """A judge's profile (empty until set)."""
    profile = JudgeProfile.get_or_none(JudgeProfile.user == user)
    return profile or JudgeProfile(user=user)


def set_judge_profile(login: str, *, title: str | None = None, affiliation: str | None = None,
                      fields: list[str] | None = None, counties: list[str] | None = None,
                      actor: User | None = None) -> JudgeProfile:
    """Record a judge's fields and the counties they are tied to (employment, advisory roles)."""
    user = get_user(login)
    if user.role != "judge":
        raise ValidationError(f"帳號「{login}」不是評審委員")
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


def judge_profiles(judges: list[User]) -> dict[int, JudgeProfile]:
    """Each judge's profile by user id (empty until set), in one query."""
    found = {p.user_id: p for p in
             JudgeProfile.select().where(JudgeProfile.user.in_([j.id for j in judges]))}
    return {judge.id: found.get(judge.id) or JudgeProfile(user=judge) for judge in judges}


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
        tied = set(profiles[judge.id].counties)
        for case in cases:
            if case.county.name in tied:
                reasons[judge.id, case.id] = f"評審與{case.county.name}有利益關係"
            elif (judge.id, case.id) in declared:
                reason = declared[judge.id, case.id] or "未註明理由"
                reasons[judge.id, case.id] = f"評審已聲明利益迴避（{reason}）"
    return reasons


def _withdraw(judge: User, which, actor: User | None) -> int:
    """Take a judge off the cases ``which`` selects (a new conflict), keeping old scores in the
    audit log; returns how many assignments were withdrawn."""
    withdrawn = list(Assignment.select(Assignment, Stage).join(Case).switch(Assignment)
                     .join(Stage).where((Assignment.judge == judge) & which))
    locked = [a for a in withdrawn if not a.stage.is_open and a.state != "pending"]
    if locked:
        raise ValidationError(f"「{locked[0].stage.name}」已關閉，{judge.login} 對案例 "
                              f"{'、'.join(str(a.case_id) for a in locked)} 的評分已鎖定；"
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
    if actor is not None and actor.role != "staff" and actor.id != judge.id:
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
        if user.role != "judge" or not user.active:
            raise ValidationError(f"帳號「{login}」不是啟用中的評審委員")
        judges.append(user)
    return judges


def stage_cases(stage: Stage) -> list[Case]:
    """The cases a stage judges: every case for screening, nominated ones on site."""
    query = (Case.select(Case, County, Region, Category).join(County).switch(Case).join(Region)
             .switch(Case).join(Category).where(Case.edition == stage.edition_id))
    if stage.key != "screening":
        query = query.where(Case.status.in_(ONSITE_STATUSES))
    return list(query.order_by(Case.id))


def assign_screening(year: int, *, judges: list[str] | None = None, per_case: int | None = None,
                     actor: User | None = None) -> AssignmentReport:
    """Give every case the year's number of judges, balancing the load, preferring judges whose
    fields include the case's category, never creating a conflict. Existing assignments stay.

    When some case cannot be staffed without a conflict, nothing is written and every such case
    is named with the reason.
    """
    stage = get_stage(year, "screening")
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
            User.select().where((User.role == "judge") & (User.active == True)))  # noqa: E712
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
    problems = []
    for case in cases:
        if len(eligible[case.id]) < per_case:
            blocked = [f"{j.login}（{conflicts[j.id, case.id]}）" for j in pool
                       if (j.id, case.id) in conflicts]
            problems.append(f"案例 {case.id}〈{case.title}〉：需要 {per_case} 位評審，"
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
        _create_assignments(stage, plan)
        write_audit(actor, "assign", "stage", stage.id, after={"created": len(plan)})
    return AssignmentReport(created=len(plan))


def _create_assignments(stage: Stage, plan: list[tuple[Case, User]]) -> None:
    """Insert the planned (case, judge) assignments of a stage in a few multi-row statements."""
    rows = [{"stage": stage.id, "judge": judge.id, "case": case.id} for case, judge in plan]
    for batch in chunked(rows, ASSIGNMENT_BATCH):
        Assignment.insert_many(batch).execute()


def assign_onsite(year: int, *, region: str | None = None, judges: list[str] | None = None,
                  actor: User | None = None) -> AssignmentReport:
    """Give each on-site panel judge every case presented in their region.

    With ``region`` and ``judges`` the region's panel becomes exactly those judges (a judge
    taken off loses their unsubmitted assignments there; one with submitted scores cannot be
    taken off). Without them, every region's panel as already set is applied. Conflicts are
    checked before anything is written.
    """
    stage = get_stage(year, "onsite")
    regions = list(Region.select().where(Region.edition == stage.edition_id).order_by(Region.position))
    if region is not None:
        wanted = normalize_name(region)
        regions = [r for r in regions if r.name == wanted]
        if not regions:
            raise ValidationError(f"「{region}」不是民國{year}年的分區")
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
    plan, problems, dropped = [], [], []
    for each in regions:
        members = {judge.id for judge in panels[each.id]}
        region_cases = {case.id for case in cases_by_region[each.id]}
        for assignment in current:
            if assignment.case_id in region_cases and assignment.judge_id not in members:
                if assignment.state == "submitted":
                    problems.append(f"{each.name}：{assignment.judge.login} 已送出案例 "
                                    f"{assignment.case_id} 的評分，不能移出評審名單")
                dropped.append(assignment)
        conflicts = conflict_reasons(panels[each.id], cases_by_region[each.id])
        for case in cases_by_region[each.id]:
            for judge in panels[each.id]:
                reason = conflicts.get((judge.id, case.id))
                if reason:
                    problems.append(f"{each.name}案例 {case.id}〈{case.title}〉：{judge.login} {reason}，"
                                    "請更換該區評審或另行安排")
                elif (judge.id, case.id) not in existing:
                    plan.append((case, judge))
    if problems:
        raise ValidationError([Problem(p) for p in problems])
    with database.atomic():
        if judges is not None:
            PanelMember.delete().where((PanelMember.stage == stage)
                                       & (PanelMember.region == regions[0])).execute()
            for judge in panels[regions[0].id]:
                PanelMember.create(stage=stage, judge=judge, region=regions[0])
        for assignment in dropped:
            write_audit(actor, "unassign", "assignment", assignment.id,
                        before={"case": assignment.case_id, "judge": assignment.judge.login,
                                "scores": _score_values(assignment)}, reason="移出分區評審名單")
            assignment.delete_instance(recursive=True)
        _create_assignments(stage, plan)
        write_audit(actor, "assign", "stage", stage.id,
                    after={"created": len(plan), "removed": len(dropped),
                           "panel": {r.name: [j.login for j in panels[r.id]] for r in regions}})
    return AssignmentReport(created=len(plan))


def panel_members(year: int, key: str) -> dict[str | None, list[User]]:
    """A stage's panel: region name (None for the whole stage) → judges."""
    stage = get_stage(year, key)
    panel: dict[str | None, list[User]] = defaultdict(list)
    for member in (PanelMember.select(PanelMember, User).join(User).switch(PanelMember)
                   .join(Region, join_type=JOIN.LEFT_OUTER).where(PanelMember.stage == stage)
                   .order_by(User.login)):
        panel[member.region.name if member.region_id else None].append(member.judge)
    return dict(panel)


def list_stages(year: int) -> list[Stage]:
    """A year's stages in order."""
    return list(Stage.select().where(Stage.edition == get_edition(year)).order_by(Stage.position))


def unassign(assignment_id: int, *, actor: User | None = None) -> None:
    """Take a judge off a case (staff); refused once scores are submitted."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None:
        raise NotFound(f"找不到指派 {assignment_id}")
    if assignment.state == "submitted":
        raise ValidationError("評審已送出此案評分，不能取消指派")
    if not assignment.stage.is_open and Score.select().where(Score.assignment == assignment).exists():
        raise ValidationError(f"「{assignment.stage.name}」已關閉，評分已鎖定")
    with database.atomic():
        write_audit(actor, "unassign", "assignment", assignment.id,
                    before={"case": assignment.case_id, "judge": assignment.judge.login,
                            "scores": _score_values(assignment)})
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


def assignment_dict(assignment: Assignment, criteria: list[Criterion],
                    values: dict[str, float] | None = None) -> dict:
    """An assignment as plain data: case, judge, state, scores (``values`` when the caller
    read them, see :func:`assignment_dicts`), total."""
    values = _score_values(assignment) if values is None else values
    return {"assignment": assignment.id, "case": assignment.case_id,
            "title": assignment.case.title, "county": assignment.case.county.name,
            "region": assignment.case.region.name, "judge": assignment.judge.login,
            "state": assignment.state, "scores": values,
            "total": scoring.judge_total(values, _rubric(criteria)), "comment": assignment.comment}


def assignment_dicts(assignments: list[Assignment], criteria: list[Criterion]) -> list[dict]:
    """:func:`assignment_dict` of each assignment, their scores read in one query (the
    assignments should come with their case, county, region and judge, as
    :func:`list_assignments` gives them)."""
    values: dict[int, dict[str, float]] = defaultdict(dict)
    for assignment_id, name, value in (
            Score.select(Score.assignment, Criterion.name, Score.value).join(Criterion)
            .where(Score.assignment.in_([a.id for a in assignments])).tuples()):
        values[assignment_id][name] = value
    return [assignment_dict(a, criteria, values[a.id]) for a in assignments]


def get_assignment(assignment_id: int, *, viewer: User | None = None) -> Assignment:
    """An assignment its judge (or staff) may see; anyone else gets NotFound."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None or (viewer is not None and viewer.role != "staff"
                              and assignment.judge_id != viewer.id):
        raise NotFound(f"找不到指派 {assignment_id}")
    return assignment


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
    leave as it was). ``where`` names the place for messages (e.g. 「評分表」第5列)."""

    judge: str
    case_id: int
    values: dict[str, object]
    comment: str | None = None
    where: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # criterion → place, e.g. 「評分表」E7


@dataclass
class ScoreReport:
    """What a score write changed (or, on a dry run, would change)."""

    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def parse_score(typed, points: float) -> float | None:
    """A typed score: full-width digits and stray spaces accepted, one decimal, 0 to points.

    Returns None for a blank; raises ValueError with a zh-TW message otherwise.
    """
    if typed is None:
        return None
    if isinstance(typed, (int, float)) and not isinstance(typed, bool):
        value = float(typed)
    else:
        text = normalize_name(str(typed))
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"「{typed}」不是數字") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"「{typed}」不是數字")
    if value < 0:
        raise ValueError(f"{_number(value)} 不可為負數")
    if value > points:
        raise ValueError(f"{_number(value)} 超過配分 {_number(points)}")
    if round(value, 1) != round(value, 6):
        raise ValueError(f"{_number(value)} 最多一位小數")
    return round(value, 1)


def _number(value: float) -> str:
    return f"{value:g}"


def record_scores(entries: list[ScoreEntry], *, stage: Stage, actor: User | None = None,
                  submit: bool | str = False, dry_run: bool = False,
                  source: str = "web") -> ScoreReport:
    """Write scores for assigned cases of one stage, all or nothing.

    Every entry is checked first — the judge is assigned to the case in this stage, the stage is
    open, no conflict, each value a number from 0 to the criterion's points, no case twice — and
    any problem aborts the whole write with every problem listed. A judge may only write their
    own scores. ``submit=True`` marks the assignments submitted (every criterion must then be
    scored); ``submit="complete"`` submits those whose every criterion is scored (paper forms
    typed in by staff are final). Each change is audited with old and new values.
    """
    criteria = {c.name: c for c in stage_criteria(stage)}
    problems: list[str] = []
    if not stage.is_open:
        raise ValidationError(f"「{stage.name}」階段已關閉，評分已鎖定")
    seen: dict[tuple[str, int], str] = {}
    plan = []
    for entry in entries:
        where = entry.where or f"案例 {entry.case_id}"
        key = (entry.judge, entry.case_id)
        if key in seen:
            problems.append(f"{where}：與{seen[key]}重複（同一評審、同一案例）")
            continue
        seen[key] = where
        judge = User.get_or_none(User.login == entry.judge)
        if judge is None:
            problems.append(f"{where}：找不到評審帳號「{entry.judge}」")
            continue
        if actor is not None and actor.role != "staff" and actor.id != judge.id:
            raise PermissionDenied("只能填寫自己的評分")
        assignment = Assignment.get_or_none((Assignment.stage == stage) & (Assignment.judge == judge)
                                            & (Assignment.case == entry.case_id))
        case = Case.get_or_none(Case.id == entry.case_id)
        if case is None:
            problems.append(f"{where}：找不到案例 {entry.case_id}")
            continue
        reason = conflict_reason(judge, case)
        if reason:
            problems.append(f"{where}：{judge.login} 不得評分案例 {case.id}（{reason}）")
            continue
        if assignment is None:
            problems.append(f"{where}：{judge.login} 未被指派評分案例 {case.id}〈{case.title}〉")
            continue
        new_values = _score_values(assignment)
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
                new_values[name] = value
        if submit is True and len(new_values) < len(criteria):
            missing = [n for n in criteria if n not in new_values]
            problems.append(f"{where}：尚未評分「{'」「'.join(missing)}」，不能送出")
        plan.append((assignment, new_values, entry.comment))
    if problems:
        raise ValidationError([Problem(p) for p in problems])

    report = ScoreReport(dry_run=dry_run)
    with database.atomic() as transaction:
        # Closing the stage waits for saves under way; a save after it sees the stage closed.
        if not for_update(Stage.select(Stage.is_open).where(Stage.id == stage.id), share=True).scalar():
            raise ValidationError(f"「{stage.name}」階段已關閉，評分已鎖定")
        # Two saves of one assignment take turns; each "before" is what the other left.
        locked = {a.id: a for a in for_update(Assignment.select().where(
            Assignment.id.in_([a.id for a, _, _ in plan])).order_by(Assignment.id))}
        for planned, new_values, comment in plan:
            assignment = locked[planned.id]
            old_values = _score_values(assignment)
            edited = old_values != new_values or (comment is not None
                                                  and comment != assignment.comment)
            complete = len(new_values) == len(criteria)
            if submit is True or (submit == "complete" and complete):
                state = "submitted"
            elif edited and assignment.state == "pending":
                state = "draft"
            else:
                state = assignment.state
            if not edited and state == assignment.state:
                report.unchanged += 1
                continue
            rows = [{"assignment": assignment.id, "criterion": criteria[name].id, "value": value}
                    for name, value in new_values.items() if old_values.get(name) != value]
            if rows:
                (Score.insert_many(rows)
                 .on_conflict(conflict_target=[Score.assignment, Score.criterion],
                              update={Score.value: EXCLUDED.value}).execute())
            before = {"scores": old_values, "state": assignment.state, "comment": assignment.comment}
            assignment.state = state
            if comment is not None:
                assignment.comment = comment
            if state == "submitted" and before["state"] != "submitted":
                assignment.submitted_at = datetime.now()
            assignment.save()
            after = {"scores": new_values, "state": state, "comment": assignment.comment}
            write_audit(actor, f"scores_{source}", "assignment", assignment.id, before=before,
                        after=after)
            report.changed.append({"case": assignment.case_id, "judge": assignment.judge.login,
                                   "before": old_values, "after": new_values, "state": state})
        if dry_run:
            transaction.rollback()
    return report


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
             "judges": rows[stage.id, "judge"], "regions": rows[stage.id, "region"]}
            for stage in stages]


def stage_scores(year: int, key: str) -> dict:
    """Every judge's scores of a stage and each case's aggregate (mean of complete totals)."""
    stage = get_stage(year, key)
    criteria = stage_criteria(stage)
    rows = [assignment_dict(a, criteria) for a in list_assignments(year, key)]
    by_case = defaultdict(list)
    for row in rows:
        if row["total"] is not None and row["state"] == "submitted":
            by_case[row["case"]].append(row["total"])
    cases = [{"case": case_id, "judges": len(totals), "score": scoring.mean_score(totals)}
             for case_id, totals in sorted(by_case.items())]
    return {"year": year, "stage": key, "criteria": [{"name": c.name, "points": c.points}
                                                     for c in criteria],
            "scores": rows, "cases": cases}
