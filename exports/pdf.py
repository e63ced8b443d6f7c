"""Shared PDF typesetting for Traditional Chinese: the font, paragraph styles, line breaking.

:func:`find_cjk_font` picks a TrueType CJK font — an explicit setting, else ``$FORUM_PDF_FONT``,
else the usual Debian locations (:data:`FONT_CANDIDATES`) — and registers it with ReportLab, which
embeds it as a subset. ReportLab's ``TTFont`` reads TrueType outlines only: a CFF font (the usual
Noto CJK ``.otf``/``.ttc``) is refused. With no usable font the build falls back to ReportLab's
built-in CID font MSung-Light (not embedded: the reader's viewer supplies the glyphs) and the
:class:`FontChoice` carries a warning for the caller to show.

:class:`Typesetter` turns plain text into paragraphs for one build: it escapes the text, puts
〓 in place of every character the font lacks and remembers them (:func:`missing_glyphs`), and
sets the text with :class:`CJKParagraph`, whose line breaking follows the rules of Chinese
typesetting: a line may break between any two ideographs, but never inside a run of Latin letters
or digits (:data:`KEEP_TOGETHER`: 1,234.5%, 13:30, SDGs), never before closing punctuation
(:data:`NO_LINE_START`: the character before it moves down with it), never after opening
punctuation (:data:`NO_LINE_END`), never inside —— or ……; and no line is wider than its frame
(nothing hangs into the margin). Only a run longer than a whole line is cut.
A punctuation mark the font lacks is set as an equivalent one (:data:`STAND_INS`).

Glyph coverage of a TrueType font is read from its cmap through ReportLab's own
``TTFontFile`` (fontTools is not needed).
"""
from __future__ import annotations

import functools
import os
import string
import struct
import unicodedata
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont, TTFontFile
from reportlab.lib.pagesizes import A4
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.paragraph import ParaLines, cjkU, makeCJKParaLine

FONT_ENV = "FORUM_PDF_FONT"
# Debian packages with TrueType outlines, best first: (path, preferred subfont name of a TTC).
FONT_CANDIDATES: tuple[tuple[str, str | None], ...] = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "UMingTW"),            # fonts-arphic-uming
    ("/usr/share/fonts/truetype/cwtex/cwming.ttf", None),                 # fonts-cwtex-ming
    ("/usr/share/fonts/truetype/arphic-bsmi00lp/bsmi00lp.ttf", None),     # fonts-arphic-bsmi00lp
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "UKaiTW"),              # fonts-arphic-ukai
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),             # fonts-wqy-microhei
)
CID_FONT = "MSung-Light"
# ReportLab 5.1 declares MSung-Light (collection Adobe-CNS1) with the GB encoding UniGB-UCS2-H,
# which viewers reject; the CNS one is right.
CID_ENCODING = "UniCNS-UCS2-H"
# Set for Latin letters and digits when the CJK font has none (DroidSansFallbackFull).
LATIN_FONT = "Helvetica"
# What reading a damaged or foreign file as a TrueType font raises.
UNREADABLE_FONT = (OSError, TTFError, struct.error, ValueError, IndexError, KeyError)
PLACEHOLDER = "〓"  # GETA MARK: the typesetter's sign for a character with no type
# Punctuation set with an equivalent mark when the font lacks it (cwTeX Ming has no ・,
# DroidSansFallback no 〈〉); not reported as missing.
STAND_INS = {"・": "‧·．", "‧": "・·．", "·": "・‧．", "〈": "《＜", "〉": "》＞"}
INSTALL_HINT = "請安裝 fonts-arphic-uming（或 fonts-cwtex-ming、fonts-droid-fallback），或以 FORUM_PDF_FONT 指定 TrueType 字型檔"

KEEP_TOGETHER = frozenset(string.ascii_letters + string.digits + ".,%:/-+#@_&'$°"
                          + "".join(chr(c) for c in range(0xFF10, 0xFF1A))    # ０-９
                          + "".join(chr(c) for c in range(0xFF21, 0xFF3B))    # Ａ-Ｚ
                          + "".join(chr(c) for c in range(0xFF41, 0xFF5B)))   # ａ-ｚ
