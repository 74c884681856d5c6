"""Whether a fit can be trusted, and what to forecast from when it cannot.

An ABC-SMC population has converged when its stopping rule (acceptance below `min_acceptance`,
i.e. the tolerance stopped falling) ended it — not the generation limit — and its weights keep
enough effective particles (Kish: (sum w)^2 / sum w^2) and, when asked for, the regression
adjustment was applied. A population that has not converged is never forecast from silently:
the forecast then comes from the likelihood point estimate with its Laplace band (draws from
the normal approximation, kept inside the priors' support) when the Hessian there is positive
definite, else from the point estimate alone; the reason is stored and printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MIN_EFFECTIVE_SHARE = 0.1  # effective particles needed: 10 % of the population ...
MIN_EFFECTIVE = 50  # ... and at least this many


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0


@dataclass(frozen=True)
class FitDiagnostics:
    """What the sampler and the likelihood fit report about convergence."""

    stopped: str  # "tolerance reached" or "generation limit"
    generations: int
    particles: int
    effective_size: float
    adjustment_requested: bool
    adjustment_applied: bool
    likelihood_converged: bool
    hessian_positive_definite: bool

    def problems(self) -> list[str]:
        """Why the ABC population is not to be trusted (empty: it is)."""
        out = []
        if self.stopped != "tolerance reached":
            out.append(
                f"ABC-SMC hit the generation limit ({self.generations}) before its tolerance settled"
            )
        need = max(MIN_EFFECTIVE, MIN_EFFECTIVE_SHARE * self.particles)
        if self.effective_size < need:
            out.append(
                f"effective sample size {self.effective_size:,.1f} of {self.particles:,} "
                f"particles (needs {need:,.0f})"
            )
        if self.adjustment_requested and not self.adjustment_applied:
            out.append("the regression adjustment was requested but not applied")
        return out

    @property
    def converged(self) -> bool:
        return not self.problems()

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "converged": self.converged, "problems": self.problems()}


def diagnose(
    generations: list[object],
    weights: np.ndarray,
    *,
    min_acceptance: float,
    adjustment_requested: bool,
    adjustment_applied: bool,
    likelihood_converged: bool,
    covariance: np.ndarray,
) -> FitDiagnostics:
    """Diagnostics from the ABC generations, final weights, and the Laplace covariance."""
    last = generations[-1]
    stopped = (
        "tolerance reached"
        if len(generations) > 1 and last.acceptance < min_acceptance  # type: ignore[attr-defined]
        else "generation limit"
    )
    cov = np.asarray(covariance, dtype=float)
    positive = bool(
        np.all(np.isfinite(cov)) and np.all(np.linalg.eigvalsh(0.5 * (cov + cov.T)) > 0)
    )
    return FitDiagnostics(
        stopped=stopped,
        generations=len(generations),
        particles=len(weights),
        effective_size=effective_size(weights),
        adjustment_requested=adjustment_requested,
        adjustment_applied=adjustment_applied,
        likelihood_converged=likelihood_converged,
        hessian_positive_definite=positive,
    )


def forecast_source(diag: FitDiagnostics) -> tuple[str, str]:
    """Where the forecast's parameters come from, and why."""
    if diag.converged:
        return "posterior", "the ABC-SMC population converged"
    why = "; ".join(diag.problems())
    if diag.hessian_positive_definite:
        return (
            "laplace",
            f"not the ABC population ({why}): the point estimate with its Laplace band",
        )
    return (
        "point",
        f"not the ABC population ({why}), and the Hessian at the point estimate is not positive definite: the point estimate alone (intervals show reporting noise only)",
    )


def laplace_draws(
    values: np.ndarray, covariance: np.ndarray, box: np.ndarray, n: int, seed: int
) -> np.ndarray:
    """`(n, P)` draws from N(values, covariance), each kept inside the priors' box."""
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x1A9])))
    draws = gen.multivariate_normal(values, covariance, size=n, method="eigh")
    return np.clip(draws, box[:, 0], box[:, 1])
