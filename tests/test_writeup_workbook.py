"""The refined write-up (精進案例) as an Excel file: downloaded from the edit page, filled in an
office program (or re-saved by LibreOffice), uploaded again."""
from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from helpers import (browser_login, browser_test, case_input, csrf_token, login, needs_libreoffice,
                      resaved_by_libreoffice)
from exports.case_workbook import NOT_A_WORKBOOK
from exports.writeup_workbook import (FIGURES_SHEET, GUIDE_SHEET, NOT_A_WRITEUP, WRITEUP_SHEET,
                                      build_writeup_workbook, read_writeup_file,
                                      read_writeup_workbook, shown_text)
from kb.cases import SECTIONS, create_case
from kb.errors import ValidationError
from kb.models import Case
from kb.writeup_sheet import WriteupSheet, import_refined_writeup, writeup_sheet
from kb.writeups import (MAX_FIGURES, Figure, approve_refined, save_refined_writeup,
                         writeup_state)
from test_writeups_web import REFINED, shown

LABELS = dict(SECTIONS)
NEW_TEXT = {key: f"Excel 版{label}：與社區大學合作開設共餐志工課程。" for key, label in SECTIONS}


# --- helpers ---------------------------------------------------------------------------------

def edited(data: bytes, change) -> bytes:
    """The workbook ``data`` after ``change(workbook)``, saved as openpyxl saves it."""
    workbook = load_workbook(BytesIO(data))
    change(workbook)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def section_row(workbook, key: str) -> int:
    """The row of 「精進案例」 labelled with the section ``key``."""
    sheet = workbook[WRITEUP_SHEET]
    return next(row for row in range(1, sheet.max_row + 1)
                if sheet.cell(row=row, column=1).value == LABELS[key])


def filled(data: bytes, sections: dict[str, str] | None = None, figures=()) -> bytes:
    """The downloaded file with ``sections`` typed in column B and ``figures`` in the key-figure
    rows from row 2 (a row of None clears a row)."""
    def fill(workbook):
        for key, text in (sections or {}).items():
            workbook[WRITEUP_SHEET].cell(row=section_row(workbook, key), column=2).value = text
        for row, values in enumerate(figures, start=2):
            for column, value in enumerate(values, start=1):
                workbook[FIGURES_SHEET].cell(row=row, column=column).value = value
    return edited(data, fill)


def upload(client, case_id: int, data: bytes, name: str = "精進案例.xlsx"):
    """Send the edit page's Excel form as the signed-in user."""
    token = csrf_token(client, f"/cases/{case_id}/refined")
    return client.post(f"/cases/{case_id}/refined/upload", content_type="multipart/form-data",
                       data={"csrf_token": token, "workbook": (BytesIO(data), name)})


# --- on the web ------------------------------------------------------------------------------

def test_the_county_contact_downloads_fills_and_uploads_the_excel_file(client, winners):
    save_refined_writeup(winners.tpe, REFINED, [Figure("服務人次", "1,200", "3,450", "人次")])
    approve_refined(winners.tpe)
    login(client, "tpe")
    edit = shown(client.get(f"/cases/{winners.tpe}/refined"))
    assert "以 Excel 檔撰寫" in edit
    assert f'href="/cases/{winners.tpe}/refined.xlsx"' in edit
    assert '<label for="workbook">填妥的精進案例 Excel 檔（.xlsx）</label>' in edit

    download = client.get(f"/cases/{winners.tpe}/refined.xlsx")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(BytesIO(download.data))
    assert workbook.sheetnames == [WRITEUP_SHEET, FIGURES_SHEET, GUIDE_SHEET]
    assert workbook[WRITEUP_SHEET].cell(row=section_row(workbook, "background"), column=2).value \
        == REFINED["background"]  # the refined version, not the submitted one
    assert [c.value for c in workbook[FIGURES_SHEET][1]] == ["指標", "推動前", "推動後", "單位"]
    assert [c.value for c in workbook[FIGURES_SHEET][2]] == ["服務人次", "1,200", "3,450", "人次"]
    guide = [c.value for row in workbook[GUIDE_SHEET].iter_rows() for c in row if c.value]
    assert str(winners.tpe) in guide and "銀髮共餐據點擴展計畫" in guide
    assert any("請在系統的精進案例頁面上傳" in text for text in guide)
    assert any("須經主辦機關重新核定" in text for text in guide)

    data = filled(download.data, NEW_TEXT,
                  [("共餐人次", "1,200", 3450, "人次"), ("據點數", 12.0, 48, "處")])
    response = upload(client, winners.tpe, data)
    assert response.status_code == 302
    page = shown(client.get(response.headers["Location"]))
    assert "已由 Excel 檔更新精進案例，待主辦機關核定" in page
    assert "精進版待核定，彙編目前仍印原送件版本" in page  # was 已核定 before the upload
    assert NEW_TEXT["outcomes"] in page and REFINED["outcomes"] not in page
    assert 'value="共餐人次"' in page and 'value="3450"' in page and 'value="12"' in page
    assert "服務人次" not in page  # the file's key figures replace the saved ones
    assert writeup_state(Case.get_by_id(winners.tpe)) == "refined_pending"


