"""Table tests of the pure scoring rules (no database)."""
from __future__ import annotations

import random
from dataclasses import replace
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import (Candidate, Criterion, final_score, judge_total,
                     mean_score, select_region)

RUBRIC = [Criterion("創新度", 20), Criterion("完整度", 20), Criterion("困難度", 15),
          Criterion("效益性", 20), Criterion("應用性", 25)]
TIE_BREAK = ["onsite", "criterion:應用性", "criterion:創新度"]
WEIGHTS = {"screening": 0.4, "onsite": 0.6}


@pytest.mark.parametrize("scores, expected", [
    ({"創新度": 18, "完整度": 17, "困難度": 12, "效益性": 16, "應用性": 22}, 85),
    ({"創新度": 20, "完整度": 20, "困難度": 15, "效益性": 20, "應用性": 25}, 100),
    ({"創新度": 0, "完整度": 0, "困難度": 0, "效益性": 0, "應用性": 0}, 0),
    ({"創新度": 10.1, "完整度": 10.2, "困難度": 10.3, "效益性": 10.4, "應用性": 10.5}, 51.5),
    ({"創新度": 18, "完整度": 17, "困難度": 12, "效益性": 16, "應用性": 22, "其他": 5}, 85),
    ({"創新度": 18, "完整度": 17, "困難度": 12, "效益性": 16}, None),
    ({"創新度": 18, "完整度": 17, "困難度": 12, "效益性": 16, "應用性": None}, None),
    ({}, None),
])
def test_judge_total(scores, expected):
    assert judge_total(scores, RUBRIC) == expected


@pytest.mark.parametrize("scores", [
    {"創新度": 21, "完整度": 17, "困難度": 12, "效益性": 16, "應用性": 22},
    {"創新度": 18, "完整度": -1, "困難度": 12, "效益性": 16, "應用性": 22},
])
def test_judge_total_refuses_a_score_outside_the_points(scores):
    with pytest.raises(ValueError):
        judge_total(scores, RUBRIC)


@pytest.mark.parametrize("totals, expected", [
    ([], None),
    ([80], 80),
    ([70, 80, 90], 80),
    ([85.5, 86.5], 86),
    ([0.1, 0.2, 0.3], 0.2),
])
def test_mean_score(totals, expected):
    result = mean_score(totals)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("stage_scores, weights, expected", [
    ({"screening": 80, "onsite": 90}, WEIGHTS, 86),
    ({"screening": 90, "onsite": 80}, WEIGHTS, 84),
    ({"screening": 80, "onsite": None}, WEIGHTS, None),
    ({"screening": 80}, WEIGHTS, None),
    ({"screening": 80}, {"screening": 1.0, "onsite": 0.0}, 80),
    ({"a": 70, "b": 80, "c": 90}, {"a": 0.2, "b": 0.3, "c": 0.5}, 83),
])
def test_final_score(stage_scores, weights, expected):
    result = final_score(stage_scores, weights)
    assert result == (None if expected is None else pytest.approx(expected))


def case(case_id, county, final, onsite=80.0, **criterion_means):
    """A candidate; criterion means default to 15 so that only what a test names differs."""
    means = {"應用性": 15.0, "創新度": 15.0} | criterion_means
    return Candidate(case_id, county, final, onsite, means)


def select(candidates, benchmarks=3, per_county=1, honourable=0, tie_break=TIE_BREAK):
    return select_region(candidates, benchmarks=benchmarks, per_county=per_county,
                         honourable=honourable, tie_break=tie_break)


def outcomes(result):
    return {r.case_id: r.outcome for r in result.ranking}


def ranks(result):
    return {r.case_id: r.rank for r in result.ranking}


