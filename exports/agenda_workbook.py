"""A region's programme (議程) as an Excel workbook, for staff who edit the printed layout.

:func:`build_agenda_workbook` writes one sheet, named after the region: the forum, the title
line, date and venue, then the table 時間／議程／主持人・報告人・與談人 with wrapped text and
rows tall enough for it, set up to print on A4 portrait, one page wide.
"""
from __future__ import annotations


from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from exports.display_width import wrapped_lines
from exports.programme import PROGRAMME_HEADINGS, Programme, time_span
from exports.safe_write import workbook_bytes
from kb.rocdate import roc_year

WIDTHS = (15, 38, 44)  # 時間, 議程, 主持人・報告人・與談人
LINE_HEIGHT = 16  # points per line of wrapped text
HEAD_FILL = PatternFill("solid", fgColor="0B5D7A")
THIN = Side(style="thin", color="9AA5B1")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAPPED = Alignment(vertical="center", wrap_text=True)


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide (CJK counts two)."""
    return wrapped_lines(text, width - 1)


def _title_row(sheet, text: str, size: float, *, bold: bool = False) -> None:
    sheet.append([text])
    row = sheet.max_row
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(WIDTHS))
    cell = sheet.cell(row=row, column=1)
    cell.font, cell.alignment = Font(size=size, bold=bold), CENTRED
    sheet.row_dimensions[row].height = size * 1.8


def build_agenda_workbook(programme: Programme) -> bytes:
    """The programme as an .xlsx: title rows, date and venue, then one row per item."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{programme.region}議程"
    for column, width in zip("ABC", WIDTHS):
        sheet.column_dimensions[column].width = width
    _title_row(sheet, programme.forum_name, 16, bold=True)
    _title_row(sheet, f"{roc_year(programme.year)}　{programme.region}成果分享　議程", 14, bold=True)
    _title_row(sheet, f"日期：{programme.date_text}", 11)
    _title_row(sheet, f"地點：{programme.venue}", 11)
    sheet.append([])
    sheet.append(list(PROGRAMME_HEADINGS))
    head = sheet.max_row
    for cell in sheet[head]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEAD_FILL
        cell.alignment, cell.border = CENTRED, GRID
    for item in programme.items:
        values = [time_span(item.start, item.end), item.title, item.people]
        sheet.append(values)
        row = sheet[sheet.max_row]
        for cell, alignment in zip(row, (CENTRED, WRAPPED, WRAPPED)):
            cell.alignment, cell.border = alignment, GRID
        sheet.row_dimensions[sheet.max_row].height = LINE_HEIGHT * max(
            _lines(value, width) for value, width in zip(values, WIDTHS)) + 6
    sheet.print_title_rows = f"{head}:{head}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    footer = f"{programme.forum_name}　{roc_year(programme.year)}{programme.region}議程"
    sheet.oddFooter.center.text = footer.replace("&", "&&")
    return workbook_bytes(workbook)
