"""Hostile workbooks made at test time (nothing binary is committed): a minimal valid .xlsx
whose first worksheet's XML is streamed in from a generator of text pieces."""
from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Iterable
from io import BytesIO

from openpyxl import Workbook

SHEET_XML = "xl/worksheets/sheet1.xml"
SHEET_START = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               "<sheetData>")
SHEET_END = "</sheetData></worksheet>"


def workbook_with_sheet(pieces: Iterable[str], *, title: str = "案例清單", level: int = 6) -> bytes:
    """An .xlsx whose first sheet (called ``title``) holds the XML rows in ``pieces``."""
    workbook = Workbook()
    workbook.active.title = title
    base = BytesIO()
    workbook.save(base)
    output = BytesIO()
    with zipfile.ZipFile(BytesIO(base.getvalue())) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for member in source.infolist():
            if member.filename != SHEET_XML:
                target.writestr(member, source.read(member))
        with target.open(SHEET_XML, "w", force_zip64=True) as sheet:
            sheet.write(SHEET_START.encode())
            batch = []
            for piece in pieces:
                batch.append(piece)
                if len(batch) == 10_000:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            sheet.write(("".join(batch) + SHEET_END).encode())
    return output.getvalue()


def cell_at_far_column(rows: int = 20_000) -> bytes:
    """One value at column XFD (16,384) on each of ``rows`` rows: ~100 KB on disk."""
    return workbook_with_sheet(f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
                               for n in range(1, rows + 1))


def relocated(data: bytes, path: str = "xl/data/rows.xml") -> bytes:
    """The workbook ``data`` with its first sheet moved to ``path`` (its relations and content
    types follow): a reader finds it there, a check that looks only in xl/worksheets/ does not."""
    moved = SHEET_XML.removeprefix("xl/")
    output = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                content = content.replace(moved.encode(), path.removeprefix("xl/").encode())
            target.writestr(path if member.filename == SHEET_XML else member.filename, content)
    return output.getvalue()


def many_rows(rows: int = 30_000) -> bytes:
    """A number in column A of each of ``rows`` rows."""
    return workbook_with_sheet(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, rows + 1))


def many_cells(rows: int = 1_005, columns: int = 200) -> bytes:
    """A full block of ``rows`` × ``columns`` different numbers (so it packs as a real sheet)."""
    return workbook_with_sheet(
        "<row>" + "".join(f"<c><v>{(r * columns + c) * 7919 % 100003}</v></c>" for c in range(columns)) + "</row>"
        for r in range(rows))


def zip_bomb(megabytes: int = 60) -> bytes:
    """About ``megabytes`` MB of empty rows that pack several hundred times."""
    chunk = "<row/>" * (1024 * 1024 // 6)
    return workbook_with_sheet(chunk for _ in range(megabytes))


def large_but_ordinary(megabytes: int = 51) -> bytes:
    """About ``megabytes`` MB of hexadecimal text (in an XML comment) that packs only about
    twice, as real text does."""
    return workbook_with_sheet((f"<!--{random.randbytes(512 * 1024).hex()}-->" for _ in range(megabytes)),
                               level=1)


def png_announcing(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` × ``height`` RGBA pixels (with a token of pixel
    data): what a photo bomb looks like to a reader that trusts the header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * (width * 4 + 1))) + chunk(b"IEND", b""))
