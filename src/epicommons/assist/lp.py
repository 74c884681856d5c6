"""The allocation LP/MIP: built as sparse matrices in one vectorised pass, solved with HiGHS.

Variables (all scaled: quantities of item i are divided by a per-item scale, so every variable is
O(1) and the solver is well conditioned):
  x[m, w, i]   pool units delivered to member m in week w (semi-continuous when a minimum lot is set)
  u[c, k, i]   units of the week-c arrival cohort used k weeks later (items with a shelf life)
  s[w, i]      units held in the pool at the end of week w (items that never expire)
  C[m, w, i]   cumulative deliveries, for carry-over items (backlog need)
  z[j]         doses on piece j of a response curve (deaths-averted objective)
  t[i]         smallest share of need met, for the max-min rule
Row families: flow (deliveries of week w come from live cohorts), supply (a cohort is used at most
once; or, for lasting items, deliveries + stock kept <= arrivals + stock carried), total capacity
(handling units per member and week), carry (C accumulates x), floor (`min_need_share` of the
total need), max-min, response (curve doses <= doses delivered). The fairness rule's weekly
guarantees are lower bounds on x (no rows), which keeps the LP small and quick to solve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .problem import AllocationProblem
from .rules import need_floors, weekly_floors

TIE_BREAK = (
    1e-5  # weight of a curve item's unmet need beside its deaths averted (earlier is better)
)


@dataclass(frozen=True)
class Relax:
    """Constraint families to drop or soften, for diagnosing infeasibility."""

    capacity: bool = False
    supply: bool = False
    shelf_life: bool = False
    min_lot: bool = False
    weekly_floors: bool = False
    elastic_floors: bool = False
    feasibility: bool = False


@dataclass(eq=False)
class LinearProgram:
    """A built LP: `min c.v` s.t. `A_ub v <= b_ub`, `A_eq v = b_eq`, `lb <= v <= ub`.

    `blocks` maps a variable family to its slice; `rows` maps a row family to its slice of A_ub
    (or of A_eq for "carry"); index arrays locate members/items of per-row families.
    """

    c: np.ndarray
    a_ub: sp.csr_array
    b_ub: np.ndarray
    a_eq: sp.csr_array
    b_eq: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray | None
    scale: np.ndarray
    objective_scale: float
    objective_constant: float
    item_objective_scale: np.ndarray
    blocks: dict[str, slice] = field(default_factory=dict)
    rows: dict[str, slice] = field(default_factory=dict)
    index: dict[str, np.ndarray] = field(default_factory=dict)


class _Rows:
    """Collects COO triplets of row families, then stacks them into one CSR matrix."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.count = 0

    def add(self, name: str, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, rhs: np.ndarray):
        self.parts.append((name, rows + self.count, cols, vals, rhs))
        self.count += len(rhs)

    def build(self, n_cols: int) -> tuple[sp.csr_array, np.ndarray, dict[str, slice]]:
        if not self.parts:
            return sp.csr_array((0, n_cols)), np.zeros(0), {}
        rows = np.concatenate([p[1] for p in self.parts])
        cols = np.concatenate([p[2] for p in self.parts])
        vals = np.concatenate([p[3] for p in self.parts])
        rhs = np.concatenate([p[4] for p in self.parts])
        matrix = sp.csr_array(sp.coo_array((vals, (rows, cols)), shape=(self.count, n_cols)))
        slices, start = {}, 0
        for name, *_, r in self.parts:
            slices[name] = slice(start, start + len(r))
            start += len(r)
        return matrix, rhs, slices


def item_scale(problem: AllocationProblem) -> np.ndarray:
    """Per-item unit scale: the largest weekly need or arrival (so scaled values are O(1))."""
    pooled = problem.pooled()
    big = np.maximum(pooled.need.max(axis=(0, 1)), pooled.supply.max(axis=0))
    return np.where(big > 0, big, 1.0)


