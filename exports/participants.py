"""Participants' files: the Excel list a county fills in and uploads, the staff list, the
sign-in sheet (簽到表) and name cards (名牌) as PDF. Plain data in, bytes out (and back)."""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle

from exports.case_workbook import read_sheet
from exports.pdf import ACCENT, RULE, TINT, Typesetter, find_cjk_font, page_document
from exports.safe_write import workbook_bytes
from kb.errors import ValidationError
from kb.participants import MEALS, AttendanceMark, ParticipantInput
from kb.rocdate import roc_year

SHEET = "報名名單"
COLUMNS = (("name", "姓名"), ("agency", "服務機關"), ("title", "職稱"), ("email", "電子郵件"),
           ("meal", "用餐"))
MAX_ROWS = 500


@dataclass
class Attendee:
    """One row of a printout: county, name, agency, title."""

    county: str
    name: str
    agency: str
    title: str


def participant_template(year: int, county: str, region: str) -> bytes:
    """The empty list a county contact fills in: one person a row, 用餐 from a drop-down."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    meals = DataValidation(type="list", formula1='"' + ",".join(MEALS) + '"', allow_blank=True)
    sheet.add_data_validation(meals)
    meals.add(f"E2:E{MAX_ROWS + 1}")
    for column, width in zip("ABCDE", (14, 30, 16, 28, 10)):
        sheet.column_dimensions[column].width = width
    help_sheet = book.create_sheet("填寫說明")
    for line in (f"{roc_year(year)}{region}成果分享報名：{county}",
                 "一列一位，姓名與服務機關必填；用餐請選 葷食、素食 或 不用餐（空白為葷食）。",
                 f"最多 {MAX_ROWS} 位。填好後由報名頁面上傳；同一人（姓名與服務機關相同）再上傳會更新資料，不會重複報名。",
                 "全部資料正確才會報名；有錯誤時會列出儲存格位置，請修正後再上傳。"):
        help_sheet.append([line])
    return workbook_bytes(book)


def read_participant_list(data: bytes) -> list[ParticipantInput]:
    """The people of an uploaded list, each with its row; ValidationError naming every
    problem's cell (nothing is registered then)."""
    content = read_sheet(data, SHEET)
    if not content.rows:
        raise ValidationError("檔案沒有任何資料")
    header_number, header = content.rows[0]
    labels = [str(v or "").strip() for v in header]
    columns = {name: labels.index(label) for name, label in COLUMNS if label in labels}
    missing = [label for name, label in COLUMNS[:2] if name not in columns]
    if missing:
        raise ValidationError(f"工作表「{content.title}」第 {header_number} 列缺少欄位："
                              + "、".join(missing))
    rows = content.rows[1:]
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"一次最多上傳 {MAX_ROWS} 位（檔案有 {len(rows)} 列）")
    people = []
    for number, values in rows:
        cell = {name: ("" if index >= len(values) or values[index] is None else str(values[index]))
                for name, index in columns.items()}
        people.append(ParticipantInput(where=f"工作表「{content.title}」第 {number} 列", **cell))
    return people


PRESENT = {"已報到", "是", "出席", "v", "V", "ˇ", "✓", "○", "1"}


def read_attendance(data: bytes) -> list[AttendanceMark]:
    """The marks of a participant list (as :func:`participant_list_workbook` wrote it) with its
    「報到」 column filled in: 已報到、是、出席、V、✓、○ or 1 mean present, empty means absent."""
    content = read_sheet(data, SHEET)
    if not content.rows:
        raise ValidationError("檔案沒有任何資料")
    header_number, header = content.rows[0]
    labels = [str(v or "").strip() for v in header]
    missing = [label for label in ("姓名", "服務機關", "報到") if label not in labels]
    if missing:
        raise ValidationError(f"工作表「{content.title}」第 {header_number} 列缺少欄位："
                              + "、".join(missing))
    name, agency, mark = (labels.index(label) for label in ("姓名", "服務機關", "報到"))

    def cell(values, index):
        return "" if index >= len(values) or values[index] is None else str(values[index]).strip()
    return [AttendanceMark(cell(values, name), cell(values, agency),
                           cell(values, mark) in PRESENT, f"工作表「{content.title}」第 {number} 列")
            for number, values in content.rows[1:]]


