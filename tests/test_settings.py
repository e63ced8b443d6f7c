"""A year's settings: the typed model's validator, replacing settings once judging has begun,
and `forum edition settings`."""
from __future__ import annotations

import copy
import json

import pytest

from kb.editions import create_edition, edition_settings, get_edition
from kb.errors import ValidationError
from kb.models import AuditLog, Criterion, Score
from kb.settings import parse_settings
from kb.settings_change import preview_settings, replace_settings
from seeds import load_reference

REVITALISATION = [{"name": "可行性", "points": 40, "description": "計畫執行之可行程度"},
                  {"name": "創意性", "points": 30, "description": "構想之創新與獨特"},
                  {"name": "外溢性", "points": 30, "description": "對周邊地區之帶動效果"}]


def reference():
    return copy.deepcopy(load_reference()["edition"])


def official(typed):
    names = {c["name"]: c["name"] for c in load_reference()["counties"]}
    names.update({v: c["name"] for c in load_reference()["counties"] for v in c["variants"]})
    return names.get(typed)


def changed(path: str, value):
    """The reference settings with the value at a dotted path (list items 1-based) replaced;
    ``...`` deletes the key."""
    settings = reference()
    *parents, last = path.split(".")
    target = settings
    for part in parents:
        target = target[int(part) - 1] if part.isdigit() else target[part]
    key = int(last) - 1 if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return settings


BAD_SETTINGS = [
    (changed("criteria.3.points", 25), "criteria", "評選指標配分合計 110 分，與總分 100 分不符"),
    (changed("criteria.3.points", "十五"), "criteria.3.points", "評選指標「困難度」的配分須為數字"),
    (changed("criteria.3.points", 0), "criteria.3.points", "評選指標「困難度」的配分須大於 0"),
    (changed("criteria.2.name", "創新度"), "criteria.2.name", "評選指標「創新度」重複"),
    (changed("criteria.1.name", " "), "criteria.1.name", "評選指標第 1 項的名稱必須填寫"),
    (changed("criteria", []), "criteria", "評選指標至少需要一項"),
    (changed("stages.1.weight", 0.5), "stages", "各評選階段權重合計須為 1（100%），目前為 1.1"),
    (changed("stages.1.weight", 40), "stages.1.weight", "權重須介於 0 與 1 之間"),
    (changed("stages.2.key", "screening"), "stages", "評選階段須恰有一個「書面篩選」（screening），目前有 2 個"),
    (changed("regions.2.counties", ["台北市"]), "regions.2.counties",
     "縣市「臺北市」同時屬於「第一區」與「第二區」"),
    (changed("regions.1.counties", ["火星市"]), "regions.1.counties", "分區「第一區」的縣市「火星市」不存在"),
    (changed("regions.2.name", "第一區"), "regions.2.name", "分區「第一區」重複"),
    (changed("categories.1.priority", 0), "categories.1.priority", "徵求類別「科技創能」的優先順序須至少為 1"),
    (changed("quotas.cases_per_county", 2.5), "quotas.cases_per_county", "每縣市送件上限須為整數"),
    (changed("quotas.benchmarks_per_region", ...), "quotas.benchmarks_per_region",
     "每分區標竿案例數必須填寫"),
    (changed("quotas.honourable_per_region", -1), "quotas.honourable_per_region", "每分區佳作數須至少為 0"),
    (changed("judges_per_case", 0), "judges_per_case", "每案評審人數須至少為 1"),
    (changed("aggregation", "average"), "aggregation", "評分彙整方式「average」不存在"),
    (changed("tie_break.2", "criterion:創意性"), "tie_break.2",
     "比序規則第 2 項的評選指標「創意性」不在本年度的評選指標中"),
    (changed("tie_break.1", "luck"), "tie_break.1", "比序規則第 1 項「luck」不存在"),
    (changed("tie_break.3", "criterion:應用性"), "tie_break.3", "比序規則「criterion:應用性」重複"),
    (changed("programme", {"start": "9點", "items": []}), "programme", "議程範本："),
    (changed("rubric", 100), "rubric", "不認得的設定「rubric」"),
]


@pytest.mark.parametrize("settings, where, message", BAD_SETTINGS)
def test_each_bad_setting_is_named_in_zh_tw(settings, where, message):
    with pytest.raises(ValidationError) as error:
        parse_settings(settings, official)
    assert any(p.field == where and message in p.message for p in error.value.problems), \
        error.value.problems


def test_another_scale_is_accepted_once_its_total_is_said():
    settings = changed("criteria.3.points", 25)
    settings["rubric_total"] = 110
    assert sum(c.points for c in parse_settings(settings, official).criteria) == 110


def test_the_reference_settings_are_valid_and_round_trip():
    typed = parse_settings(reference(), official)
    assert parse_settings(typed.as_dict(), official) == typed
    assert typed.rules.quota("benchmarks_per_region") == 3


def test_a_second_forums_rubric_is_a_settings_file(edition, forum, tmp_path):
    settings = edition_settings(edition)
    settings["criteria"] = REVITALISATION
    settings["tie_break"] = ["onsite", "criterion:外溢性"]
    path = tmp_path / "revitalisation.json"
    path.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    result = forum("edition", "settings", "104", "--load", str(path))
    assert result.exit_code == 0, result.output
    assert "刪除評選指標「創新度」" in result.output and "新增評選指標「可行性」（40 分）" in result.output
    shown = json.loads(forum("edition", "settings", "104", "--json").output)
    assert [(c["name"], c["points"]) for c in shown["criteria"]] == [
        ("可行性", 40), ("創意性", 30), ("外溢性", 30)]
    assert shown["tie_break"] == ["onsite", "criterion:外溢性"]
    assert AuditLog.get(AuditLog.action == "replace_settings").after["criteria"][0]["name"] == "可行性"


