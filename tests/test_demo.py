"""The demo data set: volume, coverage, judging, selection, accounts and determinism."""
from __future__ import annotations

from collections import Counter, defaultdict

import peewee
import pytest

from kb.db import database
from kb.editions import get_edition
from kb.models import (Assignment, AuditLog, Case, CaseVersion, Category, County, Criterion,
                       Edition, Participant, Region, Score, Stage, User)
from kb.cases import case_sections
from kb.selection import compute_selection
from kb.speakers import list_speakers, possible_duplicates
from kb.writeups import writeup_progress
from kb.users import authenticate
from seeds import load_reference
from kb.instance import open_instance
from seeds.demo import (DEMO_PASSWORD, JUDGE_COUNT, _ComposedYears, _compose_year,
                        demo_objects_pending, generate_cases, load_cases, load_demo,
                        load_demo_objects)

PAST_YEARS = (101, 102, 103)
ALL_YEARS = PAST_YEARS + (104,)
REFERENCE = load_reference()
COUNTY_NAMES = [county["name"] for county in REFERENCE["counties"]]
CATEGORY_NAMES = {category["name"] for category in REFERENCE["edition"]["categories"]}
QUOTAS = REFERENCE["edition"]["quotas"]


def open_database(folder, url):
    """A fresh instance in ``folder`` on the database at ``url``, now the shared database."""
    return open_instance(folder / "instance", url)


@pytest.fixture
def demo_db(tmp_path, new_database):
    db = open_database(tmp_path, new_database())
    yield db
    db.close()


@pytest.fixture(scope="module")
def full_demo_load(tmp_path_factory, databases):
    """The full demo, loaded once for the module: (database, summary, progress calls)."""
    folder = tmp_path_factory.mktemp("demo")
    url = databases.new(folder / "demo.db")
    db = open_database(folder, url)
    calls = []
    summary = load_demo(progress=lambda done, total: calls.append((done, total)))
    yield db, summary, calls
    db.close()
    databases.drop(url)


@pytest.fixture
def full_demo(full_demo_load):
    """The full demo's summary, with its database made the shared one again for this test."""
    db, summary, _ = full_demo_load
    database.initialize(db)
    return summary


def cases_of(year: int) -> list[Case]:
    return list(Case.select(Case, County, Category, Region).join(County).switch(Case)
                .join(Category).switch(Case).join(Region).switch(Case).join(Edition)
                .where(Edition.year == year))


def year_snapshot(year: int) -> list[tuple]:
    """What a demo year consists of, independent of row ids."""
    sheets = defaultdict(list)
    for score in (Score.select(Score, Assignment, Stage, User, Criterion, Case)
                  .join(Assignment).join(Stage).switch(Assignment).join(User)
                  .switch(Assignment).join(Case).switch(Score).join(Criterion)
                  .join(Edition).where(Edition.year == year)):
        a = score.assignment
        sheets[a.case.external_id].append((a.stage.key, a.judge.login, score.criterion.name,
                                           score.value))
    return sorted((c.external_id, c.county.name, c.category.name, c.theme, c.title, c.summary,
                   c.status, c.published, sorted(sheets[c.external_id])) for c in cases_of(year))


def test_full_demo_reports_progress(full_demo, full_demo_load):
    _, summary, calls = full_demo_load
    assert summary.years == ALL_YEARS
    assert summary.cases == Case.select().count()
    assert len(calls) == len(ALL_YEARS) and calls[-1] == (summary.cases, summary.cases)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # always forward


@pytest.mark.parametrize("year", ALL_YEARS)
def test_every_county_sends_five_to_ten_cases_in_every_category(full_demo, year):
    cases = cases_of(year)
    per_county = Counter(case.county.name for case in cases)
    assert set(per_county) == set(COUNTY_NAMES)
    assert all(5 <= count <= 10 for count in per_county.values()), per_county
    assert {case.category.name for case in cases} == CATEGORY_NAMES
    assert all(bool(case.theme) == case.category.needs_theme for case in cases)


