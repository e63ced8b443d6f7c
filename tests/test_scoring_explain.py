"""Table tests of the zh-TW reasons (scoring.explain), one per kind of sentence."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import Candidate, CaseLabel, explain_region, select_region, tie_break_name

TIE_BREAK = ["onsite", "criterion:應用性", "criterion:創新度"]

LABELS = {
    1: CaseLabel("台中智慧路燈", "臺中市"),
    2: CaseLabel("彰化長照據點", "彰化縣"),
    3: CaseLabel("台中公車轉乘", "臺中市"),
    4: CaseLabel("南投茶鄉觀光", "南投縣"),
    5: CaseLabel("雲林智慧農業", "雲林縣"),
    6: CaseLabel("苗栗客庄再生", "苗栗縣"),
    7: CaseLabel("台中綠園道", "臺中市"),
}


def case(case_id, final, onsite=80.0, applied=15.0):
    return Candidate(case_id, LABELS[case_id].county, final, onsite,
                     {"應用性": applied, "創新度": 15.0})


def explain(candidates, *, benchmarks=3, per_county=1, honourable=2, tie_break=TIE_BREAK):
    quotas = dict(benchmarks=benchmarks, per_county=per_county, honourable=honourable)
    outcome = select_region(candidates, tie_break=tie_break, **quotas)
    return explain_region("第二區", outcome, LABELS, tie_break=tie_break, **quotas)


EXPLAIN_TABLE = {
    "benchmarks, the county limit, full quotas": dict(
        candidates=[case(1, 90), case(2, 88), case(3, 87), case(4, 86), case(5, 85), case(6, 84)],
        quotas=dict(benchmarks=3, per_county=1, honourable=2),
        reasons={
            1: "第二區第1名，獲選標竿案例",
            2: "第二區第2名，獲選標竿案例",
            3: "第二區第3名；同縣市已有標竿案例〈台中智慧路燈〉，列為佳作",
            4: "第二區第4名，獲選標竿案例",
            5: "第二區第5名；標竿名額（3件）已滿，列為佳作",
            6: "第二區第6名；標竿名額（3件）與佳作名額（2件）已滿，未入選",
        }),
    "passed over by the county limit once the honourable mentions are full": dict(
        candidates=[case(1, 90), case(3, 89), case(7, 88), case(2, 87), case(4, 86), case(5, 85)],
        quotas=dict(benchmarks=3, per_county=1, honourable=1),
        reasons={
            1: "第二區第1名，獲選標竿案例",
            3: "第二區第2名；同縣市已有標竿案例〈台中智慧路燈〉，列為佳作",
            7: "第二區第3名；同縣市已有標竿案例〈台中智慧路燈〉，佳作名額（1件）已滿，未入選",
            2: "第二區第4名，獲選標竿案例",
            4: "第二區第5名，獲選標竿案例",
            5: "第二區第6名；標竿名額（3件）與佳作名額（1件）已滿，未入選",
        }),
    "a year without honourable mentions": dict(
        candidates=[case(1, 90), case(3, 89), case(2, 87), case(4, 86), case(5, 85)],
        quotas=dict(benchmarks=3, per_county=1, honourable=0),
        reasons={
            1: "第二區第1名，獲選標竿案例",
            3: "第二區第2名；同縣市已有標竿案例〈台中智慧路燈〉，未入選",
            2: "第二區第3名，獲選標竿案例",
            4: "第二區第4名，獲選標竿案例",
            5: "第二區第5名；標竿名額（3件）已滿，未入選",
        }),
    "two benchmarks a county": dict(
        candidates=[case(1, 90), case(3, 89), case(7, 88), case(2, 87)],
        quotas=dict(benchmarks=3, per_county=2, honourable=1),
        reasons={
            1: "第二區第1名，獲選標竿案例",
            3: "第二區第2名，獲選標竿案例",
            7: "第二區第3名；同縣市已有標竿案例〈台中智慧路燈〉、〈台中公車轉乘〉"
               "（每縣市以2件為限），列為佳作",
            2: "第二區第4名，獲選標竿案例",
        }),
    "a tie across the benchmark quota waits for staff": dict(
        candidates=[case(1, 90), case(2, 85), case(4, 85), case(5, 80)],
        quotas=dict(benchmarks=2, per_county=1, honourable=1),
        reasons={
            1: "第二區第1名，獲選標竿案例",
            2: "第二區第2名（與〈南投茶鄉觀光〉同分，依序比較分區評選成績、應用性、創新度仍無法區分），"
               "待主辦機關裁定",
            4: "第二區第2名（與〈彰化長照據點〉同分，依序比較分區評選成績、應用性、創新度仍無法區分），"
               "待主辦機關裁定",
            5: "第二區第4名；標竿名額（2件）與佳作名額（1件）已滿，未入選",
        }),
    "a tie inside the quota is told but decides nothing": dict(
        candidates=[case(1, 90), case(2, 90), case(4, 80), case(5, 70)],
        quotas=dict(benchmarks=3, per_county=1, honourable=0),
        reasons={
            1: "第二區第1名（與〈彰化長照據點〉同分並列），獲選標竿案例",
            2: "第二區第1名（與〈台中智慧路燈〉同分並列），獲選標竿案例",
            4: "第二區第3名，獲選標竿案例",
            5: "第二區第4名；標竿名額（3件）已滿，未入選",
        }),
    "a tie-break rule separates what the final score does not": dict(
        candidates=[case(1, 85, onsite=84), case(2, 85, onsite=86), case(4, 80)],
        quotas=dict(benchmarks=1, per_county=1, honourable=1),
        reasons={
            2: "第二區第1名，獲選標竿案例",
            1: "第二區第2名；標竿名額（1件）已滿，列為佳作",
            4: "第二區第3名；標竿名額（1件）與佳作名額（1件）已滿，未入選",
        }),
}


@pytest.mark.parametrize("row", EXPLAIN_TABLE.values(), ids=EXPLAIN_TABLE.keys())
def test_explain_region(row):
    assert explain(row["candidates"], **row["quotas"]) == row["reasons"]


@pytest.mark.parametrize("named, reason", [
    ([], "第二區第2名（與〈南投茶鄉觀光〉同分，未設比序規則），待主辦機關裁定"),
    (None, "第二區第2名（與〈南投茶鄉觀光〉同分，依比序規則仍無法區分），待主辦機關裁定"),
    (["onsite"], "第二區第2名（與〈南投茶鄉觀光〉同分，依序比較分區評選成績仍無法區分），待主辦機關裁定"),
], ids=["no rules", "rules not named", "one rule"])
def test_how_a_tie_names_the_tie_break_rules(named, reason):
    quotas = dict(benchmarks=2, per_county=1, honourable=0)
    outcome = select_region([case(1, 90), case(2, 85), case(4, 85)], tie_break=[], **quotas)
    assert explain_region("第二區", outcome, LABELS, tie_break=named, **quotas)[2] == reason


def test_a_county_whose_benchmark_waits_on_a_tie():
    """Two 臺中市 cases tie for first: one of them is the county's benchmark, staff decide which;
    a third 臺中市 case is passed over either way, and 南投縣 takes the last benchmark."""
    reasons = explain([case(1, 90), case(3, 90), case(2, 85), case(7, 80), case(4, 75)],
                      benchmarks=3, honourable=0)
    assert reasons[7] == ("第二區第4名；同縣市已有標竿案例（〈台中智慧路燈〉、〈台中公車轉乘〉同分，"
                          "待主辦機關裁定），未入選")
    assert reasons[4] == "第二區第5名，獲選標竿案例"


def test_a_case_below_a_large_tie_is_decided():
    """Nine cases tie at rank 3 for the last benchmark and the one honourable mention; case 99
    below them is passed over whichever two of them take those places."""
    labels = LABELS | {n: CaseLabel(f"案例{n}", f"縣{n}") for n in range(10, 19)}
    labels[99] = CaseLabel("案例99", "縣99")
    candidates = ([case(1, 95), case(2, 93)]
                  + [Candidate(n, f"縣{n}", 80, 80, {}) for n in range(10, 19)]
                  + [Candidate(99, "縣99", 70, 70, {})])
    outcome = select_region(candidates, benchmarks=3, per_county=1, honourable=1, tie_break=[])
    reasons = explain_region("第二區", outcome, labels, benchmarks=3, per_county=1, honourable=1)
    assert reasons[99] == "第二區第12名；標竿名額（3件）與佳作名額（1件）已滿，未入選"
    assert reasons[10].startswith("第二區第3名（與〈案例11〉、〈案例12〉")


@pytest.mark.parametrize("key, name", [
    ("onsite", "分區評選成績"), ("criterion:應用性", "應用性"), ("criterion:效益性", "效益性"),
])
def test_tie_break_name(key, name):
    assert tie_break_name(key) == name


def test_explain_region_refuses_missing_labels_and_unknown_rules():
    outcome = select_region([case(1, 90), case(2, 90)], benchmarks=1, per_county=1,
                            honourable=0, tie_break=[])
    quotas = dict(benchmarks=1, per_county=1, honourable=0)
    with pytest.raises(ValueError):
        explain_region("第二區", outcome, {1: LABELS[1]}, **quotas)
    with pytest.raises(ValueError):
        explain_region("第二區", outcome, LABELS, tie_break=["screening"], **quotas)


ENDINGS = {"benchmark": "，獲選標竿案例", "honourable": "，列為佳作", "none": "，未入選",
           "tie": "待主辦機關裁定"}


@given(rows=st.lists(st.tuples(st.sampled_from([1, 2, 3, 4]), st.integers(80, 83),
                               st.integers(80, 81)), max_size=7),
       benchmarks=st.integers(0, 3), per_county=st.integers(1, 2), honourable=st.integers(0, 2))
def test_every_ranked_case_gets_a_reason_that_matches_its_outcome(rows, benchmarks, per_county,
                                                                  honourable):
    labels = {n: CaseLabel(f"案例{n}", f"縣{county}") for n, (county, _, _) in enumerate(rows)}
    candidates = [Candidate(n, f"縣{county}", final, onsite, {})
                  for n, (county, final, onsite) in enumerate(rows)]
    quotas = dict(benchmarks=benchmarks, per_county=per_county, honourable=honourable)
    outcome = select_region(candidates, tie_break=["onsite"], **quotas)
    reasons = explain_region("第一區", outcome, labels, tie_break=["onsite"], **quotas)
    assert set(reasons) == {r.case_id for r in outcome.ranking}
    for ranked in outcome.ranking:
        reason = reasons[ranked.case_id]
        assert reason.startswith(f"第一區第{ranked.rank}名")
        assert reason.endswith(ENDINGS[ranked.outcome])
        if "同縣市已有標竿案例" in reason:
            assert "〈" in reason.split("同縣市已有標竿案例")[1]
