"""Local-linear regression adjustment of ABC particles (Beaumont, Zhang & Balding 2002,
Genetics 162:2025) on projected summary statistics (Fearnhead & Prangle 2012, JRSS B 74:419).

An ABC population accepted at a tolerance that cannot reach zero (noisy reports put a floor
under the distance) samples the posterior given "distance <= eps", wider than the posterior
given the data. The adjustment regresses the parameters z on the summary statistics x of each
particle's simulated reports (x = s - s_obs) by weighted least squares, with weights
K(||x|| / h) times the importance weights (Epanechnikov kernel K(u) = 1 - u^2), and moves each
particle along the fitted plane to the observed statistics: z_i* = z_i - beta' x_i.

The statistics are first projected to one per parameter (a linear regression of the parameters
on the raw statistics, fitted on a pilot population: the "semi-automatic" summaries of
Fearnhead & Prangle), so the local regression has P + 1 coefficients per parameter however many
raw statistics there are; with a dozen raw statistics and a few hundred effective particles the
unprojected regression over-fits and its intervals are too narrow. The kernel distance is the
Mahalanobis norm of the projected statistics. Parameters are regressed on an unconstrained
scale (the logit of each bounded prior's support), so adjusted particles stay inside it.
"""

from __future__ import annotations

import numpy as np

BANDWIDTH_QUANTILE = 0.5  # the kernel's bandwidth: this quantile of the particles' distances


def epanechnikov(u: np.ndarray) -> np.ndarray:
    """K(u) = 1 - u^2 on |u| < 1, else 0 (unnormalised)."""
    u = np.asarray(u, dtype=float)
    return np.where(np.abs(u) < 1.0, 1.0 - u**2, 0.0)


def projection(z: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """Coefficients `(1 + S, P)` of the least-squares fit z ~ 1 + statistics (a pilot fit;
    statistics constant over the pilot get coefficient 0)."""
    design = np.column_stack([np.ones(len(z)), statistics])
    return np.linalg.lstsq(design, z, rcond=None)[0]


def project(coef: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """Projected statistics `(n, P)` of raw statistics `(n, S)`."""
    statistics = np.atleast_2d(statistics)
    return coef[0] + statistics @ coef[1:]


def kernel_weights(
    x: np.ndarray, weights: np.ndarray, quantile: float = BANDWIDTH_QUANTILE
) -> tuple[np.ndarray, float]:
    """Normalised weights K(d / h) * weights and the bandwidth h, where d is the Mahalanobis
    norm of x (statistics minus the observed ones, `(n, S)`) under their weighted covariance
    and h the given quantile of d."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    cov = np.atleast_2d(np.cov(x, rowvar=False, aweights=w))
    d = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", x, np.linalg.pinv(cov), x), 0.0))
    h = float(np.quantile(d, quantile))
    k = epanechnikov(d / h) * w if h > 0 else w
    return k / k.sum(), h


def regression_adjust(z: np.ndarray, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Adjusted parameters z - beta' x `(n, P)`, beta from the weighted least-squares fit
    z ~ 1 + x (x: statistics minus the observed ones `(n, S)`; weights `(n,)`, >= 0)."""
    z = np.asarray(z, dtype=float)
    x = np.atleast_2d(np.asarray(x, dtype=float))
    root = np.sqrt(np.asarray(weights, dtype=float) / np.sum(weights))[:, None]
    design = np.column_stack([np.ones(len(z)), x])
    beta = np.linalg.lstsq(design * root, z * root, rcond=None)[0]
    return z - x @ beta[1:]