@pytest.mark.parametrize("who, made_for, status, message", [
    ("tpe", "ntpc", 400, "此檔案是〈新北市老屋共生宿舍計畫〉的精進案例，不是〈銀髮共餐據點擴展計畫〉"),
    ("ntpc", "tpe", 403, "只有主辦機關或該縣市承辦人可以撰寫精進案例"),  # another county's contact
], ids=["file-for-another-case", "another-countys-contact"])
def test_an_upload_to_the_wrong_case_or_by_another_county_is_refused(client, winners, who,
                                                                      made_for, status, message):
    data = filled(build_writeup_workbook(writeup_sheet(getattr(winners, made_for))), NEW_TEXT)
    login(client, who)
    response = upload(client, winners.tpe, data)
    assert response.status_code == status
    assert message in shown(response)
    assert writeup_state(Case.get_by_id(winners.tpe)) == "submitted"


def test_a_missing_section_is_located_on_the_page_and_nothing_is_saved(client, winners):
    login(client, "tpe")
    data = client.get(f"/cases/{winners.tpe}/refined.xlsx").data
    data = edited(filled(data, {**NEW_TEXT, "outcomes": "  "}, [(None, "5", "9", "處")]),
                  lambda wb: wb[WRITEUP_SHEET].delete_rows(section_row(wb, "innovation")))
    response = upload(client, winners.tpe, data)
    assert response.status_code == 400
    text = shown(response)
    assert "「精進案例」缺少「創新作法」列" in text
    assert "「精進案例」第5列「執行成效（質化與量化）」：必須填寫" in text  # all at once
    assert "「關鍵數據」第2列：須填寫「指標」" in text
    assert writeup_state(Case.get_by_id(winners.tpe)) == "submitted"
    assert NEW_TEXT["background"] not in text  # the form shows what is saved, not the file


@pytest.mark.parametrize("content, name, message", [
    (b"not a workbook at all", "精進案例.xlsx", NOT_A_WORKBOOK),
    (b"PK\x03\x04 broken zip", "精進案例.xlsx", NOT_A_WORKBOOK),
    (b"", "empty.xlsx", NOT_A_WORKBOOK),
    (None, "book.xlsx", NOT_A_WRITEUP),  # a workbook, but not a write-up
    (b"", "", "請選擇 Excel 檔"),  # no file chosen
])
def test_a_file_that_is_not_a_write_up_is_refused_in_zh_tw(client, winners, content, name,
                                                           message):
    if content is None:
        output = BytesIO()
        Workbook().save(output)
        content = output.getvalue()
    login(client, "tpe")
    response = upload(client, winners.tpe, content, name)
    assert response.status_code == 400
    assert message in shown(response)
    assert writeup_state(Case.get_by_id(winners.tpe)) == "submitted"


@pytest.mark.parametrize("who, case, status", [
    ("tpe", "tpe", 200), ("ntpc", "ntpc", 200), ("staff", "tpe", 200),
    ("ntpc", "tpe", 403),  # another county's case
    ("tpe", "plain", 400),  # not a published winner: no refined write-up at all
])
def test_who_may_download_the_excel_file(client, winners, who, case, status):
    cases = {"tpe": winners.tpe, "ntpc": winners.ntpc,
             "plain": create_case(104, case_input(title="未入選的案例")).id}
    login(client, who)
    response = client.get(f"/cases/{cases[case]}/refined.xlsx")
    assert response.status_code == status
    if status == 400:
        assert "只有已公布的標竿案例與佳作可以撰寫精進案例" in shown(response)