SELECTION_TABLE = {
    "distinct finals": dict(
        candidates=[case(1, "甲", 90), case(2, "乙", 88), case(3, "丙", 86), case(4, "丁", 84),
                    case(5, "戊", 82)],
        quotas=dict(benchmarks=3, per_county=1, honourable=1),
        ranks={1: 1, 2: 2, 3: 3, 4: 4, 5: 5},
        outcomes={1: "benchmark", 2: "benchmark", 3: "benchmark", 4: "honourable", 5: "none"}),
    "a county's second case is passed over and may be honourable": dict(
        candidates=[case(1, "甲", 90), case(2, "甲", 89), case(3, "乙", 88), case(4, "丙", 87),
                    case(5, "丁", 86)],
        quotas=dict(benchmarks=3, per_county=1, honourable=1),
        ranks={1: 1, 2: 2, 3: 3, 4: 4, 5: 5},
        outcomes={1: "benchmark", 2: "honourable", 3: "benchmark", 4: "benchmark", 5: "none"}),
    "two benchmarks a county when the year allows": dict(
        candidates=[case(1, "甲", 90), case(2, "甲", 89), case(3, "甲", 88), case(4, "乙", 87)],
        quotas=dict(benchmarks=3, per_county=2, honourable=0),
        ranks={1: 1, 2: 2, 3: 3, 4: 4},
        outcomes={1: "benchmark", 2: "benchmark", 3: "none", 4: "benchmark"}),
    "fewer cases than benchmarks": dict(
        candidates=[case(1, "甲", 70), case(2, "乙", 60)],
        quotas=dict(benchmarks=3, per_county=1, honourable=2),
        ranks={1: 1, 2: 2},
        outcomes={1: "benchmark", 2: "benchmark"}),
    "equal finals broken by on-site score": dict(
        candidates=[case(1, "甲", 85, onsite=84), case(2, "乙", 85, onsite=86), case(3, "丙", 80),
                    case(4, "丁", 70)],
        quotas=dict(benchmarks=1, per_county=1, honourable=1),
        ranks={2: 1, 1: 2, 3: 3, 4: 4},
        outcomes={2: "benchmark", 1: "honourable", 3: "none", 4: "none"}),
    "equal finals and on-site broken by the first criterion": dict(
        candidates=[case(1, "甲", 85, 86, 應用性=20), case(2, "乙", 85, 86, 應用性=21),
                    case(3, "丙", 90)],
        quotas=dict(benchmarks=2, per_county=1, honourable=0),
        ranks={3: 1, 2: 2, 1: 3},
        outcomes={3: "benchmark", 2: "benchmark", 1: "none"}),
    "first criterion equal too, broken by the second": dict(
        candidates=[case(1, "甲", 85, 86, 應用性=20, 創新度=17),
                    case(2, "乙", 85, 86, 應用性=20, 創新度=16)],
        quotas=dict(benchmarks=1, per_county=1, honourable=0),
        ranks={1: 1, 2: 2},
        outcomes={1: "benchmark", 2: "none"}),
    "equal sums in another floating-point order are equal": dict(
        candidates=[case(1, "甲", 0.1 + 0.2), case(2, "乙", 0.3), case(3, "丙", 0.2)],
        quotas=dict(benchmarks=3, per_county=1, honourable=0),
        ranks={1: 1, 2: 1, 3: 3},
        outcomes={1: "benchmark", 2: "benchmark", 3: "benchmark"}),
    "an unbreakable tie inside the quota needs no decision": dict(
        candidates=[case(1, "甲", 90), case(2, "乙", 90), case(3, "丙", 80), case(4, "丁", 70)],
        quotas=dict(benchmarks=3, per_county=1, honourable=0),
        ranks={1: 1, 2: 1, 3: 3, 4: 4},
        outcomes={1: "benchmark", 2: "benchmark", 3: "benchmark", 4: "none"}),
    "an unbreakable tie across the benchmark quota waits for staff": dict(
        candidates=[case(1, "甲", 90), case(2, "乙", 85), case(3, "丙", 85), case(4, "丁", 80)],
        quotas=dict(benchmarks=2, per_county=1, honourable=1),
        ranks={1: 1, 2: 2, 3: 2, 4: 4},
        outcomes={1: "benchmark", 2: "tie", 3: "tie", 4: "none"}),
    "a later case's outcome is the same however the tie is broken": dict(
        candidates=[case(1, "甲", 90), case(2, "乙", 85), case(3, "丙", 85), case(4, "丁", 80)],
        quotas=dict(benchmarks=2, per_county=1, honourable=2),
        ranks={1: 1, 2: 2, 3: 2, 4: 4},
        outcomes={1: "benchmark", 2: "tie", 3: "tie", 4: "honourable"}),
    "a tie between one county's cases for its only benchmark": dict(
        candidates=[case(1, "甲", 90), case(2, "甲", 90), case(3, "乙", 80), case(4, "丙", 70)],
        quotas=dict(benchmarks=3, per_county=1, honourable=0),
        ranks={1: 1, 2: 1, 3: 3, 4: 4},
        outcomes={1: "tie", 2: "tie", 3: "benchmark", 4: "benchmark"}),
    "a tied case is decided when every way of breaking the tie agrees": dict(
        candidates=[case(1, "甲", 90), case(2, "甲", 90), case(3, "乙", 90), case(4, "丙", 80)],
        quotas=dict(benchmarks=2, per_county=1, honourable=1),
        ranks={1: 1, 2: 1, 3: 1, 4: 4},
        outcomes={1: "tie", 2: "tie", 3: "benchmark", 4: "none"}),
    "a tie across the honourable quota": dict(
        candidates=[case(1, "甲", 90), case(2, "乙", 85), case(3, "丙", 85)],
        quotas=dict(benchmarks=1, per_county=1, honourable=1),
        ranks={1: 1, 2: 2, 3: 2},
        outcomes={1: "benchmark", 2: "tie", 3: "tie"}),
    "no candidates": dict(
        candidates=[], quotas=dict(benchmarks=3, per_county=1, honourable=2),
        ranks={}, outcomes={}),
}


