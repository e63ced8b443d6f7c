"""Contact fields are checked on the server (e-mail, telephone) with zh-TW messages (the case
form's part is in test_web.py)."""
from __future__ import annotations

import pytest

from kb.formats import email_problem, phone_problem


@pytest.mark.parametrize("typed", ["02-2720-8889", "0912-345-678", "(02)2720-8889#123",
                                   "+886-2-2720-8889", "02 2720 8889 分機 12", "０２－２７２０－８８８９", ""])
def test_phone_numbers_people_write_are_accepted(typed):
    assert phone_problem(typed) is None


@pytest.mark.parametrize("typed", ["abc", "123", "not-an-email", "02-2720-8889 或 8890"])
def test_a_phone_number_that_is_not_one_says_so_with_an_example(typed):
    assert phone_problem(typed) == f"「{typed}」不是有效的電話號碼（例如 02-2720-8889、0912-345-678，分機寫在 # 之後）"


@pytest.mark.parametrize(("typed", "fine"), [("name@city.gov.tw", True), ("a.b+c@x.org.tw", True),
                                             ("", True), ("not-an-email", False), ("a@b", False),
                                             ("a b@c.tw", False), ("a@@b.tw", False)])
def test_email_addresses_are_checked(typed, fine):
    assert (email_problem(typed) is None) == fine