@pytest.mark.browser
@browser_test
def test_the_excel_file_is_downloaded_and_uploaded_from_the_keyboard(  # noqa: F811
        live_server, page, winners, tmp_path):
    browser_login(page, live_server, "tpe")
    page.goto(f"{live_server}/cases/{winners.tpe}/refined")
    page.get_by_role("link", name="下載精進案例 Excel 檔（.xlsx）").focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    path = tmp_path / "writeup.xlsx"
    download.value.save_as(path)
    path.write_bytes(filled(path.read_bytes(), NEW_TEXT))

    upload_input = page.get_by_label("填妥的精進案例 Excel 檔（.xlsx）")
    upload_input.set_input_files(str(path))
    upload_input.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "上傳 Excel 檔"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已由 Excel 檔更新精進案例，待主辦機關核定" in page.inner_text("main")
    assert page.get_by_label("執行成效（質化與量化）").input_value() == NEW_TEXT["outcomes"]


# --- reading files -----------------------------------------------------------------------------

def _blank_background(wb):
    wb[WRITEUP_SHEET].cell(row=section_row(wb, "background"), column=2).value = None


def _repeat_adoption(wb):
    wb[WRITEUP_SHEET].append([LABELS["adoption"], "再寫一次"])


def _too_many_figures(wb):
    for row in range(2, MAX_FIGURES + 4):
        wb[FIGURES_SHEET].cell(row=row, column=1, value=f"指標{row}")


def _rename_unit(wb):
    wb[FIGURES_SHEET]["D1"] = "計量單位"


@pytest.mark.parametrize("change, message", [
    (_blank_background, "「精進案例」第3列「背景與問題」：必須填寫"),
    (lambda wb: wb[WRITEUP_SHEET].delete_rows(section_row(wb, "adoption")),
     "「精進案例」缺少「推廣與應用」列：A欄須為段落名稱「推廣與應用」"),
    (_repeat_adoption, "「精進案例」第7列、第8列都是「推廣與應用」，請只保留一列"),
    (lambda wb: wb.remove(wb[FIGURES_SHEET]), "找不到「關鍵數據」工作表"),
    (_rename_unit, "「關鍵數據」第1列缺少欄位「單位」"),
    (_too_many_figures, f"「關鍵數據」最多 {MAX_FIGURES} 列關鍵數據，這份檔案有 {MAX_FIGURES + 2} 列"
                        f"（第{MAX_FIGURES + 2}列起超出）"),
], ids=["blank", "missing", "repeated", "no-figures-sheet", "renamed-header", "too-many"])
def test_problems_name_the_sheet_and_row(winners, change, message):
    data = edited(filled(build_writeup_workbook(writeup_sheet(winners.tpe)), NEW_TEXT), change)
    with pytest.raises(ValidationError) as refused:
        import_refined_writeup(winners.tpe, read_writeup_file(data))
    assert message in [problem.message for problem in refused.value.problems]
    assert writeup_state(Case.get_by_id(winners.tpe)) == "submitted"


def _shuffled(wb):
    """Sections in another order, labels typed with full-width brackets and spaces, a title
    row inserted, key-figure columns swapped."""
    sheet = wb[WRITEUP_SHEET]
    sheet.insert_rows(1)
    sheet["A1"] = "臺北市精進案例（草稿）"
    first, last = section_row(wb, "background"), section_row(wb, "adoption")
    for column in (1, 2):
        top, bottom = sheet.cell(row=first, column=column), sheet.cell(row=last, column=column)
        top.value, bottom.value = bottom.value, top.value
    sheet.cell(row=section_row(wb, "outcomes"), column=1, value=" 執行成效 (質化與量化) ")
    figures = wb[FIGURES_SHEET]
    for row in range(1, 4):
        before, after = figures.cell(row=row, column=2), figures.cell(row=row, column=3)
        before.value, after.value = after.value, before.value


def _without_metadata(wb):
    wb.custom_doc_props.props.clear()


