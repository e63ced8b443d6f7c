"""Every permission rule of kb.policy, role × situation → allowed, as a table."""
from types import SimpleNamespace

import pytest

from helpers import case_input
from kb import policy
from kb.assignments import assign_screening
from kb.cases import create_case
from kb.errors import PermissionDenied
from kb.policy import Role

TPE, NTPC = 1, 2  # county ids of the plain stand-ins below


def _user(role, user_id, county_id=None, active=True):
    county = SimpleNamespace(id=county_id, name="臺北市" if county_id == TPE else "新北市")
    return SimpleNamespace(role=role, id=user_id, county_id=county_id, county=county, active=active)


PEOPLE = {
    "command": None,  # the forum command as actor; a visitor as viewer
    "staff": _user("staff", 1),
    "judge": _user("judge", 2),
    "inactive judge": _user("judge", 3, active=False),
    "county TPE": _user("county", 4, TPE),
    "county NTPC": _user("county", 5, NTPC),
    "researcher": _user("researcher", 6),
}
WHO = list(PEOPLE)


def _case(county_id=TPE, published=False, status="submitted", intake_open=True):
    return SimpleNamespace(county_id=county_id, published=published, status=status,
                           edition=SimpleNamespace(year=104, intake_open=intake_open))


def _row(*allowed):
    return {who: who in allowed for who in WHO}


def _check(rule, situation, expected):
    got = {who: rule(PEOPLE[who], *situation) for who in WHO}
    assert got == expected


def test_roles_keep_their_stored_values_and_chinese_names():
    assert [(role.value, role.label) for role in Role] == [
        ("staff", "主辦機關承辦人"), ("judge", "評審委員"), ("county", "縣市承辦人"),
        ("researcher", "研究人員")]
    assert Role("staff") is Role.STAFF and Role.STAFF == "staff" and f"{Role.STAFF}" == "staff"
    assert policy.ROLE_LABELS["county"] == "縣市承辦人"


WHO_RULES = [
    (policy.is_staff, (), _row("staff")),
    (policy.is_judge, (), _row("judge", "inactive judge")),
    (policy.is_active_judge, (), _row("judge")),
    (policy.is_county_contact, (), _row("county TPE", "county NTPC")),
    (policy.is_county_contact, (TPE,), _row("county TPE")),
    (policy.acts_as_staff, (), _row("command", "staff")),
    (policy.can_act_for_county, (TPE,), _row("command", "staff", "county TPE")),
    (policy.can_act_for_judge, (PEOPLE["judge"],), _row("command", "staff", "judge")),
    (policy.can_see_selection, (), _row("staff", "county TPE", "county NTPC")),
    (policy.can_send_in_cases, (), _row("staff", "county TPE", "county NTPC")),
    (policy.can_see_participants, (), _row("command", "staff", "county TPE", "county NTPC")),
]


@pytest.mark.parametrize("rule,situation,expected", WHO_RULES,
                         ids=[f"{r.__name__}{s}" for r, s, _ in WHO_RULES])
def test_who_someone_is(rule, situation, expected):
    _check(rule, situation, expected)


CASE_RULES = [
    (policy.can_view_case, "published", _case(published=True), _row(*WHO)),
    (policy.can_see_contacts, "own county", _case(), _row("staff", "county TPE")),
    (policy.can_see_contacts, "published", _case(published=True), _row("staff", "county TPE")),
    (policy.can_edit_case, "intake open", _case(), _row("command", "staff", "county TPE")),
    (policy.can_edit_case, "intake closed", _case(intake_open=False), _row("command", "staff")),
    (policy.can_edit_refined, "published benchmark", _case(published=True, status="benchmark"),
     _row("command", "staff", "county TPE")),
    (policy.can_edit_refined, "published honourable", _case(published=True, status="honourable"),
     _row("command", "staff", "county TPE")),
    (policy.can_edit_refined, "unpublished benchmark", _case(status="benchmark"), _row()),
    (policy.can_edit_refined, "not selected", _case(published=True, status="not_selected"), _row()),
    (policy.can_score, "the judge's assignment", SimpleNamespace(judge_id=2),
     _row("command", "staff", "judge")),
]


@pytest.mark.parametrize("rule,name,thing,expected", CASE_RULES,
                         ids=[f"{r.__name__}-{n}" for r, n, _, _ in CASE_RULES])
def test_case_rules(rule, name, thing, expected):
    _check(rule, (thing,), expected)


def _refusal(check, *situation):
    def run(person):
        try:
            check(person, *situation)
        except PermissionDenied as refused:
            return str(refused)
        return None
    return {who: run(PEOPLE[who]) for who in WHO}


def test_who_may_send_in_a_case_and_why_not():
    county = SimpleNamespace(id=TPE)
    open_year = SimpleNamespace(year=104, intake_open=True)
    assert _refusal(policy.check_may_submit, open_year, county) == {
        "command": None, "staff": None, "judge": "只有縣市承辦人與主辦機關可以送件",
        "inactive judge": "只有縣市承辦人與主辦機關可以送件", "county TPE": None,
        "county NTPC": "您只能為新北市送件", "researcher": "只有縣市承辦人與主辦機關可以送件"}
    closed = _refusal(policy.check_may_submit, SimpleNamespace(year=104, intake_open=False), county)
    assert closed["county TPE"] == "民國104年的收件已截止" and closed["staff"] is None


def test_who_may_import_a_case_list():
    assert _refusal(policy.check_may_import, SimpleNamespace(year=104, intake_open=True)) == {
        **{who: "只有縣市承辦人與主辦機關可以匯入案例" for who in WHO},
        "command": None, "staff": None, "county TPE": None, "county NTPC": None}
    closed = _refusal(policy.check_may_import, SimpleNamespace(year=104, intake_open=False))
    assert closed["county NTPC"] == "民國104年的收件已截止" and closed["command"] is None


def test_only_staff_and_the_command_line_run_the_year():
    assert _refusal(policy.require_staff, "公布結果") == {
        **{who: "只有主辦機關可以公布結果" for who in WHO}, "command": None, "staff": None}


def test_an_unpublished_case_is_seen_by_staff_and_its_county():
    not_judges = [who for who in WHO if "judge" not in who]  # judges: the test below
    assert {who: policy.can_view_case(PEOPLE[who], _case()) for who in not_judges} == {
        who: who in ("staff", "county TPE") for who in not_judges}


def test_a_judge_sees_an_unpublished_case_only_when_assigned_to_it(make_user, edition):
    judge, other = make_user("judge", "judge01"), make_user("judge", "judge02")
    case = create_case(104, case_input())
    assign_screening(104, judges=["judge01"], per_case=1)
    assert policy.can_view_case(judge, case) and not policy.can_view_case(other, case)
