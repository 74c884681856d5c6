"""Cori estimator, serial interval and Wallinga–Teunis: analytic cases and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special

from epicommons.surveillance import Windows, cori_posterior, discr_si, estimate_rt
from epicommons.surveillance.gamma_quantiles import gamma_quantiles
from epicommons.surveillance.wallinga_teunis import wallinga_teunis


@pytest.mark.parametrize(("mean", "sd"), [(2.6, 1.5), (4.7, 2.9), (8.4, 3.8), (15.0, 9.0)])
def test_discr_si_has_the_gamma_mean(mean: float, sd: float) -> None:
    """Cori et al. (2013) appendix: the discretisation keeps the mean exactly and sums to 1."""
    w = discr_si(np.arange(600), mean, sd)
    assert w[0] == 0 and np.all(w >= 0)
    assert abs(w.sum() - 1) < 1e-9
    assert abs(np.sum(np.arange(600) * w) - mean) < 1e-8


def test_constant_incidence_has_closed_form_posterior() -> None:
    """I_t = c for all t: past the SI's support Λ_t = c Σw, so a = a0 + 7c, b = 1/(1/b0 + 7cΣw)."""
    c, mean_prior, sd_prior = 40.0, 5.0, 5.0
    w = np.array([0.0, 0.2, 0.5, 0.3])
    series = np.full((1, 30), c)
    windows = Windows(np.array([10, 20]), np.array([16, 26]))
    est = cori_posterior(series, np.zeros_like(series), w, windows)
    a0, b0 = (mean_prior / sd_prior) ** 2, sd_prior**2 / mean_prior
    a, b = a0 + 7 * c, 1 / (1 / b0 + 7 * c * w.sum())
    np.testing.assert_allclose(est.mean[0], a * b, rtol=1e-13)
    np.testing.assert_allclose(est.std[0], np.sqrt(a) * b, rtol=1e-13)
    np.testing.assert_allclose(est.quantiles[0, :, 3], special.gammaincinv(a, 0.5) * b, rtol=1e-12)


def test_exponential_growth_gives_the_euler_lotka_r() -> None:
    """I_t = A e^{rt}: Λ_t = I_t Σ w_k e^{-rk}, so R → 1 / M(-r) (Wallinga & Lipsitch 2007)."""
    r, n_days = 0.08, 120
    w = discr_si(np.arange(n_days), 4.7, 2.9)
    incidence = 1e9 * np.exp(r * np.arange(n_days))
    frame = estimate_rt(incidence, si_mean=4.7, si_sd=2.9)
    k = np.arange(n_days)
    expected = 1 / np.sum(w * np.exp(-r * k))
    late = frame[frame["t_start"] > 80]
    np.testing.assert_allclose(late["mean"], expected, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (3, 25), elements=st.integers(0, 500).map(float)),
    st.floats(1.5, 8.0),
    st.floats(0.5, 5.0),
)
def test_many_series_at_once_equal_one_at_a_time(cases: np.ndarray, mean: float, sd: float) -> None:
    w = discr_si(np.arange(25), mean, sd)
    windows = Windows.sliding(25)
    together = cori_posterior(cases, np.zeros_like(cases), w, windows)
    for i in range(3):
        alone = cori_posterior(cases[i : i + 1], np.zeros((1, 25)), w, windows)
        np.testing.assert_allclose(together.mean[i], alone.mean[0], rtol=1e-12)
        np.testing.assert_allclose(together.quantiles[i], alone.quantiles[0], rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, 20, elements=st.integers(0, 200).map(float)), st.integers(8, 19))
def test_more_local_cases_raise_r(cases: np.ndarray, day: int) -> None:
    """Adding local cases on a window's last day raises its posterior (Λ of the window unchanged)."""
    w = discr_si(np.arange(20), 2.6, 1.5)
    windows = Windows(np.array([day - 6]), np.array([day]))
    more = cases.copy()
    more[day - 1] += 10
    low = cori_posterior(cases[None], np.zeros((1, 20)), w, windows)
    high = cori_posterior(more[None], np.zeros((1, 20)), w, windows)
    assert high.mean[0, 0] > low.mean[0, 0]
    assert np.all(high.quantiles[0, 0] > low.quantiles[0, 0])


def test_imported_cases_infect_but_are_not_infected() -> None:
    """Moving cases from local to imported lowers R in their window, raises later Λ not."""
    w = discr_si(np.arange(30), 3.0, 1.5)
    local = np.full((1, 30), 20.0)
    windows = Windows(np.array([10]), np.array([16]))
    base = cori_posterior(local, np.zeros_like(local), w, windows)
    imported = np.zeros_like(local)
    imported[0, 12], local2 = 10.0, local.copy()
    local2[0, 12] -= 10.0
    moved = cori_posterior(local2, imported, w, windows)
    assert moved.mean[0, 0] < base.mean[0, 0]


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, 50, elements=st.floats(1.0, 1e8)),
    arrays(np.float64, 50, elements=st.floats(1e-6, 10.0)),
)
def test_fast_gamma_quantiles_equal_scipy(shape: np.ndarray, scale: np.ndarray) -> None:
    probs = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
    ours = gamma_quantiles(shape, scale, probs)
    for j, q in enumerate(probs):
        np.testing.assert_allclose(ours[:, j], special.gammaincinv(shape, q) * scale, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(arrays(np.int64, 30, elements=st.integers(0, 30)))
def test_wallinga_teunis_distributes_every_infectee(cases: np.ndarray) -> None:
    """Each case with a possible infector is shared out once: Σ_s R_s I_s = Σ_{t: Λ_t>0} I_t."""
    cases[0], cases[1] = 0, max(cases[1], 1)  # nobody on day 1: window 2..30 holds every case
    w = discr_si(np.arange(30), 2.6, 1.5)
    windows = Windows(np.array([2, 3]), np.array([30, 30]))
    est = wallinga_teunis(cases.astype(float), w, windows, n_sim=0)
    lam = np.array([np.sum(w[1 : t + 1] * cases[t - 1 :: -1][:t]) for t in range(30)])
    infectees = cases[1:][lam[1:] > 0].sum()
    assert est.mean[0, 0] * cases[1:].sum() == pytest.approx(infectees, rel=1e-12)
