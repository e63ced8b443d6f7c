"""PDFs for the regional forum and the seed-speaker registry, from plain data.

- :func:`build_programme_pdf`: a region's afternoon programme (議程) on one A4 page — forum,
  region, ROC date with weekday, venue, and a table 時間／議程／主持人・報告人・與談人.
- :func:`build_certificates`: one landscape A4 certificate (獎狀) per selected case.
- :func:`build_registry_pdf`: the seed-speaker registry (種籽師資庫) as a landscape table; the
  contact column only in the staff version.

:func:`region_agenda` and :func:`year_certificates` fill the dataclasses from
:mod:`kb.programme` (the one place where its rows become printed text, shared by the PDF, the
agenda workbook and the staff page). Each builder takes a ``font`` setting for
:func:`exports.pdf.find_cjk_font` and returns the PDF's bytes; a caller that wants to show the
font warning or the characters the font lacks asks :func:`~exports.pdf.find_cjk_font` and
:func:`~exports.pdf.missing_glyphs` (the PDF prints those characters as 〓).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from io import BytesIO

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.platypus import KeepInFrame, PageBreak, Spacer, Table, TableStyle

from exports.pdf import ACCENT, MUTED, RULE, TINT, Typesetter, find_cjk_font, page_document
# plain values only: the programme and certificates as kb.programme gives them, the ROC date
from kb.programme import Certificate, ProgrammeRow, RegionProgramme
from kb.rocdate import roc_date, roc_year

PROGRAMME_HEADINGS = ("時間", "議程", "主持人・報告人・與談人")
VENUE_UNSET = "地點未定"
DATE_UNSET = "日期未定"
NOT_ARRANGED = "（待安排）"
REGISTRY_TITLE = "種籽師資庫"
CERTIFICATE_TITLE = "獎　狀"
GOLD = colors.HexColor("#a8832b")


@dataclass
class ProgrammeItem:
    """One row of the programme: from ``start`` to ``end``, what, and who (one per line)."""

    start: time
    end: time
    title: str
    people: str = ""


@dataclass
class Programme:
    """A region's afternoon programme; ``year`` is the ROC year of the forum, ``date`` None
    while it is not set."""

    forum_name: str
    year: int
    region: str
    venue: str
    date: date | None
    items: list[ProgrammeItem] = field(default_factory=list)

    @property
    def date_text(self) -> str:
        """The date as printed: 民國104年10月2日（星期五）, or 日期未定."""
        return roc_date(self.date, weekday=True) if self.date else DATE_UNSET


@dataclass
class RegistryEntry:
    """One person of the seed-speaker registry.

    ``years`` are ROC years; ``cases`` are (ROC year, case title, award); ``fields`` come from
    the cases' categories; ``contacts`` is staff-only text (phone, e-mail), or None.
    """

    name: str
    title: str
    agency: str
    county: str
    years: list[int]
    cases: list[tuple[int, str, str]]
    fields: list[str]
    contacts: str | None = None


def _survey_qr(url: str, ts: Typesetter, width: float) -> Table:
    """The questionnaire's QR code with a line asking participants to answer."""
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 2.6 * cm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    table = Table([[drawing, ts.para(f"會後請以手機掃描左方 QR code 填寫成效評量問卷（不記名）：\n{url}",
                                     "cell")]], colWidths=[size + 0.4 * cm, width - size - 0.4 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("FONTNAME", (0, 0), (-1, -1), ts.font.name)]))
    return table


