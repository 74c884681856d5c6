"""Forecasts from a fitted posterior: ensembles of reported counts with prediction intervals,
scored against held-out reports with the weighted interval score and CRPS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from epicommons.backend import Backend, InProcess, chunked
from epicommons.scoring import QUANTILES, crps_ensemble, weighted_interval_score

from .problem import Problem
from .tasks import forecast_samples

FORECAST_RUNS_FROM = 10**9  # forecast run indices never coincide with calibration ones


@dataclass(frozen=True)
class Forecast:
    """Simulated reports `samples (runs, days, countries, observables)` from day 0 (`start`)."""

    problem: Problem
    samples: np.ndarray
    fit_end: int  # last fitted day index; days after it are forecasts

    def quantiles(self, levels: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """`(levels, days, countries, observables)` predictive quantiles."""
        return np.quantile(self.samples, levels, axis=0)

    def table(self) -> pd.DataFrame:
        """Long table: date, country, observable, horizon (days after the fit), observed,
        mean and quantiles `q0.025` ... of the predictive distribution."""
        p = self.problem
        days, nc, nk = self.samples.shape[1:]
        q = self.quantiles()
        index = np.indices((days, nc, nk)).reshape(3, -1)
        cols: dict[str, object] = {
            "date": [p.start + timedelta(days=int(d)) for d in index[0]],
            "country": np.array(p.countries)[index[1]],
            "observable": np.array(p.observe)[index[2]],
            "horizon": index[0] - self.fit_end,
            "observed": p.observed[:days].reshape(-1),
            "mean": self.samples.mean(axis=0).reshape(-1),
        }
        for lv, values in zip(QUANTILES, q, strict=True):
            cols[f"q{lv:g}"] = values.reshape(-1)
        return pd.DataFrame(cols)

    def scores(self) -> pd.DataFrame:
        """WIS and CRPS for every forecast day with a held-out report."""
        p = self.problem
        days = np.arange(self.fit_end + 1, self.samples.shape[1])
        obs = p.observed[days]
        q = self.quantiles()[:, days]
        quant = {lv: q[i] for i, lv in enumerate(QUANTILES)}
        wis = weighted_interval_score(quant, obs)
        crps = crps_ensemble(self.samples[:, days], obs)
        index = np.indices(obs.shape).reshape(3, -1)
        frame = pd.DataFrame(
            {
                "date": [p.start + timedelta(days=int(days[d])) for d in index[0]],
                "country": np.array(p.countries)[index[1]],
                "observable": np.array(p.observe)[index[2]],
                "horizon": days[index[0]] - self.fit_end,
                "observed": obs.reshape(-1),
                "median": quant[0.5].reshape(-1),
                "wis": wis.reshape(-1),
                "crps": crps.reshape(-1),
            }
        )
        return frame[np.isfinite(frame["observed"])].reset_index(drop=True)


def forecast(
    problem: Problem,
    particles: np.ndarray,
    weights: np.ndarray | None,
    *,
    runs: int = 500,
    seed: int = 0,
    backend: Backend | None = None,
) -> Forecast:
    """Ensemble of `runs` simulated report series, parameters drawn from the weighted particles
    (a single point estimate: all runs share it and differ by their noise)."""
    backend = backend or InProcess()
    particles = np.atleast_2d(particles)
    w = np.ones(len(particles)) if weights is None else np.asarray(weights, dtype=float)
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0xF0C])))
    theta = particles[gen.choice(len(w), size=runs, p=w / w.sum())]
    run_ids = FORECAST_RUNS_FROM + np.arange(runs, dtype=np.int64)
    shared = backend.share(problem)
    chunks = [(theta[a:b], run_ids[a:b]) for a, b in chunked(runs)]
    samples = np.concatenate(backend.map(forecast_samples, shared, chunks))
    return Forecast(problem, samples, int(problem.fit_days[-1]))
