"""Photos people upload, checked before they are decoded and kept as re-encoded JPEG.

A photo is refused when the file is too large, is not JPEG or PNG, or its header announces more
pixels than :data:`MAX_PHOTO_PIXELS` (checked before decoding: a decoded photo costs 3–4 bytes a
pixel, so a 20000 × 20000 "photo" of a few kilobytes would otherwise take gigabytes). What is
kept is re-encoded, at most :data:`MAX_PHOTO_SIDE` on its longer side, so nothing of the
uploaded file (metadata, trailing data) is served again.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from kb.errors import ValidationError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 2000
MAX_PHOTO_PIXELS = 25_000_000  # a 6000 × 4000 camera photo: about 100 MB while it is shrunk


@dataclass
class Photo:
    """A re-encoded photo: JPEG bytes and its size in pixels."""

    data: bytes
    width: int
    height: int


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    size = f"（{width} × {height}）" if width else ""
    return ValidationError(f"照片像素過多{size}：上限 {MAX_PHOTO_PIXELS // 1_000_000:,} 百萬像素，"
                           f"請先縮小到長邊約 {MAX_PHOTO_SIDE} 像素再上傳")


def reencode_photo(data: bytes) -> Photo:
    """``data`` (a JPEG or PNG upload) checked and re-encoded as JPEG; ValidationError (zh-TW)
    naming the limit otherwise."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(f"照片檔案超過 {MAX_PHOTO_BYTES // 1024 // 1024} MB")
    try:
        with warnings.catch_warnings():
            # our own, lower limit is checked below, before anything is decoded
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
        with image:
            if image.format not in ("JPEG", "PNG"):
                raise ValidationError("照片須為 JPEG 或 PNG 格式")
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise _too_many_pixels(image.width, image.height)
            image.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))  # JPEG: decode at a smaller scale
            image.load()
            picture = image.convert("RGB")
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError):
        raise ValidationError("無法讀取照片，請上傳 JPEG 或 PNG 檔") from None
    picture.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    out = BytesIO()
    picture.save(out, "JPEG", quality=85, optimize=True)
    return Photo(out.getvalue(), picture.width, picture.height)
