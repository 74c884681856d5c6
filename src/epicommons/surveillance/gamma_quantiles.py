"""Fast, exact-to-rounding gamma quantiles for many shapes at once.

`scipy.special.gammaincinv` costs ~0.6 µs a value, too slow for 200 countries × 1,000 windows × 7
quantiles. For shape a ≥ 10 the ratio Q(a, q) / a is a smooth function of u = a^(-1/2) on (0, 0.32]
(its Cornish–Fisher series is a power series in u), so a degree-24 Chebyshev fit through
`gammaincinv` at the Chebyshev nodes reproduces it to ~1e-14 relative; small shapes use
`gammaincinv` directly on their unique values.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.polynomial import chebyshev
from scipy import special

SMALL_SHAPE = 10.0
DEGREE = 24
_U_MAX = 1.0 / np.sqrt(SMALL_SHAPE)


@cache
def _coefficients(q: float) -> np.ndarray:
    """Chebyshev coefficients of Q(a, q) / a in x = 2 u / u_max - 1, u = a^(-1/2)."""
    n = DEGREE + 1
    x = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    u = (x + 1.0) / 2.0 * _U_MAX
    a = 1.0 / u**2
    return chebyshev.chebfit(x, special.gammaincinv(a, q) / a, DEGREE)


def gamma_quantiles(shape: np.ndarray, scale: np.ndarray, probs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of Gamma(shape, scale) for each element; NaN shapes give NaN. Shape (..., len(probs))."""
    shape = np.asarray(shape, dtype=float)
    scale = np.asarray(scale, dtype=float)
    out = np.full((*shape.shape, len(probs)), np.nan)
    valid = np.isfinite(shape) & np.isfinite(scale)
    large = valid & (shape >= SMALL_SHAPE)
    small = valid & ~large
    a_large = shape[large]
    x_large = 2.0 / np.sqrt(a_large) / _U_MAX - 1.0
    uniq, inverse = np.unique(shape[small], return_inverse=True)
    for j, q in enumerate(probs):
        plane = out[..., j]
        plane[large] = chebyshev.chebval(x_large, _coefficients(q)) * a_large * scale[large]
        plane[small] = special.gammaincinv(uniq, q)[inverse] * scale[small]
    return out
