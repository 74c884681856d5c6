"""The forecasts' track record (assess/track.py): earlier forecasts scored on the weekly counts as
known on a later as-of date. Expected values are worked by hand from WIS's definition (Bracher
et al. 2021), not taken from the code; then two real assessments three weeks apart (JHU through
the seeded revision process), and the `--past` folders of the command."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pandas as pd
import pytest

import assess_inputs as data
from epicommons.assess import AssessmentInputs, AssessmentOptions, assess
from epicommons.assess.track import checked_past, score_forecasts, summary
from epicommons.cli import main
from epicommons.errors import InputError

DAY = datetime.date
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)  # the median and the 50% and 90% intervals


def counts(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """A checked long triangle (location, reference_date, report_date, count)."""
    frame = pd.DataFrame(rows, columns=["location", "reference_date", "report_date", "count"])
    last = max(DAY.fromisoformat(r) for r in frame["report_date"])
    inputs = AssessmentInputs(last, tuple(sorted(set(frame["location"]))), frame,
                              pd.DataFrame(columns=["location", "item", "quantity", "date"]),
                              pd.DataFrame(columns=["donor", "item", "pledged", "delivered"]),
                              population={m: 1e6 for m in frame["location"]})  # fmt: skip
    return inputs.checked().counts


def forecast(as_of: str, end: str, values, model="renewal", location="AAA", horizon=1):
    """One weekly forecast's quantile rows."""
    return pd.DataFrame(
        {
            "as_of": as_of,
            "location": location,
            "model": model,
            "target_end_date": end,
            "horizon": horizon,
            "quantile": LEVELS,
            "value": values,
        }
    )


def week(location: str, end: str, total: float, report: str | None = None) -> list:
    """A week ending `end` with `total` cases, all on its last day, reported that day."""
    return [(location, end, report or end, total)]


def history(location: str = "AAA") -> list:
    """Zero counts from 2020-11-01, so every later week lies in the history."""
    return [(location, "2020-11-01", "2020-11-01", 0)]


def test_wis_of_a_known_forecast_against_its_hand_computed_value():
    """Quantiles 10, 40, 50, 60, 90 and 100 observed: |y - m|/2 = 25; the 50% interval
    [40, 60] scores IS = 20 + 4 × 40 = 180, weighted 0.25 → 45; the 90% interval [10, 90] scores
    IS = 80 + 20 × 10 = 280, weighted 0.05 → 14; WIS = (25 + 45 + 14) / 2.5 = 33.6, of which
    dispersion (0.25 × 20 + 0.05 × 80) / 2.5 = 3.6 and underprediction (25 + 40 + 10) / 2.5 = 30."""
    truth = counts(history() + week("AAA", "2020-11-15", 100))
    past = checked_past(
        forecast("2020-11-08", "2020-11-15", [10, 40, 50, 60, 90]), DAY(2020, 11, 22)
    )
    (row,) = score_forecasts(past, truth, DAY(2020, 11, 22), ["AAA"]).to_dict("records")
    assert row["observed"] == 100
    assert row["wis"] == pytest.approx(33.6)
    assert row["dispersion"] == pytest.approx(3.6)
    assert row["underprediction"] == pytest.approx(30.0)
    assert row["overprediction"] == 0.0
    assert row["abs_error"] == 50.0
    assert (row["covered_50"], row["covered_90"]) == (False, False)
    assert row["as_of"] == DAY(2020, 11, 8) and row["target_end_date"] == DAY(2020, 11, 15)


def test_a_perfect_forecast_scores_zero_and_covers():
    truth = counts(history() + week("AAA", "2020-11-15", 70))
    past = checked_past(forecast("2020-11-08", "2020-11-15", [70] * 5), DAY(2020, 11, 15))
    (row,) = score_forecasts(past, truth, DAY(2020, 11, 15), ["AAA"]).to_dict("records")
    assert row["wis"] == 0.0 and row["abs_error"] == 0.0
    assert (row["covered_50"], row["covered_90"]) == (True, True)


