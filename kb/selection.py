"""Selection: stage scores, nominations, each region's benchmark cases, publication.

The rules themselves are pure functions in :mod:`scoring`; this module reads the judges' scores
from the database, hands plain data to those rules, and writes what staff confirm.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import scoring
from kb.audit import write_audit
from kb.case_codes import case_code
from kb.cases import set_case_statuses
from kb.computed import computed
from kb.db import database, for_update
from kb.editions import find_county, get_edition
from kb.errors import (NotFound, PermissionDenied, Problem, ValidationError, echoed,
                       rules_checked)
from kb.models import (Assignment, Case, County, Criterion, Edition, OutcomeOverride, Region,
                       Score, Stage, User)
from kb.policy import can_act_for_county, require_staff
from kb.rocdate import roc_year
from kb.scores import stage_scores
from kb.search import cases_changed
from kb.settings import DEFAULT_DIFFERENCE_RHO
from kb.stages import get_stage
from scoring.aggregate import METHOD_NAMES, JudgeTotal, aggregate_stage
from scoring.explain import CaseLabel, explain_region
from scoring.rules import OUTCOME_LABELS, Outcome

RESULT_STATUSES = frozenset(outcome.status for outcome in Outcome.decided())
"""The case statuses publishing the results sets: once a case has one, the results are out."""
_OVERRIDES = [outcome.value for outcome in Outcome.decided()]


@dataclass
class StageResult:
    """A case's score in one stage by the year's method (higher is better), with its judges'
    per-criterion means (for tie-breaks), notes for staff on judges the method could not treat
    by its rule, and under 序位法 in a complete design the classic 序位和 and 序位平均."""

    score: float
    judges: int
    criterion_means: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rank_sum: float | None = None
    mean_rank: float | None = None


def judge_totals(stage: Stage) -> tuple[list[JudgeTotal], dict[int, dict[str, list[float]]]]:
    """The complete, submitted totals of a stage, and per case every criterion's scores (kept
    by :func:`kb.computed.computed`: do not change them)."""
    return computed(("judge_totals", stage.id), lambda: _judge_totals(stage))


@rules_checked
def _judge_totals(stage: Stage) -> tuple[list[JudgeTotal], dict[int, dict[str, list[float]]]]:
    # Plain rows straight from the cursor: building a peewee row per score was most of a
    # selection page's time.
    rubric = [scoring.Criterion(name, points) for name, points in database.execute(
        Criterion.select(Criterion.name, Criterion.points)
        .where(Criterion.edition == stage.edition_id).order_by(Criterion.position)).fetchall()]
    values: dict[int, dict[str, float]] = {}
    owners: dict[int, tuple[str, int]] = {}
    rows = database.execute(
        Score.select(Score.value, Criterion.name, Assignment.id, Assignment.case, User.login)
        .join(Criterion).switch(Score).join(Assignment).join(User)
        .where((Assignment.stage == stage.id) & (Assignment.state == "submitted"))).fetchall()
    for value, name, assignment_id, case_id, login in rows:
        scores = values.get(assignment_id)
        if scores is None:
            scores = values[assignment_id] = {}
            owners[assignment_id] = (login, case_id)
        scores[name] = value
    totals, per_criterion = [], defaultdict(lambda: defaultdict(list))
    for assignment_id, scores in values.items():
        total = scoring.judge_total(scores, rubric)
        if total is None:
            continue
        login, case_id = owners[assignment_id]
        totals.append(JudgeTotal(judge=login, case_id=case_id, total=total))
        means = per_criterion[case_id]
        for name, value in scores.items():
            means[name].append(value)
    return totals, per_criterion


def stage_results(year: int, key: str) -> dict[int, StageResult]:
    """Each judged case's stage score by the year's aggregation method (kept by
    :func:`kb.computed.computed`: do not change them)."""
    return computed(("stage_results", year, key), lambda: _stage_results(year, key))


@rules_checked
def _stage_results(year: int, key: str) -> dict[int, StageResult]:
    stage = get_stage(year, key)
    totals, per_criterion = judge_totals(stage)
    result = aggregate_stage(totals, stage.edition.rules.aggregation,
                             trim_min_judges=stage.edition.rules.trim_min_judges)
    judges = defaultdict(int)
    for total in totals:
        judges[total.case_id] += 1
    return {case_id: StageResult(
        score=score, judges=judges[case_id],
        criterion_means={n: sum(v) / len(v) for n, v in per_criterion[case_id].items()},
        notes=result.notes.get(case_id, ()),
        rank_sum=result.rank_sums[case_id] if result.rank_sums else None,
        mean_rank=result.mean_ranks[case_id] if result.mean_ranks else None)
        for case_id, score in result.scores.items()}


def stage_score_table(year: int, key: str) -> dict:
    """Every judge's scores of a stage (see :func:`kb.scores.stage_scores`) and each case's
    stage score by the year's method, with the method's key and zh-TW name: what selection
    will use. A case's ``mean`` is its plain mean total, beside it for comparison."""
    table = stage_scores(year, key)
    results = stage_results(year, key)
    method = get_edition(year).rules.aggregation
    cases = []
    for row in table["cases"]:
        result = results.get(row["case"])
        cases.append({**row, "mean": row["score"], "score": result and result.score,
                      "notes": list(result.notes) if result else [],
                      "rank_sum": result and result.rank_sum,
                      "mean_rank": result and result.mean_rank})
    return {**table, "method": method, "method_name": METHOD_NAMES[method], "cases": cases}


