"""The seeded revision process: what members would have reported day by day, from final counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epicommons.errors import InputError
from epicommons.surveillance import read_jhu
from epicommons.surveillance.revision_process import (
    RevisionProcess,
    as_known,
    final_counts,
    simulate_reports,
)

JHU = "jhu_csse_covid19/time_series_covid19_confirmed_global.csv"


@pytest.fixture(scope="module")
def final(shared_data):
    return final_counts(
        read_jhu(shared_data / JHU), ["ITA", "DEU", "KOR"], "2020-09-01", "2021-01-31"
    )


@pytest.fixture(scope="module")
def reports(final):
    return simulate_reports(final, seed=11)


def test_every_days_reports_add_up_to_its_final_count(final, reports):
    total = reports.groupby(["location", "reference_date"])["count"].sum()
    want = final.assign(date=pd.to_datetime(final["date"])).set_index(["location", "date"])["count"]
    assert np.array_equal(total.reindex(want.index).to_numpy(), want.to_numpy())


def test_delays_stay_within_the_process_maximum_and_some_revisions_go_down(reports):
    delay = (reports["report_date"] - reports["reference_date"]).dt.days
    assert delay.min() >= 0 and delay.max() <= RevisionProcess().max_delay()
    down = reports[reports["count"] < 0]
    assert len(down) > 0  # corrections (3% of days)
    assert (down["report_date"] > down["reference_date"]).all()


def test_weekends_report_less_and_mondays_catch_up(reports):
    by_weekday = (
        reports[reports["count"] > 0].groupby(reports["report_date"].dt.weekday)["count"].sum()
    )
    weekdays = by_weekday.loc[1:4].mean()  # Tuesday .. Friday
    assert by_weekday.loc[6] < 0.7 * weekdays  # Sunday
    assert by_weekday.loc[0] > weekdays  # Monday


def test_the_same_seed_gives_the_same_reports_and_another_does_not(final, reports):
    pd.testing.assert_frame_equal(simulate_reports(final, seed=11), reports)
    assert not simulate_reports(final, seed=12).equals(reports)


def test_a_location_draws_from_its_own_stream(final, reports):
    alone = simulate_reports(final[final["location"] == "KOR"], seed=11)
    pd.testing.assert_frame_equal(
        alone, reports[reports["location"] == "KOR"].reset_index(drop=True)
    )


def test_as_known_keeps_only_what_was_reported_by_then(reports):
    cut = as_known(reports, "2020-12-01")
    assert cut["report_date"].max() <= pd.Timestamp("2020-12-01")
    assert len(cut) < len(reports)


def test_bad_final_counts_are_refused():
    bad = pd.DataFrame({"location": ["X"], "date": ["2020-01-01"], "count": [-1]})
    with pytest.raises(InputError, match="whole numbers >= 0"):
        simulate_reports(bad)
    with pytest.raises(InputError, match="delay pmf"):
        simulate_reports(bad.assign(count=1), process=RevisionProcess(delay_pmf=(0.5, 0.2)))
