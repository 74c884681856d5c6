"""Maximum-likelihood point estimate: NB observation model, deterministic engine, L-BFGS-B.

Parameters are optimised in the unit box of their priors' supports (log scale for loguniform
priors). Each gradient is one batch of P + 1 runs (forward differences), so the engine's batches
serve the optimiser too. Several starts (prior median and prior draws) guard against local optima.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from epicommons.backend import Backend, InProcess, chunked

from .problem import Problem
from .tasks import log_likelihoods

STEP = 1e-5  # forward-difference step in unit-box coordinates


@dataclass(frozen=True)
class PointEstimate:
    """The best parameters found, their log-likelihood and the optimiser's report."""

    names: list[str]
    values: np.ndarray
    log_likelihood: float
    evaluations: int
    converged: bool

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.values.tolist(), strict=True))


class _Box:
    """Unit-box coordinates of the parameters."""

    def __init__(self, problem: Problem) -> None:
        self.log = np.array([p.prior.kind == "loguniform" for p in problem.parameters])
        box = np.array([p.prior.box() for p in problem.parameters], dtype=float)
        safe = np.where(self.log[:, None], box, 1.0)
        self.lo = np.where(self.log, np.log(safe[:, 0]), box[:, 0])
        self.hi = np.where(self.log, np.log(safe[:, 1]), box[:, 1])

    def to_theta(self, u: np.ndarray) -> np.ndarray:
        v = self.lo + np.clip(u, 0.0, 1.0) * (self.hi - self.lo)
        return np.where(self.log, np.exp(v), v)

    def to_unit(self, theta: np.ndarray) -> np.ndarray:
        v = np.where(self.log, np.log(np.where(self.log, theta, 1.0)), theta)
        return (v - self.lo) / (self.hi - self.lo)


def fit_likelihood(
    problem: Problem,
    *,
    starts: int = 4,
    seed: int = 0,
    backend: Backend | None = None,
    maxiter: int = 200,
) -> PointEstimate:
    """Maximise the NB log-likelihood over the priors' supports; returns the best start."""
    backend = backend or InProcess()
    shared = backend.share(problem)
    box = _Box(problem)
    p = problem.dims
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x11C])))
    median = np.array([q.prior.ppf(np.array([0.5]))[0] for q in problem.parameters])
    inits = np.vstack([box.to_unit(median)[None], box.to_unit(problem.sample_prior(gen, starts))])
    inits = np.clip(inits[:starts], 0.02, 0.98)
    count = 0

    def loglik(theta: np.ndarray) -> np.ndarray:
        nonlocal count
        count += len(theta)
        parts = backend.map(log_likelihoods, shared, [theta[a:b] for a, b in chunked(len(theta))])
        return np.concatenate(parts)

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        hi_side = u + STEP > 1.0
        steps = np.where(hi_side, -STEP, STEP)
        points = np.vstack([u[None], u[None] + np.diag(steps)])
        ll = loglik(box.to_theta(points))
        f = -ll[0]
        grad = -(ll[1:] - ll[0]) / steps
        return float(f), grad

    best = None
    for u0 in inits:
        res = minimize(
            objective,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * p,
            options={"maxiter": maxiter},
        )
        if best is None or res.fun < best.fun:
            best = res
    values = box.to_theta(best.x)
    return PointEstimate(problem.names, values, float(-best.fun), count, bool(best.success))


def laplace_covariance(
    problem: Problem, estimate: PointEstimate, *, backend: Backend | None = None
) -> np.ndarray:
    """Covariance of the Laplace approximation at the point estimate: the inverse of the
    negative log-likelihood's Hessian (central differences, one batch of 4 P^2 runs).

    Each step is 1e-3 of the parameter's range in the optimiser's coordinates (logarithmic for a
    log-uniform prior, so a seed size of 10 in [10, 1e7] steps by 0.14, not by 10,000), and the
    stencil is centred at most two steps inside the prior's box, so no likelihood is evaluated
    at an impossible value when the estimate sits on a bound."""
    backend = backend or InProcess()
    shared = backend.share(problem)
    box = np.array([q.prior.box() for q in problem.parameters], dtype=float)
    unit = _Box(problem)
    h = 1e-3 * (unit.hi - unit.lo) * np.where(unit.log, estimate.values, 1.0)
    theta = np.clip(estimate.values, box[:, 0] + 2 * h, box[:, 1] - 2 * h)
    p = len(theta)
    signs = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    points = []
    for i in range(p):
        for j in range(p):
            for si, sj in signs:
                x = theta.copy()
                x[i] += si * h[i]
                x[j] += sj * h[j]
                points.append(x)
    pts = np.array(points)
    ll = np.concatenate(
        backend.map(log_likelihoods, shared, [pts[a:b] for a, b in chunked(len(pts))])
    ).reshape(p, p, 4)
    hess = -(ll[..., 0] - ll[..., 1] - ll[..., 2] + ll[..., 3]) / (4.0 * np.outer(h, h))
    hess = 0.5 * (hess + hess.T)
    return np.linalg.pinv(hess)
