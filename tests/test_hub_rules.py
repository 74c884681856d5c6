"""Invariants of the report validation rules (pure functions, property-based)."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from epicommons.hub.indicators import INDICATORS, Conflict, Row, cross_rules, parse_row, parse_rows
from epicommons.hub.reports import content_hash

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["2026-01-01", "new_cases", "stock", "masks", "=1+1", "-3", "nan", "1e999"]),
)
raw_rows = st.dictionaries(
    st.sampled_from(["date", "indicator", "item", "value", "extra"]), anything, max_size=5
)


@given(raw_rows, st.booleans())
def test_a_row_is_either_valid_or_a_conflict_never_an_exception(raw, from_text):
    result = parse_row(7, raw, from_text)
    if isinstance(result, Conflict):
        assert result.row == 7 and result.reason
        return
    assert isinstance(result, Row)
    assert math.isfinite(result.value) and result.value >= 0
    assert result.indicator in INDICATORS
    assert dt.date(1900, 1, 1) <= result.date <= dt.date.today() + dt.timedelta(days=2)
    assert (result.item != "") == (result.indicator in ("stock", "need"))


counts = st.integers(min_value=0, max_value=10**9)
days = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2025, 12, 31))
indicators = st.sampled_from(["new_cases", "new_deaths", "tests", "icu_occupancy"])


@given(st.lists(st.tuples(days, indicators, counts), max_size=30))
def test_json_and_csv_spellings_of_a_report_hash_alike(rows):
    as_json = [
        (i, {"date": d.isoformat(), "indicator": k, "value": v})
        for i, (d, k, v) in enumerate(rows, 1)
    ]
    as_csv = [
        (i, {"date": d.isoformat(), "indicator": k, "item": "", "value": f" {v}"})
        for i, (d, k, v) in enumerate(rows, 1)
    ]
    a, b = parse_rows(as_json, False), parse_rows(as_csv, True)
    assert content_hash(*a) == content_hash(*b)
    assert len(a[0]) + len(a[1]) == len(rows)  # every row is kept or named in a conflict


@given(days, counts, counts)
def test_deaths_above_cases_are_always_flagged(day, cases, deaths):
    rows = [
        Row(1, day, "new_cases", "", float(cases)),
        Row(2, day, "new_deaths", "", float(deaths)),
    ]
    flagged = cross_rules(rows, {})
    assert bool(flagged) == (deaths > cases)
    # The same holds when the cases were stored earlier and only the deaths arrive now.
    assert bool(cross_rules(rows[1:], {(day, "new_cases", ""): float(cases)})) == (deaths > cases)
