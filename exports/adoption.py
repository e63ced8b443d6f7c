"""The adoption survey's matrix (past benchmark cases × counties) as a workbook and as a chart.

Both take plain data: the survey year, the counties in order, and one :class:`MatrixRow` per
past case with each answering county's kind label (內化、創新、需求).
"""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from exports.safe_write import workbook_bytes
from kb.adoption import KINDS
from kb.rocdate import roc_year

# One colour per kind, dark enough for white text (contrast ≥ 4.5:1).
KIND_COLOURS = {"內化": "1F5F99", "創新": "2E7D32", "需求": "A3520B"}


@dataclass
class MatrixRow:
    """One past case: its label (year, county, title) and the answers by county."""

    label: str
    answers: dict[str, str]


def adoption_workbook(year: int, counties: list[str], rows: list[MatrixRow],
                      answered: dict[str, bool]) -> bytes:
    """A workbook: the matrix sheet (a row per case, a column per county) and who answered."""
    book = Workbook()
    sheet = book.active
    sheet.title = "應用矩陣"
    sheet.append([f"{roc_year(year)}歷年標竿案例應用調查：內化＝照原作法導入、創新＝調整後導入、需求＝有意導入"])
    sheet.append(["案例", *counties, "應用縣市數"])
    for row in rows:
        sheet.append([row.label, *(row.answers.get(c, "") for c in counties), len(row.answers)])
        for column, county in enumerate(counties, start=2):
            kind = row.answers.get(county)
            if kind:
                cell = sheet.cell(row=sheet.max_row, column=column)
                cell.fill = PatternFill("solid", fgColor=KIND_COLOURS[kind])
                cell.font = Font(color="FFFFFF", bold=True)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 48
    sheet.freeze_panes = "B3"
    who = book.create_sheet("填答情形")
    who.append(["縣市", "是否填答"])
    for county in counties:
        who.append([county, "已填答" if answered.get(county) else "未填答"])
    return workbook_bytes(book)


def adoption_svg(year: int, counties: list[str], rows: list[MatrixRow]) -> bytes:
    """The matrix as an SVG chart: a coloured square where a county answered, with a legend."""
    cell, left, top = 22, 300, 90
    width = left + cell * len(counties) + 20
    height = top + cell * max(len(rows), 1) + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">',
             f'<title>{roc_year(year)}歷年標竿案例應用矩陣</title>',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    for n, county in enumerate(counties):
        x = left + n * cell + cell / 2
        parts.append(f'<text x="{x}" y="{top - 6}" transform="rotate(-60 {x} {top - 6})">'
                     f'{escape(county)}</text>')
    for r, row in enumerate(rows):
        y = top + r * cell
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">'
                     f'{escape(row.label[:24])}</text>')
        for n, county in enumerate(counties):
            kind = row.answers.get(county)
            fill = f"#{KIND_COLOURS[kind]}" if kind else "#f2f2f2"
            label = f"{county}：{kind}" if kind else f"{county}：未應用"
            parts.append(f'<rect x="{left + n * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                         f'fill="{fill}"><title>{escape(label)}</title></rect>')
    legend_y = top + cell * max(len(rows), 1) + 25
    for n, (kind, colour) in enumerate(KIND_COLOURS.items()):
        x = left + n * 90
        parts.append(f'<rect x="{x}" y="{legend_y - 12}" width="14" height="14" fill="#{colour}"/>'
                     f'<text x="{x + 20}" y="{legend_y}">{kind}</text>')
    parts.append("</svg>")
    return "".join(parts).encode("utf-8")


def matrix_rows(report: dict) -> list[MatrixRow]:
    """The rows of a survey report (:meth:`kb.adoption.SurveyReport.as_dict`), kinds as labels."""
    return [MatrixRow(f"民國{case['year']}年 {case['county']}〈{case['title']}〉",
                      {county: KINDS[kind] for county, kind in case["answers"].items()})
            for case in report["matrix"]]
