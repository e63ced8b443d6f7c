"""The annual anthology (標竿案例彙編) as a PDF, from plain data.

:class:`Anthology` holds one year's book — forum name, ROC year, preface and the cases in print
order — and :class:`AnthologyCase` one case's refined write-up (both plain data, defined and filled
from the database in :mod:`kb.anthology`, which also keeps the built book). Bytes out, no database
here: :func:`build_anthology` sets the book on A4: a cover, the preface, a table of contents with
page numbers (laid out once: each number is a form filled in when the book is saved, once every
case's page is known — the contents' length never depends on them), then each case on a new page in
one layout — award, region, county and category over the title; agency and owner; summary;
sections; the KPI table; photos with captions. Every page but the cover carries a running header
(year, current case title) and its page number; the PDF outline goes region → case.

Photos are scaled to fit their box and, when larger than :data:`PHOTO_DPI` needs, re-encoded
smaller (EXIF orientation applied), which keeps a 30-case year well under 10 MB.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, Image, NextPageTemplate, PageBreak,
                                PageTemplate, Spacer, Table)

from exports import pdf as pdf_module
from exports.pdf import ACCENT, MUTED, RULE, TINT, Typesetter, find_cjk_font
# plain values only: the book's dataclasses and the one ROC-year helper (kb/anthology.py fills
# the book from the database)
from kb.anthology import Anthology, AnthologyCase, Value
from kb.rocdate import ad_year, roc_year

PHOTO_DPI = 200  # print resolution photos are reduced to
JPEG_QUALITY = 85
EXIF_ORIENTATION = 0x0112
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 2.2 * cm
MARGIN_TOP = 2.4 * cm
MARGIN_BOTTOM = 2.2 * cm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
PAIR_BOX = ((FRAME_WIDTH - 0.6 * cm) / 2, 6.5 * cm)  # a photo beside another
SINGLE_BOX = (FRAME_WIDTH * 0.75, 9 * cm)            # a photo alone on its row
BOOK_NAME = "標竿案例彙編"
PREFACE = "序"
CONTENTS = "目次"

@dataclass
class AnthologyResult:
    """The PDF, warnings for the person who asked for it (zh-TW), and the characters the font
    lacks (printed as 〓)."""

    pdf: bytes
    warnings: list[str]
    missing: set[str]


@dataclass
class _Photo:
    data: bytes
    width: float  # display size, points
    height: float
    caption: str


@dataclass
class _Pass:
    """What the build learns: the page of each bookmark, the running title, and the page
    numbers the contents refer to (filled in at the end)."""

    pages: dict[str, int] = field(default_factory=dict)
    title: str = ""
    numbers: list[_PageNumber] = field(default_factory=list)

    def fill_numbers(self, canvas) -> None:
        """Define each referenced page number's form, now that every page is known."""
        for number in self.numbers:
            canvas.beginForm(number.form, 0, 0, number.width, number.height)
            number.ts.draw(canvas, str(self.pages.get(number.key, "")), 0, number.height,
                           number.width, number.style)
            canvas.endForm()


class _PageNumber(Flowable):
    """The page a part starts on, in the contents: a reference to a form that
    :meth:`_Pass.fill_numbers` defines once that page is known."""

    def __init__(self, state: _Pass, key: str, ts: Typesetter, style):
        super().__init__()
        self.key, self.ts, self.style, self.form = key, ts, style, f"page-{key}"
        state.numbers.append(self)

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = self.ts.para("0", self.style).wrap(availWidth, availHeight)[1]
        return self.width, self.height

    def draw(self):
        self.canv.doForm(self.form)


class _Mark(Flowable):
    """Zero-size flowable at the top of a part: records its page under ``key``, bookmarks it,
    adds the outline entries (title, level) and sets the running title."""

    def __init__(self, state: _Pass, key: str, outline: list[tuple[str, int]], title: str):
        super().__init__()
        self.state, self.key, self.outline, self.title = state, key, outline, title

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        self.state.pages[self.key] = self.canv.getPageNumber()
        self.state.title = self.title
        for n, (text, level) in enumerate(self.outline):
            destination = f"{self.key}.{n}"  # ReportLab keys outline entries by destination
            self.canv.bookmarkPage(destination)
            self.canv.addOutlineEntry(text, destination, level)


