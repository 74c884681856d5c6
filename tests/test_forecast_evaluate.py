"""Rolling-origin evaluation: no model sees data after its origin, scores are those of the
definitions, the ensemble is the quantile average, and `forecast-evaluate` end to end on real
JHU and RESPINOW data (tables, exit status 2 on bad input, the report in chromium)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.forecast.ensemble import quantile_average
from epicommons.forecast.evaluate import (
    EvaluationSpec,
    evaluate,
    forecast_origins,
    forecasts_at,
    recent_record,
    relative_wis,
)
from epicommons.forecast.series import Observed
from epicommons.forecast.weekly_file import read_weekly
from epicommons.scoring import weighted_interval_score

SPEC = EvaluationSpec(models=("renewal", "ensemble"), baseline_samples=5000)


def _synthetic(days: int = 200) -> Observed:
    gen = np.random.default_rng(7)
    t = np.arange(days)
    mean = 2000 * np.exp(0.8 * np.sin(t / 25.0))
    dates = np.datetime64("2020-03-01") + t.astype("timedelta64[D]")
    return Observed("ITA", dates, gen.poisson(mean).astype(float))


def test_origins_are_week_ends_every_n_weeks():
    o = forecast_origins(np.datetime64("2020-04-01"), np.datetime64("2020-06-30"), 4)
    assert o.astype(str).tolist() == ["2020-04-04", "2020-05-02", "2020-05-30", "2020-06-27"]
    with pytest.raises(InputError, match="no week end"):
        forecast_origins(np.datetime64("2020-04-05"), np.datetime64("2020-04-06"), 1)


def test_no_model_sees_the_data_after_its_origin():
    s = _synthetic()
    origin = np.datetime64("2020-06-27")
    later = s.dates > origin
    changed = Observed(s.country, s.dates, np.where(later, s.counts * 10 + 5, s.counts))
    for a, b in zip(
        forecasts_at(s, origin, SPEC), forecasts_at(changed, origin, SPEC), strict=True
    ):
        assert a.model == b.model
        assert np.array_equal(a.weekly_quantiles, b.weekly_quantiles)


def test_scores_follow_the_definitions_and_the_ensemble_averages_quantiles():
    s = _synthetic()
    origins = forecast_origins(np.datetime64("2020-05-01"), np.datetime64("2020-07-31"), 4)
    scores = evaluate([s], origins, SPEC)
    assert set(scores["model"]) == {"baseline", "renewal", "ensemble"}
    levels = [c for c in scores.columns if c.startswith("q")]
    row = scores.iloc[5]
    q = {float(c[1:]): np.array(row[c]) for c in levels}
    assert row["wis"] == pytest.approx(float(weighted_interval_score(q, row["observed"])))
    parts = row[["dispersion", "overprediction", "underprediction"]].sum()
    assert parts == pytest.approx(row["wis"])
    key = ["country", "origin", "horizon"]
    wide = scores.set_index([*key, "model"])[levels].unstack("model")
    for c in levels:
        mean = (wide[(c, "renewal")] + wide[(c, "baseline")]) / 2
        assert wide[(c, "ensemble")].to_numpy() == pytest.approx(mean.to_numpy())
    rel = relative_wis(scores).set_index("model")
    by_hand = (
        scores[scores.model == "renewal"]["wis"].mean()
        / scores[scores.model == "baseline"]["wis"].mean()
    )
    assert rel.loc["renewal", "relative_wis"] == pytest.approx(by_hand)
    assert rel.loc["baseline", "relative_wis"] == 1.0
    with pytest.raises(InputError, match="different targets"):
        fcs = forecasts_at(s, origins[0], SPEC)
        later = forecasts_at(s, origins[1], SPEC)
        quantile_average([fcs[0], later[1]])


def test_weekly_weeks_and_origins_must_end_on_the_same_day(shared_data: Path, tmp_path, capsys):
    sari = shared_data / "respinow_de" / "SARI__latest_data-SARI-sari.csv"
    argv = ["forecast-evaluate", str(sari), "--from", "2023-10-01", "--to", "2023-12-31"]
    out = tmp_path / "o"
    assert main([*argv, "--out", str(out), "--quiet"]) == 2  # epi weeks end on Saturdays
    assert "weeks end on Sundays, the origins on Saturdays: choose --week iso" in " ".join(
        capsys.readouterr().err.split()
    )
    assert not out.exists()


def test_weekly_reader_on_real_sari_data_and_its_errors(shared_data: Path, tmp_path: Path):
    path = shared_data / "respinow_de" / "SARI__latest_data-SARI-sari.csv"
    (series,) = read_weekly(path)
    assert series.country == "DEU" and series.step_days == 7
    assert str(series.dates[0]) == "2014-10-05" and series.counts[0] == 6734  # first data row
    bad = tmp_path / "bad.csv"
    bad.write_text("date,value\n2024-01-07,5\n2024-01-14,x\n")
    with pytest.raises(InputError, match=r"bad.csv, line 3, field 'value': expected a number"):
        read_weekly(bad)
    bad.write_text("date,value\n2024-01-07,5\n2024-01-21,6\n")
    with pytest.raises(InputError, match=r"line 3, field 'date': expected weeks 7 days apart"):
        read_weekly(bad)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, shared_data: Path) -> tuple[Path, Path, int]:
    out = tmp_path_factory.mktemp("fc") / "eval"
    report = out.parent / "report.html"
    jhu = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    status = main(
        [
            "forecast-evaluate", str(jhu), "--country", "Italy,ESP", "--model", "renewal,ensemble",
            "--from", "2020-10-01", "--to", "2021-01-31", "--every", "8w", "--out", str(out),
            "--report", str(report), "--quiet",
        ]
    )  # fmt: skip
    return out, report, status


def test_forecast_evaluate_writes_the_tables(evaluated):
    out, report, status = evaluated
    assert status == 0
    scores = pd.read_parquet(out / "scores.parquet")
    # origins 2020-10-03, 11-28, 2021-01-23 x 2 countries x 4 horizons x 3 models
    assert len(scores) == 3 * 2 * 4 * 3
    assert set(scores["country"]) == {"ITA", "ESP"}
    meta = json.loads((out / "evaluation.json").read_text())
    assert meta["origins"] == ["2020-10-03", "2020-11-28", "2021-01-23"]
    by_h = pd.read_csv(out / "relative_wis_by_horizon.csv")
    assert by_h[by_h.model == "baseline"]["relative_wis"].eq(1.0).all()
    assert ((by_h["coverage_90"] >= 0) & (by_h["coverage_90"] <= 1)).all()


def test_the_report_renders_offline_in_chromium(evaluated, offline_page):
    _, report, _ = evaluated
    page, errors, refused = offline_page
    page.goto(report.as_uri())
    assert page.locator("figure svg").count() == 2 + 2  # two bar charts, a fan per country
    assert "relative WIS" in page.inner_text("body")
    assert errors == [] and refused == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "0w"], "--every"),
        (["--model", "arima"], "unknown model 'arima'"),
        (["--from", "2021-13-01"], "expected a date"),
        (["--country", "Atlantis"], "unknown country"),
        (["--week", "month"], "expected epi or iso"),
        (["--to", "2024-01-31"], "the data end on 2023-03-09, before the last origin"),
        (["--from", "2020-01-25"], "the first origin must leave 14 days of data"),
    ],
)
def test_bad_input_exits_with_status_2_and_writes_nothing(
    args, message, shared_data: Path, tmp_path: Path, capsys
):
    jhu = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    base = {"--from": "2020-10-01", "--to": "2020-11-30", "--country": "ITA", "--every": "4w"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = ["forecast-evaluate", str(jhu), "--out", str(tmp_path / "o"), "--quiet"]
    for k, v in base.items():
        argv += [k, v]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_out_path_that_is_a_file_is_refused_before_any_work(shared_data: Path, tmp_path: Path):
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    jhu = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    argv = ["forecast-evaluate", str(jhu), "--country", "ITA", "--from", "2020-10-01"]
    argv += ["--to", "2020-11-30", "--out", str(target), "--quiet"]
    assert main(argv) == 2
    assert target.read_text() == "keep me"


def test_forecast_writes_paths_daily_and_weekly_quantiles(shared_data: Path, tmp_path: Path):
    jhu = shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
    out = tmp_path / "ita"
    argv = ["forecast", str(jhu), "--country", "ITA", "--model", "renewal,ensemble"]
    assert main([*argv, "--date", "2021-03-10", "--out", str(out), "--quiet"]) == 0
    meta = json.loads((out / "forecast.json").read_text())
    assert meta["origin"] == "2021-03-06"  # the last Saturday on or before the date
    weekly = pd.read_parquet(out / "weekly.parquet")
    paths = pd.read_parquet(out / "paths.parquet")
    assert set(weekly["model"]) == {"renewal", "ensemble"} and len(weekly) == 8
    # the renewal model's weekly quantiles are quantiles of the weekly sums of its paths
    paths["week_end"] = paths["date"] + pd.to_timedelta((5 - paths["date"].dt.weekday) % 7, "D")
    sums = paths.groupby(["sample", "week_end"])["value"].sum().unstack()
    mine = weekly[weekly.model == "renewal"].set_index("week_end")
    assert sums.quantile(0.9).to_numpy() == pytest.approx(mine["q0.9"].to_numpy())
    assert str(paths["date"].min().date()) == "2021-03-07"
    assert len(pd.read_parquet(out / "daily.parquet")) == 28


def test_forecast_warns_when_the_model_lost_to_the_baseline_on_its_recent_past(
    tmp_path: Path, capsys
):
    # daily counts that alternate week by week between 1,000 and 3,000: a trend fitted to the
    # last two weeks points the wrong way every time, the flat baseline does not
    dates = pd.date_range("2021-01-03", periods=7 * 30, freq="D")  # Sunday ... Saturday
    level = np.where((np.arange(dates.size) // 7) % 2 == 0, 1000.0, 3000.0)
    csv = tmp_path / "zigzag.csv"
    pd.DataFrame({"country": "ITA", "date": dates.date, "cases": level}).to_csv(csv, index=False)
    out = tmp_path / "fc"
    assert main(["forecast", str(csv), "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # as read, whatever the wrapping
    meta = json.loads((out / "forecast.json").read_text())
    (record,) = meta["recent_track_record"]
    assert record["model"] == "renewal" and record["n"] == 8 * 4
    assert record["relative_wis"] > 1
    assert "renewal is worse than the baseline on its recent past: relative WIS" in printed
    assert meta["warnings"] and "relative WIS" in meta["warnings"][0]


def test_no_warning_when_the_model_beat_the_baseline_on_its_recent_past(tmp_path: Path, capsys):
    # steady growth of 3% a day: the trend carries on, the flat baseline lags behind it
    dates = pd.date_range("2021-01-03", periods=7 * 30, freq="D")
    level = 500.0 * np.exp(0.03 * np.arange(dates.size))
    csv = tmp_path / "growth.csv"
    pd.DataFrame({"country": "ITA", "date": dates.date, "cases": level}).to_csv(csv, index=False)
    out = tmp_path / "fc"
    assert main(["forecast", str(csv), "--out", str(out)]) == 0
    meta = json.loads((out / "forecast.json").read_text())
    (record,) = meta["recent_track_record"]
    assert record["relative_wis"] < 1
    assert meta["warnings"] == []
    assert "worse than the baseline" not in capsys.readouterr().out


def test_the_recent_record_uses_only_data_known_at_the_origin():
    s = _synthetic()
    origin = np.datetime64("2020-08-01")
    later = s.dates > origin
    changed = Observed(s.country, s.dates, np.where(later, 0.0, s.counts))
    a = recent_record([s], origin, SPEC)
    b = recent_record([changed], origin, SPEC)
    pd.testing.assert_frame_equal(a, b)