def test_a_bad_settings_file_exits_non_zero_and_writes_nothing(edition, forum, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(changed("stages.1.weight", 0.5)), encoding="utf-8")
    result = forum("edition", "settings", "104", "--load", str(path))
    assert result.exit_code == 1 and "各評選階段權重合計須為 1" in result.output
    path.write_text("{not json", encoding="utf-8")
    assert "不是有效的 UTF-8 JSON 檔" in forum("edition", "settings", "104", "--load", str(path)).output
    assert get_edition(104).stages.where(1 == 1).count() == 2
    assert not AuditLog.select().where(AuditLog.action == "replace_settings").exists()


def test_a_year_copied_from_a_year_keeps_its_rules(edition):
    settings = edition_settings(edition)
    settings["criteria"] = REVITALISATION
    settings["tie_break"] = []
    replace_settings(104, settings)
    create_edition(105, edition_settings(get_edition(104)))
    assert [c["name"] for c in edition_settings(get_edition(105))["criteria"]] == ["可行性", "創意性", "外溢性"]


def test_once_scored_a_rubric_change_needs_a_reason_and_says_what_it_changes(scored):
    settings = edition_settings(scored)
    settings["criteria"][2]["points"] = 14  # 困難度 15 → 14 (its score is 12)
    settings["criteria"][4]["points"] = 26  # 應用性 25 → 26
    with pytest.raises(ValidationError) as error:
        replace_settings(104, settings)
    text = str(error.value)
    assert "本年度已有 5 筆評分，變更評選指標須註明理由" in text
    assert "評選指標「困難度」配分 15 → 14（已有 1 筆評分）" in text
    assert preview_settings(104, settings).needs_reason
    change = replace_settings(104, settings, reason="評審會議決議")
    assert change.saved
    assert Criterion.get(Criterion.name == "困難度").points == 14
    assert AuditLog.get(AuditLog.action == "replace_settings").reason == "評審會議決議"


@pytest.mark.parametrize("edit, message", [
    (lambda s: (s["criteria"].pop(), s["criteria"][0].update(points=45)),
     "評選指標「應用性」已有 1 筆評分，不能刪除或改名"),
    (lambda s: s["criteria"][0].update(name="創意性"), "評選指標「創新度」已有 1 筆評分，不能刪除或改名"),
    (lambda s: (s["criteria"][4].update(points=15), s["criteria"][0].update(points=30)),
     "評選指標「應用性」已有評分 21 分，高於新配分 15 分"),
    (lambda s: s["categories"].pop(s["categories"].index(
        next(c for c in s["categories"] if c["name"] == "社會福利"))),
     "徵求類別「社會福利」已有 1 件案例，不能刪除或改名"),
])
def test_once_scored_a_change_that_would_orphan_scores_is_refused(scored, edit, message):
    settings = edition_settings(scored)
    edit(settings)
    settings["tie_break"] = ["onsite"]
    with pytest.raises(ValidationError, match=message):
        replace_settings(104, settings, reason="試試看")
    assert Score.select().count() == 5
    assert [c.name for c in scored.criteria.order_by(Criterion.position)] == [
        "創新度", "完整度", "困難度", "效益性", "應用性"]


@pytest.mark.parametrize("edit, needs_reason", [
    (lambda s: s["stages"][0].update(weight=0.5) or s["stages"][1].update(weight=0.5), True),
    (lambda s: s.update(aggregation="median"), True),
    (lambda s: s["quotas"].update(honourable_per_region=4), False),
    (lambda s: s["criteria"][0].update(description="新的說明"), False),
])
def test_once_scored_only_judged_parts_need_a_reason(scored, edit, needs_reason):
    settings = edition_settings(scored)
    edit(settings)
    assert preview_settings(104, settings).needs_reason is needs_reason


def test_the_command_line_sets_the_screening_panel_and_imports_accounts(edition, forum, tmp_path,
                                                                       make_user):
    from test_staff_web import JUDGES, account_sheet

    path = tmp_path / "judges.xlsx"
    path.write_bytes(account_sheet(JUDGES))
    report = json.loads(forum("users", "import", str(path), "--json").output)
    assert [row["login"] for row in report["created"]] == ["chen", "wu", "li.tnn"]
    result = forum("assign", "panel", "--year", "104", "--judges", "wu,chen")
    assert result.exit_code == 0 and "chen、wu" in result.output
    assert json.loads(forum("assign", "panel", "--year", "104", "--json").output) == ["chen", "wu"]
    refused = forum("assign", "panel", "--year", "104", "--judges", "li.tnn")
    assert refused.exit_code == 1 and "「li.tnn」不是啟用中的評審委員" in refused.output
    reset = forum("users", "reset", "wu")
    assert reset.exit_code == 0 and "臨時密碼" in reset.output


@pytest.mark.parametrize("points, message", [
    (None, "評選指標「困難度」的配分必須填寫"), (" ", "評選指標「困難度」的配分必須填寫"),
    (-5, "評選指標「困難度」的配分須至少為 0，不是 -5"), (float("nan"), "評選指標「困難度」的配分須為數字"),
])
def test_a_missing_or_impossible_number_gets_one_message(points, message):
    with pytest.raises(ValidationError) as error:
        parse_settings(changed("criteria.3.points", points), official)
    assert [p.message for p in error.value.problems if p.field == "criteria.3.points"] == [message]
