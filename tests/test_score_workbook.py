"""Excel score sheets: a judge's sheet and the staff's combined table, out and back in."""
from __future__ import annotations

import json
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from helpers import case_input, needs_libreoffice, resaved_by_libreoffice
from exports.case_workbook import NOT_A_WORKBOOK, build_case_template
from exports.score_workbook import (GUIDE_SHEET, NOT_A_SCORESHEET, SCORE_SHEET, SUMMARY_SHEET,
                                    TABLE_SHEET, build_scoresheet, read_scores_table,
                                    read_scoresheet)
from kb.assignments import assign_screening, assignment_dict, declare_conflict, list_assignments
from kb.case_codes import case_code
from kb.cases import create_case
from kb.editions import case_list_choices, get_edition
from kb.errors import PermissionDenied, ValidationError
from kb.models import AuditLog, Criterion, Score
from kb.scores import ScoreEntry, record_scores
from kb.scoresheets import JudgeSheet, SheetCriterion, StageRubric, stage_rubric
from kb.stages import get_stage, set_stage_state, stage_criteria
from web.score_files import (import_scores_table, import_scoresheet, import_scoresheets,
                             scores_table_file, scoresheet_file)

HEADERS = ["案例編號", "分區", "縣市", "案例名稱", "創新度（20）", "完整度（20）", "困難度（15）",
           "效益性（20）", "應用性（25）", "總分", "送出", "評語"]
FULL = {"創新度": 18, "完整度": 17.5, "困難度": 12, "效益性": 16, "應用性": 20}  # total 83.5


# --- helpers -----------------------------------------------------------------------------------

def save(workbook) -> bytes:
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def label(header) -> str:
    return str(header).split("（")[0]


def row_key(sheet, row, labels):
    """A data row's key: its case id on a judge's sheet, (login, case id) on the table."""
    case_id = row[labels.index("案例編號")].value
    if sheet.title == TABLE_SHEET:
        return row[labels.index("評審帳號")].value, case_id
    return case_id


