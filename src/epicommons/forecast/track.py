"""A calibration's track record on its own recent past: the same calibration refitted at the
last few weekly origins before its `fit_end` (likelihood point estimate with its Laplace band:
seconds per fit, where the ABC posterior takes minutes), each forecast scored on the 7-day sums
already reported by `fit_end`, beside the Forecast Hub baseline from the same data. A relative
WIS above 1 means the model lost to the baseline there: the summary warns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from epicommons.errors import InputError
from epicommons.scoring import QUANTILES, weighted_interval_score

from .baseline import baseline_paths

RECENT_ORIGINS = 3


@dataclass(frozen=True)
class TrackRecord:
    """Mean WIS of the model and of the baseline over the same recent targets."""

    model_wis: float
    baseline_wis: float
    targets: int
    origins: list[str]

    @property
    def relative_wis(self) -> float:
        return self.model_wis / self.baseline_wis if self.baseline_wis > 0 else float("nan")

    def warning(self, model: str) -> str | None:
        """The summary's warning when the model lost to the baseline on its recent past."""
        if not self.relative_wis > 1:
            return None
        return (
            f"warning: {model} is worse than the baseline on its recent past: relative WIS "
            f"{self.relative_wis:.2f} ({self.targets} weekly targets from the origins "
            f"{', '.join(self.origins)})"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "relative_wis": self.relative_wis,
            "model_wis": self.model_wis,
            "baseline_wis": self.baseline_wis,
            "targets": self.targets,
            "origins": self.origins,
        }


def weekly_blocks(daily: np.ndarray, end: int, weeks: int) -> np.ndarray:
    """Sums of `weeks` 7-day blocks of `daily (..., days)` ending on day index `end`
    (inclusive), oldest first; NaN where a day is missing."""
    first = end + 1 - 7 * weeks
    block = daily[..., first : end + 1]
    return block.reshape(*daily.shape[:-1], weeks, 7).sum(axis=-1)


def calibration_record(
    scenario,
    spec,
    cases,
    *,
    base=None,
    source: str | None = None,
    origins: int = RECENT_ORIGINS,
    runs: int = 200,
    backend=None,
) -> TrackRecord:
    """Refit the calibration at `fit_end` - 7, - 14, ... and score each forecast up to
    `fit_end` against the data known then, beside the baseline."""
    from pathlib import Path

    from epicommons.calibrate import fit_likelihood, forecast
    from epicommons.calibrate.problem import build_problem

    from .mechanistic import laplace_or_point

    model_scores: list[np.ndarray] = []
    base_scores: list[np.ndarray] = []
    used: list[str] = []
    for k in range(1, origins + 1):
        past_end = spec.fit_end - timedelta(days=7 * k)
        if past_end - timedelta(days=14) < spec.fit_start:
            break  # too little left to fit
        past = spec.model_copy(update={"fit_end": past_end, "forecast_days": 7 * k})
        try:
            problem = build_problem(scenario, past, cases, base=base or Path("."), source=source)
        except InputError:
            break  # e.g. a change point after this earlier fit_end: no earlier fit to compare
        point = fit_likelihood(problem, starts=spec.starts, seed=problem.seed, backend=backend)
        theta, _ = laplace_or_point(problem, point, runs, problem.seed, backend)
        fc = forecast(problem, theta, None, runs=runs, seed=problem.seed, backend=backend)
        end = int(problem.fit_days[-1])
        observed = np.moveaxis(problem.observed, 0, -1)  # (countries, observables, days)
        truth = weekly_blocks(observed[..., : end + 1 + 7 * k], end + 7 * k, k)
        paths = weekly_blocks(np.moveaxis(fc.samples, 1, -1), end + 7 * k, k)
        history = weekly_blocks(observed[..., : end + 1], end, (end + 1) // 7)
        for c in range(observed.shape[0]):
            for j in range(observed.shape[1]):
                y = truth[c, j]
                h = history[c, j]
                if not np.isfinite(y).all() or np.isfinite(h).sum() < 3:
                    continue
                q = np.quantile(paths[:, c, j], QUANTILES, axis=0)
                model_scores.append(weighted_interval_score(_levels(q), y))
                b = np.quantile(baseline_paths(h, k, samples=10_000), QUANTILES, axis=0)
                base_scores.append(weighted_interval_score(_levels(b), y))
        used.append(str(past_end))
    if not model_scores:
        raise InputError(
            "no earlier weekly origin leaves enough of the fit window to refit", field="fit_end"
        )
    m = np.concatenate(model_scores)
    b = np.concatenate(base_scores)
    return TrackRecord(float(m.mean()), float(b.mean()), int(m.size), used)


def _levels(q: np.ndarray) -> dict[float, np.ndarray]:
    return {lv: q[i] for i, lv in enumerate(QUANTILES)}
