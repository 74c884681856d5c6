"""Allocation rules without optimisation: water-filling, fairness floors and the three baselines.

`waterfill` shares an amount in proportion to weights with per-member caps (the surplus of capped
members is re-shared among the others). The baselines run week by week (a loop over weeks only,
vectorised over members and items), take stock first-in-first-out and drop expired units.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .problem import AllocationProblem


def waterfill(weights: np.ndarray, caps: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Share `amount[k]` over members in proportion to `weights`, never above `caps`.

    Returns `a` with `a[m, k] = min(caps[m, k], lam[k] * weights[m, k])` and
    `a[:, k].sum() = min(amount[k], caps[:, k].sum())`. Members with zero weight get nothing.
    Shapes: weights broadcastable to caps (M, K); amount (K,).
    """
    caps = np.asarray(caps, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), caps.shape)
    caps = np.where(w > 0, np.maximum(caps, 0.0), 0.0)
    amount = np.maximum(np.asarray(amount, dtype=float), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(w > 0, caps / np.where(w > 0, w, 1.0), np.inf)
    order = np.argsort(ratio, axis=0, kind="stable")
    r = np.take_along_axis(ratio, order, axis=0)
    c = np.take_along_axis(caps, order, axis=0)
    ws = np.take_along_axis(w, order, axis=0)
    cap_before = np.cumsum(c, axis=0) - c
    w_from = np.cumsum(ws[::-1], axis=0)[::-1]
    with np.errstate(invalid="ignore"):
        reach = cap_before + np.where(w_from > 0, r * w_from, 0.0)  # given at lam = r_k
    reach = np.where(np.isnan(reach), np.inf, reach)
    enough = reach >= amount
    k = np.argmax(enough, axis=0)
    cols = np.arange(caps.shape[1])
    found = enough[k, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (amount - cap_before[k, cols]) / w_from[k, cols]
    lam = np.where(found & (w_from[k, cols] > 0), lam, np.inf)
    with np.errstate(invalid="ignore"):  # inf * 0 for members with zero weight -> 0
        return np.minimum(caps, np.nan_to_num(lam * w, nan=0.0, posinf=np.inf))


def phase1_target(problem: AllocationProblem) -> np.ndarray:
    """COVAX phase-1 target per (member, item): `phase1_coverage` of the population, in units."""
    per_person = problem.item_array("units_per_person")
    return problem.fairness.phase1_coverage * problem.population[:, None] * per_person[None, :]


Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def proportional_rule(problem: AllocationProblem) -> Rule:
    """Each week, share the available stock in proportion to population, capped at need."""
    pop = problem.population[:, None]
    return lambda caps, available, received: waterfill(pop, caps, available)


def fcfs_rule(problem: AllocationProblem) -> Rule:
    """Each week, serve members in order of request, each up to its need, until stock runs out."""
    order = np.argsort(problem.request_order, kind="stable")

    def rule(caps: np.ndarray, available: np.ndarray, received: np.ndarray) -> np.ndarray:
        c = caps[order]
        before = np.cumsum(c, axis=0) - c
        out = np.empty_like(caps)
        out[order] = np.clip(available[None, :] - before, 0.0, c)
        return out

    return rule


def need_rule(problem: AllocationProblem) -> Rule:
    """Each week, share the available stock in proportion to each member's need that week."""
    return lambda caps, available, received: waterfill(caps, caps, available)


def covax_rule(problem: AllocationProblem, phase2: bool = True) -> Rule:
    """COVAX: population-proportional until each member holds `phase1_coverage` of its population
    (or its need is met); beyond that (phase 2), in proportion to population x threat/vulnerability."""
    target = phase1_target(problem)
    pop = problem.population[:, None]
    weighted = (problem.population * problem.threat)[:, None]

    def rule(caps: np.ndarray, available: np.ndarray, received: np.ndarray) -> np.ndarray:
        phase1 = waterfill(pop, np.minimum(caps, np.maximum(target - received, 0.0)), available)
        if not phase2:
            return phase1
        rest = available - phase1.sum(axis=0)
        return phase1 + waterfill(weighted, caps - phase1, rest)

    return rule


BASELINES: dict[str, Callable[[AllocationProblem], Rule]] = {
    "proportional": proportional_rule,
    "covax": covax_rule,
    "first_come_first_served": fcfs_rule,
}


def run_rule(problem: AllocationProblem, rule: Rule) -> np.ndarray:
    """Pool deliveries (M, W, I) of a weekly rule with FIFO stock, shelf life and capacities."""
    pooled = problem.pooled()
    m, weeks, n_items = problem.shape
    life = problem.item_array("shelf_life").astype(int)
    carry = problem.item_array("carry_over")
    volume = problem.item_array("volume")
    stock = pooled.supply.copy()  # remaining units per arrival cohort (W, I)
    cohort = np.arange(weeks)[:, None]
    backlog = np.zeros((m, n_items))
    received = np.zeros((m, n_items))
    out = np.zeros((m, weeks, n_items))
    for w in range(weeks):
        valid = (cohort <= w) & (cohort > w - life[None, :])
        held = np.where(valid, stock, 0.0)
        due = np.where(carry[None, :], backlog + pooled.need[:, w, :], pooled.need[:, w, :])
        caps = np.minimum(due, pooled.item_capacity[:, w, :])
        give = rule(caps, held.sum(axis=0), received)
        load = give @ volume
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(
                load > pooled.total_capacity[:, w], pooled.total_capacity[:, w] / load, 1
            )
        give = give * scale[:, None]
        taken = give.sum(axis=0)
        before = np.cumsum(held, axis=0) - held  # oldest cohorts first
        stock -= np.clip(taken[None, :] - before, 0.0, held)
        backlog = np.where(carry[None, :], due - give, 0.0)
        received += give
        out[:, w, :] = give
    return out


def weekly_floors(problem: AllocationProblem) -> np.ndarray:
    """Guaranteed pool units per (member, week, item) under the fairness rule.

    Each guarantee is what a weekly rule delivers that week (so together they respect timing,
    shelf life and capacities, and are always feasible): proportional_floor, `share` x the
    population-proportional rule; covax, the phase-1 deliveries of the COVAX rule; need_weighted,
    `share` x the need-proportional rule. Guarantees smaller than an item's minimum lot are waived.
    """
    return problem.derived("weekly_floors", _weekly_floors)


def _weekly_floors(problem: AllocationProblem) -> np.ndarray:
    fair = problem.fairness
    rules = {
        "proportional_floor": (fair.share, proportional_rule),
        "covax": (1.0, lambda p: covax_rule(p, phase2=False)),
        "need_weighted": (fair.share, need_rule),
    }
    if fair.rule in rules:
        share, make = rules[fair.rule]
        out = share * run_rule(problem, make(problem))
    else:
        out = np.zeros(problem.shape)
    lot = problem.item_array("min_lot")[None, None, :]
    waived = (out < lot * (1 - 1e-9)) | ~problem.rule_items()[None, None, :]
    return np.where(waived, 0.0, out * (1 - 1e-9))  # a guarantee of exactly one lot stands


def need_floors(problem: AllocationProblem) -> np.ndarray:
    """Guaranteed pool units per (member, item) over the horizon: `min_need_share` x need.

    Unlike the weekly floors this guarantee can be infeasible (too little stock or capacity).
    """
    need = problem.pooled().need.sum(axis=1)
    return np.where(problem.rule_items()[None, :], problem.fairness.min_need_share * need, 0.0)


def baseline(problem: AllocationProblem, name: str) -> np.ndarray:
    """Total deliveries (earmarks included) of a named baseline: proportional, covax or fcfs."""
    return run_rule(problem, BASELINES[name](problem)) + problem.pooled().earmark_delivered
