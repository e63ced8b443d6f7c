"""One display width for every workbook's row heights (wcwidth): CJK counts two."""
from __future__ import annotations

import pytest

from exports.display_width import display_width, wrapped_lines


@pytest.mark.parametrize("text, width", [("臺北市ab", 8), ("ｅ", 2), ("e\u0301", 1), ("a\tb", 2),
                                         ("", 0)])
def test_display_width_counts_cjk_two_and_marks_none(text, width):
    assert display_width(text) == width


@pytest.mark.parametrize("text, width, lines", [
    ("", 90, 1), ("abc", 90, 1), ("a" * 91, 90, 2), ("共" * 45, 90, 1), ("共" * 46, 90, 2),
    ("第一段\n第二段\n\n第四段", 90, 4),
])
def test_wrapped_lines_counts_cjk_characters_double_and_line_breaks(text, width, lines):
    assert wrapped_lines(text, width) == lines