NO_LINE_START = frozenset("，。、；：？！」』）〉》】〕］｝．…‧·％)]}!?;")
NO_LINE_END = frozenset("「『（〈《【〔［｛([{")
KEEP_DOUBLED = frozenset("—…")


@dataclass(frozen=True)
class FontChoice:
    """The font a build uses: a registered ReportLab font name and where it came from.

    ``embedded`` is False for the CID fallback, and ``warning`` then says why, in zh-TW, for the
    caller to show. ``latin`` names a second font for the characters the CJK font lacks but the
    Latin one has (DroidSansFallbackFull has no ASCII), or is None.
    """

    name: str
    path: str | None
    subfont_index: int = 0
    embedded: bool = True
    warning: str | None = None
    latin: str | None = None
    cmap: frozenset[int] | None = field(default=None, repr=False, compare=False)

    def covers(self, ch: str) -> bool:
        """Whether the main font has a glyph for the character ``ch``."""
        if self.cmap is None:  # the CID font: UCS-2, so nothing beyond the BMP
            return ord(ch) <= 0xFFFF
        return ord(ch) in self.cmap


_loaded: dict[tuple[str, int], FontChoice] = {}


def find_cjk_font(setting: str | None = None) -> FontChoice:
    """The CJK font for a PDF, registered with ReportLab.

    ``setting`` (else ``$FORUM_PDF_FONT``) is the path of a TrueType font file, a ``.ttc``
    optionally followed by ``#N`` for its N-th face. A setting that names no usable font gives
    the CID fallback with a warning saying what is wrong (it does not silently pick another
    font). With no setting, the first usable file of :data:`FONT_CANDIDATES` is taken (a TTC's
    Taiwan face by name), else the CID fallback with a warning.
    """
    explicit = setting or os.environ.get(FONT_ENV) or None
    if explicit:
        path, index = _parse_setting(explicit)
        try:
            return _load_truetype(path, index, None)
        except UNREADABLE_FONT as error:
            return _cid_fallback(f"無法使用指定的字型「{explicit}」（{_reason(path, error)}）")
    for path, preferred in FONT_CANDIDATES:
        if os.path.isfile(path):
            try:
                return _load_truetype(path, None, preferred)
            except UNREADABLE_FONT:
                continue
    return _cid_fallback("找不到可內嵌的 TrueType 中文字型")


def _parse_setting(setting: str) -> tuple[str, int | None]:
    path, sep, index = setting.rpartition("#")
    if sep and index.isdigit():
        return os.path.expanduser(path), int(index)
    return os.path.expanduser(setting), None


def _reason(path: str, error: Exception) -> str:
    if not os.path.exists(path):
        return "檔案不存在"
    if not os.path.isfile(path):
        return "不是檔案"
    if "postscript outlines" in str(error).lower():
        return "CFF/PostScript 外框字型，ReportLab 只能內嵌 TrueType 外框"
    return f"無法讀取為 TrueType 字型：{error}"


def _load_truetype(path: str, index: int | None, preferred: str | None) -> FontChoice:
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    if index is None:
        index = _pick_face(path, preferred)
    key = (os.path.realpath(path), index)
    if key not in _loaded:
        font = TTFont(f"CJK-{len(_loaded)}", path, subfontIndex=index)
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFontFamily(font.fontName, normal=font.fontName, bold=font.fontName,
                                      italic=font.fontName, boldItalic=font.fontName)
        cmap = frozenset(font.face.charToGlyph)
        latin = None if all(ord(c) in cmap for c in string.ascii_letters + string.digits) else LATIN_FONT
        _loaded[key] = FontChoice(font.fontName, path, index, True, None, latin, cmap)
    return _loaded[key]


