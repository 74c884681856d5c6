"""Convergence diagnostics of a fit and the choice of what a forecast is drawn from."""

from __future__ import annotations

import numpy as np
import pytest

from epicommons.calibrate.abc import Generation
from epicommons.calibrate.diagnostics import (
    diagnose,
    effective_size,
    forecast_source,
    laplace_draws,
)

PD = np.array([[0.04, 0.01], [0.01, 0.09]])
NOT_PD = np.array([[0.04, 0.0], [0.0, -0.01]])


def _generations(acceptances: list[float]) -> list[Generation]:
    return [Generation(i, 1.0 / (i + 1), a, 100) for i, a in enumerate(acceptances)]


def _diag(acceptances, weights, cov=PD, applied=True):
    return diagnose(
        _generations(acceptances),
        np.asarray(weights, dtype=float),
        min_acceptance=0.02,
        adjustment_requested=True,
        adjustment_applied=applied,
        likelihood_converged=True,
        covariance=cov,
    )


def test_effective_size_by_hand():
    assert effective_size(np.ones(200)) == pytest.approx(200.0)
    # weights 0.5, 0.5, 0, 0: (1)^2 / (0.25 + 0.25) = 2
    assert effective_size(np.array([0.5, 0.5, 0.0, 0.0])) == pytest.approx(2.0)
    # one weight of 3 and 9 of 1: 12^2 / (9 + 9) = 8
    assert effective_size(np.array([3.0] + [1.0] * 9)) == pytest.approx(8.0)


def test_a_converged_population_is_forecast_from():
    diag = _diag([1.0, 0.4, 0.1, 0.01], np.ones(500))
    assert diag.stopped == "tolerance reached" and diag.converged
    assert forecast_source(diag)[0] == "posterior"


def test_generation_limit_and_few_effective_particles_fall_back_to_laplace():
    # the case: the generation cap hit, 2-6 effective particles, no adjustment
    weights = np.r_[np.full(4, 1.0), np.full(496, 1e-6)]
    diag = _diag([1.0, 0.5, 0.3, 0.2], weights, applied=False)
    assert diag.stopped == "generation limit" and not diag.converged
    problems = " | ".join(diag.problems())
    assert "generation limit (4)" in problems
    assert "effective sample size 4.0 of 500" in problems
    assert "regression adjustment was requested but not applied" in problems
    source, reason = forecast_source(diag)
    assert source == "laplace" and "Laplace band" in reason


def test_without_a_positive_definite_hessian_the_point_estimate_alone():
    diag = _diag([1.0, 0.5], np.ones(500), cov=NOT_PD)
    assert not diag.hessian_positive_definite
    source, reason = forecast_source(diag)
    assert source == "point" and "not positive definite" in reason


def test_laplace_draws_match_the_normal_and_stay_in_the_priors():
    box = np.array([[0.0, 10.0], [1.0, 1.6]])
    draws = laplace_draws(np.array([2.0, 1.5]), PD, box, 20_000, seed=1)
    assert draws[:, 0].mean() == pytest.approx(2.0, abs=0.01)
    assert np.cov(draws[:, 0]) == pytest.approx(0.04, rel=0.05)
    assert draws[:, 1].max() <= 1.6 and draws[:, 1].min() >= 1.0
