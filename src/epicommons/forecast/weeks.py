"""Weekly sums of daily counts: epidemiological (MMWR) weeks ending Saturday, as the COVID-19
Forecast Hubs define their weekly targets, or ISO weeks ending Sunday."""

from __future__ import annotations

from typing import Literal

import numpy as np

from epicommons.errors import InputError

WeekKind = Literal["epi", "iso"]
WEEK_END_WEEKDAY = {"epi": 5, "iso": 6}  # Monday = 0: epi weeks end Saturday, ISO weeks Sunday


def weekday(dates: np.ndarray) -> np.ndarray:
    """Day of the week of datetime64[D] dates, Monday = 0."""
    return (np.asarray(dates, dtype="datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01: Thu


def is_week_end(day: np.datetime64, kind: WeekKind = "epi") -> bool:
    """Whether `day` is the last day of a week of this kind."""
    return int(weekday(np.array([day]))[0]) == WEEK_END_WEEKDAY[kind]


def week_end_on_or_after(day: np.datetime64, kind: WeekKind = "epi") -> np.datetime64:
    """The last day of the week that contains `day`."""
    shift = (WEEK_END_WEEKDAY[kind] - int(weekday(np.array([day]))[0])) % 7
    return np.datetime64(day, "D") + np.timedelta64(shift, "D")


def week_end_on_or_before(day: np.datetime64, kind: WeekKind = "epi") -> np.datetime64:
    """The last week end on or before `day`."""
    end = week_end_on_or_after(day, kind)
    return end if end == np.datetime64(day, "D") else end - np.timedelta64(7, "D")


def weekly_sums(
    dates: np.ndarray, values: np.ndarray, kind: WeekKind = "epi"
) -> tuple[np.ndarray, np.ndarray]:
    """Sums over the complete weeks of consecutive daily `values` (last axis): the week-end dates
    and the sums `(..., weeks)`. Incomplete weeks at either end are left out."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    values = np.asarray(values, dtype=float)
    if dates.size != values.shape[-1]:
        raise InputError(f"{dates.size} dates for {values.shape[-1]} daily values", field="dates")
    if dates.size > 1 and np.any(np.diff(dates).astype(np.int64) != 1):
        raise InputError("weekly sums need consecutive days", field="dates")
    ends = np.flatnonzero(weekday(dates) == WEEK_END_WEEKDAY[kind])
    ends = ends[ends >= 6]
    if ends.size == 0:
        return dates[:0], values[..., :0]
    first = ends[0] - 6
    n = ends.size
    block = values[..., first : first + 7 * n]
    sums = block.reshape(*values.shape[:-1], n, 7).sum(axis=-1)
    return dates[ends], sums
