"""Issue 12.2: an upload that would exhaust memory or time is refused early, in zh-TW, naming
the limit, with memory bounded (measured with tracemalloc, not time)."""
from __future__ import annotations

import tracemalloc
from functools import partial
from io import BytesIO

import pytest
from openpyxl import Workbook

from exports.case_workbook import read_case_workbook, read_sheet
from exports.score_workbook import read_scores_table, read_scoresheet
from exports.upload_limits import MAX_CELLS, MAX_COLUMNS, MAX_ROWS
from exports.writeup_workbook import read_writeup_workbook
from kb.scoresheets import stage_rubric
from hostile_files import (cell_at_far_column, many_cells, large_but_ordinary, many_rows,
                           relocated, workbook_with_sheet, zip_bomb)
from kb.errors import ValidationError

PEAK_LIMIT = 30 * 1024 * 1024  # bytes the reader may allocate on top of the file itself

HOSTILE = [
    (cell_at_far_column, rf"XFD 欄，超過上限 {MAX_COLUMNS} 欄"),
    (many_rows, rf"第{MAX_ROWS + 1:,}列，超過上限 {MAX_ROWS:,} 列"),
    (many_cells, rf"儲存格超過上限 {MAX_CELLS:,} 格"),
    (zip_bomb, r"倍，超過上限 100 倍，疑似壓縮炸彈"),
]
READERS = [read_case_workbook, partial(read_scoresheet, rubric_of=stage_rubric),
           partial(read_scores_table, rubric_of=stage_rubric), read_writeup_workbook]


@pytest.mark.parametrize("make, message", HOSTILE, ids=lambda case: getattr(case, "__name__", ""))
def test_hostile_workbooks_are_refused_naming_the_limit_with_little_memory(db, make, message):
    data = make()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError, match=message):
            read_case_workbook(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize("reader", READERS,
                         ids=lambda reader: getattr(reader, "func", reader).__name__)
def test_every_upload_reader_has_the_limits(db, reader):
    with pytest.raises(ValidationError, match=rf"XFD 欄，超過上限 {MAX_COLUMNS} 欄"):
        reader(cell_at_far_column())


ODDLY_WRITTEN_CELLS = [
    ('<row r="{n}"><x:c r="XFD{n}"><x:v>1</x:v></x:c></row>', "a namespace prefix"),
    ('<row r="{n}"><c t="n" r="XFD{n}"><v>1</v></c></row>', "the reference not first"),
    ('<row r="{n}"><c\tr="XFD{n}"><v>1</v></c></row>', "a tab after the name"),
    ('<row r="{n}">' + "<c><v>1</v></c>" * (MAX_COLUMNS + 1) + "</row>", "no references"),
    ('<row r="{n}">' + "<c/>" * (MAX_COLUMNS + 1) + "</row>", "empty cells, self-closed"),
]


@pytest.mark.parametrize("row, written_with", ODDLY_WRITTEN_CELLS,
                         ids=[written for _, written in ODDLY_WRITTEN_CELLS])
def test_cells_written_unusually_are_counted_all_the_same(db, row, written_with):
    """Spreadsheet programs write <c r="B7">; a file may write its cells any way XML allows,
    and a cell past the last column is found whichever way it is written."""
    data = workbook_with_sheet(row.format(n=n) for n in range(1, 200))
    with pytest.raises(ValidationError, match=rf"第1列有資料在 [A-Z]+ 欄，超過上限 {MAX_COLUMNS} 欄"):
        read_case_workbook(data)


def test_a_workbook_unpacking_to_more_than_the_total_is_refused(db):
    with pytest.raises(ValidationError, match=r"解壓縮後有 5\d MB，超過上限 50 MB"):
        read_case_workbook(large_but_ordinary())


def test_a_sheet_kept_outside_the_worksheets_folder_is_checked_too(db):
    data = relocated(cell_at_far_column())
    with pytest.raises(ValidationError, match=rf"XFD 欄，超過上限 {MAX_COLUMNS} 欄"):
        read_case_workbook(data)


def test_a_relocated_ordinary_sheet_is_still_read(db):
    workbook = Workbook()
    workbook.active.title = "案例清單"
    workbook.active.append(["縣市", "案例名稱"])
    workbook.active.append(["臺北市", "智慧路燈"])
    buffer = BytesIO()
    workbook.save(buffer)
    sheet = read_sheet(relocated(buffer.getvalue()), "案例清單")
    assert sheet.rows == [(1, ("縣市", "案例名稱")), (2, ("臺北市", "智慧路燈"))]
