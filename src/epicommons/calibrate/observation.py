"""The observation model: reported counts are negative-binomial around the expected counts.

NB(mean mu, size k) has variance mu + mu^2 / k (k -> infinity: Poisson). The ABC distance compares
log1p counts, so countries of different size weigh alike.
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
