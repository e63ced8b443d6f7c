"""PDF builders: the anthology, programme, certificates and registry, read back as a reader would.

pypdf counts pages, walks the bookmarks and extracts text; poppler's pdftotext, pdfinfo and
pdffonts (Debian poppler-utils) check the text layout, page size and embedded fonts, and tests
that need them skip when they are missing. Tests of the embedded-font path skip when no
TrueType CJK font is installed (CI installs fonts-arphic-uming).
"""
from __future__ import annotations

import random
import re
from datetime import date, time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from helpers import needs_poppler, page_count, squeeze
from exports.anthology import build_anthology
from exports.pdf import PLACEHOLDER, Typesetter, find_cjk_font, missing_glyphs
from exports.programme import (Programme, ProgrammeItem, RegistryEntry,
                               build_certificates, build_programme_pdf, build_registry_pdf,
                               certificate_text)
from kb.anthology import Anthology, AnthologyCase
from kb.programme import Certificate

CNS_CMAP = Path("/usr/share/poppler/cMap/Adobe-CNS1/UniCNS-UCS2-H")
RARE = "𪚥"  # U+2A6A5, beyond the BMP: no Debian Ming font has it
FORUM = "地方治理標竿論壇"


def outline(pdf: bytes) -> list[tuple[int, str, int]]:
    """The bookmarks as (depth, title, page number from 1), in order, read with pypdf."""
    reader = PdfReader(BytesIO(pdf))
    entries = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                entries.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    walk(reader.outline, 0)
    return entries


