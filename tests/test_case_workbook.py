"""The Excel case list: the template a county fills in, and reading it back into case imports."""
from __future__ import annotations

import zipfile
from io import BytesIO
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from helpers import needs_libreoffice, resaved_by_libreoffice
from exports.case_workbook import (ATTESTATION_FIELDS, CASE_SHEET, CHOICES_SHEET, GUIDE_SHEET,
                                   LAST_TEMPLATE_ROW, NOT_A_WORKBOOK, REQUIRED_FIELDS,
                                   build_case_template, case_workbook_year, read_case_workbook)
from kb.cases import FIELD_LABELS, MAX_LENGTHS, find_cases, import_cases
from kb.editions import case_list_choices, create_edition, edition_categories, edition_counties
from kb.errors import ValidationError
from seeds import load_reference

HEADERS = list(FIELD_LABELS.values())


@pytest.fixture
def wb_edition(db):
    """The edition of 民國104年 in a fresh database, intake closed."""
    return create_edition(104, load_reference()["edition"])


def case_values(**overrides) -> dict[str, object]:
    """A complete, valid case row keyed by header label."""
    values = {
        "案例編號": None, "縣市": "臺北市", "提案機關": "臺北市政府資訊局", "徵求類別": "科技創能",
        "自訂主題": None, "案例名稱": "智慧路燈管理", "案例摘要": "以物聯網管理全市路燈。",
        "背景與問題": "路燈報修慢。", "創新作法": "裝設感測器。", "跨域合作與資源整合": "與電力公司合作。",
        "執行成效（質化與量化）": "報修時間減半。", "推廣與應用": "可供他縣市移植。",
        "關鍵詞": "路燈、物聯網", "案例負責人姓名": "王大明", "案例負責人職稱": "局長",
        "案例負責人電話": None, "案例負責人電子郵件": None, "聯絡人姓名": "林小華",
        "聯絡人職稱": "科員", "聯絡人電話": "02-27208889", "聯絡人電子郵件": "lin@example.gov.tw",
        "自辦或成功移植": "是", "持續推動中": "是",
    }
    assert set(values) == set(HEADERS)
    values.update(overrides)
    return values


