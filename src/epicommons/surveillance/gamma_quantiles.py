"""Fast, exact-to-rounding gamma quantiles for many shapes at once.

`scipy.special.gammaincinv` costs ~0.6 µs a value, too slow for 200 countries × 1,000 windows × 7
quantiles. For shape a ≥ 10 the ratio Q(a, q) / a is a smooth function of u = a^(-1/2) on (0, 0.32]
(its Cornish–Fisher series is a power series in u), so a degree-24 Chebyshev fit through
`gammaincinv` at the Chebyshev nodes reproduces it to ~1e-14 relative. The fits for EpiEstim's
seven quantiles are stored (data/gamma_quantile_chebyshev.json, made by
scripts/fit_gamma_quantiles.py); other probabilities are fitted on first use. Small shapes use
the NumPy inverse of the incomplete gamma function on their unique values.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np
from numpy.polynomial import chebyshev

from .incomplete_gamma import gammaincinv

SMALL_SHAPE = 10.0
DEGREE = 24
_U_MAX = 1.0 / np.sqrt(SMALL_SHAPE)
STORED_FITS = "gamma_quantile_chebyshev.json"


def chebyshev_nodes() -> np.ndarray:
    """The DEGREE + 1 Chebyshev nodes in x ∈ (-1, 1) the fits go through."""
    n = DEGREE + 1
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)


def fit_coefficients(q: float) -> np.ndarray:
    """Chebyshev coefficients of Q(a, q) / a in x = 2 u / u_max - 1, u = a^(-1/2), through
    scipy's `gammaincinv` (accurate for the huge shapes near u = 0)."""
    from scipy import special

    x = chebyshev_nodes()
    a = 1.0 / ((x + 1.0) / 2.0 * _U_MAX) ** 2
    return chebyshev.chebfit(x, special.gammaincinv(a, q) / a, DEGREE)


@cache
def _stored() -> dict[float, np.ndarray]:
    text = resources.files("epicommons.surveillance").joinpath("data", STORED_FITS).read_text()
    stored = json.loads(text)
    if stored["degree"] != DEGREE or stored["small_shape"] != SMALL_SHAPE:
        raise RuntimeError(f"{STORED_FITS} was fitted for other settings: rerun its script")
    return {float(q): np.array(c) for q, c in stored["coefficients"].items()}


@cache
def _coefficients(q: float) -> np.ndarray:
    stored = _stored()
    return stored[q] if q in stored else fit_coefficients(q)


def gamma_quantiles(shape: np.ndarray, scale: np.ndarray, probs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of Gamma(shape, scale) for each element; NaN shapes give NaN. Shape (..., len(probs))."""
    shape = np.asarray(shape, dtype=float)
    scale = np.asarray(scale, dtype=float)
    out = np.full((*shape.shape, len(probs)), np.nan)
    valid = np.isfinite(shape) & np.isfinite(scale)
    large = valid & (shape >= SMALL_SHAPE)
    small = valid & ~large
    a_large = shape[large]
    coefficients = np.stack([_coefficients(q) for q in probs])  # (probs, DEGREE + 1)
    ratios = coefficients @ _chebyshev_basis(2.0 / np.sqrt(a_large) / _U_MAX - 1.0)
    out[large] = (ratios * (a_large * scale[large])).T
    uniq, inverse = np.unique(shape[small], return_inverse=True)
    small_quantiles = gammaincinv(uniq[:, None], np.asarray(probs)[None, :])
    out[small] = small_quantiles[inverse] * scale[small][:, None]
    return out


def _chebyshev_basis(x: np.ndarray) -> np.ndarray:
    """T_0(x) .. T_DEGREE(x) as rows (|x| ≤ 1, where the recurrence is stable): one matrix
    product then sums the series for every probability at once."""
    basis = np.empty((DEGREE + 1, x.size))
    basis[0] = 1.0
    basis[1] = x
    two_x = 2.0 * x
    for k in range(2, DEGREE + 1):
        np.multiply(two_x, basis[k - 1], out=basis[k])
        basis[k] -= basis[k - 2]
    return basis
