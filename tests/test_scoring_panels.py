"""Aggregation on real panels (issue 13): each case scored by some of the judges, judges who
withdraw, two stages weighed 40/60, and ties that decide nothing.

The six reproductions come first, with their numbers worked out by hand; then property tests
against a small reference written from the rules as stated (percentile ranks, z-scores,
exact tie outcomes by trying every order on small ties).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from itertools import permutations, product

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import (AGGREGATION_METHODS, Candidate, JudgeTotal, aggregate, aggregate_stage,
                     final_score, select_region)

WEIGHTS = {"screening": 0.4, "onsite": 0.6}


def rows(table):
    """JudgeTotal rows from ``{judge: {case_id: total}}``."""
    return [JudgeTotal(judge, case_id, total)
            for judge, scores in table.items() for case_id, total in scores.items()]


def approx(expected):
    return {case_id: pytest.approx(value) for case_id, value in expected.items()}


# --- the six reproductions --------------------------------------------------------------------

def test_1_a_case_with_fewer_judges_is_not_favoured():
    """A and B both put case 1 above case 2; C did not score case 2 and put case 1 last of
    its three. Percentile ranks: A and B give 100, 66.7, 33.3, 0 to cases 1–4; C (three cases)
    gives case 3 100, case 4 50, case 1 0. Case 1: (100+100+0)/3 = 66.7; case 2:
    (66.7+66.7)/2 = 66.7 — equal, where the rank sum put case 2 first (sums 5 and 4)."""
    table = rows({"A": {1: 90, 2: 85, 3: 80, 4: 75}, "B": {1: 90, 2: 85, 3: 80, 4: 75},
                  "C": {1: 80, 3: 90, 4: 85}})
    assert aggregate(table, "rank") == approx({1: 200 / 3, 2: 200 / 3, 3: 500 / 9, 4: 50 / 3})


def test_2_two_cases_treated_alike_score_alike_under_uneven_loads():
    """Case 1 is last for judges A and B (4 cases each) and C (4 cases); case 8 is last for
    D and E (4 cases each) and F (3 cases): rank sums 12 and 11. Last is 0 for every judge."""
    table = rows({"A": {1: 60, 2: 70, 3: 80, 4: 90}, "B": {1: 60, 2: 70, 3: 80, 4: 90},
                  "C": {1: 60, 2: 70, 3: 80, 4: 90},
                  "D": {5: 90, 6: 80, 7: 70, 8: 60}, "E": {5: 90, 6: 80, 7: 70, 8: 60},
                  "F": {5: 90, 6: 80, 8: 60}})
    scores = aggregate(table, "rank")
    assert scores[1] == scores[8] == 0


def test_3_stage_weights_hold_whatever_the_method():
    """Case 1 is last of 30 on screening and first of 3 on site; case 2 the reverse. On site
    weighs 60%, so case 1 must come first: 0.4 × 0 + 0.6 × 100 = 60 against 0.4 × 100 + 0.6 × 0
    = 40 (the rank sums gave 13.8 against 8.4, screening first)."""
    screening = rows({judge: {case_id: 100 - case_id for case_id in range(2, 31)} | {1: 40}
                      for judge in "ABC"})
    onsite = rows({judge: {1: 90, 3: 80, 2: 70} for judge in "DEF"})
    stage = {key: aggregate(totals, "rank") for key, totals in
             (("screening", screening), ("onsite", onsite))}
    finals = {case_id: final_score({key: stage[key][case_id] for key in stage}, WEIGHTS)
              for case_id in (1, 2)}
    assert finals == approx({1: 60, 2: 40})


def test_4_zscore_is_never_clipped():
    """A gives cases 1–8 a 70, case 9 an 80, case 10 a 79: mean 71.9, sd √(87.09) ≈ 3.63, so
    z(9) = 8.1/3.63 and z(10) = 7.1/3.63. B gives case 11 a 20 and case 12 a 100. All twelve
    totals: mean 839/12, population sd √(Σ(x−m)²/12). Both map above 100 and keep their order."""
    table = {"A": {n: 70 for n in range(1, 9)} | {9: 80, 10: 79}, "B": {11: 20, 12: 100}}
    every = [total for scores in table.values() for total in scores.values()]
    centre, spread = statistics.fmean(every), statistics.pstdev(every)
    a = list(table["A"].values())
    z = {case_id: (table["A"][case_id] - statistics.fmean(a)) / statistics.pstdev(a)
         for case_id in (9, 10)}
    scores = aggregate(rows(table), "zscore")
    assert scores[9] == pytest.approx(centre + z[9] * spread) == pytest.approx(106.675, abs=1e-3)
    assert scores[10] == pytest.approx(centre + z[10] * spread) == pytest.approx(102.137, abs=1e-3)


def test_5_a_judge_who_cannot_be_standardised_contributes_raw_totals_and_is_flagged():
    """X scored only case 1 (40); Y gave cases 2 and 3 the same 60. They were z = 0 and moved
    cases 1 to the panel mean, above case 4 (A and B: 60 and 65, their lower cases). Now X
    contributes 40 and Y 60 as they are, and both cases are flagged for staff."""
    table = {"X": {1: 40}, "Y": {2: 60, 3: 60},
             "A": {4: 60, 5: 80}, "B": {4: 65, 5: 85}}
    result = aggregate_stage(rows(table), "zscore")
    every = [total for scores in table.values() for total in scores.values()]
    centre, spread = statistics.fmean(every), statistics.pstdev(every)
    # A and B have z = −1 for case 4 and +1 for case 5.
    assert result.scores == approx({1: 40, 2: 60, 3: 60, 4: centre - spread,
                                    5: centre + spread})
    assert result.scores[1] < result.scores[4]
    assert result.notes == {1: ("評審 X 僅評 1 件，未標準化",),
                            2: ("評審 Y 給分皆相同，未標準化",), 3: ("評審 Y 給分皆相同，未標準化",)}


def test_a_judge_with_one_case_gives_half_marks_under_rank_and_is_flagged():
    result = aggregate_stage(rows({"A": {1: 90, 2: 80}, "X": {2: 70}}), "rank")
    assert result.scores == approx({1: 100, 2: 25})
    assert result.notes == {2: ("評審 X 僅評 1 件，以 50 分計",)}


def candidate(case_id, county, final):
    return Candidate(case_id, county, final, final, {})


def test_6_a_large_tie_that_decides_nothing_is_not_flagged():
    """Five clear leaders fill 3 benchmarks and 2 honourable mentions; 9 cases tie at 50
    below them (9! orderings): none of them can be selected, so the tie decides nothing."""
    leaders = [candidate(n, f"縣{n}", 90 - n) for n in range(1, 6)]
    tied = [candidate(n, f"縣{n}", 50) for n in range(10, 19)]
    result = select_region(leaders + tied, benchmarks=3, per_county=1, honourable=2)
    assert {r.case_id: r.outcome for r in result.ranking} == (
        {1: "benchmark", 2: "benchmark", 3: "benchmark", 4: "honourable", 5: "honourable"}
        | {n: "none" for n in range(10, 19)})
    assert [(f.rank, len(f.case_ids), f.decides_outcome) for f in result.flags] == [(6, 9, False)]


def test_forty_tied_cases_are_decided_exactly_without_trying_orders():
    """40 cases tie (40! orderings, more than could ever be tried): two counties hold two each,
    the rest one. With 3 benchmarks, 2 honourable mentions and one benchmark per county every
    case could still get any outcome; with 40 benchmarks every case of a one-case county is a
    benchmark and a two-case county's pair waits on staff (one is a benchmark, the other an
    honourable mention or nothing); below them a clear case stays decided."""
    counties = ["甲", "甲", "乙", "乙"] + [f"縣{n}" for n in range(36)]
    tied = [candidate(n, county, 70) for n, county in enumerate(counties, start=1)]
    last = candidate(99, "縣99", 60)
    few = select_region(tied + [last], benchmarks=3, per_county=1, honourable=2)
    assert Counter(r.outcome for r in few.ranking) == {"tie": 40, "none": 1}
    assert [(f.rank, len(f.case_ids), f.decides_outcome) for f in few.flags] == [(1, 40, True)]
    many = select_region(tied + [last], benchmarks=40, per_county=1, honourable=1)
    outcomes = {r.case_id: r.outcome for r in many.ranking}
    assert [outcomes[n] for n in (1, 2, 3, 4)] == ["tie"] * 4
    assert all(outcomes[n] == "benchmark" for n in range(5, 41))
    # 38 benchmarks, the 40-benchmark quota still open: case 99 is one, whatever the tie does.
    assert outcomes[99] == "benchmark"


# --- a reference written from the rules as stated ---------------------------------------------

def reference_percentile(table):
    """序位法 as the issue states it, without the library: average ranks within each judge,
    100 × (n − r) / (n − 1), ½ × 100 for a one-case judge, mean over the case's judges."""
    by_case = {}
    for scores in table.values():
        n = len(scores)
        for case_id, total in scores.items():
            higher = sum(other > total for other in scores.values())
            equal = sum(other == total for other in scores.values())
            rank = higher + (equal + 1) / 2
            by_case.setdefault(case_id, []).append(50.0 if n == 1 else 100 * (n - rank) / (n - 1))
    return {case_id: sum(values) / len(values) for case_id, values in by_case.items()}


