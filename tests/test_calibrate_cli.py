"""`epicommons calibrate` end to end on engine-generated reports in a tidy CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from epicommons.calibrate import build_problem
from epicommons.calibrate.spec import parse
from epicommons.calibrate.synthetic import blank_data, synthetic_data
from epicommons.cli import main

SCENARIO = """
start = 2020-02-01
days = 40
seed = 5
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.0
[[seeds]]
where = "ITA"
count = 20
[calibration]
countries = ["ITA", "AUT"]
fit_start = 2020-02-05
fit_end = 2020-03-01
forecast_days = 10
particles = 200
max_generations = 4
forecast_runs = 60
starts = 1
[calibration.fit.R0]
low = 1.0
high = 3.0
per_country = true
[calibration.fixed]
seed_day = 1
"""


@pytest.mark.slow
def test_calibrate_writes_posterior_plots_and_forecast(tmp_path):
    scenario, spec = parse(SCENARIO)
    blank = build_problem(scenario, spec, blank_data(spec.countries, scenario.start, 45))
    data = synthetic_data(blank, np.array([2.4, 1.7]), run=3).table
    csv = tmp_path / "cases.csv"
    data[["country", "date", "cases"]].assign(date=data["date"].dt.date).to_csv(csv, index=False)
    scen = tmp_path / "fit.toml"
    scen.write_text(SCENARIO)
    out = tmp_path / "out"
    code = main(["calibrate", str(scen), "--data", str(csv), "--out", str(out), "--quiet"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "posterior.parquet",
        "forecast.parquet",
        "scores.parquet",
        "fit.png",
        "fit.svg",
    } <= names
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == ["R0[ITA]", "R0[AUT]", "weight", "distance"]
    assert abs(post["weight"].sum() - 1) < 1e-9
    summary = json.loads((out / "calibration.json").read_text())
    mle = summary["point_estimate"]["values"]
    assert abs(mle["R0[ITA]"] - 2.4) < 0.15 and abs(mle["R0[AUT]"] - 1.7) < 0.3
    # the posterior is regression-adjusted by default: one more batch of `particles` runs
    assert summary["regression_adjustment"]["simulations"] == 200
    # convergence is stored, and agrees with the generations table; never a silent forecast
    gens = pd.read_csv(out / "generations.csv")
    diag = summary["diagnostics"]
    limit_hit = len(gens) == 4 and gens["acceptance"].iloc[-1] >= 0.02
    assert diag["stopped"] == ("generation limit" if limit_hit else "tolerance reached")
    assert diag["converged"] == (diag["problems"] == [])
    expected = "posterior" if diag["converged"] else ("laplace", "point")
    assert summary["forecast_from"] in expected and summary["forecast_reason"]
    # data made by the model itself: refitted at earlier origins it beats the flat baseline
    record = summary["recent_track_record"]
    assert record["relative_wis"] < 1 and len(record["origins"]) >= 1
    assert not any("recent past" in w for w in summary["warnings"])
    fc = pd.read_parquet(out / "forecast.parquet")
    assert fc["horizon"].max() == 10 and set(fc["country"]) == {"ITA", "AUT"}
    assert (fc["q0.05"] <= fc["q0.5"]).all() and (fc["q0.5"] <= fc["q0.95"]).all()
    # a second run replaces the folder; a foreign folder is refused with exit 2
    assert main(["calibrate", str(scen), "--data", str(csv), "--out", str(out), "--quiet"]) == 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    assert main(["calibrate", str(scen), "--data", str(csv), "--out", str(foreign), "-q"]) == 2
    assert (foreign / "keep.txt").exists()
    # `regression_adjustment = false` in the TOML reaches the sampler
    raw = tmp_path / "raw.toml"
    raw.write_text(SCENARIO.replace("starts = 1\n", "starts = 1\nregression_adjustment = false\n"))
    assert main(["calibrate", str(raw), "--data", str(csv), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "calibration.json").read_text())["regression_adjustment"] is None
