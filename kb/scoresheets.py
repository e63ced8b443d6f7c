"""The database side of the Excel score sheets (:mod:`exports.score_workbook` is the file
format, plain data in and out; :mod:`web.score_files` puts the two together for the pages and
the ``forum`` commands): what a judge's sheet and the combined table show, the rubric a filled
file is read against, and recording what it holds through :func:`kb.scores.record_scores`."""
from __future__ import annotations

from dataclasses import dataclass

from kb.assignments import judge_assignment_dicts
from kb.db import database
from kb.errors import PermissionDenied, ValidationError
from kb.models import Stage, User
from kb.rocdate import roc_year
from kb.scores import (SUBMIT_COMPLETE, SUBMIT_MARKED, SUBMIT_TYPED, ScoreEntry, ScoreReport,
                       record_scores)
from kb.selection import stage_score_table
from kb.stages import get_stage, stage_criteria
from kb.users import get_user


@dataclass
class SheetCriterion:
    """A criterion as the sheets show it: its name, points and what the judges look for."""

    name: str
    points: float
    description: str = ""


@dataclass
class StageRubric:
    """A stage and its year's criteria, as a filled file is checked against them (``stage`` is
    passed back to :func:`import_score_entries`, the file format never reads it)."""

    year: int
    key: str
    name: str
    criteria: list[SheetCriterion]
    stage: Stage | None = None


@dataclass
class JudgeSheet:
    """One judge's score sheet of a stage: the year (ROC ``year``, ``ad_year``, the edition's
    name), the stage, whether a submitted score may be changed, the judge and a row per case
    they may score (:func:`kb.assignments.judge_assignment_dicts`)."""

    rubric: StageRubric
    ad_year: int
    edition_name: str
    allow_resubmit: bool
    judge_login: str
    judge_name: str
    rows: list[dict]


@dataclass
class ScoresTable:
    """Every judge's scores of a stage and each case's aggregate
    (:func:`kb.selection.stage_score_table`), with the judges' names by login."""

    rubric: StageRubric
    table: dict
    judge_names: dict[str, str]


def stage_rubric(year: int, stage_key: str) -> StageRubric:
    """The stage ``stage_key`` of ROC ``year`` and its criteria; NotFound when the stage does
    not exist."""
    stage = get_stage(year, stage_key)
    return StageRubric(year=stage.edition.year, key=stage.key, name=stage.name, stage=stage,
                       criteria=[SheetCriterion(c.name, c.points, c.description)
                                 for c in stage_criteria(stage)])


def judge_sheet(year: int, stage_key: str, judge_login: str) -> JudgeSheet:
    """What a judge's score sheet of a stage shows, with their current scores. Raises
    :class:`ValidationError` when the account is not a judge, the year has no criteria or the
    judge has no case to score."""
    rubric = stage_rubric(year, stage_key)
    judge = get_user(judge_login)
    if judge.role != "judge":
        raise ValidationError(f"帳號「{judge_login}」不是評審委員")
    _require_criteria(rubric)
    rows = judge_assignment_dicts(year, stage_key, judge)
    if not rows:
        raise ValidationError(f"{judge_login} 在{roc_year(year)}「{rubric.name}」階段沒有指派評分的案例")
    stage = rubric.stage
    return JudgeSheet(rubric=rubric, ad_year=stage.edition.ad_year,
                      edition_name=stage.edition.name, allow_resubmit=stage.allow_resubmit,
                      judge_login=judge.login, judge_name=judge.name, rows=rows)


def scores_table(year: int, stage_key: str) -> ScoresTable:
    """Every judge's scores of a stage and each case's aggregate, for the combined table;
    ValidationError when the year has no criteria."""
    rubric = stage_rubric(year, stage_key)
    table = stage_score_table(year, stage_key)
    _require_criteria(rubric)
    names = {u.login: u.name for u in
             User.select().where(User.login.in_({row["judge"] for row in table["scores"]}))}
    return ScoresTable(rubric=rubric, table=table, judge_names=names)


def sheet_reader(actor: User | None, *, submit_complete: bool = False) -> str | None:
    """The login a score sheet must belong to when ``actor`` hands it in (a judge: their own;
    staff or the command line: any, None). Only staff may submit on a judge's behalf."""
    judge = actor.login if actor is not None and actor.role == "judge" else None
    if submit_complete and judge is not None:
        raise PermissionDenied("只有主辦機關可以代評審送出評分")
    return judge


def import_score_entries(rubric: StageRubric, entries: list[ScoreEntry], *, source: str,
                         actor: User | None = None, dry_run: bool = False,
                         submit_complete: bool = False) -> ScoreReport:
    """Record the entries read from a judge's sheet (``source`` "sheet": rows marked 送出 are
    submitted, or with ``submit_complete`` every complete row) or a combined table ("table":
    paper forms typed in are final), all or nothing; the report says per case what it ends
    as and why."""
    if source == "table":
        submit = SUBMIT_TYPED
    else:
        submit = SUBMIT_COMPLETE if submit_complete else SUBMIT_MARKED
    return record_scores(entries, stage=rubric.stage, actor=actor, dry_run=dry_run,
                         source=source, submit=submit)


def import_sheets_entries(sheets: list[tuple[StageRubric, list[ScoreEntry]]], *,
                          actor: User | None = None, dry_run: bool = False,
                          submit_complete: bool = False) -> ScoreReport:
    """Record the entries read from several judges' sheets (as :func:`import_score_entries`
    with ``source`` "sheet") as one import in one transaction, all or nothing: one write per
    stage the sheets belong to, whatever their number; the report is the writes' together."""
    stages: dict[tuple[int, str], tuple[StageRubric, list[ScoreEntry]]] = {}
    for rubric, entries in sheets:
        stages.setdefault((rubric.year, rubric.key), (rubric, []))[1].extend(entries)
    if len(stages) == 1:  # one write, in a transaction of its own
        (rubric, entries), = stages.values()
        return import_score_entries(rubric, entries, source="sheet", actor=actor,
                                    dry_run=dry_run, submit_complete=submit_complete)
    report = ScoreReport(dry_run=dry_run)
    with database.atomic() as transaction:
        for rubric, entries in stages.values():
            part = import_score_entries(rubric, entries, source="sheet", actor=actor,
                                        submit_complete=submit_complete)
            report.changed += part.changed
            report.unchanged += part.unchanged
            report.cases += part.cases
        if dry_run:
            transaction.rollback()
    return report


def _require_criteria(rubric: StageRubric) -> None:
    """ValidationError when the stage's year has no criteria set up."""
    if not rubric.criteria:
        raise ValidationError(f"{roc_year(rubric.year)}尚未設定評選指標")