def participant_list_workbook(rows: list[dict]) -> bytes:
    """The staff list: region, county, name, agency, title, e-mail, meal, status, attended."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    headers = ("分區", "縣市", "姓名", "服務機關", "職稱", "電子郵件", "用餐", "狀態", "報到")
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row["region"], row["county"], row["name"], row["agency"], row["title"],
                      row["email"], row["meal"], row["status"], "已報到" if row["attended"] else ""])
    return workbook_bytes(book)


def sign_in_sheet(title: str, people: list[Attendee], *, font: str | None = None) -> bytes:
    """The sign-in sheet: a row per person, by county, with a signature column."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    margin = 1.6 * cm
    doc = page_document(buffer, ts, title, margin=margin)
    width = A4[0] - 2 * margin
    rows = [[ts.para(h, "cell_head") for h in ("編號", "縣市", "姓名", "服務機關／職稱", "簽名")]]
    rows += [[ts.para(str(n), "cell_center"), ts.para(p.county, "cell"), ts.para(p.name, "cell"),
              ts.para(f"{p.agency}\n{p.title}" if p.title else p.agency, "cell"), ""]
             for n, p in enumerate(people, start=1)]
    table = ts.table(rows, [1.2 * cm, 2.2 * cm, 2.8 * cm, width - 10.2 * cm, 4 * cm],
                     [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                      ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, TINT]),
                      ("GRID", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                      ("TOPPADDING", (0, 1), (-1, -1), 8), ("BOTTOMPADDING", (0, 1), (-1, -1), 8)],
                     repeat_rows=1)
    doc.build([ts.para(title, ts.style("title", alignment=TA_CENTER)),
               ts.para(f"共 {len(people)} 位", ts.style("plain", alignment=TA_CENTER)), table])
    return buffer.getvalue()


def name_cards(title: str, people: list[Attendee], *, font: str | None = None) -> bytes:
    """Name cards, eight to an A4 page (2 × 4): name large, agency and title below."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    margin = 1.2 * cm
    doc = page_document(buffer, ts, title, margin=margin)
    card_w, card_h = (A4[0] - 2 * margin) / 2, (A4[1] - 2 * margin) / 4
    name = ts.style("title", fontSize=26, leading=34, alignment=TA_CENTER)
    small = ts.style("plain", fontSize=12, leading=17, alignment=TA_CENTER)
    story = []
    for start in range(0, len(people), 8):
        page = people[start:start + 8]
        cells = [[ts.para(p.name, name), ts.para(p.agency, small),
                  ts.para(p.title, small), ts.para(title, ts.style("small", alignment=TA_CENTER))]
                 for p in page] + [""] * (8 - len(page))
        grid = Table([cells[i:i + 2] for i in range(0, 8, 2)], colWidths=[card_w] * 2,
                     rowHeights=[card_h] * 4)
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, RULE),
                                  ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story += [grid, PageBreak()]
    if not story:
        raise ValueError("沒有要製作名牌的人員")
    doc.build(story[:-1])
    return buffer.getvalue()


def attendance_certificates(forum_title: str, day_text: str, people: list[Attendee], *,
                            font: str | None = None) -> bytes:
    """A certificate of attendance (研習證明) per person, one A4 page each."""
    if not people:
        raise ValueError("沒有要製作研習證明的人員")
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    doc = page_document(buffer, ts, f"{forum_title} 研習證明", margin=3 * cm)
    heading = ts.style("title", fontSize=36, leading=48, alignment=TA_CENTER)
    body = ts.style("plain", fontSize=18, leading=36, firstLineIndent=36)
    when = ts.style("plain", fontSize=16, leading=24, alignment=TA_CENTER)
    story = []
    for person in people:
        story += [Spacer(1, 2 * cm), ts.para("研習證明", heading), Spacer(1, 2 * cm),
                  ts.para(f"{person.agency}{person.title}{person.name}於{day_text}參加"
                          f"{forum_title}，全程參與，特此證明。", body),
                  Spacer(1, 4 * cm), ts.para(day_text, when), PageBreak()]
    doc.build(story[:-1])
    return buffer.getvalue()
