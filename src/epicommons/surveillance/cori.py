"""Cori et al. (2013) time-varying reproduction number, as EpiEstim 2.2.4 `estimate_R` computes it.

Pure array code, vectorised over series: incidence arrays are (series, days). Day indices in
windows are 1-based as in EpiEstim. A window is left empty (NaN) when t_end ≤ the mean of the
serial interval as used (EpiEstim's rule), whatever the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError

from .gamma_quantiles import gamma_quantiles

QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)


@dataclass(frozen=True)
class Windows:
    """Estimation windows [t_start, t_end], 1-based day indices, inclusive."""

    t_start: np.ndarray
    t_end: np.ndarray

    @classmethod
    def sliding(cls, n_days: int, width: int = 7) -> Windows:
        """EpiEstim's default: t_start = 2 .. T-width+1, t_end = t_start + width - 1."""
        if width < 1:
            raise InputError(f"the window must be at least 1 day, got {width}", field="window")
        if n_days - width + 1 < 2:
            raise InputError(
                f"a {width}-day window needs at least {width + 1} days of data, got {n_days}",
                field="window",
            )
        t_start = np.arange(2, n_days - width + 2, dtype=np.int64)
        return cls(t_start, t_start + width - 1)

    def check(self, n_days: int, *, source: str | None = None) -> None:
        """EpiEstim's check_times: 2 ≤ t_start ≤ t_end ≤ T, integers, same length."""
        if self.t_start.shape != self.t_end.shape or self.t_start.ndim != 1:
            raise InputError(
                "t_start and t_end must have the same length", source=source, field="t_start"
            )
        if self.t_start.size == 0:
            raise InputError("at least one window is needed", source=source, field="t_start")
        for name, values in (("t_start", self.t_start), ("t_end", self.t_end)):
            bad = (values < 2) | (values > n_days)
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"window {i + 1}: {name} = {values[i]} is outside the data "
                    f"(days 2..{n_days}; day 1 only seeds the epidemic)",
                    source=source,
                    field=name,
                )
        if np.any(self.t_start > self.t_end):
            i = int(np.flatnonzero(self.t_start > self.t_end)[0])
            raise InputError(
                f"window {i + 1}: t_start = {self.t_start[i]} is after t_end = {self.t_end[i]}",
                source=source,
                field="t_start",
            )

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sums of `values` (..., days) over each window, (..., windows): term by term in day
        order, so they are exact sums of their terms (no cumulative-sum differences)."""
        widths = self.t_end - self.t_start + 1
        first = self.t_start - 1
        out = np.zeros((*values.shape[:-1], first.size))
        for offset in range(int(widths.max())):
            live = widths > offset
            if live.all():
                out += values[..., first + offset]
            else:
                out[..., live] += values[..., first[live] + offset]
        return out


@dataclass(frozen=True)
class RtEstimate:
    """Posterior of R per series and window: arrays (series, windows); quantiles add a last axis."""

    windows: Windows
    mean: np.ndarray
    std: np.ndarray
    quantiles: np.ndarray
    probs: tuple[float, ...] = QUANTILES


def split_first_day(local: np.ndarray, imported: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EpiEstim's process_I: all cases of day 1 count as imported (they have no visible infector)."""
    local = np.array(local, dtype=float, copy=True)
    imported = np.array(imported, dtype=float, copy=True)
    imported[:, 0] += local[:, 0]
    local[:, 0] = 0.0
    return local, imported


def pad_si(si_distr: np.ndarray, n_days: int) -> np.ndarray:
    """The serial interval as EpiEstim uses it: zero-padded to at least T + 1 values."""
    if si_distr.size >= n_days + 1:
        return si_distr
    return np.concatenate([si_distr, np.zeros(n_days + 1 - si_distr.size)])


def si_mean_days(si_distr: np.ndarray, n_days: int) -> float:
    """The serial interval's mean as EpiEstim uses it (over the padded w): Cori's windows ending
    on or before it are empty."""
    w = pad_si(np.asarray(si_distr, dtype=float), n_days)
    return float(np.sum(w * np.arange(w.size)))


def overall_infectivity(total: np.ndarray, si_distr: np.ndarray) -> np.ndarray:
    """Λ_t = Σ_{k=0}^{t-1} w_k I_{t-k} (0-based t) for every series; Λ of day 1 is not used.

    Computed as one matrix product with the lower-triangular Toeplitz matrix of w: all terms are
    non-negative, so the sums are accurate to a few ulps (no FFT round-off on small values).
    """
    n_days = total.shape[1]
    w = pad_si(si_distr, n_days)[:n_days]
    lag = np.subtract.outer(np.arange(n_days), np.arange(n_days))
    toeplitz = np.where(lag >= 0, w[np.clip(lag, 0, None)], 0.0)
    lam = total @ toeplitz.T
    lam[:, 0] = 0.0
    return lam


def check_prior(mean: float, sd: float) -> None:
    """The gamma prior of R needs a finite mean and sd, both > 0."""
    for name, value in (("prior_mean", mean), ("prior_sd", sd)):
        if not (math.isfinite(value) and value > 0):
            what = "mean" if name == "prior_mean" else "sd"
            raise InputError(
                f"the prior {what} must be a finite number > 0, got {value}", field=name
            )
    shape, scale = (mean / sd) ** 2 if mean / sd < 1e150 else math.inf, sd * (sd / mean)
    if not (math.isfinite(shape) and shape > 0 and math.isfinite(scale) and scale > 0):
        raise InputError(
            f"a gamma prior with mean {mean:g} and sd {sd:g} is out of range (shape "
            f"(mean/sd)^2 = {shape:g}, scale sd^2/mean = {scale:g}); choose a mean and sd "
            "closer to each other",
            field="prior_sd",
        )


def cori_posterior(
    local: np.ndarray,
    imported: np.ndarray,
    si_distr: np.ndarray,
    windows: Windows,
    *,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    probs: tuple[float, ...] = QUANTILES,
) -> RtEstimate:
    """Gamma posterior of R in each window (Cori et al. 2013), equal to EpiEstim's `estimate_R`.

    `local`, `imported`: (series, T) incidence; day 1 is moved to imported here. `si_distr`: w_0..
    (w_0 = 0), used as given (EpiEstim does not renormalise). Windows must satisfy `windows.check`.
    """
    check_prior(mean_prior, std_prior)
    local, imported = split_first_day(np.atleast_2d(local), np.atleast_2d(imported))
    n_days = local.shape[1]
    windows.check(n_days)
    a_prior = (mean_prior / std_prior) ** 2
    b_prior = std_prior**2 / mean_prior
    w = pad_si(np.asarray(si_distr, dtype=float), n_days)
    final_mean_si = si_mean_days(w, n_days)
    lam = overall_infectivity(local + imported, w)
    local_sum = windows.sum(local)
    lam_sum = windows.sum(lam)
    empty = windows.t_end <= final_mean_si
    shape = a_prior + local_sum
    scale = 1.0 / (1.0 / b_prior + lam_sum)
    shape[:, empty] = np.nan
    scale[:, empty] = np.nan
    return RtEstimate(
        windows=windows,
        mean=shape * scale,
        std=np.sqrt(shape) * scale,
        quantiles=gamma_quantiles(shape, scale, probs),
        probs=probs,
    )
