"""Refined write-ups (精進案例) of selected cases: sections, key figures, photos, approval.

After publication, the owner of a benchmark or honourable-mention case (its county contact)
writes the refined version in the forum's unified format; staff approve it. The anthology and
the case page use the approved refined version, otherwise the submitted one.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from peewee import JOIN, fn

from kb.audit import write_audit
from kb.cases import AWARDS, MAX_LENGTHS, SECTIONS, find_cases, get_case, published_award
from kb.db import database, prepared
from kb.editions import get_edition
from kb.errors import NotFound, PermissionDenied, Problem, ValidationError
from kb.images import reencode_photo
from kb.models import (Case, CaseFigure, CasePhoto, CaseVersion, County, Edition, Region,
                       User)
from kb.policy import can_edit_refined, can_view_case, require_staff
from kb.search import cases_changed, note_case_change
from kb.text import clean_text

MAX_PHOTOS = 4
MAX_FIGURES = 12
MAX_CAPTION = 200  # characters of a photo caption
STATES = {
    "refined": "精進版已核定，彙編將印此版本",
    "refined_pending": "精進版待核定，彙編目前仍印原送件版本",
    "submitted": "尚未撰寫精進版，彙編將印原送件版本",
}


@dataclass
class Figure:
    """A key figure as typed: indicator, value before, value after, unit."""

    indicator: str
    before: str = ""
    after: str = ""
    unit: str = ""


def _editable_case(case_id: int, actor: User | None) -> Case:
    case = get_case(case_id, viewer=actor, staff_scope=actor is None)
    if case.status not in AWARDS or not case.published:
        raise ValidationError("只有已公布的標竿案例與佳作可以撰寫精進案例")
    if not can_edit_refined(actor, case):
        raise PermissionDenied("只有主辦機關或該縣市承辦人可以撰寫精進案例")
    return case


def refined_version(case: Case) -> CaseVersion | None:
    """The case's refined write-up, if one was started."""
    return CaseVersion.get_or_none((CaseVersion.case == case) & (CaseVersion.kind == "refined"))


def _cleaned(sections: dict[str, str],
             figures: list[Figure]) -> tuple[dict[str, str], list[Figure]]:
    """The sections and key figures as stored: every section, all text cleaned."""
    return ({key: clean_text(sections.get(key, "")) for key, _ in SECTIONS},
            [Figure(*(clean_text(getattr(f, name)) for name in ("indicator", "before", "after", "unit")))
             for f in figures])


def refined_problems(sections: dict[str, str], figures: list[Figure]) -> list[Problem]:
    """Every problem of a refined write-up's sections (field ``sections.<key>``) and key figures
    (field ``figures``), as :func:`save_refined_writeup` refuses them; empty: it can be saved."""
    cleaned, typed = _cleaned(sections, figures)
    problems = [Problem("必須填寫", f"sections.{key}") for key, text in cleaned.items() if not text]
    problems += [Problem(f"長度 {len(text)} 字，超過上限 {MAX_LENGTHS['section']} 字", f"sections.{key}")
                 for key, text in cleaned.items() if len(text) > MAX_LENGTHS["section"]]
    # numbered as typed, blank rows included, so the number is the row the person sees
    problems += [Problem(f"第{n}列關鍵數據須填寫指標名稱", "figures")
                 for n, f in enumerate(typed, 1) if _filled(f) and not f.indicator]
    if len([f for f in typed if _filled(f)]) > MAX_FIGURES:
        problems.append(Problem(f"關鍵數據最多 {MAX_FIGURES} 列", "figures"))
    return problems


def save_refined_writeup(case_id: int, sections: dict[str, str], figures: list[Figure], *,
                         actor: User | None = None) -> CaseVersion:
    """Save the refined write-up's sections and key figures; any edit needs approval again."""
    case = _editable_case(case_id, actor)
    problems = refined_problems(sections, figures)
    if problems:
        raise ValidationError(problems)
    cleaned, typed = _cleaned(sections, figures)
    rows = [f for f in typed if _filled(f)]
    with database.atomic():
        version, created = CaseVersion.get_or_create(case=case, kind="refined")
        before = None if created else {"sections": version.sections, "approved": version.approved,
                                       "figures": _figures(version)}
        version.sections, version.approved, version.updated_at = cleaned, False, datetime.now()
        version.save()
        CaseFigure.delete().where(CaseFigure.version == version).execute()
        for position, figure in enumerate(rows):
            CaseFigure.create(version=version, position=position, indicator=figure.indicator,
                              before=figure.before, after=figure.after, unit=figure.unit)
        write_audit(actor, "save_refined", "case", case.id, before=before,
                    after={"sections": cleaned, "approved": False, "figures": _figures(version)})
        _touch(case)
    cases_changed([case.id])
    return version


