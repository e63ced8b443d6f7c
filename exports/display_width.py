"""How wide text is in a spreadsheet cell, in the units column widths use: a CJK character
takes two, a Latin letter one, a combining mark none (wcwidth knows the Unicode tables). Every
workbook builder sizes wrapped rows with these, so Chinese text never overflows its row."""
from __future__ import annotations

import math

from wcwidth import wcwidth


def display_width(text: str) -> int:
    """The columns ``text`` takes on one line (control characters take none)."""
    return sum(max(wcwidth(ch), 0) for ch in text)


def wrapped_lines(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped at ``width`` columns, each line break starting a
    line (at least one line)."""
    return sum(max(1, math.ceil(display_width(line) / width)) for line in str(text).split("\n"))
