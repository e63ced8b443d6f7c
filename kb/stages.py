"""Judging stages: a year's screening and on-site stages, which cases each judges, and opening,
closing and reopening them (a closed stage locks its scores, assignments and panels)."""
from __future__ import annotations

from typing import NamedTuple

from kb.audit import write_audit
from kb.case_codes import case_code
from kb.db import database, for_update, prepared
from kb.editions import get_edition
from kb.errors import NotFound, Problem, ValidationError, echoed
from kb.models import Assignment, Case, Category, County, Criterion, Region, Score, Stage, User, now
from kb.policy import require_staff
from kb.reading import read_once
from kb.rocdate import roc_year

ONSITE_STATUSES = ("nominated", "presented")  # cases that go on to the on-site stage
STATES = {"pending": "未評分", "draft": "暫存", "submitted": "已送出"}


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


def current_stage(stage: Stage) -> Stage:
    """The stage as it stands now, read and locked inside the caller's transaction: the open
    check and the write it guards must see the same state (on PostgreSQL a close waits for
    saves under way, and a save after it sees the stage closed)."""
    return for_update(Stage.select().where(Stage.id == stage.id)).get()


def check_not_closed(stage: Stage) -> None:
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
        stage = current_stage(stage)
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


def stage_cases(stage: Stage) -> list[Case]:
    """The cases a stage judges: every case for screening, nominated ones on site."""
    return list(_judged(stage, Case.select(Case, County, Region, Category).join(County)
                        .switch(Case).join(Region).switch(Case).join(Category))
                .order_by(Case.id))


def _judged(stage: Stage, query):
    """``query`` (of cases) narrowed to the cases ``stage`` judges."""
    query = query.where(Case.edition == stage.edition_id)
    return query.where(Case.status.in_(ONSITE_STATUSES)) if stage.key != "screening" else query


def list_stages(year: int) -> list[Stage]:
    """A year's stages in order."""
    return list(Stage.select().where(Stage.edition == get_edition(year)).order_by(Stage.position))


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


def stage_criteria(stage: Stage) -> list[Criterion]:
    """The rubric of a stage's year, in order."""
    return list(Criterion.select().where(Criterion.edition == stage.edition_id)
                .order_by(Criterion.position))
