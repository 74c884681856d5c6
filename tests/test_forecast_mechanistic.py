"""The mechanistic model as a forecaster, and a calibration's track record on its own recent
past: judged against the later data and the Forecast Hub baseline, never against themselves.
Growth that goes on (which the model must win) and growth that stops dead (which it must lose,
the flat baseline being right) are made by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epicommons.forecast.evaluate import EvaluationSpec, forecasts_at, relative_wis, score
from epicommons.forecast.series import Observed
from epicommons.forecast.track import calibration_record

START = np.datetime64("2020-09-06")  # a Sunday
SPEC = EvaluationSpec(models=("mechanistic",), baseline_samples=5000)


def _growth(days: int, stop: int | None = None) -> Observed:
    """Daily cases growing 4% a day (Poisson noise); from day `stop` on, flat at that level."""
    gen = np.random.default_rng(11)
    t = np.arange(days)
    mean = 300.0 * np.exp(0.04 * (t if stop is None else np.minimum(t, stop)))
    return Observed("ITA", START + t.astype("timedelta64[D]"), gen.poisson(mean).astype(float))


def test_the_mechanistic_model_follows_growth_the_flat_baseline_misses():
    s = _growth(120)
    origin = START + np.timedelta64(90, "D")  # a Saturday
    truth_ends, truth = s.weekly()
    scores = pd.concat([score(fc, truth_ends, truth) for fc in forecasts_at(s, origin, SPEC)])
    rel = relative_wis(scores).set_index("model")["relative_wis"]
    assert rel["mechanistic"] < 0.5
    # and nothing after the origin is seen
    later = s.dates > origin
    changed = Observed(s.country, s.dates, np.where(later, 0.0, s.counts))
    a, b = forecasts_at(s, origin, SPEC)[1], forecasts_at(changed, origin, SPEC)[1]
    assert np.array_equal(a.weekly_quantiles, b.weekly_quantiles)


SCENARIO = """name = "hand-made"
start = 2020-09-06
days = 120
seed = 3
engine = "deterministic"
[network]
source = "builtin"
level = "country"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 1.5
sigma = 0.4
gamma = 0.333
[[seeds]]
country = "ITA"
count = 10
[calibration]
countries = ["ITA"]
fit_start = 2020-09-20
fit_end = 2020-12-05
change_points = [2020-10-04]
forecast_days = 14
particles = 50
starts = 2
[calibration.fit.R0]
prior = "uniform"
low = 0.5
high = 4.0
[calibration.fit.change]
prior = "uniform"
low = 0.2
high = 3.0
[calibration.fit.seed_size]
prior = "loguniform"
low = 10
high = 1000000
[calibration.fixed]
reporting = 0.3
dispersion = 50
"""


def _record(tmp_path: Path, s: Observed):
    from epicommons.calibrate.spec import parse
    from epicommons.surveillance import read_cases

    csv = tmp_path / "cases.csv"
    pd.DataFrame({"country": "ITA", "date": s.dates, "cases": s.counts}).to_csv(csv, index=False)
    scenario, spec = parse(SCENARIO)
    return calibration_record(scenario, spec, read_cases(csv))


def test_no_warning_when_the_calibrated_model_beats_the_baseline(tmp_path: Path):
    record = _record(tmp_path, _growth(100))
    assert record.origins == ["2020-11-28", "2020-11-21", "2020-11-14"]
    assert record.relative_wis < 1
    assert record.warning("the calibrated model") is None


def test_the_warning_fires_when_the_growth_stopped_and_the_baseline_was_right(tmp_path: Path):
    record = _record(tmp_path, _growth(100, stop=69))  # flat from 2020-11-14 on
    assert record.relative_wis > 1
    warning = record.warning("the calibrated model")
    assert warning and "worse than the baseline on its recent past: relative WIS" in warning
    assert f"{record.relative_wis:.2f}" in warning


def test_a_fit_window_too_short_to_refit_is_an_input_error(tmp_path: Path):
    from epicommons.calibrate.spec import parse
    from epicommons.errors import InputError
    from epicommons.surveillance import read_cases

    s = _growth(100)
    csv = tmp_path / "cases.csv"
    pd.DataFrame({"country": "ITA", "date": s.dates, "cases": s.counts}).to_csv(csv, index=False)
    text = SCENARIO.replace("fit_end = 2020-12-05", "fit_end = 2020-10-10")
    scenario, spec = parse(text.replace("fit_start = 2020-09-20", "fit_start = 2020-10-05"))
    with pytest.raises(InputError, match="no earlier weekly origin"):
        calibration_record(scenario, spec, read_cases(csv))
