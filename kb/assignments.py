"""Who judges which case: screening and on-site panels, assignments and their removal (staff,
or a conflict found by a judge's profile or declaration), and the assignment lists that judges'
and staff pages read."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from peewee import JOIN

import scoring
from kb.audit import write_audit
from kb.case_codes import case_code
from kb.computed import computed
from kb.conflicts import conflict_reasons, conflict_text, judge_profile, judge_profiles
from kb.db import database, insert_rows, prepared
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError, echoed
from kb.models import (Assignment, Case, Conflict, County, Criterion, Edition, JudgeProfile,
                       PanelMember, Region, Score, Stage, User)
from kb.policy import Role, can_act_for_judge, can_score, is_active_judge, is_judge
from kb.rocdate import roc_year
from kb.stages import (check_not_closed, current_stage, get_stage, is_closed, stage_cases,
                       stage_criteria)
from kb.text import normalize_name
from kb.users import find_county_by_name, get_user


# --- assigning and unassigning ----------------------------------------------------------------

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


def assign_screening(year: int, *, judges: list[str] | None = None, per_case: int | None = None,
                     actor: User | None = None) -> AssignmentReport:
    """Give every case the year's number of judges, balancing the load, preferring judges whose
    fields include the case's category, never creating a conflict. Existing assignments stay.

    When some case cannot be staffed without a conflict, nothing is written and every such case
    is named with the reason.
    """
    stage = get_stage(year, "screening")
    check_not_closed(stage)
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
        check_not_closed(current_stage(stage))
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
    stage = current_stage(get_stage(year, "onsite"))
    check_not_closed(stage)
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
        _remove(assignment, assignment.judge.login, "unassign", why or "移出分區評審名單", actor)
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


def unassign(assignment_id: int, *, reason: str | None = None,
             actor: User | None = None) -> None:
    """Take a judge off a case (staff): refused once scores are submitted or the stage is
    closed; a draft with scores is deleted only with a ``reason``."""
    with database.atomic():
        assignment = Assignment.get_or_none(Assignment.id == assignment_id)
        if assignment is None:
            raise NotFound(f"找不到指派 {assignment_id}")
        check_not_closed(current_stage(assignment.stage))
        if assignment.state == "submitted":
            raise ValidationError("評審已送出此案評分，不能取消指派")
        scores = score_values(assignment)
        if scores and not (reason or "").strip():
            raise ValidationError([Problem(f"取消指派將刪除 {assignment.judge.login} 對案例 "
                                           f"{case_code(assignment.case_id)} 的暫存評分，請註明理由",
                                           "reason")])
        _remove(assignment, assignment.judge.login, "unassign", (reason or "").strip(), actor,
                scores)


def score_values(assignment: Assignment) -> dict[str, float]:
    """An assignment's stored scores by criterion name."""
    return {s.criterion.name: s.value for s in
            Score.select(Score, Criterion).join(Criterion).where(Score.assignment == assignment)}


def _remove(assignment: Assignment, login: str, action: str, reason: str, actor: User | None,
            scores: dict[str, float] | None = None) -> None:
    """Delete an assignment and its scores, keeping them (``scores``, read when not given) in
    the audit record."""
    write_audit(actor, action, "assignment", assignment.id,
                before={"case": assignment.case_id, "judge": login,
                        "scores": score_values(assignment) if scores is None else scores},
                reason=reason)
    assignment.delete_instance(recursive=True)


# --- ties and conflicts that take a judge off cases -------------------------------------------

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
        _remove(assignment, judge.login, "withdraw_assignment", "利益迴避", actor)
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


# --- lists and lookups ------------------------------------------------------------------------

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
                if conflict_text(row["county"], tied, declared.get(row["case"])) is None]
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
               if conflict_text(a.case.county.name, tied, declared.get(a.case_id)) is None]
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


def _rubric(criteria: list[Criterion]) -> list[scoring.Criterion]:
    return [scoring.Criterion(c.name, c.points) for c in criteria]
