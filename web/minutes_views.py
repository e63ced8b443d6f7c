"""The 評分總表 page (staff): a stage's sessions with their date, venue and absent judges, the
marked differences and their handling, and the record's downloads (PDF, Excel, the code key).

Handlers read the request, call :mod:`kb.minutes` and render or send the file that
:mod:`exports.minutes` builds; a refused download comes back as the page with the reasons.
"""
from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for

from exports.minutes import build_code_key_pdf, build_minutes_pdf, build_minutes_workbook
from kb.errors import ValidationError
from kb.minutes import (HANDLINGS, judge_code_key, minutes_record, record_handling,
                        record_session)
from kb.reading import one_reading
from kb.rocdate import roc_year
from kb.stages import get_stage
from web.auth import current_actor
from web.downloads import send_download
from web.judging_views import error_messages


def _region() -> str | None:
    return (request.values.get("region") or "").strip() or None


@one_reading()
def _page(year: int, stage_key: str, *, errors: list[str] | None = None, status: int = 200):
    stage = get_stage(year, stage_key)
    record = minutes_record(year, stage_key, for_print=False, with_rows=False)
    return render_template("selection/minutes.html", year=year, stage=stage, record=record,
                           handlings=HANDLINGS, errors=errors or []), status


def minutes_page(year: int, stage_key: str):
    """Every session of the stage: what the record will say, and what staff still enter."""
    return _page(year, stage_key)


def save_session(year: int, stage_key: str):
    """Store one session's date, venue and absent judges."""
    try:
        record_session(year, stage_key, _region(), held_on=request.form.get("held_on", ""),
                       venue=request.form.get("venue", ""),
                       absent=request.form.getlist("absent"), actor=current_actor())
    except ValidationError as error:
        return _page(year, stage_key, errors=error_messages(error), status=400)
    flash("已儲存場次資料", "success")
    return redirect(url_for("minutes.page", year=year, stage_key=stage_key))


def save_handling(year: int, stage_key: str):
    """Store the handling of one marked difference."""
    try:
        record_handling(year, stage_key, _region(), request.form.get("subject", ""),
                        request.form.get("handling", ""), request.form.get("note", ""),
                        actor=current_actor())
    except ValidationError as error:
        return _page(year, stage_key, errors=error_messages(error), status=400)
    flash("已記錄處置方式", "success")
    return redirect(url_for("minutes.page", year=year, stage_key=stage_key))


def minutes_download(year: int, stage_key: str, fmt: str):
    """The record as PDF or Excel (``?region=`` one region, ``?codes=1`` judges by code);
    refused, with the page and its reasons, while a difference has no handling."""
    try:
        record = minutes_record(year, stage_key, _region(), by_code=request.args.get("codes") == "1")
    except ValidationError as error:
        return _page(year, stage_key, errors=error_messages(error), status=400)
    where = f"_{record.sessions[0].region}" if _region() and record.sessions else ""
    name = f"評分總表_{roc_year(year)}{record.stage_name}{where}.{fmt}"
    if fmt == "xlsx":
        return send_download(build_minutes_workbook(record), name)
    return send_download(build_minutes_pdf(record), name)


def code_key_download(year: int, stage_key: str):
    """The key of judge codes, for the file only."""
    stage = get_stage(year, stage_key)
    data = build_code_key_pdf(year, stage.name, judge_code_key(year, stage_key))
    return send_download(data, f"委員代號對照表_{roc_year(year)}{stage.name}.pdf")
