"""Rt from weekly counts (Nash et al. 2023, the method of EpiEstim's `estimate_R_agg`).

Cori's estimate needs daily incidence when the serial interval is shorter than the reporting
step: reading a week as seven equal days pulls Rt towards 1 in growth and in decline. Here the
daily incidence is reconstructed instead: starting from the even split, Rt is estimated over each
week, the week's days are rebuilt by the renewal equation with that Rt, each week is rescaled to
its reported total (so every weekly total is kept exactly), and this is repeated until the
estimates settle. The first week has no infectors in view and keeps its even split, so the
second week's estimate leans on that split; from the third week on it has its own history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError

from .cori import RtEstimate, Windows, cori_posterior, pad_si

ITERATIONS = 10  # EpiEstim's default `iter` for aggregated data
TOLERANCE = 1e-6  # relative change of the reconstruction at which the iterations stop


@dataclass(frozen=True)
class WeeklyRt:
    """Rt per series and week (the first week empty) and the daily incidence it was read from."""

    estimate: RtEstimate  # windows: the weeks from the second on, 1-based days
    daily: np.ndarray  # (series, weeks * step), each week summing to its reported count
    iterations: int


def week_windows(n_weeks: int, step: int = 7) -> Windows:
    """One window per week from the second: days [k*step + 1, (k+1)*step] (1-based)."""
    if n_weeks < 2:
        raise InputError(f"Rt from weekly counts needs at least 2 weeks, got {n_weeks}")
    k = np.arange(1, n_weeks, dtype=np.int64)
    return Windows(k * step + 1, (k + 1) * step)


def rt_from_weekly(
    weekly: np.ndarray,
    si_distr: np.ndarray,
    *,
    step: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    iterations: int = ITERATIONS,
) -> WeeklyRt:
    """Cori's posterior of Rt over each week of `weekly` (series, weeks; counts ≥ 0) with the
    daily serial interval `si_distr` (w_0 = 0), on the reconstructed daily incidence."""
    weekly = np.atleast_2d(np.asarray(weekly, dtype=float))
    if not np.isfinite(weekly).all() or (weekly < 0).any():
        raise InputError("weekly counts must be finite and ≥ 0", field="counts")
    n_series, n_weeks = weekly.shape
    n_days = n_weeks * step
    windows = week_windows(n_weeks, step)
    w = pad_si(np.asarray(si_distr, dtype=float), n_days)[: n_days + 1]
    daily = np.repeat(weekly / step, step, axis=1)
    zeros = np.zeros_like(daily)
    done = 0
    while done < iterations:
        done += 1
        post = cori_posterior(daily, zeros, w, windows, mean_prior=mean_prior, std_prior=std_prior)
        rebuilt = _reconstruct(weekly, daily, post.mean, w, step)
        change = np.abs(rebuilt - daily).max() / max(float(weekly.max()), 1.0)
        daily = rebuilt
        if change < TOLERANCE:
            break
    post = cori_posterior(daily, zeros, w, windows, mean_prior=mean_prior, std_prior=std_prior)
    return WeeklyRt(estimate=post, daily=daily, iterations=done)


def _reconstruct(
    weekly: np.ndarray, daily: np.ndarray, r: np.ndarray, w: np.ndarray, step: int
) -> np.ndarray:
    """Each week from the second rebuilt day by day as R·Λ_t from the days already rebuilt, then
    scaled to the week's total; weeks without an estimate (or no infectors) stay evenly split."""
    out = daily.copy()
    n_weeks = weekly.shape[1]
    support = int(np.flatnonzero(w)[-1]) if w.any() else 0  # the serial interval's last day
    for k in range(1, n_weeks):
        first = k * step
        rk = r[:, k - 1]
        for t in range(first, first + step):
            lags = np.arange(1, min(t, support) + 1)
            out[:, t] = np.nan_to_num(rk) * (out[:, t - lags] @ w[lags])
        days = slice(first, first + step)
        total = out[:, days].sum(axis=1)
        ok = np.isfinite(rk) & (total > 0)
        scale = np.divide(weekly[:, k], total, out=np.zeros_like(total), where=ok)
        out[ok, days] *= scale[ok, None]
        out[~ok, days] = (weekly[~ok, k] / step)[:, None]
    return out