def test_each_case_has_a_full_write_up(full_demo):
    versions = {v.case_id: v.sections for v in CaseVersion.select()}
    for case in Case.select():
        length = len(case.summary) + sum(len(text) for text in versions[case.id].values())
        assert 1_500 <= length <= 5_000, (case.title, length)
        assert 1 <= len(case.keywords) <= 10


@pytest.mark.parametrize("year", PAST_YEARS)
def test_past_years_are_fully_scored(full_demo, year):
    edition = get_edition(year)
    assert not edition.intake_open
    assert not any(stage.is_open for stage in edition.stages)
    written, onsite = edition.stages.order_by(Stage.position)
    criteria = {c.id: c.points for c in edition.criteria}
    presenters = Counter()
    for case in cases_of(year):
        written_judges = case.assignments.where(Assignment.stage == written).count()
        assert written_judges == edition.settings["judges_per_case"]
        onsite_judges = case.assignments.where(Assignment.stage == onsite).count()
        assert onsite_judges in (0, 3, 4)
        assert onsite_judges or case.status == "submitted"
        presenters[case.county.name] += bool(onsite_judges)
    assert presenters == {name: QUOTAS["presenters_per_county"] for name in COUNTY_NAMES}
    assignments = Assignment.select().join(Stage).where(Stage.edition == edition)
    assert {a.state for a in assignments} == {"submitted"}
    assert all(a.submitted_at is not None for a in assignments)
    for assignment in assignments:
        values = {s.criterion_id: s.value for s in assignment.scores}
        assert set(values) == set(criteria)
        assert all(0 <= v <= criteria[c] and round(v, 1) == v for c, v in values.items())
    judge_load = Counter(a.judge_id for a in assignments.where(Assignment.stage == written))
    assert len(judge_load) == JUDGE_COUNT
    assert max(judge_load.values()) - min(judge_load.values()) <= 1


@pytest.mark.parametrize("year", PAST_YEARS)
def test_past_years_select_three_benchmarks_a_region_at_most_one_a_county(full_demo, year):
    cases = cases_of(year)
    for region in get_edition(year).regions:
        in_region = [case for case in cases if case.region_id == region.id]
        benchmarks = [case for case in in_region if case.status == "benchmark"]
        assert len(benchmarks) == QUOTAS["benchmarks_per_region"]
        assert len({case.county_id for case in benchmarks}) == len(benchmarks)
        honourable = [case for case in in_region if case.status == "honourable"]
        assert len(honourable) == QUOTAS["honourable_per_region"]

@pytest.mark.parametrize("year", PAST_YEARS)
def test_past_years_publish_what_the_selection_service_computes(full_demo, year):
    computed = {row["case"]: row["outcome"] for region in compute_selection(year)
                for row in region.ranking}
    expected = {"benchmark": "benchmark", "honourable": "honourable", "none": "not_selected"}
    shown = {case.id: (case.status, case.published) for case in cases_of(year)}
    assert computed and {case_id: shown[case_id] for case_id in computed} == {
        case_id: (expected[outcome], outcome in ("benchmark", "honourable"))
        for case_id, outcome in computed.items()}
    assert {shown[case_id] for case_id in shown if case_id not in computed} == {
        ("submitted", False)}  # never nominated to present


def test_the_current_year_takes_cases_and_publishes_nothing(full_demo):
    edition = get_edition(104)
    assert edition.intake_open
    cases = cases_of(104)
    assert {case.status for case in cases} == {"submitted"}
    assert not any(case.published for case in cases)
    assert Assignment.select().join(Stage).where(Stage.edition == edition).count() == 0


def test_running_the_demo_twice_adds_nothing(full_demo):
    tables = (Edition, Case, User, Assignment, Score, AuditLog, County)
    before = {table: table.select().count() for table in tables}
    summary = load_demo()
    assert (summary.years, summary.cases, summary.accounts) == ((), 0, [])
    assert {table: table.select().count() for table in tables} == before


