"""Response curves: benefit (e.g. deaths averted) as a concave piecewise-linear function of doses.

This is the seam between the spread engine and the allocator: a study runs the engine for a few
dose levels per member, turns the samples into a `ResponseCurve` with `from_samples` (which takes the
least concave majorant, so the LP stays an LP), and hands the curves to the allocation problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ResponseCurve:
    """Benefit of giving `doses` of `item` to `member`: linear between breakpoints, flat after.

    Attributes:
        member: member code (ISO3).
        item: item name (e.g. "vaccine").
        doses: increasing breakpoints, starting at 0.
        benefit: benefit at each breakpoint (0 at 0 doses), concave in doses.
    """

    member: str
    item: str
    doses: np.ndarray
    benefit: np.ndarray

    def __post_init__(self) -> None:
        problem = concavity_problem(self.doses, self.benefit)
        if problem:
            raise ValueError(f"response curve for {self.member}/{self.item}: {problem}")

    @classmethod
    def from_samples(
        cls, member: str, item: str, doses: np.ndarray, benefit: np.ndarray
    ) -> ResponseCurve:
        """Curve from simulated (doses, benefit) samples: the least concave majorant through (0, 0)."""
        d = np.concatenate([[0.0], np.asarray(doses, dtype=float)])
        b = np.concatenate([[0.0], np.asarray(benefit, dtype=float)])
        order = np.lexsort((-b, d))  # by dose, best benefit first among equal doses
        d, b = d[order], b[order]
        first = np.concatenate([[True], np.diff(d) > 0])
        d, b = d[first], b[first]
        keep_d, keep_b = [d[0]], [b[0]]
        for x, y in zip(d[1:], b[1:], strict=True):  # upper hull over a handful of samples
            while len(keep_d) >= 2 and _cross(keep_d[-2], keep_b[-2], keep_d[-1], keep_b[-1], x, y):
                keep_d.pop()
                keep_b.pop()
            keep_d.append(x)
            keep_b.append(y)
        hull_b = np.maximum.accumulate(np.array(keep_b))  # benefit never falls with more doses
        return cls(member, item, np.array(keep_d), hull_b)

    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """Lengths (doses) and slopes (benefit per dose) of the linear pieces, slopes non-increasing."""
        lengths = np.diff(self.doses)
        return lengths, np.diff(self.benefit) / lengths

    def __call__(self, doses: np.ndarray | float) -> np.ndarray:
        """Benefit of the given doses (flat beyond the last breakpoint)."""
        return np.interp(doses, self.doses, self.benefit)


def concavity_problem(doses: np.ndarray, benefit: np.ndarray) -> str:
    """Why (doses, benefit) is not a valid concave curve, or "" if it is."""
    doses = np.asarray(doses, dtype=float)
    benefit = np.asarray(benefit, dtype=float)
    if doses.shape != benefit.shape or doses.ndim != 1 or doses.size < 2:
        return "expected at least two breakpoints"
    if doses[0] != 0 or benefit[0] != 0:
        return "the first breakpoint must be (0 doses, 0 benefit)"
    if np.any(np.diff(doses) <= 0):
        return "doses must increase from one breakpoint to the next"
    slopes = np.diff(benefit) / np.diff(doses)
    if np.any(slopes < 0):
        return "benefit must not decrease as doses increase"
    tol = 1e-9 * max(1.0, float(np.max(np.abs(slopes))))
    if np.any(np.diff(slopes) > tol):
        return "benefit per dose must not increase (the curve must be concave)"
    return ""


def _cross(x0: float, y0: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    """True if (x1, y1) lies on or below the chord from (x0, y0) to (x2, y2)."""
    return (y1 - y0) * (x2 - x0) <= (y2 - y0) * (x1 - x0)
