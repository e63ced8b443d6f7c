"""Files sent to the browser, named in Chinese the way a person files them
(評分表_民國104年_書面篩選_王大明.xlsx). Werkzeug writes the Content-Disposition header with an
ASCII ``filename`` for old clients and the real name as RFC 5987 ``filename*=UTF-8''…``."""
from __future__ import annotations

import re
from io import BytesIO

from flask import send_file

from kb.rocdate import roc_year

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "svg": "image/svg+xml",
}
# Characters no file system or browser takes in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_name(kind: str, *parts: str | int | None, year: int | None = None,
                  suffix: str) -> str:
    """``kind``, the ROC ``year`` and ``parts`` joined by 「_」, made safe for a file name:
    download_name("評分表", "書面篩選", "王大明", year=104, suffix="xlsx") gives
    評分表_民國104年_書面篩選_王大明.xlsx. Empty parts are left out."""
    pieces = [kind, roc_year(year) if year is not None else None, *parts]
    words = [_UNSAFE.sub("-", str(piece)).strip(" .-") for piece in pieces if piece not in (None, "")]
    return "_".join(word for word in words if word) + f".{suffix}"


def send_download(data: bytes, name: str):
    """``data`` as an attachment called ``name`` (its suffix picks the media type)."""
    return send_file(BytesIO(data), as_attachment=True, download_name=name,
                     mimetype=MIMETYPES[name.rsplit(".", 1)[-1]])