def build_programme_pdf(p: Programme, *, font: str | None = None, survey_url: str = "") -> bytes:
    """The programme on one A4 page (shrunk to fit when it is long); with ``survey_url``, the
    participant questionnaire's QR code below it."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    margin = 2 * cm
    doc = page_document(buffer, ts, f"{p.forum_name} {roc_year(p.year)}{p.region}議程", margin=margin)
    width = A4[0] - 2 * margin
    center = ts.style("plain", alignment=TA_CENTER)
    rows = [[ts.para(h, "cell_head") for h in PROGRAMME_HEADINGS]]
    rows += [[ts.para(time_span(item.start, item.end), "cell_center"),
              ts.para(item.title, "cell"), ts.para(item.people, "cell")] for item in p.items]
    table = ts.table(rows, [3.2 * cm, width * 0.42, width * 0.58 - 3.2 * cm],
                     [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                      ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, TINT]),
                      ("GRID", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                      ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)],
                     repeat_rows=1)
    content = [ts.para(p.forum_name, ts.style("h1", alignment=TA_CENTER, spaceAfter=2)),
               ts.para(f"{roc_year(p.year)}　{p.region}成果分享　議程", ts.style("title", fontSize=16, leading=24,
                                                                   alignment=TA_CENTER)),
               ts.para(f"日期：{p.date_text}", center),
               ts.para(f"地點：{p.venue}", center), Spacer(1, 0.5 * cm), table]
    if survey_url:
        content += [Spacer(1, 0.5 * cm), _survey_qr(survey_url, ts, width)]
    doc.build([KeepInFrame(width, A4[1] - 2 * margin, content, mode="shrink")])
    return buffer.getvalue()


def time_span(start: time, end: time) -> str:
    """A row's time as printed: 13:30–14:00, or 17:00 alone for a moment (賦歸)."""
    begins = f"{start:%H:%M}"
    return begins if start == end else f"{begins}–{end:%H:%M}"


def people_text(row: ProgrammeRow) -> str:
    """Who a programme row names, as printed: the label (報告人：, 與談人：), then one person a
    line, name before agency and title (a name is never cut across lines);
    「（待安排）」 where nobody is known yet."""
    if not row.role:
        return "\n".join(person.name for person in row.people)
    if not row.people:
        return f"{row.role}：{NOT_ARRANGED}"
    return f"{row.role}：\n" + "\n".join(
        f"{person.name}　{person.description}" if person.description else person.name
        for person in row.people)


def region_agenda(p: RegionProgramme) -> Programme:
    """A region's programme (:func:`kb.programme.region_programme`) as printed."""
    return Programme(p.forum_name, p.year, p.region, p.venue or VENUE_UNSET, p.date,
                     [ProgrammeItem(row.start, row.end,
                                    f"{row.title}\n{row.subject}" if row.subject else row.title,
                                    people_text(row)) for row in p.rows])


def certificate_text(item: Certificate, *, forum_name: str, year: int) -> str:
    """The wording of a certificate: 〇〇〇辦理〈案例〉，榮獲民國104年…第一區標竿案例，特頒此狀，以資鼓勵。"""
    return (f"{item.agency}辦理〈{item.case_title}〉，榮獲{roc_year(year)}{forum_name}"
            f"{item.region}{item.award_label}，特頒此狀，以資鼓勵。")


def build_certificates(items: list[Certificate], *, forum_name: str, year: int,
                       font: str | None = None) -> bytes:
    """One landscape A4 certificate per item, in order; ``year`` is the forum's ROC year.

    Raises ValueError when ``items`` is empty (a PDF needs a page).
    """
    if not items:
        raise ValueError("沒有要製作獎狀的案例")
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    size = landscape(A4)
    margin = 3 * cm

    def border(canvas, _doc):
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(3)
        canvas.rect(1.2 * cm, 1.2 * cm, size[0] - 2.4 * cm, size[1] - 2.4 * cm)
        canvas.setLineWidth(0.8)
        canvas.rect(1.5 * cm, 1.5 * cm, size[0] - 3 * cm, size[1] - 3 * cm)

    doc = page_document(buffer, ts, f"{forum_name} {roc_year(year)} 獎狀", margin=margin,
                        pagesize=size, on_page=border)
    width, height = size[0] - 2 * margin, size[1] - 2 * margin
    heading = ts.style("title", fontSize=46, leading=60, alignment=TA_CENTER, textColor=GOLD)
    body = ts.style("plain", fontSize=22, leading=42, firstLineIndent=44)
    when = ts.style("plain", fontSize=18, leading=26, alignment=TA_CENTER)
    story = []
    for item in items:
        content = [Spacer(1, 1.2 * cm), ts.para(CERTIFICATE_TITLE, heading), Spacer(1, 1.6 * cm),
                   ts.para(certificate_text(item, forum_name=forum_name, year=year), body),
                   Spacer(1, 2.8 * cm), ts.para(roc_date(item.date, prefix="中華民國"), when)]
        story += [KeepInFrame(width, height, content, mode="shrink"), PageBreak()]
    doc.build(story[:-1])
    return buffer.getvalue()


