"""Marked differences between judges (評分差異過大), which a 評分總表 must state and staff handle.

Two rules, both with thresholds from the year's settings:

- **points**: a judge's total for a case differs from the mean of that case's totals by more
  than ``points`` (only cases with at least 2 judges);
- **ranking**: a judge's ranking of the cases correlates with the other judges' below ``rho``
  (Spearman's rho on the cases they share, see :func:`scoring.agreement.disagreeing_judges`).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from scoring.aggregate import JudgeTotal, judge_score_table
from scoring.agreement import disagreeing_judges
from scoring.rules import TIE_DECIMALS


@dataclass(frozen=True)
class Difference:
    """One marked difference: ``kind`` is ``points`` (``case_id`` set, ``value`` the judge's
    total minus the case's mean) or ``ranking`` (``case_id`` None, ``value`` the rho)."""

    kind: str
    judge: str
    case_id: int | None
    value: float

    @property
    def subject(self) -> str:
        """A stable key for the difference, under which staff's handling is stored."""
        return f"points:{self.case_id}:{self.judge}" if self.kind == "points" else \
            f"ranking:{self.judge}"


def marked_differences(totals: Sequence[JudgeTotal], *, points: float,
                       rho: float) -> list[Difference]:
    """Every marked difference of one session's totals: point differences by case then
    judge, then judges whose ranking disagrees, by judge."""
    judge_score_table(totals)  # refuses a judge with two totals for one case
    by_case: dict[int, list[JudgeTotal]] = defaultdict(list)
    for row in totals:
        by_case[row.case_id].append(row)
    found = []
    for case_id in sorted(by_case):
        rows = by_case[case_id]
        if len(rows) < 2:
            continue
        mean = math.fsum(row.total for row in rows) / len(rows)
        for row in sorted(rows, key=lambda r: r.judge):
            gap = row.total - mean
            if round(abs(gap), TIE_DECIMALS) > points:
                found.append(Difference("points", row.judge, case_id, gap))
    found += [Difference("ranking", agreement.judge, None, agreement.rho)
              for agreement in disagreeing_judges(totals, rho)
              if agreement.flagged and agreement.rho is not None]
    return found
