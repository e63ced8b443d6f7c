"""Table tests of the stage score methods (scoring.aggregate); every expected value is worked
out by hand in the comments beside it."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (AGGREGATION_METHODS, JudgeTotal, aggregate, average_ranks, mean_ranks,
                     mean_scores, median_scores, percentile_rank_scores, rank_sums,
                     trimmed_mean_scores, zscore_scores)


def totals(table):
    """JudgeTotal rows from ``{judge: {case_id: total}}``."""
    return [JudgeTotal(judge, case_id, total)
            for judge, scores in table.items() for case_id, total in scores.items()]


def approx(expected):
    return {case_id: pytest.approx(value) for case_id, value in expected.items()}


# Case 1 has five judges, case 2 four, case 3 two who give the same total.
PANEL = totals({
    "A": {1: 50, 2: 50, 3: 70},
    "B": {1: 80, 2: 80, 3: 70},
    "C": {1: 82, 2: 82},
    "D": {1: 84, 2: 99},
    "E": {1: 99},
})


@pytest.mark.parametrize("method, options, expected", [
    # 1: (50+80+82+84+99)/5 = 79; 2: (50+80+82+99)/4 = 77.75; 3: 70
    ("mean", {}, {1: 79, 2: 77.75, 3: 70}),
    # five judges reach the threshold of 5: 1 drops 50 and 99 → (80+82+84)/3 = 82; 2 and 3 do not
    ("trimmed_mean", {}, {1: 82, 2: 77.75, 3: 70}),
    # threshold 4: 2 drops 50 and 99 → (80+82)/2 = 81; 3 (two judges) stays a plain mean
    ("trimmed_mean", {"trim_min_judges": 4}, {1: 82, 2: 81, 3: 70}),
    # threshold 6: nobody has six judges, every case keeps its plain mean
    ("trimmed_mean", {"trim_min_judges": 6}, {1: 79, 2: 77.75, 3: 70}),
    # odd count: the middle total; even count: the mean of the middle two (80+82)/2
    ("median", {}, {1: 82, 2: 81, 3: 70}),
])
def test_location_methods(method, options, expected):
    assert aggregate(PANEL, method, **options) == approx(expected)


def test_trimming_needs_at_least_three_judges():
    assert trimmed_mean_scores(totals({"A": {1: 10}, "B": {1: 20}, "C": {1: 90}}), 3) == {1: 20}
    with pytest.raises(ValueError):
        trimmed_mean_scores(PANEL, 2)


ZSCORE_TABLE = {
    # A: mean 70, sd √(200/3) → z = +1.2247, 0, −1.2247; B: mean 90, sd √(50/3) → z = 0, −1.2247,
    # +1.2247. Mean z: 1 → +√1.5/2, 2 → −√1.5/2, 3 → 0. All six totals: mean 80, sd √(850/6).
    # Score = 80 ± (√1.5/2)·√(850/6) = 80 ± √212.5/2.
    "every judge scores every case": dict(
        table={"A": {1: 80, 2: 70, 3: 60}, "B": {1: 90, 2: 85, 3: 95}},
        expected={1: 80 + math.sqrt(212.5) / 2, 2: 80 - math.sqrt(212.5) / 2, 3: 80}),
    # A: z = ±1 → 72 ± √46 (all five totals: mean 72, sd √46); B scored one case and C gave
    # both cases the same: they contribute their raw totals. 1: (72+√46+70+75)/3, 2: (72−√46+75)/2.
    "one-case and no-spread judges count raw": dict(
        table={"A": {1: 80, 2: 60}, "B": {1: 70}, "C": {1: 75, 2: 75}},
        expected={1: (217 + math.sqrt(46)) / 3, 2: (147 - math.sqrt(46)) / 2}),
    # Both judges: z(1) = √2, z(2) = z(3) = −1/√2. All totals: mean 86, sd √(2032/6).
    # Case 1: 86 + √2·√(2032/6) ≈ 112.0, not clipped; cases 2, 3: 86 − √(2032/12).
    "never clipped": dict(
        table={"A": {1: 100, 2: 98, 3: 98}, "B": {1: 100, 2: 60, 3: 60}},
        expected={1: 86 + math.sqrt(2 * 2032 / 6), 2: 86 - math.sqrt(2032 / 12),
                  3: 86 - math.sqrt(2032 / 12)}),
    "everything equal stays at the mean": dict(
        table={"A": {1: 70, 2: 70}, "B": {1: 70}}, expected={1: 70, 2: 70}),
    "no totals": dict(table={}, expected={}),
}


@pytest.mark.parametrize("row", ZSCORE_TABLE.values(), ids=ZSCORE_TABLE.keys())
def test_zscore(row):
    assert zscore_scores(totals(row["table"])) == approx(row["expected"])


def test_zscore_follows_the_judges_intent_where_the_mean_follows_their_leniency():
    """S (severe) rates case 1 above case 2; L (lenient) rates case 2 above case 3: both mean
    1 > 2 > 3. The mean reverses it because only L scored case 3; z-scores do not.

    S: mean 67, sd 5 → z(1) = +1, z(2) = −1; L: mean 89, sd 1 → z(2) = +1, z(3) = −1.
    Mean z: 1 → +1, 2 → 0, 3 → −1. All totals: mean 78, sd √134.
    """
    table = totals({"S": {1: 72, 2: 62}, "L": {2: 90, 3: 88}})
    assert mean_scores(table) == approx({1: 72, 2: 76, 3: 88})
    assert zscore_scores(table) == approx({1: 78 + math.sqrt(134), 2: 78, 3: 78 - math.sqrt(134)})


def test_zscore_puts_a_lenient_and_a_severe_judge_on_one_scale():
    """Both judges order the cases 1 > 2 > 3, ten and thirty points apart: equal z-scores."""
    table = totals({"lenient": {1: 95, 2: 90, 3: 85}, "severe": {1: 65, 2: 60, 3: 55}})
    scores = zscore_scores(table)
    assert sorted(scores, key=scores.get, reverse=True) == [1, 2, 3]
    assert scores[2] == pytest.approx(75)
    assert scores[1] - 75 == pytest.approx(75 - scores[3])


@pytest.mark.parametrize("scores, expected", [
    ({"a": 90, "b": 85, "c": 85, "d": 70}, {"a": 1, "b": 2.5, "c": 2.5, "d": 4}),
    ({"a": 70, "b": 70, "c": 70}, {"a": 2, "b": 2, "c": 2}),
    ({"a": 0.1 + 0.2, "b": 0.3}, {"a": 1.5, "b": 1.5}),
    ({"a": 50}, {"a": 1}),
    ({}, {}),
])
def test_average_ranks(scores, expected):
    assert average_ranks(scores) == expected


# A ranks 1: 1, 2: 2.5, 3: 2.5, 4: 4 (2 and 3 tie for places 2–3);
# B ranks 2: 1, 1: 2, 3: 3, 4: 4;
# C ranks 4: 1, and 1, 2, 3 tie for places 2–4: 3 each.
RANKED = {"A": {1: 90, 2: 85, 3: 85, 4: 70},
          "B": {1: 80, 2: 88, 3: 75, 4: 60},
          "C": {1: 70, 2: 70, 3: 70, 4: 80}}


@pytest.mark.parametrize("table, expected_sums, expected_means, expected_percentiles", [
    # sums 1+2+3, 2.5+1+3, 2.5+3+3, 4+4+1; every judge's ranks add up to 1+2+3+4 = 10.
    # Percentiles 100 × (4 − r) / 3: 1 → (100 + 66.7 + 33.3)/3, 2 → (50 + 100 + 33.3)/3 …
    (RANKED, {1: 6, 2: 6.5, 3: 8.5, 4: 9}, {1: 2, 2: 6.5 / 3, 3: 8.5 / 3, 4: 3},
     {1: 200 / 3, 2: 550 / 9, 3: 350 / 9, 4: 100 / 3}),
    # D scored cases 1 and 4 only: 4 → 1, 1 → 2, percentiles 100 and 0
    (RANKED | {"D": {1: 60, 4: 90}}, {1: 8, 2: 6.5, 3: 8.5, 4: 10},
     {1: 2, 2: 6.5 / 3, 3: 8.5 / 3, 4: 2.5}, {1: 50, 2: 550 / 9, 3: 350 / 9, 4: 50}),
    ({}, {}, {}, {}),
])
def test_rank_sums_mean_ranks_and_percentiles(table, expected_sums, expected_means,
                                              expected_percentiles):
    assert rank_sums(totals(table)) == approx(expected_sums)
    assert mean_ranks(totals(table)) == approx(expected_means)
    assert percentile_rank_scores(totals(table)) == approx(expected_percentiles)
    assert aggregate(totals(table), "rank") == percentile_rank_scores(totals(table))


@pytest.mark.parametrize("method, function", [
    ("mean", mean_scores), ("median", median_scores), ("zscore", zscore_scores),
    ("rank", percentile_rank_scores), ("trimmed_mean", trimmed_mean_scores),
])
def test_aggregate_dispatches_by_name(method, function):
    assert aggregate(PANEL, method) == function(PANEL)


def test_unknown_method_and_duplicate_totals_are_refused():
    with pytest.raises(ValueError):
        aggregate(PANEL, "average")
    with pytest.raises(ValueError):
        aggregate(PANEL, "rank_sum")  # retired: stored settings were moved to "rank"
    duplicated = PANEL + [JudgeTotal("A", 1, 60)]
    for method in AGGREGATION_METHODS:
        with pytest.raises(ValueError):
            aggregate(duplicated, method)


panels = st.dictionaries(st.tuples(st.sampled_from("ABCD"), st.integers(1, 5)),
                         st.integers(0, 100), max_size=20)


@given(panel=panels, order_seed=st.integers(0, 1_000))
def test_every_method_scores_each_case_once_whatever_the_input_order(panel, order_seed):
    rows = [JudgeTotal(judge, case_id, total) for (judge, case_id), total in panel.items()]
    shuffled = list(rows)
    random.Random(order_seed).shuffle(shuffled)
    cases = {row.case_id for row in rows}
    for method in AGGREGATION_METHODS:
        result = aggregate(rows, method, trim_min_judges=3)
        assert aggregate(shuffled, method, trim_min_judges=3) == result
        assert set(result) == cases
        if method == "zscore":
            continue
        for case_id, score in result.items():
            case_totals = [row.total for row in rows if row.case_id == case_id]
            assert 0 <= score <= 100
            if method != "rank":
                assert min(case_totals) <= score <= max(case_totals)
