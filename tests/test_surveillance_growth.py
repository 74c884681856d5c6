"""Growth rate and doubling time: exact exponentials and the Euler–Lotka relation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.surveillance import (
    discr_si,
    doubling_time,
    estimate_rt,
    growth_from_incidence,
    growth_from_rt,
    growth_rate_from_r,
    loglinear_growth,
)

W = discr_si(np.arange(200), 4.7, 2.9)
K = np.arange(200)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.05, 20.0))
def test_growth_rate_solves_euler_lotka(r_value: float) -> None:
    """Wallinga & Lipsitch (2007): R = 1 / Σ w_k e^{-rk}."""
    r = growth_rate_from_r(np.array([r_value]), W)[0]
    assert np.isclose(1.0 / np.sum(W * np.exp(-r * K)), r_value, rtol=1e-10)


def test_growth_rate_is_monotone_with_special_values() -> None:
    r = growth_rate_from_r(np.array([0.0, 0.5, 1.0, 2.0, np.nan]), W)
    assert r[0] == -np.inf and np.isnan(r[4])
    assert r[1] < r[2] < r[3] and abs(r[2]) < 1e-9


def test_loglinear_fit_of_an_exponential_is_exact() -> None:
    rate = np.log(2) / 3.5  # doubling every 3.5 days
    incidence = 50 * np.exp(rate * np.arange(40))
    fit = loglinear_growth(incidence[None, :], smooth=7, window=14)
    valid = ~np.isnan(fit["r"][0])
    np.testing.assert_allclose(fit["r"][0][valid], rate, rtol=1e-10)
    frame = growth_from_incidence(incidence)
    np.testing.assert_allclose(frame["doubling_time"].dropna(), 3.5, rtol=1e-9)


def test_loglinear_interval_covers_the_truth_under_poisson_noise() -> None:
    """400 independent Poisson series: the 95% interval of one window covers r about 95%."""
    rng = np.random.default_rng(7)
    rate = 0.05
    incidence = rng.poisson(2000 * np.exp(rate * np.arange(50)), size=(400, 50)).astype(float)
    fit = loglinear_growth(incidence, window=21)
    lo, hi = fit["r_lower"][:, 10], fit["r_upper"][:, 10]
    coverage = np.mean((lo <= rate) & (rate <= hi))
    assert 0.92 <= coverage <= 0.98  # binomial sd at 400 draws: 1.1 points


def test_growth_from_rt_recovers_the_rate_of_an_exponential() -> None:
    rate = 0.06
    incidence = 1e8 * np.exp(rate * np.arange(100))
    rt = estimate_rt(incidence, si_mean=4.7, si_sd=2.9)
    growth = growth_from_rt(rt, discr_si(np.arange(100), 4.7, 2.9))
    late = growth[growth["t_start"] > 60]
    np.testing.assert_allclose(late["r"], rate, rtol=1e-5)
    assert (late["r_lower"] <= rate).all() and (late["r_upper"] >= rate).all()
    np.testing.assert_allclose(late["doubling_time"], np.log(2) / rate, rtol=1e-5)


def test_doubling_time_of_decline_is_infinite() -> None:
    assert list(doubling_time(np.array([-0.1, 0.0, np.log(2)]))) == [np.inf, np.inf, 1.0]


def test_growth_from_incidence_by_country(tmp_path) -> None:
    days = np.arange(30)
    table = pd.DataFrame(
        {
            "country": ["AAA"] * 30 + ["BBB"] * 30,
            "day": np.concatenate([days + 1, days + 1]),
            "cases": np.concatenate([10 * np.exp(0.1 * days), 1000 * np.exp(-0.05 * days)]),
        }
    )
    frame = growth_from_incidence(table, window=10)
    by = frame.dropna().groupby("country")["r"].mean()
    np.testing.assert_allclose(by.to_numpy(), [0.1, -0.05], rtol=1e-9)
