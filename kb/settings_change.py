"""Changing a year's rules: what a new set of settings changes, and replacing them.

Once judging has begun (any score in the year) a change to the rubric, the stage weights or
the aggregation method needs a reason and is shown before it is made; a change that would leave
scores without their criterion (a criterion removed or renamed, points lowered below a score
already given), or cases without their region or category, is refused.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from peewee import fn

from kb.audit import write_audit
from kb.db import database, for_update
from kb.editions import check_settings, get_edition, write_tables, year_settings
from kb.errors import Problem, ValidationError
from kb.models import Case, Category, Criterion, Edition, Region, Score, User
from kb.settings import QUOTA_LABELS, SECTION_LABELS, YearSettings

JUDGED_PARTS = {"criteria": "評選指標", "stages": "評選階段權重", "aggregation": "評分彙整方式"}


@dataclass
class SettingsChange:
    """What replacing a year's settings changes (zh-TW lines), and whether it needs a reason."""

    year: int
    changes: list[str] = field(default_factory=list)
    scores: int = 0  # scores already given in the year
    judged_parts: list[str] = field(default_factory=list)  # changed parts that scores depend on
    saved: bool = False

    @property
    def needs_reason(self) -> bool:
        return bool(self.scores and self.judged_parts)

    def as_dict(self) -> dict:
        return {**asdict(self), "needs_reason": self.needs_reason}


def _number(value) -> str:
    return f"{value:,g}" if isinstance(value, (int, float)) else str(value)


def _criterion_changes(old: YearSettings, new: YearSettings, scored: dict[str, tuple[int, float]],
                       change: SettingsChange, problems: list[Problem]) -> None:
    """Removed, added and re-pointed criteria; totals change unless only descriptions or the
    order did."""
    lines = len(change.changes)
    before = {c.name: c for c in old.criteria}
    after = {c.name: c for c in new.criteria}
    for name, criterion in before.items():
        count, highest = scored.get(name, (0, 0))
        if name not in after:
            if count:
                problems.append(Problem(f"評選指標「{name}」已有 {count:,} 筆評分，不能刪除或改名"
                                        "（評分會失去對應的指標）", "criteria"))
            change.changes.append(f"刪除評選指標「{name}」")
        elif after[name].points != criterion.points:
            note = f"（已有 {count:,} 筆評分）" if count else ""
            change.changes.append(f"評選指標「{name}」配分 {_number(criterion.points)} → "
                                  f"{_number(after[name].points)}{note}")
            if count and highest > after[name].points:
                problems.append(Problem(f"評選指標「{name}」已有評分 {_number(highest)} 分，高於新配分 "
                                        f"{_number(after[name].points)} 分", "criteria"))
    change.changes.extend(f"新增評選指標「{name}」（{_number(criterion.points)} 分）"
                          for name, criterion in after.items() if name not in before)
    if len(change.changes) > lines:
        _judged(change, "criteria")
    change.changes.extend(f"評選指標「{name}」說明更新" for name, criterion in before.items()
                          if name in after and after[name].description != criterion.description)
    if [c.name for c in old.criteria if c.name in after] != [c.name for c in new.criteria
                                                             if c.name in before]:
        change.changes.append("評選指標順序調整")


def _named_rows_changes(label: str, old: tuple, new: tuple, used: dict[str, int],
                        change: SettingsChange, problems: list[Problem], key: str) -> None:
    """Regions or categories: removals (refused while cases use them), additions, edits."""
    before = {row.name: row for row in old}
    after = {row.name: row for row in new}
    for name in before:
        if name not in after:
            if used.get(name):
                problems.append(Problem(f"{label}「{name}」已有 {used[name]:,} 件案例，不能刪除或改名",
                                        key))
            change.changes.append(f"刪除{label}「{name}」")
        elif before[name] != after[name]:
            change.changes.append(f"{label}「{name}」：{_describe(before[name])} → "
                                  f"{_describe(after[name])}")
    change.changes.extend(f"新增{label}「{name}」" for name in after if name not in before)


def _describe(row) -> str:
    values = asdict(row)
    values.pop("name")
    return "；".join("、".join(v) if isinstance(v, (list, tuple)) else _number(v)
                    for v in values.values() if v not in ("", None))