def _filled(figure: Figure) -> bool:
    return any((figure.indicator, figure.before, figure.after, figure.unit))


def _figures(version: CaseVersion) -> list[list[str]]:
    return [[f.indicator, f.before, f.after, f.unit] for f in
            version.figures.order_by(CaseFigure.position)]


def _touch(case: Case) -> None:
    """The case changed for search (its shown write-up may have changed)."""
    Case.update(updated_at=datetime.now()).where(Case.id == case.id).execute()
    note_case_change([case.id])


def add_photo(case_id: int, data: bytes, caption: str, *, uploads: Path,
              actor: User | None = None) -> CasePhoto:
    """Add a JPEG or PNG photo to the refined write-up, checked and re-encoded as JPEG
    (:func:`kb.images.reencode_photo`). Like any edit, it needs approval again."""
    case = _editable_case(case_id, actor)
    version = refined_version(case)
    if version is None:
        raise ValidationError("請先儲存精進案例內容，再上傳照片")
    if version.photos.count() >= MAX_PHOTOS:
        raise ValidationError(f"照片最多 {MAX_PHOTOS} 張")
    picture = reencode_photo(data)
    uploads.mkdir(parents=True, exist_ok=True)
    filename = f"case{case.id}-{uuid.uuid4().hex}.jpg"
    (uploads / filename).write_bytes(picture.data)
    (uploads / filename).chmod(0o600)  # photos of unpublished write-ups are not for other users
    last = version.photos.select(fn.MAX(CasePhoto.position)).scalar()
    with database.atomic():
        photo = CasePhoto.create(version=version, position=0 if last is None else last + 1,
                                 caption=clean_text(caption)[:MAX_CAPTION], filename=filename,
                                 width=picture.width, height=picture.height)
        version.approved, version.updated_at = False, datetime.now()
        version.save()
        write_audit(actor, "add_photo", "case", case.id, after={"photo": filename,
                                                                "caption": photo.caption})
        _touch(case)
    cases_changed([case.id])
    return photo


def remove_photo(photo_id: int, *, uploads: Path, actor: User | None = None) -> Case:
    """Remove a photo from a refined write-up; returns its case."""
    photo = CasePhoto.get_or_none(CasePhoto.id == photo_id)
    if photo is None:
        raise NotFound(f"找不到照片 {photo_id}")
    case = _editable_case(photo.version.case_id, actor)
    with database.atomic():
        write_audit(actor, "remove_photo", "case", case.id, before={"photo": photo.filename})
        photo.delete_instance()
        CaseVersion.update(updated_at=datetime.now()).where(
            CaseVersion.id == photo.version_id).execute()
        _touch(case)
    cases_changed([case.id])
    (uploads / photo.filename).unlink(missing_ok=True)
    return case


def approve_refined(case_id: int, *, actor: User | None = None) -> CaseVersion:
    """Staff approve the refined write-up; from then on it is the version shown and printed."""
    require_staff(actor, "核定精進案例")
    case = get_case(case_id, staff_scope=True)
    version = refined_version(case)
    if version is None:
        raise ValidationError("此案例尚未撰寫精進案例")
    with database.atomic():
        version.approved = True
        version.save()
        write_audit(actor, "approve_refined", "case", case.id, after={"approved": True})
        _touch(case)
    cases_changed([case.id])
    return version


def _state(version: CaseVersion | None) -> str:
    return _state_of(None if version is None else version.approved)


def _state_of(approved: bool | None) -> str:
    """The state of a write-up whose refined version is approved or not (None: none started)."""
    if approved is None:
        return "submitted"
    return "refined" if approved else "refined_pending"


def writeup_state(case: Case) -> str:
    """Which write-up is shown: ``refined`` (approved), ``refined_pending`` or ``submitted``."""
    return _state(refined_version(case))


@dataclass
class Writeup:
    """A case's refined write-up as pages show it.

    ``state`` is a key of :data:`STATES`; ``sections`` the refined text if one was started, else
    the submitted text (where an edit starts); ``shown`` the text the case's page shows (as
    :func:`kb.cases.case_sections`: the refined text once approved, else the submitted);
    ``figures`` and ``photos`` those of the refined version, in order; ``updated_at`` its last
    edit (None before the first).
    """

    case: Case
    state: str
    sections: dict[str, str]
    shown: dict[str, str]
    figures: list[CaseFigure]
    photos: list[CasePhoto]
    updated_at: datetime | None

    @property
    def state_text(self) -> str:
        """The state as a sentence saying which version the anthology prints."""
        return STATES[self.state]