def test_a_week_not_yet_complete_is_never_scored_and_late_reports_do_not_leak():
    """A forecast for the week ending 11-15 is not scored as of 11-14 (its last day is not
    known); as of 11-15 it is, on the 30 cases reported by then, not on the 50 reported on
    11-17; as of 11-17 on all 80. The same forecast, the same quantiles."""
    rows = history() + week("AAA", "2020-11-15", 30) + [("AAA", "2020-11-15", "2020-11-17", 50)]
    fc = forecast("2020-11-08", "2020-11-15", [10, 40, 50, 60, 90])
    for as_of, observed in (
        (DAY(2020, 11, 14), None),
        (DAY(2020, 11, 15), 30),
        (DAY(2020, 11, 17), 80),
    ):
        known = [r for r in rows if DAY.fromisoformat(r[2]) <= as_of]
        got = score_forecasts(checked_past(fc, as_of), counts(known), as_of, ["AAA"])
        assert list(got["observed"]) == ([] if observed is None else [observed]), as_of
    # a week that starts before the member's first reported day is not a complete week either
    short = counts(week("AAA", "2020-11-13", 5) + week("AAA", "2020-11-15", 30))
    assert score_forecasts(
        checked_past(fc, DAY(2020, 11, 16)), short, DAY(2020, 11, 16), ["AAA"]
    ).empty


def test_relative_wis_is_the_ratio_of_mean_wis_on_the_targets_both_forecast():
    """Two targets: the model's WIS 33.6 and 0 (mean 16.8), the baseline's 33.6 and 4.688;
    relative WIS 16.8 / 19.144. A third target only the model forecast (all zeros against 50:
    (25 + 0.25 × 200 + 0.05 × 1000) / 2.5 = 50) is not part of the comparison."""
    truth = counts(history() + week("AAA", "2020-11-15", 100) + week("AAA", "2020-11-22", 50))
    off = [10, 40, 50, 60, 90]  # WIS 33.6 against 100, as above
    exact = [50, 50, 50, 50, 50]
    past = pd.concat(
        [
            forecast("2020-11-08", "2020-11-15", off),
            forecast("2020-11-08", "2020-11-15", off, model="baseline"),
            forecast("2020-11-15", "2020-11-22", exact),
            forecast("2020-11-15", "2020-11-22", [-17.2, 40, 50, 60, 117.2], model="baseline"),
            forecast("2020-11-08", "2020-11-22", [0, 0, 0, 0, 0], horizon=2),  # no baseline
        ]
    )
    scores = score_forecasts(
        checked_past(past, DAY(2020, 11, 29)), truth, DAY(2020, 11, 29), ["AAA"]
    )
    # the baseline's second forecast: dispersion (0.25 × 20 + 0.05 × 134.4) / 2.5 = 4.688
    assert scores["wis"].round(6).tolist() == [33.6, 33.6, 50.0, 4.688, 0.0]
    table = summary(scores, by=())
    model = table[table["model"] == "renewal"].iloc[0]
    assert model["wis"] == pytest.approx(16.8) and model["n"] == 2
    assert model["baseline_wis"] == pytest.approx((33.6 + 4.688) / 2)
    assert model["relative_wis"] == pytest.approx(16.8 / ((33.6 + 4.688) / 2))
    assert model["members"] == "AAA"
    assert list(table["model"]) == ["renewal", "baseline"]  # the reference last


def test_bad_past_forecasts_are_refused_with_what_is_wrong():
    fc = forecast("2020-11-08", "2020-11-15", [10, 40, 50, 60, 90])
    with pytest.raises(InputError, match="not before this assessment's as-of date 2020-11-08"):
        checked_past(fc, DAY(2020, 11, 8))
    with pytest.raises(InputError, match="given twice"):
        checked_past(pd.concat([fc, fc]), DAY(2020, 11, 20))
    bad = fc.assign(value=["10", "x", "50", "60", "90"])
    with pytest.raises(InputError) as err:
        checked_past(bad, DAY(2020, 11, 20))
    assert (err.value.field, err.value.line) == ("value", 3) and "'x'" in err.value.message
    with pytest.raises(InputError, match="as of 2020-11-08 have no median"):
        checked_past(fc[fc["quantile"] != 0.5], DAY(2020, 11, 20))
    with pytest.raises(InputError, match="missing horizon"):
        checked_past(fc.drop(columns="horizon"), DAY(2020, 11, 20))


MEMBERS = ("AUT", "BEL", "TON")
OPTIONS = AssessmentOptions(runs=5, nowcast_paths=100, forecast_samples=200)
FIRST, SECOND = DAY(2020, 11, 10), DAY(2020, 12, 1)


@pytest.fixture(scope="module")
def triangle(shared_data):
    return data.triangle(shared_data)