def _rule_changes(old: YearSettings, new: YearSettings, change: SettingsChange) -> None:
    for stage in new.stages:
        previous = next((s for s in old.stages if s.key == stage.key), None)
        if previous is not None and previous.weight != stage.weight:
            change.changes.append(f"「{stage.name}」權重 {previous.weight:.0%} → {stage.weight:.0%}")
            _judged(change, "stages")
        if previous is not None and previous.name != stage.name:
            change.changes.append(f"評選階段「{previous.name}」改名為「{stage.name}」")
    before, after = old.rules.as_dict(), new.rules.as_dict()
    for name, label in QUOTA_LABELS.items():
        if before["quotas"][name] != after["quotas"][name]:
            change.changes.append(f"{label} {before['quotas'][name]} → {after['quotas'][name]}")
    for key in sorted(set(before) | set(after)):
        if key in ("quotas", "programme") or before.get(key) == after.get(key):
            continue
        change.changes.append(f"{SECTION_LABELS[key]}：{_shown(before.get(key))} → "
                              f"{_shown(after.get(key))}")
        if key == "aggregation":
            _judged(change, "aggregation")
    if before.get("programme") != after.get("programme"):
        change.changes.append("議程範本更新")


def _shown(value) -> str:
    if value in (None, "", [], ()):
        return "（未設定）"
    return "、".join(value) if isinstance(value, list) else _number(value)


def _judged(change: SettingsChange, part: str) -> None:
    if JUDGED_PARTS[part] not in change.judged_parts:
        change.judged_parts.append(JUDGED_PARTS[part])


def _compare(edition: Edition, new: YearSettings) -> tuple[SettingsChange, list[Problem]]:
    old = year_settings(edition)
    scored = {name: (count, highest or 0) for name, count, highest in
              Score.select(Criterion.name, fn.COUNT(Score.id), fn.MAX(Score.value))
              .join(Criterion).where(Criterion.edition == edition)
              .group_by(Criterion.name).tuples()}
    change = SettingsChange(year=edition.year, scores=sum(c for c, _ in scored.values()))
    problems: list[Problem] = []
    _criterion_changes(old, new, scored, change, problems)
    cases_by = {}
    for model in (Region, Category):
        cases_by[model] = dict(Case.select(model.name, fn.COUNT(Case.id)).join(model)
                               .where(Case.edition == edition).group_by(model.name).tuples())
    _named_rows_changes("分區", old.regions, new.regions, cases_by[Region], change, problems,
                        "regions")
    _named_rows_changes("徵求類別", old.categories, new.categories, cases_by[Category], change,
                        problems, "categories")
    _rule_changes(old, new, change)
    return change, problems


def preview_settings(year: int, raw: dict) -> SettingsChange:
    """What replacing year ``year``'s settings with ``raw`` would change; raises
    :class:`ValidationError` when ``raw`` is invalid or the change would be refused."""
    edition = get_edition(year)
    change, problems = _compare(edition, check_settings(raw))
    if problems:
        raise ValidationError(problems)
    return change


def replace_settings(year: int, raw: dict, *, reason: str | None = None,
                     actor: User | None = None) -> SettingsChange:
    """Replace a year's settings, all or nothing, audited with the reason.

    Once scores exist, a change to the rubric, the stage weights or the aggregation needs a
    ``reason`` (the error lists what would change); a change that would orphan scores or
    cases is refused.
    """
    new = check_settings(raw)
    reason = (reason or "").strip()
    with database.atomic():
        edition = for_update(Edition.select().where(Edition.year == year)).first() \
            or get_edition(year)
        change, problems = _compare(edition, new)
        if problems:
            raise ValidationError(problems)
        if change.needs_reason and not reason:
            raise ValidationError(
                [Problem(f"本年度已有 {change.scores:,} 筆評分，變更{'、'.join(change.judged_parts)}"
                         "須註明理由", "reason")]
                + [Problem(f"將變更：{line}", "reason") for line in change.changes])
        if not change.changes:
            return change
        before = year_settings(edition).as_dict()
        stored = edition.settings.get("programme") or {}
        rules = new.rules.as_dict()
        if stored.get("regions") and "programme" in rules:
            rules["programme"] = {**rules["programme"], "regions": stored["regions"]}
        write_tables(edition, new)
        Edition.update(settings=rules).where(Edition.id == edition.id).execute()
        after = new.as_dict()
        keys = [key for key in after if before.get(key) != after.get(key)]
        write_audit(actor, "replace_settings", "edition", edition.id,
                    before={key: before.get(key) for key in keys},
                    after={**{key: after[key] for key in keys}, "changes": change.changes},
                    reason=reason)
        change.saved = True
    return change
