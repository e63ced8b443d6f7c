"""The regional forum's programme template (議程範本): checking it and timing it. No database.

A year keeps its template in ``Edition.settings["programme"]``::

    {"start": "13:30",
     "items": [{"kind": "fixed", "title": "報到", "minutes": 30, "people": ""},
               {"kind": "case", "title": "標竿案例發表（一）", "minutes": 20, "people": ""},
               {"kind": "comments", "title": "專家與談", "minutes": 10, "people": ""}, ...],
     "regions": {"第一區": {"venue": "…", "date": "2015-10-02"}}}

An item is one row of the afternoon. A ``case`` row takes the region's next benchmark case
(best final rank first) with its presenter; a ``comments`` row lists the region's on-site
judges; a ``fixed`` row prints its own ``people`` text (e.g. 主持人). ``regions`` holds each
region's venue and date (ISO), set by staff; a year created before templates existed has no
``programme`` and reads the reference template (seeds/reference.json).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import time

from kb.errors import Problem
from kb.text import clean_text
from seeds import load_reference

KINDS = {"fixed": "一般議程", "case": "標竿案例發表", "comments": "專家與談"}
"""Item kinds and their names on the staff page."""

DAY_END = 23 * 60 + 59  # a programme must end by 23:59 of its day
MAX_TITLE = 60
MAX_PEOPLE = 200
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def schedule_times(start: time, minutes: Sequence[int]) -> list[tuple[time, time]]:
    """Each item's start and end, back to back from ``start`` (a 0-minute item starts and ends
    where the previous one ends). Raises ValueError when the last one ends after 23:59."""
    clock = start.hour * 60 + start.minute
    times = []
    for length in minutes:
        times.append((_time(clock), _time(clock + length)))
        clock += length
    return times


def _time(clock: int) -> time:
    if not 0 <= clock <= DAY_END:
        raise ValueError(f"{clock} minutes after midnight is not within one day")
    return time(clock // 60, clock % 60)


def parse_clock(typed) -> time | None:
    """A typed time of day (「13:30」, 「9:05」, full-width 「１３：３０」), or None."""
    match = _CLOCK.fullmatch(unicodedata.normalize("NFKC", str(typed or "")).strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def parse_minutes(typed) -> int | None:
    """A typed length in whole minutes, 0 or more (「20」, 「２０」, 20), or None."""
    if isinstance(typed, bool):
        return None
    if isinstance(typed, int):
        return typed if typed >= 0 else None
    text = unicodedata.normalize("NFKC", str(typed or "")).strip()
    return int(text) if text.isdigit() else None


def check_template(start, items: Sequence[dict], *,
                   case_slots: int | None = None) -> tuple[dict, list[Problem]]:
    """The template as stored (start as HH:MM, titles trimmed, minutes as integers) and what is
    wrong with the typed values. Problems name their input: ``start``, ``items.N.kind``,
    ``items.N.title``, ``items.N.minutes``, ``items.N.people`` (N from 0), or ``items``.
    ``case_slots`` is the number of ``case`` rows the year needs (its benchmarks per region)."""
    problems = []
    begins = parse_clock(start)
    if begins is None:
        problems.append(Problem(f"開始時間「{start or ''}」須為 24 小時制的「時:分」，例如 13:30",
                                "start"))
    cleaned = []
    for index, item in enumerate(items):
        where, row = f"items.{index}", f"第 {index + 1} 列"
        kind = str(item.get("kind") or "")
        title = clean_text(item.get("title"))
        minutes = parse_minutes(item.get("minutes"))
        people = clean_text(item.get("people")) if kind == "fixed" else ""
        if kind not in KINDS:
            problems.append(Problem(f"{row}：類型「{kind}」不存在，可用："
                                    + "、".join(KINDS.values()), f"{where}.kind"))
        if not title:
            problems.append(Problem(f"{row}：議程名稱必須填寫", f"{where}.title"))
        elif len(title) > MAX_TITLE:
            problems.append(Problem(f"{row}：議程名稱最多 {MAX_TITLE} 字", f"{where}.title"))
        if minutes is None:
            problems.append(Problem(f"{row}：時間長度「{item.get('minutes') or ''}」須為 0 以上的"
                                    "整數（分鐘）", f"{where}.minutes"))
        if len(people) > MAX_PEOPLE:
            problems.append(Problem(f"{row}：主持人・報告人・與談人最多 {MAX_PEOPLE} 字",
                                    f"{where}.people"))
        cleaned.append({"kind": kind, "title": title, "minutes": minutes, "people": people})
    if not items:
        problems.append(Problem("議程至少需要一列", "items"))
    slots = sum(item["kind"] == "case" for item in cleaned)
    if case_slots is not None and slots != case_slots:
        problems.append(Problem(f"議程須有 {case_slots} 列「{KINDS['case']}」（每區標竿案例 "
                                f"{case_slots} 件各發表一次），目前 {slots} 列", "items"))
    if begins is not None and all(item["minutes"] is not None for item in cleaned):
        total = sum(item["minutes"] for item in cleaned)
        if begins.hour * 60 + begins.minute + total > DAY_END:
            problems.append(Problem(f"議程共 {total} 分鐘，自 {begins:%H:%M} 開始將超過當日 23:59，"
                                    "請提早開始時間或縮短各列時間", "items"))
    template = {"start": f"{begins:%H:%M}" if begins else str(start or ""), "items": cleaned}
    return template, problems


def template_of(settings: dict) -> dict:
    """A year's programme settings (a copy): its own, else the reference template, with
    ``regions`` always present."""
    programme = settings.get("programme") or load_reference()["edition"]["programme"]
    return {"start": programme["start"], "items": [dict(item) for item in programme["items"]],
            "regions": dict(programme.get("regions") or {})}