def _pick_face(path: str, preferred: str | None) -> int:
    """Index of the face of a TrueType collection to use: by name, Taiwan first; 0 otherwise."""
    stat = os.stat(path)
    names = _face_names(os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    if preferred in names:
        return names.index(preferred)
    for i, name in enumerate(names):
        if name.endswith(("TW", "TC", "Hant")):
            return i
    return 0


@functools.lru_cache(maxsize=8)
def _face_names(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """The face names of a TrueType collection (empty for a single font), read once per file
    version: parsing a large collection takes a quarter of a second, and every PDF asks."""
    with open(path, "rb") as f:
        if f.read(4) != b"ttcf":
            return ()
    count = TTFontFile(path, charInfo=0).numSubfonts
    return tuple(TTFontFile(path, charInfo=0, subfontIndex=i).name.decode("latin-1")
                 for i in range(count))


def builtin_cjk_font() -> str:
    """The name of the PDF viewers' own Traditional Chinese font (:data:`CID_FONT`, not
    embedded: nothing to read, the glyphs are the viewer's), registered with ReportLab."""
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        font = UnicodeCIDFont(CID_FONT)
        font.encodingName = CID_ENCODING
        pdfmetrics.registerFont(font)
    return CID_FONT


def _cid_fallback(problem: str) -> FontChoice:
    builtin_cjk_font()
    warning = (f"{problem}；改用 PDF 內建字型 {CID_FONT}（未內嵌，字形依閱讀軟體而定）。{INSTALL_HINT}。")
    return FontChoice(CID_FONT, None, 0, False, warning, None, None)


def missing_glyphs(text: str, font: FontChoice) -> set[str]:
    """The characters of ``text`` that ``font`` cannot show (control characters aside).

    A TrueType font is checked against its cmap (read with ReportLab's ``TTFontFile``); a
    character the CJK font lacks but its Latin companion has is not missing, nor is one whose
    canonical equivalent (NFC) or punctuation stand-in (:data:`STAND_INS`) the font has. The CID fallback is checked only for characters
    beyond the BMP, which its UCS-2 encoding cannot carry: its glyphs are the viewer's.
    """
    return {ch for ch in set(text) if _typeset_as(ch, font) is None}


def _typeset_as(ch: str, font: FontChoice) -> str | None:
    """What to set for ``ch``: itself, its canonical equivalent or a stand-in; None if the font
    has no type for it."""
    if unicodedata.category(ch) in ("Cc", "Cf") or font.covers(ch) or _latin_covers(ch, font):
        return ch
    equivalent = unicodedata.normalize("NFC", ch)
    if equivalent != ch and all(font.covers(c) for c in equivalent):
        return equivalent
    for stand_in in STAND_INS.get(ch, ""):
        if font.covers(stand_in):
            return stand_in
    return None


def _latin_covers(ch: str, font: FontChoice) -> bool:
    if font.latin is None:
        return False
    try:
        ch.encode("cp1252")  # the standard fonts' WinAnsi encoding
    except UnicodeEncodeError:
        return False
    return True


class CJKParagraph(Paragraph):
    """A paragraph broken into lines by the rules of Chinese typesetting (see the module doc).

    Give it a style with ``wordWrap='CJK'`` (every :class:`Typesetter` style has it): ReportLab
    calls :meth:`breakLinesCJK` only then. Bullets are not supported.
    """

    def breakLinesCJK(self, maxWidths):
        """Break the fragments into lines no wider than ``maxWidths`` (the last width repeats)."""
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        if getattr(self, "_splitpara", 0) and hasattr(self, "blPara"):
            return self.blPara  # the first half of a split keeps the lines it was cut from
        autoLeading = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        return _break_lines(self.frags, maxWidths, autoLeading not in ("", "off"))



_FUZZ = 1e-6


def _break_lines(frags, maxWidths, calcBounds: bool) -> ParaLines:
    units = []
    for frag in frags:
        text = frag.text.decode("utf8") if isinstance(frag.text, bytes) else frag.text
        if text:
            units.extend(cjkU(ch, frag, "utf8") for ch in text)
        else:  # an inline image or a line break
            units.append(cjkU("", frag, "utf8"))
    lines = []
    start = i = 0
    used = 0.0

    def line_width():
        return maxWidths[min(len(lines), len(maxWidths) - 1)]

    def close(end: int, line_break: bool):
        nonlocal start, used
        width = line_width()
        lines.append(makeCJKParaLine(units[start:end], width, used, width - used, line_break, calcBounds))
        start, used = end, 0.0

    while i < len(units):
        if hasattr(units[i].frag, "lineBreak"):
            close(i + 1, True)
            i += 1
            continue
        end = _cluster_end(units, i)
        width = sum(_unit_width(u, line_width()) for u in units[i:end])
        if used + width <= line_width() + _FUZZ:
            used += width
            i = end
        elif i > start:  # the cluster starts the next line; a space at a break is dropped
            close(i, False)
            if units[i].isspace() and not hasattr(units[i].frag, "cbDefn"):
                i = start = i + 1
        else:  # a cluster longer than a line: cut it where it must be cut
            for k in range(i, end):
                w = _unit_width(units[k], line_width())
                if used + w > line_width() + _FUZZ and k > start:
                    close(k, False)
                used += w
            i = end
    if used > 0:
        close(len(units), False)
    return ParaLines(kind=1, lines=lines)


def _unit_width(unit, max_width: float) -> float:
    width = unit.width
    if hasattr(width, "normalizedValue"):  # an inline image sized in percent
        width._normalizer = max_width
        width = width.normalizedValue(max_width)
    return width


def _cluster_end(units, i: int) -> int:
    """End (exclusive) of the unbreakable cluster starting at ``units[i]``."""
    n = len(units)
    j = i + 1
    if units[i] in KEEP_TOGETHER:
        while j < n and units[j] in KEEP_TOGETHER and not hasattr(units[j].frag, "lineBreak"):
            j += 1
    elif units[i] in NO_LINE_END and j < n and not hasattr(units[j].frag, "lineBreak"):
        j = _cluster_end(units, j)
    elif units[i] in KEEP_DOUBLED:  # —— and …… stay whole
        while j < n and units[j] == units[i]:
            j += 1
    while j < n and units[j] in NO_LINE_START and not hasattr(units[j].frag, "lineBreak"):
        j += 1
    return j


BASE_SIZE = 10.5
INK = colors.HexColor("#1f2933")
ACCENT = colors.HexColor("#1d4e89")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#b8c4d6")
TINT = colors.HexColor("#eef3f9")


class Typesetter:
    """Font, styles and text preparation for one build; collects the characters it replaced.

    ``styles`` holds: body (indented, 10.5 pt), plain, small, caption, cell, cell_center,
    cell_head, h1, h2, title, subtitle, label.
    """

    def __init__(self, font: FontChoice):
        """Prepare styles set in ``font``."""
        self.font = font
        self.missing: set[str] = set()
        self.placeholder = PLACEHOLDER if font.covers(PLACEHOLDER) else "?"
        self.styles = _styles(font.name)

    def style(self, name: str, **changes) -> ParagraphStyle:
        """A copy of style ``name`` with ``changes`` (ParagraphStyle attributes)."""
        return ParagraphStyle(f"{name}+", parent=self.styles[name], **changes)

    def plain(self, text: str) -> str:
        """``text`` with each character the font lacks replaced (and recorded)."""
        out = []
        for ch in text:
            typeset = _typeset_as(ch, self.font)
            if typeset is None:
                self.missing.add(ch)
            out.append(self.placeholder if typeset is None else typeset)
        return "".join(out)

    def markup(self, text: str) -> str:
        """Paragraph markup for plain ``text``: escaped, glyphs checked, Latin runs in the
        Latin font when the CJK font has no Latin letters, newlines as line breaks."""
        text = self.plain(text)
        if self.font.latin is None:
            return escape(text).replace("\n", "<br/>")
        out, run, run_latin = [], [], False
        for ch in text + "\0":
            latin = ch != "\0" and ((ch == " " and run_latin)  # a space inside a Latin phrase
                                    or (not self.font.covers(ch) and _latin_covers(ch, self.font)))
            if (latin != run_latin or ch == "\0") and run:
                chunk = escape("".join(run)).replace("\n", "<br/>")
                out.append(f'<font name="{self.font.latin}">{chunk}</font>' if run_latin else chunk)
                run = []
            run.append(ch)
            run_latin = latin
        return "".join(out)

    def para(self, text: str, style: str | ParagraphStyle = "body") -> CJKParagraph:
        """A paragraph of plain ``text``."""
        return CJKParagraph(self.markup(text), self.styles[style] if isinstance(style, str) else style)

    def paras(self, text: str, style: str | ParagraphStyle = "body") -> list[CJKParagraph]:
        """One paragraph per non-blank line of ``text``."""
        return [self.para(line.strip(), style) for line in text.splitlines() if line.strip()]

    def table(self, rows: list, widths: list[float], commands: list, repeat_rows: int = 0) -> Table:
        """A table with ``commands`` (TableStyle commands), its own font set to ours so the PDF
        carries no unused Helvetica (a table selects its font even for empty cells)."""
        table = Table(rows, colWidths=widths, repeatRows=repeat_rows)
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), self.font.name), *commands]))
        return table

    def draw(self, canvas, text: str, x: float, y: float, width: float,
             style: str | ParagraphStyle = "small") -> None:
        """Draw ``text`` as a paragraph ``width`` wide with its top at ``y`` (headers, footers)."""
        p = self.para(text, style)
        _, height = p.wrap(width, 1000)
        p.drawOn(canvas, x, y - height)

    def fit(self, text: str, width: float, size: float) -> str:
        """``text`` shortened with … so that it takes at most ``width`` points at ``size``."""
        text = self.plain(text)
        if pdfmetrics.stringWidth(text, self.font.name, size) <= width:
            return text
        while text and pdfmetrics.stringWidth(text + "…", self.font.name, size) > width:
            text = text[:-1]
        return text + "…"

    def warnings(self) -> list[str]:
        """The font warning, if any, and one naming the characters the font lacks."""
        found = [self.font.warning] if self.font.warning else []
        if self.missing:
            chars = "".join(sorted(self.missing))
            found.append(f"字型缺少 {len(self.missing)} 個字元，已以{self.placeholder}代替：{chars}")
        return found


