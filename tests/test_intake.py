"""Intake rules: county names, the yearly limit, required fields, all-or-nothing imports."""
from __future__ import annotations

import json

import pytest

from helpers import case_input
from kb.cases import (SECTIONS, ImportRow, case_detail, create_case, import_cases, quota_usage,
                      update_case)
from kb.editions import create_edition, edition_settings, get_edition, set_intake_open
from kb.errors import PermissionDenied, ValidationError
from kb.models import AuditLog, Case, Edition
from kb.querylog import counted_queries


@pytest.mark.parametrize("typed, official", [
    ("台北市", "臺北市"), ("臺北市", "臺北市"), (" 台 北 市 ", "臺北市"), ("台中市", "臺中市"),
    ("台南市", "臺南市"), ("台東縣", "臺東縣"), ("新竹縣\u3000", "新竹縣"),
])
def test_county_variants_are_stored_in_official_form(edition, typed, official):
    case = create_case(104, case_input(county=typed))
    assert case_detail(case)["county"] == official


def test_unknown_county_is_named_in_the_error(edition):
    with pytest.raises(ValidationError) as error:
        create_case(104, case_input(county="台北縣"))
    assert "「台北縣」不是本年度的縣市" in str(error.value)
    assert Case.select().count() == 0


def test_eleventh_case_is_refused_and_staff_may_let_it_through_with_a_reason(edition, make_user):
    for n in range(10):
        create_case(104, case_input(title=f"案例{n}"))
    with pytest.raises(ValidationError) as error:
        create_case(104, case_input(title="第十一件"))
    assert "10 件" in str(error.value)
    assert quota_usage(104, "台北市") == (10, 10)

    contact = make_user("county", county="臺北市")
    with pytest.raises(PermissionDenied):
        create_case(104, case_input(title="第十一件"), actor=contact, override_reason="縣長指示")
    staff = make_user("staff")
    with pytest.raises(ValidationError, match="理由"):
        create_case(104, case_input(title="第十一件"), actor=staff, override_reason="  ")
    case = create_case(104, case_input(title="第十一件"), actor=staff,
                       override_reason="跨縣市合作案，經評審會議同意")
    log = AuditLog.get((AuditLog.action == "create_case") & (AuditLog.record_id == case.id))
    assert log.actor == staff.login
    assert log.reason == "跨縣市合作案，經評審會議同意"
    assert quota_usage(104, "臺北市") == (11, 10)


def test_limit_counts_each_county_separately(edition):
    for n in range(10):
        create_case(104, case_input(title=f"案例{n}"))
    create_case(104, case_input(county="新北市", agency="新北市政府社會局", title="案例0"))


@pytest.mark.parametrize("changes, field", [
    ({"attest_own": False}, "attest_own"),
    ({"attest_ongoing": False}, "attest_ongoing"),
    ({"title": "  "}, "title"),
    ({"agency": ""}, "agency"),
    ({"category": "太空探索"}, "category"),
    ({"category": "其他"}, "theme"),
    ({"sections": {}}, "sections.background"),
])
def test_incomplete_case_is_refused_naming_the_field(edition, changes, field):
    with pytest.raises(ValidationError) as error:
        create_case(104, case_input(**changes))
    assert field in {p.field for p in error.value.problems}
    assert Case.select().count() == 0


def test_other_category_keeps_the_county_theme(edition):
    case = create_case(104, case_input(category="其他", theme="動物保護與友善收容"))
    assert case_detail(case)["theme"] == "動物保護與友善收容"


def test_county_contact_submits_only_for_their_county_and_only_while_intake_is_open(
        edition, make_user):
    contact = make_user("county", county="臺北市")
    with pytest.raises(PermissionDenied):
        create_case(104, case_input(county="新北市", agency="新北市政府"), actor=contact)
    case = create_case(104, case_input(), actor=contact)
    set_intake_open(104, False)
    with pytest.raises(PermissionDenied):
        create_case(104, case_input(title="截止後送件"), actor=contact)
    with pytest.raises(PermissionDenied):
        update_case(case.id, case_input(title="截止後修改"), actor=contact)
    update_case(case.id, case_input(title="主辦機關修正名稱"), actor=make_user("staff"))
    assert Case.get_by_id(case.id).title == "主辦機關修正名稱"


def test_update_records_old_and_new_values(edition):
    case = create_case(104, case_input())
    update_case(case.id, case_input(title="銀髮共餐2.0"))
    log = AuditLog.get(AuditLog.action == "update_case")
    assert log.before == {"title": "銀髮共餐據點擴展計畫"}
    assert log.after == {"title": "銀髮共餐2.0"}


def test_a_new_case_is_logged_once_and_its_write_up_text_kept_once(edition):
    """The created record names the case and how long each section is; the text itself lives in
    the case's submitted version (not a second copy per case in the log), and a later change
    of the write-up logs the text before and after, so the history stays complete."""
    sections = {key: f"{label}：" + "社區長者共餐與關懷訪視。" * 40 for key, label in SECTIONS}
    case = create_case(104, case_input(sections=sections))
    created = AuditLog.get(AuditLog.action == "create_case")
    assert created.after["title"] == "銀髮共餐據點擴展計畫"
    assert created.after["people"]["contact"]["name"] == "林佳蓉"
    assert created.after["section_characters"] == {key: len(text) for key, text in sections.items()}
    assert "sections" not in created.after
    assert "社區長者共餐" not in json.dumps(created.after, ensure_ascii=False)

    changed = {**sections, "background": "改寫後的背景說明。"}
    update_case(case.id, case_input(sections=changed))
    updated = AuditLog.get(AuditLog.action == "update_case")
    assert updated.before["sections"] == sections
    assert updated.after["sections"] == changed


