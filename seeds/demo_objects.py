"""The demo's knowledge objects beyond the anthology: counties' answers to the adoption survey,
slides and video links of the latest judged year's winners, and that year's commendation
letters — all through the services, so they follow the same rules as staff's work."""
from __future__ import annotations

import random
from datetime import timedelta
from io import BytesIO

from kb.adoption import KINDS, AdoptionInput, adoptable_cases, record_county_answers
from kb.editions import edition_counties, get_edition
from kb.letters import save_letter, year_letters
from kb.media import add_slides, add_video_link
from kb.writeups import published_winners
from seeds.demo_programme import demo_forum_day

ADOPTION_NOTES = {
    "internalised": ("依原作法於本縣市試辦", "納入本年度施政計畫", "由相關局處照案推動"),
    "innovated": ("結合本縣市在地資源調整後推動", "擴大至偏鄉地區", "改以數位方式辦理"),
    "wanted": ("評估中，需經費支援", "已列入明年度計畫研議", "希望主辦單位協助媒合經驗交流"),
}
LETTER_SENDER = "地方治理標竿論壇辦公室"


def write_demo_adoptions(rng: random.Random, survey_year: int) -> None:
    """About two thirds of the counties answer the survey year's adoption survey (all at once)."""
    cases = adoptable_cases(survey_year)
    if not cases:
        return
    answers = []
    for county in edition_counties(get_edition(survey_year)):
        if rng.random() > 0.68:
            continue
        others = [case for case in cases if case.county_id != county.id]
        answers.append((county.name, [
            AdoptionInput(case.id, kind, rng.randint(case.edition.year + 1, survey_year),
                          rng.choice(ADOPTION_NOTES[kind]))
            for case, kind in zip(rng.sample(others, rng.randint(0, 3)),
                                  rng.choices(list(KINDS), weights=(3, 4, 2), k=3))]))
    record_county_answers(survey_year, answers)


def _slides_pdf(title: str, agency: str) -> bytes:
    """A small two-page slide deck: the case's title, then its agency (in the viewers' own
    Chinese font: a placeholder deck need not embed one, and reading a font file would cost
    the demo's start more than all the decks)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    from exports.pdf import builtin_cjk_font

    out = BytesIO()
    canvas = Canvas(out, pagesize=landscape(A4))
    for text in (title, agency):
        canvas.setFont(builtin_cjk_font(), 26)
        canvas.drawString(60, 300, text[:30])
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def write_demo_media_and_letters(rng: random.Random, year: int) -> None:
    """Slides and video links for the year's benchmark cases; the year's letters, dated two
    weeks after each region's forum day, numbered in order."""
    winners = published_winners(year)
    for case in winners:
        if case.status != "benchmark":
            continue
        add_slides(case.id, _slides_pdf(case.title, case.agency), f"{case.title}成果分享簡報")
        if rng.random() < 0.7:
            add_video_link(case.id, f"https://video.example.gov.tw/forum/{year}/{case.id}",
                           f"{case.title}成果分享影片")
    positions = {case.id: case.region.position for case in winners}
    for n, letter in enumerate(year_letters(year), start=1):
        save_letter(letter.case_id, number=f"標竿字第{year}{n:07d}號",
                    day=demo_forum_day(year, positions[letter.case_id]) + timedelta(days=14),
                    sender=LETTER_SENDER, copies=f"{letter.county}政府")