def fill(data: bytes, rows: dict, title: str = SCORE_SHEET) -> bytes:
    """``data`` with values typed in: rows maps a row key (see row_key) to {header label: value}."""
    workbook = load_workbook(BytesIO(data))
    sheet = workbook[title]
    labels = [label(cell.value) for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for name, value in rows.get(row_key(sheet, row, labels), {}).items():
            row[labels.index(name)].value = value
    return save(workbook)


def address(data: bytes, key, name: str, title: str = SCORE_SHEET) -> str:
    """The cell of criterion (or column) ``name`` in the row with ``key``, e.g. 「評分表」E3."""
    sheet = load_workbook(BytesIO(data))[title]
    labels = [label(cell.value) for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if row_key(sheet, r, labels) == key)
    return f"「{title}」{row[labels.index(name)].coordinate}"


def with_rows(data: bytes, rows: list[list], title: str = SCORE_SHEET) -> bytes:
    """``data`` with ``rows`` appended below the sheet's rows."""
    workbook = load_workbook(BytesIO(data))
    for values in rows:
        workbook[title].append(values)
    return save(workbook)


def with_properties(data: bytes, **values) -> bytes:
    """``data`` with some custom document properties changed."""
    workbook = load_workbook(BytesIO(data))
    for name, value in values.items():
        workbook.custom_doc_props[name].value = value
    return save(workbook)


def stored(judge, stage_key: str = "screening") -> dict[int, dict]:
    """A judge's stored scores by case id (an empty dict for an unscored case)."""
    stage = get_stage(104, stage_key)
    criteria = stage_criteria(stage)
    return {a.case_id: assignment_dict(a, criteria)
            for a in list_assignments(104, stage_key, judge=judge)}


def messages(error) -> list[str]:
    return [p.message for p in error.value.problems]


def score_count() -> int:
    return Score.select().count()


# --- the judge's sheet: export ------------------------------------------------------------------

def test_scoresheet_layout_validations_protection_and_metadata(three_judge_panel):
    data = scoresheet_file(104, "screening", "judge01")
    workbook = load_workbook(BytesIO(data))
    assert workbook.sheetnames == [SCORE_SHEET, GUIDE_SHEET]
    sheet = workbook[SCORE_SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(three_judge_panel.cases)
    assert [r[1:3] for r in rows] == [("第一區", "臺北市"), ("第一區", "新北市"),
                                      ("第二區", "臺中市"), ("第三區", "高雄市")]
    assert rows[0][3] == "銀髮共餐"
    assert [r[9] for r in rows] == [f"=SUM(E{n}:I{n})" for n in range(2, 6)]

    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {f"{c}2:{c}5" for c in "EFGHIK"}
    submit = validations["K2:K5"]
    assert (submit.type, submit.formula1, submit.showErrorMessage) == ("list", '"是,否"', True)
    innovation = validations["E2:E5"]
    assert (innovation.type, innovation.operator, innovation.formula1, innovation.formula2) == \
        ("decimal", "between", "0", "20")
    assert validations["G2:G5"].formula2 == "15"
    assert innovation.showErrorMessage and "「創新度」請填 0 到 20 的數字" in innovation.error

    assert sheet.protection.sheet
    assert sheet["A2"].protection.locked and sheet["D2"].protection.locked
    assert sheet["J2"].protection.locked and sheet["E1"].protection.locked
    assert not any(sheet[f"{c}{n}"].protection.locked for c in "EFGHIKL" for n in range(2, 6))
    assert sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.oddHeader.center.text == "測試judge　民國104年書面篩選評分表"

    guide = "\n".join(str(v) for row in workbook[GUIDE_SHEET].iter_rows(values_only=True)
                      for v in row if v is not None)
    for text in ("因應外在環境變遷與民意需求", "可供其他縣市參考移植之價值", "一位小數", "維持原狀",
                 "請勿修改「案例編號」", "上傳", "judge01", "「送出」欄", "不計入結果"):
        assert text in guide
    assert workbook[GUIDE_SHEET].protection.sheet

    properties = {p.name: p.value for p in workbook.custom_doc_props}
    assert properties["forum_sheet"] == "scoresheet"
    assert properties["forum_year"] == 104
    assert properties["forum_stage"] == "screening"
    assert properties["forum_judge"] == "judge01"
    assert '["創新度", 20.0]' in properties["forum_rubric"]
    assert sorted(map(int, properties["forum_cases"].split(","))) == sorted(three_judge_panel.cases)

    stage, entries = read_scoresheet(data, rubric_of=stage_rubric)
    assert stage.key == three_judge_panel.stage.key
    assert entries == []  # nothing typed yet


def test_a_score_sheet_is_built_and_read_from_plain_data_with_no_database():
    rubric = StageRubric(year=104, key="screening", name="書面篩選", criteria=[
        SheetCriterion("創新度", 40, "新意"), SheetCriterion("效益性", 60, "成果")])
    sheet = JudgeSheet(rubric=rubric, ad_year=2015, edition_name="104年地方治理標竿論壇",
                       allow_resubmit=False, judge_login="judge09", judge_name="林委員", rows=[
                           {"case": 7, "region": "第一區", "county": "臺北市", "title": "銀髮共餐",
                            "scores": {"創新度": 30}, "state": "draft", "comment": None}])
    data = fill(build_scoresheet(sheet), {7: {"效益性": "５５", "送出": "是", "評語": "具體"}})

    looked_up = []
    stage, entries = read_scoresheet(
        data, judge="judge09", rubric_of=lambda year, key: looked_up.append((year, key)) or rubric)
    assert looked_up == [(104, "screening")] and stage is rubric
    assert [(e.judge, e.case_id, e.values, e.comment, e.submit) for e in entries] == [
        ("judge09", 7, {"創新度": 30, "效益性": "５５"}, "具體", True)]
    with pytest.raises(PermissionDenied, match="這是 judge09 的評分表，不是您的"):
        read_scoresheet(data, judge="judge01", rubric_of=lambda year, key: rubric)


def test_scoresheet_is_prefilled_with_current_scores(three_judge_panel):
    case_id = three_judge_panel.cases[1]
    record_scores([ScoreEntry("judge01", case_id, {"創新度": 15, "應用性": 22.5}, comment="具體")],
                  stage=three_judge_panel.stage)
    data = scoresheet_file(104, "screening", "judge01")
    sheet = load_workbook(BytesIO(data))[SCORE_SHEET]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == case_id)
    assert row[4:9] == (15, None, None, None, 22.5)
    assert row[10:12] == (None, "具體")  # a draft: 送出 left blank
    stage, entries = read_scoresheet(data, rubric_of=stage_rubric)
    assert [(e.case_id, e.values["創新度"], e.comment) for e in entries] == [(case_id, 15, "具體")]
    assert import_scoresheet(data, actor=three_judge_panel.judge).changed == []  # re-import changes nothing


def test_scoresheet_refuses_a_user_without_cases(three_judge_panel, make_user):
    make_user("judge", login="judge09")
    with pytest.raises(ValidationError, match="judge09 在民國104年「書面篩選」階段沒有指派評分的案例"):
        scoresheet_file(104, "screening", "judge09")
    with pytest.raises(ValidationError, match="不是評審委員"):
        scoresheet_file(104, "screening", "staff01")


# --- the judge's sheet: import ------------------------------------------------------------------

def test_filled_scoresheet_imports(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    data = fill(scoresheet_file(104, "screening", "judge01"),
                {first: {**FULL, "評語": "  作法新穎  "}, second: {"創新度": 10}})
    report = import_scoresheet(data, actor=three_judge_panel.judge)
    assert {c["case"] for c in report.changed} == {first, second}
    scores = stored(three_judge_panel.judge)
    assert scores[first]["scores"] == {k: float(v) for k, v in FULL.items()}
    assert scores[first]["total"] == 83.5
    assert scores[first]["comment"] == "作法新穎"
    assert scores[first]["state"] == "draft"
    assert scores[second]["scores"] == {"創新度": 10.0}
    assert scores[three_judge_panel.cases[2]]["state"] == "pending"  # a row left blank stays as it was
    assert stored(three_judge_panel.judges[1])[first]["scores"] == {}
    audit = AuditLog.select().where(AuditLog.action == "scores_sheet")
    assert audit.count() == 2 and {a.actor for a in audit} == {"judge01"}


@pytest.mark.parametrize("typed, problem", [
    (25, "創新度：25 超過配分 20"),
    ("很好", "創新度：「很好」不是數字"),
    (-1, "創新度：-1 不可為負數"),
    (12.25, "創新度：12.25 最多一位小數"),
    ("１８．５５", "創新度：18.55 最多一位小數"),
])
def test_every_bad_cell_is_located_and_nothing_is_written(three_judge_panel, typed, problem):
    first, second = three_judge_panel.cases[:2]
    template = scoresheet_file(104, "screening", "judge01")
    data = fill(template, {first: FULL, second: {**FULL, "創新度": typed}})
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge)
    assert messages(error) == [f"{address(template, second, '創新度')} {problem}"]
    assert score_count() == 0


def test_the_issues_example_message(three_judge_panel):
    template = scoresheet_file(104, "screening", "judge01")
    fourth = three_judge_panel.cases[3]
    assert address(template, fourth, "創新度") == "「評分表」E5"
    with pytest.raises(ValidationError, match="「評分表」E5 創新度：25 超過配分 20"):
        import_scoresheet(fill(template, {fourth: {"創新度": 25}}))


def test_every_problem_is_listed_at_once(three_judge_panel):
    template = scoresheet_file(104, "screening", "judge01")
    first, second = three_judge_panel.cases[:2]
    data = fill(template, {first: {"困難度": 16, "應用性": "x"}, second: {"完整度": -2}})
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data)
    assert messages(error) == [
        f"{address(template, first, '困難度')} 困難度：16 超過配分 15",
        f"{address(template, first, '應用性')} 應用性：「x」不是數字",
        f"{address(template, second, '完整度')} 完整度：-2 不可為負數",
    ]
    assert score_count() == 0


