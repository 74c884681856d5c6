"""Traveller screening: the decision-tree model of Gostic et al. 2020 (eLife 9:e55570), the one
home of the tree for both the paper's population model (below) and the engine's per-compartment
pass factors (`policy.effects.screening_pass`).

An infected traveller, `t` days after exposure, is caught at departure or arrival by a symptom
(fever) screen, if symptoms have begun (incubation CDF) and the infection shows detectable
symptoms (share `symptomatic`), with sensitivity `fever_sensitivity`; or by a risk questionnaire,
if aware of exposure (share `aware`) and honest (`risk_sensitivity`). Symptoms may start during
the flight. Travellers who pass both screens are missed. Population-level detection integrates
over the infection ages of travellers: in a growing epidemic that density is
exp(-a t) / int_0^T exp(-a s) ds on [0, T), a = R0 / T, T = mean incubation + mean time from onset
to isolation (the paper's eq. for infection age).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

OUTCOMES = ("departure_fever", "departure_risk", "arrival_fever", "arrival_risk", "missed")


@dataclass(frozen=True)
class Screening:
    """Screening programme and traveller traits (probabilities in [0, 1])."""

    symptomatic: float = 0.75
    aware: float = 0.2
    fever_sensitivity: float = 0.7
    risk_sensitivity: float = 0.25
    flight_days: float = 1.0
    departure: bool = True
    arrival: bool = True

    def __post_init__(self) -> None:
        for name in ("symptomatic", "aware", "fever_sensitivity", "risk_sensitivity"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"Screening.{name} must be within [0, 1], got {v}")
        if self.flight_days < 0:
            raise ValueError("Screening.flight_days must be >= 0")


def gamma_incubation(mean: float, scale: float = 1.2) -> Callable[[np.ndarray], np.ndarray]:
    """Incubation CDF used by Gostic et al.: gamma with a fixed scale of 1.2 days."""
    shape = mean / scale
    return lambda t: special.gammainc(shape, np.maximum(np.asarray(t, dtype=float), 0.0) / scale)


def decision_tree(symptomatic: np.ndarray, move: np.ndarray, s: Screening) -> dict[str, np.ndarray]:
    """The one screening decision tree: share of infected travellers in each outcome per state at
    departure `(..., states)`. `symptomatic[l]` says whether state l shows symptoms; `move[...,
    k, l]` is the chance of being in state l on arrival after departing in state k (a row summing
    below 1: no longer infected on arrival, they pass). Symptomatic travellers face the fever
    screen, aware ones the risk questionnaire, at departure and again on arrival."""
    sym = np.asarray(symptomatic, dtype=float)
    move = np.asarray(move, dtype=float)
    arrive_sym = move @ sym
    arrive_other = move.sum(axis=-1) - arrive_sym
    out = {k: np.zeros(arrive_sym.shape) for k in OUTCOMES}
    for fever in (True, False):
        for aware in (True, False):
            w = (s.symptomatic if fever else 1 - s.symptomatic) * (
                s.aware if aware else 1 - s.aware
            )
            sd = s.fever_sensitivity if (fever and s.departure) else 0.0
            rd = s.risk_sensitivity if (aware and s.departure) else 0.0
            sa = s.fever_sensitivity if (fever and s.arrival) else 0.0
            ra = s.risk_sensitivity if (aware and s.arrival) else 0.0
            out["departure_fever"] += w * sym * sd
            after_fever = 1.0 - sym * sd
            out["departure_risk"] += w * after_fever * rd
            left = after_fever * (1.0 - rd)
            out["arrival_fever"] += w * left * arrive_sym * sa
            rest = left * (arrive_sym * (1.0 - sa) + arrive_other)
            out["arrival_risk"] += w * rest * ra
    # the outcomes of every branch sum to one: what is not caught is missed (so no catch at
    # all passes exactly everyone, not 1 + 1e-16, which the engine refuses as a pass factor)
    caught = sum(out[k] for k in OUTCOMES if k != "missed")
    out["missed"] = np.clip(1.0 - caught, 0.0, 1.0)
    return out


def outcomes(
    t: np.ndarray, incubation_cdf: Callable[[np.ndarray], np.ndarray], s: Screening
) -> dict[str, np.ndarray]:
    """Probability of each outcome for a traveller `t` days after exposure (vectorised): the
    decision tree over two states, symptomatic or not yet, with onset during the flight."""
    t = np.asarray(t, dtype=float)
    onset = incubation_cdf(t)
    later = incubation_cdf(t + s.flight_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        new = np.where(onset < 1.0, (later - onset) / (1.0 - onset), 0.0)
    move = np.zeros((*onset.shape, 2, 2))
    move[..., 0, 0] = 1.0
    move[..., 1, 0], move[..., 1, 1] = new, 1.0 - new
    by_state = decision_tree(np.array([1.0, 0.0]), move, s)
    return {k: onset * v[..., 0] + (1.0 - onset) * v[..., 1] for k, v in by_state.items()}


def growing_epidemic_age(r0: float, window: float) -> Callable[[np.ndarray], np.ndarray]:
    """Density of time since exposure among infected travellers in a growing epidemic."""
    a = r0 / window
    norm = -np.expm1(-a * window) / a
    return lambda t: np.where((t >= 0) & (t < window), np.exp(-a * np.asarray(t)) / norm, 0.0)


def stable_epidemic_age(window: float) -> Callable[[np.ndarray], np.ndarray]:
    """Uniform infection age on [0, window) (the paper's 'flat' epidemic)."""
    return lambda t: np.where((t >= 0) & (t < window), 1.0 / window, 0.0)


def population_outcomes(
    s: Screening,
    incubation_cdf: Callable[[np.ndarray], np.ndarray],
    age_density: Callable[[np.ndarray], np.ndarray],
    window: float,
) -> dict[str, float]:
    """Share of infected travellers in each outcome: the outcomes integrated over infection age
    on [0, window] by 200-point Gauss-Legendre quadrature (the integrand is smooth there)."""
    x, w = _nodes()
    t = 0.5 * window * (x + 1.0)
    weight = 0.5 * window * w * age_density(t)
    return {k: float(np.dot(v, weight)) for k, v in outcomes(t, incubation_cdf, s).items()}


@functools.cache
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(200)


def fraction_missed(
    s: Screening,
    mean_incubation: float = 5.5,
    r0: float = 2.5,
    onset_to_isolation: float = 5.0,
    growing: bool = True,
) -> float:
    """Share of infected travellers missed, with the paper's gamma incubation (scale 1.2)."""
    window = mean_incubation + onset_to_isolation
    age = growing_epidemic_age(r0, window) if growing else stable_epidemic_age(window)
    return population_outcomes(s, gamma_incubation(mean_incubation), age, window)["missed"]
