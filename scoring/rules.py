"""The forum's scoring rules as plain functions over plain data.

A judge's total is the sum of their criterion scores (:func:`judge_total`); a stage score
aggregates the judges' totals (:func:`mean_score`); a case's final score weighs the stage scores
(:func:`final_score`); and :func:`select_region` ranks a region's cases and fills its quotas.

Equal values are compared after rounding to :data:`TIE_DECIMALS` places, so that two cases whose
exact scores are equal are tied even when floating point sums them in a different order.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scoring.labelled import LabelledEnum

TIE_DECIMALS = 9
"""Decimal places to which scores are rounded before they are compared."""



class Outcome(LabelledEnum):
    """A case's outcome in a region: ``tie`` means it waits on staff to break a tie."""

    BENCHMARK = ("benchmark", "標竿案例")
    HONOURABLE = ("honourable", "佳作")
    NONE = ("none", "未入選")
    TIE = ("tie", "待裁定")

    @property
    def status(self) -> str | None:
        """The case status publishing sets for this outcome (none for an open tie)."""
        return _OUTCOME_STATUS.get(self)

    @classmethod
    def decided(cls) -> tuple[Outcome, ...]:
        """The outcomes staff may set by an override: every one but an open tie."""
        return cls.BENCHMARK, cls.HONOURABLE, cls.NONE

    @classmethod
    def award_statuses(cls) -> frozenset[str]:
        """The case statuses of an award (標竿案例, 佳作)."""
        return frozenset((cls.BENCHMARK.status, cls.HONOURABLE.status))


_OUTCOME_STATUS = {Outcome.BENCHMARK: "benchmark", Outcome.HONOURABLE: "honourable",
                   Outcome.NONE: "not_selected"}
OUTCOMES = tuple(outcome.value for outcome in Outcome)
"""The stored value of every outcome."""
OUTCOME_LABELS = Outcome.labels()
"""Every outcome's value and its zh-TW name."""


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion (評選指標) and the most points (配分) a judge may give on it."""

    name: str
    points: float


@dataclass(frozen=True)
class Candidate:
    """A case competing in a region, with the scores its ranking and tie-breaks read.

    ``criterion_means`` maps a criterion name to the case's score on it, for tie-break keys such
    as ``criterion:應用性``.
    """

    case_id: int
    county: str
    final: float
    onsite: float
    criterion_means: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedCase:
    """A case's place in a region: tied cases share a rank (1, 2, 2, 4 ...)."""

    case_id: int
    rank: int
    outcome: str  # one of OUTCOMES


@dataclass(frozen=True)
class TieFlag:
    """Cases the tie-break rules could not separate, for staff to decide.

    ``decides_outcome`` is True when some of the cases' outcomes depend on how the tie is
    broken; those cases have outcome ``tie``. (Cases below a tie never do: how far the quotas
    are filled after it is the same however it is broken.)
    """

    rank: int
    case_ids: tuple[int, ...]
    decides_outcome: bool


@dataclass(frozen=True)
class RegionOutcome:
    """A region's ranking and selection; ``benchmarks`` and ``honourable`` in rank order."""

    ranking: tuple[RankedCase, ...]
    benchmarks: tuple[int, ...]
    honourable: tuple[int, ...]
    flags: tuple[TieFlag, ...]


def judge_total(scores: Mapping[str, float | None], criteria: Sequence[Criterion]) -> float | None:
    """A judge's total for a case: the sum of their criterion scores.

    None while any criterion is unscored. Raises :class:`ValueError` for a score outside
    0 to the criterion's points.
    """
    values = []
    for criterion in criteria:
        value = scores.get(criterion.name)
        if value is None:
            return None
        if not 0 <= value <= criterion.points:
            raise ValueError(f"「{criterion.name}」的分數 {value} 不在 0 到 {criterion.points} 之間")
        values.append(value)
    return math.fsum(values)


def mean_score(totals: Sequence[float]) -> float | None:
    """The mean of the judges' totals, or None when there is none."""
    if not totals:
        return None
    return math.fsum(totals) / len(totals)


def final_score(stage_scores: Mapping[str, float | None],
                weights: Mapping[str, float]) -> float | None:
    """The weighted sum of stage scores, e.g. 0.4 × 書面篩選 + 0.6 × 分區評選.

    A stage of weight 0 may lack a score; any other missing stage score gives None.
    """
    parts = []
    for stage, weight in weights.items():
        if weight == 0:
            continue
        score = stage_scores.get(stage)
        if score is None:
            return None
        parts.append(weight * score)
    return math.fsum(parts)


# --- ranking and selection -------------------------------------------------------------------

def _onsite(candidate: Candidate) -> float:
    return candidate.onsite


def _criterion_reader(name: str) -> Callable[[Candidate], float]:
    def read(candidate: Candidate) -> float:
        if name not in candidate.criterion_means:
            raise ValueError(f"案例 {candidate.case_id} 沒有「{name}」的分數，無法依此比序")
        return candidate.criterion_means[name]
    return read


def tie_break_reader(key: str) -> Callable[[Candidate], float]:
    """The value a tie-break key compares (higher is better): ``onsite`` or ``criterion:NAME``.

    Raises :class:`ValueError` for a key it does not know.
    """
    if key == "onsite":
        return _onsite
    kind, _, name = key.partition(":")
    if kind == "criterion" and name:
        return _criterion_reader(name)
    raise ValueError(f"不認得的比序規則「{key}」")


