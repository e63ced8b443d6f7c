"""Limits on an uploaded workbook, checked before openpyxl reads it and while it is scanned.

An .xlsx is a zip of XML files. A small upload can unpack to gigabytes (a zip bomb), or hold one
cell at column XFD on every row, which openpyxl pads each row out to. :func:`check_workbook_limits`
refuses such a file quickly and with little memory: first from the zip's table of contents
(member count, each member's unpacked size and packing ratio, the total), then by streaming
every part of it (a worksheet may live at any path the workbook's relations name) and counting
rows, columns and cells without keeping them. zipfile never
unpacks more of a member than the size the table of contents declares, so the declared sizes
bound the work. Every refusal is a :class:`ValidationError` in zh-TW naming the limit.

The limits hold for every workbook people upload: case lists, score sheets, score tables,
refined write-ups and account lists.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from io import BytesIO

from openpyxl.utils import column_index_from_string, get_column_letter

from kb.errors import ValidationError

MAX_MEMBERS = 500
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # all XML of the workbook, unpacked
MAX_RATIO = 100  # unpacked / packed size of one member (ordinary sheets pack 5–20 times)
RATIO_FLOOR = 1024 * 1024  # members smaller than this may pack as tightly as they like
MAX_ROWS = 10_000  # the largest real upload: a score table of 30 judges × 170 cases
MAX_COLUMNS = 200
MAX_CELLS = 200_000

CHUNK_BYTES = 1024 * 1024

# a row or cell start tag, with or without a namespace prefix: <row r="7" ...>, <x:c r="B7">
_ROW_OR_CELL_NAME = rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])"
_START_TAG = re.compile(_ROW_OR_CELL_NAME + rb"([^>]*)>")
_REFERENCE_ATTRIBUTE = re.compile(rb"\sr\s*=\s*[\"']([^\"']*)[\"']")
# The same tags as every spreadsheet program writes them, reference first: <c r="B7" ...>
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]+"')
_PLAIN_ROW = re.compile(rb'<row r="([0-9]+)"')
# every row and cell start tag, counted against the plain ones above (its attributes unread)
_ANY_ROW_OR_CELL = re.compile(_ROW_OR_CELL_NAME)
_CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?\d+$")
_MB = 1024 * 1024


def check_workbook_limits(data: bytes) -> None:
    """Refuse a workbook (given as bytes) that is larger than the limits above.

    A file that is not a zip at all is let through: the reader then says it is not a workbook.
    """
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        members = archive.infolist()
        _check_archive(members)
        try:
            for member in members:
                with archive.open(member) as source:
                    _scan_worksheet(source)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
            return  # a damaged file: the reader says it is not a workbook


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise ValidationError(f"檔案內含 {len(members)} 個部分，超過上限 {MAX_MEMBERS} 個，"
                              "不像一般的 Excel 活頁簿")
    total = 0
    for member in members:
        total += member.file_size
        packed = max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and member.file_size / packed > MAX_RATIO:
            raise ValidationError(f"檔案中的「{member.filename}」解壓縮後是壓縮前的 "
                                  f"{member.file_size // packed} 倍，超過上限 {MAX_RATIO} 倍，"
                                  "疑似壓縮炸彈，已拒收")
    if total > MAX_UNPACKED_BYTES:
        raise ValidationError(f"檔案解壓縮後有 {total / _MB:.0f} MB，超過上限 "
                              f"{MAX_UNPACKED_BYTES // _MB} MB：請分成幾個較小的檔案上傳")


def _scan_worksheet(source) -> None:
    """Count a worksheet's rows, columns and cells as its XML streams by, keeping nothing.

    Start tags are found with a regular expression over the raw text (an element tree would cost
    seconds for a large sheet); a tag split between two reads is carried over to the next. A
    chunk whose every tag carries its reference is checked at once (:func:`_chunk_within`);
    any other, or one over a limit, is walked tag by tag for the exact message."""
    position, carry = (0, 0, 0), b""
    while chunk := source.read(CHUNK_BYTES):
        text = carry + chunk
        cut = text.rfind(b"<")
        text, carry = text[:cut], text[cut:]
        position = _chunk_within(text, position) or _walk_chunk(text, position)


def _chunk_within(text: bytes, position: tuple[int, int, int]) -> tuple[int, int, int] | None:
    """Where a chunk leaves the scan (row, column, cells so far) when every row and cell tag in
    it is written plainly (no prefix, reference first) and none passes a limit; None otherwise.
    (A few passes of compiled code over the chunk: a score table has some 70,000 cells.)"""
    row_number, column, cells = position
    columns, rows = _PLAIN_CELL.findall(text), _PLAIN_ROW.findall(text)
    if (len(columns) + len(rows) != len(_ANY_ROW_OR_CELL.findall(text))
            or cells + len(columns) > MAX_CELLS):
        return None
    widest = max(set(columns), key=lambda letters: (len(letters), letters), default=b"A")
    if (column_index_from_string(widest.decode()) > MAX_COLUMNS
            or max(map(int, rows), default=0) > MAX_ROWS):
        return None
    last_row, last_cell = text.rfind(b"<row "), text.rfind(b"<c ")
    if rows:
        row_number = int(rows[-1])
    if last_cell > last_row:
        column = column_index_from_string(columns[-1].decode())
    elif last_row >= 0:
        column = 0
    return row_number, column, cells + len(columns)


def _walk_chunk(text: bytes, position: tuple[int, int, int]) -> tuple[int, int, int]:
    """Check a chunk tag by tag, raising the message of the first limit passed."""
    row_number, column, cells = position
    for match in _START_TAG.finditer(text):
        reference = _REFERENCE_ATTRIBUTE.search(match.group(2))
        typed = reference.group(1).decode("ascii", "replace") if reference else ""
        if match.group(1) == b"row":
            row_number = _row_number(typed, row_number)
            column = 0
            continue
        column = _column_number(typed, column)
        cells += 1
        if column > MAX_COLUMNS:
            raise ValidationError(
                f"工作表第{row_number}列有資料在 {get_column_letter(column)} 欄，"
                f"超過上限 {MAX_COLUMNS} 欄（{get_column_letter(MAX_COLUMNS)} 欄）："
                "請刪除多餘的欄後再上傳")
        if cells > MAX_CELLS:
            raise ValidationError(f"工作表的儲存格超過上限 {MAX_CELLS:,} 格：請分成幾個檔案上傳")
    return row_number, column, cells


def _row_number(typed: str, previous: int) -> int:
    """The row's number (its ``r`` attribute, else the one after the previous row), checked."""
    number = int(typed) if typed.isdigit() else previous + 1
    if number > MAX_ROWS:
        raise ValidationError(f"工作表有資料到第{number:,}列，超過上限 {MAX_ROWS:,} 列："
                              "請刪除多餘的列，或分成幾個檔案上傳")
    return number


def _column_number(typed: str, previous: int) -> int:
    """The cell's column number (from its reference such as ``XFD7``, else the next column)."""
    match = _CELL_REFERENCE.match(typed)
    if match is None:
        return previous + 1
    return column_index_from_string(match.group(1).upper())
