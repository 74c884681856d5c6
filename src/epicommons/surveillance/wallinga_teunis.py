"""Wallinga & Teunis (2004) case reproduction number, as EpiEstim 2.2.4 `wallinga_teunis`.

The mean is exact: case j's expected offspring R_j = Σ_t I_t w(t-j) / Λ_t, averaged over the
cases of each window. The sd and quantiles come from simulated ancestries (each case at t picks
an infector day s with probability ∝ w(t-s) I_s), drawn with a seeded NumPy generator, so they
match EpiEstim's only up to Monte Carlo error. EpiEstim's window filtering is reproduced: windows
before the first case (its index-vs-time rule included) and windows without cases are empty.
"""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError

from .cori import QUANTILES, RtEstimate, Windows, pad_si


def _kept_windows(total: np.ndarray, windows: Windows) -> np.ndarray:
    """EpiEstim's filter: drop windows whose t_start < i, i = index of the first window with cases
    before its t_start (EpiEstim compares a window index with a day), then windows without cases."""
    cum = np.concatenate([[0.0], np.cumsum(total)])
    before = cum[windows.t_start - 1]
    has_cases_before = np.flatnonzero(before > 0)
    if has_cases_before.size == 0:
        raise InputError(
            "no cases before the last window: Wallinga-Teunis needs infectors", field="cases"
        )
    first = int(has_cases_before[0]) + 1
    keep = windows.t_start >= first
    in_window = cum[windows.t_end] - cum[windows.t_start - 1]
    return keep & (in_window != 0)


def wallinga_teunis(
    total: np.ndarray,
    si_distr: np.ndarray,
    windows: Windows,
    *,
    n_sim: int = 100,
    seed: int = 0,
    probs: tuple[float, ...] = QUANTILES,
) -> RtEstimate:
    """Case reproduction number per window for one series of integer daily counts (T,)."""
    total = np.asarray(total, dtype=float)
    if np.any(total != np.round(total)):
        raise InputError("Wallinga-Teunis needs whole-number daily counts", field="cases")
    n_days = total.size
    windows.check(n_days)
    kept = _kept_windows(total, windows)
    w = pad_si(np.asarray(si_distr, dtype=float), n_days)
    lag = np.subtract.outer(np.arange(n_days), np.arange(n_days))  # [t, s] = t - s
    kernel = np.where(lag >= 0, w[np.clip(lag, 0, None)], 0.0)
    lam = kernel @ total
    with np.errstate(divide="ignore", invalid="ignore"):
        per_infectee = np.where(lam > 0, total / lam, 0.0)
    r_case = per_infectee @ kernel  # expected offspring of one case on day s
    p = (
        kernel * total[None, :] * np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)[:, None]
    )  # [t, s]: probability that a case on day t was infected by one on day s
    cases_in = windows.sum(total)
    mean = np.full(windows.t_start.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean[kept] = windows.sum(r_case * total)[kept] / cases_in[kept]
    std = np.full_like(mean, np.nan)
    quantiles = np.full((mean.size, len(probs)), np.nan)
    if n_sim > 0:
        sims = _simulate(total.astype(np.int64), p, lam > 0, n_sim, seed)  # (n_sim, T)
        r_sim = windows.sum(sims) / np.where(cases_in > 0, cases_in, np.nan)
        std[kept] = np.std(r_sim[:, kept], axis=0, ddof=1) if n_sim > 1 else np.nan
        quantiles[kept] = np.quantile(r_sim[:, kept], probs, axis=0).T
    return RtEstimate(windows, mean[None], std[None], quantiles[None], probs)


def _simulate(
    total: np.ndarray, p: np.ndarray, has_infector: np.ndarray, n_sim: int, seed: int
) -> np.ndarray:
    """Offspring counts per infector day in each simulation: (n_sim, T)."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(has_infector & (total > 0))
    probs = p[rows]
    probs = probs / probs.sum(axis=1, keepdims=True)
    out = np.zeros((n_sim, total.size))
    for k in range(n_sim):
        out[k] = rng.multinomial(total[rows], probs).sum(axis=0)
    return out