def pdf_text(pdf: bytes) -> str:
    """All the text pypdf extracts, white space removed (see :func:`squeeze`)."""
    return squeeze("".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


def jpeg(width: int, height: int, seed: int = 1) -> bytes:
    """A noisy photo-like JPEG (noise keeps it from compressing to nothing)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randint(0, 255), 120, 200))
    noise = Image.effect_noise((width, height), 60).convert("RGB")
    out = BytesIO()
    Image.blend(image, noise, 0.5).save(out, "JPEG", quality=95)
    return out.getvalue()


def png_with_alpha() -> bytes:
    """A small half-transparent PNG."""
    out = BytesIO()
    Image.new("RGBA", (300, 200), (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


def case(title: str, region: str, county: str, **changes) -> AnthologyCase:
    """A short case (it fits one page), with ``changes`` to its fields."""
    fields = dict(
        title=title, award="標竿案例", region=region, county=county, agency=f"{county}政府民政局",
        category="行政革新", owner_name="王大明", owner_title="科長",
        summary=f"{county}以{title}整合跨局處資源，服務人次成長逾3,200人次，民眾滿意度達92.5%。",
        sections=[("背景與問題", "本案源於民眾對申辦流程的不滿。\n經盤點後發現三項主要問題。"),
                  ("創新作法", "導入QR Code與1999專線，建立單一窗口。")],
        kpis=[("申辦平均時間（分鐘）", 45, 12.5, "分鐘"), ("服務人次", 1200, 4400, "人次"),
              ("滿意度", None, "92.5", "%")])
    fields.update(changes)
    return AnthologyCase(**fields)


def small_book(**first_case_changes) -> Anthology:
    """Four one-page cases in three regions; the first has two photos."""
    photos = [(jpeg(1600, 1000), "工作坊現場"), (png_with_alpha(), "流程示意圖")]
    cases = [case("「士林IoT環境感測網」行動方案", "第一區", "臺北市",
                  **{"photos": photos, **first_case_changes}),
             case("新北市公共托育中心2.0", "第一區", "新北市", award="佳作"),
             case("臺中市智慧路燈1999通報整合計畫", "第二區", "臺中市"),
             case("臺南市老屋新生計畫", "第三區", "臺南市")]
    return Anthology(FORUM, 104, "本彙編收錄民國104年入選案例。\n感謝各縣市的投入。", cases)


def one_paragraph(text: str, width_em: float, size: float = 10) -> tuple[bytes, float]:
    """A PDF holding ``text`` set in a frame ``width_em`` ems wide; and the frame's right edge."""
    ts = Typesetter(find_cjk_font())
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    paragraph = ts.para(text, ts.style("plain", fontSize=size, leading=size * 1.5))
    _, height = paragraph.wrapOn(canvas, width_em * size, 700)
    paragraph.drawOn(canvas, 100, 750 - height)
    canvas.save()
    return buffer.getvalue(), 100 + width_em * size


def text_lines(poppler, pdf: bytes) -> list[str]:
    """The non-blank lines pdftotext gives back."""
    return [line for line in poppler("pdftotext", pdf).splitlines() if line.strip()]


# --- the anthology ---------------------------------------------------------------------------

@needs_poppler
def test_anthology_pages_outline_titles_and_contents(truetype, poppler):
    book = small_book()
    result = build_anthology(book)
    assert result.warnings == [] and result.missing == set()
    assert page_count(result.pdf) == 7  # cover, preface, contents, four cases

    titles = [c.title for c in book.cases]
    assert [(depth, title) for depth, title, _ in outline(result.pdf)] == [
        (0, "序"), (0, "目次"), (0, "第一區"), (1, titles[0]), (1, titles[1]), (0, "第二區"),
        (1, titles[2]), (0, "第三區"), (1, titles[3])]  # region → case
    pages = {title: page for _, title, page in outline(result.pdf)}
    assert [pages[t] for t in titles] == [4, 5, 6, 7] and pages["第一區"] == 4

    for text in (pdf_text(result.pdf), squeeze(poppler("pdftotext", result.pdf))):
        for title in titles:
            assert squeeze(title) in text
    contents = poppler("pdftotext", result.pdf, "-layout", "-f", "3", "-l", "3").splitlines()
    for title in titles:  # the table of contents gives each case's page
        row = next(line for line in contents if title in line)
        assert row.split()[-1] == str(pages[title])
    for title in titles:  # each case page: running header with the year and the title
        page = squeeze(poppler("pdftotext", result.pdf, "-f", str(pages[title]), "-l", str(pages[title])))
        assert page.startswith("民國104年標竿案例彙編" + squeeze(title))
        assert "申辦平均時間（分鐘）" in page and "4,400" in page and "12.5" in page
    cover = squeeze(poppler("pdftotext", result.pdf, "-l", "1"))
    assert FORUM in cover and "民國104年" in cover and "標竿案例彙編" in cover


@needs_poppler
def test_anthology_embeds_the_truetype_font_as_a_subset(truetype, poppler):
    fonts = poppler("pdffonts", build_anthology(small_book()).pdf).splitlines()[2:]
    assert fonts, "no fonts listed"
    for row in fonts:  # name type encoding emb sub uni object generation
        assert row.split()[-5:-2] == ["yes", "yes", "yes"], row
        assert re.match(r"[A-Z]{6}\+", row)  # a subset's tag


@needs_poppler
def test_a_character_the_font_lacks_is_listed_not_printed(truetype, poppler):
    assert missing_glyphs(f"臺灣{RARE}ABC 123\n", truetype) == {RARE}
    result = build_anthology(small_book(owner_name=f"王{RARE}"))
    assert result.missing == {RARE}
    assert any(RARE in w and PLACEHOLDER in w for w in result.warnings)
    text = poppler("pdftotext", result.pdf)
    assert f"王{PLACEHOLDER}" in text and RARE not in text


@needs_poppler
def test_photos_are_reduced_and_unreadable_ones_reported(truetype, poppler):
    big = jpeg(4000, 2600, seed=2)
    assert len(big) > 3_000_000
    result = build_anthology(small_book(photos=[(big, "大照片"), (b"not an image", "壞檔")]))
    assert len(result.pdf) < 1_000_000
    assert result.warnings == ["〈「士林IoT環境感測網」行動方案〉第2張照片無法讀取，已略過"]
    assert "大照片" in poppler("pdftotext", result.pdf) and "壞檔" not in poppler("pdftotext", result.pdf)


@needs_poppler
@pytest.mark.parametrize("setting", ["missing.ttf", "not-a-font.ttf"])
def test_no_usable_font_falls_back_to_the_cid_font_with_a_warning(tmp_path, poppler, setting):
    (tmp_path / "not-a-font.ttf").write_bytes(b"plain text, not a font")
    path = str(tmp_path / setting)
    choice = find_cjk_font(path)
    assert not choice.embedded and choice.name == "MSung-Light"
    assert path in choice.warning and "MSung-Light" in choice.warning

    book = small_book()
    result = build_anthology(book, font=path)
    assert result.warnings == [choice.warning]
    assert "MSung-Light" in poppler("pdffonts", result.pdf)
    assert page_count(result.pdf) == 7
    if CNS_CMAP.exists():  # poppler-data maps the CNS encoding back to text
        text = squeeze(poppler("pdftotext", result.pdf))
        assert all(squeeze(c.title) in text for c in book.cases)


def test_the_environment_setting_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_PDF_FONT", str(tmp_path / "gone.ttf"))
    assert "gone.ttf" in find_cjk_font().warning
    assert find_cjk_font(str(tmp_path / "other.ttf")).warning.count("other.ttf") == 1


def test_a_collection_gives_its_taiwan_face_or_the_one_asked_for():
    path = "/usr/share/fonts/truetype/arphic/uming.ttc"
    if not Path(path).exists():
        pytest.skip("fonts-arphic-uming not installed")
    assert find_cjk_font(path).subfont_index == 2  # UMingCN, UMingHK, UMingTW, UMingTWMBE
    chosen = find_cjk_font(f"{path}#0")
    assert chosen.subfont_index == 0 and chosen.embedded and chosen.warning is None


def test_a_font_without_latin_letters_borrows_them():
    path = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
    if not Path(path).exists():
        pytest.skip("fonts-droid-fallback not installed")
    droid = find_cjk_font(path)
    assert droid.latin == "Helvetica" and not droid.covers("A")
    assert missing_glyphs("導入QR Code與1999專線", droid) == set()
    assert '<font name="Helvetica">QR Code</font>' in Typesetter(droid).markup("導入QR Code與1999專線")


def test_punctuation_the_font_lacks_gets_an_equivalent_mark():
    path = "/usr/share/fonts/truetype/cwtex/cwming.ttf"
    if not Path(path).exists():
        pytest.skip("fonts-cwtex-ming not installed")
    cwming = find_cjk_font(path)
    assert not cwming.covers("・") and missing_glyphs("縣市・獎項", cwming) == set()
    typesetter = Typesetter(cwming)
    assert typesetter.plain("縣市・獎項") == "縣市‧獎項" and typesetter.missing == set()


# --- line breaking ---------------------------------------------------------------------------

@needs_poppler
@pytest.mark.parametrize("mark", ["，", "。", "」"])
def test_closing_punctuation_never_starts_a_line(truetype, poppler, mark):
    # Ten ideographs fill a line of ten ems exactly, so the mark would start line two.
    text = ("一二三四五六七八九十" + mark + "甲乙丙丁戊己庚辛") * 3
    pdf, right = one_paragraph(text, 10)
    lines = text_lines(poppler, pdf)
    assert lines[0] == "一二三四五六七八九"  # 十 went down with the mark
    assert lines[1].startswith("十" + mark)
    assert not any(line.startswith(("，", "。", "」", "、")) for line in lines)
    assert squeeze("".join(lines)) == text
    edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', poppler("pdftotext", pdf, "-bbox"))]
    assert max(edges) <= right + 0.5  # nothing hangs into the margin


@needs_poppler
@pytest.mark.parametrize(("text", "second_line"), [
    ("一二三四五六七八九「十一」甲乙丙丁戊己庚", "「十一」"),    # 「 may not end a line
    ("一二三四五六七八九——十甲乙丙丁戊己庚辛", "——十"),          # —— stays whole
])
def test_opening_marks_and_dashes_move_to_the_next_line(truetype, poppler, text, second_line):
    lines = text_lines(poppler, one_paragraph(text, 10)[0])
    assert lines[0] == "一二三四五六七八九" and lines[1].startswith(second_line)


@needs_poppler
def test_numbers_and_latin_words_are_not_split(truetype, poppler):
    text = "一二三四五六七123,456,789人次，八九十SDGs甲乙丙丁戊己庚辛壬癸子丑寅卯12.5%辰巳午未申酉戌亥"
    lines = text_lines(poppler, one_paragraph(text, 10)[0])
    assert len(lines) > 3
    joined = "\n".join(lines)
    for token in ("123,456,789", "SDGs", "12.5%"):
        assert token in joined
    for before, after in zip(lines, lines[1:]):
        assert not (re.search(r"[0-9A-Za-z.,%]$", before) and re.match(r"[0-9A-Za-z.,%]", after))


@needs_poppler
def test_a_run_longer_than_a_line_is_cut_inside_the_frame(truetype, poppler):
    url = "https://www.example.gov.tw/benchmark/forum/2015/cases/download"
    pdf, right = one_paragraph(f"網址：{url}。", 12)
    lines = text_lines(poppler, pdf)
    assert len(lines) >= 3 and squeeze("".join(lines)) == f"網址：{url}。"
    edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', poppler("pdftotext", pdf, "-bbox"))]
    assert max(edges) <= right + 0.5


# --- programme, certificates, registry -------------------------------------------------------

def programme() -> Programme:
    """The first items of a regional programme."""
    items = [ProgrammeItem(time(13, 30), time(14, 0), "報到"),
             ProgrammeItem(time(14, 0), time(14, 10), "開幕致詞", "主持人：陳主任委員"),
             ProgrammeItem(time(14, 10), time(14, 30), "標竿案例分享：「士林IoT環境感測網」行動方案",
                           "報告人：臺北市政府環境保護局　王大明科長"),
             ProgrammeItem(time(14, 30), time(14, 40), "專家與談", "與談人：\n林教授\n張教授\n李副教授")]
    return Programme(FORUM, 104, "第一區", "國立臺灣大學集思會議中心", date(2015, 10, 2), items)


@needs_poppler
def test_programme_is_one_page_with_times_and_date(truetype, poppler):
    pdf = build_programme_pdf(programme())
    assert page_count(pdf) == 1
    text = poppler("pdftotext", pdf)
    for start, end in (("13:30", "14:00"), ("14:00", "14:10"), ("14:10", "14:30"), ("14:30", "14:40")):
        assert re.search(f"{start}\\s*–\\s*{end}", text)
    flat = squeeze(text)
    assert "民國104年10月2日（星期五）" in flat and "國立臺灣大學集思會議中心" in flat
    assert "時間議程主持人・報告人・與談人" in flat and "王大明科長" in flat


@needs_poppler
def test_a_long_programme_still_fits_one_page(truetype, poppler):
    long = programme()
    long.items = long.items * 12
    assert page_count(build_programme_pdf(long)) == 1


@needs_poppler
def test_one_certificate_page_per_item(truetype, poppler):
    items = [Certificate(f"{county}政府", f"{county}案例{n}", award, region, date(2015, 10, 2))
             for n, (county, award, region) in enumerate([("臺北市", "標竿案例", "第一區"),
                                                          ("臺中市", "佳作", "第二區"),
                                                          ("臺南市", "標竿案例", "第三區")])]
    pdf = build_certificates(items, forum_name=FORUM, year=104)
    assert page_count(pdf) == 3
    assert "841.89 x 595.276" in poppler("pdfinfo", pdf)  # landscape
    for n, item in enumerate(items, 1):
        page = squeeze(poppler("pdftotext", pdf, "-f", str(n), "-l", str(n)))
        assert squeeze(certificate_text(item, forum_name=FORUM, year=104)) in page
        assert "獎狀" in page and "中華民國104年10月2日" in page
    assert certificate_text(items[0], forum_name=FORUM, year=104) == (
        "臺北市政府辦理〈臺北市案例0〉，榮獲民國104年地方治理標竿論壇第一區標竿案例，特頒此狀，以資鼓勵。")
    with pytest.raises(ValueError):
        build_certificates([], forum_name=FORUM, year=104)


@needs_poppler
def test_registry_prints_contacts_only_in_the_staff_version(truetype, poppler):
    entries = [RegistryEntry("王大明", "科長", "臺北市政府環境保護局", "臺北市", [103, 104],
                             [(104, "「士林IoT環境感測網」行動方案", "標竿案例"), (103, "河川巡守", "佳作")],
                             ["環境保護", "科技創能"], "02-2720-8889 wang@example.gov.tw"),
               RegistryEntry("林美玲", "專員", "臺中市政府社會局", "臺中市", [102], [(102, "長照2.0", "標竿案例")],
                             ["社會福利"], None)] * 20
    public = poppler("pdftotext", build_registry_pdf(entries, with_contacts=False, year_range=(101, 104)))
    staff = poppler("pdftotext", build_registry_pdf(entries, with_contacts=True, year_range=None,
                                                    filters="領域：社會福利"))
    assert "wang@example.gov.tw" not in public and "聯絡方式" not in public
    assert "wang@example.gov.tw" in staff and "聯絡方式" in staff
    flat = squeeze(public)
    assert "民國101年至104年" in flat and "公開版" in flat and "103、104" in flat
    assert "104年〈「士林IoT環境感測網」行動方案〉（標竿案例）" in flat and "林美玲" in flat
    assert "民國102年至104年" in squeeze(staff)  # the range taken from the entries
    assert "篩選條件：領域：社會福利" in squeeze(staff) and "篩選條件" not in flat
