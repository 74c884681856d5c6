"""Supply rules of the vaccine cooperation study: weekly deliveries per arm (by population, high
income first, or an allocator's plan), administration oldest first, and the protected shares."""

from __future__ import annotations

import numpy as np

from epicommons.errors import InputError

ARMS = ("none", "proportional", "high_income_first", "optimised")


def weekly_allocation(
    arm: str,
    supply_per_week: float,
    weeks: int,
    population: np.ndarray,
    high_income: np.ndarray,
    cap: float = 1.0,
    plan: np.ndarray | None = None,
) -> np.ndarray:
    """Courses delivered to each node each week `(weeks, nodes)`.

    proportional: every week's supply shared in proportion to population.
    high_income_first: high-income nodes get the week's supply (shared by population) until
    `cap` of their people are covered; what is left goes to the others by population.
    optimised: every week's supply shared in proportion to `plan` (courses per node from the
    allocator).
    No node is sent more than its population; undeliverable doses stay unallocated.
    """
    pop = np.asarray(population, dtype=float)
    n = pop.size
    out = np.zeros((weeks, n))
    if arm == "none":
        return out
    if arm not in ARMS:
        raise InputError(f"unknown arm {arm!r}; expected one of {', '.join(ARMS)}", field="arm")
    hic = np.asarray(high_income, dtype=bool)
    left = pop.copy()
    hic_left = cap * pop[hic].sum()
    if arm == "optimised" and plan is None:
        raise InputError("the optimised arm needs a plan (courses per node)", field="plan")
    for w in range(weeks):
        stock = supply_per_week
        weights = pop if arm != "optimised" else np.asarray(plan, dtype=float)
        if arm == "high_income_first":
            if hic_left > 0:
                first = _by_population(min(stock, hic_left), np.where(hic, pop, 0.0), left)
                out[w] += first
                left -= first
                hic_left -= first.sum()
                stock -= first.sum()
            weights = np.where(hic, 0.0, pop)
        extra = _by_population(stock, weights, left)
        out[w] += extra
        left -= extra
    return out


def _by_population(amount: float, weights: np.ndarray, room: np.ndarray) -> np.ndarray:
    """`amount` split in proportion to `weights`, never more than `room` per node."""
    total = weights.sum()
    if amount <= 0 or total <= 0:
        return np.zeros_like(weights)
    return np.minimum(amount * weights / total, np.maximum(room, 0.0))


def administer(daily: np.ndarray, group_pop: np.ndarray) -> np.ndarray:
    """Courses given per day, node and risk group `(days, nodes, groups)`, oldest group first.

    Each group can take at most its population (people are vaccinated whatever their infection
    history; unused courses are lost).
    """
    days, n = daily.shape
    given = np.zeros((days, n, group_pop.shape[1]))
    room = group_pop.astype(float).copy()
    for t in range(days):
        left = daily[t].copy()
        for g in reversed(range(group_pop.shape[1])):
            take = np.minimum(left, room[:, g])
            given[t, :, g] = take
            room[:, g] -= take
            left -= take
    return given


def protected_fractions(given: np.ndarray, group_pop: np.ndarray, efficacy: float) -> np.ndarray:
    """Share of each group's susceptibles made immune each day: efficacy x courses / people not
    yet vaccinated (vaccination is at random among them, so susceptibles get their share)."""
    before = group_pop[None] - np.cumsum(given, axis=0) + given
    return efficacy * np.divide(given, before, out=np.zeros_like(given), where=before > 0)
