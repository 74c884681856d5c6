"""Random draws of the engine, faster than NumPy's for its cases (compiled, inlined).

Exact inversion for small means, NumPy's BTPE in between, the normal approximation where the
variance is large (`NORMAL_ABOVE`); the fast engine draws the normal approximation as soon as
both the expected count and what stays are large (`leap_binomial`, its threshold `leap_above`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# the Generator methods' own implementations, called on its bit generator (numba is pinned)
from numba.np.random.distributions import random_binomial, random_standard_normal
from numba.np.random.generator_core import next_double

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
        return normal_count(gen, n, mean, var)
    return gen.binomial(n, p)


@njit(cache=True, inline="always")
def normal_count(gen, n, mean, var):
    """A count in [0, n]: the normal approximation N(mean, var), rounded and clipped."""
    k = np.int64(np.floor(mean + np.sqrt(var) * gen.standard_normal() + 0.5))
    return min(max(k, 0), n)


@njit(cache=True, inline="always")
def leap_binomial(gen, n, p, logq, above):
    """Binomial(n, p) of the fast engine: the normal approximation (tau-leaping) where both
    the expected count n p and what is expected to stay n (1 - p) are at least `above`, the
    exact draw of `binomial_logq` otherwise (logq may be NaN). `above` = inf: always exact.
    """
    if n > 0 and 0.0 < p < 1.0:
        mean = n * p
        if mean >= above and n - mean >= above:
            return normal_count(gen, n, mean, mean * (1.0 - p))
    return binomial_logq(gen, n, p, logq)


@njit(cache=True, inline="always")
def leap_binomial_bits(bits, n, p, logq, logp, above):
    """`leap_binomial` drawn from `bits`, a Generator's `bit_generator` (taken out once: each
    use of the Generator itself counts a reference, as long as a draw), given logq = log(1 - p)
    and logp = log1p(-(1 - p)) (NaN: computed when needed). The same numbers from the same
    state: the same algorithms on the same bits."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    mean = n * p
    if mean >= above and n - mean >= above:
        return _normal_bits(bits, n, mean, mean * (1.0 - p))
    if p > 0.5:
        return n - _binomial_low_bits(bits, n, 1.0 - p, logp)
    return _binomial_low_bits(bits, n, p, logq)


@njit(cache=True, inline="always")
def _binomial_low_bits(bits, n, p, logq):
    """`_binomial_low` drawn from `bits`."""
    mean = n * p
    if mean < 25.0:
        q = 1.0 - p
        s = p / q
        a = (n + 1) * s
        r = np.exp(n * (np.log1p(-p) if np.isnan(logq) else logq))
        u = next_double(bits)
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
        return _normal_bits(bits, n, mean, var)
    return np.int64(random_binomial(bits, n, p))


@njit(cache=True, inline="always")
def _normal_bits(bits, n, mean, var):
    """`normal_count` drawn from `bits`."""
    k = np.int64(np.floor(mean + np.sqrt(var) * random_standard_normal(bits) + 0.5))
    return min(max(k, 0), n)
