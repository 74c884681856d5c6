"""`RtOptions`: the settings of an Rt estimation, validated once, before any data is read.

Checks what can be checked without the data (finite serial interval and prior, whole-number
windows, a date range in order, the method); the data-dependent limits (windows inside the data,
a date range that meets it) are checked by `windows_for` once a series is known. Errors name the
setting (`field="si_mean"`, ...); the CLI renames them to its options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError

from .cori import Windows, check_prior
from .serial_interval import check_si_distr, check_si_parameters

METHODS: tuple[str, ...] = ("cori", "wallinga-teunis")
DEFAULT_WINDOW = 7
MAX_SIMULATIONS = 10_000  # Wallinga-Teunis keeps (simulations x days) numbers in memory


def _whole(value: object, name: str, *, low: int, high: int | None = None) -> int:
    """An int in [low, high] (bool and float refused), or an error naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"expected a whole number, got {value!r}", field=name)
    if value < low or (high is not None and value > high):
        limit = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise InputError(f"expected a whole number {limit}, got {value}", field=name)
    return int(value)


def _days(values: Sequence[int] | None, name: str) -> np.ndarray | None:
    if values is None:
        return None
    days = np.array([_whole(v, name, low=1) for v in values], dtype=np.int64)
    if days.size == 0:
        raise InputError("at least one window is needed", field=name)
    return days


def _date(value: object, name: str) -> np.datetime64 | None:
    if value is None:
        return None
    try:
        day = np.datetime64(value, "D")
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", field=name) from None
    if np.isnat(day):
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", field=name)
    return day


@dataclass(frozen=True, init=False)
class RtOptions:
    """How to estimate Rt: serial interval (`si_mean` + `si_sd`, or `si_distr`), windows
    (sliding `window` days, optionally only those ending `date_from`..`date_to`; or explicit
    1-based `t_start`/`t_end`), the gamma prior, the method and Wallinga-Teunis' simulations."""

    si_mean: float | None
    si_sd: float | None
    si_distr: np.ndarray | None
    window: int
    t_start: np.ndarray | None
    t_end: np.ndarray | None
    date_from: np.datetime64 | None
    date_to: np.datetime64 | None
    prior_mean: float
    prior_sd: float
    method: str
    n_sim: int
    seed: int

    def __init__(
        self,
        *,
        si_mean: float | None = None,
        si_sd: float | None = None,
        si_distr: Sequence[float] | np.ndarray | None = None,
        window: int | None = None,
        t_start: Sequence[int] | None = None,
        t_end: Sequence[int] | None = None,
        date_from: object = None,
        date_to: object = None,
        prior_mean: float = 5.0,
        prior_sd: float = 5.0,
        method: str = "cori",
        n_sim: int = 100,
        seed: int = 0,
    ) -> None:
        if method not in METHODS:
            raise InputError(
                f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="method"
            )
        if si_distr is None:
            if si_mean is None or si_sd is None:
                raise InputError(
                    "give the serial interval: its mean and sd (days), or its distribution",
                    field="si_mean" if si_mean is None else "si_sd",
                )
            check_si_parameters(float(si_mean), float(si_sd))
            w = None
        else:
            if si_mean is not None or si_sd is not None:
                raise InputError(
                    "give the serial interval's mean and sd, or its distribution, not both",
                    field="si_distr",
                )
            w = check_si_distr(np.asarray(si_distr, dtype=float))
        check_prior(float(prior_mean), float(prior_sd))
        if (t_start is None) != (t_end is None):
            raise InputError(
                "give both t_start and t_end", field="t_start" if t_start is None else "t_end"
            )
        custom = t_start is not None
        dated = date_from is not None or date_to is not None
        if custom and window is not None:
            raise InputError("give a sliding window or t_start/t_end, not both", field="window")
        if custom and dated:
            raise InputError(
                "give a date range or t_start/t_end, not both",
                field="date_from" if date_from is not None else "date_to",
            )
        starts, ends = _days(t_start, "t_start"), _days(t_end, "t_end")
        if starts is not None and ends is not None and starts.size != ends.size:
            raise InputError(
                f"t_start has {starts.size} days but t_end has {ends.size}", field="t_end"
            )
        first, last = _date(date_from, "date_from"), _date(date_to, "date_to")
        if first is not None and last is not None and first > last:
            raise InputError(f"the range ends ({last}) before it starts ({first})", field="date_to")
        values = {
            "si_mean": None if si_mean is None else float(si_mean),
            "si_sd": None if si_sd is None else float(si_sd),
            "si_distr": w,
            "window": DEFAULT_WINDOW if window is None else _whole(window, "window", low=1),
            "t_start": starts,
            "t_end": ends,
            "date_from": first,
            "date_to": last,
            "prior_mean": float(prior_mean),
            "prior_sd": float(prior_sd),
            "method": method,
            "n_sim": _whole(n_sim, "n_sim", low=2, high=MAX_SIMULATIONS),
            "seed": _whole(seed, "seed", low=0),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def parametric(self) -> bool:
        """The serial interval is a gamma given by its mean and sd (discretised per series)."""
        return self.si_distr is None

    def windows_for(self, n_days: int, dates: np.ndarray | None, who: str = "") -> Windows:
        """The estimation windows of one series of `n_days` days (`dates`: its datetime64[D]
        days, needed for a date range), checked against the data as EpiEstim's check_times."""
        prefix = f"{who}: " if who else ""
        try:
            if self.t_start is not None and self.t_end is not None:
                windows = Windows(self.t_start, self.t_end)
            else:
                windows = Windows.sliding(n_days, self.window)
            windows.check(n_days)
        except InputError as exc:
            raise InputError(f"{prefix}{exc.message}", field=exc.field) from None
        if self.date_from is None and self.date_to is None:
            return windows
        if dates is None:
            raise InputError(
                "a date range needs dates in the input (it has day numbers only)",
                field="date_from" if self.date_from is not None else "date_to",
            )
        end = dates[windows.t_end - 1]
        keep = np.ones(end.size, dtype=bool)
        if self.date_from is not None:
            keep &= end >= self.date_from
        if self.date_to is not None:
            keep &= end <= self.date_to
        if not keep.any():
            raise InputError(
                f"{prefix}no {self.window}-day window ends between {self.date_from or 'the start'} "
                f"and {self.date_to or 'the end'}: windows of this series end "
                f"{end[0]} .. {end[-1]}",
                field="date_from" if self.date_from is not None else "date_to",
            )
        return Windows(windows.t_start[keep], windows.t_end[keep])