def test_full_width_digits_and_spaces_are_accepted(three_judge_panel):
    first = three_judge_panel.cases[0]
    data = fill(scoresheet_file(104, "screening", "judge01"),
                {first: {"創新度": "１８．５", "完整度": " 17 ", "困難度": "　12　", "效益性": "16.0",
                         "應用性": "２０"}})
    import_scoresheet(data, actor=three_judge_panel.judge)
    assert stored(three_judge_panel.judge)[first]["scores"] == {"創新度": 18.5, "完整度": 17.0, "困難度": 12.0,
                                                                "效益性": 16.0, "應用性": 20.0}


def test_a_blank_cell_leaves_the_score_as_it_was(three_judge_panel):
    first = three_judge_panel.cases[0]
    record_scores([ScoreEntry("judge01", first, FULL)], stage=three_judge_panel.stage)
    data = fill(scoresheet_file(104, "screening", "judge01"),
                {first: {"創新度": None, "完整度": "  ", "困難度": 14}})
    report = import_scoresheet(data, actor=three_judge_panel.judge)
    assert [c["case"] for c in report.changed] == [first]
    assert stored(three_judge_panel.judge)[first]["scores"] == {**{k: float(v) for k, v in FULL.items()},
                                                                "困難度": 14.0}


def test_columns_are_read_by_header_not_position(three_judge_panel):
    first = three_judge_panel.cases[0]
    filled = fill(scoresheet_file(104, "screening", "judge01"), {first: {**FULL, "評語": "順序不同"}})
    workbook = load_workbook(BytesIO(filled))
    sheet = workbook[SCORE_SHEET]
    columns = list(sheet.iter_cols(values_only=True))
    for index, values in enumerate(reversed(columns), start=1):
        for row, value in enumerate(values, start=1):
            sheet.cell(row=row, column=index).value = value  # cell(value=None) keeps the old one
    sheet.cell(row=1, column=1, value=" 評 語 ")  # stray spaces in a header
    sheet.cell(row=1, column=4, value="應用性(25)")  # half-width parentheses
    stage, entries = read_scoresheet(save(workbook), rubric_of=stage_rubric)
    assert entries[0].cells["應用性"] == "「評分表」D2"
    import_scoresheet(save(workbook), actor=three_judge_panel.judge)
    assert stored(three_judge_panel.judge)[first]["scores"] == {k: float(v) for k, v in FULL.items()}
    assert stored(three_judge_panel.judge)[first]["comment"] == "順序不同"