@pytest.mark.parametrize("row", SELECTION_TABLE.values(), ids=SELECTION_TABLE.keys())
def test_select_region(row):
    result = select(row["candidates"], **row["quotas"])
    assert ranks(result) == row["ranks"]
    assert outcomes(result) == row["outcomes"]
    assert result.benchmarks == tuple(r.case_id for r in result.ranking if r.outcome == "benchmark")
    assert result.honourable == tuple(r.case_id for r in result.ranking if r.outcome == "honourable")
    assert [r.rank for r in result.ranking] == sorted(r.rank for r in result.ranking)


@pytest.mark.parametrize("quotas, expected_flags", [
    (dict(benchmarks=3, honourable=0), [(1, (1, 2), False)]),
    (dict(benchmarks=1, honourable=0), [(1, (1, 2), True)]),
    (dict(benchmarks=1, honourable=1), [(1, (1, 2), True)]),
    (dict(benchmarks=0, honourable=2), [(1, (1, 2), False)]),
    (dict(benchmarks=0, honourable=0), [(1, (1, 2), False)]),
])
def test_an_unbreakable_tie_is_flagged(quotas, expected_flags):
    tied = [case(2, "乙", 88, 85, 應用性=20), case(1, "甲", 88, 85, 應用性=20), case(3, "丙", 70)]
    result = select(tied, per_county=1, **quotas)
    assert [(f.rank, f.case_ids, f.decides_outcome) for f in result.flags] == expected_flags


def test_tie_break_keys_are_applied_in_the_given_order():
    candidates = [case(1, "甲", 85, onsite=90, 應用性=10), case(2, "乙", 85, onsite=80, 應用性=20)]
    assert select(candidates, benchmarks=1, tie_break=["onsite"]).benchmarks == (1,)
    assert select(candidates, benchmarks=1, tie_break=["criterion:應用性"]).benchmarks == (2,)
    unbroken = select(candidates, benchmarks=1, tie_break=[])
    assert outcomes(unbroken) == {1: "tie", 2: "tie"}


