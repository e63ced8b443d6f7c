"""Open data: the versioned JSON API and the bulk downloads (published cases only)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import jsonify, render_template, request

from exports.opendata import CSV_NOTE, dictionary_csv, open_data_file
from kb.editions import list_editions
from kb.errors import ValidationError
from kb.opendata import (API_VERSION, DATA_DICTIONARY, DEFAULT_PER_PAGE, LICENCE, MAX_PER_PAGE,
                         all_open_cases, open_case, open_cases)
from web.downloads import send_download
from web.ratelimit import rate_limited

API_PER_MINUTE = 120
DUMPS_PER_MINUTE = 10


def _api_error(message: str, status: int):
    response = jsonify(api_version=API_VERSION, error=message)
    response.status_code = status
    return response


def _whole_number(name: str, default: int | None) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 6:
        raise ValidationError(f"{name} 須為正整數")
    return int(raw)


def _base_url() -> str:
    return request.host_url.rstrip("/")


@rate_limited("api", API_PER_MINUTE)
def api_cases():
    """GET /api/v1/cases?year=&category=&q=&page=&per_page= — published cases, paged."""
    try:
        page = open_cases(year=_whole_number("year", None),
                          category=request.args.get("category") or None,
                          q=request.args.get("q") or None,
                          page=_whole_number("page", 1),
                          per_page=_whole_number("per_page", DEFAULT_PER_PAGE),
                          base_url=_base_url())
    except ValidationError as error:
        return _api_error(str(error), 400)
    data = page.as_dict()
    data["next"] = (request.base_url + "?" + _query(page=page.page + 1)
                    if page.page < page.pages else None)
    return jsonify(data)


def _query(**changes) -> str:
    args = dict(request.args.items())
    args.update({key: str(value) for key, value in changes.items()})
    return urlencode(args)


@rate_limited("api", API_PER_MINUTE)
def api_case(case_id: int):
    """GET /api/v1/cases/<id> — one published case."""
    record = open_case(case_id, base_url=_base_url())
    if record is None:
        return _api_error(f"找不到已公開的案例 {case_id}", 404)
    return jsonify(api_version=API_VERSION, licence=LICENCE, case=record)


def opendata_page():
    """The open-data page: licence, API, downloads per year and the data dictionary."""
    return render_template("opendata/index.html", editions=list_editions(),
                           dictionary=DATA_DICTIONARY, licence=LICENCE, csv_note=CSV_NOTE,
                           max_per_page=MAX_PER_PAGE, api_per_minute=API_PER_MINUTE)


@rate_limited("dumps", DUMPS_PER_MINUTE)
def opendata_dump(fmt: str, year: int | None = None):
    """A bulk download of every published case (of one year, or all) as CSV or JSON Lines."""
    data, name = open_data_file(all_open_cases(year=year, base_url=_base_url()), fmt, year=year)
    return send_download(data, name)


def opendata_dictionary():
    """The data dictionary as CSV."""
    return send_download(dictionary_csv(DATA_DICTIONARY), "標竿案例_資料欄位說明.csv")
