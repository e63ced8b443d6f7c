"""The 評分總表 (selection record) as PDF and xlsx, from :class:`kb.minutes.MinutesRecord`.

- :func:`build_minutes_pdf`: landscape A4, one page group per session (the whole screening, or
  one region), each numbered 「第 x 頁，共 y 頁」 on its own: the stage, date and venue, the
  method, the table (rank, case, county, each judge's total or rank, the stage score, on site
  the preliminary 書面篩選 score and the final score, outcome and reason), the marked differences with their handling, staff
  overrides, and a signature line per attending judge and for staff.
- :func:`build_minutes_workbook`: the same, one sheet per session.
- :func:`build_code_key_pdf`: the key of judge codes, printed apart for the file.
"""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from exports.pdf import ACCENT, RULE, TINT, Typesetter, find_cjk_font, page_document
from kb.minutes import MinutesRecord, MinutesSession
from kb.rocdate import roc_year

MARGIN = 1.5 * cm
WHOLE_STAGE = "全部案例"
NO_DIFFERENCES = "經檢視，各委員評分無明顯差異。"
STAFF_SIGNATURES = ("承辦人", "單位主管")
ABSENT = "（缺席）"
MAX_JUDGE_COLUMNS = 8  # more judges than this print as one column of lines
JUDGE_WIDTH, COMPACT_WIDTH = 1.5 * cm, 3.2 * cm


def _title(record: MinutesRecord, session: MinutesSession) -> str:
    where = f"（{session.region}）" if session.region else ""
    return f"{record.forum_name}　{roc_year(record.year)}{record.stage_name}評分總表{where}"


def _session_facts(session: MinutesSession) -> list[str]:
    absent = [judge.label for judge in session.judges if not judge.present]
    return [f"日期：{session.held_on or '未填'}　地點：{session.venue or '未填'}",
            "出席委員：" + ("、".join(j.label for j in session.attending) or "無")
            + ("　缺席委員：" + "、".join(absent) if absent else "")]


def _headers(record: MinutesRecord, session: MinutesSession) -> list[str]:
    judges = [judge.label + ("" if judge.present else ABSENT) for judge in session.judges]
    ranked = any(row.rank_sum is not None for row in session.rows)
    return ["名次", "案例編號", "案例名稱", "縣市", *judges,
            f"階段成績（{record.method_name}）", *(("序位和", "序位平均") if ranked else ()),
            *(("書面篩選成績", "總成績") if record.stage_key == "onsite" else ()), "結果", "說明"]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _rows(record: MinutesRecord, session: MinutesSession) -> list[list]:
    """The table's body as values: numbers stay numbers (the workbook keeps them so)."""
    ranked = any(row.rank_sum is not None for row in session.rows)
    body = []
    for row in session.rows:
        body.append([row.rank, row.case_id, row.title, row.county,
                     *(row.marks.get(judge.login) for judge in session.judges),
                     None if row.score is None else round(row.score, 2),
                     *((row.rank_sum, None if row.mean_rank is None else round(row.mean_rank, 2))
                       if ranked else ()),
                     *((row.preliminary, row.final) if record.stage_key == "onsite" else ()),
                     row.outcome, row.reason])
    return body


def _difference_lines(session: MinutesSession) -> list[str]:
    if not session.differences:
        return [NO_DIFFERENCES]
    return [f"{n}. {d.text}；處置方式：{d.handling or '（未記錄）'}" + (f"（{d.note}）" if d.note else "")
            for n, d in enumerate(session.differences, start=1)]


# --- PDF --------------------------------------------------------------------------------------

class _GroupStart(Flowable):
    """Marks where a session's page group begins (the page numbers count within a group)."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.page_group = self.group


def _numbered_canvas(ts: Typesetter):
    """A canvas class that, once every page is laid out, writes 「第 x 頁，共 y 頁」 counted
    within each page group."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.page_group = 0
            self.pages: list[dict] = []

        def showPage(self):
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            counts: dict[int, int] = {}
            for state in self.pages:
                counts[state["page_group"]] = counts.get(state["page_group"], 0) + 1
            seen: dict[int, int] = {}
            for state in self.pages:
                group = state["page_group"]
                seen[group] = seen.get(group, 0) + 1
                self.__dict__.update(state)
                width, _ = self._pagesize
                self.setFont(ts.font.name, 9)
                self.drawCentredString(width / 2, MARGIN / 2,
                                       ts.plain(f"第 {seen[group]} 頁，共 {counts[group]} 頁"))
                super().showPage()
            super().save()

    return NumberedCanvas


