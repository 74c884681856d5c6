"""What every nowcast method takes and gives, and the negative-binomial pieces they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class NowcastInputs:
    """One series as known on the as-of date, on the grid of reference steps.

    `counts` (T, J): reports by reference row and delay (delays ≤ the maximum), NaN where not
    yet known; the last row is the as-of row. `known_at` (T, J): the row index at which each
    cell becomes known (row + delay), so `known_at <= r` is what was known at row r.
    `incomplete`: how many of the last rows still miss a delay (the nowcast's rows).
    """

    counts: np.ndarray
    known_at: np.ndarray
    incomplete: int
    window: int
    n_paths: int
    weekday: np.ndarray | None = None  # (T, J) weekday of each cell's report date, daily data


@dataclass(frozen=True)
class SeriesNowcast:
    """Sample paths (rows, paths) of the final counts of the incomplete rows, oldest first,
    the counts as known for those rows, and what the method reports about its fit."""

    paths: np.ndarray
    observed: np.ndarray
    diagnostics: dict[str, object] = field(default_factory=dict)
