"""The 評分總表 (selection record) of a stage: per session, every judge's mark for every case,
the stage score by the year's method, the ranking and outcome with reasons, staff overrides,
marked differences between judges with staff's recorded handling (處置方式), and the attending
judges who sign it. Judges appear by name or by code (委員A …); the key is printed apart.

A session is the whole 書面篩選, or one region's 分區評選. Staff record its date, venue and the
assigned judges who were absent (:func:`record_session`), and the handling of each marked
difference (:func:`record_handling`); :func:`minutes_record` refuses to produce a record for
printing while a listed difference has no handling.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from kb.audit import write_audit
from kb.case_codes import case_code
from kb.computed import computed
from kb.db import database
from kb.editions import edition_regions
from kb.errors import Problem, ValidationError, echoed
from kb.models import (Assignment, Case, County, DifferenceHandling, Edition, JudgeCode,
                       OutcomeOverride, Region, ReviewSession, SessionAttendance, Stage, User,
                       now)
from kb.policy import require_staff
from kb.programme import _find_region
from kb.schedule import template_of
from kb.selection import compute_selection, judge_totals, stage_results
from kb.stages import ONSITE_STATUSES, get_stage
from kb.text import clean_text
from scoring import METHOD_NAMES, average_ranks, judge_score_table, method_rule
from scoring.differences import Difference, marked_differences
from scoring.rules import OUTCOME_LABELS

OTHER_HANDLING = "其他"
HANDLINGS = ("維持原評分", "提會討論後維持", "提會討論後調整", "請委員複評", OTHER_HANDLING)
"""The handlings (處置方式) staff choose from; :data:`OTHER_HANDLING` needs a note saying what
was done."""

MAX_VENUE, MAX_NOTE = 100, 500
CODE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def difference_rule(edition: Edition) -> tuple[float, float]:
    """The year's marked-difference thresholds: points from a case's mean total, and the rank
    correlation below which a judge is listed (setting ``marked_difference``: ``points``,
    ``rho``; defaults 15 points and the judge statistics' 0.3)."""
    return edition.rules.difference_points, edition.rules.difference_rho


def difference_rule_text(points: float, rho: float) -> str:
    """The rule in words, as the record states it."""
    return (f"委員對單一案例的總分與該案全體委員平均相差超過 {points:g} 分，或委員的排序與其他委員"
            f"平均排序的相關係數（Spearman rho）低於 {rho:g}，列為評分差異明顯。")


# --- plain data handed to exports/minutes.py ---------------------------------------------------

@dataclass(frozen=True)
class MinutesJudge:
    """A judge assigned in a session: ``label`` is the name or the code shown."""

    login: str
    label: str
    present: bool


@dataclass(frozen=True)
class MinutesRow:
    """One case in ranking order: ``marks`` per judge login (a total, or the judge's rank of
    the case under 序位法), the stage score, for 分區評選 the final score too."""

    case_id: int
    title: str
    county: str
    marks: dict[str, float | None]
    score: float | None
    rank: int
    outcome: str
    reason: str
    final: float | None = None
    preliminary: float | None = None  # on site: the case's 書面篩選 score, the preliminary review
    rank_sum: float | None = None
    mean_rank: float | None = None


@dataclass(frozen=True)
class MinutesDifference:
    """A marked difference in words, with staff's handling ('' while none is recorded)."""

    subject: str
    text: str
    handling: str = ""
    note: str = ""


@dataclass(frozen=True)
class MinutesSession:
    """One session's record: the whole screening (``region`` '') or one region."""

    region: str
    held_on: str
    venue: str
    judges: list[MinutesJudge]
    rows: list[MinutesRow]
    differences: list[MinutesDifference]
    overrides: list[str] = field(default_factory=list)

    @property
    def attending(self) -> list[MinutesJudge]:
        """The judges who sign: those present."""
        return [judge for judge in self.judges if judge.present]


@dataclass(frozen=True)
class MinutesRecord:
    """A stage's 評分總表, one session per page group."""

    forum_name: str
    year: int
    stage_key: str
    stage_name: str
    method_name: str
    method_text: str
    marks_label: str  # 總分, or 序位 under 序位法
    difference_rule: str
    by_code: bool
    sessions: list[MinutesSession]


# --- sessions ---------------------------------------------------------------------------------

def _regions(stage: Stage, region: str | None) -> list[Region | None]:
    """The sessions' regions: None for the whole screening; the named or every region on site."""
    if stage.key != "onsite":
        return [None]
    if region:
        return [_find_region(stage.edition, region)]
    return edition_regions(stage.edition)


def _session_region(stage: Stage, region: str | None) -> Region | None:
    """One session's region: required on site, none for the screening."""
    if stage.key != "onsite":
        return None
    if not region:
        raise ValidationError([Problem("分區評選須指定分區", "region")])
    return _find_region(stage.edition, region)


def _session(stage: Stage, region: Region | None) -> ReviewSession:
    """The session's row, created on first use (safe when two requests create it at once)."""
    scope = region.id if region else 0
    where = (ReviewSession.stage == stage) & (ReviewSession.scope == scope)
    session = ReviewSession.get_or_none(where)  # a page's read writes nothing once it exists
    if session is None:
        (ReviewSession.insert(stage=stage, scope=scope, region=region)
         .on_conflict_ignore().execute())
        session = ReviewSession.get(where)
    return session


class _SessionCase(NamedTuple):
    """What the record shows of a session's case."""

    id: int
    edition_id: int
    title: str
    status: str
    county: str


def _session_people(stage: Stage, region: Region | None
                    ) -> tuple[dict[int, _SessionCase], dict[str, User]]:
    """The session's cases (with their county) by id and its assigned judges by login: two
    narrow reads, not one wide row per assignment."""
    assigned = Assignment.select(Assignment.case).where(Assignment.stage == stage)
    judged = Assignment.select(Assignment.judge).where(Assignment.stage == stage)
    if region is not None:
        assigned = assigned.join(Case).where(Case.region == region)
        judged = judged.join(Case).where(Case.region == region)
    cases = {row[0]: _SessionCase(*row) for row in database.execute(  # plain rows
             Case.select(Case.id, Case.edition, Case.title, Case.status, County.name)
             .join(County).where(Case.id.in_(assigned))).fetchall()}
    users = {user.login: user for user in
             User.select(User.id, User.login, User.name).where(User.id.in_(judged))}
    return cases, users


def _parse_day(typed) -> str:
    if typed in (None, ""):
        return ""
    if isinstance(typed, date):
        return typed.isoformat()
    try:
        return date.fromisoformat(str(typed).strip()).isoformat()
    except ValueError:
        raise ValidationError([Problem(f"日期「{echoed(typed)}」須為 YYYY-MM-DD", "held_on")]) from None


def record_session(year: int, stage_key: str, region: str | None = None, *,
                   held_on=None, venue: str | None = None, absent: list[str] | None = None,
                   actor: User | None = None) -> None:
    """Record a session's date, venue and the assigned judges who were absent (staff).

    ``None`` leaves a value as it is; ``absent`` replaces the list of absent judges (logins of
    judges assigned in the session, others are refused)."""
    require_staff(actor, "編輯評分總表")
    stage = get_stage(year, stage_key)
    where = _session_region(stage, region)
    day = _parse_day(held_on) if held_on is not None else None
    venue = clean_text(venue) if venue is not None else None
    if venue is not None and len(venue) > MAX_VENUE:
        raise ValidationError([Problem(f"地點最多 {MAX_VENUE} 字", "venue")])
    judges = _session_people(stage, where)[1]
    unknown = [login for login in absent or [] if login not in judges]
    if unknown:
        raise ValidationError([Problem(f"{'、'.join(unknown)} 不是本場次指派的評審", "absent")])
    with database.atomic():
        session = _session(stage, where)
        before = {"held_on": session.held_on, "venue": session.venue,
                  "absent": sorted(a.judge.login for a in session.attendance if not a.present)}
        if day is not None:
            session.held_on = day
        if venue is not None:
            session.venue = venue
        session.save()
        if absent is not None:
            SessionAttendance.delete().where(SessionAttendance.session == session).execute()
            for login in sorted(set(absent)):
                SessionAttendance.create(session=session, judge=judges[login], present=False)
        write_audit(actor, "record_review_session", "reviewsession", session.id, before=before,
                    after={"held_on": session.held_on, "venue": session.venue,
                           "absent": sorted(set(absent)) if absent is not None else before["absent"]})


def record_handling(year: int, stage_key: str, region: str | None, subject: str, handling: str,
                    note: str = "", *, actor: User | None = None) -> None:
    """Record staff's handling (one of :data:`HANDLINGS`) of a marked difference listed in the
    session's record; 其他 needs a note."""
    require_staff(actor, "編輯評分總表")
    stage = get_stage(year, stage_key)
    where = _session_region(stage, region)
    note = clean_text(note)
    problems = []
    if handling not in HANDLINGS:
        problems.append(Problem(f"處置方式須為：{'、'.join(HANDLINGS)}", "handling"))
    if handling == OTHER_HANDLING and not note:
        problems.append(Problem(f"處置方式為「{OTHER_HANDLING}」時須說明", "note"))
    if len(note) > MAX_NOTE:
        problems.append(Problem(f"說明最多 {MAX_NOTE} 字", "note"))
    listed = {d.subject for d in _differences(stage, where, judge_totals(stage)[0])}
    if subject not in listed:
        problems.append(Problem(f"「{echoed(subject)}」不是本場次列出的評分差異", "subject"))
    if problems:
        raise ValidationError(problems)
    with database.atomic():
        session = _session(stage, where)
        previous = DifferenceHandling.get_or_none((DifferenceHandling.session == session)
                                                  & (DifferenceHandling.subject == subject))
        write_audit(actor, "record_difference_handling", "reviewsession", session.id,
                    before={"subject": subject, "handling": previous and previous.handling,
                            "note": previous and previous.note},
                    after={"subject": subject, "handling": handling, "note": note})
        who = actor.login if actor else "命令列"
        (DifferenceHandling.insert(session=session, subject=subject, handling=handling, note=note,
                                   actor=who)
         .on_conflict(conflict_target=[DifferenceHandling.session, DifferenceHandling.subject],
                      update={DifferenceHandling.handling: handling, DifferenceHandling.note: note,
                              DifferenceHandling.actor: who, DifferenceHandling.at: now()})
         .execute())


# --- judge codes ------------------------------------------------------------------------------

def judge_codes(year: int, stage_key: str) -> dict[str, str]:
    """Each judge of the stage's code (委員A, 委員B …), given in a random order the first time
    and kept, so a record and its key always agree."""
    stage = get_stage(year, stage_key)
    logins = sorted(_session_people(stage, None)[1])
    with database.atomic():
        stored = {login: code for login, code in JudgeCode.select(User.login, JudgeCode.code)
                  .join(User).where(JudgeCode.stage == stage).tuples()}
        missing = [login for login in logins if login not in stored]
        if missing:
            used = set(stored.values())
            free = [code for code in _codes(len(logins) + len(stored)) if code not in used]
            secrets.SystemRandom().shuffle(missing)
            users = {u.login: u for u in User.select().where(User.login.in_(missing))}
            for login, code in zip(missing, free):
                (JudgeCode.insert(stage=stage, judge=users[login], code=code)
                 .on_conflict_ignore().execute())
            stored = {login: code for login, code in JudgeCode.select(User.login, JudgeCode.code)
                      .join(User).where(JudgeCode.stage == stage).tuples()}
    return stored


def _codes(count: int) -> list[str]:
    """委員A … 委員Z, then 委員AA, 委員AB …"""
    letters = list(CODE_LETTERS) + [a + b for a in CODE_LETTERS for b in CODE_LETTERS]
    return [f"委員{letters[n]}" for n in range(count)]


def _judge_order(login: str, codes: dict[str, str]) -> tuple:
    """Judges in code order (委員A … 委員Z, 委員AA …) when shown by code, else by login."""
    code = codes.get(login, "")
    return (len(code), code, login)


def judge_code_key(year: int, stage_key: str) -> list[tuple[str, str, str]]:
    """The key of the codes, for the file only: (code, name, login) in code order."""
    codes = judge_codes(year, stage_key)
    names = dict(User.select(User.login, User.name).where(User.login.in_(list(codes))).tuples())
    return [(codes[login], names[login], login)
            for login in sorted(codes, key=lambda login: _judge_order(login, codes))]


# --- the record -------------------------------------------------------------------------------

def _differences(stage: Stage, region: Region | None, totals) -> list[Difference]:
    """The session's marked differences in ``totals`` (the stage's :func:`judge_totals`), kept
    per process as those are: what they are computed from bumps the same counter."""
    def compute():
        points, rho = difference_rule(stage.edition)
        return marked_differences(_in_session(totals, stage, region), points=points, rho=rho)
    return computed(("differences", stage.id, region.id if region else None), compute)


def _in_session(totals, stage: Stage, region: Region | None):
    if region is None:
        return totals
    cases = {c.id for c in Case.select(Case.id).where(Case.region == region)}
    return [row for row in totals if row.case_id in cases]


def _difference_text(difference: Difference, labels: dict[str, str], cases: dict[int, str]) -> str:
    """A marked difference in words; ``cases`` names each case as 104-TPE-001〈案名〉."""
    judge = labels.get(difference.judge, difference.judge)
    if difference.kind == "points":
        side = "高於" if difference.value > 0 else "低於"
        return (f"案例 {cases.get(difference.case_id, '')}："
                f"{judge}的總分{side}全體平均 {abs(difference.value):.2f} 分")
    return f"{judge}的排序與其他委員的相關係數為 {difference.value:.2f}"


def _screening_rows(stage: Stage, results, marks, cases: dict[int, _SessionCase]) -> list[MinutesRow]:
    """Cases by screening score, tied cases sharing a rank; outcome: nominated or not."""
    ordered = sorted(results, key=lambda case_id: (-round(results[case_id].score, 9), case_id))
    limit = stage.edition.quota("presenters_per_county")
    presented = {a.case_id for a in Assignment.select(Assignment.case).join(Stage).where(
        (Stage.edition == stage.edition) & (Stage.key == "onsite"))}
    place_in_county: dict[str, int] = defaultdict(int)
    rows, previous, rank = [], None, 0
    for position, case_id in enumerate(ordered, start=1):
        result, case = results[case_id], cases[case_id]
        if previous is None or round(result.score, 9) != previous:
            rank, previous = position, round(result.score, 9)
        place_in_county[case.county] += 1
        nominated = case.status in ONSITE_STATUSES or case_id in presented
        rows.append(MinutesRow(
            case_id=case_id, title=case.title, county=case.county,
            marks=marks.get(case_id, {}), score=result.score, rank=rank,
            outcome="提名分區評選" if nominated else "未提名",
            reason=f"{case.county}第{place_in_county[case.county]}名"
                   f"（每縣市提名 {limit} 件為限）",
            rank_sum=result.rank_sum, mean_rank=result.mean_rank))
    return rows


def _onsite_rows(year: int, region: Region, results, marks) -> tuple[list[MinutesRow], list[str]]:
    """The region's ranking as selection computes it, and staff's overrides in words."""
    [selection] = compute_selection(year, region.name)
    rows = []
    for row in selection.ranking:
        result = results.get(row["case"])
        rows.append(MinutesRow(
            case_id=row["case"], title=row["title"], county=row["county"],
            marks=marks.get(row["case"], {}), score=result.score if result else None,
            rank=row["rank"], outcome=OUTCOME_LABELS[row["outcome"]], reason=row["reason"],
            final=row["final"], preliminary=row["screening"], rank_sum=result and result.rank_sum,
            mean_rank=result and result.mean_rank))
    codes: dict[int, str] = {}
    named = {row.case_id: f"{case_code(row.case_id, codes)}〈{row.title}〉" for row in rows}
    overrides = [f"案例 {named[o.case_id]}：主辦機關改列為"
                 f"{OUTCOME_LABELS[o.outcome]}（{o.reason}，{o.actor}）"
                 for o in OutcomeOverride.select().where(OutcomeOverride.case.in_(list(named)))
                 .order_by(OutcomeOverride.case)]
    return rows, overrides


def _marks(totals, rank_method: bool) -> dict[int, dict[str, float]]:
    """Per case, each judge's mark: their total, or under 序位法 their rank of the case."""
    marks: dict[int, dict[str, float]] = defaultdict(dict)
    for judge, scores in judge_score_table(totals).items():
        values = average_ranks(scores) if rank_method else scores
        for case_id, value in values.items():
            marks[case_id][judge] = value
    return marks


def minutes_record(year: int, stage_key: str, region: str | None = None, *,
                   by_code: bool = False, for_print: bool = True,
                   with_rows: bool = True) -> MinutesRecord:
    """The stage's 評分總表 as plain data, one session per region on site (or the one named),
    the whole screening otherwise. With ``for_print`` a listed difference without a handling
    is refused (ValidationError naming each); pages preview with ``for_print=False``. Without
    ``with_rows`` the sessions have no ranked rows or overrides (what a page that only edits
    the sessions and handlings needs: the ranking is the costly part)."""
    stage = get_stage(year, stage_key)
    edition = stage.edition
    method = edition.rules.aggregation
    totals, _ = judge_totals(stage)
    results = stage_results(year, stage_key) if with_rows else {}
    labels = judge_codes(year, stage_key) if by_code else {}
    sessions, unhandled = [], []
    for where in _regions(stage, region):
        cases, users = _session_people(stage, where)
        session = _session(stage, where)
        absent = {a.judge.login for a in session.attendance if not a.present}
        names = {login: labels.get(login, user.name) for login, user in users.items()}
        judges = [MinutesJudge(login, names[login], login not in absent)
                  for login in sorted(users, key=lambda login: _judge_order(login, labels))]
        handlings = {h.subject: h for h in session.handlings}
        codes: dict[int, str] = {}
        marked = _differences(stage, where, totals)
        named = {case_id: f"{case_code(cases[case_id], codes)}〈{cases[case_id].title}〉"
                 for case_id in {d.case_id for d in marked} if case_id in cases}
        differences = []
        for difference in marked:
            handled = handlings.get(difference.subject)
            differences.append(MinutesDifference(
                difference.subject, _difference_text(difference, names, named),
                handled.handling if handled else "", handled.note if handled else ""))
        where_name = where.name if where else ""
        unhandled += [f"{where_name or stage.name}：{d.text}" for d in differences if not d.handling]
        session_results = {case_id: r for case_id, r in results.items() if case_id in cases}
        marks = _marks(_in_session(totals, stage, where), method == "rank") if with_rows else {}
        if not with_rows:
            rows, overrides = [], []
        elif where is None:
            rows, overrides = _screening_rows(stage, session_results, marks, cases), []
        else:
            rows, overrides = _onsite_rows(year, where, session_results, marks)
        held_on, venue = session.held_on, session.venue
        if where is not None and not (held_on and venue):
            place = template_of(edition.settings)["regions"].get(where.name) or {}
            held_on, venue = held_on or place.get("date") or "", venue or place.get("venue") or ""
        sessions.append(MinutesSession(where_name, held_on, venue, judges, rows, differences,
                                       overrides))
    if for_print and unhandled:
        raise ValidationError([Problem(f"{line}，尚未記錄處置方式，不能列印評分總表", "handling")
                               for line in unhandled])
    return MinutesRecord(
        forum_name=edition.name, year=year, stage_key=stage_key, stage_name=stage.name,
        method_name=METHOD_NAMES[method], method_text=method_rule(method, edition.rules.trim_min_judges),
        marks_label="序位" if method == "rank" else "總分",
        difference_rule=difference_rule_text(*difference_rule(edition)),
        by_code=by_code, sessions=sessions)
