"""Seed-speaker registry pages (種籽師資庫): the registry with search and filters, its PDF and
Excel downloads, a person's page, and staff's page for merging two entries that are one person.

Contact details are read for staff only. Handlers read the request, call kb.speakers (or
exports.registry_workbook) and render.
"""
from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from exports.registry_workbook import build_registry_file
from kb.errors import ValidationError
from kb.policy import is_staff
from kb.reading import one_reading
from kb.speakers import (describe_filters, filter_speakers, get_speaker, list_speaker_merges,
                         list_speakers, merge_speakers, possible_duplicates, speaker_choices,
                         unmerge_speaker)
from web.auth import current_actor
from web.downloads import download_name, send_download
from web.judging_views import error_messages
from web.views import id_urls, query_int

OTHER = "other"  # the errors key of the merge form for any two entries


class MergeForm(FlaskForm):
    """Two entries to merge, and why. A suggested pair's form sends ``pair`` (both keys) and
    the one to keep as ``target``; the form for any two entries sends ``source`` and ``target``."""

    pair = HiddenField()
    source = StringField("併入的一筆")
    target = StringField("保留的一筆")
    reason = TextAreaField("合併理由")


class UnmergeForm(FlaskForm):
    """The merge to undo, by its source key."""

    source = HiddenField()


def _staff() -> bool:
    return is_staff(current_actor())


def _filters() -> dict:
    """The registry filters in the query string (q is the name or agency typed)."""
    return {"field": request.args.get("field") or None,
            "region": request.args.get("region") or None,
            "year": query_int("year"),
            "name": request.args.get("q", "").strip() or None}


@one_reading()
def registry_page():
    """The registry, searched and filtered; contact details for staff only."""
    staff = _staff()
    filters = _filters()
    everyone = list_speakers(with_contacts=staff)
    return render_template("speakers/index.html", speakers=filter_speakers(everyone, **filters),
                           total=len(everyone), filters=filters,
                           described=describe_filters(**filters), choices=speaker_choices(),
                           staff=staff, query=request.args.get("q", ""),
                           case_url=id_urls("cases.page"))


def registry_download(fmt: str):
    """The registry of the current filters as PDF or Excel: the public version, or for staff
    who ask (contacts=1) the version with contact details."""
    with_contacts = _staff() and request.args.get("contacts") == "1"
    filters = _filters()
    data = build_registry_file(list_speakers(**filters, with_contacts=with_contacts), fmt,
                               with_contacts=with_contacts, filters=describe_filters(**filters))
    return send_download(data, download_name("種籽師資庫", "內部版" if with_contacts else "公開版",
                                             suffix=fmt))


@one_reading()
def speaker_page(key: str):
    """A person of the registry with their cases; a key merged into another leads there."""
    staff = _staff()
    speaker = get_speaker(key, with_contacts=staff)
    if speaker.key != key:
        return redirect(url_for("speakers.page", key=speaker.key))
    return render_template("speakers/detail.html", speaker=speaker, staff=staff,
                           case_url=id_urls("cases.page"))


@one_reading()
def _merge_page(*, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    """Staff's merge page, with a refused form's messages (errors key → lines) and what was typed
    into it (errors key → values)."""
    return render_template("speakers/merge.html", pairs=possible_duplicates(),
                           merges=list_speaker_merges(), everyone=list_speakers(everyone=True),
                           errors=errors or {}, typed=typed or {}, OTHER=OTHER,
                           case_url=id_urls("cases.page")), status


def merge_page():
    """Possible duplicates with a merge form each, a form for any two entries, and the merges on
    record with undo (staff); a POST merges."""
    if request.method == "GET":
        return _merge_page()
    form = MergeForm()
    target = form.target.data or ""
    if form.pair.data:
        key = form.pair.data
        source = next((k for k in key.split() if k != target), "")
    else:
        key, source = OTHER, form.source.data or ""
    try:
        record = merge_speakers(source, target, reason=form.reason.data or "",
                                actor=current_actor())
    except ValidationError as error:
        return _merge_page(errors={key: error_messages(error)}, status=400, typed={key: {
            "source": source, "target": target, "reason": form.reason.data or ""}})
    flash(f"已將「{record.source_label}」併入「{record.target_label}」", "success")
    return redirect(url_for("speakers.merge", _anchor="merges-title"))


def unmerge():
    """Undo one merge (staff)."""
    form = UnmergeForm()
    try:
        record = unmerge_speaker(form.source.data or "", actor=current_actor())
    except ValidationError as error:
        return _merge_page(errors={"merges": error_messages(error)}, status=400)
    flash(f"已取消合併：「{record.source_label}」恢復為獨立的一筆", "success")
    return redirect(url_for("speakers.merge", _anchor="merges-title"))