def reference_zscore(table):
    """z-score as stated: each judge standardised over their own cases (population sd), mapped
    onto the mean and population sd of all totals, raw for a judge with one case or no spread."""
    every = [total for scores in table.values() for total in scores.values()]
    centre = sum(every) / len(every)
    spread = math.sqrt(sum((x - centre) ** 2 for x in every) / len(every))
    by_case = {}
    for scores in table.values():
        values = list(scores.values())
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((x - mean) ** 2 for x in values) / len(values))
        for case_id, total in scores.items():
            raw = len(values) < 2 or sd == 0
            by_case.setdefault(case_id, []).append(
                total if raw else centre + (total - mean) / sd * spread)
    return {case_id: sum(values) / len(values) for case_id, values in by_case.items()}


JUDGES = "ABCDE"
panels = st.dictionaries(st.sampled_from(JUDGES),
                         st.dictionaries(st.integers(1, 8), st.integers(0, 100), min_size=1,
                                         max_size=8),
                         min_size=1, max_size=5)


@given(panel=panels)
def test_percentile_rank_and_zscore_follow_their_definitions(panel):
    assert aggregate(rows(panel), "rank") == approx(reference_percentile(panel))
    assert aggregate(rows(panel), "zscore") == approx(reference_zscore(panel))


def _standardised(scores, totals):
    """Stage scores as distances from the panel mean in panel standard deviations."""
    every = [row.total for row in totals]
    centre, spread = statistics.fmean(every), statistics.pstdev(every)
    return {case_id: (score - centre) / spread for case_id, score in scores.items()}


