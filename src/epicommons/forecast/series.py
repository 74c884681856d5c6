"""The observed series a forecast starts from: daily counts (weekly targets summed from them)
or a weekly series (weeks as given), cut at a forecast origin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError

from .weeks import WeekKind, weekly_sums


@dataclass(frozen=True)
class Observed:
    """Counts of one place: `dates` are days (`step_days` 1) or week ends (`step_days` 7)."""

    country: str
    dates: np.ndarray
    counts: np.ndarray
    step_days: int = 1

    def up_to(self, origin: np.datetime64) -> Observed:
        """Only what was known at the origin: the counts dated on or before it."""
        keep = self.dates <= np.datetime64(origin, "D")
        return Observed(self.country, self.dates[keep], self.counts[keep], self.step_days)

    def weekly(self, week: WeekKind = "epi") -> tuple[np.ndarray, np.ndarray]:
        """Week-end dates and weekly counts (sums of complete weeks for daily counts)."""
        if self.step_days == 7:
            return self.dates, self.counts
        return weekly_sums(self.dates, self.counts, week)


def from_case_data(series: Iterable[object]) -> list[Observed]:
    """Daily `Observed` series from `surveillance.CaseData.series()` (dated inputs only)."""
    out = []
    for s in series:
        if s.dates is None:  # type: ignore[attr-defined]
            raise InputError("forecasts need dated case data (a date column)", field="date")
        out.append(Observed(s.country, s.dates, np.asarray(s.total, dtype=float)))  # type: ignore[attr-defined]
    return out