def _ordered(results: dict[int, StageResult]) -> list[int]:
    return sorted(results, key=lambda case_id: -results[case_id].score)


# --- nominations ------------------------------------------------------------------------------

def _county_rankings(year: int) -> tuple[int, dict[str, list[tuple[int, float]]]]:
    """The presenters-per-county quota, and per county its screened cases best first with
    their screening scores (kept by :func:`kb.computed.computed`)."""
    return computed(("county_rankings", year), lambda: _read_county_rankings(year))


def _read_county_rankings(year: int) -> tuple[int, dict[str, list[tuple[int, float]]]]:
    edition = get_edition(year)
    results = stage_results(year, "screening")
    counties = dict(Case.select(Case.id, County.name).join(County)
                    .where(Case.edition == edition).tuples())
    ranked: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for case_id in _ordered(results):
        ranked[counties[case_id]].append((case_id, results[case_id].score))
    return edition.quota("presenters_per_county"), dict(ranked)


def propose_nominations(year: int) -> dict[str, list[int]]:
    """Per county, its best cases by screening score, up to the presenters-per-county quota
    (at a tie on the quota's boundary the order is arbitrary: see :func:`nomination_flags`)."""
    limit, ranked = _county_rankings(year)
    return {county: [case_id for case_id, _ in cases[:limit]] for county, cases in ranked.items()}


def nomination_flags(year: int) -> list[dict]:
    """Counties whose last nomination place is tied: equal screening scores straddle the
    quota, so the rules cannot choose. Each flag names the county and the tied cases."""
    limit, ranked = _county_rankings(year)
    flags, codes = [], {}
    for county, cases in ranked.items():
        if len(cases) <= limit or round(cases[limit - 1][1], 6) != round(cases[limit][1], 6):
            continue
        boundary = round(cases[limit][1], 6)
        tied = [case_id for case_id, score in cases if round(score, 6) == boundary]
        named = "、".join(case_code(case_id, codes) for case_id in tied)
        flags.append({"county": county, "cases": tied,
                      "message": f"{county}第 {limit} 個提名名額同分（案例 {named}），待主辦機關選定"})
    return flags


@dataclass
class NominationConfirmation:
    """What confirming every county's nominations did: counties filled from the proposal,
    counties whose own choice was kept, counties waiting for staff to settle a tie."""

    confirmed: dict[str, list[int]]
    kept: dict[str, list[int]]
    flags: list[dict]

    def as_dict(self) -> dict:
        return asdict(self)


def _check_nominations_open(edition: Edition) -> None:
    onsite_scored = (Score.select().join(Assignment).join(Stage)
                     .where((Stage.edition == edition) & (Stage.key == "onsite")).exists())
    published = Case.select().where((Case.edition == edition)
                                    & Case.status.in_(list(RESULT_STATUSES))).exists()
    if onsite_scored or published:
        raise ValidationError("分區評選已開始評分或結果已公布，不能再變更提名")


