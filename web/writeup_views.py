"""Refined write-up (精進案例) pages: the county contact's edit page with key figures and photos,
the same write-up as an Excel file to download and upload, staff approval, the photos
themselves, staff's progress overview of a year, and the year's anthology as a PDF download.

Handlers read the request, call kb.writeups (or exports.anthology) and render.
"""
from __future__ import annotations

from collections import Counter
from itertools import groupby
from pathlib import Path

from flask import (current_app, flash, redirect, render_template, send_from_directory,
                   url_for)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, StringField, TextAreaField

from exports.anthology import book_stamp, build_anthology
from exports.writeup_workbook import build_writeup_workbook, read_writeup_file
from kb.anthology import cached_anthology_pdf
from kb.cases import SECTIONS
from kb.errors import ValidationError
from kb.images import MAX_PHOTO_BYTES
from kb.writeup_sheet import import_refined_writeup, writeup_sheet
from kb.writeups import (MAX_CAPTION, MAX_FIGURES, MAX_PHOTOS, Figure, add_photo,
                         approve_refined, photo_for_viewer, remove_photo, save_refined_writeup,
                         writeup_for_editing, writeup_progress)
from web.auth import current_actor
from kb.case_codes import case_code
from web.downloads import download_name, send_download
from web.forms import HELP, LIMITS, attach_problems, form_name
from kb.instance import uploads_folder
from web.views import id_urls

BLANK_FIGURE_ROWS = 3  # empty rows under the saved key figures, for adding more
STATE_LABELS = {"refined": "已核定", "refined_pending": "待核定", "submitted": "尚未撰寫"}


# --- forms ------------------------------------------------------------------------------------

class FigureRow(Form):
    """One key figure: indicator, value before, value after, unit."""

    indicator = StringField("指標")
    before = StringField("推動前")
    after = StringField("推動後")
    unit = StringField("單位")


WriteupForm = type("WriteupForm", (FlaskForm,), {
    **{form_name(f"sections.{key}"): TextAreaField(label) for key, label in SECTIONS},
    "figures": FieldList(FormField(FigureRow), label="關鍵數據", max_entries=MAX_FIGURES),
    "__doc__": "The refined write-up's sections and key figures.",
})


class PhotoForm(FlaskForm):
    """A photo to add, with its caption."""

    photo = FileField("照片檔案（JPEG 或 PNG）", validators=[FileRequired("請選擇照片檔案")])
    caption = StringField("照片說明")


class WorkbookUploadForm(FlaskForm):
    """The refined write-up written in the Excel file downloaded from the edit page."""

    workbook = FileField("填妥的精進案例 Excel 檔（.xlsx）",
                         validators=[FileRequired("請選擇 Excel 檔")])


# --- helpers ----------------------------------------------------------------------------------

def instance_folder(name: str) -> Path:
    """A folder of the instance (``uploads``, which may be shared, ``exports``)."""
    home = Path(current_app.instance_path)
    return uploads_folder(home) if name == "uploads" else home / name


def _form_data(writeup) -> dict:
    """What the edit form starts with: the write-up's text, its key figures and blank rows."""
    rows = [{"indicator": f.indicator, "before": f.before, "after": f.after, "unit": f.unit}
            for f in writeup.figures]
    blank = min(BLANK_FIGURE_ROWS, MAX_FIGURES - len(rows))
    return {**{form_name(f"sections.{key}"): writeup.sections.get(key, "") for key, _ in SECTIONS},
            "figures": rows + [{}] * blank}


def _refused(error: ValidationError):
    """The page for a case that has no refined write-up to edit (not a published winner)."""
    return render_template("error.html", title="無法撰寫精進案例", message=str(error)), 400