def test_a_nine_case_tie_is_decided_case_by_case():
    """9 cases tie for the last benchmark and the honourable mention (9! orderings): they wait on
    staff; nothing below them does."""
    tied = [case(n, f"縣{n}", 80) for n in range(10, 19)]
    result = select([case(1, "甲", 95), case(2, "甲", 90)] + tied + [case(99, "縣99", 70)],
                    benchmarks=3, honourable=1)
    assert outcomes(result) == ({1: "benchmark", 2: "honourable", 99: "none"}
                                | {n: "tie" for n in range(10, 19)})
    assert [(f.rank, len(f.case_ids), f.decides_outcome) for f in result.flags] == [(3, 9, True)]


@pytest.mark.parametrize("candidates, tie_break", [
    ([case(1, "甲", 80), case(1, "乙", 70)], TIE_BREAK),
    ([case(1, "甲", 80), case(2, "乙", 80)], ["screening"]),
    ([case(1, "甲", 80), case(2, "乙", 80)], ["criterion:"]),
    ([Candidate(1, "甲", 80, 80, {}), Candidate(2, "乙", 80, 80, {})], ["criterion:應用性"]),
])
def test_select_region_refuses_bad_input(candidates, tie_break):
    with pytest.raises(ValueError):
        select(candidates, tie_break=tie_break)


COUNTIES = ["甲", "乙", "丙", "丁"]
candidate_lists = st.lists(
    st.tuples(st.sampled_from(COUNTIES), st.integers(60, 64), st.integers(60, 62),
              st.integers(10, 11)),
    max_size=8,
).map(lambda rows: [case(n, county, final, onsite, 應用性=applied)
                    for n, (county, final, onsite, applied) in enumerate(rows, start=1)])


@given(candidates=candidate_lists, order_seed=st.integers(0, 1_000),
       benchmarks=st.integers(0, 4), per_county=st.integers(1, 2), honourable=st.integers(0, 3))
def test_selection_does_not_depend_on_input_order_and_keeps_the_quotas(
        candidates, order_seed, benchmarks, per_county, honourable):
    quotas = dict(benchmarks=benchmarks, per_county=per_county, honourable=honourable)
    shuffled = list(candidates)
    random.Random(order_seed).shuffle(shuffled)
    result = select(candidates, **quotas)
    assert select(shuffled, **quotas) == result
    county_of = {c.case_id: c.county for c in candidates}
    assert len(result.benchmarks) <= benchmarks
    assert len(result.honourable) <= honourable
    assert max(Counter(county_of[i] for i in result.benchmarks).values(), default=0) <= per_county
    undecided = [r for r in result.ranking if r.outcome == "tie"]
    assert bool(undecided) == any(flag.decides_outcome for flag in result.flags)


@given(candidates=candidate_lists, pick=st.integers(0, 7), benchmarks=st.integers(1, 4),
       per_county=st.integers(1, 2), honourable=st.integers(0, 3))
def test_raising_a_selected_cases_score_never_drops_it(candidates, pick, benchmarks, per_county,
                                                       honourable):
    quotas = dict(benchmarks=benchmarks, per_county=per_county, honourable=honourable)
    before = {r.case_id: r.outcome for r in select(candidates, **quotas).ranking}
    selected = [c for c in candidates if before.get(c.case_id) in ("benchmark", "honourable")]
    if not selected:
        return
    raised = selected[pick % len(selected)]
    # Half a point: finals are whole numbers, so the raise creates no new tie.
    changed = [replace(c, final=c.final + 0.5) if c is raised else c for c in candidates]
    after = {r.case_id: r.outcome for r in select(changed, **quotas).ranking}
    assert after[raised.case_id] in ("benchmark", "honourable")
    if before[raised.case_id] == "benchmark":
        assert after[raised.case_id] == "benchmark"