def _set_nominated(edition: Edition, county: County | None, choose: Callable[[], list[int]],
                   actor: User | None, reason: str) -> list[int]:
    """Nominate the cases ``choose()`` returns (called inside the writing transaction, so what
    it reads is what is replaced) in one county (None: the whole year); returns them."""
    scope = Case.edition == edition
    if county is not None:
        scope &= Case.county == county
    with database.atomic():
        for_update(Edition.select(Edition.id).where(Edition.id == edition.id)).get()
        _check_nominations_open(edition)
        case_ids = choose()
        before = [c.id for c in Case.select(Case.id).where(scope & (Case.status == "nominated"))]
        set_case_statuses({**{i: ("submitted", False) for i in before},
                           **{i: ("nominated", False) for i in case_ids}})
        write_audit(actor, "nominate", "edition", edition.id, before={"nominated": before},
                    after={"nominated": sorted(case_ids), "county": county and county.name},
                    reason=reason)
    cases_changed(sorted(set(before) | set(case_ids)))
    return case_ids


def confirm_nominations(year: int, *, actor: User | None = None) -> NominationConfirmation:
    """Confirm the proposal for every county that has no nomination yet: a county's own
    choice is kept, and a county tied on its last place waits for staff
    (:func:`change_nominations`)."""
    require_staff(actor, "確認全部縣市的提名")
    edition = get_edition(year)
    proposal = propose_nominations(year)
    flags = {flag["county"]: flag for flag in nomination_flags(year)}
    current: dict[str, list[int]] = defaultdict(list)
    filled: dict[str, list[int]] = {}

    def choose() -> list[int]:
        for case_id, county in (Case.select(Case.id, County.name).join(County)
                                .where((Case.edition == edition) & (Case.status == "nominated"))
                                .order_by(Case.id).tuples()):
            current[county].append(case_id)
        filled.update({county: ids for county, ids in proposal.items()
                       if county not in current and county not in flags})
        return sorted({i for ids in current.values() for i in ids}
                      | {i for ids in filled.values() for i in ids})

    _set_nominated(edition, None, choose, actor, "依書面篩選成績確認提名（保留縣市自行變更的提名）")
    return NominationConfirmation(confirmed=filled, kept=dict(current),
                                  flags=[flag for county, flag in flags.items()
                                         if county not in current])


def change_nominations(year: int, county: str, case_ids: list[int], *, reason: str,
                       actor: User | None = None) -> list[int]:
    """Change one county's nominated cases (staff, or that county's contact), with a reason."""
    edition = get_edition(year)
    county_row, _ = find_county(edition, county)
    if not can_act_for_county(actor, county_row.id):
        raise PermissionDenied(f"您不能變更{county_row.name}的提名")
    if not (reason or "").strip():
        raise ValidationError([Problem("變更提名須註明理由", "reason")])
    limit = edition.quota("presenters_per_county")
    if len(set(case_ids)) > limit:
        raise ValidationError(f"每縣市最多提名 {limit} 件")
    found = {c.id for c in Case.select(Case.id).where(
        (Case.edition == edition) & (Case.county == county_row) & Case.id.in_(case_ids))}
    missing = [str(i) for i in case_ids if i not in found]
    if missing:
        raise ValidationError(f"案例 {'、'.join(missing)} 不是{county_row.name}{roc_year(year)}的案例")
    return _set_nominated(edition, county_row, lambda: sorted(found), actor, reason.strip())


# --- regional selection -----------------------------------------------------------------------

@dataclass
class RegionResult:
    """A region's ranking, outcome and reasons (what `forum select --json` prints)."""

    region: str
    benchmarks: list[int]
    honourable: list[int]
    ranking: list[dict]
    flags: list[dict]

    def as_dict(self) -> dict:
        return {"region": self.region, "benchmarks": self.benchmarks,
                "honourable": self.honourable, "ranking": self.ranking, "flags": self.flags}


def _overrides(edition: Edition) -> dict[int, OutcomeOverride]:
    """Staff decisions per case of a year (outcome, reason, the quota rules they break)."""
    return {o.case_id: o for o in
            OutcomeOverride.select().join(Case).where(Case.edition == edition)}


