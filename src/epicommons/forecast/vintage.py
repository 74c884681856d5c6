"""A weekly series as it was known at each forecast origin (real-time data), read from a
reporting triangle: the counts reported by the origin (`Triangle.as_of`), the last weeks
optionally corrected first by the nowcast (`surveillance.nowcast`, its default method; the
median of its paths). The forecasts start from that curve; they are scored against the
latest data, which the series keeps as its `dates` and `counts`.
Weeks before the triangle's first reference week come from the latest data (they had long
been complete by the first origin). A week with nothing reported by the origin (publication
paused: Christmas 2024) is not a week of zero cases: it holds the last week reported before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError
from epicommons.surveillance.nowcast import earliest_as_of, nowcast
from epicommons.surveillance.triangle import Triangle
from epicommons.world.countries import registry

from .series import Observed

MAX_DELAY = 4  # weeks: the nowcast's target, as validated in docs/validation/nowcast.md


@dataclass(frozen=True)
class AsKnown(Observed):
    """A weekly series (latest data) with the one-series `triangle` of its reports."""

    triangle: Triangle | None = None
    corrected: bool = True  # nowcast the incomplete last weeks before forecasting
    max_delay: int = MAX_DELAY

    def up_to(self, origin: np.datetime64) -> Observed:
        """The series as known on the origin (nowcast-corrected when `corrected`)."""
        day = np.datetime64(origin, "D")
        tri = self.triangle
        if tri is None or day < tri.dates[0]:
            return super().up_to(day)
        cut = tri.as_of(day)
        known = np.clip(np.nan_to_num(cut.observed()[0]), 0.0, None)
        dates = cut.dates
        if self.corrected:
            nc = nowcast(tri, day, max_delay=self.max_delay, seed=0)
            median = np.median(nc.paths[0], axis=1)
            pos = np.searchsorted(dates, nc.dates)
            known[pos] = np.maximum(known[pos], median)
        known = _carry_forward(known)
        before = self.dates < dates[0]
        return Observed(
            self.country,
            np.concatenate([self.dates[before], dates]),
            np.concatenate([self.counts[before], known]),
            7,
        )


def _carry_forward(values: np.ndarray) -> np.ndarray:
    """Weeks with nothing reported (0) take the last week reported before them."""
    idx = np.where(values > 0, np.arange(values.size), 0)
    return values[np.maximum.accumulate(idx)]


def with_triangle(
    series: list[Observed], triangle: Triangle, age_group: str, *, corrected: bool = True
) -> list[AsKnown]:
    """Each weekly series paired with its location's triangle series of `age_group`."""
    reg = registry()
    out = []
    for s in series:
        if s.step_days != 7:
            raise InputError("a reporting triangle goes with a weekly series", field="--triangle")
        places = [loc for loc in dict.fromkeys(triangle.locations) if reg.resolve(loc) == s.country]
        if not places:
            raise InputError(
                f"the triangle has no series for {s.country}",
                source=triangle.source,
                field="location",
            )
        one = triangle.select([places[0]], [age_group])
        out.append(AsKnown(s.country, s.dates, s.counts, 7, one, corrected))
    return out


def earliest_origin(series: list[AsKnown]) -> np.datetime64:
    """The first origin at which every series' nowcast has its history."""
    return max(earliest_as_of(s.triangle, s.max_delay) for s in series if s.triangle is not None)
