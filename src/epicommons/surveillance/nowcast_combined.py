"""The combined nowcast: the equal-weight quantile average of the model and the empirical method
(what the German nowcast hubs found strong), with the model's sample paths' dependence kept.

Per row, the combined quantile function is the mean of the two methods' quantile functions
(Vincentisation): with n paths each, the mean of their sorted values. Those values are then put
back in the rank order of the model's paths, so sums over rows stay as coherent as the model's
own paths.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import nowcast_empirical, nowcast_model
from .nowcast_core import NowcastInputs, SeriesNowcast


def nowcast_series(
    inp: NowcastInputs,
    rng: np.random.Generator,
    settings: nowcast_model.Settings = nowcast_model.SETTINGS,
    model_window: int | None = None,
) -> SeriesNowcast:
    """Sample paths of the final counts of the incomplete rows of one series."""
    model = nowcast_model.nowcast_series(
        replace(inp, window=model_window or inp.window), rng, settings
    )
    empirical = nowcast_empirical.nowcast_series(inp, rng)
    mean = 0.5 * (np.sort(model.paths, axis=1) + np.sort(empirical.paths, axis=1))
    paths = np.empty_like(mean)
    np.put_along_axis(paths, np.argsort(model.paths, axis=1, kind="stable"), mean, axis=1)
    return SeriesNowcast(
        np.round(paths),
        empirical.observed,
        {"model": model.diagnostics, "empirical": empirical.diagnostics},
    )