def compute_selection(year: int, region: str | None = None) -> list[RegionResult]:
    """Rank each region's presented cases by final score and fill its quotas (benchmarks first,
    at most the per-county number, then honourable mentions). Ties no rule breaks are flagged
    for staff; staff overrides are applied on top, with their reasons. A ranked case carries
    the notes of its stage scores and, under 序位法 in a complete design, per stage the classic
    序位和 and 序位平均 (``rank_sums``). Kept by :func:`kb.computed.computed`: do not change it."""
    return computed(("selection", year, region), lambda: _compute_selection(year, region))


@rules_checked
def _compute_selection(year: int, region: str | None) -> list[RegionResult]:
    edition = get_edition(year)
    screening, onsite = stage_results(year, "screening"), stage_results(year, "onsite")
    weights = {s.key: s.weight for s in edition.stages}
    overrides = _overrides(edition)
    presented = (Assignment.select(Assignment.case).join(Stage)
                 .where((Stage.edition == edition) & (Stage.key == "onsite")))
    quotas = {"benchmarks": edition.quota("benchmarks_per_region"),
              "per_county": edition.quota("benchmarks_per_county"),
              "honourable": edition.quota("honourable_per_region")}
    regions = [each for each in Region.select().where(Region.edition == edition)
               .order_by(Region.position)
               if region is None or each.name == region.replace("台", "臺").strip()]
    in_region: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for case_id, title, region_id, county in database.execute(
            Case.select(Case.id, Case.title, Case.region, County.name).join(County)
            .where(Case.region.in_([each.id for each in regions])
                   & (Case.status.in_(("nominated", "presented")) | Case.id.in_(presented)))
            .order_by(Case.id)):
        in_region[region_id].append((case_id, title, county))
    results = []
    for each in regions:
        cases = in_region[each.id]
        candidates, labels, finals = [], {}, {}
        for case_id, title, county in cases:
            labels[case_id] = CaseLabel(title=title, county=county)
            stage_scores = {"screening": screening.get(case_id), "onsite": onsite.get(case_id)}
            final = scoring.final_score({k: v.score if v else None for k, v in stage_scores.items()},
                                        weights)
            finals[case_id] = (stage_scores, final)
            if final is None:
                continue
            candidates.append(scoring.Candidate(
                case_id=case_id, county=county, final=final, onsite=onsite[case_id].score,
                criterion_means=onsite[case_id].criterion_means))
        outcome = scoring.select_region(candidates, tie_break=edition.rules.tie_break,
                                        **quotas)
        reasons = explain_region(each.name, outcome, labels, **quotas,
                                 tie_break=edition.rules.tie_break)
        ranking = []
        for ranked in outcome.ranking:
            stage_scores, final = finals[ranked.case_id]
            result_outcome, reason = ranked.outcome, reasons[ranked.case_id]
            if ranked.case_id in overrides:
                decision = overrides[ranked.case_id]
                result_outcome = decision.outcome
                reason += f"；主辦機關改列為{OUTCOME_LABELS[result_outcome]}（{decision.reason}）"
                if decision.rule_breaks:
                    reason += f"；經確認超出名額：{'；'.join(decision.rule_breaks)}"
            ranking.append({
                "case": ranked.case_id, "title": labels[ranked.case_id].title,
                "county": labels[ranked.case_id].county,
                "screening": _rounded(stage_scores["screening"]),
                "onsite": _rounded(stage_scores["onsite"]), "final": round(final, 2),
                "rank": ranked.rank, "outcome": result_outcome, "reason": reason,
                "notes": [note for result in stage_scores.values() if result
                          for note in result.notes],
                "rank_sums": {key: {"sum": result.rank_sum, "mean": round(result.mean_rank, 2)}
                              for key, result in stage_scores.items()
                              if result and result.rank_sum is not None}})
        unscored = [case_id for case_id, _, _ in cases if finals[case_id][1] is None]
        flags = [{"rank": f.rank, "cases": list(f.case_ids), "decides_outcome": f.decides_outcome,
                  "message": "同分且依序比較各項仍無法區分，待主辦機關裁定"}
                 for f in outcome.flags]
        if unscored:
            flags.append({"cases": unscored, "message": "尚無完整的書面或分區評選成績，未列入排名"})
        flags += [{"cases": [row["case"]], "rule_breaks": overrides[row["case"]].rule_breaks,
                   "message": "主辦機關調整結果超出名額（"
                              f"{'；'.join(overrides[row['case']].rule_breaks)}）"}
                  for row in ranking
                  if row["case"] in overrides and overrides[row["case"]].rule_breaks]
        results.append(RegionResult(
            region=each.name,
            benchmarks=[r["case"] for r in ranking if r["outcome"] == "benchmark"],
            honourable=[r["case"] for r in ranking if r["outcome"] == "honourable"],
            ranking=ranking, flags=flags))
    if region is not None and not results:
        raise ValidationError(f"「{echoed(region)}」不是{roc_year(year)}的分區")
    return results


