"""Gostic et al. 2020 traveller screening: hand-derived limits and the paper's published finding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from epicommons.policy.screening import (
    Screening,
    fraction_missed,
    gamma_incubation,
    outcomes,
    population_outcomes,
    stable_epidemic_age,
)

CDF = gamma_incubation(5.5)


def test_outcomes_sum_to_one():
    t = np.linspace(0, 20, 81)
    out = outcomes(t, CDF, Screening())
    assert sum(out.values()) == pytest.approx(np.ones_like(t), abs=1e-12)


def test_long_after_onset_departure_only_hand_computed():
    # everyone symptomatic: detected = f g (1-(1-sd)(1-rd)) + f (1-g) sd + (1-f) g rd
    s = Screening(
        symptomatic=0.75, aware=0.2, fever_sensitivity=0.7, risk_sensitivity=0.25, arrival=False
    )
    got = 1 - outcomes(np.array([60.0]), CDF, s)["missed"][0]
    assert got == pytest.approx(0.15 * 0.775 + 0.42 + 0.0125, abs=1e-9)


def test_at_exposure_only_risk_screens_detect():
    s = Screening(flight_days=0.0)
    got = 1 - outcomes(np.array([0.0]), CDF, s)["missed"][0]
    assert got == pytest.approx(0.2 * (1 - 0.75 * 0.75), abs=1e-12)


def test_symptoms_during_flight_caught_on_arrival():
    # all symptomatic, no risk screen, arrival only, perfect sensitivity: caught = P(onset by t+1)
    s = Screening(symptomatic=1.0, aware=0.0, fever_sensitivity=1.0, departure=False)
    t = np.array([3.0, 5.0, 8.0])
    assert 1 - outcomes(t, CDF, s)["missed"] == pytest.approx(CDF(t + 1.0), abs=1e-12)


def test_stable_epidemic_integral_matches_grid_mean():
    s = Screening()
    window = 10.5
    pop = population_outcomes(s, CDF, stable_epidemic_age(window), window)["missed"]
    grid = np.linspace(0, window, 20001)
    assert pop == pytest.approx(
        np.trapezoid(outcomes(grid, CDF, s)["missed"], grid) / window, abs=1e-6
    )


@pytest.mark.parametrize("symptomatic", [0.5, 0.75, 0.95])
def test_published_screening_misses_more_than_half(symptomatic):
    """Gostic et al. 2020: 'Even under best-case assumptions, we estimate that screening will
    miss more than half of infected people' (both screens, growing epidemic, Fig. 3A ranges)."""
    lo = [0.05, 0.6, 0.05, 4.0, 2.0, 3.0]  # aware, fever sens., risk sens., incubation, R0, onset
    hi = [0.40, 0.9, 0.25, 7.0, 4.0, 7.0]  # to isolation (the paper's Latin hypercube ranges)
    pts = qmc.scale(qmc.Sobol(6, seed=1).random(64), lo, hi)
    missed = [
        fraction_missed(Screening(symptomatic, g, fs, rs), inc, r0, admit)
        for g, fs, rs, inc, r0, admit in pts
    ]
    assert np.median(missed) > 0.5


@pytest.mark.parametrize("flight", [0.5, 1.0, 2.0])
def test_engine_pass_factors_follow_the_paper_tree(flight):
    # SEIR with exponential incubation (rate sigma) and no recovery during the flight: an E
    # traveller is the paper's traveller at exposure (onset during the flight 1 - e^{-sigma f}),
    # an I traveller one long after onset; the engine's pass factor is the paper's "missed"
    from epicommons.model import seir
    from epicommons.policy.effects import screening_pass

    sigma = 0.4
    d = seir(sigma=sigma, gamma=1e-12)
    s = Screening(0.8, 0.3, fever_sensitivity=0.7, risk_sensitivity=0.2, flight_days=flight)
    p = screening_pass(
        d,
        ["I"],
        symptomatic=s.symptomatic,
        aware=s.aware,
        fever_sensitivity=s.fever_sensitivity,
        risk_sensitivity=s.risk_sensitivity,
        flight_days=flight,
        exit=True,
        entry=True,
    )
    exponential = lambda t: 1.0 - np.exp(-sigma * np.asarray(t, dtype=float))  # noqa: E731
    at_exposure, long_after = outcomes(np.array([0.0, 200.0]), exponential, s)["missed"]
    assert p[d.index("E")] == pytest.approx(at_exposure, abs=1e-9)
    assert p[d.index("I")] == pytest.approx(long_after, abs=1e-9)
    # and by hand, at exposure: departure only the questionnaire; on arrival onset has happened
    # with probability q, then fever screen (symptomatic share f) and questionnaire again
    q, f, g, fs, rs = 1 - np.exp(-sigma * flight), 0.8, 0.3, 0.7, 0.2
    left = g * (1 - rs) + (1 - g)
    arrive = (
        f * g * (q * (1 - fs) + 1 - q) * (1 - rs) * (1 - rs)
        + f * (1 - g) * (q * (1 - fs) + 1 - q)
        + (1 - f) * g * (1 - rs) ** 2
        + (1 - f) * (1 - g)
    )
    assert left > arrive > 0
    assert p[d.index("E")] == pytest.approx(arrive, abs=1e-9)
