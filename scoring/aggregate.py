"""Stage scores: each case's judges' totals aggregated by the year's method (a setting).

Every method takes the complete totals of one stage as :class:`JudgeTotal` rows and gives each
case a stage score on one common scale where HIGHER is better, so that a weighted sum of stage
scores (:func:`scoring.rules.final_score`) means what the weights say, whichever method a stage
uses. Five methods are offered (:data:`AGGREGATION_METHODS`):

- ``mean``: the mean of the case's totals (the default);
- ``trimmed_mean``: the mean without the highest and the lowest total, once a case has at least
  ``trim_min_judges`` judges;
- ``median``: the median of the case's totals;
- ``zscore``: each judge's totals standardised over the cases that judge scored, so that a
  lenient or a severe judge weighs like any other, mapped back onto the panel's raw mean and
  standard deviation and never clipped; a judge who cannot be standardised (one case, or every
  case the same total) contributes raw totals and the case is noted for staff;
- ``rank`` (序位法): each judge's totals ranked within that judge's own cases (ties share the
  average rank) and mapped to a percentile score 100 × (n − r) / (n − 1); a case's score is
  the mean over its judges. A judge with one case gives 50 and the case is noted. In a complete
  design (every judge scores every case) this orders the cases as the classic rank sum (序位和),
  which :func:`aggregate_stage` then gives too.

Equal totals are compared after rounding to :data:`scoring.rules.TIE_DECIMALS` places.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from scoring.rules import TIE_DECIMALS

AGGREGATION_METHODS = ("mean", "trimmed_mean", "median", "zscore", "rank")
"""The names of the stage score methods, as the year's ``aggregation`` setting spells them."""

METHOD_NAMES = {
    "mean": "平均數",
    "trimmed_mean": "截尾平均數",
    "median": "中位數",
    "zscore": "標準化分數（z 分數）",
    "rank": "序位法",
}
"""Each method's name in zh-TW, as pages, workbooks and the command line show it."""

ONE_CASE_SCORE = 50.0
"""The percentile score (½ × 100) a judge who scored a single case gives it under ``rank``."""

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class JudgeTotal:
    """One judge's complete total (the sum of every criterion) for one case in one stage."""

    judge: str
    case_id: int
    total: float


def judge_score_table(totals: Sequence[JudgeTotal]) -> dict[str, dict[int, float]]:
    """Each judge's totals by case: ``{judge: {case_id: total}}``.

    Raises :class:`ValueError` when a judge has two totals for the same case.
    """
    table: dict[str, dict[int, float]] = defaultdict(dict)
    for row in totals:
        if row.case_id in table[row.judge]:
            raise ValueError(f"評審 {row.judge} 對案例 {row.case_id} 有兩筆總分")
        table[row.judge][row.case_id] = row.total
    return dict(table)


def _totals_by_case(totals: Sequence[JudgeTotal]) -> dict[int, list[float]]:
    """Each case's totals, cases in id order; a judge scoring a case twice is refused."""
    judge_score_table(totals)
    by_case: dict[int, list[float]] = defaultdict(list)
    for row in totals:
        by_case[row.case_id].append(row.total)
    return {case_id: by_case[case_id] for case_id in sorted(by_case)}


def average_ranks(scores: Mapping[Key, float]) -> dict[Key, float]:
    """Places by score, 1 for the highest; equal scores share the mean of the places they span.

    For example ``{a: 90, b: 85, c: 85, d: 70}`` gives ``{a: 1, b: 2.5, c: 2.5, d: 4}``.
    """
    ordered = sorted(scores, key=lambda key: -round(scores[key], TIE_DECIMALS))
    ranks: dict[Key, float] = {}
    start = 0
    while start < len(ordered):
        value = round(scores[ordered[start]], TIE_DECIMALS)
        end = start
        while end + 1 < len(ordered) and round(scores[ordered[end + 1]], TIE_DECIMALS) == value:
            end += 1
        shared = (start + end) / 2 + 1
        for key in ordered[start:end + 1]:
            ranks[key] = shared
        start = end + 1
    return ranks


