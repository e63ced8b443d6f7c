"""Refined write-ups (精進案例) for the demo: most winners of the latest judged year wrote one,
staff approved most of those, so the anthology, the case pages and staff's progress page show
every state."""
from __future__ import annotations

import random

from kb.cases import case_sections
from kb.writeups import Figure, approve_refined, published_winners, save_refined_writeup

# (indicator, unit, typical value before, how the value moves: +1 rises, -1 falls)
INDICATORS = (
    ("服務人次", "人次", 1_200, +1),
    ("申辦平均時間", "分鐘", 45, -1),
    ("民眾滿意度", "%", 71, +1),
    ("參與機關與團體數", "個", 6, +1),
    ("志工人數", "人", 80, +1),
    ("案件平均處理天數", "天", 14, -1),
    ("年度節省經費", "萬元", 120, +1),
    ("線上申辦比率", "%", 18, +1),
)
WRITTEN_SHARE = 0.8  # of the year's winners
APPROVED_SHARE = 0.75  # of those written


def demo_figures(rng: random.Random) -> list[Figure]:
    """Three or four key figures with before and after values that read like a real case's."""
    figures = []
    for indicator, unit, typical, direction in rng.sample(INDICATORS, rng.randint(3, 4)):
        before = round(typical * rng.uniform(0.7, 1.3))
        change = rng.uniform(0.25, 0.9)
        after = round(before * (1 + change) if direction > 0 else before * (1 - change / 2))
        if unit == "%":
            after = min(after, 98)
        figures.append(Figure(indicator, f"{before:,}", f"{after:,}", unit))
    return figures


def refined_sections(sections: dict[str, str], figures: list[Figure]) -> dict[str, str]:
    """The submitted sections, with the outcomes restated in figures and the adoption section
    ending on what the workshop asked every case to add."""
    measured = "；".join(f"{f.indicator}由{f.before}{f.unit}變為{f.after}{f.unit}" for f in figures)
    refined = dict(sections)
    refined["outcomes"] = f"{sections.get('outcomes', '')}\n精進版補充量化成效：{measured}。".strip()
    refined["adoption"] = (f"{sections.get('adoption', '')}\n"
                           "移植建議：先盤點在地資源與合作單位，以小規模試辦驗證流程，再逐步擴大；"
                           "相關表單與作業手冊可向本案聯絡人索取。").strip()
    return refined


def write_demo_writeups(rng: random.Random, year: int) -> None:
    """Give most published winners of ``year`` a refined write-up and approve most of those."""
    for case in published_winners(year):
        if rng.random() >= WRITTEN_SHARE:
            continue
        figures = demo_figures(rng)
        save_refined_writeup(case.id, refined_sections(case_sections(case), figures), figures)
        if rng.random() < APPROVED_SHARE:
            approve_refined(case.id)