def build_anthology(book: Anthology, *, font: str | None = None) -> AnthologyResult:
    """Typeset ``book`` as an A4 PDF; ``font`` is a font setting for :func:`find_cjk_font`.

    Unreadable photos are left out with a warning; characters the font lacks print as 〓 and
    are listed in the result.
    """
    choice = find_cjk_font(font)
    warnings: list[str] = []
    photos = [_prepare_photos(case, warnings) for case in book.cases]
    ts = Typesetter(choice)
    pdf = _render(book, photos, ts, _Pass())
    return AnthologyResult(pdf, ts.warnings() + warnings, set(ts.missing))


def _render(book: Anthology, photos: list[list[_Photo]], ts: Typesetter, state: _Pass) -> bytes:
    buffer = BytesIO()
    title = f"{roc_year(book.year)} {BOOK_NAME}"
    doc = BaseDocTemplate(buffer, pagesize=A4, title=f"{book.forum_name} {title}",
                          author=book.forum_name, subject=BOOK_NAME, creator="forum-kb",
                          initialFontName=ts.font.name)  # no unused Helvetica in the file
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def cover_page(canvas, _doc):
        canvas.showOutline()
        canvas.setFillColor(TINT)
        canvas.rect(0, PAGE_HEIGHT * 0.42, PAGE_WIDTH, PAGE_HEIGHT * 0.3, stroke=0, fill=1)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(2)
        canvas.line(MARGIN_X, PAGE_HEIGHT * 0.42, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT * 0.42)

    def body_page(canvas, _doc):
        half = FRAME_WIDTH / 2 - 0.3 * cm
        top = PAGE_HEIGHT - 1.2 * cm
        ts.draw(canvas, title, MARGIN_X, top, half, "small")
        ts.draw(canvas, ts.fit(state.title, half, 8.5), PAGE_WIDTH - MARGIN_X - half, top, half,
                ts.style("small", alignment=TA_RIGHT))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, top - 0.55 * cm, PAGE_WIDTH - MARGIN_X, top - 0.55 * cm)
        ts.draw(canvas, str(canvas.getPageNumber()), MARGIN_X, 1.5 * cm, FRAME_WIDTH,
                ts.style("small", alignment=TA_CENTER))

    doc.addPageTemplates([PageTemplate("cover", [frame], onPage=cover_page),
                          PageTemplate("body", [frame], onPageEnd=body_page)])
    class BookCanvas(Canvas):
        def save(self):
            state.fill_numbers(self)
            super().save()

    doc.build(_story(book, photos, ts, state), canvasmaker=BookCanvas)
    return buffer.getvalue()


def _regions(book: Anthology) -> list[tuple[str, list[int]]]:
    """Regions in order of first appearance, each with the indexes of its cases."""
    order: dict[str, list[int]] = {}
    for i, case in enumerate(book.cases):
        order.setdefault(case.region, []).append(i)
    return list(order.items())


def _story(book, photos, ts: Typesetter, state: _Pass) -> list:
    story = _cover(book, ts)
    story.append(NextPageTemplate("body"))
    if book.preface.strip():
        story += [PageBreak(), _Mark(state, "preface", [(PREFACE, 0)], PREFACE),
                  ts.para(PREFACE, ts.style("h1", alignment=TA_CENTER)), *ts.paras(book.preface)]
    story += [PageBreak(), _Mark(state, "contents", [(CONTENTS, 0)], CONTENTS),
              ts.para(CONTENTS, ts.style("h1", alignment=TA_CENTER)), _contents(book, state, ts)]
    for region, indexes in _regions(book):
        for n, i in enumerate(indexes):
            case = book.cases[i]
            outline = ([(region, 0)] if n == 0 else []) + [(case.title, 1)]
            story += [PageBreak(), _Mark(state, f"case{i}", outline, case.title),
                      *_case(case, photos[i], ts)]
    return story


def _cover(book: Anthology, ts: Typesetter) -> list:
    def centred(size, leading, color=None):
        return ts.style("title", fontSize=size, leading=leading, alignment=TA_CENTER,
                        textColor=color or ts.styles["title"].textColor, spaceAfter=0)

    return [Spacer(1, 6.2 * cm),
            ts.para(book.forum_name, centred(22, 32, ACCENT)),
            Spacer(1, 1.2 * cm),
            ts.para(f"{roc_year(book.year)}", centred(26, 38)),
            ts.para(BOOK_NAME, centred(40, 58)),
            Spacer(1, 0.6 * cm),
            ts.para(f"西元{ad_year(book.year)}年", centred(12, 18, MUTED))]