def _edit_page(case_id: int, *, form=None, photo_form=None, upload_form=None, general=(),
               status: int = 200):
    """The edit page, with a refused form's messages; ``general`` belong to no input."""
    try:
        writeup = writeup_for_editing(case_id, actor=current_actor())
    except ValidationError as error:
        return _refused(error)
    return render_template(
        "writeups/edit.html", writeup=writeup, case=writeup.case,
        form=form or WriteupForm(formdata=None, data=_form_data(writeup)),
        photo_form=photo_form or PhotoForm(formdata=None),
        upload_form=upload_form or WorkbookUploadForm(formdata=None),
        general=list(general), MAX_PHOTOS=MAX_PHOTOS, MAX_CAPTION=MAX_CAPTION, help=HELP,
        limits=LIMITS, MAX_FIGURES=MAX_FIGURES, max_photo_mb=MAX_PHOTO_BYTES // 1024 // 1024), status


# --- the county contact's and staff's pages ---------------------------------------------------

def edit(case_id: int):
    """The refined write-up of a published winner: sections and key figures (GET shows, POST
    saves); also its photos, and for staff the approval."""
    form = WriteupForm()
    if not form.validate_on_submit():
        return _edit_page(case_id, form=form if form.is_submitted() else None,
                          status=400 if form.is_submitted() else 200)
    try:
        save_refined_writeup(
            case_id, {key: form[form_name(f"sections.{key}")].data or "" for key, _ in SECTIONS},
            [Figure(**{name: value or "" for name, value in row.data.items()})
             for row in form.figures],
            actor=current_actor())
    except ValidationError as error:
        return _edit_page(case_id, form=form, general=attach_problems(form, error.problems),
                          status=400)
    flash("已儲存精進案例，待主辦機關核定後印入彙編", "success")
    return redirect(url_for("writeups.edit", case_id=case_id))


def _take_upload(case_id: int, form, file_field, store, done: str, *, anchor: str | None = None,
                 **page):
    """Handle a file form of the edit page: hand the file's bytes to ``store``; on success flash
    ``done`` and go back to the edit page (at ``anchor``), else show the page with the messages
    under the file input. ``page`` names the form for :func:`_edit_page`."""
    if form.validate_on_submit():
        try:
            store(file_field.data.read())
        except ValidationError as error:
            file_field.errors = [problem.message for problem in error.problems]
        else:
            flash(done, "success")
            return redirect(url_for("writeups.edit", case_id=case_id, _anchor=anchor))
    return _edit_page(case_id, status=400, **page)


def photo_add(case_id: int):
    """Add a photo with its caption to the refined write-up."""
    form = PhotoForm()
    return _take_upload(
        case_id, form, form.photo,
        lambda data: add_photo(case_id, data, form.caption.data or "",
                               uploads=instance_folder("uploads"), actor=current_actor()),
        "已加入照片，待主辦機關核定後印入彙編", anchor="photos-title", photo_form=form)


def workbook_download(case_id: int):
    """The refined write-up as an Excel file in the unified format, filled with what it has
    now, for whoever may edit it."""
    try:
        data = build_writeup_workbook(writeup_sheet(case_id, actor=current_actor()))
    except ValidationError as error:
        return _refused(error)
    return send_download(data, download_name("精進案例", case_code(case_id), suffix="xlsx"))


def workbook_upload(case_id: int):
    """Replace the sections and key figures with those of a filled Excel file (all or nothing;
    a file made for another case is refused); it then needs approval again."""
    form = WorkbookUploadForm()
    return _take_upload(
        case_id, form, form.workbook,
        lambda data: import_refined_writeup(case_id, read_writeup_file(data),
                                            actor=current_actor()),
        "已由 Excel 檔更新精進案例，待主辦機關核定", upload_form=form)


def photo_remove(photo_id: int):
    """Remove a photo from a refined write-up."""
    try:
        case = remove_photo(photo_id, uploads=instance_folder("uploads"), actor=current_actor())
    except ValidationError as error:
        return _refused(error)
    flash("已移除照片", "success")
    return redirect(url_for("writeups.edit", case_id=case.id, _anchor="photos-title"))


def approve(case_id: int):
    """Approve the refined write-up (staff): the case page and the anthology use it from now."""
    try:
        approve_refined(case_id, actor=current_actor())
    except ValidationError as error:
        return _edit_page(case_id, general=[p.message for p in error.problems], status=400)
    flash("已核定精進案例，彙編將印此版本", "success")
    return redirect(url_for("writeups.edit", case_id=case_id))


def overview(year: int):
    """Every published winner of the year by region, with which version the anthology prints
    (staff)."""
    writeups = writeup_progress(year)
    regions = [(name, list(rows)) for name, rows in
               groupby(writeups, key=lambda writeup: writeup.region)]
    return render_template("writeups/overview.html", year=year, regions=regions,
                           counts=Counter(writeup.state for writeup in writeups),
                           total=len(writeups), STATE_LABELS=STATE_LABELS,
                           case_url=id_urls("cases.page"), edit_url=id_urls("writeups.edit"))


# --- public -----------------------------------------------------------------------------------

def photo(photo_id: int):
    """A photo of a refined write-up, for whoever may see it."""
    shown = photo_for_viewer(photo_id, viewer=current_actor())
    return send_from_directory(instance_folder("uploads"), shown.filename, mimetype="image/jpeg")


def anthology(year: int):
    """The year's anthology as a PDF (built once per content, then served from the cache)."""
    data = cached_anthology_pdf(year, uploads=instance_folder("uploads"),
                                cache_dir=instance_folder("exports"), stamp=book_stamp,
                                build=lambda book: build_anthology(book).pdf)
    return send_download(data, download_name("標竿案例彙編", year=year, suffix="pdf"))
