"""The seed-speaker registry (種籽師資庫) as a file: an Excel workbook, or the PDF of
:func:`exports.programme.build_registry_pdf`.

:func:`build_registry_file` is the one entry point of the command line and the web page: it
takes the entries of :func:`kb.speakers.list_speakers` and the format (``pdf`` or ``xlsx``).
The public version carries no contact details at all: no column, no text; the staff version
adds telephone and e-mail.

:func:`build_registry_workbook` writes two sheets: 「種籽師資庫」, one row per person under a
frozen, filterable header row (name column frozen too), set up to print on landscape A4 one page
wide; and 「說明」: version, years, filters, count, date and what the registry holds.
"""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from exports.display_width import wrapped_lines
from exports.case_workbook import WRAPPED
from kb.rocdate import roc_date, roc_year
from exports.programme import REGISTRY_TITLE, RegistryEntry, build_registry_pdf
from exports.results_workbook import GUIDE_COLUMNS, LINE_HEIGHT, _write_header_row
from exports.score_workbook import _append_guide_row, _set_print_layout
from exports.safe_write import workbook_bytes
from kb.speakers import Contacts, Speaker


GUIDE_SHEET = "說明"
PUBLIC_COLUMNS = [("姓名", 10), ("職稱", 10), ("服務機關", 24), ("縣市", 8), ("年度", 12),
                  ("發表案例（年度、案例、獎項）", 60), ("領域", 16)]
CONTACT_COLUMNS = [("電話", 16), ("電子郵件", 28)]
EDITIONS = {False: ("公開版", "不含聯絡資料，可對外提供。"),
            True: ("內部版", "含電話與電子郵件，限承辦人員使用，請勿外流。")}
SCOPE = ("收錄曾發表已公布標竿案例的人員；一人多年度發表者合併為一筆（依姓名與服務機關比對，"
         "主辦機關可合併其他寫法）。「發表案例」列出其發表的全部已公布標竿案例與佳作，"
         "「領域」為這些案例的徵求類別，職稱與聯絡方式為最近一次發表時所填。")


def _case_line(year: int, title: str, award_label: str) -> str:
    """One presented case as the files print it: 「104年〈案例名稱〉（標竿案例）」."""
    return f"{year}年〈{title}〉（{award_label}）"


def _years(speaker: Speaker) -> str:
    return "、".join(str(year) for year in speaker.years)


def registry_entry(speaker: Speaker) -> RegistryEntry:
    """A speaker as the PDF prints it; the contacts only when the entry carries them."""
    contacts = None
    if speaker.contacts is not None:
        contacts = "\n".join(v for v in (speaker.contacts.phone, speaker.contacts.email) if v)
    return RegistryEntry(speaker.name, speaker.title, speaker.agency, speaker.county,
                         list(speaker.years),
                         [(case.year, case.title, case.award_label) for case in speaker.cases],
                         list(speaker.fields), contacts)


def _year_span(speakers: list[Speaker]) -> str:
    years = [year for speaker in speakers for year in speaker.years]
    if not years:
        return ""
    first, last = min(years), max(years)
    return f"{roc_year(first)}" if first == last else f"{roc_year(first)}至{last}年"


def _row_height(values: list[str], widths: list[int]) -> float:
    """Tall enough for the longest cell (a CJK character counts two), each line of a cell
    wrapping on its own (LibreOffice does not fit a wrapped row written without a height)."""
    lines = 1
    for value, width in zip(values, widths):
        lines = max(lines, wrapped_lines(str(value), width - 1))
    return LINE_HEIGHT * lines


def build_registry_workbook(speakers: list[Speaker], *, with_contacts: bool,
                            filters: str = "", today: date | None = None) -> bytes:
    """The registry as an .xlsx, one row per speaker in the order given; the contact columns
    only ``with_contacts``. ``filters`` (the filters in words) and ``today`` go in 「說明」."""
    columns = PUBLIC_COLUMNS + (CONTACT_COLUMNS if with_contacts else [])
    widths = [width for _, width in columns]
    edition, note = EDITIONS[with_contacts]
    span = _year_span(speakers)
    workbook = Workbook()
    workbook.properties.title = f"{REGISTRY_TITLE}（{edition}）"
    workbook.properties.creator = "forum-kb"
    sheet = workbook.active
    sheet.title = REGISTRY_TITLE
    _write_header_row(sheet, columns)
    sheet.freeze_panes = "B2"
    for speaker in speakers:
        values = [speaker.name, speaker.title, speaker.agency, speaker.county, _years(speaker),
                  "\n".join(_case_line(c.year, c.title, c.award_label) for c in speaker.cases),
                  "、".join(speaker.fields)]
        if with_contacts:
            contacts = speaker.contacts or Contacts()
            values += [contacts.phone, contacts.email]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.alignment = WRAPPED
        sheet.row_dimensions[sheet.max_row].height = _row_height(values, widths)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 2)}"
    _set_print_layout(sheet, f"{REGISTRY_TITLE}　{span}　{edition}")

    guide = workbook.create_sheet(GUIDE_SHEET)
    for letter, (_, width) in zip("ABC", GUIDE_COLUMNS):
        guide.column_dimensions[letter].width = width
    _write_header_row(guide, list(GUIDE_COLUMNS))
    for row in (("名稱", REGISTRY_TITLE, "標竿案例發表人名冊，供遴聘後續培訓課程講師參考。"),
                ("版本", edition, note),
                ("年度", span or "（無）", "名冊中人員發表案例的年度範圍。"),
                ("篩選條件", filters or "無", "產出時所選的條件；無條件即全部人員。"),
                ("人數", f"{len(speakers)} 位", "每位一列，依縣市（北到南）及姓名排列。"),
                ("產出日期", roc_date(today or date.today()), ""),
                ("收錄原則", "", SCOPE)):
        _append_guide_row(guide, list(row))
    _set_print_layout(guide, f"{REGISTRY_TITLE}　{GUIDE_SHEET}")
    return workbook_bytes(workbook)


def build_registry_file(speakers: list[Speaker], fmt: str, *, with_contacts: bool,
                        filters: str = "", font: str | None = None) -> bytes:
    """The registry of ``speakers`` as a ``pdf`` or ``xlsx`` file; contact details only
    ``with_contacts`` (and only if the entries carry them). ``font`` is the PDF's font setting
    (:func:`exports.pdf.find_cjk_font`)."""
    if fmt == "xlsx":
        return build_registry_workbook(speakers, with_contacts=with_contacts, filters=filters)
    return build_registry_pdf([registry_entry(speaker) for speaker in speakers],
                              with_contacts=with_contacts, filters=filters, font=font)