@pytest.mark.parametrize("change, case_known", [
    (lambda wb: None, True),
    (_shuffled, True),
    (_without_metadata, False),  # a file a county made itself: it goes to the chosen case
])
def test_sections_are_read_by_label_and_figures_by_header(winners, change, case_known):
    data = edited(filled(build_writeup_workbook(writeup_sheet(winners.tpe)), NEW_TEXT,
                         [("服務人次", "1,200", "3,450", "人次"), ("據點數", 12, 48.0, "處")]),
                  change)
    case_id, sections, figures = read_writeup_workbook(data)
    assert case_id == (winners.tpe if case_known else None)
    assert sections == NEW_TEXT
    assert figures == [Figure("服務人次", "1,200", "3,450", "人次"), Figure("據點數", "12", "48", "處")]
    import_refined_writeup(winners.tpe, read_writeup_file(data))
    assert writeup_state(Case.get_by_id(winners.tpe)) == "refined_pending"


def test_the_file_format_round_trips_plain_data_without_a_database():
    sheet = WriteupSheet(case_id=7, title="海廢再生工坊", county="澎湖縣", agency="澎湖縣政府環境保護局",
                         year=104, region="第三區", award="標竿案例", sections=NEW_TEXT,
                         figures=[Figure("回收量", "3 噸", "12 噸", "每年")])
    data = build_writeup_workbook(sheet)
    upload = read_writeup_file(data)
    assert (upload.case_id, upload.case_title, upload.problems) == (7, "海廢再生工坊", [])
    assert upload.sections == NEW_TEXT and upload.figures == sheet.figures
    assert upload.places["background"] == f"「{WRITEUP_SHEET}」第3列「{LABELS['background']}」"
    guide = [c.value for row in load_workbook(BytesIO(data))[GUIDE_SHEET].iter_rows()
             for c in row if c.value]
    assert "澎湖縣　澎湖縣政府環境保護局" in guide and "民國104年　第三區標竿案例" in guide


@pytest.mark.parametrize("value, text", [
    (None, ""), ("3,450", "3,450"), ("85%", "85%"), (3450, "3450"), (48.0, "48"),
    (3.5, "3.5"), (0.1 + 0.2, "0.3"), (-12.25, "-12.25"),
])
def test_a_key_figure_cell_is_kept_as_it_shows(value, text):
    assert shown_text(value) == text




@needs_libreoffice
def test_a_file_resaved_by_libreoffice_is_read(winners, tmp_path):
    typed = {**NEW_TEXT, "background": "第一段：長者共餐。\n第二段：志工培訓。"}
    source = tmp_path / "writeup.xlsx"
    source.write_bytes(filled(build_writeup_workbook(writeup_sheet(winners.tpe)), typed,
                              [("服務人次", "1,200", "3,450", "人次"), ("據點數", 12, 48, "處")]))
    data = resaved_by_libreoffice(source, tmp_path)
    case_id, sections, figures = read_writeup_workbook(data)
    assert case_id == winners.tpe  # the metadata survives, so a wrong case is still refused
    assert sections == typed
    assert figures == [Figure("服務人次", "1,200", "3,450", "人次"), Figure("據點數", "12", "48", "處")]
    with pytest.raises(ValidationError, match="不是〈新北市老屋共生宿舍計畫〉"):
        import_refined_writeup(winners.ntpc, read_writeup_file(data))


# --- the command line --------------------------------------------------------------------------

def test_the_command_line_exports_and_imports_a_write_up(winners, forum, tmp_path):
    path = tmp_path / "writeup.xlsx"

    exported = forum("writeup", "export", "--case", str(winners.tpe), "-o", str(path))
    assert exported.exit_code == 0, exported.output
    path.write_bytes(filled(path.read_bytes(), NEW_TEXT))
    wrong = forum("writeup", "import", str(path), "--case", str(winners.ntpc))
    assert wrong.exit_code == 1
    assert "此檔案是〈銀髮共餐據點擴展計畫〉的精進案例，不是〈新北市老屋共生宿舍計畫〉" in wrong.stderr
    imported = forum("writeup", "import", str(path))
    assert imported.exit_code == 0, imported.output
    assert "已匯入〈銀髮共餐據點擴展計畫〉的精進案例，待主辦機關核定" in imported.stdout
    assert writeup_state(Case.get_by_id(winners.tpe)) == "refined_pending"
