"""Shared scenario fixtures: small forums in a known state, each used by several test modules.

A pytest plugin (``pytest_plugins = ["scenarios"]`` in conftest.py), so a test module asks for
a scenario by name and imports nothing. The few builders the scenarios are made with, which
tests also call themselves (``score_stage``, ``make_cases``, ``presented``), are importable:
``from scenarios import score_stage``.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from helpers import case_input
from kb.assignments import assign_onsite, assign_screening, list_assignments
from kb.cases import PersonInput, create_case, set_case_presenter, set_case_statuses
from kb.editions import create_edition
from kb.models import Case
from kb.scores import ScoreEntry, record_scores
from kb.selection import change_nominations
from kb.speakers import speaker_key
from kb.stages import get_stage, set_stage_state, stage_criteria
from seeds import load_reference


# --- judging: screening panels ---------------------------------------------------------------


@pytest.fixture
def three_judge_panel(edition, make_user):
    """Four cases in three regions, three judges each scoring every case, screening open."""
    cases = [create_case(104, case_input(title=title, county=county, agency=f"{county}政府"))
             for title, county in (("銀髮共餐", "臺北市"), ("智慧路燈", "新北市"),
                                   ("河川巡守", "臺中市"), ("港區轉型", "高雄市"))]
    judges = [make_user("judge", login=f"judge0{n}") for n in (1, 2, 3)]
    staff = make_user("staff", login="staff01")
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    return SimpleNamespace(cases=[c.id for c in cases], judges=judges, judge=judges[0],
                           staff=staff, stage=get_stage(104, "screening"))


def make_cases():
    """Two cases in different regions (臺北市: 第一區, 新竹市: 第二區)."""
    return [create_case(104, case_input()),
            create_case(104, case_input(county="新竹市", agency="新竹市政府交通處",
                                        category="交通建設", title="智慧號誌延長行人綠燈"))]


@pytest.fixture
def four_judge_panel(edition, make_user):
    """Two cases, four judges (three per case), screening assigned and open, one staff login.

    The assignment gives judge1 both cases, judge2 both, judge3 only the first and judge4 only
    the second.
    """
    cases = make_cases()
    judges = [make_user("judge", login=f"judge{n}") for n in range(1, 5)]
    make_user("staff", login="staff")
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    return SimpleNamespace(cases=cases, judges=judges)


@pytest.fixture
def scored(edition, make_user):
    """Year 104 with one submitted screening score sheet."""
    for n in range(3):
        make_user("judge", login=f"judge{n}")
    case = create_case(104, case_input())
    assign_screening(104)
    stage = set_stage_state(104, "screening", "open")
    record_scores([ScoreEntry("judge0", case.id, {"創新度": 18, "完整度": 17, "困難度": 12,
                                                  "效益性": 16, "應用性": 21})],
                  stage=stage, submit=True)
    return edition


# --- selection: both stages scored in 第一區 -------------------------------------------------

POINTS = {"創新度": 20, "完整度": 20, "困難度": 15, "效益性": 20, "應用性": 25}


def scores_for(total: int) -> dict[str, float]:
    """Criterion scores that add up to an even ``total`` (each in proportion to its points)."""
    return {name: round(points * total / 100, 1) for name, points in POINTS.items()}


def score_stage(year, key, totals: dict[int, int]) -> None:
    """Every assigned judge gives each case the total listed for it, and submits."""
    stage = get_stage(year, key)
    entries = [ScoreEntry(a.judge.login, a.case_id, scores_for(totals[a.case_id]))
               for a in list_assignments(year, key) if a.case_id in totals]
    record_scores(entries, stage=stage, submit=True)


@pytest.fixture
def judged(edition, make_user):
    """Region 第一區 with four counties' cases scored in both stages."""
    for n in range(1, 7):
        make_user("judge", login=f"judge{n:02d}")
    plan = [("臺北市", "甲", 90, 90), ("臺北市", "乙", 88, 89), ("臺北市", "丙", 86, 60),
            ("臺北市", "丁", 60, 99), ("新北市", "戊", 80, 84), ("桃園市", "己", 78, 80),
            ("基隆市", "庚", 70, 70), ("宜蘭縣", "辛", 66, 64)]
    cases = {}
    for county, title, _, _ in plan:
        cases[title] = create_case(104, case_input(title=title, county=county,
                                                   agency=f"{county}政府")).id
    assign_screening(104)
    set_stage_state(104, "screening", "open")
    score_stage(104, "screening", {cases[t]: s for _, t, s, _ in plan})
    set_stage_state(104, "screening", "close")
    return cases, {cases[t]: o for _, t, _, o in plan}


@pytest.fixture
def selected(judged):
    """``judged`` with the nominations settled (臺北市: 甲, 乙, 丁; the other counties' one
    case each) and 第一區's on-site stage scored by judge01–03; the case ids by title."""
    cases, onsite = judged
    change_nominations(104, "臺北市", [cases["甲"], cases["乙"], cases["丁"]], reason="縣市調整")
    for title in "戊己庚辛":
        county = Case.get_by_id(cases[title]).county.name
        change_nominations(104, county, [cases[title]], reason="提名")
    assign_onsite(104, region="第一區", judges=["judge01", "judge02", "judge03"])
    set_stage_state(104, "onsite", "open")
    score_stage(104, "onsite", onsite)
    return cases


# --- published winners -----------------------------------------------------------------------


