"""Issue 12.4: a photo's pixel count is checked from its header before it is decoded."""
from __future__ import annotations

import stat
import tracemalloc
from io import BytesIO

import pytest
from PIL import Image

from helpers import case_input
from hostile_files import png_announcing
from kb.cases import SECTIONS, create_case
from kb.errors import ValidationError
from kb.models import Case, CasePhoto
from kb.images import MAX_PHOTO_PIXELS
from kb.writeups import add_photo, save_refined_writeup


@pytest.fixture
def refined(edition):
    case = create_case(104, case_input())
    Case.update(status="benchmark", published=True).where(Case.id == case.id).execute()
    save_refined_writeup(case.id, {key: f"{label}。" for key, label in SECTIONS}, [])
    return case.id


@pytest.mark.parametrize("width, height", [(20_000, 20_000), (12_000, 12_000), (5_001, 5_000)])
def test_a_photo_with_too_many_pixels_is_refused_before_decoding(refined, home, width, height):
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError, match=rf"照片像素過多.*上限 {MAX_PHOTO_PIXELS // 1_000_000} 百萬像素"):
            add_photo(refined, png_announcing(width, height), "活動照片", uploads=home / "uploads")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
    assert CasePhoto.select().count() == 0


def test_a_large_camera_photo_within_the_limit_is_kept_shrunk(refined, home):
    buffer = BytesIO()
    Image.new("RGB", (6000, 4000), (30, 90, 160)).save(buffer, "JPEG")
    photo = add_photo(refined, buffer.getvalue(), "現場", uploads=home / "uploads")
    assert max(photo.width, photo.height) == 2000
    assert stat.S_IMODE((home / "uploads" / photo.filename).stat().st_mode) == 0o600
