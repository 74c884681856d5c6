"""Work units sent to a backend: evaluate a chunk of parameter vectors against the problem.

Each run's randomness comes from its index only: the engine uses `stream(seed, run)`, the
reporting noise `SeedSequence([seed, run, 1])`; so any split into chunks gives the same numbers.
"""

from __future__ import annotations

import numpy as np

from .observation import distance, log_likelihood, nb_sample, summaries
from .problem import Problem


def noise_stream(seed: int, run: int) -> np.random.Generator:
    """The reporting-noise stream of one run (independent of the engine's stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(run), 1])))


def simulate_reports(problem: Problem, theta: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Simulated reported counts `(runs, days, countries, observables)`: engine + NB noise."""
    mu = problem.expected(theta, runs, problem.engine != "deterministic")
    k = problem.dispersion(theta)
    out = np.empty_like(mu)
    for r, run in enumerate(runs):
        out[r] = nb_sample(noise_stream(problem.seed, run), mu[r], float(k[r]))
    return out


def abc_distances(problem: Problem, chunk: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per parameter vector `(runs, 1 + S)`: the ABC distance of its simulated reports to the
    data (fit window) in column 0, then the summary statistics of those reports."""
    theta, runs = chunk
    sim = simulate_reports(problem, theta, runs)
    days = problem.fit_days
    observed = problem.observed[days]
    return np.column_stack([distance(sim[:, days], observed), summaries(sim[:, days], observed)])


def observed_summaries(problem: Problem) -> np.ndarray:
    """The summary statistics of the data themselves `(S,)`."""
    observed = problem.observed[problem.fit_days]
    return summaries(np.where(np.isfinite(observed), observed, 0.0)[None], observed)[0]


def log_likelihoods(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """NB log-likelihood of the data in the fit window, deterministic engine."""
    mu = problem.expected(theta, np.zeros(len(theta), dtype=np.int64), False)
    days = problem.fit_days
    return log_likelihood(mu[:, days], problem.observed[days], problem.dispersion(theta))


def forecast_samples(problem: Problem, chunk: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Simulated reported counts for forecasting (float32 to keep ensembles small)."""
    theta, runs = chunk
    return simulate_reports(problem, theta, runs).astype(np.float32)
