"""Text people type has no hidden length limit on either backend (PostgreSQL's varchar(255)
refused longer values): 10,000 characters in every field without a stated limit, through the
services the forms, the command line and the workbook imports call, are kept whole."""
from __future__ import annotations

import pytest

from helpers import case_input
from kb.assignments import set_judge_profile
from kb.cases import SECTIONS, ImportRow, PersonInput, create_case, import_cases
from kb.models import Case, CaseFigure, JudgeProfile, Person, User
from kb.users import add_user
from kb.writeups import Figure, save_refined_writeup

LONG = "地方治理標竿論壇" * 1_250  # 10,000 characters


def long_person() -> PersonInput:
    return PersonInput(name=LONG, title=LONG, phone="02-2720-8889", email="")


def stored_people():
    return [(p.name, p.title) for p in Person.select()]


def send_in_long_people():
    create_case(104, case_input(owner=long_person(), contact=long_person()))
    return stored_people()


def import_long_people():
    import_cases(104, [ImportRow("案例清單", 2, case_input(owner=long_person(),
                                                         contact=long_person()))])
    return stored_people()


def add_long_named_user():
    add_user("long-name", role="researcher", name=LONG, password="correct-horse-1")
    return [(User.get(User.login == "long-name").name,)]


def profile_long_judge():
    add_user("judge01", role="judge", name="評審", password="correct-horse-1")
    set_judge_profile("judge01", title=LONG, affiliation=LONG)
    return [(p.title, p.affiliation) for p in JudgeProfile.select()]


def save_long_key_figures():
    case = create_case(104, case_input())
    Case.update(status="benchmark", published=True).where(Case.id == case.id).execute()
    save_refined_writeup(case.id, {key: "精進內容" for key, _ in SECTIONS},
                         [Figure(indicator=LONG, before=LONG, after=LONG, unit=LONG)])
    return [(f.indicator, f.before, f.after, f.unit) for f in CaseFigure.select()]


@pytest.mark.parametrize("write", [send_in_long_people, import_long_people, add_long_named_user,
                                   profile_long_judge, save_long_key_figures])
def test_ten_thousand_characters_are_kept_whole(edition, write):
    stored = write()
    assert stored and all(value == LONG for row in stored for value in row)


def date_typed_long():
    from kb.rocdate import parse_roc_date
    parse_roc_date(LONG, field="報名截止日")


def county_typed_long():
    from kb.editions import find_county, get_edition
    find_county(get_edition(104), LONG)


def category_typed_long():
    from kb.editions import find_category, get_edition
    find_category(get_edition(104), LONG)


def email_typed_long():
    add_user("long-mail", role="staff", name="某人", password="long-enough-1", email=LONG)


def region_typed_long():
    from kb.participants import open_registration
    open_registration(104, LONG, seats=10, deadline=None)


@pytest.mark.parametrize("refused", [date_typed_long, county_typed_long, category_typed_long,
                                     email_typed_long, region_typed_long])
def test_a_message_repeats_at_most_forty_typed_characters(edition, refused):
    from kb.errors import ValidationError

    with pytest.raises(ValidationError) as error:
        refused()
    message = str(error.value)
    assert f"「{LONG[:40]}…」" in message and LONG[:41] not in message
