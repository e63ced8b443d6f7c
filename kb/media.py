"""A published case's digital objects (數位物件) besides its write-up: presentation slides (PDF),
photos of the forum day, and links to videos on an outside host (nothing is streamed here).

Staff and the case's county contact add and remove them once the case is a published winner;
everybody who may see the case sees them. Uploads are checked before anything is kept: size,
type (a PDF must be one), pixels (:func:`kb.images.reencode_photo`).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from peewee import fn

from kb.audit import write_audit
from kb.cases import get_case
from kb.db import database
from kb.errors import NotFound, PermissionDenied, ValidationError
from kb.images import reencode_photo
from kb.models import Case, CaseMedia, User
from kb.policy import can_edit_refined, can_view_case
from kb.text import clean_text

KINDS = {"slides": "簡報", "photo": "活動照片", "video": "影片連結"}
MAX_SLIDES_BYTES = 20 * 1024 * 1024
MAX_ITEMS = {"slides": 3, "photo": 12, "video": 5}
MAX_TITLE = 200
MAX_URL = 500


@dataclass
class MediaItem:
    """What a page shows of one object (no bytes)."""

    id: int
    kind: str
    title: str
    url: str
    size: int

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _editable(case_id: int, actor: User | None) -> Case:
    case = get_case(case_id, viewer=actor, staff_scope=actor is None)
    if not can_edit_refined(actor, case):
        raise PermissionDenied("只有主辦機關或該縣市承辦人可以管理已公布得獎案例的數位物件")
    return case


def _add(case: Case, kind: str, *, title: str, actor: User | None, url: str = "",
         data: bytes | None = None, width: int | None = None,
         height: int | None = None) -> MediaItem:
    title = clean_text(title)
    if len(title) > MAX_TITLE:
        raise ValidationError(f"說明最多 {MAX_TITLE} 字")
    with database.atomic():
        count = CaseMedia.select().where((CaseMedia.case == case) & (CaseMedia.kind == kind)).count()
        if count >= MAX_ITEMS[kind]:
            raise ValidationError(f"{KINDS[kind]}最多 {MAX_ITEMS[kind]} 個")
        last = (CaseMedia.select(fn.MAX(CaseMedia.position))
                .where(CaseMedia.case == case).scalar())
        item = CaseMedia.create(case=case, kind=kind, position=(last or 0) + 1, title=title,
                                url=url, data=data, size=len(data or b""), width=width,
                                height=height, actor=actor.login if actor else "命令列")
        write_audit(actor, "add_media", "case", case.id,
                    after={"kind": kind, "title": title, "url": url, "size": item.size})
    return MediaItem(item.id, kind, title, url, item.size)


def add_slides(case_id: int, data: bytes, title: str, *, actor: User | None = None) -> MediaItem:
    """Add presentation slides: a PDF file of at most :data:`MAX_SLIDES_BYTES`."""
    case = _editable(case_id, actor)
    if len(data) > MAX_SLIDES_BYTES:
        raise ValidationError(f"簡報檔案超過 {MAX_SLIDES_BYTES // 1024 // 1024} MB")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise ValidationError("簡報須為 PDF 檔（請先將簡報另存為 PDF 再上傳）")
    return _add(case, "slides", title=title or "簡報", data=data, actor=actor)


def add_forum_photo(case_id: int, data: bytes, caption: str, *,
                    actor: User | None = None) -> MediaItem:
    """Add a photo of the forum day: JPEG or PNG, size- and pixel-limited, re-encoded as JPEG."""
    case = _editable(case_id, actor)
    photo = reencode_photo(data)
    return _add(case, "photo", title=caption, data=photo.data, width=photo.width,
                height=photo.height, actor=actor)


def add_video_link(case_id: int, url: str, title: str, *,
                   actor: User | None = None) -> MediaItem:
    """Add a link to a video on an outside host (an http or https address)."""
    case = _editable(case_id, actor)
    url = clean_text(url)
    parsed = urlparse(url)
    if len(url) > MAX_URL or parsed.scheme not in ("http", "https") or not parsed.netloc \
            or any(ch.isspace() for ch in url):
        raise ValidationError(f"影片連結須為 http:// 或 https:// 開頭的網址（最多 {MAX_URL} 字）")
    return _add(case, "video", title=title or "影片", url=url, actor=actor)


def remove_media(media_id: int, *, actor: User | None = None) -> Case:
    """Remove one digital object; returns its case."""
    item = CaseMedia.get_or_none(CaseMedia.id == media_id)
    if item is None:
        raise NotFound(f"找不到數位物件 {media_id}")
    case = _editable(item.case_id, actor)
    with database.atomic():
        write_audit(actor, "remove_media", "case", case.id,
                    before={"kind": item.kind, "title": item.title, "url": item.url})
        item.delete_instance()
    return case


def case_media(case_id: int) -> list[MediaItem]:
    """A case's digital objects, slides first, then photos, then videos."""
    order = list(KINDS)
    items = (CaseMedia.select(CaseMedia.id, CaseMedia.kind, CaseMedia.title, CaseMedia.url,
                              CaseMedia.size, CaseMedia.position)
             .where(CaseMedia.case == case_id))
    return [MediaItem(m.id, m.kind, m.title, m.url, m.size)
            for m in sorted(items, key=lambda m: (order.index(m.kind), m.position))]


def media_file(media_id: int, *, viewer: User | None = None) -> tuple[bytes, str, str]:
    """A stored object's bytes, MIME type and file name, for whoever may see its case."""
    item = CaseMedia.get_or_none((CaseMedia.id == media_id) & (CaseMedia.kind != "video"))
    if item is None or not can_view_case(viewer, get_case(item.case_id, staff_scope=True)):
        raise NotFound(f"找不到數位物件 {media_id}")
    if item.kind == "slides":
        return bytes(item.data), "application/pdf", f"{item.title or '簡報'}.pdf"
    return bytes(item.data), "image/jpeg", f"{item.title or '照片'}.jpg"
