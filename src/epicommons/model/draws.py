"""Random draws of the engine, faster than NumPy's for its cases (compiled, inlined).

Exact inversion for small means, NumPy's BTPE in between, the normal approximation where the
variance is large (`NORMAL_ABOVE` in the exact engine).
"""

from __future__ import annotations

import numpy as np
from numba import njit

NORMAL_ABOVE = 1000.0  # binomial variance above which the normal approximation is drawn


@njit(cache=True)
def binomial(gen, n, p):
    """Binomial(n, p) draw, faster than Generator.binomial for the engine's cases.

    Exact inversion when the mean is small (the common case: few events per cell and day);
    the normal approximation, rounded and clipped to [0, n], when the variance exceeds
    `NORMAL_ABOVE` (skewness below 0.03); NumPy's exact BTPE in between.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    return binomial_logq(gen, n, p, np.log1p(-p))


@njit(cache=True, inline="always")
def binomial_logq(gen, n, p, logq):
    """As `binomial`, given log(1 - p) (known without a log call when p = 1 - exp(-h dt))."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - _binomial_low(gen, n, 1.0 - p, np.nan)
    return _binomial_low(gen, n, p, logq)


@njit(cache=True, inline="always")
def _binomial_low(gen, n, p, logq):
    """Binomial draw for 0 < p <= 0.5; logq = log(1 - p) or NaN to compute it when needed."""
    mean = n * p
    if mean < 25.0:
        q = 1.0 - p
        s = p / q
        a = (n + 1) * s
        r = np.exp(n * (np.log1p(-p) if np.isnan(logq) else logq))
        u = gen.random()
        k = 0
        while u > r:
            u -= r
            k += 1
            if k > n:
                return n
            r *= a / k - s
            if r <= 0.0:
                break
        return k
    var = mean * (1.0 - p)
    if var > NORMAL_ABOVE:
        k = np.int64(np.floor(mean + np.sqrt(var) * gen.standard_normal() + 0.5))
        return min(max(k, 0), n)
    return gen.binomial(n, p)