def _contents(book: Anthology, state: _Pass, ts: Typesetter) -> Table:
    number = ts.style("cell", alignment=TA_RIGHT)
    rows = [[ts.para("案例名稱", "cell_head"), ts.para("縣市・獎項", "cell_head"),
             ts.para("頁次", "cell_head")]]
    style = [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE)]
    for region, indexes in _regions(book):
        style += [("SPAN", (0, len(rows)), (-1, len(rows))), ("BACKGROUND", (0, len(rows)), (-1, len(rows)), TINT)]
        rows.append([ts.para(region, ts.style("cell", textColor=ACCENT)), "", ""])
        for i in indexes:
            case = book.cases[i]
            rows.append([ts.para(case.title, "cell"), ts.para(f"{case.county}・{case.award}", "cell"),
                         _PageNumber(state, f"case{i}", ts, number)])
    return ts.table(rows, [FRAME_WIDTH - 5.6 * cm, 4 * cm, 1.6 * cm], style, repeat_rows=1)


def _case(case: AnthologyCase, photos: list[_Photo], ts: Typesetter) -> list:
    flow = [ts.para(f"{case.award}｜{case.region}｜{case.county}｜{case.category}", "subtitle"),
            ts.para(case.title, "title"), _facts(case, ts), Spacer(1, 0.4 * cm)]
    if case.summary.strip():
        flow += [ts.para("摘要", "h2"),
                 *ts.paras(case.summary, ts.style("body", backColor=TINT, borderPadding=(6, 8),
                                                  leftIndent=8, rightIndent=8, spaceAfter=10))]
    for heading, text in case.sections:
        if text.strip():
            flow += [ts.para(heading, "h2"), *ts.paras(text)]
    if case.kpis:
        flow += [ts.para("關鍵績效指標", "h2"), _kpi_table(case.kpis, ts)]
    if photos:
        flow += [ts.para("照片", "h2"), _photo_grid(photos, ts)]
    return flow


def _facts(case: AnthologyCase, ts: Typesetter) -> Table:
    owner = "　".join(x for x in (case.owner_name.strip(), case.owner_title.strip()) if x) or "—"

    def label(text):
        return ts.para(text, "label")

    rows = [[label("獎項"), ts.para(case.award, "cell"), label("分區"), ts.para(case.region, "cell")],
            [label("縣市"), ts.para(case.county, "cell"), label("類別"), ts.para(case.category, "cell")],
            [label("機關"), ts.para(case.agency, "cell"), "", ""],
            [label("案例負責人"), ts.para(owner, "cell"), "", ""]]
    value = (FRAME_WIDTH - 4.4 * cm) / 2
    return ts.table(rows, [2.2 * cm, value, 2.2 * cm, value],
                    [("SPAN", (1, 2), (3, 2)), ("SPAN", (1, 3), (3, 3)),
                     ("LINEABOVE", (0, 0), (-1, 0), 1, ACCENT), ("LINEBELOW", (0, -1), (-1, -1), 1, ACCENT),
                     ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])


def _value(value: Value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float, Decimal)):
        return f"{value:,}"
    return str(value)