def test_missing_and_unknown_criterion_columns_are_refused(three_judge_panel):
    workbook = load_workbook(BytesIO(scoresheet_file(104, "screening", "judge01")))
    workbook[SCORE_SHEET]["E1"] = "創意度（20）"
    workbook[SCORE_SHEET]["F1"] = "困難度（15）"
    with pytest.raises(ValidationError) as error:
        read_scoresheet(save(workbook), rubric_of=stage_rubric)
    assert messages(error) == ["「評分表」E1「創意度（20）」不是本年度的評選指標",
                               "「評分表」第1列缺少評選指標欄位「創新度」",
                               "「評分表」第1列缺少評選指標欄位「完整度」",
                               "「評分表」第1列欄位「困難度」重複出現（F欄、G欄）"]


def test_several_sheets_import_as_one_all_or_nothing_each_problem_naming_its_file(
        three_judge_panel, forum, tmp_path):
    first, second = three_judge_panel.cases[:2]
    theirs = scoresheet_file(104, "screening", "judge02")
    files = {"judge01.xlsx": fill(scoresheet_file(104, "screening", "judge01"), {first: FULL}),
             "judge02.xlsx": fill(theirs, {second: {"創新度": 25}}),
             "notes.xlsx": save(Workbook())}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / name) for name in files]
    result = forum("scoresheet", "import", *paths)
    assert result.exit_code == 1 and f"「notes.xlsx」：{NOT_A_SCORESHEET}" in result.stderr
    result = forum("scoresheet", "import", *paths[:2])
    assert result.exit_code == 1
    assert f"「judge02.xlsx」{address(theirs, second, '創新度')} 創新度：25 超過配分 20" in result.stderr
    assert score_count() == 0  # the first sheet, fine, is not written either
    (tmp_path / "judge02.xlsx").write_bytes(fill(theirs, {second: {**FULL, "送出": "是"}}))
    result = forum("scoresheet", "import", *paths[:2], "--json")
    assert result.exit_code == 0, result.output
    assert {(row["judge"], row["case"]): row["state"] for row in json.loads(result.stdout)["cases"]} \
        == {("judge01", first): "draft", ("judge02", second): "submitted"}


