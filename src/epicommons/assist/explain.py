"""Explaining an allocation: per member what it gets and why, shadow prices, and the baselines.

Everything here reads an `Allocation` and the problem; plans are compared on the same measures
(the problem's own objective, the rules each plan breaks, weighted unmet need, deaths averted,
smallest share of need met) computed directly from deliveries, independently of the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .breaches import breaches
from .objective import deaths_averted, objective_value, weighted_unmet
from .problem import AllocationProblem
from .rules import BASELINES, baseline, need_floors, weekly_floors
from .solve import Allocation


def met_share(problem: AllocationProblem, delivered: np.ndarray) -> np.ndarray:
    """Share of total need met per (member, item); nan where there is no need."""
    need = problem.need.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(need > 0, np.minimum(delivered.sum(axis=1) / need, 1.0), np.nan)


def measures(
    problem: AllocationProblem, delivered: np.ndarray, min_share: np.ndarray | None = None
) -> dict[str, float | str]:
    """The comparison measures of one plan: its objective, the rules it breaks, and the rest."""
    share = met_share(problem, delivered)
    broken = breaches(problem, delivered, min_share)
    out: dict[str, float | str] = {
        "objective": objective_value(problem, delivered),
        "breaks": "; ".join(broken) if broken else "none",
        "delivered": float(delivered.sum()),
        "weighted_unmet_need": float(weighted_unmet(problem, delivered).sum()),
        "smallest_share_met": float(np.nanmin(share)) if np.isfinite(share).any() else 1.0,
        "members_fully_met": int(np.sum(np.all(np.nan_to_num(share, nan=1.0) >= 1 - 1e-9, axis=1))),
        "members_receiving": int(np.sum(delivered.sum(axis=(1, 2)) > 1e-9)),
    }
    if problem.curves:
        out["deaths_averted"] = deaths_averted(problem, delivered)
    return out


@dataclass(frozen=True, eq=False)
class Explanation:
    """Tables and text explaining a plan.

    Attributes:
        allocation: member, week, item, need, delivered, unmet (rows with need or delivery).
        members: per (member, item): need, delivered, share met, guaranteed (fairness floor and
            earmarks), baselines, what binds.
        shadow_prices: per (item, week): benefit of one more unit arriving that week.
        comparison: the plan and the baselines on the same measures.
        text: a short markdown explanation.
    """

    allocation: pd.DataFrame
    members: pd.DataFrame
    shadow_prices: pd.DataFrame
    comparison: pd.DataFrame
    text: str


def _weeks_text(mask: np.ndarray) -> str:
    """'3-7, 10' for the weeks (1-based) where mask is True."""
    weeks = np.flatnonzero(mask) + 1
    if not len(weeks):
        return ""
    breaks = np.flatnonzero(np.diff(weeks) > 1)
    starts = np.concatenate([[weeks[0]], weeks[breaks + 1]])
    ends = np.concatenate([weeks[breaks], [weeks[-1]]])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts, ends, strict=True))


def _binding_text(problem: AllocationProblem, plan: Allocation) -> np.ndarray:
    """One phrase per (member, item) naming what holds the member back."""
    b = plan.binding
    m, weeks, n = problem.shape
    short = (problem.need - plan.delivered) > 1e-6 * np.maximum(problem.need, 1.0)
    carry = problem.item_array("carry_over")
    backlog = np.cumsum(problem.need - plan.delivered, axis=1) > 1e-6
    short = np.where(carry[None, None, :], backlog, short)
    cap = (b.item_capacity | b.total_capacity[:, :, None]) & short
    lot = b.min_lot & short
    supply_short = short & ~cap & ~lot
    nothing = _nothing_text(problem, plan, cap, lot)
    out = np.empty((m, n), dtype=object)
    for k in range(m):  # text only; the numbers were computed vectorised above
        for i in range(n):
            parts = [nothing[k, i]] if nothing[k, i] else []
            if not short[k, :, i].any():
                parts.append("need met" if problem.need[k, :, i].sum() > 0 else "no need")
            if cap[k, :, i].any():
                parts.append(f"delivery capacity (weeks {_weeks_text(cap[k, :, i])})")
            if lot[k, :, i].any():
                parts.append(f"minimum lot (weeks {_weeks_text(lot[k, :, i])})")
            if supply_short[k, :, i].any():
                parts.append(f"stock (weeks {_weeks_text(supply_short[k, :, i])})")
            if b.floor[k, i]:
                parts.append("held at its fairness floor")
            if b.maxmin[k, i]:
                parts.append("at the max-min level")
            out[k, i] = "; ".join(parts)
    return out


def _nothing_text(
    problem: AllocationProblem, plan: Allocation, cap: np.ndarray, lot: np.ndarray
) -> np.ndarray:
    """For each (member, item) with need that gets nothing, the constraint or weight that made it
    so; "" elsewhere."""
    m, _, n = problem.shape
    need = problem.need.sum(axis=1)
    got = plan.delivered.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        severity = (problem.severity * problem.need).sum(axis=1) / need
    first_benefit = np.full((m, n), np.nan)  # benefit of the first unit, per response curve
    for curve in problem.curves if problem.objective == "deaths_averted" else ():
        k, i = problem.members.index(curve.member), problem.item_names.index(curve.item)
        first_benefit[k, i] = curve.segments()[1][0]
    out = np.full((m, n), "", dtype=object)
    for k, i in zip(*np.nonzero((need > 0) & (got <= 1e-9 * need)), strict=True):
        weeks = problem.need[k, :, i] > 0
        served = got[:, i] > 1e-9 * np.maximum(need[:, i], 1.0)
        unit = problem.items[i].unit
        if cap[k, weeks, i].all():
            why = "no delivery capacity when it needs it (capacity table)"
        elif (lot[k, weeks, i] | cap[k, weeks, i]).all():
            why = f"a delivery below the minimum lot is not shipped (items.{problem.items[i].name}.min_lot)"
        elif np.isfinite(first_benefit[k, i]) and served.any():
            best = np.nanmax(np.where(served, first_benefit[:, i], np.nan))
            why = (
                f"the objective's weight: its response curve averts {first_benefit[k, i]:.3g} "
                f"per {unit} at first, against up to {best:.3g} for members served"
            )
        elif served.any():
            lo, hi = np.nanmin(severity[served, i]), np.nanmax(severity[served, i])
            span = f"{lo:.3g}" if np.isclose(lo, hi) else f"{lo:.3g} to {hi:.3g}"
            why = (
                f"the objective's weight: its severity {severity[k, i]:.3g} against {span} for the "
                "members served, and stock ran out before its first units weighed more"
            )
        else:
            why = "no stock reached any member"
        out[k, i] = f"gets nothing: {why}"
    return out


def explain(plan: Allocation, baselines: tuple[str, ...] = tuple(BASELINES)) -> Explanation:
    """Build the tables and text explaining `plan`, with the named baselines beside it."""
    problem = plan.problem
    m, weeks, n = problem.shape
    base = {name: baseline(problem, name) for name in baselines}
    mi, wi, ii = np.meshgrid(np.arange(m), np.arange(weeks), np.arange(n), indexing="ij")
    keep = ((problem.need > 0) | (plan.delivered > 1e-9)).ravel()
    need = problem.need.ravel()[keep]
    got = plan.delivered.ravel()[keep]
    members = np.array(problem.members)
    items = np.array(problem.item_names)
    allocation = pd.DataFrame(
        {
            "member": members[mi.ravel()[keep]],
            "week": wi.ravel()[keep] + 1,
            "item": items[ii.ravel()[keep]],
            "need": need,
            "delivered": np.round(got, 6),
            "unmet": np.round(np.maximum(need - got, 0.0), 6),
        }
    )
    total_need = problem.need.sum(axis=1)
    share = met_share(problem, plan.delivered)
    guaranteed = np.maximum(weekly_floors(problem).sum(axis=1), need_floors(problem))
    guaranteed = guaranteed + problem.pooled().earmark_delivered.sum(axis=1)
    summary = {
        "member": np.repeat(members, n),
        "name": np.repeat(np.array(problem.names), n),
        "item": np.tile(items, m),
        "need": total_need.ravel(),
        "delivered": np.round(plan.delivered.sum(axis=1).ravel(), 6),
        "share_met": np.round(share.ravel(), 6),
        "earmarked": problem.pooled().earmark_delivered.sum(axis=1).ravel(),
        "guaranteed": np.round(guaranteed.ravel(), 6),
    }
    for name, plan_b in base.items():
        summary[name] = np.round(plan_b.sum(axis=1).ravel(), 6)
    summary["binding"] = _binding_text(problem, plan).ravel()
    member_table = pd.DataFrame(summary)
    shadow = pd.DataFrame(
        {
            "item": np.tile(items, weeks),
            "week": np.repeat(np.arange(weeks) + 1, n),
            "shadow_price": np.round(plan.shadow.ravel(), 9),
        }
    )
    rows = {"optimised": measures(problem, plan.delivered, plan.min_share)}
    rows.update({name: measures(problem, d, plan.min_share) for name, d in base.items()})
    comparison = pd.DataFrame.from_dict(rows, orient="index").rename_axis("plan").reset_index()
    text = _markdown(plan, member_table, comparison)
    return Explanation(allocation, member_table, shadow, comparison, text)


def _markdown(plan: Allocation, members: pd.DataFrame, comparison: pd.DataFrame) -> str:
    """A short explanation: totals, fairness, scarce items and their shadow prices, baselines."""
    problem = plan.problem
    m, weeks, n = problem.shape
    shortfall = (
        "severity-weighted unmet need, each member's weighted by the share of its need left "
        "unmet (diminishing returns)"
        if problem.returns == "diminishing"
        else "severity-weighted unmet need"
    )
    goal = (
        f"maximise deaths averted (response curves), then minimise {shortfall}"
        if problem.objective == "deaths_averted"
        else f"minimise {shortfall}"
    )
    lines = [
        f"# Allocation: {problem.name}",
        "",
        f"{m} members, {weeks} weeks, {n} items. Objective: {goal}; "
        f"fairness rule: `{problem.fairness.rule}`. Solver: {plan.solver}.",
        f"Objective value: {plan.objective:,.6g}.",
        "",
        "## Items",
        "",
        "| item | need | delivered | share met | held in buffer | shadow price, week 1 | "
        "highest shadow price (week) |",
        "|---|---|---|---|---|---|---|",
    ]
    pooled = problem.pooled()
    for i, it in enumerate(problem.items):
        need = problem.need[:, :, i].sum()
        got = plan.delivered[:, :, i].sum()
        top = int(np.argmax(plan.shadow[:, i]))
        lines.append(
            f"| {it.name} | {need:,.0f} | {got:,.0f} | {got / need if need else 1:.1%} | "
            f"{pooled.buffer[:, i].sum():,.0f} | {plan.shadow[0, i]:.4g} | "
            f"{plan.shadow[top, i]:.4g} (week {top + 1}) |"
        )
    lines += [
        "",
        "The shadow price is the value of one more unit arriving that week: deaths averted for "
        "items with response curves, severity-weighted unmet need removed for the others; zero "
        "means the item is not scarce then.",
        "",
        "## Plan beside the baselines",
        "",
        "| " + " | ".join(comparison.columns) + " |",
        "|" + "---|" * len(comparison.columns),
    ]
    for row in comparison.itertuples(index=False):
        cells = [f"{v:,.6g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "`objective` scores every plan on this problem's objective; `breaks` names the rules a "
        "plan does not keep (need, capacity, stock, minimum lots, the fairness rule). The "
        "optimised plan keeps them all and is never worse than a plan that does.",
    ]
    worst = members[members["need"] > 0].nsmallest(min(10, len(members)), "share_met")
    lines += [
        "",
        "## Members with the smallest share of need met",
        "",
        "| member | item | need | delivered | share met | what binds |",
        "|---|---|---|---|---|---|",
    ]
    for row in worst.itertuples(index=False):
        lines.append(
            f"| {row.member} ({row.name}) | {row.item} | {row.need:,.0f} | {row.delivered:,.0f} | "
            f"{row.share_met:.1%} | {row.binding} |"
        )
    lines.append("")
    return "\n".join(lines)
