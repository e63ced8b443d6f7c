"""Reasons a county can accept: one zh-TW sentence per ranked case of a region.

:func:`explain_region` reads a :class:`scoring.rules.RegionOutcome` and the quotas it was filled
with, and says for each case its place and why it got its outcome, for example
「第二區第3名；同縣市已有標竿案例〈台中智慧路燈〉，列為佳作」.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.rules import RankedCase, RegionOutcome, TieFlag, tie_break_reader

ONSITE_NAME = "分區評選成績"
"""How a reason names the ``onsite`` tie-break key."""

METHOD_RULES = {
    "mean": "案例的階段成績為各評審總分的平均。",
    "trimmed_mean": "案例的評審達 {n} 位時，去掉最高與最低的總分後取平均；未達 {n} 位者取平均。",
    "median": "案例的階段成績為各評審總分的中位數（偶數位評審時取中間兩位的平均）。",
    "zscore": "每位評審的總分先依其本人在該階段所評案例的平均與標準差標準化，消除評審寬嚴的差異，"
              "再依該階段全部總分的平均與標準差換回原分數尺度（不截斷，可能高於 100 分或低於 0 分）；"
              "案例的階段成績為其各評審換算後分數的平均。只評 1 件或給分皆相同的評審無法標準化，"
              "以原始總分計入，並標示供主辦機關檢視。",
    "rank": "序位法：每位評審將其評分的案例依總分排序（最高者為第 1，同分者取平均序位），"
            "換算為百分位分數 100 ×（n − 序位）÷（n − 1），n 為該評審評分的案例數（最佳者 100 分、"
            "最末者 0 分）；案例的階段成績為其各評審百分位分數的平均，越高越好，因此評審人數或"
            "評分件數不同的案例也能比較。只評 1 件的評審以 50 分計，並標示供主辦機關檢視。"
            "每位評審皆評全部案例時，此排序與傳統序位和（數值越小越好）相同，並列出序位和與序位平均。",
}
"""Each aggregation method's rule in one zh-TW paragraph (``{n}``: the trimming threshold)."""

COMMON_SCALE = ("各方法的階段成績皆為越高越好的同一尺度，總成績依各階段權重加權，"
                "權重即代表各階段的比重。")
"""What every method's stage score shares, said once after the method's rule."""


@dataclass(frozen=True)
class CaseLabel:
    """What a reason says of a case: its title and its county."""

    title: str
    county: str


def method_rule(method: str, trim_min_judges: int = 5) -> str:
    """The rule of an aggregation method in zh-TW, ending with what every method shares."""
    return METHOD_RULES[method].format(n=trim_min_judges) + COMMON_SCALE


def tie_break_name(key: str) -> str:
    """The words for a tie-break key: ``onsite`` is 分區評選成績, ``criterion:應用性`` is 應用性.

    Raises :class:`ValueError` for a key :func:`scoring.rules.tie_break_reader` does not know.
    """
    tie_break_reader(key)
    return ONSITE_NAME if key == "onsite" else key.partition(":")[2]


def _titles(case_ids: Sequence[int], cases: Mapping[int, CaseLabel]) -> str:
    return "、".join(f"〈{cases[case_id].title}〉" for case_id in case_ids)


def _flag_of(ranked: RankedCase, outcome: RegionOutcome) -> TieFlag | None:
    """The flag of the tie a case is part of, if any."""
    return next((flag for flag in outcome.flags if ranked.case_id in flag.case_ids), None)


def _others_in(flag: TieFlag, ranked: RankedCase, cases: Mapping[int, CaseLabel]) -> str:
    return _titles([case_id for case_id in flag.case_ids if case_id != ranked.case_id], cases)


def _tie_reason(ranked: RankedCase, outcome: RegionOutcome, cases: Mapping[int, CaseLabel],
                tie_break: Sequence[str] | None) -> str:
    """Why a case waits for staff: who it ties with and what was compared (only a tied case
    waits: :func:`scoring.rules.select_region` decides every case below a tie)."""
    own = _flag_of(ranked, outcome)
    partners = _others_in(own, ranked, cases)
    if tie_break is None:
        return f"（與{partners}同分，依比序規則仍無法區分），待主辦機關裁定"
    if tie_break:
        compared = "、".join(tie_break_name(key) for key in tie_break)
        return f"（與{partners}同分，依序比較{compared}仍無法區分），待主辦機關裁定"
    return f"（與{partners}同分，未設比序規則），待主辦機關裁定"