def _rank_groups(candidates: Sequence[Candidate], tie_break: Sequence[str]) -> list[list[Candidate]]:
    """Candidates grouped by equal rank, best group first; a group lists its cases by id."""
    readers = [lambda c: c.final] + [tie_break_reader(key) for key in tie_break]

    def sort_key(candidate: Candidate) -> tuple[float, ...]:
        return tuple(-round(read(candidate), TIE_DECIMALS) for read in readers)

    groups: dict[tuple[float, ...], list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (sort_key(c), c.case_id)):
        groups.setdefault(sort_key(candidate), []).append(candidate)
    return list(groups.values())


@dataclass
class _FillState:
    """How far the quotas are filled after the groups seen so far (the same in every order
    their ties could be broken in): benchmark places left, each county's benchmarks (exact
    while places are left; afterwards no longer read) and how many cases were not benchmarks."""

    benchmark_slots: int
    county_benchmarks: Counter[str] = field(default_factory=Counter)
    passed_over: int = 0


def _group_outcomes(group: Sequence[Candidate], state: _FillState, *, per_county: int,
                    honourable: int) -> dict[int, str]:
    """The outcome of each case of one group of equal rank, ``tie`` when it depends on the
    order the group's tie is broken in; ``state`` (the fill before the group) moves past it.

    No order is tried. The benchmark quota takes from the group, county by county, as many
    cases as the county has left under ``per_county`` (its "room"), until the quota is full:
    how many it takes, and while it is not full how many each county gets, are the same in
    every order. A case is then surely a benchmark (its county's room holds all its group
    cases and the quota holds all the group takes), surely not (no quota or no room left), or
    either. Honourable mentions go to the first non-benchmark cases in order: the group's
    non-benchmark count is fixed, so a non-benchmark case is surely honourable when the
    mentions left cover them all, surely not when none are left, and either otherwise.
    """
    open_slots = max(0, state.benchmark_slots)
    by_county: Counter[str] = Counter(candidate.county for candidate in group)
    room = {county: max(0, per_county - state.county_benchmarks[county]) for county in by_county}
    eligible = sum(min(count, room[county]) for county, count in by_county.items())
    taken = min(open_slots, eligible)
    mentions_left = max(0, honourable - state.passed_over)
    not_benchmarks = len(group) - taken
    outcomes = {}
    for candidate in group:
        county = candidate.county
        if open_slots == 0 or room[county] == 0:
            possible = {"none"}
        elif eligible <= open_slots and by_county[county] <= room[county]:
            possible = {"benchmark"}
        else:
            possible = {"benchmark", "none"}
        if "none" in possible and mentions_left:
            possible.discard("none")
            possible |= {"honourable"} if mentions_left >= not_benchmarks else {"honourable",
                                                                               "none"}
        outcomes[candidate.case_id] = possible.pop() if len(possible) == 1 else "tie"
    if taken < open_slots:
        for county, count in by_county.items():
            state.county_benchmarks[county] += min(count, room[county])
    state.benchmark_slots -= taken
    state.passed_over += not_benchmarks
    return outcomes


def _outcomes_of_groups(groups: list[list[Candidate]], *, benchmarks: int, per_county: int,
                        honourable: int) -> dict[int, str]:
    """Each case's outcome if it is the same however the ties are broken, else ``tie``."""
    state = _FillState(benchmark_slots=benchmarks)
    outcomes: dict[int, str] = {}
    for group in groups:
        outcomes |= _group_outcomes(group, state, per_county=per_county, honourable=honourable)
    return outcomes


def select_region(candidates: Sequence[Candidate], *, benchmarks: int, per_county: int,
                  honourable: int, tie_break: Sequence[str] = ()) -> RegionOutcome:
    """Rank a region's cases and choose its benchmark cases (標竿案例) and honourable mentions (佳作).

    Cases rank by final score, best first; equal finals are separated by the ``tie_break`` keys in
    order (see :func:`tie_break_reader`). Cases still equal share a rank and are flagged; they
    are never separated by id or input order. Benchmarks are chosen best first, passing over a
    case whose county already holds ``per_county`` benchmarks, until ``benchmarks`` are chosen;
    then ``honourable`` more in the same order (a passed-over case may be one).

    A case's outcome is assigned when it is the same whichever way the flagged ties are broken;
    otherwise it is ``tie`` and its flag has ``decides_outcome``, for staff to decide. The result
    does not depend on the order of ``candidates``.
    """
    ids = Counter(candidate.case_id for candidate in candidates)
    duplicates = sorted(case_id for case_id, count in ids.items() if count > 1)
    if duplicates:
        raise ValueError(f"案例重複：{duplicates}")
    groups = _rank_groups(candidates, tie_break)
    outcomes = _outcomes_of_groups(groups, benchmarks=benchmarks, per_county=per_county,
                                          honourable=honourable)
    ranking: list[RankedCase] = []
    flags: list[TieFlag] = []
    for group in groups:
        rank = len(ranking) + 1
        ranking.extend(RankedCase(c.case_id, rank, outcomes[c.case_id]) for c in group)
        if len(group) > 1:
            flags.append(TieFlag(rank, tuple(c.case_id for c in group),
                                 any(outcomes[c.case_id] == "tie" for c in group)))
    return RegionOutcome(
        ranking=tuple(ranking),
        benchmarks=tuple(r.case_id for r in ranking if r.outcome == "benchmark"),
        honourable=tuple(r.case_id for r in ranking if r.outcome == "honourable"),
        flags=tuple(flags),
    )
