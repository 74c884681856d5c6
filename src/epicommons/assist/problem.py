"""The `AllocationProblem`: who needs what, when, and what arrives — as labelled NumPy arrays.

Arrays are indexed (member, week, item). Quantities are in each item's own unit (doses, units,
tests); weeks are 1..W in files and 0..W-1 here. Earmarked donations are delivered to their recipient
first (up to its need and delivery capacity in the arrival week); what exceeds that joins the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np

from .response import ResponseCurve

FairnessRule = Literal["none", "proportional_floor", "covax", "need_weighted", "max_min"]
ObjectiveKind = Literal["unmet_need", "deaths_averted"]
Returns = Literal["diminishing", "constant"]
T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    """A scarce item and how it behaves in stock.

    Attributes:
        name: label used in the tables (e.g. "vaccine").
        unit: what one unit is (e.g. "dose").
        initial_stock: units in the pool before week 1 (they age as if they arrived in week 1).
        shelf_life: weeks a unit stays usable after it arrives (None: never expires).
        min_lot: smallest delivery worth shipping (0: any amount).
        buffer_share: share of every arrival held back as a humanitarian buffer (COVAX: 5%).
        severity: weight of one unit of unmet need (default for the needs table).
        units_per_person: units that cover one person (2 for a two-dose vaccine), for COVAX targets.
        carry_over: unmet need stays (a backlog, as for vaccines) rather than lapsing each week.
        volume: handling units per item unit, for capacities given across items.
    """

    name: str
    unit: str = "unit"
    initial_stock: float = 0.0
    shelf_life: int | None = None
    min_lot: float = 0.0
    buffer_share: float = 0.0
    severity: float = 1.0
    units_per_person: float = 1.0
    carry_over: bool = False
    volume: float = 1.0


@dataclass(frozen=True)
class Fairness:
    """A fairness rule and its parameters.

    Attributes:
        rule: "none"; "proportional_floor" (each member, every week, at least `share` of what the
            weekly population-proportional rule gives it); "covax" (the COVAX phase-1 deliveries,
            population-proportional up to `phase1_coverage` of the population, are guaranteed;
            beyond them the objective decides); "need_weighted" (at least `share` of what the weekly
            need-proportional rule gives); "max_min" (first maximise the smallest share of need met,
            then the objective).
        share: the floor's share for proportional_floor and need_weighted.
        phase1_coverage: COVAX phase-1 coverage of the population (0.20).
        min_need_share: every member gets at least this share of its need (may be infeasible).
        items: items the rule applies to (empty: all).
    """

    rule: FairnessRule = "none"
    share: float = 1.0
    phase1_coverage: float = 0.20
    min_need_share: float = 0.0
    items: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Everything an allocation needs, validated and aligned.

    Attributes:
        members: member codes (ISO3), length M.
        names: display names, length M.
        population: people per member, shape (M,).
        threat: COVAX phase-2 weight per member (threat x vulnerability), shape (M,).
        request_order: rank of each member's request, for first-come-first-served, shape (M,).
        items: the items, length I.
        arrivals: units arriving in the pool per week, shape (W, I) (initial stock not included).
        need: units needed per member, week and item, shape (M, W, I).
        severity: weight of one unit of unmet need, shape (M, W, I).
        item_capacity: deliverable units per member, week and item (inf: no limit), shape (M, W, I).
        total_capacity: deliverable handling units per member and week across items, shape (M, W).
        earmarked: units donated to a given member arriving in a week, shape (M, W, I).
        fairness: the fairness rule.
        objective: "unmet_need" or "deaths_averted" (needs `curves`).
        returns: "diminishing" (a member's unmet need weighs more the larger the share of its need
            left unmet; see `objective.py`) or "constant" (every unit of unmet need weighs its
            severity). For deaths averted it shapes the tie-break between equally good plans.
        curves: response curves per (member, item) for "deaths_averted".
        source: the problem file, for messages.
        name: title of the problem.
        tables: file of each table ("needs", "capacity", ...), for messages.
    """

    members: tuple[str, ...]
    names: tuple[str, ...]
    population: np.ndarray
    threat: np.ndarray
    request_order: np.ndarray
    items: tuple[Item, ...]
    arrivals: np.ndarray
    need: np.ndarray
    severity: np.ndarray
    item_capacity: np.ndarray
    total_capacity: np.ndarray
    earmarked: np.ndarray
    fairness: Fairness = Fairness()
    objective: ObjectiveKind = "unmet_need"
    returns: Returns = "diminishing"
    curves: tuple[ResponseCurve, ...] = ()
    source: str = "problem"
    name: str = "allocation"
    tables: dict[str, str] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(members, weeks, items)."""
        return self.need.shape  # type: ignore[return-value]

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(it.name for it in self.items)

    def item_array(self, attribute: str) -> np.ndarray:
        """One attribute of every item as an array (shelf life None -> number of weeks)."""
        weeks = self.shape[1]
        values = [getattr(it, attribute) for it in self.items]
        if attribute == "shelf_life":
            values = [weeks if v is None else min(int(v), weeks) for v in values]
        return np.asarray(values, dtype=float if attribute != "carry_over" else bool)

    def rule_items(self) -> np.ndarray:
        """Boolean mask of the items the fairness rule applies to."""
        if not self.fairness.items:
            return np.ones(len(self.items), dtype=bool)
        return np.isin(np.array(self.item_names), np.array(self.fairness.items))

    def derived(self, name: str, compute: Callable[[AllocationProblem], T]) -> T:
        """`compute(self)`, computed once per problem (the problem is frozen, so it cannot go stale)."""
        if name not in self._cache:
            self._cache[name] = compute(self)
        return self._cache[name]

    def pooled(self) -> Pooled:
        """Earmarks applied: residual need and capacity, and the pool's supply per arrival week."""
        return self.derived("pooled", _pool)


