"""Prior distributions of fitted parameters: sample, log density and the box they live in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats


@dataclass(frozen=True)
class Prior:
    """`uniform(low, high)`, `loguniform(low, high)` or `normal(mean, sd)` truncated to
    [low, high] (infinite bounds allowed for the normal)."""

    kind: str
    low: float
    high: float
    mean: float = 0.0
    sd: float = 1.0

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        """n independent draws."""
        u = gen.random(n)
        return self.ppf(u)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function (inverse CDF)."""
        if self.kind == "uniform":
            return self.low + u * (self.high - self.low)
        if self.kind == "loguniform":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        a, b = self._std_bounds()
        return stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density; -inf outside the support."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "uniform":
                v = np.full(x.shape, -np.log(self.high - self.low))
            elif self.kind == "loguniform":
                v = -np.log(x) - np.log(np.log(self.high) - np.log(self.low))
            else:
                a, b = self._std_bounds()
                v = stats.truncnorm.logpdf(x, a, b, loc=self.mean, scale=self.sd)
        return np.where(inside, v, -np.inf)

    # -- the unconstrained coordinate the ABC kernel moves in ---------------------------------
    # z = logit((v - lo) / (hi - lo)) with v = x (log x for loguniform) on a bounded support,
    # z = x when unbounded; every z maps inside the support, so proposals are never rejected.
    def _scale(self) -> tuple[bool, float, float, bool]:
        log = self.kind == "loguniform"
        lo, hi = (np.log(self.low), np.log(self.high)) if log else (self.low, self.high)
        bounded = bool(np.isfinite(lo) and np.isfinite(hi))
        return log, float(lo), float(hi), bounded

    def to_z(self, x: np.ndarray) -> np.ndarray:
        log, lo, hi, bounded = self._scale()
        x = np.asarray(x, dtype=float)
        if not bounded:
            return x.copy()
        v = np.log(x) if log else x
        u = np.clip((v - lo) / (hi - lo), 1e-12, 1 - 1e-12)
        return np.log(u) - np.log1p(-u)

    def from_z(self, z: np.ndarray) -> np.ndarray:
        log, lo, hi, bounded = self._scale()
        z = np.asarray(z, dtype=float)
        if not bounded:
            return z.copy()
        v = lo + (hi - lo) * special.expit(z)
        return np.exp(v) if log else v

    def log_jacobian(self, z: np.ndarray) -> np.ndarray:
        """log |dx/dz|, so that the prior density in z is pdf(x(z)) * |dx/dz|."""
        log, lo, hi, bounded = self._scale()
        z = np.asarray(z, dtype=float)
        if not bounded:
            return np.zeros_like(z)
        out = np.log(hi - lo) - np.logaddexp(0.0, z) - np.logaddexp(0.0, -z)
        return out + np.log(self.from_z(z)) if log else out

    def box(self) -> tuple[float, float]:
        """Finite bounds for optimisers: the support, or mean ± 6 sd for an unbounded normal."""
        lo = self.low if np.isfinite(self.low) else self.mean - 6 * self.sd
        hi = self.high if np.isfinite(self.high) else self.mean + 6 * self.sd
        return float(lo), float(hi)

    def _std_bounds(self) -> tuple[float, float]:
        return (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
