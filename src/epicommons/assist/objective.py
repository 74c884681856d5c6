"""The allocation objective as a function of deliveries: the measure the LP optimises, computed
directly from a plan so any plan (optimised or baseline) is scored on the same scale.

Weighted unmet need of a member and item, `U`, is the severity-weighted shortfall summed over weeks
(carry-over items count their backlog every week); `U_max` is its value with nothing delivered.
With diminishing returns (the default) the member's cost is `U_max * phi(U / U_max)` where `phi`
is the piecewise-linear interpolation of `u**2` on `PIECES` equal steps: each unit left unmet
weighs in proportion to the share of the member's need left unmet, so the first units a member
gets are worth more than its last ones and a slightly lower weight never means getting nothing.
With constant returns the cost is `U` itself.
"""

from __future__ import annotations

import numpy as np

from .problem import AllocationProblem

PIECES = 20  # steps of 5% of a member's weighted need


def breakpoints() -> tuple[np.ndarray, np.ndarray]:
    """Shares of weighted need left unmet, `k / PIECES`, and the cost factor `phi` at each."""
    u = np.linspace(0.0, 1.0, PIECES + 1)
    return u, u**2


def piece_slopes() -> np.ndarray:
    """Cost removed per unit of weighted need met, piece by piece from none met (non-increasing)."""
    u, phi = breakpoints()
    return (phi[1:] - phi[:-1])[::-1] * PIECES


def weighted_unmet(problem: AllocationProblem, delivered: np.ndarray) -> np.ndarray:
    """Severity-weighted unmet need per (member, item); carry-over items count their backlog."""
    carry = problem.item_array("carry_over")
    gap = problem.need - delivered
    backlog = np.cumsum(problem.need, axis=1) - np.cumsum(delivered, axis=1)
    gap = np.where(carry[None, None, :], backlog, gap)
    return (problem.severity * np.maximum(gap, 0.0)).sum(axis=1)


def weighted_need(problem: AllocationProblem) -> np.ndarray:
    """`U_max`: weighted unmet need per (member, item) when nothing is delivered."""
    return weighted_unmet(problem, np.zeros(problem.shape))


def shortfall_cost(problem: AllocationProblem, delivered: np.ndarray) -> np.ndarray:
    """Cost per (member, item) of what a plan leaves unmet, with the problem's returns."""
    unmet = weighted_unmet(problem, delivered)
    if problem.returns == "constant":
        return unmet
    full = weighted_need(problem)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(full > 0, np.clip(unmet / full, 0.0, 1.0), 0.0)
    return full * np.interp(share, *breakpoints())


def deaths_averted(problem: AllocationProblem, delivered: np.ndarray) -> float:
    """Benefit of the total doses each member receives, through its response curves."""
    totals = delivered.sum(axis=1)
    member = {c: k for k, c in enumerate(problem.members)}
    item = {c: k for k, c in enumerate(problem.item_names)}
    return float(sum(c(totals[member[c.member], item[c.item]]) for c in problem.curves))


def objective_value(problem: AllocationProblem, delivered: np.ndarray) -> float:
    """The problem's own objective for a plan: shortfall cost (lower is better) or deaths averted
    (higher is better); for deaths averted, shortfall cost only breaks ties."""
    if problem.objective == "deaths_averted":
        return deaths_averted(problem, delivered)
    return float(shortfall_cost(problem, delivered).sum())