def test_the_same_row_in_two_sheets_is_refused_naming_both(three_judge_panel):
    first = three_judge_panel.cases[0]
    data = fill(scoresheet_file(104, "screening", "judge01"), {first: FULL})
    with pytest.raises(ValidationError) as error:
        import_scoresheets([("a.xlsx", data), ("b.xlsx", data)])
    row = address(data, first, "案例編號")[len("「評分表」A"):]
    assert messages(error) == [f"「b.xlsx」「評分表」第{row}列：與「a.xlsx」「評分表」第{row}列重複"
                               "（同一評審、同一案例）"]
    assert score_count() == 0


def test_another_judges_sheet_is_refused_for_a_judge(three_judge_panel):
    first = three_judge_panel.cases[0]
    data = fill(scoresheet_file(104, "screening", "judge02"), {first: FULL})
    with pytest.raises(PermissionDenied, match="這是 judge02 的評分表，不是您的"):
        import_scoresheet(data, actor=three_judge_panel.judge)
    assert score_count() == 0
    import_scoresheet(data, actor=three_judge_panel.staff)  # staff may import it for the judge
    assert stored(three_judge_panel.judges[1])[first]["scores"] == {k: float(v) for k, v in FULL.items()}
    assert stored(three_judge_panel.judge)[first]["scores"] == {}


def test_the_sheet_names_its_year_and_stage(three_judge_panel):
    data = fill(scoresheet_file(104, "screening", "judge01"), {three_judge_panel.cases[0]: FULL})
    onsite = with_properties(data, forum_stage="onsite")
    stage, entries = read_scoresheet(onsite, rubric_of=stage_rubric)
    assert stage.key == "onsite" and len(entries) == 1
    with pytest.raises(ValidationError, match="「分區評選」階段已關閉"):
        import_scoresheet(onsite, actor=three_judge_panel.judge)
    with pytest.raises(ValidationError, match="檔案所屬的評分階段不存在：找不到民國105年的論壇"):
        import_scoresheet(with_properties(data, forum_year=105), actor=three_judge_panel.judge)
    assert score_count() == 0


def test_a_changed_rubric_asks_for_a_new_sheet(three_judge_panel):
    data = fill(scoresheet_file(104, "screening", "judge01"), {three_judge_panel.cases[0]: FULL})
    Criterion.update(points=30).where(Criterion.name == "應用性").execute()
    with pytest.raises(ValidationError, match="評選指標已變更，請重新下載評分表"):
        import_scoresheet(data)


def test_a_closed_stage_refuses_the_sheet(three_judge_panel):
    data = fill(scoresheet_file(104, "screening", "judge01"), {three_judge_panel.cases[0]: FULL})
    set_stage_state(104, "screening", "close", force=True, reason="逾期")
    with pytest.raises(ValidationError, match="「書面篩選」階段已關閉，評分已鎖定"):
        import_scoresheet(data, actor=three_judge_panel.judge)
    assert score_count() == 0


