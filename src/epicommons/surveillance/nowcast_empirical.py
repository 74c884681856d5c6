"""The empirical nowcast: multiplicative completion (chain ladder) with intervals from its own
past errors — what baselinenowcast and the German nowcast hubs' simple models do.

For one series, with cumulative reports C[t, j] (delays up to j):
1. development factors f_j = Σ_t C[t, j+1] / Σ_t C[t, j] over the latest `window` reference
   dates where both are known;
2. the point nowcast of a row last known at delay j is C[t, j] · Π_{i ≥ j} f_i;
3. the same nowcast is made at each of up to 3 × `window` previous as-of dates, from what was
   known then, and compared with what was eventually reported: per horizon, the log errors
   log((1 + final) / (1 + nowcast)), clipped to ±MAX_LOG_ERROR;
4. sample paths: the point nowcast times exp(a resampled past error, smoothed by a Gaussian
   kernel of Silverman's bandwidth). Errors are in log space, so revisions down are covered.
"""

from __future__ import annotations

import numpy as np

from .nowcast_core import NowcastInputs, SeriesNowcast

MAX_LOG_ERROR = 1.0  # past errors beyond a factor of e either way are clipped to it


def nowcast_series(inp: NowcastInputs, rng: np.random.Generator) -> SeriesNowcast:
    """Sample paths of the final counts of the incomplete rows of one series."""
    counts = inp.counts  # (T, J), NaN unknown, negative cells kept
    horizons = inp.incomplete
    point, cum_obs = _point(counts, inp.window)
    errors = _past_errors(inp, horizons)
    rows = np.arange(counts.shape[0] - horizons, counts.shape[0])
    paths = np.empty((horizons, inp.n_paths))
    for i, row in enumerate(rows):
        e = errors[horizons - 1 - i]
        if e.size < 3:
            e = np.zeros(1)
        # an as-of date whose first reports were a holiday's zeros gives an error of e^10; one
        # such error would set the outer quantiles of every later nowcast
        e = np.clip(e, -MAX_LOG_ERROR, MAX_LOG_ERROR)
        draw = rng.choice(e, inp.n_paths) + rng.normal(0.0, _bandwidth(e), inp.n_paths)
        paths[i] = np.maximum(np.round(np.expm1(np.log1p(point[row]) + draw)), 0.0)
    return SeriesNowcast(paths, cum_obs[rows], {"errors": [int(e.size) for e in errors]})


def _bandwidth(e: np.ndarray) -> float:
    """Silverman's rule of thumb: the kernel that smooths the resampled past errors."""
    if e.size < 2:
        return 0.0
    spread = min(e.std(), np.subtract(*np.percentile(e, [75, 25])) / 1.34) or e.std()
    return 0.9 * spread * e.size**-0.2


def _point(counts: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Chain-ladder point nowcast of the final count and the cumulative count as known, per row."""
    known = ~np.isnan(counts)
    cum = np.cumsum(np.where(known, counts, 0.0), axis=1)
    cum = np.where(known, cum, np.nan)
    t_n, j_n = counts.shape
    factors = np.ones(j_n)
    for j in range(j_n - 1):
        both = known[:, j] & known[:, j + 1]
        rows = np.flatnonzero(both)[-window:]
        below = cum[rows, j].sum()
        factors[j] = cum[rows, j + 1].sum() / below if below > 0 else 1.0
    factors = np.maximum(factors, 0.0)
    tail = np.cumprod(factors[::-1])[::-1]  # tail[j] = Π_{i ≥ j} f_i
    last = known.sum(axis=1) - 1  # cells are known in delay order
    obs = np.where(last >= 0, cum[np.arange(t_n), np.maximum(last, 0)], 0.0)
    obs = np.where(np.isnan(obs), 0.0, obs)
    completion = np.where(last >= 0, tail[np.maximum(last, 0)], 1.0)
    point = np.where(last < j_n - 1, np.maximum(obs, 0.0) * completion, obs)
    return point, np.maximum(obs, 0.0)


def _past_errors(inp: NowcastInputs, horizons: int) -> list[np.ndarray]:
    """Per horizon (0 = the latest row), log errors log((1 + final) / (1 + nowcast)) of the
    nowcasts made at earlier as-of dates whose rows have since been completely reported."""
    counts, known_at = inp.counts, inp.known_at
    t_n = counts.shape[0]
    out = [[] for _ in range(horizons)]
    final = np.nansum(np.where(known_at <= t_n - 1, counts, 0.0), axis=1)
    complete = (known_at <= t_n - 1).all(axis=1)
    for back in range(1, 3 * inp.window + 1):
        cut = t_n - 1 - back  # index of the as-of row then
        if cut - horizons < inp.window:
            break
        then = np.where(known_at[: cut + 1] <= cut, counts[: cut + 1], np.nan)
        point, _ = _point(then, inp.window)
        for h in range(horizons):
            row = cut - h
            if complete[row]:
                out[h].append(np.log1p(max(final[row], 0.0)) - np.log1p(max(point[row], 0.0)))
    return [np.array(e) for e in out]
