"""Anthology benchmark: one year of 30 cases of realistic length, typeset to PDF.

    python tests/bench/anthology.py [--json] [--out book.pdf] [--font PATH]

Composes 30 demo cases (10 per region: 3 benchmark cases and 7 honourable mentions), each with
the five sections, a KPI table and two generated photos (1600 × 1067 JPEG), builds the anthology
and prints the build time, the page count and the file size. Targets: ≤ 15 s and ≤ 10 MB for
about 150 pages. Not a test: figures vary with the machine.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from exports.anthology import build_anthology  # noqa: E402
from kb.anthology import Anthology, AnthologyCase  # noqa: E402
from kb.cases import SECTIONS  # noqa: E402
from seeds import load_reference  # noqa: E402
from seeds.demo_text import CATEGORIES, compose_case  # noqa: E402

YEAR = 104
TARGET_SECONDS = 15
TARGET_BYTES = 10 * 1024 * 1024
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪邱曾廖賴徐"
GIVEN = ["志明", "淑芬", "家豪", "雅婷", "俊宏", "怡君", "建華", "美玲", "宗翰", "佩珊"]
TITLES = ["科長", "專員", "股長", "技正", "課長", "秘書", "副處長"]
PREFACE = ("地方治理標竿論壇以「標竿學習、經驗分享」為宗旨，邀集各縣市政府提報具創新性與應用性的治理案例，"
           "經書面篩選及分區評選，選出各區標竿案例與佳作。\n"
           "本彙編收錄民國104年全部入選案例的精進版本，依分區排列，每案包含背景與問題、創新作法、"
           "跨域合作與資源整合、執行成效及推廣與應用，並附關鍵績效指標與照片，供各機關參考學習。\n"
           "感謝各縣市承辦同仁、案例負責人與評審委員的投入，使地方治理的經驗得以累積、傳承與擴散。")


def photo(rng: random.Random, size=(1600, 1067)) -> bytes:
    """A photo-like JPEG: sky gradient, hills, buildings, a little noise."""
    w, h = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    sky = Image.new("RGB", size, (rng.randint(90, 140), rng.randint(150, 190), rng.randint(200, 240)))
    image = Image.blend(image, sky, 0.7)
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        y = rng.randint(h // 2, h * 3 // 4)
        draw.polygon([(0, h), (0, y), (rng.randint(w // 4, w // 2), y - rng.randint(50, 200)),
                      (w, y + rng.randint(-60, 60)), (w, h)],
                     fill=(rng.randint(40, 90), rng.randint(100, 150), rng.randint(40, 80)))
    for _ in range(12):
        x, bw, bh = rng.randint(0, w), rng.randint(60, 160), rng.randint(120, 420)
        draw.rectangle([x, h - bh, x + bw, h], fill=tuple(rng.randint(120, 230) for _ in range(3)))
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, 0.08).filter(ImageFilter.SMOOTH)
    out = BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def kpis(rng: random.Random, text: str) -> list[tuple[str, int | float, int | float, str]]:
    """Four to six KPI rows, the indicators taken from figures in the case's own text."""
    found = re.findall(r"([\u4e00-\u9fff]{3,10}?)(?:約|逾|達)?([\d,]+(?:\.\d+)?)(人次|件|家|%|公噸|場|處|分鐘)", text)
    rows = []
    for name, figure, unit in found[:rng.randint(4, 6)]:
        after = float(figure.replace(",", ""))
        after = int(after) if after.is_integer() else after
        before = round(after * rng.uniform(0.3, 0.8), 1 if isinstance(after, float) else None)
        rows.append((name, before, after, unit))
    return rows or [("服務人次", 1200, 3400, "人次")]


def make_book(rng: random.Random) -> Anthology:
    """30 cases: per region 3 benchmark cases and 7 honourable mentions."""
    reference = load_reference()
    labels = dict(SECTIONS)
    cases = []
    for region in reference["edition"]["regions"]:
        counties = region["counties"]
        for n in range(10):
            county = counties[n % len(counties)]
            category = rng.choice(CATEGORIES)
            composed = compose_case(rng, county=county, category=category, year=YEAR)
            sections = [(labels[key], text) for key, text in composed.sections.items()]
            cases.append(AnthologyCase(
                title=composed.title, award="標竿案例" if n < 3 else "佳作", region=region["name"],
                county=county, agency=composed.agency, category=category,
                owner_name=rng.choice(SURNAMES) + rng.choice(GIVEN), owner_title=rng.choice(TITLES),
                summary=composed.summary, sections=sections,
                kpis=kpis(rng, composed.sections.get("outcomes", "")),
                photos=[(photo(rng), f"{composed.title}：現場照片{k}") for k in (1, 2)]))
    return Anthology(reference["forum_name"], YEAR, PREFACE, cases)


def accelerated() -> list[str]:
    """The ReportLab helpers running from the rl-accel C extension (empty: pure Python)."""
    from reportlab.lib import rl_accel

    return sorted(rl_accel._c_funcs)


def main() -> None:
    """Build the book once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--out", type=Path, help="also write the PDF here")
    parser.add_argument("--font", help="font setting (default: $FORUM_PDF_FONT or the system fonts)")
    args = parser.parse_args()

    book = make_book(random.Random(104))
    started, started_cpu = time.perf_counter(), time.process_time()
    result = build_anthology(book, font=args.font)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    pages = len(re.findall(rb"/Type\s*/Page\b", result.pdf))
    if args.out:
        args.out.write_bytes(result.pdf)
    figures = {"cases": len(book.cases), "pages": pages, "seconds": round(seconds, 2),
               "cpu_seconds": round(cpu_seconds, 2), "rl_accel": accelerated(),
               "bytes": len(result.pdf), "megabytes": round(len(result.pdf) / 1024 / 1024, 2),
               "within_targets": seconds <= TARGET_SECONDS and len(result.pdf) <= TARGET_BYTES,
               "warnings": result.warnings}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"{figures['cases']} cases, {pages} pages: {seconds:.2f} s, {cpu_seconds:.2f} s CPU "
              f"(target ≤ {TARGET_SECONDS} s), {figures['megabytes']} MB (target ≤ 10 MB); "
              f"rl-accel: {', '.join(figures['rl_accel']) or 'not used'}")
        for warning in result.warnings:
            print(f"warning: {warning}")


if __name__ == "__main__":
    main()