def _county_reason(ranked: RankedCase, above: Sequence[RankedCase], cases: Mapping[int, CaseLabel],
                   per_county: int) -> str:
    """「同縣市已有標竿案例〈…〉」, naming the county's benchmarks ranked above the case, and its
    tied cases above that staff have still to decide between."""
    county = cases[ranked.case_id].county
    same_county = [r for r in above if cases[r.case_id].county == county]
    reason = "同縣市已有標竿案例" + _titles([r.case_id for r in same_county if r.outcome == "benchmark"],
                                     cases)
    pending = [r.case_id for r in same_county if r.outcome == "tie"]
    if pending:
        reason += f"（{_titles(pending, cases)}同分，待主辦機關裁定）"
    if per_county > 1:
        reason += f"（每縣市以{per_county}件為限）"
    return reason


def _passed_over(ranked: RankedCase, outcome: RegionOutcome, cases: Mapping[int, CaseLabel], *,
                 benchmarks: int, per_county: int, honourable: int) -> str:
    """Why a case ranked below the benchmarks is not one, and for an unselected case that the
    honourable mentions are full too.

    Until the quota fills, the cases ranked above take, county by county, as many benchmarks as
    they are but at most ``per_county``, however their ties are broken. If that reaches the
    quota, it was full; otherwise the county limit passed this case over.
    """
    above = [r for r in outcome.ranking if r.rank < ranked.rank]
    counties_above = Counter(cases[r.case_id].county for r in above)
    taken = sum(min(count, per_county) for count in counties_above.values())
    if taken < benchmarks:
        reason = _county_reason(ranked, above, cases, per_county)
        if ranked.outcome == "honourable":
            return f"；{reason}，列為佳作"
        full = f"，佳作名額（{honourable}件）已滿" if honourable else ""
        return f"；{reason}{full}，未入選"
    if ranked.outcome == "honourable":
        return f"；標竿名額（{benchmarks}件）已滿，列為佳作"
    if honourable:
        return f"；標竿名額（{benchmarks}件）與佳作名額（{honourable}件）已滿，未入選"
    return f"；標竿名額（{benchmarks}件）已滿，未入選"


def _shared_place(ranked: RankedCase, outcome: RegionOutcome,
                  cases: Mapping[int, CaseLabel]) -> str:
    """「（與〈…〉同分並列）」 for a case that shares its rank, else nothing."""
    flag = _flag_of(ranked, outcome)
    return "" if flag is None else f"（與{_others_in(flag, ranked, cases)}同分並列）"


def explain_region(region_name: str, outcome: RegionOutcome, cases: Mapping[int, CaseLabel], *,
                   benchmarks: int, per_county: int, honourable: int,
                   tie_break: Sequence[str] | None = None) -> dict[int, str]:
    """One zh-TW reason for each ranked case of a region, keyed by case id.

    ``benchmarks``, ``per_county`` and ``honourable`` are the quotas ``outcome`` was filled
    with (see :func:`scoring.rules.select_region`); ``tie_break`` the keys it compared ties by,
    named in the reason of an unbroken tie (None: the reason only says the rules could not
    break it); ``cases`` names every ranked case. The reasons read, for example:

    - 「第二區第1名，獲選標竿案例」
    - 「第二區第3名；同縣市已有標竿案例〈台中智慧路燈〉，列為佳作」
    - 「第二區第5名；標竿名額（3件）與佳作名額（2件）已滿，未入選」
    - 「第二區第2名（與〈…〉同分，依序比較分區評選成績、應用性仍無法區分），待主辦機關裁定」

    A case that shares its rank but whose outcome does not hang on the tie says so:
    「第二區第1名（與〈…〉同分並列），獲選標竿案例」.
    Raises :class:`ValueError` when ``cases`` lacks a ranked case.
    """
    missing = sorted(r.case_id for r in outcome.ranking if r.case_id not in cases)
    if missing:
        raise ValueError(f"缺少案例 {missing} 的名稱與縣市")
    reasons = {}
    for ranked in outcome.ranking:
        place = f"{region_name}第{ranked.rank}名"
        if ranked.outcome == "tie":
            reason = _tie_reason(ranked, outcome, cases, tie_break)
        elif ranked.outcome == "benchmark":
            reason = f"{_shared_place(ranked, outcome, cases)}，獲選標竿案例"
        else:
            reason = _shared_place(ranked, outcome, cases) + _passed_over(
                ranked, outcome, cases, benchmarks=benchmarks, per_county=per_county,
                honourable=honourable)
        reasons[ranked.case_id] = place + reason
    return reasons
