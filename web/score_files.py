"""The score sheets' files for the pages and the ``forum`` commands: each operation reads or
records through :mod:`kb.scoresheets` and hands the plain data to the file format in
:mod:`exports.score_workbook` (or the entries it read back to the service)."""
from __future__ import annotations

from exports.score_workbook import (build_scores_table, build_scoresheet, read_scores_table,
                                    read_scoresheet)
from kb.errors import Problem, ValidationError, echoed
from kb.models import User
from kb.scores import ScoreReport
from kb.scoresheets import (StageRubric, import_score_entries, import_sheets_entries,
                            judge_sheet, scores_table, sheet_reader, stage_rubric)


def scoresheet_file(year: int, stage_key: str, judge_login: str) -> bytes:
    """A judge's score sheet (.xlsx) of a stage, their current scores filled in (see
    :func:`exports.score_workbook.build_scoresheet`)."""
    return build_scoresheet(judge_sheet(year, stage_key, judge_login))


def scores_table_file(year: int, stage_key: str) -> bytes:
    """Every judge's scores of a stage and each case's aggregate (.xlsx) (see
    :func:`exports.score_workbook.build_scores_table`)."""
    return build_scores_table(scores_table(year, stage_key))


def import_scoresheet(data: bytes, *, actor: User | None = None, dry_run: bool = False,
                      submit_complete: bool = False) -> ScoreReport:
    """Read a judge's score sheet and record its scores, all or nothing; a judge as ``actor``
    may only import their own sheet. Rows whose 送出 is 是 are submitted (each must score every
    criterion), the others stay drafts; with ``submit_complete`` (staff only, on the judge's
    behalf) every complete row is submitted."""
    return import_scoresheets([(None, data)], actor=actor, dry_run=dry_run,
                              submit_complete=submit_complete)


def import_scoresheets(files: list[tuple[str | None, bytes]], *, actor: User | None = None,
                       dry_run: bool = False, submit_complete: bool = False) -> ScoreReport:
    """Read several score sheets (file name, contents) and record them as one import, all or
    nothing, as :func:`import_scoresheet` does one: what is wrong in the files is listed
    together (first what stops a file being read, then the values), each message naming its
    file (「judge01.xlsx」「評分表」E7) when there is more than one."""
    judge = sheet_reader(actor, submit_complete=submit_complete)
    rubrics: dict[tuple[int, str], StageRubric] = {}

    def rubric_of(year: int, stage_key: str) -> StageRubric:
        if (year, stage_key) not in rubrics:
            rubrics[year, stage_key] = stage_rubric(year, stage_key)
        return rubrics[year, stage_key]

    named = len(files) > 1
    sheets, problems = [], []
    for name, data in files:
        try:
            rubric, entries = read_scoresheet(data, rubric_of=rubric_of, judge=judge)
        except ValidationError as error:
            if not named:
                raise
            problems += [Problem(_in_file(name, p.message), p.field) for p in error.problems]
            continue
        if named:
            for entry in entries:
                entry.where = _in_file(name, entry.where)
                entry.cells = {key: _in_file(name, place) for key, place in entry.cells.items()}
                entry.submit_cell = entry.submit_cell and _in_file(name, entry.submit_cell)
        sheets.append((rubric, entries))
    if problems:
        raise ValidationError(problems)
    return import_sheets_entries(sheets, actor=actor, dry_run=dry_run,
                                 submit_complete=submit_complete)


def _in_file(name: str | None, text: str) -> str:
    """A place or message prefixed with its file: 「judge01.xlsx」「評分表」E7."""
    return f"「{echoed(name)}」{text}" if text.startswith("「") else f"「{echoed(name)}」：{text}"


def scores_table_stage(data: bytes) -> StageRubric | None:
    """The stage a combined table we wrote names in its metadata, else None."""
    return read_scores_table(data, rubric_of=stage_rubric)[0]


def import_scores_table(data: bytes, *, year: int, stage_key: str, actor: User | None = None,
                        dry_run: bool = False) -> ScoreReport:
    """Record the scores of a combined table for the given stage, all or nothing. A row is
    submitted when it scores every criterion itself and changes what is stored (paper forms
    typed in are final); a table we wrote for another year or stage is refused."""
    rubric, entries = read_scores_table(data, rubric_of=stage_rubric,
                                        expected=stage_rubric(year, stage_key))
    return import_score_entries(rubric, entries, source="table", actor=actor, dry_run=dry_run)
