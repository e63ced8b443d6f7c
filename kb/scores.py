"""Scores: the only way they change, :func:`record_scores`.

The web form, a judge's score sheet and the staff's combined table all call it: it checks the
judge, the stage, conflicts and ranges, writes all or nothing in bulk, and logs old and new
values. Also the progress counts and score tables staff read.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import NamedTuple

from peewee import JOIN, fn

import scoring
from kb.assignments import assignment_dicts, list_assignments, score_values
from kb.audit import write_audits
from kb.case_codes import case_code
from kb.collector import collector_paused
from kb.conflicts import conflict_text
from kb.db import database, insert_rows, json_items, json_pairs, locking, locks_rows, prepared
from kb.errors import PermissionDenied, Problem, ValidationError, echoed
from kb.models import (Assignment, Case, Conflict, County, Criterion, JudgeProfile, Region, Score,
                       Stage, User)
from kb.policy import acts_as_staff, can_act_for_judge
from kb.stages import current_stage, get_stage, list_stages, stage_criteria
from kb.text import normalize_name


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


def _current_stage_and_rubric(stage: Stage) -> tuple[Stage, dict[str, Criterion]]:
    """The stage as it stands now and its year's criteria by name (in order), read in one
    query inside the caller's transaction (see :func:`current_stage`)."""
    if locks_rows():
        current_stage(stage)  # the lock (FOR UPDATE cannot take the outer join's nullable side)
    rows = list(Stage.select(Stage, Criterion)
                .join(Criterion, JOIN.LEFT_OUTER, on=(Criterion.edition == Stage.edition),
                      attr="criterion")
                .where(Stage.id == stage.id).order_by(Criterion.position))
    return rows[0], {row.criterion.name: row.criterion for row in rows
                     if getattr(row, "criterion", None) is not None}


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
        reason = conflict_text(case.county, known.tied.get(judge.id, []), declared)
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
               if a.state == "draft" and len(score_values(a)) == len(criteria)]
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