def mean_scores(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """Each case's mean total."""
    return {case_id: math.fsum(values) / len(values)
            for case_id, values in _totals_by_case(totals).items()}


def trimmed_mean_scores(totals: Sequence[JudgeTotal], min_judges: int = 5) -> dict[int, float]:
    """Each case's mean total without its highest and its lowest, when it has at least
    ``min_judges`` totals; a case with fewer judges gets its plain mean.

    ``min_judges`` must be at least 3, so that a trimmed case keeps a total.
    """
    if min_judges < 3:
        raise ValueError(f"去除最高與最低分至少需要 3 位評審，設定值為 {min_judges}")
    scores = {}
    for case_id, values in _totals_by_case(totals).items():
        kept = sorted(values)[1:-1] if len(values) >= min_judges else values
        scores[case_id] = math.fsum(kept) / len(kept)
    return scores


def median_scores(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """Each case's median total (the mean of the middle two for an even number of judges)."""
    return {case_id: float(statistics.median(values))
            for case_id, values in _totals_by_case(totals).items()}


@dataclass(frozen=True)
class StageAggregate:
    """A stage's scores by one method, with what staff should know about them.

    ``notes`` lists, per case, the judges whose totals could not be treated by the method's
    rule (e.g. 「評審 X 僅評 1 件，未標準化」). ``rank_sums`` and ``mean_ranks`` are the classic
    序位和 and 序位平均 (1 = a judge's best case; lower is better), given under ``rank`` in a
    complete design only, where they order the cases as ``scores`` does.
    """

    method: str
    scores: dict[int, float]
    notes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    rank_sums: dict[int, float] | None = None
    mean_ranks: dict[int, float] | None = None


def _mapped_means(contributions: Mapping[int, list[float]]) -> dict[int, float]:
    return {case_id: math.fsum(values) / len(values)
            for case_id, values in sorted(contributions.items())}


def _sorted_notes(notes: Mapping[int, list[str]]) -> dict[int, tuple[str, ...]]:
    return {case_id: tuple(notes[case_id]) for case_id in sorted(notes)}


def _zscore_aggregate(totals: Sequence[JudgeTotal]) -> StageAggregate:
    """Per-judge z-scores over the judge's own cases (population standard deviation), mapped
    onto the mean and population standard deviation of all the stage's totals; a judge with
    fewer than 2 cases or no spread contributes raw totals and their cases are noted."""
    table = judge_score_table(totals)
    every_total = [round(row.total, TIE_DECIMALS) for row in totals]
    if not every_total:
        return StageAggregate("zscore", {})
    centre, spread = statistics.fmean(every_total), statistics.pstdev(every_total)
    contributions: dict[int, list[float]] = defaultdict(list)
    notes: dict[int, list[str]] = defaultdict(list)
    for judge in sorted(table):
        scores = {case_id: round(total, TIE_DECIMALS) for case_id, total in table[judge].items()}
        own_centre, own_spread = statistics.fmean(scores.values()), statistics.pstdev(scores.values())
        if len(scores) < 2 or own_spread == 0:
            why = "僅評 1 件" if len(scores) < 2 else "給分皆相同"
            for case_id, total in scores.items():
                contributions[case_id].append(total)
                notes[case_id].append(f"評審 {judge} {why}，未標準化")
            continue
        for case_id, total in scores.items():
            contributions[case_id].append(centre + (total - own_centre) / own_spread * spread)
    return StageAggregate("zscore", _mapped_means(contributions), _sorted_notes(notes))


def zscore_scores(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """Each case's score after standardising every judge (see :func:`aggregate_stage`):
    the mean over its judges of overall mean + z × overall sd, never clipped."""
    return _zscore_aggregate(totals).scores


def _judge_ranks_by_case(totals: Sequence[JudgeTotal]) -> dict[int, list[float]]:
    """Each case's ranks, one from each judge who scored it (1 = that judge's best case)."""
    ranks: dict[int, list[float]] = defaultdict(list)
    for scores in judge_score_table(totals).values():
        for case_id, rank in average_ranks(scores).items():
            ranks[case_id].append(rank)
    return {case_id: ranks[case_id] for case_id in sorted(ranks)}


def rank_sums(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """The classic 序位和: each case's sum of its judges' ranks (1 = a judge's best case).
    LOWER is better, and sums compare fairly only in a complete design
    (:func:`is_complete_design`); selection uses :func:`percentile_rank_scores`."""
    return {case_id: math.fsum(ranks) for case_id, ranks in _judge_ranks_by_case(totals).items()}


def mean_ranks(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """The classic 序位平均: each case's mean rank over its judges; lower is better."""
    return {case_id: math.fsum(ranks) / len(ranks)
            for case_id, ranks in _judge_ranks_by_case(totals).items()}


def is_complete_design(totals: Sequence[JudgeTotal]) -> bool:
    """Whether every judge of the stage scored every case of it (and there is a total)."""
    table = judge_score_table(totals)
    cases = {row.case_id for row in totals}
    return bool(cases) and all(set(scores) == cases for scores in table.values())


def _rank_aggregate(totals: Sequence[JudgeTotal]) -> StageAggregate:
    """序位法 as percentile ranks within each judge's own cases (see the module docstring)."""
    contributions: dict[int, list[float]] = defaultdict(list)
    notes: dict[int, list[str]] = defaultdict(list)
    table = judge_score_table(totals)
    for judge in sorted(table):
        scores = table[judge]
        count = len(scores)
        for case_id, rank in average_ranks(scores).items():
            if count == 1:
                contributions[case_id].append(ONE_CASE_SCORE)
                notes[case_id].append(f"評審 {judge} 僅評 1 件，以 {ONE_CASE_SCORE:g} 分計")
            else:
                contributions[case_id].append(100 * (count - rank) / (count - 1))
    complete = is_complete_design(totals)
    return StageAggregate("rank", _mapped_means(contributions), _sorted_notes(notes),
                          rank_sums=rank_sums(totals) if complete else None,
                          mean_ranks=mean_ranks(totals) if complete else None)


def percentile_rank_scores(totals: Sequence[JudgeTotal]) -> dict[int, float]:
    """序位法: each case's mean percentile rank, 100 × (n − r) / (n − 1) per judge."""
    return _rank_aggregate(totals).scores


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`AGGREGATION_METHODS`, else :class:`ValueError`."""
    if method not in AGGREGATION_METHODS:
        raise ValueError(f"不認得的評分彙整方式「{method}」，可用：{'、'.join(AGGREGATION_METHODS)}")
    return method


def aggregate_stage(totals: Sequence[JudgeTotal], method: str, *,
                    trim_min_judges: int = 5) -> StageAggregate:
    """Each case's stage score by ``method`` (one of :data:`AGGREGATION_METHODS`), higher is
    better, with notes for staff and, under ``rank`` in a complete design, the classic rank
    sums. ``trim_min_judges`` is the fewest judges a case needs before ``trimmed_mean`` drops
    its highest and lowest totals. Raises :class:`ValueError` for a method it does not know.
    """
    check_method(method)
    if method == "zscore":
        return _zscore_aggregate(totals)
    if method == "rank":
        return _rank_aggregate(totals)
    plain: dict[str, Callable[[Sequence[JudgeTotal]], dict[int, float]]] = {
        "mean": mean_scores,
        "trimmed_mean": lambda rows: trimmed_mean_scores(rows, trim_min_judges),
        "median": median_scores,
    }
    return StageAggregate(method, plain[method](totals))


def aggregate(totals: Sequence[JudgeTotal], method: str, *,
              trim_min_judges: int = 5) -> dict[int, float]:
    """Each case's stage score by ``method``: the ``scores`` of :func:`aggregate_stage`."""
    return aggregate_stage(totals, method, trim_min_judges=trim_min_judges).scores
