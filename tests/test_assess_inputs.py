"""`AssessmentInputs.checked`: impossible inputs are one InputError naming table, line and
column; what the hub hands over (dates as dates or time-zoned timestamps) is read as days."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from epicommons.assess import AssessmentInputs, AssessmentOptions
from epicommons.errors import InputError

DAY = datetime.date(2020, 12, 1)
COUNTS = pd.DataFrame(
    {
        "location": ["ITA", "ITA", "ITA"],
        "reference_date": ["2020-11-29", "2020-11-29", "2020-11-30"],
        "report_date": ["2020-11-29", "2020-11-30", "2020-11-30"],
        "count": [10, -2, 5],
    }
)
STOCKS = pd.DataFrame(
    {"location": ["ITA"], "item": ["test_kit"], "quantity": [5.0], "date": ["2020-11-20"]}
)
PLEDGES = pd.DataFrame(
    {"donor": ["EU"], "item": ["test_kit"], "pledged": [9.0], "delivered": [4.0]}
)


def _inputs(**changed) -> AssessmentInputs:
    base = {"counts": COUNTS, "stocks": STOCKS, "pledges": PLEDGES}
    base.update(changed)
    return AssessmentInputs(DAY, ("ITA",), **base)


def test_good_inputs_pass_with_negative_revisions_kept():
    checked = _inputs().checked()
    assert checked.counts["count"].tolist() == [10.0, -2.0, 5.0]
    assert checked.stamp() == _inputs().checked().stamp()


def test_dates_as_dates_or_time_zoned_timestamps_are_days():
    utc = COUNTS.assign(report_date=pd.to_datetime(COUNTS["report_date"]).dt.tz_localize("UTC"))
    dates = COUNTS.assign(reference_date=pd.to_datetime(COUNTS["reference_date"]).dt.date)
    for counts in (utc, dates):
        got = _inputs(counts=counts).checked().counts
        assert got["report_date"].dt.tz is None
        assert got["reference_date"].min() == pd.Timestamp("2020-11-29")


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            {"counts": COUNTS.assign(count=[1, 2.5, 3])},
            "counts, line 3, field 'count': expected a whole number",
        ),
        (
            {"counts": COUNTS.assign(report_date=["2020-11-29", "2020-12-02", "2020-11-30"])},
            "counts, line 3, field 'report_date': expected a report date on or before 2020-12-01, got 2020-12-02",
        ),
        (
            {"counts": COUNTS.assign(report_date=["2020-11-28", "2020-11-30", "2020-11-30"])},
            "counts, line 2, field 'report_date': expected a report on or after its reference date",
        ),
        (
            {"counts": COUNTS.drop(columns=["count"])},
            "counts: expected columns location, reference_date, report_date, count; missing count",
        ),
        (
            {"stocks": STOCKS.assign(quantity=[-1.0])},
            "stocks, line 2, field 'quantity': expected a number >= 0",
        ),
        (
            {"stocks": STOCKS.assign(date=["tomorrow"])},
            "stocks, line 2, field 'date': expected a date YYYY-MM-DD",
        ),
        (
            {"pledges": PLEDGES.assign(delivered=[10.0])},
            "pledges, line 2, field 'delivered': expected at most what was pledged",
        ),
        (
            {"population": {"ITA": 0.0}},
            "field 'population': expected a population > 0 for member ITA",
        ),
    ],
    ids=["count", "late", "early", "column", "stock", "date", "pledge", "population"],
)
def test_impossible_inputs_are_one_error_naming_where(changed, expected):
    with pytest.raises(InputError) as err:
        _inputs(**changed).checked()
    assert expected in str(err.value)


def test_members_are_listed_once():
    with pytest.raises(InputError, match="member 'ITA' is listed twice"):
        AssessmentInputs(DAY, ("ITA", "ITA"), COUNTS, STOCKS, PLEDGES).checked()


def test_options_refuse_a_quantile_set_without_the_median():
    from epicommons.errors import validate

    with pytest.raises(InputError, match="median"):
        validate(AssessmentOptions, {"quantiles": [0.25, 0.75]})


def test_options_offer_every_nowcast_method_and_only_those():
    from typing import get_args

    from epicommons.surveillance.nowcast import METHODS

    field = AssessmentOptions.model_fields["nowcast_method"]
    assert set(get_args(field.annotation)) == set(METHODS)