def _styles(font: str) -> dict[str, ParagraphStyle]:
    def make(name, **kw):
        kw.setdefault("fontName", font)
        kw.setdefault("wordWrap", "CJK")
        kw.setdefault("textColor", INK)
        return ParagraphStyle(name, **kw)

    size = BASE_SIZE
    return {
        "body": make("body", fontSize=size, leading=size * 1.75, firstLineIndent=2 * size,
                     spaceAfter=size * 0.4),
        "plain": make("plain", fontSize=size, leading=size * 1.6),
        "small": make("small", fontSize=8.5, leading=11, textColor=MUTED),
        "caption": make("caption", fontSize=8.5, leading=12, textColor=MUTED, alignment=TA_CENTER),
        "cell": make("cell", fontSize=9.5, leading=14),
        "cell_center": make("cell_center", fontSize=9.5, leading=14, alignment=TA_CENTER),
        "cell_head": make("cell_head", fontSize=9.5, leading=14, alignment=TA_CENTER,
                          textColor=colors.white),
        "label": make("label", fontSize=9, leading=13, textColor=MUTED),
        "h1": make("h1", fontSize=18, leading=26, textColor=ACCENT, spaceAfter=12),
        "h2": make("h2", fontSize=13, leading=20, textColor=ACCENT, spaceBefore=10, spaceAfter=5,
                   keepWithNext=1),
        "title": make("title", fontSize=20, leading=29, spaceAfter=8),
        "subtitle": make("subtitle", fontSize=11, leading=16, textColor=ACCENT, spaceAfter=4),
    }


def page_document(buffer, ts: Typesetter, title: str, *, margin: float, pagesize=A4,
                  on_page=None, on_page_end=None) -> BaseDocTemplate:
    """A document of one page layout: a frame ``margin`` in from each edge, set in ``ts``'s font
    (so the file carries no unused Helvetica), ``on_page`` / ``on_page_end`` drawing each page's
    decoration (border, header, footer)."""
    doc = BaseDocTemplate(buffer, pagesize=pagesize, title=title, creator="forum-kb",
                          initialFontName=ts.font.name)
    width, height = pagesize
    frame = Frame(margin, margin, width - 2 * margin, height - 2 * margin,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    hooks = {key: hook for key, hook in (("onPage", on_page), ("onPageEnd", on_page_end)) if hook}
    doc.addPageTemplates([PageTemplate("page", [frame], **hooks)])
    return doc