def _rounded(result: StageResult | None) -> float | None:
    return None if result is None else round(result.score, 2)


class QuotaBreak(ValidationError):
    """An override that would break a quota rule staff have not confirmed breaking; ``breaks``
    maps each rule's key (what to confirm) to its message."""

    def __init__(self, breaks: dict[str, str]):
        self.breaks = breaks
        super().__init__([Problem(f"{message}：如確定，請確認此項超出名額（{key}）並註明理由")
                          for key, message in breaks.items()])


def quota_breaks(year: int, case_id: int, outcome: str) -> dict[str, str]:
    """The quota rules a case's region would break if the case's outcome became ``outcome``:
    rule key (``region:第一區``, ``county:臺北市``) → message. (Honourable mentions beyond the
    year's number are staff's to add: not a break.)"""
    case = Case.select(Case, County, Region).join(County).switch(Case).join(Region).where(
        Case.id == case_id).get()
    edition = get_edition(year)
    region = next((r for r in compute_selection(year, case.region.name)), None)
    outcomes = {row["case"]: (row["outcome"], row["county"]) for row in region.ranking} \
        if region else {}
    outcomes[case.id] = (outcome, case.county.name)
    benchmarks = [county for result, county in outcomes.values() if result == "benchmark"]
    breaks = {}
    limit = edition.quota("benchmarks_per_region")
    if outcome == "benchmark" and len(benchmarks) > limit:
        breaks[f"region:{case.region.name}"] = (f"{case.region.name}標竿案例將有 {len(benchmarks)} 件"
                                               f"（每區 {limit} 件）")
    limit = edition.quota("benchmarks_per_county")
    if outcome == "benchmark" and benchmarks.count(case.county.name) > limit:
        breaks[f"county:{case.county.name}"] = (
            f"{case.county.name}標竿案例將有 {benchmarks.count(case.county.name)} 件"
            f"（每縣市 {limit} 件）")
    return breaks


def override_outcome(year: int, case_id: int, outcome: str, *, reason: str,
                     accept_breaks: list[str] = (), actor: User | None = None) -> list[str]:
    """Staff set a case's outcome by hand (e.g. to settle a tie), with a reason.

    An outcome that breaks a benchmark quota (per region or per county) is refused with :class:`QuotaBreak` unless each broken rule's key is in
    ``accept_breaks``; the breaks are recorded with the override and shown with the results.
    Returns the messages of the rules knowingly broken.
    """
    require_staff(actor, "調整評選結果")
    if outcome not in _OVERRIDES:
        raise ValidationError(f"結果「{echoed(outcome)}」不存在，可用：{'、'.join(_OVERRIDES)}")
    if not (reason or "").strip():
        raise ValidationError([Problem("調整評選結果須註明理由", "reason")])
    case = Case.get_or_none(Case.id == case_id)
    if case is None or case.edition.year != year:
        raise NotFound(f"{roc_year(year)}沒有案例 {case_id}")
    with database.atomic():
        for_update(Case.select(Case.id).where(Case.id == case.id)).get()
        breaks = quota_breaks(year, case.id, outcome)
        unconfirmed = {key: message for key, message in breaks.items() if key not in accept_breaks}
        if unconfirmed:
            raise QuotaBreak(unconfirmed)
        previous = OutcomeOverride.get_or_none(OutcomeOverride.case == case)
        write_audit(actor, "override_outcome", "case", case.id,
                    before={"outcome": previous.outcome if previous else None},
                    after={"outcome": outcome, "rule_breaks": list(breaks.values())},
                    reason=reason.strip())
        (OutcomeOverride.insert(case=case, outcome=outcome, reason=reason.strip(),
                                actor=actor.login if actor else "命令列",
                                rule_breaks=list(breaks.values()))
         .on_conflict(conflict_target=[OutcomeOverride.case],
                      update={OutcomeOverride.outcome: outcome,
                              OutcomeOverride.reason: reason.strip(),
                              OutcomeOverride.rule_breaks: list(breaks.values())}).execute())
    return list(breaks.values())


