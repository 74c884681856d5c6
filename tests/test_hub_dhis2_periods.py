"""DHIS2 periods and the hub-date rule, against the calendar of Python's standard library.

Expected values come from `datetime.date.isocalendar` / `fromisocalendar` and hand-checked
calendar facts, never from the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epicommons.hub.dhis2.periods import (
    parse_adx_period,
    parse_period,
    render,
    render_adx,
    shown_as,
)

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@pytest.mark.parametrize(
    ("text", "kind", "first"),
    [
        ("20201101", "Daily", dt.date(2020, 11, 1)),
        ("2020W45", "Weekly", dt.date(2020, 11, 2)),  # Monday 2 November 2020
        ("2020W53", "Weekly", dt.date(2020, 12, 28)),  # 2020 has 53 ISO weeks
        ("2021W1", "Weekly", dt.date(2021, 1, 4)),
        ("2026W01", "Weekly", dt.date(2025, 12, 29)),  # week 1 of 2026 starts in 2025
        ("202011", "Monthly", dt.date(2020, 11, 1)),
    ],
)
def test_a_period_is_stored_on_its_first_day(text, kind, first):
    assert parse_period(text) == (kind, first)


@pytest.mark.parametrize("text", ["2021W53", "2020W0", "20200230", "202013", "2020w45", "2020-11"])
def test_impossible_periods_are_refused(text):
    with pytest.raises(ValueError):
        parse_period(text)


@given(days)
def test_weekly_round_trip_follows_iso_8601(day):
    year, week, weekday = day.isocalendar()
    kind, first = parse_period(f"{year}W{week}")
    assert kind == "Weekly"
    assert first == day - dt.timedelta(days=weekday - 1)  # that week's Monday
    assert render("Weekly", first) == f"{year}W{week}"
    assert shown_as("Weekly", day) == ("Weekly" if weekday == 1 else "Daily")


@given(days)
def test_daily_and_monthly_round_trip(day):
    assert parse_period(render("Daily", day)) == ("Daily", day)
    first = day.replace(day=1)
    assert parse_period(render("Monthly", first)) == ("Monthly", first)
    assert shown_as("Monthly", day) == ("Monthly" if day.day == 1 else "Daily")


def test_adx_periods():
    # the DHIS2 manual's ADX table: weekly 2017-10-02/P7D (a Monday), monthly 2017-10-01/P1M
    assert parse_adx_period("2017-10-02/P7D") == ("Weekly", dt.date(2017, 10, 2))
    assert parse_adx_period("2017-10-01/P1M") == ("Monthly", dt.date(2017, 10, 1))
    assert parse_adx_period("2017-10-01/P1D") == ("Daily", dt.date(2017, 10, 1))
    assert render_adx("Weekly", dt.date(2017, 10, 2)) == "2017-10-02/P7D"
    for bad in ("2017-10-01/P7D", "2017-10-02/P1M", "2017-10-02/P14D", "2017-02-30/P1D"):
        with pytest.raises(ValueError):
            parse_adx_period(bad)