def build(problem: AllocationProblem, relax: Relax = Relax(), stage: str = "main") -> LinearProgram:
    """Assemble the sparse LP for `problem`; `stage` is "maxmin" for the first max-min stage."""
    pooled = problem.pooled()
    m, weeks, n = problem.shape
    s = item_scale(problem)
    carry = problem.item_array("carry_over")
    volume = problem.item_array("volume")
    min_lot = problem.item_array("min_lot")
    life = problem.item_array("shelf_life").astype(int)
    if relax.shelf_life:
        life[:] = weeks
    need = pooled.need / s
    item_cap = np.full_like(need, np.inf) if relax.capacity else pooled.item_capacity / s
    total_need = need.sum(axis=1)  # (M, I), scaled
    cum_need = np.cumsum(need, axis=1)

    # --- variables
    nx = m * weeks * n
    xi = np.arange(nx).reshape(m, weeks, n)
    lag = np.arange(weeks)
    expiring = life < weeks
    c_grid, k_grid = np.meshgrid(lag, lag, indexing="ij")  # (W cohorts, W lags)
    valid = (k_grid[:, :, None] < life[None, None, :]) & ((c_grid + k_grid)[:, :, None] < weeks)
    valid &= expiring[None, None, :]
    u_cohort, u_lag, u_item = np.nonzero(valid)
    lasting = np.flatnonzero(~expiring)
    n_inv = weeks * len(lasting)  # stock held at the end of each week, for items that never expire
    nu = len(u_cohort) + n_inv
    carry_items = np.flatnonzero(carry)
    n_c = m * weeks * len(carry_items)
    ci = nx + nu + np.arange(n_c).reshape(m, weeks, len(carry_items))
    curves = problem.curves if problem.objective == "deaths_averted" else ()
    member_pos = {code: k for k, code in enumerate(problem.members)}
    item_pos = {name: k for k, name in enumerate(problem.item_names)}
    seg_item, seg_len, seg_slope, seg_curve = [], [], [], []
    for j, curve in enumerate(curves):  # a handful of pieces per curve
        lengths, slopes = curve.segments()
        seg_item += [item_pos[curve.item]] * len(lengths)
        seg_len.append(lengths)
        seg_slope.append(slopes)
        seg_curve += [j] * len(lengths)
    seg_item_a = np.asarray(seg_item, dtype=np.int64)
    seg_len_a = np.concatenate(seg_len) if seg_len else np.zeros(0)
    seg_slope_a = np.concatenate(seg_slope) if seg_slope else np.zeros(0)
    nz = len(seg_len_a)
    z0 = nx + nu + n_c
    maxmin = problem.fairness.rule == "max_min"
    t_items = np.flatnonzero(problem.rule_items() & (total_need.sum(axis=0) > 0)) if maxmin else []
    nt = len(t_items)
    t0 = z0 + nz
    nv = t0 + nt

    lb = np.zeros(nv)
    ub = np.full(nv, np.inf)
    x_ub = np.where(carry[None, None, :], np.minimum(item_cap, total_need[:, None, :]), need)
    x_ub = np.minimum(x_ub, item_cap)
    total_cap = np.full((m, weeks), np.inf) if relax.capacity else pooled.total_capacity
    closed = total_cap <= 0
    x_ub = np.where(closed[:, :, None] & (volume[None, None, :] > 0), 0.0, x_ub)
    x_lb = np.zeros_like(x_ub)
    if not relax.weekly_floors:
        x_lb = np.minimum(weekly_floors(problem) / s, x_ub)
    integrality = None
    if not relax.min_lot and np.any(min_lot > 0):
        lot = np.broadcast_to(min_lot / s, x_ub.shape)
        x_ub = np.where(x_ub + 1e-12 < lot, 0.0, x_ub)
        semi = (lot > 0) & (x_ub > 0) & (x_lb <= 0)  # a floor already forces a full lot
        if semi.any():
            integrality = np.zeros(nv, dtype=np.int8)
            integrality[xi[semi]] = 2
            x_lb = np.where(semi, lot, x_lb)
    lb[:nx] = x_lb.ravel()
    ub[:nx] = x_ub.ravel()
    if n_c:
        ub[nx + nu : z0] = cum_need[:, :, carry_items].ravel()
    ub[z0:t0] = seg_len_a / s[seg_item_a] if nz else 0.0
    ub[t0:] = 1.0

    # --- inequality rows
    rows = _Rows()
    exp_items = np.flatnonzero(expiring)
    exp_pos = np.full(n, -1)
    exp_pos[exp_items] = np.arange(len(exp_items))
    n_cohort = len(u_cohort)
    x_exp = xi[:, :, exp_items]
    flow_x = np.broadcast_to(
        lag[None, :, None] * len(exp_items) + np.arange(len(exp_items)), x_exp.shape
    )
    rows.add(
        "flow",
        np.concatenate([flow_x.ravel(), (u_cohort + u_lag) * len(exp_items) + exp_pos[u_item]]),
        np.concatenate([x_exp.ravel(), nx + np.arange(n_cohort)]),
        np.concatenate([np.ones(x_exp.size), -np.ones(n_cohort)]),
        np.zeros(weeks * len(exp_items)),
    )
    supply = pooled.supply / s
    if relax.supply:
        supply = np.full_like(supply, 1e20)  # HiGHS reads >= 1e20 as no bound
    x_last = xi[:, :, lasting]
    inv = nx + n_cohort + np.arange(n_inv).reshape(weeks, len(lasting))
    row_last = lag[:, None] * n + lasting[None, :]  # (W, lasting)
    rows.add(
        "supply",
        np.concatenate(
            [
                u_cohort * n + u_item,
                np.broadcast_to(row_last[None], x_last.shape).ravel(),
                row_last.ravel(),
                row_last[1:].ravel(),
            ]
        ),
        np.concatenate([nx + np.arange(n_cohort), x_last.ravel(), inv.ravel(), inv[:-1].ravel()]),
        np.concatenate(
            [np.ones(n_cohort), np.ones(x_last.size), np.ones(n_inv), -np.ones(inv[:-1].size)]
        ),
        supply.ravel(),
    )
    load = (np.where(np.isfinite(x_ub), x_ub, 1e30) * volume * s).sum(axis=2)
    tight = np.isfinite(total_cap) & ~closed & (load > total_cap * (1 + 1e-9))
    tm, tw = np.nonzero(tight)
    coef = (volume * s)[None, :] / total_cap[tm, tw][:, None]  # row scaled so rhs is 1
    rows.add(
        "total_capacity",
        np.repeat(np.arange(len(tm)), n),
        xi[tm, tw, :].ravel(),
        coef.ravel(),
        np.ones(len(tm)),
    )
    floor = need_floors(problem) / s
    fm, fi = np.nonzero(floor > 1e-12)
    n_floor = len(fm)
    rows.add(
        "floor",
        np.repeat(np.arange(n_floor), weeks),
        xi[fm, :, fi].ravel(),
        -np.ones(n_floor * weeks),
        -floor[fm, fi],
    )
    if maxmin and nt:
        t_pos = np.full(n, -1)
        t_pos[t_items] = np.arange(nt)
        mm, mi = np.nonzero((total_need > 0) & (t_pos[None, :] >= 0))
        r = np.arange(len(mm))
        rows.add(
            "maxmin",
            np.concatenate([np.repeat(r, weeks), r]),
            np.concatenate([xi[mm, :, mi].ravel(), t0 + t_pos[mi]]),
            np.concatenate([-np.ones(len(mm) * weeks), total_need[mm, mi]]),
            np.zeros(len(mm)),
        )
        index_mm = (mm, mi)
    else:
        index_mm = (np.zeros(0, int), np.zeros(0, int))
    if nz:
        curve_rows = np.asarray(seg_curve)
        cm = np.array([member_pos[c.member] for c in curves])
        cit = np.array([item_pos[c.item] for c in curves])
        earmark_doses = pooled.earmark_delivered.sum(axis=1)[cm, cit] / s[cit]
        rows.add(
            "response",
            np.concatenate([curve_rows, np.repeat(np.arange(len(curves)), weeks)]),
            np.concatenate([z0 + np.arange(nz), xi[cm, :, cit].ravel()]),
            np.concatenate([np.ones(nz), -np.ones(len(curves) * weeks)]),
            earmark_doses,
        )
    n_elastic = n_floor if relax.elastic_floors else 0
    a_ub, b_ub, row_slices = rows.build(nv + n_elastic)
    if n_elastic:  # slack s_f >= 0 lets floor f fall short
        elastic = sp.csr_array(
            sp.coo_array(
                (
                    np.ones(n_floor),
                    (np.arange(n_floor) + row_slices["floor"].start, nv + np.arange(n_floor)),
                ),
                shape=a_ub.shape,
            )
        )
        a_ub = a_ub - elastic
        lb = np.concatenate([lb, np.zeros(n_floor)])
        ub = np.concatenate([ub, np.full(n_floor, np.inf)])
        if integrality is not None:
            integrality = np.concatenate([integrality, np.zeros(n_floor, dtype=np.int8)])

    # --- equality rows: C[m,w,i] - C[m,w-1,i] - x[m,w,i] = 0
    nvar = len(lb)
    if n_c:
        r = np.arange(n_c).reshape(m, weeks, len(carry_items))
        prev = ci[:, :-1, :]
        eq_rows = np.concatenate([r.ravel(), r[:, 1:, :].ravel(), r.ravel()])
        eq_cols = np.concatenate([ci.ravel(), prev.ravel(), xi[:, :, carry_items].ravel()])
        eq_vals = np.concatenate([np.ones(n_c), -np.ones(prev.size), -np.ones(n_c)])
        a_eq = sp.csr_array(sp.coo_array((eq_vals, (eq_rows, eq_cols)), shape=(n_c, nvar)))
    else:
        a_eq = sp.csr_array((0, nvar))
    b_eq = np.zeros(a_eq.shape[0])

    # --- objective (minimised)
    c = np.zeros(nvar)
    sev = problem.severity * s
    plain = ~carry
    unmet = np.zeros(nvar)
    unmet[xi[:, :, plain].ravel()] = -sev[:, :, plain].ravel()
    if n_c:
        unmet[ci.ravel()] = -sev[:, :, carry_items].ravel()
    constant = float((problem.severity * pooled.need)[:, :, plain].sum())
    constant += float((problem.severity * np.cumsum(pooled.need, axis=1))[:, :, carry].sum())
    item_scale_obj = None
    if relax.feasibility:
        scale_obj = 1.0
        if n_elastic:
            c[nv:] = 1.0 / max(1, n_elastic)
    elif stage == "maxmin":
        c[t0:] = -1.0
        scale_obj = 1.0
    elif nz:
        benefit = np.zeros(nvar)
        benefit[z0:t0] = -seg_slope_a * s[seg_item_a]
        scale_obj = float(np.max(np.abs(benefit))) or 1.0
        unmet_norm = float(np.max(np.abs(unmet))) or 1.0
        has_curve = np.zeros(n, dtype=bool)
        has_curve[seg_item_a] = True
        weight = np.zeros(nvar)  # items without curves keep the unmet-need objective
        weight[xi[:, :, ~has_curve & plain].ravel()] = 1.0
        carry_no_curve = ~has_curve[carry_items]
        if n_c:
            weight[ci[:, :, carry_no_curve].ravel()] = 1.0
        weight = np.maximum(weight, TIE_BREAK)
        c = benefit / scale_obj + weight * unmet / unmet_norm
        constant = 0.0
        item_scale_obj = np.where(has_curve, scale_obj, unmet_norm)
    else:
        scale_obj = float(np.max(np.abs(unmet))) or 1.0
        c = unmet / scale_obj
    return LinearProgram(
        c=c,
        a_ub=a_ub,
        b_ub=b_ub,
        a_eq=a_eq,
        b_eq=b_eq,
        lb=lb,
        ub=ub,
        integrality=integrality,
        scale=s,
        objective_scale=scale_obj,
        objective_constant=constant,
        item_objective_scale=np.full(n, scale_obj) if item_scale_obj is None else item_scale_obj,
        blocks={
            "x": slice(0, nx),
            "u": slice(nx, nx + nu),
            "C": slice(nx + nu, z0),
            "z": slice(z0, t0),
            "t": slice(t0, nv),
            "elastic": slice(nv, nv + n_elastic),
        },
        rows=row_slices,
        index={
            "total_capacity": np.stack([tm, tw]),
            "floor": np.stack([fm, fi]),
            "maxmin": np.stack(index_mm),
            "t_items": np.asarray(t_items, dtype=np.int64),
            "carry_items": carry_items,
        },
    )
