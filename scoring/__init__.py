"""Pure scoring rules: rubric totals, aggregation across judges, stage weights, quotas, ties,
reasons in words, and judge statistics.

No database, web or file code: dataclasses in, dataclasses out (see :mod:`scoring.rules`,
:mod:`scoring.aggregate`, :mod:`scoring.agreement` and :mod:`scoring.explain`).
"""
from scoring.aggregate import (AGGREGATION_METHODS, METHOD_NAMES, JudgeTotal, StageAggregate,
                               aggregate, aggregate_stage, average_ranks, check_method,
                               is_complete_design, judge_score_table, mean_ranks, mean_scores,
                               median_scores, percentile_rank_scores, rank_sums,
                               trimmed_mean_scores, zscore_scores)
from scoring.agreement import (LENIENT, MIN_SHARED_CASES, SEVERE, TYPICAL, JudgeAgreement,
                               JudgeLeniency, StageStatistics, concordance_block,
                               disagreeing_judges, judge_leniency, kendall_w,
                               krippendorff_alpha_interval, stage_statistics)
from scoring.explain import METHOD_RULES, CaseLabel, explain_region, method_rule, tie_break_name
from scoring.rules import (OUTCOME_LABELS, OUTCOMES, TIE_DECIMALS, Outcome, Candidate, Criterion,
                           RankedCase, RegionOutcome, TieFlag, final_score, judge_total,
                           mean_score, select_region, tie_break_reader)

__all__ = [
    "OUTCOME_LABELS", "OUTCOMES", "Outcome", "TIE_DECIMALS", "Candidate", "Criterion", "RankedCase",
    "RegionOutcome", "TieFlag", "final_score", "judge_total", "mean_score", "select_region",
    "tie_break_reader",
    "AGGREGATION_METHODS", "METHOD_NAMES", "JudgeTotal", "StageAggregate", "aggregate",
    "aggregate_stage", "average_ranks", "check_method", "is_complete_design",
    "judge_score_table", "mean_ranks", "mean_scores", "median_scores", "percentile_rank_scores",
    "rank_sums", "trimmed_mean_scores", "zscore_scores",
    "LENIENT", "MIN_SHARED_CASES", "SEVERE", "TYPICAL", "JudgeAgreement", "JudgeLeniency",
    "StageStatistics", "concordance_block", "disagreeing_judges", "judge_leniency", "kendall_w",
    "krippendorff_alpha_interval", "stage_statistics",
    "METHOD_RULES", "CaseLabel", "explain_region", "method_rule", "tie_break_name",
]