@given(panel=panels, judge=st.sampled_from(JUDGES), shift=st.integers(-30, 30))
def test_a_judge_adding_a_constant_changes_nothing(panel, judge, shift):
    """Under 序位法 nothing at all; under z-score nothing once the scores are read on the
    panel's scale (where each case stands in panel standard deviations), provided every
    judge can be standardised."""
    assume(judge in panel)
    shifted = {name: {c: t + shift if name == judge else t for c, t in scores.items()}
               for name, scores in panel.items()}
    assert aggregate(rows(shifted), "rank") == approx(aggregate(rows(panel), "rank"))
    assume(all(len(set(scores.values())) > 1 for scores in panel.values()))
    before, after = rows(panel), rows(shifted)
    assume(statistics.pstdev([r.total for r in after]) > 0)
    assert _standardised(aggregate(after, "zscore"), after) == approx(
        _standardised(aggregate(before, "zscore"), before))


@settings(max_examples=60)
@given(screening=panels, onsite=panels, method=st.sampled_from(AGGREGATION_METHODS))
def test_a_case_that_beats_another_in_both_stages_is_never_below_it(screening, onsite, method):
    first = aggregate(rows(screening), method, trim_min_judges=3)
    second = aggregate(rows(onsite), method, trim_min_judges=3)
    cases = sorted(set(first) & set(second))
    region = select_region(
        [Candidate(c, f"縣{c}", final_score({"screening": first[c], "onsite": second[c]},
                                            WEIGHTS), second[c], {}) for c in cases],
        benchmarks=3, per_county=1, honourable=2)
    place = {r.case_id: r.rank for r in region.ranking}
    for a, b in product(cases, repeat=2):
        if first[a] > first[b] + 1e-9 and second[a] > second[b] + 1e-9:
            assert place[a] < place[b]


