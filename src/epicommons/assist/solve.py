"""Solve an `AllocationProblem` with HiGHS and read the answer back: deliveries, duals, what binds.

LPs go through `scipy.optimize.linprog(method="highs")`, which returns the duals; when minimum lots
make it a MIP, `scipy.optimize.milp` decides which deliveries happen, and the LP with those on/off
decisions fixed gives the shadow prices. Infeasible problems are diagnosed by dropping one
constraint family at a time and by an elastic LP that says which members' floors cannot be met.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp

from epicommons.errors import InputError

from .lp import LinearProgram, Relax, build
from .problem import AllocationProblem
from .rules import need_floors, weekly_floors

TOL = 1e-7


@dataclass(frozen=True, eq=False)
class Binding:
    """Which constraints hold a member back (True where the constraint is tight and costly).

    Attributes:
        need: delivery equals the need (for carry-over items: the backlog is cleared), (M, W, I).
        item_capacity: delivery stopped by the member's per-item capacity, (M, W, I).
        total_capacity: the member's handling capacity in that week is full, (M, W).
        floor: the member gets exactly its fairness guarantee in some week, or its guaranteed
            share of need over the horizon, (M, I).
        maxmin: the member is at the smallest share of need met, (M, I).
        min_lot: no delivery although one would help, because it would be below the minimum lot,
            (M, W, I).
    """

    need: np.ndarray
    item_capacity: np.ndarray
    total_capacity: np.ndarray
    floor: np.ndarray
    maxmin: np.ndarray
    min_lot: np.ndarray


@dataclass(frozen=True, eq=False)
class Allocation:
    """An optimal plan with its explanation data.

    Attributes:
        problem: the problem solved.
        delivered: units per member, week and item, earmarked donations included, (M, W, I).
        objective: shortfall cost (weighted unmet need, with the problem's returns; to minimise)
            or deaths averted (to maximise); see `objective.py`.
        shadow: benefit of one more unit arriving in week w of item i: deaths averted for items
            with response curves, weighted unmet need removed for the others, (W, I).
        binding: what binds.
        min_share: for max-min, the smallest share of need met per item (nan otherwise).
        solver: how it was solved.
    """

    problem: AllocationProblem
    delivered: np.ndarray
    objective: float
    shadow: np.ndarray
    binding: Binding
    min_share: np.ndarray
    solver: str


def _run(
    lp: LinearProgram, time_limit: float, objective: np.ndarray | None = None
) -> OptimizeResult:
    """One HiGHS call: linprog for LPs (duals), milp when semi-continuous variables exist (on
    the per-item scaled objective unless `objective` is given)."""
    a_eq = lp.a_eq if lp.a_eq.shape[0] else None
    b_eq = lp.b_eq if lp.a_eq.shape[0] else None
    if lp.integrality is None:
        return linprog(
            lp.c,
            A_ub=lp.a_ub,
            b_ub=lp.b_ub,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=np.column_stack([lp.lb, lp.ub]),
            method="highs",
            # presolve slows the pieces of diminishing returns down (benchmarks/bench_assist.py)
            options={"time_limit": time_limit, "presolve": "returns" not in lp.rows},
        )
    constraints = [LinearConstraint(lp.a_ub, -np.inf, lp.b_ub)]
    if a_eq is not None:
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    return milp(
        _per_item(lp) if objective is None else objective,
        integrality=lp.integrality,
        bounds=Bounds(lp.lb, lp.ub),
        constraints=constraints,
        options={"time_limit": time_limit, "mip_rel_gap": 1e-7},
    )


def _per_item(lp: LinearProgram) -> np.ndarray:
    """The objective with each item's terms scaled to the same size, for the MIP's decisions.

    The MIP decides which minimum-lot deliveries happen; its gap is relative to the whole
    objective, where one item (doses by the million) can dwarf another (ventilators by the dozen)
    and hide its decisions inside the gap. Where items share handling capacity the scaling also
    shifts their relative worth, so `_solve_stage` keeps the MIP on the true objective as a
    second candidate.
    """
    item = lp.index["column_item"]
    c = lp.c.copy()
    for i in np.unique(item[(item >= 0) & (c != 0)]):
        on = item == i
        c[on] /= np.max(np.abs(c[on]))
    return c


def _feasible(lp: LinearProgram, time_limit: float) -> bool:
    return _run(lp, time_limit).status == 0


def solve(problem: AllocationProblem, time_limit: float = 60.0) -> Allocation:
    """Optimal allocation of `problem`; raises InputError naming the conflicting constraints.

    Stages, each bounding the next at its optimum: the max-min level (max_min rule), deaths
    averted (deaths_averted objective), then the shortfall cost.
    """
    n = problem.shape[2]
    min_share = np.full(n, np.nan)
    fixed_t = None
    known = None  # lots left out by the last stage: a plan that meets every bound so far
    if problem.fairness.rule == "max_min":
        first = build(problem, stage="maxmin")
        res, _, _, known = _solve_stage(problem, first, time_limit)
        fixed_t = res.x[first.blocks["t"]]
        min_share[first.index["t_items"]] = fixed_t
    deaths = None
    if problem.objective == "deaths_averted":
        deaths = _fix_t(build(problem, stage="deaths"), fixed_t)
        deaths_res, _, _, known = _solve_stage(problem, deaths, time_limit, known)
    lp = _fix_t(build(problem), fixed_t)
    if deaths is not None:  # keep deaths averted at its optimum; the shortfall breaks ties
        best = float(deaths_res.fun)
        lp = _with_row(lp, "deaths", deaths.c, best + 1e-7 * max(1.0, abs(best)))
    res, skipped, solver, _ = _solve_stage(problem, lp, time_limit, known)
    plan = _read(problem, lp, res, min_share, skipped, solver)
    if deaths is None:
        return plan
    curve_items = np.unique([problem.item_names.index(c.item) for c in problem.curves])
    shadow = plan.shadow.copy()  # for curve items: deaths averted per unit, from that stage
    shadow[:, curve_items] = _shadow(deaths, deaths_res, problem.shape)[:, curve_items]
    return dataclasses.replace(plan, shadow=shadow)


def _fix_t(lp: LinearProgram, fixed_t: np.ndarray | None) -> LinearProgram:
    """Hold the max-min level at the first stage's optimum."""
    if fixed_t is not None:
        lp.lb[lp.blocks["t"]] = np.maximum(fixed_t - 1e-7, 0.0)
    return lp


def _with_row(lp: LinearProgram, name: str, coef: np.ndarray, rhs: float) -> LinearProgram:
    """`lp` with one more inequality row `coef . v <= rhs`."""
    start = lp.a_ub.shape[0]
    return dataclasses.replace(
        lp,
        a_ub=sp.csr_array(sp.vstack([lp.a_ub, sp.csr_array(coef[None, :])])),
        b_ub=np.append(lp.b_ub, rhs),
        rows={**lp.rows, name: slice(start, start + 1)},
    )


def _solve_stage(
    problem: AllocationProblem,
    lp: LinearProgram,
    time_limit: float,
    known: np.ndarray | None = None,
):
    """Solve one stage; a MIP's on/off decisions are then fixed and the LP re-solved for duals.

    Candidate decisions: the MIP's on the per-item scaled objective, on the true one, and
    `known` (the lots the previous stage left out: its plan meets this stage's bounds on the
    max-min level and deaths exactly, where a MIP's solution may miss them by its tolerance).
    Returns the result (with duals), the deliveries skipped for want of a full lot, the solver
    and the lots left out.
    """
    m, weeks, n = problem.shape
    solver = "HiGHS (scipy.optimize.linprog, method='highs')"
    x = lp.blocks["x"]
    mip = lp.integrality is not None
    res = _run(lp, time_limit)
    planned = res.status == 0 and res.x is not None
    if not planned and (not mip or known is None):
        if res.status == 2:
            raise diagnose(problem, time_limit)
        raise InputError(f"the solver stopped without a plan: {res.message}", source=problem.source)
    off = np.zeros(lp.ub[x].shape, dtype=bool)
    skipped = np.zeros((m, weeks, n), dtype=bool)
    if mip:
        solver = "HiGHS MIP (scipy.optimize.milp) with duals from the LP at the MIP's decisions"
        semi = lp.integrality[x] == 2
        lot = lp.lb[x].copy()
        choices = [semi & (res.x[x] <= lot * 0.5)] if planned else []
        exact = _run(lp, time_limit, objective=lp.c)
        if exact.status == 0 and exact.x is not None:
            choices.append(semi & (exact.x[x] <= lot * 0.5))
        if known is not None:
            choices.append(known)
        lp.integrality = None
        res, off = _best_decisions(lp, choices, lot, time_limit)
        skipped = (off & (lp.ub[x] > 0)).reshape(m, weeks, n)
        lp.ub[x][off] = 0.0
        lp.lb[x][off] = 0.0
        if res.status != 0:
            raise InputError(
                f"the solver stopped without duals: {res.message}", source=problem.source
            )
    return res, skipped, solver, off


def _best_decisions(
    lp: LinearProgram, choices: list[np.ndarray], lot: np.ndarray, time_limit: float
) -> tuple[OptimizeResult, np.ndarray]:
    """The LP re-solved at each candidate set of lots left out (`choices`, the first preferred
    on a tie); the one with the lowest true objective and its set. `lp` is left unchanged."""
    x = lp.blocks["x"]
    ub = lp.ub[x].copy()
    found: list[tuple[OptimizeResult, np.ndarray]] = []
    for off in choices:
        if any(np.array_equal(off, seen) for _, seen in found):
            continue
        lp.lb[x], lp.ub[x] = np.where(off, 0.0, lot), np.where(off, 0.0, ub)
        found.append((_run(lp, time_limit), off))
    lp.lb[x], lp.ub[x] = lot, ub
    best = found[0]
    for res, off in found[1:]:
        worse = best[0].status != 0 or res.fun < best[0].fun - 1e-9 * max(1.0, abs(best[0].fun))
        if res.status == 0 and worse:
            best = (res, off)
    return best


def _shadow(lp: LinearProgram, res: OptimizeResult, shape: tuple[int, int, int]) -> np.ndarray:
    """Objective gained per unit more arriving in week w of item i, from the supply rows' duals."""
    _, weeks, n = shape
    supply_dual = res.ineqlin.marginals[lp.rows["supply"]].reshape(weeks, n)
    return np.maximum(-supply_dual * lp.item_objective_scale[None, :] / lp.scale[None, :], 0.0)


def _read(
    problem: AllocationProblem,
    lp: LinearProgram,
    res: OptimizeResult,
    min_share: np.ndarray,
    skipped: np.ndarray,
    solver: str,
) -> Allocation:
    """Unscale the solution and turn duals into shadow prices and binding flags."""
    pooled = problem.pooled()
    m, weeks, n = problem.shape
    s = lp.scale
    x = res.x[lp.blocks["x"]].reshape(m, weeks, n)
    x = np.maximum(x, 0.0)
    delivered = x * s + pooled.earmark_delivered
    duals = res.ineqlin.marginals
    shadow = _shadow(lp, res, problem.shape)
    if problem.objective == "deaths_averted":
        z = res.x[lp.blocks["z"]]
        slopes = np.concatenate([c.segments()[1] for c in problem.curves]) if len(z) else z
        item_of = (
            np.concatenate(
                [
                    np.full(len(c.segments()[0]), problem.item_names.index(c.item))
                    for c in problem.curves
                ]
            )
            if len(z)
            else np.zeros(0, int)
        )
        objective = float(np.sum(slopes * z * s[item_of]))
    else:
        objective = lp.objective_constant + float(res.fun) * lp.objective_scale
    carry = problem.item_array("carry_over")
    need_t = pooled.need / s
    cum_x = np.cumsum(x, axis=1)
    cum_need = np.cumsum(need_t, axis=1)
    at_need = np.where(carry[None, None, :], cum_x >= cum_need - TOL, x >= need_t - TOL)
    at_need &= pooled.need > 0
    cap_t = pooled.item_capacity / s
    item_cap = (cap_t < need_t - TOL) & (x >= cap_t - TOL) & ~at_need
    upper = np.abs(res.upper.marginals[lp.blocks["x"]].reshape(m, weeks, n)) > TOL
    item_cap &= upper | (cap_t <= TOL)
    total_cap = np.zeros((m, weeks), dtype=bool)
    tm, tw = lp.index["total_capacity"]
    if len(tm):
        total_cap[tm, tw] = np.abs(duals[lp.rows["total_capacity"]]) > TOL
    total_cap |= (pooled.total_capacity <= 0) & (pooled.need.sum(axis=2) > 0)
    lower = np.abs(res.lower.marginals[lp.blocks["x"]].reshape(m, weeks, n)) > TOL
    floor = np.any(lower & (weekly_floors(problem) > 0), axis=1)
    fm, fi = lp.index["floor"]
    if len(fm):
        floor[fm, fi] |= np.abs(duals[lp.rows["floor"]]) > TOL
    maxmin = np.zeros((m, n), dtype=bool)
    mm, mi = lp.index["maxmin"]
    if len(mm):
        maxmin[mm, mi] = np.abs(duals[lp.rows["maxmin"]]) > TOL
    lot = skipped & upper & (pooled.need > 0)  # delivering would help, but not a full lot
    binding = Binding(at_need, item_cap, total_cap, floor, maxmin, lot)
    return Allocation(problem, delivered, objective, shadow, binding, min_share, solver)


FAMILIES = {
    "weekly_floors": "the fairness rule's weekly guarantees (fairness.rule)",
    "capacity": "delivery capacity ({capacity})",
    "supply": "stock and arrivals (items.*.initial_stock, {arrivals})",
    "shelf_life": "shelf life (items.*.shelf_life_weeks)",
    "min_lot": "minimum lots (items.*.min_lot)",
}


def diagnose(problem: AllocationProblem, time_limit: float = 60.0) -> InputError:
    """Say which constraint families conflict with the guaranteed share of need, and for whom.

    The fairness rule's weekly guarantees come from a feasible weekly rule, so a conflict always
    involves `fairness.min_need_share`; the smallest sets of other families whose removal makes
    the problem feasible are named, and an elastic LP names the members whose guarantee falls short.
    """
    tables = {"capacity": "capacity table", "arrivals": "arrivals table", **problem.tables}
    culprits: list[str] = []
    for size in range(1, len(FAMILIES) + 1):  # the smallest sets of families to blame
        for names in combinations(FAMILIES, size):
            if _feasible(
                build(problem, Relax(**dict.fromkeys(names, True), feasibility=True)), time_limit
            ):
                texts = [FAMILIES[k].format(**tables) for k in names]
                culprits.append(
                    texts[0] if size == 1 else ", ".join(texts[:-1]) + f" and {texts[-1]} together"
                )
        if culprits:
            break
    elastic = build(problem, Relax(elastic_floors=True, feasibility=True))
    res = _run(elastic, time_limit)
    short_text = ""
    if res.status == 0 and elastic.blocks["elastic"].stop > elastic.blocks["elastic"].start:
        slack = res.x[elastic.blocks["elastic"]]
        fm, fi = elastic.index["floor"]
        s = elastic.scale
        floor = need_floors(problem)
        order = np.argsort(-slack * s[fi])
        listed = [
            f"{problem.members[fm[k]]} {problem.item_names[fi[k]]} "
            f"(guaranteed {floor[fm[k], fi[k]]:,.6g}, short {slack[k] * s[fi[k]]:,.6g})"
            for k in order[:5]
            if slack[k] > TOL
        ]
        more = int(np.sum(slack > TOL)) - len(listed)
        short_text = "; guarantees that cannot be met: " + ", ".join(listed)
        short_text += f" and {more} more" if more > 0 else ""
    what = " or with ".join(culprits) if culprits else "the need itself"
    share = problem.fairness.min_need_share
    return InputError(
        f"no allocation satisfies every constraint: the guaranteed {share:g} of each member's need "
        f"conflicts with {what}{short_text}",
        source=problem.source,
        field="fairness.min_need_share",
    )
