"""Who presents a case at its regional forum: the owner, unless staff name somebody else."""
from __future__ import annotations

import pytest

from helpers import case_input
from kb.cases import PersonInput, create_case, get_case, presenter_of, set_case_presenter
from kb.errors import PermissionDenied, ValidationError
from kb.models import AuditLog


def test_the_owner_presents_until_staff_name_a_presenter(edition, make_user):
    case = create_case(104, case_input())
    assert presenter_of(get_case(case.id, staff_scope=True)).name == case_input().owner.name
    staff = make_user("staff")
    set_case_presenter(case.id, PersonInput(name="林佳慧", title="科長", phone="02-1234"), actor=staff)
    shown = presenter_of(get_case(case.id, staff_scope=True))
    assert (shown.name, shown.title, shown.agency) == ("林佳慧", "科長", case.agency)
    set_case_presenter(case.id, None, actor=staff)
    assert presenter_of(get_case(case.id, staff_scope=True)).name == case_input().owner.name
    assert [log.action for log in AuditLog.select().where(AuditLog.action == "set_presenter")] == [
        "set_presenter", "set_presenter"]


def test_only_staff_name_presenters_and_a_name_is_needed(edition, make_user):
    case = create_case(104, case_input())
    with pytest.raises(PermissionDenied):
        set_case_presenter(case.id, PersonInput(name="林佳慧"),
                           actor=make_user("county", county="臺北市"))
    with pytest.raises(ValidationError, match="必須填寫"):
        set_case_presenter(case.id, PersonInput(name="  "), actor=make_user("staff"))
