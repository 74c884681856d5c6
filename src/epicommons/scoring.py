"""Proper scores of probabilistic forecasts: interval score, weighted interval score and its
decomposition, interval coverage, CRPS.

WIS follows Bracher et al. (2021, PLoS Comput. Biol. 17:e1008618): for K central intervals at
levels 1 - alpha_k and the median m,
WIS = (|y - m| / 2 + sum_k alpha_k / 2 * IS_alpha_k) / (K + 1/2), with
IS_alpha = (u - l) + 2/alpha (l - y) 1[y < l] + 2/alpha (y - u) 1[y > u].
Its three parts (as scoringutils reports them) split each term: dispersion = the widths
(u - l) weighted alpha/2, overprediction = the penalties for y below the intervals plus the
median's |y - m|/2 when y < m, underprediction = the same above; they sum to WIS.
CRPS of an ensemble x_1..x_n (Gneiting & Raftery 2007, the "energy" form):
CRPS = mean|x_i - y| - 1/(2 n^2) sum_ij |x_i - x_j|.
Coverage of counts: a forecast that puts mass on the observed count itself (a count already
complete, a point forecast) covers it with every interval when bounds count as in; the PIT
coverage (Czado, Gneiting & Held 2009, the non-randomised PIT) counts the share of the PIT's
range [F(y-), F(y)] that falls inside the central interval instead, its expectation under
randomisation, so a calibrated forecast of counts covers at its nominal level.
"""

from __future__ import annotations

import numpy as np

# the quantile levels of the US COVID-19 Forecast Hub: the median and 11 central intervals
ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
QUANTILES = tuple(sorted({0.5, *(a / 2 for a in ALPHAS), *(1 - a / 2 for a in ALPHAS)}))


def interval_score(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Interval score of the central (1 - alpha) interval [lower, upper] for observation y."""
    lower, upper, y = (np.asarray(v, dtype=float) for v in (lower, upper, y))
    return (
        (upper - lower)
        + 2.0 / alpha * np.maximum(lower - y, 0.0)
        + 2.0 / alpha * np.maximum(y - upper, 0.0)
    )


def weighted_interval_score(
    quantiles: dict[float, np.ndarray], y: np.ndarray, alphas: tuple[float, ...] = ALPHAS
) -> np.ndarray:
    """WIS from predictive quantiles keyed by level (needs 0.5 and alpha/2, 1 - alpha/2)."""
    parts = wis_components(quantiles, y, alphas)
    return parts["dispersion"] + parts["overprediction"] + parts["underprediction"]


def wis_components(
    quantiles: dict[float, np.ndarray], y: np.ndarray, alphas: tuple[float, ...] = ALPHAS
) -> dict[str, np.ndarray]:
    """WIS split into dispersion, overprediction and underprediction (they sum to WIS)."""
    y = np.asarray(y, dtype=float)
    median = np.asarray(quantiles[0.5], dtype=float)
    dispersion = np.zeros(np.broadcast(y, median).shape)
    over = 0.5 * np.maximum(median - y, 0.0)
    under = 0.5 * np.maximum(y - median, 0.0)
    for a in alphas:
        lo = np.asarray(quantiles[_level(a / 2, quantiles)], dtype=float)
        hi = np.asarray(quantiles[_level(1 - a / 2, quantiles)], dtype=float)
        dispersion = dispersion + a / 2.0 * (hi - lo)
        over = over + np.maximum(lo - y, 0.0)  # a/2 * 2/a * (l - y)
        under = under + np.maximum(y - hi, 0.0)
    k = len(alphas) + 0.5
    return {"dispersion": dispersion / k, "overprediction": over / k, "underprediction": under / k}


def covered(quantiles: dict[float, np.ndarray], y: np.ndarray, level: float) -> np.ndarray:
    """Whether y lies in the central `level` interval [q(1-level)/2, q(1+level)/2] (bounds in)."""
    y = np.asarray(y, dtype=float)
    lo = np.asarray(quantiles[_level((1 - level) / 2, quantiles)], dtype=float)
    hi = np.asarray(quantiles[_level((1 + level) / 2, quantiles)], dtype=float)
    return (lo <= y) & (y <= hi)


def pit_coverage(samples: np.ndarray, y: np.ndarray, level: float, axis: int = -1) -> np.ndarray:
    """Expected coverage of the central `level` interval by the randomised PIT of y under the
    sample distribution along `axis`: |[F(y-), F(y)] ∩ [(1-level)/2, (1+level)/2]| over the
    range's length (the indicator of F(y) in the interval when the range is a point)."""
    x = np.moveaxis(np.asarray(samples, dtype=float), axis, -1)
    y = np.asarray(y, dtype=float)[..., None]
    below = (x < y).mean(axis=-1)
    at_most = (x <= y).mean(axis=-1)
    lo, hi = (1 - level) / 2, (1 + level) / 2
    overlap = np.clip(np.minimum(at_most, hi) - np.maximum(below, lo), 0.0, None)
    width = at_most - below
    point = (lo <= at_most) & (at_most <= hi)
    return np.where(width > 0, overlap / np.where(width > 0, width, 1.0), point.astype(float))


def crps_ensemble(samples: np.ndarray, y: np.ndarray, axis: int = 0) -> np.ndarray:
    """CRPS of an ensemble along `axis` for observations y (broadcast over the other axes)."""
    x = np.moveaxis(np.asarray(samples, dtype=float), axis, 0)
    y = np.asarray(y, dtype=float)
    n = x.shape[0]
    first = np.abs(x - y[None]).mean(axis=0)
    xs = np.sort(x, axis=0)
    i = np.arange(1, n + 1, dtype=float).reshape((n,) + (1,) * (x.ndim - 1))
    pairs = 2.0 * ((2.0 * i - n - 1.0) * xs).sum(axis=0)  # sum_ij |x_i - x_j|
    return first - pairs / (2.0 * n * n)


def _level(q: float, quantiles: dict[float, np.ndarray]) -> float:
    for k in quantiles:
        if abs(k - q) < 1e-9:
            return k
    raise KeyError(f"quantile level {q} missing")