@pytest.fixture(scope="module")
def first(triangle):
    return assess(data.inputs(triangle, FIRST, MEMBERS), OPTIONS)


def test_each_forecast_table_keeps_the_baseline_beside_the_chosen_model(first):
    fc = first.tables["forecast"]
    models = fc.groupby(["location", "model"])["chosen"].agg(["all", "size"])
    # Tonga's counts are too sparse for the renewal model: the baseline is its forecast
    assert models.index.tolist() == [("AUT", "baseline"), ("AUT", "renewal"), ("BEL", "baseline"),
                                     ("BEL", "renewal"), ("TON", "baseline")]  # fmt: skip
    assert models["all"].tolist() == [False, True, False, True, True]
    assert (models["size"] == OPTIONS.forecast_weeks * len(OPTIONS.quantiles)).all()
    # the Hubs' baseline: its median is the last corrected week at every horizon
    curve = first.tables["curve"]
    base = fc[(fc["model"] == "baseline") & (fc["quantile"] == 0.5)]
    for code in MEMBERS:
        last = curve[curve["location"] == code]["corrected"].tail(7).sum()
        assert np.allclose(base[base["location"] == code]["value"], last), code


def test_a_later_assessment_scores_the_earlier_forecasts_on_the_counts_known_then(first, triangle):
    past = first.tables["forecast"].assign(as_of=FIRST)
    inputs = data.inputs(triangle, SECOND, MEMBERS)
    second = assess(inputs, OPTIONS, past_forecasts=past)
    scores = second.tables["forecast_scores"]
    # weeks ending 11-17, 11-24 and 12-01 have ended by 12-01; the fourth (12-08) has not
    assert sorted(set(scores["target_end_date"])) == [DAY(2020, 11, 17), DAY(2020, 11, 24), SECOND]
    assert sorted(set(scores["horizon"])) == [1, 2, 3]
    assert len(scores) == 3 * 5  # AUT, BEL: two models; TON: the baseline
    # observed: the week's counts as reported by 12-01 (summed here from the triangle itself)
    known = data.as_known(triangle, SECOND)
    known = known[known["location"].isin(MEMBERS)].assign(
        day=lambda f: pd.to_datetime(f["reference_date"])
    )
    for row in scores.itertuples():
        end = pd.Timestamp(row.target_end_date)
        days = known[(known["location"] == row.location) & (known["day"] > end - pd.Timedelta(days=7))
                     & (known["day"] <= end)]  # fmt: skip
        assert row.observed == days["count"].sum(), row
    assert (scores.loc[scores["location"] == "TON", "wis"] == 0).all()  # zeros forecast, zeros seen
    # the earlier forecasts are inputs: in the stamp; the same inputs give the same scores
    assert second.input_stamp != inputs.checked().stamp()
    again = assess(inputs, OPTIONS, past_forecasts=past.sample(frac=1.0, random_state=3))
    assert again.input_stamp == second.input_stamp
    pd.testing.assert_frame_equal(again.tables["forecast_scores"], scores)


def test_the_command_scores_the_folders_given_with_past(first, triangle, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    triangle[triangle["location"].isin(MEMBERS)].to_csv(
        data_dir / "counts.csv", index=False, date_format="%Y-%m-%d"
    )
    (data_dir / "assessment.toml").write_text(
        f"[assessment]\nas_of = {SECOND}\nmembers = {list(MEMBERS)!r}\nruns = 5\n"
        "nowcast_paths = 100\nforecast_samples = 200\n".replace("'", '"'),
        encoding="utf-8",
    )
    earlier = tmp_path / "earlier"
    first.write(earlier)
    out = tmp_path / "out"
    assert (
        main(["assess", str(data_dir), "--out", str(out), "--past", str(earlier), "--quiet"]) == 0
    )
    scores = pd.read_csv(out / "forecast_scores.csv")
    assert len(scores) == 15 and set(scores["as_of"]) == {str(FIRST)}
    # an earlier folder of the same or a later date, or one that is not an assessment's: exit 2
    for bad, message in ((out, "not before"), (data_dir, "assessment.json")):
        again = tmp_path / "again"
        code = main(["assess", str(data_dir), "--out", str(again), "--past", str(bad), "--quiet"])
        assert code == 2 and not again.exists(), message
    meta = json.loads((earlier / "assessment.json").read_text())
    assert meta["tables"]["forecast_scores"] == 0  # the first had nothing earlier to score