@given(panel=st.lists(st.lists(st.integers(50, 100), min_size=4, max_size=4), min_size=2,
                      max_size=4))
def test_in_a_complete_design_rank_orders_as_the_classic_rank_sum(panel):
    """Every judge scores every case: the percentile mean is a falling linear function of
    the rank sum, so the two orders agree."""
    table = rows({JUDGES[j]: dict(enumerate(totals, start=1)) for j, totals in enumerate(panel)})
    result = aggregate_stage(table, "rank")
    for a, b in product(result.scores, repeat=2):
        if result.rank_sums[a] < result.rank_sums[b] - 1e-9:
            assert result.scores[a] > result.scores[b]
    assert result.mean_ranks == approx({c: s / len(panel) for c, s in result.rank_sums.items()})


def test_rank_sums_are_shown_only_in_a_complete_design():
    assert aggregate_stage(rows({"A": {1: 90, 2: 80}, "B": {1: 70}}), "rank").rank_sums is None
    assert aggregate_stage(rows({"A": {1: 90, 2: 80}, "B": {1: 70, 2: 75}}),
                           "rank").rank_sums == {1: 3, 2: 3}
    assert aggregate_stage(rows({"A": {1: 90, 2: 80}}), "mean").rank_sums is None


def reference_outcomes(candidates, *, benchmarks, per_county, honourable):
    """Each case's outcome over every order of its tied group (small ties only): the greedy
    fill the rules describe, and ``tie`` when two orders disagree."""
    finals = sorted({c.final for c in candidates}, reverse=True)
    groups = [[c for c in candidates if c.final == value] for value in finals]
    seen: dict[int, set[str]] = {c.case_id: set() for c in candidates}
    for choice in product(*(permutations(group) for group in groups)):
        order = [c for group in choice for c in group]
        taken, chosen, mentioned = Counter(), set(), 0
        for c in order:
            if len(chosen) < benchmarks and taken[c.county] < per_county:
                chosen.add(c.case_id)
                taken[c.county] += 1
        for c in order:
            outcome = "benchmark" if c.case_id in chosen else "none"
            if outcome == "none" and mentioned < honourable:
                outcome, mentioned = "honourable", mentioned + 1
            seen[c.case_id].add(outcome)
    return {case_id: outcomes.pop() if len(outcomes) == 1 else "tie"
            for case_id, outcomes in seen.items()}


small_regions = st.lists(st.tuples(st.sampled_from("甲乙丙丁"), st.integers(60, 63)),
                         max_size=7).map(
    lambda items: [candidate(n, county, final) for n, (county, final) in enumerate(items, 1)])


@settings(max_examples=300)
@given(candidates=small_regions, benchmarks=st.integers(0, 4), per_county=st.integers(1, 2),
       honourable=st.integers(0, 3))
def test_tie_outcomes_equal_trying_every_order(candidates, benchmarks, per_county, honourable):
    quotas = dict(benchmarks=benchmarks, per_county=per_county, honourable=honourable)
    result = select_region(candidates, **quotas)
    assert {r.case_id: r.outcome for r in result.ranking} == reference_outcomes(candidates,
                                                                                 **quotas)
