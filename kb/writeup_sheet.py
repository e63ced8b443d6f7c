"""The database side of the refined write-up's Excel file (:mod:`exports.writeup_workbook` is
the file format, plain data in and out): what the file shows of a case, and saving what a
filled file holds, with each problem located where the file has it."""
from __future__ import annotations

from dataclasses import dataclass, field

from kb.cases import AWARDS
from kb.errors import Problem, ValidationError
from kb.models import CaseVersion, User
from kb.writeups import Figure, refined_problems, save_refined_writeup, writeup_for_editing


@dataclass
class WriteupSheet:
    """A case's refined write-up as the file shows it: the case (``year`` the ROC year,
    ``award`` its label), the sections (key -> text) and key figures as they are now."""

    case_id: int
    title: str
    county: str
    agency: str
    year: int
    region: str
    award: str
    sections: dict[str, str]
    figures: list[Figure]


@dataclass
class WriteupUpload:
    """What a filled file holds: the case it was made for (None when it does not say), the
    sections and key figures, where each section is (key -> e.g. 「精進案例」第5列「背景與問題」),
    and the problems the file's reader found (none: complete)."""

    case_id: int | None
    case_title: str
    sections: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def writeup_sheet(case_id: int, *, actor: User | None = None) -> WriteupSheet:
    """The case's write-up for its file, for an actor allowed to edit it (staff, or the case's
    county contact; None is staff); raises PermissionDenied or ValidationError otherwise."""
    writeup = writeup_for_editing(case_id, actor=actor)
    case = writeup.case
    return WriteupSheet(
        case_id=case.id, title=case.title, county=case.county.name, agency=case.agency,
        year=case.edition.year, region=case.region.name, award=AWARDS[case.status],
        sections=dict(writeup.sections),
        figures=[Figure(f.indicator, f.before, f.after, f.unit) for f in writeup.figures])


def import_refined_writeup(case_id: int, upload: WriteupUpload, *,
                           actor: User | None = None) -> CaseVersion:
    """Replace the refined write-up's sections and key figures of case ``case_id`` with those
    of a filled file, all or nothing; the write-up then needs approval again.

    The actor must be allowed to edit the case. A file made for another case is refused:
    「此檔案是〈X〉的精進案例，不是〈Y〉」. Every problem is listed at once, located in the file.
    """
    case = writeup_for_editing(case_id, actor=actor).case
    if upload.case_id is not None and upload.case_id != case.id:
        named = upload.case_title or f"案例編號 {upload.case_id}"
        raise ValidationError(f"此檔案是〈{named}〉的精進案例，不是〈{case.title}〉")
    # the service's checks of the sections found, with their places, so one upload lists all
    # (key figures are checked by the reader, which knows their rows)
    problems = upload.problems + [
        _located(problem, upload.places) for problem in refined_problems(upload.sections, [])
        if _section_key(problem) in upload.places]
    if problems:
        raise ValidationError(problems)
    try:
        return save_refined_writeup(case.id, upload.sections, upload.figures, actor=actor)
    except ValidationError as error:
        raise ValidationError([_located(problem, upload.places)
                               for problem in error.problems]) from None


def _section_key(problem: Problem) -> str:
    """The section a service problem is about (field ``sections.<key>``), else ""."""
    name = problem.field or ""
    return name.removeprefix("sections.") if name.startswith("sections.") else ""


def _located(problem: Problem, places: dict[str, str]) -> Problem:
    """A section's problem from the service, prefixed with where the file has the section."""
    key = _section_key(problem)
    if key not in places:
        return problem
    return Problem(f"{places[key]}：{problem.message}", problem.field)