def _years(years: list[int]) -> str:
    return "、".join(str(y) for y in sorted(set(years)))


def build_registry_pdf(entries: list[RegistryEntry], *, with_contacts: bool,
                       year_range: tuple[int, int] | None = None, filters: str = "",
                       font: str | None = None) -> bytes:
    """The registry as a landscape A4 table, one row per person, in the order given.

    ``year_range`` (first, last ROC year) goes in the title; None takes it from the entries.
    ``filters`` (the filters in words) is printed under the title, so a partial list says so.
    Contact details are printed only ``with_contacts`` (the staff version).
    """
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    size = landscape(A4)
    margin = 1.6 * cm
    edition = "內部版（含聯絡資料，限承辦人員使用）" if with_contacts else "公開版（不含聯絡資料）"
    all_years = [y for e in entries for y in e.years] + [c[0] for e in entries for c in e.cases]
    if year_range is None and all_years:
        year_range = (min(all_years), max(all_years))
    span = (f"民國{year_range[0]}年" if year_range[0] == year_range[1]
            else f"民國{year_range[0]}年至{year_range[1]}年") if year_range else ""

    def footer(canvas, _doc):
        ts.draw(canvas, f"{REGISTRY_TITLE}　{span}　{edition}", margin, 1.2 * cm, size[0] / 2, "small")
        ts.draw(canvas, f"第 {canvas.getPageNumber()} 頁", size[0] / 2, 1.2 * cm, size[0] / 2 - margin,
                ts.style("small", alignment=TA_RIGHT))

    doc = page_document(buffer, ts, f"{REGISTRY_TITLE} {span} {edition}", margin=margin,
                        pagesize=size, on_page=footer)
    width = size[0] - 2 * margin
    headings = ["姓名", "職稱", "服務機關", "縣市", "年度", "發表案例", "領域"]
    widths = [2.2 * cm, 2.4 * cm, 4.2 * cm, 1.8 * cm, 1.9 * cm, 0.0, 2.8 * cm]
    if with_contacts:
        headings.append("聯絡方式")
        widths.append(4.0 * cm)
    widths[5] = width - sum(widths)
    rows = [[ts.para(h, "cell_head") for h in headings]]
    for e in entries:
        cases = "\n".join(f"{y}年〈{title}〉（{award}）" for y, title, award in sorted(e.cases))
        row = [e.name, e.title, e.agency, e.county, _years(e.years), cases, "、".join(e.fields)]
        if with_contacts:
            row.append(e.contacts or "")
        rows.append([ts.para(text, "cell") for text in row])
    if not entries:
        rows.append([ts.para("（尚無資料）", ts.style("cell", textColor=MUTED))] + [""] * (len(headings) - 1))
    table = ts.table(rows, widths, [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, TINT]),
                                    ("GRID", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")],
                     repeat_rows=1)
    story = [ts.para(REGISTRY_TITLE, ts.style("h1", alignment=TA_CENTER, spaceAfter=2)),
             ts.para(f"{span}標竿案例發表人　{edition}", ts.style("plain", alignment=TA_CENTER,
                                                              textColor=MUTED))]
    if filters:
        story.append(ts.para(f"篩選條件：{filters}", ts.style("plain", alignment=TA_CENTER,
                                                          textColor=MUTED)))
    story += [Spacer(1, 0.4 * cm), table]
    doc.build(story)
    return buffer.getvalue()