def _kpi_table(kpis, ts: Typesetter) -> Table:
    number = ts.style("cell", alignment=TA_RIGHT)
    rows = [[ts.para(h, "cell_head") for h in ("指標", "推動前", "推動後", "單位")]]
    rows += [[ts.para(str(indicator), "cell"), ts.para(_value(before), number),
              ts.para(_value(after), number), ts.para(unit or "", "cell_center")]
             for indicator, before, after, unit in kpis]
    return ts.table(rows, [FRAME_WIDTH * 0.46, FRAME_WIDTH * 0.2, FRAME_WIDTH * 0.2, FRAME_WIDTH * 0.14],
                    [("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                     ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, TINT]),
                     ("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
                    repeat_rows=1)


def _photo_grid(photos: list[_Photo], ts: Typesetter) -> Table:
    def cell(photo):
        return [Image(BytesIO(photo.data), width=photo.width, height=photo.height),
                Spacer(1, 3), ts.para(photo.caption, "caption")]

    rows, style = [], [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]
    for start in range(0, len(photos), 2):
        pair = photos[start:start + 2]
        if len(pair) == 2:
            rows.append([cell(pair[0]), cell(pair[1])])
        else:
            style.append(("SPAN", (0, len(rows)), (1, len(rows))))
            rows.append([cell(pair[0]), ""])
    return ts.table(rows, [FRAME_WIDTH / 2] * 2, style)


def _prepare_photos(case: AnthologyCase, warnings: list[str]) -> list[_Photo]:
    """Each readable photo of ``case`` sized for its box, re-encoded when it is needlessly big,
    rotated or in a form a PDF does not carry as is (CMYK, GIF...)."""
    readable = []
    for n, (data, caption) in enumerate(case.photos, 1):
        try:
            with PILImage.open(BytesIO(data)) as image:
                image.load()
                as_is = (image.format in ("JPEG", "PNG") and image.mode in ("RGB", "L", "RGBA", "LA")
                         and image.getexif().get(EXIF_ORIENTATION, 1) == 1)
                readable.append((data, caption, ImageOps.exif_transpose(image), as_is))
        except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError):
            warnings.append(f"〈{case.title}〉第{n}張照片無法讀取，已略過")
    photos = []
    for k, (data, caption, image, as_is) in enumerate(readable):
        alone = k == len(readable) - 1 and len(readable) % 2 == 1
        box = SINGLE_BOX if alone else PAIR_BOX
        scale = min(box[0] / image.width, box[1] / image.height)
        width, height = image.width * scale, image.height * scale
        pixels = (round(width / 72 * PHOTO_DPI), round(height / 72 * PHOTO_DPI))
        if not (as_is and image.width <= pixels[0] * 1.2):
            data = _jpeg(image, pixels)
        photos.append(_Photo(data, width, height, caption))
    return photos


def _jpeg(image: PILImage.Image, pixels: tuple[int, int]) -> bytes:
    """``image`` on white, reduced to ``pixels`` if larger, as a JPEG."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        flat = PILImage.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image = image.convert("RGB")
    if image.width > pixels[0]:
        image = image.resize(pixels, PILImage.LANCZOS)
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def build_case_object(case: AnthologyCase, *, forum_name: str, year: int, citation: str,
                      font: str | None = None) -> AnthologyResult:
    """One case as its own PDF (the digital object): the anthology's case layout, a running
    header (forum, year), and the citation line and page number at the foot of every page."""
    ts = Typesetter(find_cjk_font(font))
    warnings: list[str] = []
    photos = _prepare_photos(case, warnings)
    buffer = BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=f"{case.title}（{roc_year(year)}{forum_name}）",
                          author=forum_name, subject=case.award, creator="forum-kb",
                          initialFontName=ts.font.name)
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def page(canvas, _doc):
        top = PAGE_HEIGHT - 1.2 * cm
        ts.draw(canvas, f"{roc_year(year)}{forum_name}・{case.award}", MARGIN_X, top, FRAME_WIDTH)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, top - 0.55 * cm, PAGE_WIDTH - MARGIN_X, top - 0.55 * cm)
        ts.draw(canvas, f"引用：{citation}　第 {canvas.getPageNumber()} 頁", MARGIN_X, 1.8 * cm,
                FRAME_WIDTH)

    doc.addPageTemplates([PageTemplate("case", [frame], onPageEnd=page)])
    doc.build(_case(case, photos, ts))
    return AnthologyResult(buffer.getvalue(), ts.warnings() + warnings, set(ts.missing))


# The typesetting code, so a cached book is rebuilt when the layout changes.
_LAYOUT = hashlib.sha256(Path(__file__).read_bytes()
                        + Path(pdf_module.__file__).read_bytes()).hexdigest()


def book_stamp(book: Anthology, font: str | None = None) -> str:
    """A digest of everything that decides the PDF: the book's text, key figures and photos,
    the font the build would use, and the layout code. Equal stamps, equal books."""
    digest = hashlib.sha256(f"{_LAYOUT}|{find_cjk_font(font)!r}|{book.forum_name}|{book.year}|"
                            f"{book.preface}".encode())
    for case in book.cases:
        photos = [(hashlib.sha256(data).hexdigest(), caption) for data, caption in case.photos]
        digest.update(repr(replace(case, photos=photos)).encode())
    return digest.hexdigest()[:24]
