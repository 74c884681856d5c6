"""The Forecast Hub baseline against its definition (covidModels' quantile_baseline), worked by
hand on two small series; the numbers in the comments are the expected values."""

from __future__ import annotations

import numpy as np
import pytest

from epicommons.errors import InputError
from epicommons.forecast.baseline import baseline_forecast, baseline_paths


def _quantiles(paths: np.ndarray, h: int, levels: list[float]) -> np.ndarray:
    return np.quantile(paths[:, h - 1], levels)


def test_horizon_one_is_the_last_week_plus_the_symmetrised_differences():
    # weekly 100, 120, 110, 150: differences 20, -10, 40; symmetrised and sorted
    # D = -40, -20, -10, 10, 20, 40 (n = 6). R's type-7 quantile at p sits at position 5p:
    #   p 0.025 -> 0.125: -40 + 0.125 * 20 = -37.5      p 0.1  -> 0.5:  -40 + 0.5 * 20 = -30
    #   p 0.25  -> 1.25:  -20 + 0.25 * 10  = -17.5      p 0.5  -> 2.5:  -10 + 0.5 * 20 = 0
    #   p 0.75  -> 3.75:   10 + 0.75 * 10  =  17.5      p 0.975 -> 4.875: 20 + 0.875 * 20 = 37.5
    # plus the last week, 150:
    paths = baseline_paths(np.array([100.0, 120.0, 110.0, 150.0]), horizons=4)
    levels = [0.025, 0.1, 0.25, 0.5, 0.75, 0.975]
    expected = [112.5, 120.0, 132.5, 150.0, 167.5, 187.5]
    assert _quantiles(paths, 1, levels) == pytest.approx(expected, abs=1e-6)
    # the median is the last week at every horizon; the spread grows with the horizon
    widths = []
    for h in (2, 3, 4):
        assert np.median(paths[:, h - 1]) == pytest.approx(150.0, abs=1e-9)
        lo, hi = _quantiles(paths, h, [0.025, 0.975])
        widths.append(hi - lo)
    assert 75.0 < widths[0] < widths[1] < widths[2]


def test_non_negative_and_horizon_two_is_a_triangular_sum():
    # weekly 6, 2: one difference -4, symmetrised D = (-4, 4); its type-7 quantile function
    # -4 + 8p is that of a uniform U(-4, 4).
    # Horizon 1: max(2 - 4 + 8p, 0): p 0.1 -> 0 (-1.2 cut at 0), 0.25 -> 0, 0.3 -> 0.4,
    #   0.5 -> 2, 0.9 -> 5.2.
    # Horizon 2: 2 + U1 + U2 with U1 + U2 triangular on [-8, 8] (median 0, so no shift);
    #   its quantile is -8 + 8 sqrt(2p) below the median and 8 - 8 sqrt(2(1-p)) above:
    #   p 0.1 -> -4.42 -> 0 (cut); p 0.25 -> -2.343 -> 0 (cut); p 0.4 -> -0.845 -> 1.155;
    #   p 0.75 -> 2.343 -> 4.343; p 0.975 -> 6.211 -> 8.211.
    paths = baseline_paths(np.array([6.0, 2.0]), horizons=2)
    assert (paths >= 0).all()
    h1 = _quantiles(paths, 1, [0.1, 0.25, 0.3, 0.5, 0.9])
    assert h1 == pytest.approx([0.0, 0.0, 0.4, 2.0, 5.2], abs=1e-4)
    h2 = _quantiles(paths, 2, [0.1, 0.25, 0.4, 0.5, 0.75, 0.975])
    # 100,000 paired samples: sampling error of these quantiles is about 0.02
    assert h2 == pytest.approx([0.0, 0.0, 1.155, 2.0, 4.343, 8.211], abs=0.1)


def test_forecast_dates_levels_and_too_short_a_series():
    ends = np.array(["2020-04-04", "2020-04-11", "2020-04-18"], dtype="datetime64[D]")
    fc = baseline_forecast(np.array([5.0, 9.0, 7.0]), ends, country="ITA")
    assert fc.week_ends.astype(str).tolist() == [
        "2020-04-25",
        "2020-05-02",
        "2020-05-09",
        "2020-05-16",
    ]
    assert len(fc.levels) == 23 and fc.weekly_quantiles.shape == (23, 4)
    assert (np.diff(fc.weekly_quantiles, axis=0) >= 0).all()  # quantiles do not cross
    with pytest.raises(InputError, match="at least two observed weeks"):
        baseline_paths(np.array([3.0]))
