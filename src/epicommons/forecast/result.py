"""One forecast of one series from one origin: weekly quantiles for horizons 1..H, and the sample
paths (weekly, and daily for daily models) they were taken from, when the model draws paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicommons.scoring import QUANTILES


@dataclass(frozen=True)
class Forecast:
    """`weekly_quantiles (levels, horizons)` for the weeks ending `week_ends`; `weekly_paths
    (samples, horizons)` and `daily_paths (samples, days)` from `daily_dates` when drawn.
    A weekly quantile is a quantile of the weekly sums of the paths, not a sum of daily ones."""

    model: str
    country: str
    origin: np.datetime64  # the last day of data the forecast used
    week_ends: np.ndarray
    weekly_quantiles: np.ndarray
    levels: tuple[float, ...] = QUANTILES
    weekly_paths: np.ndarray | None = None
    daily_dates: np.ndarray | None = None
    daily_paths: np.ndarray | None = None

    @property
    def horizons(self) -> int:
        """Number of weekly horizons."""
        return int(self.week_ends.size)

    def quantile_dict(self) -> dict[float, np.ndarray]:
        """Weekly quantiles keyed by level, each `(horizons,)` — the form the scores take."""
        return {lv: self.weekly_quantiles[i] for i, lv in enumerate(self.levels)}

    def daily_quantiles(self) -> np.ndarray | None:
        """`(levels, days)` quantiles of the daily paths (None for weekly-only models)."""
        if self.daily_paths is None:
            return None
        return np.quantile(self.daily_paths, self.levels, axis=0)


def quantiles_of(paths: np.ndarray, levels: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """`(levels, ...)` quantiles of sample paths along their first axis (R's default, type 7)."""
    return np.quantile(paths, levels, axis=0)