def test_demo_accounts_sign_in(full_demo):
    logins = {login: (role, county) for login, role, _, county in full_demo.accounts}
    assert len(logins) == 2 + len(COUNTY_NAMES) + JUDGE_COUNT
    assert logins["staff"] == ("staff", None)
    assert logins["researcher"] == ("researcher", None)
    assert logins["county-tpe"] == ("county", "臺北市")
    assert logins["judge01"] == ("judge", None)
    assert {password for _, _, password, _ in full_demo.accounts} == {DEMO_PASSWORD}
    for login in ("staff", "researcher", "county-tpe", "county-lie", "judge01", "judge12"):
        user = authenticate(login, DEMO_PASSWORD)
        assert user is not None and user.role == logins[login][0]
    assert authenticate("county-tpe", DEMO_PASSWORD).county.name == "臺北市"
    assert User.get(User.login == "staff").name == "論壇承辦人"
    assert authenticate("staff", "wrong-password") is None


def test_same_seed_gives_the_same_year_as_the_full_demo(full_demo, tmp_path, new_database):
    expected = year_snapshot(103)
    db = open_database(tmp_path, new_database())
    try:
        summary = load_demo(years=(103,))
        assert summary.cases == len(expected)
        assert year_snapshot(103) == expected
    finally:
        db.close()


def test_another_seed_gives_other_cases_and_scores(full_demo, tmp_path, new_database):
    expected = year_snapshot(103)
    db = open_database(tmp_path, new_database())
    try:
        load_demo(seed=7, years=(103,))
        other = year_snapshot(103)
    finally:
        db.close()
    assert {row[4] for row in other} != {row[4] for row in expected}
    assert [row[8] for row in other] != [row[8] for row in expected]


def test_later_years_composed_meanwhile_in_another_process_are_the_same():
    with _ComposedYears(5, (101, 102)) as plans:
        forked = plans.child is not None
        composed = [plans.year(year) for year in (101, 102)]
    if not forked:
        pytest.skip("no fork here, or other threads running: composed in process")
    for year, (rng, inputs) in zip((101, 102), composed):
        state, expected = _compose_year(5, year)
        assert inputs == expected and rng.getstate() == state  # judging draws on from it


def test_generate_cases_is_deterministic_and_spread():
    cases = generate_cases(60, seed=3)
    assert cases == generate_cases(60, seed=3)
    assert cases != generate_cases(60, seed=4)
    assert len(cases) == 60
    assert set(Counter(c.county for c in cases).values()) <= {2, 3}
    assert {c.category for c in cases} == CATEGORY_NAMES
    assert len({c.external_id for c in cases}) == 60


def test_load_cases_lets_a_county_go_over_its_limit_and_is_safe_to_repeat(demo_db):
    calls = []
    assert load_cases(250, seed=1, progress=lambda done, total: calls.append((done, total))) == 250
    assert calls == [(250, 250)]
    per_county = Counter(c.county.name for c in cases_of(104))
    assert min(per_county.values()) > QUOTAS["cases_per_county"]
    with_reason = AuditLog.select().where((AuditLog.action == "create_case")
                                          & (AuditLog.reason == "效能測試")).count()
    assert with_reason >= 250 - QUOTAS["cases_per_county"] * len(COUNTY_NAMES)
    assert load_cases(250, seed=1) == 0
    assert Case.select().count() == 250


def test_the_registry_holds_people_who_presented_in_several_years(full_demo):
    speakers = list_speakers()
    benchmarks = {case.id for year in PAST_YEARS for case in cases_of(year)
                  if case.status == "benchmark"}
    listed = [c.case_id for s in speakers for c in s.cases if c.award == "benchmark"]
    assert sorted(listed) == sorted(benchmarks)
    assert any(len(s.years) > 1 and any("台" in agency for _, agency in s.spellings)
               for s in speakers)  # typed 台 one year, 臺 another: one entry
    pairs = possible_duplicates()
    assert any(p.target.agency.replace("政府", "") == p.source.agency.replace("政府", "")
               for p in pairs)  # only a staff merge joins these
    assert any(p.target.listed and p.source.listed and p.target.name == p.source.name
               for p in pairs)  # the same name in another agency