@pytest.fixture
def winners(edition, make_user):
    """Two published winners of 104 (臺北市's benchmark case, 新北市's honourable mention), and
    accounts for staff and both counties' contacts."""
    tpe = create_case(104, case_input())
    ntpc = create_case(104, case_input(county="新北市", agency="新北市政府社會局",
                                       title="新北市老屋共生宿舍計畫"))
    set_case_statuses({tpe.id: ("benchmark", True), ntpc.id: ("honourable", True)})
    make_user("staff", login="staff")
    make_user("county", login="tpe", county="臺北市")
    make_user("county", login="ntpc", county="新北市")
    return SimpleNamespace(tpe=tpe.id, ntpc=ntpc.id)


# --- speakers of 民國102–104年 -----------------------------------------------------------------

WANG_PHONE, WANG_EMAIL = "02-2720-1234", "wang@gov.taipei"


def presented(year: int, title: str, name: str, agency: str, *, county: str = "臺北市",
              category: str = "社會福利", award: str = "benchmark", published: bool = True,
              person_title: str = "科長", phone: str = "", email: str = ""):
    """A case of ``year`` owned (so presented) by ``name`` of ``agency``, with its outcome."""
    case = create_case(year, case_input(
        county=county, agency=agency, category=category, title=title,
        owner=PersonInput(name=name, title=person_title, phone=phone, email=email)))
    set_case_statuses({case.id: (award, published)})
    return case


@pytest.fixture
def registry(edition, make_user):
    """Cases of 民國102–104年:

    - 王大明 presents a 103 benchmark case at 臺北市政府社會局 and a 104 honourable mention at
      台北市政府社會局 (台 typed): one entry;
    - 林美玲 presents 臺南市 benchmark cases in 102 (臺南市政府社會局) and 104 (臺南市社會局):
      two entries until staff merge them;
    - 陳志強 presents a 103 honourable mention, and in 104 a benchmark case owned by 李小華;
    - 張家豪's case was not selected, 趙敏's honourable mention is his only one.
    """
    for year in (102, 103):
        create_edition(year, load_reference()["edition"])
    cases = SimpleNamespace(
        wang_103=presented(103, "銀髮共餐", "王大明", "臺北市政府社會局", phone="02-2720-0000",
                           email="old@gov.taipei"),
        wang_104=presented(104, "社區關懷據點", "王 大明", "台北市政府社會局", award="honourable",
                           category="社區發展", person_title="副處長", phone=WANG_PHONE,
                           email=WANG_EMAIL),
        lin_102=presented(102, "長照2.0", "林美玲", "臺南市政府社會局", county="臺南市"),
        lin_104=presented(104, "青銀共學", "林美玲", "臺南市社會局", county="臺南市",
                          category="教育發展"),
        chen_103=presented(103, "河川巡守", "陳志強", "新北市政府環境保護局", county="新北市",
                           category="環境保護", award="honourable"),
        chen_104=presented(104, "淨灘再生", "李小華", "新北市政府環境保護局", county="新北市",
                           category="環境保護"),
        chang=presented(103, "未入選案", "張家豪", "新北市政府民政局", county="新北市",
                        award="not_selected", published=False),
        chao=presented(102, "佳作而已", "趙敏", "新北市政府民政局", county="新北市",
                       award="honourable"))
    set_case_presenter(cases.chen_104.id, PersonInput(name="陳志強", title="技正"))
    return SimpleNamespace(cases=cases, staff=make_user("staff", login="staff"),
                           lin_old=speaker_key("林美玲", "臺南市政府社會局"),
                           lin_new=speaker_key("林美玲", "臺南市社會局"))


# --- selection on the web: 第一區 screened, the proposal waiting for staff -------------------

# county, title, screening total, on-site total (None: not nominated by the proposal)
SCREENED_PLAN = [("臺北市", "甲", 90, 90), ("臺北市", "乙", 88, 88), ("臺北市", "丙", 86, 60),
                 ("臺北市", "丁", 60, None), ("新北市", "戊", 80, 84), ("新北市", "己", 80, 84),
                 ("桃園市", "庚", 78, 80), ("基隆市", "辛", 70, 70)]


def open_and_score_stage(key: str, totals: dict[int, int]) -> None:
    """Every judge assigned in a stage gives each listed case its total (each criterion in
    proportion to its points) and submits; the stage is opened for it."""
    stage = set_stage_state(104, key, "open")
    criteria = stage_criteria(stage)
    record_scores([ScoreEntry(a.judge.login, a.case_id,
                              {c.name: round(c.points * totals[a.case_id] / 100, 1)
                               for c in criteria})
                   for a in list_assignments(104, key) if a.case_id in totals],
                  stage=stage, submit=True)


@pytest.fixture
def screened(edition, make_user):
    """第一區 cases of four counties, screened by three of four judges each; accounts for staff
    and for the contacts of 臺北市 and 新北市."""
    for n in range(1, 5):
        make_user("judge", login=f"judge{n:02d}")
    make_user("staff", login="staff")
    make_user("county", login="tpe", county="臺北市")
    make_user("county", login="ntpc", county="新北市")
    cases = {title: create_case(104, case_input(title=f"案例{title}", county=county,
                                                agency=f"{county}政府")).id
             for county, title, _, _ in SCREENED_PLAN}
    assign_screening(104)
    open_and_score_stage("screening", {cases[title]: total for _, title, total, _ in SCREENED_PLAN})
    set_stage_state(104, "screening", "close")
    return SimpleNamespace(ids=cases)