def _session_story(ts: Typesetter, record: MinutesRecord, session: MinutesSession,
                   width: float) -> list:
    story = [ts.para(_title(record, session), ts.style("title", fontSize=15, leading=22,
                                                       alignment=TA_CENTER)),
             *(ts.para(line, "plain") for line in _session_facts(session)),
             ts.para(f"階段成績彙整方式：{record.method_name}。{record.method_text}", "small"),
             Spacer(1, 0.25 * cm)]
    headers, body = _headers(record, session), _rows(record, session)
    judges, judge_width = len(session.judges), JUDGE_WIDTH
    if judges > MAX_JUDGE_COLUMNS:  # one column of 「委員A 85」 lines instead of a wide matrix
        headers = [*headers[:4], f"各委員{record.marks_label}", *headers[4 + judges:]]
        body = [[*values[:4], "\n".join(f"{judge.label} {_number(row.marks[judge.login])}"
                                        for judge in session.judges if judge.login in row.marks),
                 *values[4 + judges:]] for values, row in zip(body, session.rows)]
        judges, judge_width = 1, COMPACT_WIDTH
    extra = len(headers) - 6 - judges  # the score columns after the judges
    fixed = [1.1 * cm, 1.5 * cm, None, 1.6 * cm, *([judge_width] * judges), *([1.9 * cm] * extra),
             2.2 * cm, None]
    free = width - sum(w for w in fixed if w)
    widths = [w or free / 2 for w in fixed]
    cells = [[ts.para(h, "cell_head") for h in headers]]
    for values in body:
        cells.append([ts.para(_number(v) if not isinstance(v, str) else v,
                              "cell" if i in (2, len(values) - 1) else "cell_center")
                      for i, v in enumerate(values)])
    story.append(ts.table(cells, widths, [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), ["white", TINT]),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
        repeat_rows=1))
    story += [Spacer(1, 0.3 * cm), ts.para("評分差異檢視", "h2"),
              ts.para(record.difference_rule, "small"),
              *(ts.para(line, "plain") for line in _difference_lines(session))]
    if session.overrides:
        story += [ts.para("主辦機關調整", "h2"), *(ts.para(line, "plain") for line in session.overrides)]
    signers = [judge.label for judge in session.attending]
    lines = [[ts.para(f"{label}：", "plain"), ts.para("", "plain")]
             for label in [*signers, *STAFF_SIGNATURES]]
    signatures = ts.table(lines, [4 * cm, 8 * cm], [
        ("LINEBELOW", (1, 0), (1, -1), 0.6, RULE), ("TOPPADDING", (0, 0), (-1, -1), 12)])
    signatures.hAlign = "LEFT"
    story.append(KeepTogether([ts.para("出席委員簽名（或蓋章）", "h2"), signatures]))
    return story


def build_minutes_pdf(record: MinutesRecord, *, font: str | None = None) -> bytes:
    """The record as a PDF (CJK font embedded as a subset), one page group per session."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    doc = page_document(buffer, ts, f"{roc_year(record.year)}{record.stage_name}評分總表",
                        margin=MARGIN, pagesize=landscape(A4))
    width = landscape(A4)[0] - 2 * MARGIN
    story: list = []
    for group, session in enumerate(record.sessions):
        if group:
            story.append(PageBreak())
        story += [_GroupStart(group), *_session_story(ts, record, session, width)]
    doc.build(story, canvasmaker=_numbered_canvas(ts))
    return buffer.getvalue()


def build_code_key_pdf(year: int, stage_name: str, key: list[tuple[str, str, str]], *,
                       font: str | None = None) -> bytes:
    """The key of judge codes (代號, name, account) on its own pages, for the file only."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    doc = page_document(buffer, ts, f"{roc_year(year)}{stage_name}評審委員代號對照表",
                        margin=MARGIN, pagesize=landscape(A4))
    rows = [[ts.para(h, "cell_head") for h in ("代號", "姓名", "帳號")]]
    rows += [[ts.para(text, "cell_center") for text in item] for item in key]
    doc.build([ts.para(f"{roc_year(year)}{stage_name}評審委員代號對照表（限存檔，不對外公開）", "h1"),
               ts.table(rows, [4 * cm, 6 * cm, 6 * cm],
                        [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                         ("GRID", (0, 0), (-1, -1), 0.4, RULE)], repeat_rows=1)],
              canvasmaker=_numbered_canvas(ts))
    return buffer.getvalue()


# --- xlsx -------------------------------------------------------------------------------------

def _append(sheet, values: list) -> None:
    """Append a row; text is always text, never a formula."""
    sheet.append(values)
    if values:
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def build_minutes_workbook(record: MinutesRecord) -> bytes:
    """The record as an xlsx workbook, one sheet per session, numbers as numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for session in record.sessions:
        sheet = workbook.create_sheet(session.region or WHOLE_STAGE)
        _append(sheet, [_title(record, session)])
        sheet["A1"].font = Font(bold=True, size=14)
        for line in _session_facts(session):
            _append(sheet, [line])
        _append(sheet, [f"階段成績彙整方式：{record.method_name}。{record.method_text}"])
        _append(sheet, [])
        _append(sheet, _headers(record, session))
        for cell in sheet[sheet.max_row]:
            cell.font, cell.alignment = bold, Alignment(wrap_text=True, horizontal="center")
        for values in _rows(record, session):
            _append(sheet, values)
        _append(sheet, [])
        _append(sheet, ["評分差異檢視"])
        _append(sheet, [record.difference_rule])
        for line in _difference_lines(session):
            _append(sheet, [line])
        if session.overrides:
            _append(sheet, ["主辦機關調整"])
            for line in session.overrides:
                _append(sheet, [line])
        _append(sheet, [])
        _append(sheet, ["出席委員簽名（或蓋章）"])
        for label in [*(judge.label for judge in session.attending), *STAFF_SIGNATURES]:
            _append(sheet, [f"{label}：", "＿＿＿＿＿＿＿＿＿＿"])
        sheet.column_dimensions["C"].width = 30
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.oddFooter.center.text = "第 &P 頁，共 &N 頁"
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()