def test_the_latest_judged_year_has_refined_write_ups_in_every_state(full_demo):
    progress = writeup_progress(max(PAST_YEARS))
    states = Counter(item.state for item in progress)
    assert set(states) == {"refined", "refined_pending", "submitted"}
    assert states["refined"] > states["refined_pending"]
    approved = next(item for item in progress if item.state == "refined")
    sections = case_sections(Case.get_by_id(approved.id))
    assert "精進版補充量化成效" in sections["outcomes"]  # what pages and the anthology show
    assert all(writeup_progress(year) and all(item.state == "submitted"
                                              for item in writeup_progress(year))
               for year in PAST_YEARS if year != max(PAST_YEARS))


def test_the_agenda_names_demo_judges_with_their_posts(full_demo):
    from kb.programme import region_programme

    programme = region_programme(max(PAST_YEARS), "第一區")
    commentators = next(row for row in programme.rows if row.kind == "comments").people
    assert commentators and all(person.description for person in commentators)
    assert programme.venue and programme.date is not None


def table_rows() -> dict[str, list[tuple]]:
    """Every table's rows in id order, without what differs between two loads of the same demo
    (times of writing, salted password hashes, random tokens; files, whose PDFs are dated)."""
    from datetime import datetime

    from kb.models import MODELS

    def kept(field) -> bool:
        return not (field.name in ("password_hash", "token", "at", "created_at", "updated_at",
                                   "submitted_at", "approved_at")
                    or isinstance(field, (peewee.DateTimeField, peewee.TimestampField)))

    dump = {}
    for model in MODELS:
        fields = [f for f in model._meta.sorted_fields if kept(f)]
        rows = model.select(*fields).order_by(*model._meta.get_primary_keys()).tuples()
        dump[model._meta.table_name] = [
            tuple("file" if isinstance(v, (bytes, memoryview)) else v
                  for v in row if not isinstance(v, datetime)) for row in rows]
    return dump


def test_objects_left_for_later_are_written_as_in_one_load(tmp_path, new_database):
    years = (103, 104)
    db = open_database(tmp_path / "whole", new_database())
    try:
        load_demo(years=years)
        whole = table_rows()
    finally:
        db.close()
    db = open_database(tmp_path / "split", new_database())
    try:
        load_demo(years=years, objects=False)
        assert demo_objects_pending(years=years)
        assert {item.state for item in writeup_progress(103)} == {"submitted"}
        assert not Participant.select().exists()
        assert load_demo_objects(years=years)
        assert not demo_objects_pending(years=years)
        assert not load_demo_objects(years=years)  # once only
        split = table_rows()
    finally:
        db.close()
    assert split.keys() == whole.keys()
    for table in whole:
        assert split[table] == whole[table], table


def test_a_demo_server_says_what_is_still_being_prepared_until_it_is(home, monkeypatch):
    import threading

    import seeds.demo
    from web import create_app
    from web.cli.site import _prepare_demo_objects

    open_instance(home)
    load_demo(years=(103, 104), objects=False)  # as `forum serve --demo` does before listening
    app = create_app({"TESTING": True}, home=home)
    go = threading.Event()

    def when_told():
        go.wait(60)
        return load_demo_objects(years=(103, 104))
    monkeypatch.setattr(seeds.demo, "load_demo_objects", when_told)
    thread = _prepare_demo_objects(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "示範資料準備中：民國103年的精進案例" in page and "民國104年的案例應用調查" in page
    go.set()
    thread.join(60)
    assert "示範資料準備中" not in client.get("/login").get_data(as_text=True)
    assert Participant.select().exists() and not demo_objects_pending(years=(103, 104))
