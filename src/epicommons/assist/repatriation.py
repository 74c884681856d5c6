"""Repatriation planning: which nationals fly home on which flight, as a MIP solved by HiGHS.

Variables: y[f, g] people of priority group g on flight f (integers) and o[f] whether flight f
operates (binary). Maximise priority-weighted returns (minus a negligible charge per flight so
empty flights are not scheduled) subject to: people waiting per (country, group); seats of
operated flights; at least `min_load` of the seats filled if a flight operates; expected imported
infections (people x prevalence where and when they board) in total and per week; quarantine
occupancy on every day (arrivals of the last `quarantine_days` days) within the places of that
week; and the budget for flight costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from epicommons.errors import InputError

FLIGHT_CHARGE = 1e-6  # objective cost of operating a flight, relative to the smallest weight


@dataclass(frozen=True, eq=False)
class RepatriationPlan:
    """Who waits where, the flights offered and the limits at home.

    Attributes:
        home: ISO3 of the home country.
        countries: ISO3 of the countries where nationals wait, length C.
        groups: priority group names, length G.
        weights: priority weight of one returned person of each group, (G,).
        nationals: people waiting per country and group, (C, G).
        prevalence: expected share infected per country and day (when they board), (C, D).
        flights: flight ids, length F.
        origin: country index of each flight, (F,).
        day: day index (0-based) of each flight, (F,); people arrive home the same day.
        seats: seats of each flight, (F,).
        cost: cost of operating each flight, (F,).
        quarantine_days: days each arrival occupies a quarantine place.
        places: quarantine places available on each day, (D,).
        max_infections: limit on expected imported infections over the horizon (inf: none).
        max_infections_per_week: limit per week of arrival (inf: none).
        budget: limit on the total cost of operated flights (inf: none).
        min_load: share of seats that must be filled for a flight to operate.
        source: the plan file, for messages.
        name: title.
    """

    home: str
    countries: tuple[str, ...]
    groups: tuple[str, ...]
    weights: np.ndarray
    nationals: np.ndarray
    prevalence: np.ndarray
    flights: tuple[str, ...]
    origin: np.ndarray
    day: np.ndarray
    seats: np.ndarray
    cost: np.ndarray
    quarantine_days: int
    places: np.ndarray
    max_infections: float = np.inf
    max_infections_per_week: float = np.inf
    budget: float = np.inf
    min_load: float = 0.0
    source: str = "plan"
    name: str = "repatriation"

    @property
    def days(self) -> int:
        return int(self.places.shape[0])


@dataclass(frozen=True, eq=False)
class Schedule:
    """A solved plan: people per flight and group, which flights operate.

    Attributes:
        plan: the plan.
        people: people per flight and group, (F, G).
        operated: whether each flight operates, (F,).
        returned_weight: priority-weighted returns (the objective).
        mip_gap: relative gap HiGHS reports (0 when proven optimal).
    """

    plan: RepatriationPlan
    people: np.ndarray
    operated: np.ndarray
    returned_weight: float
    mip_gap: float

    def occupancy(self) -> np.ndarray:
        """Quarantine places occupied on each day, (D,)."""
        arrivals = np.bincount(
            self.plan.day, weights=self.people.sum(axis=1), minlength=self.plan.days
        )
        q = self.plan.quarantine_days
        cum = np.concatenate([[0.0], np.cumsum(arrivals)])
        d = np.arange(self.plan.days)
        return cum[d + 1] - cum[np.maximum(d + 1 - q, 0)]

    def expected_infections(self) -> np.ndarray:
        """Expected infections carried by each flight, (F,)."""
        prev = self.plan.prevalence[self.plan.origin, self.plan.day]
        return prev * self.people.sum(axis=1)


def _model(plan: RepatriationPlan):
    """Objective, constraints, bounds and integrality of the MIP (built vectorised)."""
    n_f, n_g = len(plan.flights), len(plan.groups)
    n_c, days = len(plan.countries), plan.days
    ny = n_f * n_g
    yi = np.arange(ny).reshape(n_f, n_g)
    oi = ny + np.arange(n_f)
    nv = ny + n_f
    blocks = []  # (name, A, lower, upper)

    def add(name, rows, cols, vals, n_rows, lower, upper):
        a = sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(n_rows, nv)))
        blocks.append((name, a, np.broadcast_to(lower, n_rows), np.broadcast_to(upper, n_rows)))

    # people waiting: sum over flights from c of y[f, g] <= nationals[c, g]
    wait_row = plan.origin[:, None] * n_g + np.arange(n_g)[None, :]
    add(
        "waiting",
        wait_row.ravel(),
        yi.ravel(),
        np.ones(ny),
        n_c * n_g,
        -np.inf,
        plan.nationals.ravel(),
    )
    # seats: sum_g y[f, g] - seats_f o_f <= 0, and >= min_load seats_f o_f
    f_rows = np.repeat(np.arange(n_f), n_g)
    add(
        "seats",
        np.concatenate([f_rows, np.arange(n_f)]),
        np.concatenate([yi.ravel(), oi]),
        np.concatenate([np.ones(ny), -plan.seats]),
        n_f,
        -np.inf,
        0.0,
    )
    if plan.min_load > 0:
        add(
            "min_load",
            np.concatenate([f_rows, np.arange(n_f)]),
            np.concatenate([yi.ravel(), oi]),
            np.concatenate([np.ones(ny), -plan.min_load * plan.seats]),
            n_f,
            0.0,
            np.inf,
        )
    prev = plan.prevalence[plan.origin, plan.day]  # (F,)
    risk = np.repeat(prev, n_g)
    if np.isfinite(plan.max_infections):
        add(
            "infections", np.zeros(ny, dtype=int), yi.ravel(), risk, 1, -np.inf, plan.max_infections
        )
    if np.isfinite(plan.max_infections_per_week):
        week = plan.day // 7
        add(
            "infections_per_week",
            np.repeat(week, n_g),
            yi.ravel(),
            risk,
            int((days - 1) // 7 + 1),
            -np.inf,
            plan.max_infections_per_week,
        )
    # quarantine: arrivals of days t-Q+1..t occupy places on day t
    q = plan.quarantine_days
    offsets = np.arange(q)
    occ_day = plan.day[:, None] + offsets[None, :]  # (F, Q) days each flight's people occupy
    inside = occ_day < days
    f_idx = np.broadcast_to(np.arange(n_f)[:, None], occ_day.shape)[inside]
    d_idx = occ_day[inside]
    rows = np.repeat(d_idx, n_g)
    cols = yi[f_idx].ravel()
    add("quarantine", rows, cols, np.ones(len(cols)), days, -np.inf, plan.places)
    if np.isfinite(plan.budget):
        add("budget", np.zeros(n_f, dtype=int), oi, plan.cost, 1, -np.inf, plan.budget)
    smallest = float(np.min(plan.weights[plan.weights > 0])) if np.any(plan.weights > 0) else 1.0
    charge = FLIGHT_CHARGE * smallest * (1 + plan.cost / (plan.cost.max() or 1.0))
    c = np.concatenate([-np.tile(plan.weights, n_f), charge])
    ub = np.concatenate(
        [
            np.minimum(plan.seats[:, None], plan.nationals[plan.origin]).ravel(),
            np.ones(n_f),
        ]
    )
    integrality = np.ones(nv, dtype=np.int8)
    return c, blocks, Bounds(np.zeros(nv), ub), integrality, yi, oi


def schedule(plan: RepatriationPlan, time_limit: float = 60.0) -> Schedule:
    """Solve the repatriation MIP; infeasibility cannot arise (flying nobody is always allowed)."""
    c, blocks, bounds, integrality, yi, oi = _model(plan)
    constraints = [LinearConstraint(a, lo, hi) for _, a, lo, hi in blocks]
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": time_limit, "mip_rel_gap": 1e-4},
    )
    if res.x is None:
        raise InputError(f"the solver found no schedule: {res.message}", source=plan.source)
    x = np.round(res.x)
    people = x[yi]
    operated = x[oi] > 0.5
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return Schedule(plan, people, operated, float(people.sum(axis=0) @ plan.weights), gap)


def explain_schedule(result: Schedule) -> tuple[dict[str, pd.DataFrame], str]:
    """Tables (schedule, flights, quarantine, remaining) and a short markdown explanation."""
    plan = result.plan
    countries = np.array(plan.countries)
    groups = np.array(plan.groups)
    f_idx, g_idx = np.nonzero(result.people > 0)
    sched = pd.DataFrame(
        {
            "flight": np.array(plan.flights)[f_idx],
            "origin": countries[plan.origin[f_idx]],
            "day": plan.day[f_idx] + 1,
            "group": groups[g_idx],
            "people": result.people[f_idx, g_idx].astype(int),
        }
    ).sort_values(["day", "flight", "group"])
    load = result.people.sum(axis=1)
    infections = result.expected_infections()
    flights = pd.DataFrame(
        {
            "flight": plan.flights,
            "origin": countries[plan.origin],
            "day": plan.day + 1,
            "seats": plan.seats.astype(int),
            "operated": result.operated,
            "passengers": load.astype(int),
            "load_factor": np.round(np.where(plan.seats > 0, load / plan.seats, 0.0), 4),
            "expected_infections": np.round(infections, 4),
            "cost": plan.cost,
        }
    )
    occ = result.occupancy()
    quarantine = pd.DataFrame(
        {"day": np.arange(plan.days) + 1, "occupied": occ.astype(int), "places": plan.places}
    )
    back = np.zeros_like(plan.nationals)
    np.add.at(back, plan.origin, result.people)
    ci, gi = np.meshgrid(np.arange(len(countries)), np.arange(len(groups)), indexing="ij")
    remaining = pd.DataFrame(
        {
            "country": countries[ci.ravel()],
            "group": groups[gi.ravel()],
            "waiting": plan.nationals.ravel().astype(int),
            "returned": back.ravel().astype(int),
            "remaining": (plan.nationals - back).ravel().astype(int),
        }
    )
    total_inf = float(infections.sum())
    limits = []
    if np.isfinite(plan.max_infections):
        limits.append(
            f"expected imported infections {total_inf:,.2f} of at most {plan.max_infections:,.2f}"
        )
    if np.isfinite(plan.max_infections_per_week):
        per_week = np.bincount(plan.day // 7, weights=infections)
        limits.append(
            f"busiest week {per_week.max():,.2f} expected infections of at most "
            f"{plan.max_infections_per_week:,.2f}"
        )
    full_days = int(np.sum(occ >= plan.places - 0.5))
    limits.append(
        f"quarantine full on {full_days} of {plan.days} days (peak {occ.max():,.0f} occupied)"
    )
    if np.isfinite(plan.budget):
        spent = float(plan.cost[result.operated].sum())
        limits.append(f"flight costs {spent:,.0f} of a budget of {plan.budget:,.0f}")
    lines = [
        f"# Repatriation: {plan.name}",
        "",
        f"Home {plan.home}; {len(plan.countries)} countries, {len(plan.flights)} flights offered, "
        f"{plan.days} days, {plan.quarantine_days}-day quarantine. Solver: HiGHS MIP "
        f"(scipy.optimize.milp), relative gap {result.mip_gap:.2g}.",
        "",
        f"{int(load.sum()):,} of {int(plan.nationals.sum()):,} nationals return on "
        f"{int(result.operated.sum())} flights; priority-weighted returns "
        f"{result.returned_weight:,.0f}.",
        "",
        "Limits: " + "; ".join(limits) + ".",
        "",
        "## By priority group",
        "",
        "| group | weight | waiting | returned | share |",
        "|---|---|---|---|---|",
    ]
    for g, name in enumerate(plan.groups):
        wait = plan.nationals[:, g].sum()
        got = back[:, g].sum()
        lines.append(
            f"| {name} | {plan.weights[g]:g} | {wait:,.0f} | {got:,.0f} | "
            f"{got / wait if wait else 1:.1%} |"
        )
    lines += [
        "",
        "## Countries with most nationals still waiting",
        "",
        "| country | waiting | returned | remaining | prevalence (mean) |",
        "|---|---|---|---|---|",
    ]
    left = plan.nationals.sum(axis=1) - back.sum(axis=1)
    for c in np.argsort(-left, kind="stable")[:10]:
        lines.append(
            f"| {plan.countries[c]} | {plan.nationals[c].sum():,.0f} | {back[c].sum():,.0f} | "
            f"{left[c]:,.0f} | {plan.prevalence[c].mean():.3%} |"
        )
    lines.append("")
    tables = {
        "schedule": sched,
        "flights": flights,
        "quarantine": quarantine,
        "remaining": remaining,
    }
    return tables, "\n".join(lines)