def case_writeup(case: Case) -> Writeup:
    """The refined write-up of ``case`` (the submitted text where none was started)."""
    return case_writeups([case])[0]


def case_writeups(cases: list[Case]) -> list[Writeup]:
    """The write-ups of ``cases`` (see :func:`case_writeup`), in order, read in at most three
    statements however many cases there are (one when none has a refined version)."""
    versions: dict[int, dict[str, CaseVersion]] = defaultdict(dict)
    for version in CaseVersion.select().where(CaseVersion.case.in_([c.id for c in cases])):
        versions[version.case_id][version.kind] = version
    refined = {case_id: kinds["refined"] for case_id, kinds in versions.items()
               if "refined" in kinds}
    wanted = [version.id for version in refined.values()]
    figures, photos = defaultdict(list), defaultdict(list)
    for model, found in ((CaseFigure, figures), (CasePhoto, photos)) if wanted else ():
        for row in model.select().where(model.version.in_(wanted)).order_by(model.position):
            found[row.version_id].append(row)
    writeups = []
    for case in cases:
        own = refined.get(case.id)
        submitted = versions[case.id].get("submitted")
        start = own or submitted
        shown = own if own is not None and own.approved else submitted
        writeups.append(Writeup(
            case=case, state=_state(own), sections=dict(start.sections) if start else {},
            shown=dict(shown.sections) if shown else {},
            figures=figures[own.id] if own else [], photos=photos[own.id] if own else [],
            updated_at=own.updated_at if own else None))
    return writeups


def writeup_for_editing(case_id: int, *, actor: User | None = None) -> Writeup:
    """The write-up of a case the actor may refine (staff, or the case's county contact)."""
    return case_writeup(_editable_case(case_id, actor))


def published_winners(year: int) -> list[Case]:
    """The year's published benchmark cases and honourable mentions, region by region, each
    region's benchmark cases first (the anthology's order)."""
    chosen = list(find_cases(staff_scope=True, year=year)
                  .where(published_award()))
    chosen.sort(key=lambda case: (case.region.position, case.status != "benchmark"))
    return chosen


class WriteupProgress(NamedTuple):
    """What staff's overview shows of one winner's write-up: the case, ``state`` (a key of
    :data:`STATES`), its refined version's last edit (None before the first) and how many key
    figures and photos that version has."""

    id: int
    title: str
    status: str
    county: str
    region: str
    state: str
    updated_at: datetime | None
    figures: int
    photos: int


@prepared  # the overview's one statement: its SQL written once
def _winners_progress(year: int):
    refined = CaseVersion.alias()
    figures = (CaseFigure.select(fn.COUNT(CaseFigure.id))
               .where(CaseFigure.version == refined.id))
    photos = CasePhoto.select(fn.COUNT(CasePhoto.id)).where(CasePhoto.version == refined.id)
    return (Case.select(Case.id, Case.title, Case.status, County.name, Region.name,
                        refined.approved, refined.updated_at, figures, photos)
            .join(Edition).switch(Case).join(County).switch(Case).join(Region).switch(Case)
            .join(refined, JOIN.LEFT_OUTER,
                  on=((refined.case == Case.id) & (refined.kind == "refined")))
            .where((Edition.year == year) & published_award())
            .order_by(Region.position, Case.status != "benchmark", County.id, Case.id)
            .tuples())


def writeup_progress(year: int) -> list[WriteupProgress]:
    """Every published winner of the year with the state of its write-up, in the anthology's
    order (:func:`published_winners`), in one statement of plain rows: whole cases and
    versions with their texts cost the overview most of its time."""
    get_edition(year)  # an unknown year is a NotFound, not an empty page
    # without a refined version: no approval, edit or count (the counts are 0, not NULL)
    return [WriteupProgress(case_id, title, status, county, region, _state_of(approved),
                            updated_at, figures, photos)
            for case_id, title, status, county, region, approved, updated_at, figures, photos
            in _winners_progress(year)]


def photo_for_viewer(photo_id: int, *, viewer: User | None = None) -> CasePhoto:
    """A photo the viewer may see: of an approved write-up of a case they may see, or of any
    write-up they may edit."""
    photo = CasePhoto.get_or_none(CasePhoto.id == photo_id)
    if photo is not None:
        version = photo.version
        case = get_case(version.case_id, staff_scope=True)
        if ((version.approved and can_view_case(viewer, case))
                or (viewer is not None and can_edit_refined(viewer, case))):
            return photo
    raise NotFound(f"找不到照片 {photo_id}")