def _rows(*inputs):
    return [ImportRow(sheet="案例清單", row=n + 2, input=data, columns={"county": "B"})
            for n, data in enumerate(inputs)]


def test_import_with_a_bad_row_in_the_middle_writes_nothing(edition):
    rows = _rows(case_input(title="甲"), case_input(title="乙", county="台北縣"),
                 case_input(title="丙"))
    with pytest.raises(ValidationError) as error:
        import_cases(104, rows)
    assert "「案例清單」第3列「縣市」（B欄）：「台北縣」不是本年度的縣市" in str(error.value)
    assert Case.select().count() == 0
    assert AuditLog.select().where(AuditLog.table == "case").count() == 0


def test_reimport_updates_instead_of_duplicating(edition):
    rows = _rows(case_input(title="甲"), case_input(title="乙", external_id="TPE-02"))
    first = import_cases(104, rows)
    assert len(first.created) == 2
    again = import_cases(104, rows)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 2)
    renamed = _rows(case_input(title="甲"), case_input(title="乙（修正名稱）", external_id="TPE-02"))
    third = import_cases(104, renamed)
    assert len(third.updated) == 1
    assert Case.select().count() == 2


def test_dry_run_reports_without_writing(edition):
    report = import_cases(104, _rows(case_input(title="甲")), dry_run=True)
    assert report.dry_run and len(report.created) == 1
    assert Case.select().count() == 0


def test_import_over_the_limit_needs_an_override(edition):
    rows = _rows(*[case_input(title=f"案例{n}") for n in range(11)])
    with pytest.raises(ValidationError) as error:
        import_cases(104, rows)
    assert "第12列" in str(error.value)
    assert Case.select().count() == 0
    import_cases(104, rows, override_reason="延長收件期間補件")
    assert Case.select().count() == 11
    reasons = [log.reason for log in AuditLog.select().where(AuditLog.action == "create_case")
               .order_by(AuditLog.id)]
    assert reasons == [""] * 10 + ["延長收件期間補件"]


def test_duplicate_rows_in_one_file_are_refused(edition):
    with pytest.raises(ValidationError, match="與第2列重複"):
        import_cases(104, _rows(case_input(title="甲"), case_input(title="甲 ")))


def test_new_edition_copies_settings_from_an_earlier_year(edition):
    settings = edition_settings(get_edition(104))
    settings["regions"][0]["counties"].remove("金門縣")
    settings["regions"][2]["counties"].append("金門縣")
    create_edition(105, settings)
    create_edition(106, edition_settings(get_edition(105)))
    regions = edition_settings(get_edition(106))["regions"]
    assert "金門縣" in regions[2]["counties"] and "金門縣" not in regions[0]["counties"]
    with pytest.raises(ValidationError, match="已經存在"):
        create_edition(106, settings)


def test_an_import_runs_as_many_statements_for_three_times_the_cases(edition):
    """New cases go in with a few bulk statements, not a handful per row."""
    counties = ("臺北市", "新竹縣", "臺南市")

    def statements(per_county: int, year: int) -> int:
        create_edition(year, edition_settings(get_edition(104)))
        rows = _rows(*(case_input(county=county, title=f"案例{year}-{county}-{n}")
                       for county in counties for n in range(per_county)))
        with counted_queries() as queries:
            report = import_cases(year, rows)
        assert len(report.created) == per_county * len(counties)
        return len(queries)

    assert statements(3, 106) == statements(1, 105)


def test_a_reimport_runs_as_many_statements_for_three_times_the_cases(edition):
    """Changed and unchanged rows of a re-import are read and written in bulk; each changed
    case gets its audit record of what changed, an unchanged one nothing."""
    counties = ("臺北市", "新竹縣", "臺南市")

    def statements(per_county: int, year: int) -> int:
        create_edition(year, edition_settings(get_edition(104)))
        inputs = [case_input(county=county, title=f"案例{county}{n}", external_id=f"{year}-{county}-{n}")
                  for county in counties for n in range(per_county)]
        import_cases(year, _rows(*inputs))
        for data in inputs[::2]:  # every other case: a new summary and owner's phone
            data.summary += "（修正）"
            data.owner.phone = "02-2345-6789"
        with counted_queries() as queries:
            report = import_cases(year, _rows(*inputs))
        assert (len(report.updated), len(report.unchanged)) == (len(inputs[::2]), len(inputs[1::2]))
        changed = Case.select().where(Case.external_id.in_([d.external_id for d in inputs[::2]]))
        logs = {log.record_id: log for log in AuditLog.select().where(
            AuditLog.action == "update_case", AuditLog.record_id.in_(changed))}
        assert len(logs) == len(inputs[::2]) == AuditLog.select().where(
            AuditLog.action == "update_case", AuditLog.record_id.in_(
                Case.select(Case.id).join(Edition).where(Edition.year == year))).count()
        log = next(iter(logs.values()))
        assert set(log.after) == {"summary", "people"} and log.after["summary"].endswith("（修正）")
        assert log.after["people"]["owner"]["phone"] == "02-2345-6789"
        assert log.before["people"]["owner"]["phone"] == ""
        assert case_detail(Case.get_by_id(log.record_id))["summary"].endswith("（修正）")
        return len(queries)

    assert statements(3, 106) == statements(1, 105)
