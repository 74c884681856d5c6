"""Projected needs against reported stocks, the week each member runs short, and a proposed
split of what donors pledged and have not yet delivered (the assistance allocator).

Need of an item in forecast week h = `per_case` × the median forecast cases of that week, never
more than `per_person_per_week` × the population (nobody uses more than that); the stock is the
member's latest report on or before the as-of date, used up week by week; what the stock does
not cover is the unmet need, and the first week with unmet need is the shortfall week. The
pledged-not-delivered quantities are available now (week 1) and split over the unmet needs by
`assist.solve` under the options' fairness rule; `assist.explain` says what binds and what one
more unit would be worth (shadow prices).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import numpy as np
import pandas as pd

from epicommons.assist import AllocationProblem, Fairness, Item, explain, solve
from epicommons.world.countries import registry

from .options import AssessmentOptions
from .steps import MemberResult

SHORTFALL_COLUMNS = [
    "location",
    "item",
    "unit",
    "week",
    "week_end",
    "cases_median",
    "need",
    "stock",
    "stock_date",
    "stock_left",
    "unmet",
    "shortfall_week",
]
ALLOCATION_COLUMNS = ["location", "week", "item", "need", "delivered", "unmet"]
EXPLANATION_COLUMNS = [
    "location",
    "item",
    "need",
    "delivered",
    "share_met",
    "guaranteed",
    "binding",
]


def shortfalls(
    results: list[MemberResult],
    stocks: pd.DataFrame,
    population: Mapping[str, float],
    as_of: datetime.date,
    options: AssessmentOptions,
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """One row per member, item and forecast week; warnings for doubtful or missing stocks."""
    rows, warnings = [], []
    day = pd.Timestamp(as_of)
    weeks = np.arange(1, options.forecast_weeks + 1)
    ends = [(day + pd.Timedelta(days=7 * int(h))).date() for h in weeks]
    latest = stocks.groupby(["location", "item"]).tail(1).set_index(["location", "item"])
    for r in results:
        if r.weekly_median is None:
            continue
        pop = float(population[r.location])
        for item, spec in options.needs.items():
            raw = spec.per_case * r.weekly_median
            cap = spec.per_person_per_week * pop
            need = np.minimum(raw, cap)
            if (raw > cap).any():
                warnings.append(
                    _warn(
                        r.location,
                        f"{item}: need capped at {cap:,.0f} a week "
                        f"({spec.per_person_per_week:g} per person)",
                    )
                )
            if (r.location, item) in latest.index:
                stock = float(latest.loc[(r.location, item), "quantity"])
                stock_date = latest.loc[(r.location, item), "date"].date()
                age = (as_of - stock_date).days
                if age > options.stale_stock_days:
                    warnings.append(
                        _warn(
                            r.location,
                            f"{item}: latest stock report is {age} days old ({stock_date})",
                        )
                    )
            else:
                stock, stock_date = 0.0, None
                warnings.append(_warn(r.location, f"{item}: no stock reported; taken as 0"))
            used = np.cumsum(need)
            left = stock - used
            cover = np.maximum(stock - np.concatenate([[0.0], used[:-1]]), 0.0)
            unmet = np.maximum(need - cover, 0.0)
            short = np.flatnonzero(left < 0)
            first = int(short[0]) + 1 if short.size else None
            for w in range(weeks.size):
                rows.append(
                    {
                        "location": r.location,
                        "item": item,
                        "unit": spec.unit,
                        "week": int(weeks[w]),
                        "week_end": ends[w],
                        "cases_median": float(r.weekly_median[w]),
                        "need": float(need[w]),
                        "stock": stock,
                        "stock_date": stock_date,
                        "stock_left": float(max(left[w], 0.0)),
                        "unmet": float(unmet[w]),
                        "shortfall_week": first,
                    }
                )
    return pd.DataFrame(rows, columns=SHORTFALL_COLUMNS), warnings


def allocate(
    shortfall: pd.DataFrame,
    pledges: pd.DataFrame,
    population: Mapping[str, float],
    options: AssessmentOptions,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str, list[dict[str, str]]]:
    """The proposed split of pledged-not-delivered items: allocation, explanation per member
    and item, shadow prices per item and week, the explanation text, and warnings."""
    warnings = []
    left = (pledges["pledged"] - pledges["delivered"]).groupby(pledges["item"]).sum()
    unknown = sorted(set(left.index[left > 0]) - set(options.needs))
    for item in unknown:
        warnings.append(
            _warn(
                "", f"pledged item {item!r} has no need rule in [assessment.needs]; it is not split"
            )
        )
    items = [i for i in options.needs if left.get(i, 0.0) > 0]
    members = sorted(shortfall["location"].unique()) if len(shortfall) else []
    if not items or not members:
        return (
            pd.DataFrame(columns=ALLOCATION_COLUMNS),
            pd.DataFrame(columns=EXPLANATION_COLUMNS),
            pd.DataFrame(columns=["item", "week", "shadow_price"]),
            "Nothing to split: no pledged item left to deliver that a member needs.",
            warnings,
        )
    weeks = options.forecast_weeks
    need = np.zeros((len(members), weeks, len(items)))
    table = shortfall.set_index(["location", "item", "week"]).sort_index()["unmet"]
    for m, loc in enumerate(members):
        for i, item in enumerate(items):
            need[m, :, i] = table.loc[(loc, item)].reindex(range(1, weeks + 1)).to_numpy()
    arrivals = np.zeros((weeks, len(items)))
    arrivals[0] = [float(left[i]) for i in items]
    reg = registry()
    names = tuple(reg[m].name if m in reg else m for m in members)
    fair = options.fairness
    problem = AllocationProblem(
        members=tuple(members),
        names=names,
        population=np.array([float(population[m]) for m in members]),
        threat=np.ones(len(members)),
        request_order=np.arange(len(members)),
        items=tuple(Item(i, unit=options.needs[i].unit) for i in items),
        arrivals=arrivals,
        need=need,
        severity=np.ones(need.shape),
        item_capacity=np.full(need.shape, np.inf),
        total_capacity=np.full(need.shape[:2], np.inf),
        earmarked=np.zeros(need.shape),
        fairness=Fairness(fair.rule, fair.share, fair.phase1_coverage, fair.min_need_share),
        source="pledges",
        name="Proposed split of pledged, not yet delivered items",
    )
    plan = solve(problem)
    why = explain(plan)
    allocation = why.allocation.rename(columns={"member": "location"})[ALLOCATION_COLUMNS]
    explanation = why.members.rename(columns={"member": "location"}).drop(columns=["name"])
    explanation["share_met"] = explanation["share_met"].clip(0.0, 1.0)
    return allocation, explanation, why.shadow_prices, why.text, warnings


def _warn(location: str, message: str) -> dict[str, str]:
    return {"location": location, "step": "supplies", "message": message}
