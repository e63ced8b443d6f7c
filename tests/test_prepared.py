"""`kb.db.prepared`: a query's SQL written once per shape of its arguments and run again with
new values, giving the same rows as the query run by peewee (issue 15)."""
from __future__ import annotations

import pytest

from kb.db import prepared
from kb.models import County, User


def counted(build):
    """``build`` as a prepared query that counts how often it is built."""
    def counting(*args):
        counting.built += 1
        return build(*args)
    counting.built = 0
    return counting, prepared(counting)


def test_a_query_is_built_once_and_answers_each_call_with_its_own_values(make_user):
    judge, staff = make_user("judge", login="judge1"), make_user("staff", login="staff1")
    build, by_login = counted(lambda login, role: User.select().where(
        (User.login == login) & (User.role == role)))
    assert [u.id for u in by_login("judge1", "judge")] == [judge.id]
    assert [u.id for u in by_login("staff1", "staff")] == [staff.id]
    assert list(by_login("staff1", "judge")) == []
    assert build.built == 1
    assert [type(u) for u in by_login("judge1", "judge")] == [User]


def test_another_length_of_a_list_is_another_query(make_user):
    ids = [make_user("staff").id for _ in range(3)]
    build, logins = counted(lambda wanted: User.select(User.login).where(User.id.in_(wanted))
                            .order_by(User.id).tuples())
    assert list(logins(ids[:2])) == [("staff1",), ("staff2",)]
    assert list(logins(ids[1:])) == [("staff2",), ("staff3",)]
    assert list(logins(ids)) == [("staff1",), ("staff2",), ("staff3",)]
    assert build.built == 2


def test_the_query_s_own_constants_stay_in_it(db):
    named = prepared(lambda name: County.select(County.name)
                     .where((County.name == name) | (County.name == "臺北市"))
                     .order_by(County.name).tuples())
    assert [row[0] for row in named.cursor("新北市")] == sorted(["新北市", "臺北市"])


def test_a_value_changed_on_its_way_into_the_query_is_refused(db):
    shifted = prepared(lambda user_id: User.select().where(User.id == user_id + 1))
    with pytest.raises(ValueError, match="is not a parameter"):
        shifted(1)


@pytest.mark.parametrize("value", [True, 1.5, None])
def test_only_ints_and_texts_are_values(db, value):
    with pytest.raises(TypeError, match="is not an int or a text"):
        prepared(lambda v: User.select().where(User.id == v))(value)
