"""ROC dates: one helper for showing them, one parser for what people type, and the Jinja filters."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from kb.errors import ValidationError
from kb.rocdate import parse_roc_date, roc_date, roc_date_input, roc_time, roc_year


def test_dates_are_shown_the_roc_way():
    assert roc_date(date(2015, 10, 2), weekday=True) == "民國104年10月2日（星期五）"
    assert roc_date(date(2015, 10, 4), prefix="中華民國") == "中華民國104年10月4日"
    assert roc_time(datetime(2026, 12, 8, 14, 5)) == "民國115年12月8日 14:05"
    assert roc_year(104, with_ad=True) == "民國104年（2015）"
    assert roc_date_input(date(2026, 12, 8)) == "115/12/08" and roc_date_input(None) == ""


@pytest.mark.parametrize("typed", ["115/12/08", "115/12/8", " 115-12-08 ", "115.12.8",
                                   "民國115年12月8日", "115年12月8日", "中華民國115年12月08日",
                                   "１１５／１２／０８", "2026-12-08"])
def test_a_date_is_read_as_typed_the_roc_way(typed):
    assert parse_roc_date(typed) == date(2026, 12, 8)


def test_an_empty_date_is_none():
    assert parse_roc_date("  ") is None


@pytest.mark.parametrize("typed", ["115/13/01", "115/02/30", "12/08", "明天", "115/12/08/1"])
def test_a_date_that_cannot_be_read_names_the_field_and_the_form(typed):
    with pytest.raises(ValidationError, match=r"完成期限「.+」不是有效的日期.*115/12/08"):
        parse_roc_date(typed, field="完成期限")


def test_templates_have_roc_filters(app):
    with app.app_context():
        render = app.jinja_env.from_string(
            "{{ day|roc_date }}｜{{ day|roc_date_input }}｜{{ typed|roc_date_input }}｜{{ 104|roc_year }}")
        assert render.render(day=date(2026, 12, 8), typed="115/1x") == \
            "民國115年12月8日｜115/12/08｜115/1x｜民國104年"
