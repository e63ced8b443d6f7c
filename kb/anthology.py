"""The anthology's database side: the book as plain data, filled from the published cases, and
the built PDF kept per content. The typesetting is :mod:`exports.anthology` (data in, bytes
out); it reaches this module only for the dataclasses below."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kb.cases import AWARDS, SECTIONS, case_sections
from kb.editions import get_edition
from kb.errors import NotFound
from kb.models import CaseFigure, CasePhoto
from kb.rocdate import roc_year
from kb.writeups import published_winners, refined_version

Value = int | float | Decimal | str | None


@dataclass
class AnthologyCase:
    """One case as the anthology prints it (the approved refined write-up, else the submitted one).

    ``sections`` are (heading, text) in print order, text with one paragraph per line; ``kpis``
    are (indicator, before, after, unit); ``photos`` are (JPEG or PNG bytes, caption).
    """

    title: str
    award: str
    region: str
    county: str
    agency: str
    category: str
    owner_name: str
    owner_title: str
    summary: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    kpis: list[tuple[str, Value, Value, str]] = field(default_factory=list)
    photos: list[tuple[bytes, str]] = field(default_factory=list)


@dataclass
class Anthology:
    """One year's book: ``year`` is the ROC year; ``cases`` in print order (grouped by region
    in the order regions first appear)."""

    forum_name: str
    year: int
    preface: str
    cases: list[AnthologyCase]


def anthology_case(case, *, uploads: Path) -> AnthologyCase:
    """One published case as the anthology prints it: the approved refined write-up (key
    figures, photos from ``uploads``), else the submitted one."""
    sections = case_sections(case)
    owner = next((role.person for role in case.roles if role.role == "owner"), None)
    refined = refined_version(case)
    printed = refined if refined is not None and refined.approved else None
    return AnthologyCase(
        title=case.title, award=AWARDS[case.status], region=case.region.name,
        county=case.county.name, agency=case.agency,
        category=case.category.name + (f"（{case.theme}）" if case.theme else ""),
        owner_name=owner.name if owner else "", owner_title=owner.title if owner else "",
        summary=case.summary,
        sections=[(label, sections.get(key, "")) for key, label in SECTIONS],
        kpis=[(f.indicator, f.before, f.after, f.unit)
              for f in printed.figures.order_by(CaseFigure.position)] if printed else [],
        photos=[(_photo_bytes(uploads, case, p), p.caption)
                for p in printed.photos.order_by(CasePhoto.position)] if printed else [])


def _photo_bytes(uploads: Path, case, photo) -> bytes:
    """A photo's file; a missing one is an error (an anthology never leaves a photo out)."""
    path = uploads / photo.filename
    if not path.exists():
        raise NotFound(f"案例 {case.id}〈{case.title}〉的照片「{photo.caption or photo.filename}」"
                       f"不在照片資料夾 {uploads}；多台伺服器須共用同一個照片資料夾（FORUM_UPLOADS）")
    return path.read_bytes()


def anthology_for_year(year: int, *, uploads: Path) -> Anthology:
    """The year's book: its published benchmark cases then honourable mentions, region by region
    (see :func:`anthology_case`)."""
    edition = get_edition(year)
    cases = [anthology_case(case, uploads=uploads) for case in published_winners(year)]
    preface = edition.rules.preface or (
        f"本彙編收錄{roc_year(year)}地方治理標竿論壇各分區評選出的標竿案例與佳作，"
        "一案一篇、格式一致，供各縣市觀摩與移植參考。")
    return Anthology(forum_name=edition.rules.forum_name or "地方治理標竿論壇",
                     year=year, preface=preface, cases=cases)


def cached_anthology_pdf(year: int, *, uploads: Path, cache_dir: Path,
                         stamp: Callable[[Anthology], str],
                         build: Callable[[Anthology], bytes]) -> bytes:
    """The year's anthology PDF (see :func:`anthology_for_year`), built once per content.

    ``stamp`` digests everything that decides the PDF (:func:`exports.anthology.book_stamp`)
    and ``build`` typesets it (:func:`exports.anthology.build_anthology`). The built book is
    kept in ``cache_dir`` under its stamp, so approving, editing or publishing a case, or adding
    or removing a photo, gives a new book; older books of the year are removed. Raises NotFound
    when nothing of the year is published.
    """
    book = anthology_for_year(year, uploads=uploads)
    if not book.cases:
        raise NotFound(f"{roc_year(year)}尚無已公布的標竿案例或佳作，尚無彙編可下載")
    path = cache_dir / f"anthology-{year}-{stamp(book)}.pdf"
    if path.exists():
        return path.read_bytes()
    pdf = build(book)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=cache_dir, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)
        os.replace(draft, path)  # readers see the whole file or none
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
    for older in cache_dir.glob(f"anthology-{year}-*.pdf"):
        if older != path:
            older.unlink(missing_ok=True)
    return pdf