def publish_results(year: int, *, actor: User | None = None) -> dict:
    """Set every ranked case's status from the selection and make benchmark and honourable
    cases public. Refused while a tie that decides an outcome waits on staff."""
    require_staff(actor, "公布結果")
    results = compute_selection(year)
    undecided = [r["case"] for region in results for r in region.ranking if r["outcome"] == "tie"]
    if undecided:
        codes: dict[int, str] = {}
        raise ValidationError(f"案例 {'、'.join(case_code(c, codes) for c in undecided)} 同分待裁定，"
                              "請先由主辦機關調整結果（網頁「調整結果」或 forum select override）")
    edition = get_edition(year)
    statuses = {r["case"]: Outcome(r["outcome"]).status for region in results for r in region.ranking}
    with database.atomic():
        set_case_statuses({case_id: (status, status in Outcome.award_statuses())
                           for case_id, status in statuses.items()})
        write_audit(actor, "publish_results", "edition", edition.id,
                    after={"benchmark": [c for c, s in statuses.items() if s == "benchmark"],
                           "honourable": [c for c, s in statuses.items() if s == "honourable"]})
    # No cases_changed: the word index holds the cases' words, which publishing leaves as they
    # were; search reads status and publication from the database (set_case_statuses notes it).
    return {"year": year, "published": sum(s in Outcome.award_statuses() for s in statuses.values()),
            "ranked": len(statuses)}


# --- judge statistics -------------------------------------------------------------------------

LENIENCY_THRESHOLD = 5.0  # points from the panel mean before a judge reads as lenient or severe
DISAGREEMENT_THRESHOLD = DEFAULT_DIFFERENCE_RHO  # Spearman rho with the others below which a judge is flagged


def judge_statistics(year: int, key: str) -> list[dict]:
    """Per region of a stage: each judge's leniency beside the panel, agreement among judges
    (Kendall's W on shared cases, Krippendorff's alpha), and judges who disagree with the panel
    (kept by :func:`kb.computed.computed`: do not change them)."""
    return computed(("judge_statistics", year, key), lambda: _judge_statistics(year, key))


@rules_checked
def _judge_statistics(year: int, key: str) -> list[dict]:
    stage = get_stage(year, key)
    totals, _ = judge_totals(stage)
    regions = dict(Case.select(Case.id, Region.name).join(Region)
                   .where(Case.edition == stage.edition_id).tuples())
    positions = {r.name: r.position for r in Region.select().where(Region.edition == stage.edition_id)}
    by_region: dict[str, list[JudgeTotal]] = defaultdict(list)
    for total in totals:
        by_region[regions[total.case_id]].append(total)
    result = []
    for region in sorted(by_region, key=positions.get):
        stats = scoring.stage_statistics(by_region[region],
                                         leniency_threshold=LENIENCY_THRESHOLD,
                                         disagreement_threshold=DISAGREEMENT_THRESHOLD)
        result.append({
            "region": region,
            "thresholds": {"leniency": LENIENCY_THRESHOLD, "disagreement": DISAGREEMENT_THRESHOLD},
            "kendall_w": _maybe_round(stats.kendall_w), "kendall_judges": list(stats.kendall_judges),
            "kendall_cases": len(stats.kendall_cases), "alpha": _maybe_round(stats.alpha),
            "judges": [{"judge": j.judge, "cases": j.cases, "mean": round(j.mean, 2),
                        "spread": round(j.spread, 2), "panel_mean": round(j.panel_mean, 2),
                        "label": j.label} for j in stats.leniency],
            "agreement": [{"judge": a.judge, "cases": a.cases, "rho": _maybe_round(a.rho),
                           "flagged": a.flagged} for a in stats.agreement],
        })
    return result


def _maybe_round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
