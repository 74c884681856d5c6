"""The observation model: reported counts are negative-binomial around the expected counts.

NB(mean mu, size k) has variance mu + mu^2 / k (k -> infinity: Poisson). The ABC distance compares
log1p counts, so countries of different size weigh alike; the summary statistics of the regression
adjustment are weekly means of the same log1p counts.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

MIN_MEAN = 1e-8  # a mean of exactly 0 would make any report impossible


def nb_logpmf(y: np.ndarray, mu: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Log P(Y = y) for Y ~ NB(mean mu, size k), elementwise (broadcasting)."""
    y = np.asarray(y, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), MIN_MEAN)
    k = np.asarray(k, dtype=float)
    return (
        gammaln(y + k)
        - gammaln(k)
        - gammaln(y + 1)
        + k * (np.log(k) - np.log(k + mu))
        + y * (np.log(mu) - np.log(k + mu))
    )


def log_likelihood(expected: np.ndarray, observed: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Sum of NB log-probabilities per run: expected `(runs, days, ...)`, observed `(days, ...)`
    (NaN = not reported, skipped), k `(runs,)`."""
    seen = np.isfinite(observed)
    kk = np.asarray(k, dtype=float).reshape((-1,) + (1,) * (expected.ndim - 1))
    lp = nb_logpmf(np.where(seen, observed, 0.0)[None], expected, kk)
    return np.where(seen[None], lp, 0.0).reshape(len(expected), -1).sum(axis=1)


def nb_sample(gen: np.random.Generator, mu: np.ndarray, k: float) -> np.ndarray:
    """Draws of NB(mean mu, size k) (as a gamma-Poisson mixture)."""
    mu = np.maximum(np.asarray(mu, dtype=float), 0.0)
    rate = gen.gamma(k, 1.0, size=mu.shape) / k
    return gen.poisson(mu * rate).astype(float)


def distance(simulated: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Root mean square difference of log1p counts over reported entries, per run."""
    seen = np.isfinite(observed)
    diff = np.log1p(simulated) - np.log1p(np.where(seen, observed, 0.0))[None]
    sq = np.where(seen[None], diff**2, 0.0).reshape(len(simulated), -1).sum(axis=1)
    return np.sqrt(sq / max(int(seen.sum()), 1))


WEEK = 7  # days per bin of the summary statistics


def summary_bins(days: int, width: int = WEEK) -> np.ndarray:
    """Bin index of each of `days` consecutive days: blocks of `width` days, a short last block
    (fewer than width / 2 days) merged into the one before."""
    n = max(int(np.ceil(days / width)), 1)
    if n > 1 and days - (n - 1) * width < width / 2:
        n -= 1
    return np.minimum(np.arange(days) // width, n - 1)


def summaries(simulated: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Weekly means of log1p counts over the days the data report, per run: `(runs, S)` with
    one column per week, country and observable that has at least one report (ordered by
    week, then country, then observable). `observed` is `(days, ...)` with NaN where missing."""
    seen = np.isfinite(observed)
    bins = summary_bins(len(observed))
    x = np.where(seen[None], np.log1p(simulated), 0.0)
    starts = np.flatnonzero(np.r_[True, np.diff(bins) > 0])
    sums = np.add.reduceat(x, starts, axis=1)
    counts = np.add.reduceat(seen.astype(float), starts, axis=0)
    keep = counts > 0
    return (sums[:, keep] / counts[keep]).reshape(len(simulated), -1)
