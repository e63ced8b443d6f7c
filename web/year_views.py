"""Staff pages for the years and their rules: create a year from a year, edit its settings."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kb.editions import create_edition_from, get_edition, list_editions, year_settings
from kb.errors import ValidationError, echoed
from kb.settings import QUOTA_LABELS, STAGE_KEYS
from kb.settings_change import preview_settings, replace_settings
from kb.text import split_list
from scoring import METHOD_NAMES
from web.auth import current_actor

BLANK_ROWS = 3  # empty rows offered under each list, to add to it
ROW_FIELDS = {
    "regions": ("name", "counties"),
    "categories": ("name", "priority", "description"),
    "criteria": ("name", "points", "description"),
}


def _problems_by_field(error: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        found.setdefault(problem.field or "", []).append(problem.message)
    return found


def years_page():
    """The years, and the form that creates one from an earlier year or the reference data."""
    return _years_page()


def _years_page(problems: dict | None = None, status: int = 200):
    editions = list_editions()
    suggested = (editions[0].year + 1) if editions else 104
    return render_template("staff/years.html", editions=editions, suggested=suggested,
                           problems=problems or {}, typed=request.form), status


def year_create():
    """Create a year (POST): rules copied from a chosen year, or from the reference data."""
    typed_year = request.form.get("year", "").strip()
    source = request.form.get("source", "").strip()
    if not typed_year.isdigit():
        return _years_page({"year": [f"年度「{echoed(typed_year)}」不是民國年（例如 105）"]}, 400)
    try:
        edition = create_edition_from(int(typed_year), int(source) if source.isdigit() else None,
                                      actor=current_actor())
    except ValidationError as error:
        return _years_page(_problems_by_field(error), 400)
    flash(f"已建立{edition.name}，請檢查本年度設定", "success")
    return redirect(url_for("years.settings", year=edition.year))


def _tie_break_lines(keys, stages) -> str:
    names = {stage["key"]: stage["name"] for stage in stages}
    return "\n".join(names.get(key, key.removeprefix("criterion:")) for key in keys)


def _tie_break_keys(text: str, stages: list[dict]) -> list[str]:
    by_name = {stage["name"]: stage["key"] for stage in stages}
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        keys.append(line if line.startswith("criterion:") or line in STAGE_KEYS
                    else by_name.get(line, f"criterion:{line}"))
    return keys


def _rows_from_form(section: str) -> list[dict]:
    """The filled rows of one list on the form, in order (a row left empty is dropped)."""
    rows = []
    for number in range(1, int(request.form.get(f"{section}-count", "0") or 0) + 1):
        row = {name: request.form.get(f"{section}-{number}-{name}", "").strip()
               for name in ROW_FIELDS[section]}
        if any(row.values()):
            rows.append(row)
    for row in rows:
        if section == "regions":
            row["counties"] = split_list(row["counties"])
        if section == "categories":
            row["priority"] = row["priority"] or None
        if section == "criteria":
            row["points"] = row["points"] or None
    return rows


def _percent(text: str):
    try:
        return float(text) / 100
    except ValueError:
        return text


def settings_from_form(current: dict) -> dict:
    """The settings a submitted editor form says, in the settings shape (checked later)."""
    stages = [{"key": stage["key"],
               "name": request.form.get(f"stages-{number}-name", "").strip(),
               "weight": _percent(request.form.get(f"stages-{number}-weight", "").strip())}
              for number, stage in enumerate(current["stages"], 1)]
    settings = {
        "regions": _rows_from_form("regions"),
        "categories": _rows_from_form("categories"),
        "criteria": _rows_from_form("criteria"),
        "stages": stages,
        "quotas": {key: request.form.get(f"quotas-{key}", "").strip() for key in QUOTA_LABELS},
        "judges_per_case": request.form.get("judges_per_case", "").strip(),
        "aggregation": request.form.get("aggregation", ""),
        "trim_min_judges": request.form.get("trim_min_judges", "").strip(),
        "rubric_total": request.form.get("rubric_total", "").strip(),
        "tie_break": _tie_break_keys(request.form.get("tie_break", ""), stages),
    }
    for key in ("programme", "forum_name", "preface"):  # edited on their own pages
        if key in current:
            settings[key] = current[key]
    return settings


def settings_page(year: int):
    """The settings editor of one year (GET shows it; POST previews or saves)."""
    edition = get_edition(year)
    current = year_settings(edition).as_dict()
    if request.method == "GET":
        return _settings_page(edition, current)
    typed = settings_from_form(current)
    reason = request.form.get("reason", "").strip()
    try:
        if request.form.get("action") == "preview":
            return _settings_page(edition, typed, change=preview_settings(year, typed),
                                  reason=reason)
        change = replace_settings(year, typed, reason=reason, actor=current_actor())
    except ValidationError as error:
        change = None
        if any(p.field == "reason" for p in error.problems):
            change = preview_settings(year, typed)
        return _settings_page(edition, typed, problems=_problems_by_field(error), change=change,
                              reason=reason, status=400)
    flash(f"已儲存設定（變更 {len(change.changes)} 項）" if change.changes else "設定沒有變更",
          "success")
    return redirect(url_for("years.settings", year=year))


def _settings_page(edition, settings: dict, *, problems: dict | None = None, change=None,
                   reason: str = "", status: int = 200):
    rows = {section: list(settings.get(section) or []) + [{}] * BLANK_ROWS
            for section in ROW_FIELDS}
    return render_template(
        "staff/settings.html", edition=edition, settings=settings, rows=rows,
        quota_labels=QUOTA_LABELS, aggregations=METHOD_NAMES, problems=problems or {},
        change=change, reason=reason,
        tie_break=_tie_break_lines(settings.get("tie_break") or [], settings["stages"])), status
