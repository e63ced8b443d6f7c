"""Commendation letters (行政獎勵函) as PDF, in the layout of an official letter (函): sender's
title, 受文者, 發文日期, 發文字號, 速別, 主旨, 說明 in numbered points, 正本, 副本.

:func:`build_letters` takes :class:`kb.letters.Letter` records (plain data) and returns the PDF:
one letter a page group, in order.
"""
from __future__ import annotations

from io import BytesIO

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Spacer

from exports.pdf import Typesetter, find_cjk_font, page_document
from kb.rocdate import roc_date, roc_year
from kb.letters import Letter

NUMERALS = "一二三四五六七八九十"


def subject_text(letter: Letter) -> str:
    """主旨: the award and the request."""
    return (f"貴機關辦理「{letter.case_title}」榮獲{roc_year(letter.year)}{letter.forum_name}"
            f"{letter.region}{letter.award_label}，請惠予相關人員敘獎，請查照。")


def explanation_points(letter: Letter) -> list[str]:
    """說明, point by point."""
    people = "、".join(f"{p.name}（{p.title}）" if p.title else p.name for p in letter.people)
    return [f"依據{roc_year(letter.year)}{letter.forum_name}實施計畫辦理。",
            f"貴機關所提「{letter.case_title}」經書面篩選及分區評選，獲選為{letter.region}"
            f"{letter.award_label}，足為各縣市地方治理之標竿。",
            f"建請敘獎人員：{people}。"]


def build_letters(letters: list[Letter], *, font: str | None = None) -> bytes:
    """The letters as one A4 PDF, each starting on a new page. Raises ValueError for none."""
    if not letters:
        raise ValueError("沒有要製作的行政獎勵函")
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    margin = 2.5 * cm
    doc = page_document(buffer, ts, f"行政獎勵函 民國{letters[0].year}年", margin=margin)
    heading = ts.style("title", fontSize=20, leading=30, alignment=TA_CENTER, spaceAfter=14)
    line = ts.style("plain", fontSize=12, leading=20)
    subject = ts.style("plain", fontSize=14, leading=24, leftIndent=42, firstLineIndent=-42,
                       spaceBefore=8)
    point = ts.style("plain", fontSize=14, leading=24, leftIndent=70, firstLineIndent=-28)
    story = []
    for letter in letters:
        story += [ts.para(f"{letter.sender}　函", heading),
                  ts.para(f"受文者：{letter.agency}", line),
                  ts.para(f"發文日期：{roc_date(letter.date, prefix='中華民國')}", line),
                  ts.para(f"發文字號：{letter.number}", line),
                  ts.para("速別：普通件", line),
                  ts.para("密等及解密條件或保密期限：", line),
                  ts.para("附件：", line),
                  ts.para(f"主旨：{subject_text(letter)}", subject),
                  ts.para("說明：", subject)]
        story += [ts.para(f"{NUMERALS[n]}、{text}", point)
                  for n, text in enumerate(explanation_points(letter))]
        story += [Spacer(1, 0.8 * cm), ts.para(f"正本：{letter.agency}", line),
                  ts.para(f"副本：{letter.copies}", line), PageBreak()]
    doc.build(story[:-1])
    return buffer.getvalue()
