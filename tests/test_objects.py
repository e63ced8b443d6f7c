"""Digital objects of published cases: their own PDF with a citation, slides, forum-day photos,
video links; the library by category; hostile uploads refused."""
from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from markupsafe import escape
from PIL import Image

from helpers import case_input, csrf_token, login, needs_poppler, squeeze
from kb.cases import create_case, set_case_statuses
from kb.editions import create_edition, set_intake_open
from kb.errors import PermissionDenied, ValidationError
from kb.media import add_forum_photo, add_slides, add_video_link, case_media, remove_media
from kb.opendata import citation, open_case
from seeds import load_reference

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` with almost no data (a pixel bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + chunk(b"IEND", b"")


@pytest.fixture
def winner(edition):
    """A published benchmark case of 104 (臺北市) and an unpublished one."""
    case = create_case(104, case_input(title="長照交通接送服務"))
    hidden = create_case(104, case_input(title="未公布案例", county="新北市"))
    set_case_statuses({case.id: ("benchmark", True), hidden.id: ("submitted", False)})
    return case.id, hidden.id


def test_slides_photos_and_videos_are_kept_and_listed(winner):
    case, _ = winner
    add_slides(case, PDF, "成果分享簡報")
    add_forum_photo(case, png(3000, 1500), "頒獎典禮")
    add_video_link(case, "https://www.youtube.com/watch?v=abc", "成果影片")
    items = case_media(case)
    assert [(i.kind, i.title) for i in items] == [("slides", "成果分享簡報"), ("photo", "頒獎典禮"),
                                                  ("video", "成果影片")]
    from kb.models import CaseMedia
    photo = CaseMedia.get(CaseMedia.kind == "photo")
    assert (photo.width, photo.height) == (2000, 1000)  # re-encoded within the limit
    remove_media(items[0].id)
    assert [i.kind for i in case_media(case)] == ["photo", "video"]


@pytest.mark.parametrize("add, message", [
    (lambda c: add_slides(c, b"PK\x03\x04 not a pdf", ""), "簡報須為 PDF 檔"),
    (lambda c: add_slides(c, b"%PDF-" + b"0" * (20 * 1024 * 1024), ""), "簡報檔案超過 20 MB"),
    (lambda c: add_forum_photo(c, png_header_only(20000, 20000), ""), "照片像素過多"),
    (lambda c: add_forum_photo(c, png_header_only(6000, 5000), ""), "照片像素過多（6000 × 5000）"),
    (lambda c: add_forum_photo(c, b"GIF89a....", ""), "無法讀取照片"),
    (lambda c: add_video_link(c, "javascript:alert(1)", ""), "影片連結須為 http:// 或 https://"),
    (lambda c: add_video_link(c, "https://" + "a" * 600, ""), "最多 500 字"),
])
def test_hostile_uploads_are_refused(winner, add, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add(winner[0])
    assert case_media(winner[0]) == []


def test_only_published_winners_and_their_county(winner, make_user):
    case, hidden = winner
    with pytest.raises(PermissionDenied):
        add_slides(hidden, PDF, "", actor=make_user("staff"))
    with pytest.raises(PermissionDenied):
        add_slides(case, PDF, "", actor=make_user("county", county="臺南市"))
    assert add_slides(case, PDF, "", actor=make_user("county", county="臺北市")).title == "簡報"


@needs_poppler
def test_the_case_pdf_has_the_layout_and_the_citation(client, winner, poppler, truetype):
    case, hidden = winner
    response = client.get(f"/cases/{case}/object.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = squeeze(poppler("pdftotext", response.get_data()))
    assert "長照交通接送服務" in text and "背景與問題" in text
    assert "引用：臺北市臺北市政府社會局（民國104年）。〈長照交通接送服務〉" in text
    assert f"/cases/{case}" in text
    assert "yes" in poppler("pdffonts", response.get_data())
    assert client.get(f"/cases/{hidden}/object.pdf").status_code == 404


def test_the_case_page_shows_objects_and_citation_to_the_public(client, winner):
    case, _ = winner
    add_slides(case, PDF, "成果分享簡報")
    add_forum_photo(case, png(40, 30), "頒獎典禮")
    add_video_link(case, "https://video.example/v/1", "成果影片")
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "數位物件" in page and "成果分享簡報" in page and 'href="https://video.example/v/1"' in page
    assert "引用本案例：" in page and f"http://localhost/cases/{case}" in page
    whole = citation(open_case(case, base_url="http://localhost"))
    assert f"<strong>引用本案例：</strong>{escape(whole)}</p>" in page
    slides = next(i for i in case_media(case) if i.kind == "slides")
    assert client.get(f"/media/{slides.id}").get_data() == PDF


def test_county_contact_adds_media_on_the_web(client, winner, make_user):
    case, _ = winner
    make_user("county", login="county-tpe", county="臺北市")
    login(client, "county-tpe")
    url = f"/cases/{case}/media"
    bad = client.post(url, data={"csrf_token": csrf_token(client, url), "kind": "slides",
                                 "file": (BytesIO(b"not a pdf"), "deck.pptx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "簡報須為 PDF 檔" in bad.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "kind": "video",
                                  "url": "https://video.example/v/2", "title": "紀錄片"},
                       follow_redirects=True)
    assert "已加入影片連結" in done.get_data(as_text=True) and "紀錄片" in done.get_data(as_text=True)


def test_categories_count_published_winners_per_year(client, winner, db):
    create_edition(103, load_reference()["edition"])
    set_intake_open(103, True)
    older = create_case(103, case_input(title="社區長照站", county="臺南市"))
    set_case_statuses({older.id: ("honourable", True)})
    page = client.get("/categories/").get_data(as_text=True)
    assert "民國104年" in page and "民國103年" in page and "社會福利" in page
    listed = client.get("/categories/社會福利").get_data(as_text=True)
    assert "長照交通接送服務" in listed and "社區長照站" in listed and "未公布案例" not in listed
    assert client.get("/categories/不存在的類別").status_code == 404
