"""Which of a problem's rules a plan breaks: checked directly on its deliveries, independently of
the LP, so that a baseline is never compared with the optimised plan as if it obeyed the same rules.

Stock is checked first-in-first-out: all units of an item last equally long, so serving the oldest
usable units first is the schedule that keeps the most in stock (a plan that fails it fails any).
"""

from __future__ import annotations

import numpy as np

from .problem import AllocationProblem
from .rules import need_floors, weekly_floors


def _tolerance(problem: AllocationProblem) -> np.ndarray:
    """Per-item slack for rounding: a millionth of the item's largest weekly need or arrival."""
    big = np.maximum(problem.need.max(axis=(0, 1)), problem.pooled().supply.max(axis=0))
    return 1e-6 * np.maximum(big, 1.0)


def _stock_short(problem: AllocationProblem, pool: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Per item: True if some week's deliveries exceed the usable stock (FIFO, shelf life)."""
    weeks = problem.shape[1]
    life = problem.item_array("shelf_life").astype(int)
    stock = problem.pooled().supply.copy()  # (W cohorts, I)
    cohort = np.arange(weeks)[:, None]
    short = np.zeros(len(life), dtype=bool)
    for w in range(weeks):
        usable = np.where((cohort <= w) & (cohort > w - life[None, :]), stock, 0.0)
        taken = pool[:, w, :].sum(axis=0)
        short |= taken > usable.sum(axis=0) + tol
        before = np.cumsum(usable, axis=0) - usable
        stock -= np.clip(taken[None, :] - before, 0.0, usable)
    return short


def breaches(
    problem: AllocationProblem, delivered: np.ndarray, min_share: np.ndarray | None = None
) -> list[str]:
    """The rules `delivered` (M, W, I, earmarks included) breaks, each named by its input field.

    `min_share` is the max-min level per item an optimised plan reached (max_min rule only).
    """
    tol = _tolerance(problem)[None, None, :]
    pooled = problem.pooled()
    pool = delivered - pooled.earmark_delivered
    carry = problem.item_array("carry_over")
    names = problem.item_names
    out: list[str] = []

    def items(mask: np.ndarray) -> str:
        return ", ".join(n for n, bad in zip(names, mask, strict=True) if bad)

    over = np.where(
        carry[None, None, :],
        np.cumsum(delivered, axis=1) > np.cumsum(problem.need, axis=1) + tol,
        delivered > problem.need + tol,
    )
    if (pool < -tol).any() or over.any():
        out.append(f"need (more than needed: {items(over.any(axis=(0, 1)))})")
    cap = delivered > problem.item_capacity + tol
    load = delivered @ problem.item_array("volume")
    if cap.any() or (load > problem.total_capacity * (1 + 1e-6) + 1e-6).any():
        out.append("delivery capacity (capacity table)")
    short = _stock_short(problem, pool, tol[0, 0])
    if short.any():
        out.append(f"stock and shelf life ({items(short)})")
    lot = problem.item_array("min_lot")[None, None, :]
    small = (pool > tol) & (pool < lot - tol)
    if small.any():
        out.append(f"minimum lot (items.*.min_lot: {items(small.any(axis=(0, 1)))})")
    below = pool < weekly_floors(problem) - tol
    if below.any():
        out.append(
            f"fairness rule's weekly guarantees (fairness.rule = {problem.fairness.rule!r}: "
            f"{items(below.any(axis=(0, 1)))})"
        )
    if (pool.sum(axis=1) < need_floors(problem) - tol[0]).any():
        out.append("guaranteed share of need (fairness.min_need_share)")
    if problem.fairness.rule == "max_min" and min_share is not None:
        need = pooled.need.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(need > 0, pool.sum(axis=1) / need, np.inf).min(axis=0)
        low = np.isfinite(min_share) & (share < min_share - 1e-6)
        if low.any():
            out.append(f"max-min level (fairness.rule = 'max_min': {items(low)})")
    return out