def workbook_bytes(headers: list[str], rows: dict[int, dict[str, object]],
                   sheet_title: str = CASE_SHEET) -> bytes:
    """A new workbook with ``headers`` in row 1 and ``rows`` (row number -> values by header)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(headers)
    for number, values in rows.items():
        for column, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=column, value=values.get(header))
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def fill_template(template: bytes, rows: dict[int, dict[str, object]]) -> bytes:
    """The template with ``rows`` typed into its case sheet, as a county would."""
    workbook = load_workbook(BytesIO(template))
    sheet = workbook[CASE_SHEET]
    headers = [cell.value for cell in sheet[1]]
    for number, values in rows.items():
        for column, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=column, value=values.get(header))
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def column_of(label: str, headers: list[str] = HEADERS) -> str:
    return get_column_letter(headers.index(label) + 1)


def messages_of(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [problem.message for problem in error.value.problems]


# --- the template ----------------------------------------------------------------------------

def test_template_has_the_headers_first_and_a_usable_layout(wb_edition):
    workbook = load_workbook(BytesIO(build_case_template(case_list_choices(wb_edition))))
    assert workbook.sheetnames[0] == CASE_SHEET
    sheet = workbook[CASE_SHEET]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert all(cell.font.bold for cell in sheet[1])
    summary = sheet.column_dimensions[column_of("案例摘要")]
    assert summary.width >= 40 and summary.alignment.wrap_text
    assert sheet.column_dimensions[column_of("縣市")].width < summary.width
    assert workbook[CHOICES_SHEET].sheet_state == "hidden"


def defined_range_values(workbook, name: str) -> list[str]:
    sheet_title, cells = next(iter(workbook.defined_names[name].destinations))
    return [row[0].value for row in workbook[sheet_title][cells]]


def test_template_drop_downs_list_the_years_counties_categories_and_yes_no(wb_edition):
    workbook = load_workbook(BytesIO(build_case_template(case_list_choices(wb_edition))))
    validations = {str(v.sqref): v for v in workbook[CASE_SHEET].data_validations.dataValidation}
    county = validations[f"{column_of('縣市')}2:{column_of('縣市')}{LAST_TEMPLATE_ROW}"]
    category = validations[f"{column_of('徵求類別')}2:{column_of('徵求類別')}{LAST_TEMPLATE_ROW}"]
    assert county.type == category.type == "list"
    counties = [c.name for c in edition_counties(wb_edition)]
    categories = [c.name for c in edition_categories(wb_edition)]
    assert defined_range_values(workbook, county.formula1) == counties
    assert defined_range_values(workbook, category.formula1) == categories
    assert "臺北市" in defined_range_values(workbook, county.formula1)
    assert "其他" in defined_range_values(workbook, category.formula1)
    yes_no = next(v for v in validations.values() if v.formula1 == '"是,否"')
    for name in ATTESTATION_FIELDS:
        letter = column_of(FIELD_LABELS[name])
        assert f"{letter}2" in yes_no.sqref and f"{letter}{LAST_TEMPLATE_ROW}" in yes_no.sqref
        assert f"{letter}{LAST_TEMPLATE_ROW + 1}" not in yes_no.sqref


def test_template_instructions_give_the_years_rules_and_every_column(wb_edition):
    workbook = load_workbook(BytesIO(build_case_template(case_list_choices(wb_edition))))
    guide = workbook[GUIDE_SHEET]
    text = "\n".join(str(value) for row in guide.iter_rows(values_only=True)
                     for value in row if value)
    assert "民國104年" in text
    assert f"{wb_edition.quota('cases_per_county')} 件" in text
    assert MAX_LENGTHS["section"] == 32_767 and "32,767 字" in text
    assert "「其他」" in text and "自訂主題" in text
    assert "「、」或逗號" in text
    assert "「是」或「否」" in text
    assert "縣市＋案例名稱" in text
    requirement: dict[str, str] = {}  # the column table comes before the category table
    for row in guide.iter_rows(values_only=True):
        if row[0] in HEADERS:
            requirement.setdefault(row[0], row[1])
    assert list(requirement) == HEADERS
    for name, label in FIELD_LABELS.items():
        assert (requirement[label] == "必填") == (name in REQUIRED_FIELDS)
    assert requirement["案例編號"] == "選填"
    assert requirement["自訂主題"] == "條件必填"


def test_template_records_its_year(wb_edition):
    assert case_workbook_year(build_case_template(case_list_choices(wb_edition))) == 104
    assert case_workbook_year(workbook_bytes(HEADERS, {})) is None


# --- reading and importing -------------------------------------------------------------------

def test_filled_template_imports_with_official_county_names_and_only_once(wb_edition):
    template = build_case_template(case_list_choices(wb_edition))
    data = fill_template(template, {
        2: case_values(縣市="台北市"),
        3: case_values(縣市="台南市", 提案機關="臺南市政府", 徵求類別="其他", 自訂主題="河川再生",
                       案例名稱="運河再生計畫"),
        4: case_values(縣市="新竹縣", 提案機關="新竹縣政府", 案例名稱="偏鄉行動圖書車",
                       自辦或成功移植="Y", 持續推動中="yes"),
    })
    rows = read_case_workbook(data)
    assert [(row.sheet, row.row) for row in rows] == [(CASE_SHEET, n) for n in (2, 3, 4)]
    assert rows[1].input.theme == "河川再生"

    report = import_cases(104, rows)
    assert len(report.created) == 3
    cases = {case.title: case for case in find_cases(staff_scope=True, year=104)}
    assert cases["智慧路燈管理"].county.name == "臺北市"
    assert cases["運河再生計畫"].county.name == "臺南市"
    assert cases["運河再生計畫"].theme == "河川再生"
    assert cases["偏鄉行動圖書車"].attest_own and cases["偏鄉行動圖書車"].attest_ongoing

    again = import_cases(104, read_case_workbook(data))
    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == 3
    assert find_cases(staff_scope=True, year=104).count() == 3


def test_columns_are_found_by_header_in_any_order(wb_edition):
    headers = list(reversed(HEADERS))
    headers.insert(3, "備註")
    headers[headers.index("案例名稱")] = " 案例 名稱 "
    headers[headers.index("執行成效（質化與量化）")] = "執行成效(質化與量化)"
    values = case_values(縣市="台中市", 提案機關="臺中市政府", 案例名稱="綠園道", 備註="內部備註")
    values[" 案例 名稱 "] = values.pop("案例名稱")
    values["執行成效(質化與量化)"] = values.pop("執行成效（質化與量化）")
    rows = read_case_workbook(workbook_bytes(headers, {2: values}))
    assert len(rows) == 1
    row = rows[0]
    assert row.input.title == "綠園道"
    assert row.input.sections["outcomes"] == "報修時間減半。"
    assert row.columns["title"] == column_of(" 案例 名稱 ", headers)
    assert row.columns["county"] == column_of("縣市", headers)
    assert "備註" not in row.columns.values()

    report = import_cases(104, rows)
    assert len(report.created) == 1
    assert find_cases(staff_scope=True, year=104).first().county.name == "臺中市"


def test_header_may_sit_below_a_title_row(wb_edition):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CASE_SHEET
    sheet.append(["民國104年案例清單"])
    sheet.append(HEADERS)
    sheet.append([case_values()[header] for header in HEADERS])
    output = BytesIO()
    workbook.save(output)
    rows = read_case_workbook(output.getvalue())
    assert [row.row for row in rows] == [3]
    assert rows[0].input.title == "智慧路燈管理"


def test_bad_attestation_values_are_all_reported_with_sheet_row_and_column(wb_edition):
    data = fill_template(build_case_template(case_list_choices(wb_edition)), {
        2: case_values(),
        7: case_values(案例名稱="第二案", 自辦或成功移植="可能"),
        8: case_values(案例名稱="第三案", 持續推動中="看情況"),
    })
    with pytest.raises(ValidationError) as error:
        read_case_workbook(data)
    assert messages_of(error) == [
        f"「案例清單」第7列「自辦或成功移植」（{column_of('自辦或成功移植')}欄）：「可能」不是「是」或「否」",
        f"「案例清單」第8列「持續推動中」（{column_of('持續推動中')}欄）：「看情況」不是「是」或「否」",
    ]


@pytest.mark.parametrize("typed, meant", [
    ("是", True), ("Y", True), ("yes", True), ("TRUE", True), ("1", True), (1, True),
    ("v", True), ("✓", True), ("ＹＥＳ", True), (" 是 ", True), (True, True),
    ("否", False), ("N", False), ("no", False), ("False", False), ("0", False), (0, False),
    (None, False), (False, False),
])
def test_attestation_cells_accept_common_spellings(wb_edition, typed, meant):
    rows = read_case_workbook(workbook_bytes(HEADERS, {2: case_values(自辦或成功移植=typed)}))
    assert rows[0].input.attest_own is meant


def test_missing_header_columns_are_each_named(wb_edition):
    headers = [h for h in HEADERS if h not in ("縣市", "案例名稱", "持續推動中", "案例編號")]
    with pytest.raises(ValidationError) as error:
        read_case_workbook(workbook_bytes(headers, {2: case_values()}))
    assert messages_of(error) == [
        "「案例清單」第1列缺少必要欄位「縣市」",
        "「案例清單」第1列缺少必要欄位「案例名稱」",
        "「案例清單」第1列缺少必要欄位「持續推動中」",
    ]


def test_repeated_header_columns_are_refused(wb_edition):
    headers = HEADERS + ["案例名稱"]
    with pytest.raises(ValidationError) as error:
        read_case_workbook(workbook_bytes(headers, {2: case_values()}))
    assert messages_of(error) == [
        f"「案例清單」第1列欄位「案例名稱」重複出現（{column_of('案例名稱')}欄、{get_column_letter(len(headers))}欄）"]


def test_a_sheet_without_any_known_header_is_refused(wb_edition):
    with pytest.raises(ValidationError) as error:
        read_case_workbook(workbook_bytes(["名稱", "內容"], {2: {"名稱": "x"}}))
    assert "找不到欄位名稱列" in str(error.value)


@pytest.mark.parametrize("data", [
    b"",
    b"this is not a spreadsheet",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,  # an old .xls (OLE) header
])
def test_a_file_that_is_not_a_workbook_gets_a_clear_message(wb_edition, data):
    with pytest.raises(ValidationError) as error:
        read_case_workbook(data)
    assert str(error.value) == NOT_A_WORKBOOK == "檔案不是有效的 Excel 活頁簿（.xlsx）"


def test_a_zip_that_is_not_a_workbook_gets_the_same_message(wb_edition):
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("word/document.xml", "<document/>")
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        read_case_workbook(archive.getvalue())
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        case_workbook_year(archive.getvalue())


def test_numbers_typed_as_ids_and_phones_read_as_text(wb_edition):
    data = workbook_bytes(HEADERS, {
        2: case_values(案例編號=12, 聯絡人電話=227208889),
        3: case_values(案例編號=13.0, 案例名稱="第二案", 聯絡人電話=None),
        4: case_values(案例編號="  ", 案例名稱="第三案"),
    })
    rows = read_case_workbook(data)
    assert [row.input.external_id for row in rows] == ["12", "13", None]
    assert rows[0].input.contact.phone == "227208889"
    assert rows[1].input.contact.phone == ""
    import_cases(104, rows)
    stored = find_cases(staff_scope=True, year=104)
    assert sorted(case.external_id or "" for case in stored) == ["", "12", "13"]


def test_keywords_split_on_chinese_and_western_separators(wb_edition):
    data = workbook_bytes(HEADERS, {2: case_values(關鍵詞="路燈、物聯網，節能,智慧城市;長照；社福\n數位\r\n 共享 、、")})
    assert read_case_workbook(data)[0].input.keywords == [
        "路燈", "物聯網", "節能", "智慧城市", "長照", "社福", "數位", "共享"]


def test_empty_rows_are_skipped_and_row_numbers_kept(wb_edition):
    blank = {header: None for header in HEADERS}
    data = workbook_bytes(HEADERS + ["備註"], {
        2: case_values(),
        3: blank,
        4: {**blank, "案例名稱": "   ", "備註": "只寫了備註"},
        6: case_values(案例名稱="第二案"),
    })
    rows = read_case_workbook(data)
    assert [row.row for row in rows] == [2, 6]


def test_a_sheet_not_named_case_list_is_read_when_it_is_first(wb_edition):
    rows = read_case_workbook(workbook_bytes(HEADERS, {2: case_values()}, sheet_title="工作表1"))
    assert rows[0].sheet == "工作表1"


# --- workbooks written by other programs -----------------------------------------------------

def foreign_workbook(sheet_title: str, rows: list[list[object]]) -> bytes:
    """An xlsx written the way other programs write one: shared and inline strings, cached
    formula values, a wrong recorded size, styled empty trailing rows, a bare stylesheet
    (which makes openpyxl warn)."""
    strings: list[str] = []

    def cell(reference: str, value) -> str:
        if value is None:
            return f'<c r="{reference}" s="1"/>'
        if isinstance(value, bool):
            return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (int, float)):
            return f'<c r="{reference}"><f>{value}*1</f><v>{value}</v></c>'
        if value.startswith("inline:"):
            return f'<c r="{reference}" t="inlineStr"><is><t>{escape(value[7:])}</t></is></c>'
        strings.append(value)
        return f'<c r="{reference}" t="s"><v>{len(strings) - 1}</v></c>'

    xml_rows = []
    for number, values in enumerate(rows + [[None] * 3] * 20, start=1):
        cells = "".join(cell(f"{get_column_letter(i)}{number}", v) for i, v in enumerate(values, 1))
        xml_rows.append(f'<row r="{number}">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    package = "http://schemas.openxmlformats.org/package/2006"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = {"workbook.xml": "sheet.main", "worksheets/sheet1.xml": "worksheet",
                 "styles.xml": "styles", "sharedStrings.xml": "sharedStrings"}
    links = {"worksheet": "worksheets/sheet1.xml", "styles": "styles.xml",
             "sharedStrings": "sharedStrings.xml"}
    parts = {
        "[Content_Types].xml":
            f'<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="/xl/{part}" ContentType="{content_type}.{kind}+xml"/>'
                      for part, kind in overrides.items())
            + "</Types>",
        "_rels/.rels":
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        "xl/workbook.xml":
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
            f'<sheet name="{escape(sheet_title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<Relationships xmlns="{package}/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{relationships}/{kind}" Target="{target}"/>'
                      for i, (kind, target) in enumerate(links.items(), start=1))
            + "</Relationships>",
        "xl/styles.xml":
            f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf/><xf/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml":
            f'<worksheet xmlns="{main}"><dimension ref="A1"/><sheetData>{"".join(xml_rows)}'
            "</sheetData></worksheet>",
        "xl/sharedStrings.xml":
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings) + "</sst>",
    }
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, text in parts.items():
            zipped.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return archive.getvalue()


def test_a_workbook_from_another_program_is_read_by_value(wb_edition):
    first = case_values(案例編號=7, 持續推動中=True, 聯絡人電話=227208889)
    second = case_values(案例名稱="inline:第二案", 自辦或成功移植="V")
    data = foreign_workbook("Sheet1", [HEADERS, [first[h] for h in HEADERS],
                                       [second[h] for h in HEADERS]])
    rows = read_case_workbook(data)
    assert [row.row for row in rows] == [2, 3]
    assert rows[0].sheet == "Sheet1"
    assert rows[0].input.external_id == "7"
    assert rows[0].input.contact.phone == "227208889"
    assert rows[0].input.attest_ongoing is True
    assert rows[1].input.title == "第二案"
    assert rows[1].input.attest_own is True
    assert case_workbook_year(data) is None
    assert len(import_cases(104, rows).created) == 2


@needs_libreoffice
def test_a_template_filled_and_resaved_by_libreoffice_is_read(wb_edition, tmp_path):
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_template(build_case_template(case_list_choices(wb_edition)), {
        2: case_values(案例編號=21, 縣市="台北市"),
        3: case_values(案例名稱="第二案", 關鍵詞="甲、乙"),
    }))
    data = resaved_by_libreoffice(filled, tmp_path)
    rows = read_case_workbook(data)
    assert [row.row for row in rows] == [2, 3]
    assert rows[0].input.external_id == "21"
    assert rows[1].input.keywords == ["甲", "乙"]
    assert case_workbook_year(data) == 104
    assert len(import_cases(104, rows).created) == 2