@dataclass(frozen=True, eq=False)
class Pooled:
    """The problem after earmarked donations went to their recipients.

    Attributes:
        earmark_delivered: units delivered from earmarked donations, (M, W, I).
        need: need left for the pool, (M, W, I).
        item_capacity: per-item capacity left, (M, W, I).
        total_capacity: handling capacity left, (M, W).
        supply: units entering the pool per week after the buffer (week 0 holds initial stock), (W, I).
        buffer: units held back in the humanitarian buffer per week, (W, I).
        released: earmarked units released to the pool per week, (W, I).
    """

    earmark_delivered: np.ndarray
    need: np.ndarray
    item_capacity: np.ndarray
    total_capacity: np.ndarray
    supply: np.ndarray
    buffer: np.ndarray
    released: np.ndarray


def _pool(problem: AllocationProblem) -> Pooled:
    """Deliver earmarks to their recipients first; what is left becomes the pool's problem."""
    volume = problem.item_array("volume")
    need = problem.need.copy()
    item_cap = problem.item_capacity.copy()
    total_cap = problem.total_capacity.copy()
    delivered = np.zeros_like(need)
    for i in range(len(problem.items)):  # items share handling capacity, served in file order
        room = np.minimum(need[:, :, i], item_cap[:, :, i])
        room = np.minimum(room, total_cap / volume[i])
        give = np.minimum(problem.earmarked[:, :, i], room)
        delivered[:, :, i] = give
        total_cap = total_cap - give * volume[i]
    need -= delivered
    item_cap -= delivered
    raw = problem.arrivals.copy()
    raw[0] += problem.item_array("initial_stock")
    buffer = raw * problem.item_array("buffer_share")
    released = (problem.earmarked - delivered).sum(axis=0)
    supply = raw - buffer + released
    return Pooled(delivered, need, item_cap, np.maximum(total_cap, 0.0), supply, buffer, released)
