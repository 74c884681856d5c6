"""Regression adjustment of ABC particles against a linear-Gaussian model whose posterior is
known in closed form: theta ~ N(0, tau^2 I), s = A theta + N(0, sigma^2 I), so
theta | s ~ N(L^-1 A' s / sigma^2, L^-1) with L = I / tau^2 + A'A / sigma^2."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.calibrate.adjust import (
    epanechnikov,
    kernel_weights,
    project,
    projection,
    regression_adjust,
)

TAU, SIGMA = 2.0, 0.5
A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, -1.0]])
S_OBS = np.array([1.2, -0.4, 1.0, 0.9])


def exact_posterior() -> tuple[np.ndarray, np.ndarray]:
    precision = np.eye(2) / TAU**2 + A.T @ A / SIGMA**2
    cov = np.linalg.inv(precision)
    return cov @ A.T @ S_OBS / SIGMA**2, np.sqrt(np.diag(cov))


def weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = w / w.sum()
    mean = w @ x
    return mean, np.sqrt(w @ (x - mean) ** 2)


@pytest.fixture(scope="module")
def abc_sample():
    """Particles from a wider proposal N(0, 3^2 I), importance weights prior / proposal."""
    gen = np.random.default_rng(20021201)
    n = 40_000
    theta = 3.0 * gen.standard_normal((n, 2))
    stats = theta @ A.T + SIGMA * gen.standard_normal((n, len(A)))
    log_w = -0.5 * (theta**2).sum(axis=1) * (1 / TAU**2 - 1 / 3.0**2)
    return theta, stats, np.exp(log_w - log_w.max())


def test_adjusted_particles_match_the_exact_posterior(abc_sample):
    theta, stats, importance = abc_sample
    x = stats - S_OBS
    w, h = kernel_weights(x, importance)
    assert h > 0 and np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    ess = 1.0 / np.sum(w**2)
    assert ess > 2000
    mean, sd = exact_posterior()
    adj_mean, adj_sd = weighted_moments(regression_adjust(theta, x, w), w)
    np.testing.assert_allclose(adj_mean, mean, atol=0.05 * sd.min())
    np.testing.assert_allclose(adj_sd, sd, rtol=0.05)
    # without the adjustment the kernel-weighted particles are far wider than the posterior
    raw_mean, raw_sd = weighted_moments(theta, w)
    assert np.all(raw_sd > 2.0 * sd)


def test_adjustment_on_projected_statistics_matches_too(abc_sample):
    """Projecting the statistics to one per parameter (the linear fit of theta on them over a
    pilot) keeps the exact posterior: in this model E[theta | s] is linear in s."""
    theta, stats, importance = abc_sample
    pilot = slice(0, 10_000)
    coef = projection(theta[pilot], stats[pilot])
    rest = slice(10_000, None)
    x = project(coef, stats[rest]) - project(coef, S_OBS)
    assert x.shape == (30_000, 2)
    w, _ = kernel_weights(x, importance[rest])
    mean, sd = exact_posterior()
    adj_mean, adj_sd = weighted_moments(regression_adjust(theta[rest], x, w), w)
    np.testing.assert_allclose(adj_mean, mean, atol=0.05 * sd.min())
    np.testing.assert_allclose(adj_sd, sd, rtol=0.05)


def test_epanechnikov_kernel():
    u = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 0.99, 1.0, 2.0])
    np.testing.assert_allclose(epanechnikov(u), [0, 0, 0.75, 1, 0.75, 1 - 0.99**2, 0, 0])


@settings(max_examples=30, deadline=None)
@given(
    coef=arrays(float, (4, 2), elements=st.floats(-5, 5)),
    seed=st.integers(0, 2**32 - 1),
)
def test_projection_recovers_an_exact_linear_map(coef, seed):
    stats = np.random.default_rng(seed).normal(size=(50, 3))
    z = coef[0] + stats @ coef[1:]
    np.testing.assert_allclose(project(projection(z, stats), stats), z, atol=1e-8)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-3, 3))
def test_particles_already_at_the_observed_statistics_do_not_move(seed, shift):
    gen = np.random.default_rng(seed)
    z = gen.normal(size=(40, 2))
    x = gen.normal(size=(40, 3))
    x[:5] = 0.0  # these simulated exactly the observed statistics
    w = np.full(40, 1 / 40)
    adjusted = regression_adjust(z + shift, x, w)
    np.testing.assert_allclose(adjusted[:5], z[:5] + shift, atol=1e-12)
