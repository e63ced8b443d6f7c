"""Digital objects (數位物件) of published cases: the case's own PDF, slides, forum-day photos and
video links, and the library by category across years. Handlers call kb.media / kb.opendata."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for

from exports.anthology import build_case_object
from kb.anthology import anthology_case
from kb.cases import AWARDS, get_case
from kb.errors import PermissionDenied, ValidationError
from kb.media import (KINDS, MAX_ITEMS, MAX_SLIDES_BYTES, add_forum_photo, add_slides,
                      add_video_link, case_media, media_file, remove_media)
from kb.opendata import category_counts, category_cases, citation, open_case
from kb.policy import can_edit_refined
from kb.programme import forum_name_of
from web.auth import current_actor
from web.writeup_views import instance_folder

def _upload() -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("請選擇要上傳的檔案")
    return upload.read()


def _add_from_form(kind: str, case_id: int) -> None:
    title, actor = request.form.get("title", ""), current_actor()
    if kind == "slides":
        add_slides(case_id, _upload(), title, actor=actor)
    elif kind == "photo":
        add_forum_photo(case_id, _upload(), title, actor=actor)
    else:
        add_video_link(case_id, request.form.get("url", ""), title, actor=actor)


def _published_record(case_id: int) -> dict:
    record = open_case(case_id, base_url=request.host_url.rstrip("/"))
    if record is None or record["award"] not in AWARDS:
        abort(404)
    return record


def object_pdf(case_id: int):
    """The case's digital object as its own PDF (the anthology's layout, with its citation)."""
    record = _published_record(case_id)
    case = get_case(case_id, staff_scope=True)
    result = build_case_object(anthology_case(case, uploads=instance_folder("uploads")),
                               forum_name=forum_name_of(case.edition), year=record["year"],
                               citation=citation(record))
    return send_file(BytesIO(result.pdf), mimetype="application/pdf",
                     download_name=f"標竿案例_民國{record['year']}年_{record['county']}_{record['title']}.pdf")


def media_page(case_id: int, *, errors: list[str] | None = None, status: int = 200):
    """Staff and the case's county contact add or remove slides, photos and video links."""
    case = get_case(case_id, viewer=current_actor())
    if not can_edit_refined(current_actor(), case):
        raise PermissionDenied("只有主辦機關或該縣市承辦人可以管理已公布得獎案例的數位物件")
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in KINDS:
            abort(400)
        try:
            _add_from_form(kind, case_id)
        except ValidationError as error:
            errors, status = [p.message for p in error.problems], 400
        else:
            flash(f"已加入{KINDS[kind]}", "success")
            return redirect(url_for("objects.media", case_id=case_id))
    return render_template("objects/media.html", case=case, items=case_media(case_id),
                           kinds=KINDS, max_items=MAX_ITEMS, errors=errors or [],
                           max_slides_mb=MAX_SLIDES_BYTES // 1024 // 1024), status


def media_remove(media_id: int):
    """Remove one digital object."""
    case = remove_media(media_id, actor=current_actor())
    flash("已移除數位物件", "success")
    return redirect(url_for("objects.media", case_id=case.id))


def media_download(media_id: int):
    """A slide deck or photo, for whoever may see its case."""
    data, mimetype, name = media_file(media_id, viewer=current_actor())
    return send_file(BytesIO(data), mimetype=mimetype, download_name=name,
                     as_attachment=mimetype == "application/pdf")


def categories_page():
    """Every call category with its published cases per year."""
    table = category_counts()
    years = sorted({year for counts in table.values() for year in counts}, reverse=True)
    return render_template("objects/categories.html", table=table, years=years)


def category_page(name: str):
    """One category's published cases across years, newest year first."""
    cases = category_cases(name)
    if not cases:
        abort(404)
    return render_template("objects/category.html", name=name, cases=cases)