def test_a_conflict_declared_after_export_refuses_the_sheet(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    template = scoresheet_file(104, "screening", "judge01")
    data = fill(template, {first: FULL, second: FULL})
    declare_conflict("judge01", second, "曾任該府顧問")
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge)
    row = address(template, second, "案例編號").split("」")[1][1:]
    assert messages(error) == [f"「評分表」第{row}列：judge01 不得評分案例 {case_code(second)}"
                               "（評審已聲明利益迴避（曾任該府顧問））"]
    assert score_count() == 0
    sheet = load_workbook(BytesIO(scoresheet_file(104, "screening", "judge01")))[SCORE_SHEET]
    assert second not in [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_unknown_duplicated_and_non_integer_case_rows(three_judge_panel):
    first = three_judge_panel.cases[0]
    template = scoresheet_file(104, "screening", "judge01")
    later = create_case(104, case_input(title="後來的案", county="宜蘭縣", agency="宜蘭縣政府")).id
    assign_screening(104)  # judge01 now has a case the sheet does not list
    data = with_rows(fill(template, {first: FULL}), [
        [later, None, None, None, 10],
        [first, None, None, None, 11],
        ["第三案", None, None, None, 12],
        [None, None, None, None, 13],
        [3.5, None, None, None, 14],
    ])
    with pytest.raises(ValidationError) as error:
        import_scoresheet(data, actor=three_judge_panel.judge)
    first_row = address(template, first, "案例編號").split("」")[1][1:]
    assert messages(error) == [
        f"「評分表」A6 案例編號：{later} 不在這份評分表的案例清單中",
        f"「評分表」第7列：案例編號 {first} 與第{first_row}列重複",
        "「評分表」A8 案例編號：「第三案」不是整數",
        "「評分表」A9 案例編號：空白",
        "「評分表」A10 案例編號：「3.5」不是整數",
    ]
    assert score_count() == 0


def test_a_workbook_without_metadata_is_refused(three_judge_panel):
    sheet = load_workbook(BytesIO(scoresheet_file(104, "screening", "judge01")))[SCORE_SHEET]
    plain = Workbook()
    plain.active.title = SCORE_SHEET
    for row in sheet.iter_rows(values_only=True):
        plain.active.append(row)
    with pytest.raises(ValidationError, match=f"^{NOT_A_SCORESHEET}$"):
        import_scoresheet(save(plain))
    with pytest.raises(ValidationError, match=f"^{NOT_A_SCORESHEET}$"):
        read_scoresheet(build_case_template(case_list_choices(get_edition(104))),
                        rubric_of=stage_rubric)
    with pytest.raises(ValidationError, match=NOT_A_WORKBOOK):
        read_scoresheet(b"not a workbook", rubric_of=stage_rubric)
    broken = with_properties(scoresheet_file(104, "screening", "judge01"), forum_cases="1,x")
    with pytest.raises(ValidationError, match="評分表資料損毀"):
        read_scoresheet(broken, rubric_of=stage_rubric)


def test_a_dry_run_writes_nothing(three_judge_panel):
    first = three_judge_panel.cases[0]
    data = fill(scoresheet_file(104, "screening", "judge01"), {first: FULL})
    audits = AuditLog.select().count()
    report = import_scoresheet(data, actor=three_judge_panel.judge, dry_run=True)
    assert report.dry_run and [c["case"] for c in report.changed] == [first]
    assert report.changed[0]["after"] == {k: float(v) for k, v in FULL.items()}
    assert score_count() == 0 and AuditLog.select().count() == audits
    assert stored(three_judge_panel.judge)[first]["state"] == "pending"


@needs_libreoffice
def test_a_sheet_resaved_by_libreoffice_imports(three_judge_panel, tmp_path):
    first, second = three_judge_panel.cases[:2]
    filled = tmp_path / "sheet.xlsx"
    filled.write_bytes(fill(scoresheet_file(104, "screening", "judge01"),
                            {first: {**FULL, "評語": "佳"}, second: {"創新度": "１５"}}))
    data = resaved_by_libreoffice(filled, tmp_path)
    workbook = load_workbook(BytesIO(data))
    assert workbook[SCORE_SHEET].protection.sheet
    assert workbook[SCORE_SHEET]["J2"].value.upper().startswith("=SUM(")
    report = import_scoresheet(data, actor=three_judge_panel.judge)
    assert {c["case"] for c in report.changed} == {first, second}
    scores = stored(three_judge_panel.judge)
    assert scores[first]["total"] == 83.5 and scores[first]["comment"] == "佳"
    assert scores[second]["scores"] == {"創新度": 15.0}


# --- the staff's combined table -----------------------------------------------------------------

def test_scores_table_export_lists_every_assignment_and_aggregates(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    record_scores([ScoreEntry("judge01", first, FULL),
                   ScoreEntry("judge02", first, {**FULL, "應用性": 24})],
                  stage=three_judge_panel.stage, submit=True)
    record_scores([ScoreEntry("judge03", first, FULL, comment="草稿"),
                   ScoreEntry("judge01", second, {"創新度": 5})], stage=three_judge_panel.stage)
    workbook = load_workbook(BytesIO(scores_table_file(104, "screening")))
    assert workbook.sheetnames == [TABLE_SHEET, SUMMARY_SHEET]
    sheet = workbook[TABLE_SHEET]
    assert [c.value for c in sheet[1]] == ["評審帳號", "評審姓名", "案例編號", "分區", "縣市",
                                           "案例名稱", *HEADERS[4:9], "總分", "狀態", "評語"]
    rows = {(r[0], r[2]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {(j.login, c) for j in three_judge_panel.judges for c in three_judge_panel.cases}
    assert rows["judge01", first][1] == "測試judge"
    assert rows["judge02", first][6:13] == (18, 17.5, 12, 16, 24, 87.5, "已送出")
    assert rows["judge03", first][11:14] == (83.5, "暫存", "草稿")
    assert rows["judge01", second][6:13] == (5, None, None, None, None, None, "暫存")
    assert rows["judge02", second][11:13] == (None, "未評分")
    assert not str(rows["judge01", first][11]).startswith("=")  # a value, not a formula
    assert {str(v.sqref) for v in sheet.data_validations.dataValidation} == \
        {f"{c}2:{c}13" for c in "GHIJK"}

    summary = {r[0]: r for r in workbook[SUMMARY_SHEET].iter_rows(min_row=2, values_only=True)}
    assert [c.value for c in workbook[SUMMARY_SHEET][1]] == \
        ["案例編號", "分區", "縣市", "案例名稱", "指派評審數", "已送出評審數", "平均總分",
         "階段成績（平均數）", "說明"]
    assert set(summary) == set(three_judge_panel.cases)
    assert summary[first][3:] == ("銀髮共餐", 3, 2, 85.5, 85.5, None)  # drafts are not counted
    assert summary[second][4:] == (3, 0, None, None, None)
    properties = {p.name: p.value for p in workbook.custom_doc_props}
    assert (properties["forum_sheet"], properties["forum_year"], properties["forum_stage"]) == \
        ("scores_table", 104, "screening")


def test_scores_table_round_trip_imports(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    record_scores([ScoreEntry("judge02", second, FULL)], stage=three_judge_panel.stage)
    table = scores_table_file(104, "screening")
    stage, entries = read_scores_table(table, rubric_of=stage_rubric)
    assert stage.key == three_judge_panel.stage.key
    assert [(e.judge, e.case_id) for e in entries] == [("judge02", second)]  # typed rows only
    data = fill(table, {("judge01", first): {**FULL, "評語": "紙本"},
                        ("judge03", first): {"創新度": "１９ "},
                        ("judge02", second): {"創新度": 3, "完整度": None}}, title=TABLE_SHEET)
    report = import_scores_table(data, year=104, stage_key="screening", actor=three_judge_panel.staff)
    assert len(report.changed) == 3
    assert stored(three_judge_panel.judge)[first]["scores"] == {k: float(v) for k, v in FULL.items()}
    assert stored(three_judge_panel.judge)[first]["comment"] == "紙本"
    assert stored(three_judge_panel.judges[2])[first]["scores"] == {"創新度": 19.0}
    assert stored(three_judge_panel.judges[1])[second]["scores"] == {**{k: float(v) for k, v in FULL.items()},
                                                                    "創新度": 3.0}
    assert AuditLog.select().where(AuditLog.action == "scores_table").count() == 3


def test_scores_table_bad_rows_are_located_and_nothing_is_written(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    table = scores_table_file(104, "screening")
    typed = fill(table, {("judge01", first): {"創新度": 21}, ("judge02", first): FULL},
                 title=TABLE_SHEET)
    data = with_rows(typed, [["judge02", None, first, None, None, None, 1],
                             [None, None, second, None, None, None, 1]], title=TABLE_SHEET)
    with pytest.raises(ValidationError) as error:
        read_scores_table(data, rubric_of=stage_rubric)
    judge02_row = address(table, ("judge02", first), "案例編號", TABLE_SHEET).split("」")[1][1:]
    assert messages(error) == [
        f"「評分總表」第14列：judge02 的案例編號 {first} 與第{judge02_row}列重複",
        "「評分總表」A15 評審帳號：空白",
    ]
    data = with_rows(typed, [["nobody", None, second, None, None, None, 1]], title=TABLE_SHEET)
    with pytest.raises(ValidationError) as error:
        import_scores_table(data, year=104, stage_key="screening", actor=three_judge_panel.staff)
    assert messages(error) == [
        f"{address(table, ('judge01', first), '創新度', TABLE_SHEET)} 創新度：21 超過配分 20",
        "「評分總表」第14列：找不到評審帳號「nobody」",
    ]
    assert score_count() == 0


def test_a_table_of_another_stage_is_refused(three_judge_panel):
    table = fill(scores_table_file(104, "screening"), {("judge01", three_judge_panel.cases[0]): FULL},
                 title=TABLE_SHEET)
    with pytest.raises(ValidationError, match="這份評分總表屬於民國104年「書面篩選」，"
                                              "不是民國104年「分區評選」"):
        import_scores_table(table, year=104, stage_key="onsite", actor=three_judge_panel.staff)
    assert score_count() == 0


def test_a_table_typed_from_scratch_is_read_by_header(three_judge_panel):
    first, second = three_judge_panel.cases[:2]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "紙本評分"
    sheet.append(["民國104年書面篩選紙本評分"])
    sheet.append(["總分", "應用性（25）", "案例編號", "備註", "評審帳號", "創新度（20）"])
    sheet.append([99, 20, first, "補登", "judge01", 18])
    sheet.append([None, None, None, "(空白列)", None, None])
    sheet.append([None, 7, str(second), None, " judge02 ", None])
    data = save(workbook)
    stage, entries = read_scores_table(data, rubric_of=stage_rubric)
    assert stage is None
    assert [(e.judge, e.case_id, e.values, e.where) for e in entries] == [
        ("judge01", first, {"應用性": 20, "創新度": 18}, "「紙本評分」第3列"),
        ("judge02", second, {"應用性": 7, "創新度": None}, "「紙本評分」第5列"),
    ]
    assert entries[0].cells == {"應用性": "「紙本評分」B3", "創新度": "「紙本評分」F3"}
    import_scores_table(data, year=104, stage_key="screening", actor=three_judge_panel.staff)
    assert stored(three_judge_panel.judge)[first]["scores"] == {"應用性": 20.0, "創新度": 18.0}
    assert stored(three_judge_panel.judges[1])[second]["scores"] == {"應用性": 7.0}

    sheet["B2"] = "應變性（25）"
    with pytest.raises(ValidationError, match="「紙本評分」B2「應變性（25）」不是本年度的評選指標"):
        import_scores_table(save(workbook), year=104, stage_key="screening")
    sheet["B2"], sheet["F2"], sheet["E2"] = "應用性", "創新度", "評審"
    with pytest.raises(ValidationError) as error:
        read_scores_table(save(workbook), rubric_of=stage_rubric)
    assert messages(error) == ["「紙本評分」第2列缺少欄位「評審帳號」",
                               "「紙本評分」第2列找不到評選指標欄位：標題須為「指標名稱（配分）」"]


def test_a_judge_cannot_import_other_judges_rows_in_a_table(three_judge_panel):
    data = fill(scores_table_file(104, "screening"),
                {("judge02", three_judge_panel.cases[0]): FULL}, title=TABLE_SHEET)
    with pytest.raises(PermissionDenied):
        import_scores_table(data, year=104, stage_key="screening", actor=three_judge_panel.judge)
    assert score_count() == 0
