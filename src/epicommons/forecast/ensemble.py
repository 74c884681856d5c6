"""The quantile-average ensemble (the Hubs' method: each quantile the mean of the members')."""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError

from .result import Forecast


def quantile_average(members: list[Forecast], name: str = "ensemble") -> Forecast:
    """The mean of the members' weekly quantiles, level by level (same targets and levels)."""
    first = members[0]
    for m in members[1:]:
        if m.levels != first.levels or not np.array_equal(m.week_ends, first.week_ends):
            raise InputError(
                f"ensemble members {first.model!r} and {m.model!r} forecast different targets",
                field="model",
            )
    q = np.mean([m.weekly_quantiles for m in members], axis=0)
    return Forecast(name, first.country, first.origin, first.week_ends, q, first.levels)
