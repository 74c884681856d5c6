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

from .objective import PIECES, piece_slopes, weighted_need
from .problem import AllocationProblem
from .rules import need_floors, weekly_floors


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


@dataclass(frozen=True, eq=False)
class _Layout:
    """Where each variable family sits in the column vector, with the index arrays rows need.

    Columns: x [0, nx), u and stock [nx, nx + nu), C [nx + nu, z0), z [z0, r0), r [r0, t0),
    t [t0, nv).
    """

    shape: tuple[int, int, int]
    scale: np.ndarray
    need: np.ndarray  # pooled need, scaled (M, W, I)
    xi: np.ndarray  # column of x[m, w, i]
    life: np.ndarray  # shelf life per item, weeks (relaxed: the horizon)
    expiring: np.ndarray  # items with a shelf life shorter than the horizon
    u_cohort: np.ndarray  # arrival week of each cohort-use variable u
    u_lag: np.ndarray  # weeks after arrival it is used
    u_item: np.ndarray
    lasting: np.ndarray  # items that never expire (they hold stock variables instead)
    carry_items: np.ndarray
    ci: np.ndarray  # column of C[m, w, k] for carry item k
    curves: tuple
    seg_item: np.ndarray  # item of each response-curve piece
    seg_len: np.ndarray
    seg_slope: np.ndarray
    seg_curve: np.ndarray  # curve of each piece
    t_items: np.ndarray  # items with a max-min level t
    short_m: np.ndarray  # member of each (member, item) with pieces of diminishing returns r
    short_i: np.ndarray
    nx: int
    nu: int
    n_c: int
    z0: int
    r0: int
    t0: int
    nv: int


def _layout(problem: AllocationProblem, relax: Relax) -> _Layout:
    """Number the columns of every variable family (x, u and stock, C, z, t)."""
    m, weeks, n = problem.shape
    s = item_scale(problem)
    need = problem.pooled().need / s
    life = problem.item_array("shelf_life").astype(int)
    if relax.shelf_life:
        life[:] = weeks
    nx = m * weeks * n
    xi = np.arange(nx).reshape(m, weeks, n)
    lag = np.arange(weeks)
    expiring = life < weeks
    c_grid, k_grid = np.meshgrid(lag, lag, indexing="ij")  # (W cohorts, W lags)
    valid = (k_grid[:, :, None] < life[None, None, :]) & ((c_grid + k_grid)[:, :, None] < weeks)
    valid &= expiring[None, None, :]
    u_cohort, u_lag, u_item = np.nonzero(valid)
    lasting = np.flatnonzero(~expiring)
    nu = len(u_cohort) + weeks * len(lasting)  # stock held at week ends, for lasting items
    carry_items = np.flatnonzero(problem.item_array("carry_over"))
    n_c = m * weeks * len(carry_items)
    ci = nx + nu + np.arange(n_c).reshape(m, weeks, len(carry_items))
    curves = problem.curves if problem.objective == "deaths_averted" else ()
    item_pos = {name: k for k, name in enumerate(problem.item_names)}
    pieces = [(j, item_pos[c.item], *c.segments()) for j, c in enumerate(curves)]
    seg_item = np.array([i for _, i, lengths, _ in pieces for _ in lengths], dtype=np.int64)
    seg_curve = np.array([j for j, _, lengths, _ in pieces for _ in lengths], dtype=np.int64)
    seg_len = np.concatenate([p[2] for p in pieces]) if pieces else np.zeros(0)
    seg_slope = np.concatenate([p[3] for p in pieces]) if pieces else np.zeros(0)
    z0 = nx + nu + n_c
    t_items = np.zeros(0, dtype=np.int64)
    if problem.fairness.rule == "max_min":
        t_items = np.flatnonzero(problem.rule_items() & (need.sum(axis=(0, 1)) > 0))
    short_m = short_i = np.zeros(0, dtype=np.int64)
    if problem.returns == "diminishing":
        short_m, short_i = np.nonzero(weighted_need(problem) > 0)
    r0 = z0 + len(seg_len)
    t0 = r0 + len(short_m) * PIECES
    return _Layout(
        (m, weeks, n), s, need, xi, life, expiring, u_cohort, u_lag, u_item, lasting,
        carry_items, ci, curves, seg_item, seg_len, seg_slope, seg_curve, t_items,
        short_m, short_i, nx, nu, n_c, z0, r0, t0, t0 + len(t_items),
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class _Bounds:
    """Variable bounds, integrality, and the delivery limits the capacity rows need."""

    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray | None
    x_ub: np.ndarray  # (M, W, I), scaled
    total_cap: np.ndarray  # (M, W), handling units
    closed: np.ndarray  # (M, W): no handling capacity at all


def _bounds(problem: AllocationProblem, lay: _Layout, relax: Relax) -> _Bounds:
    """Bounds: deliveries up to need and capacity, at least the fairness guarantee; lots."""
    pooled = problem.pooled()
    s, need, xi = lay.scale, lay.need, lay.xi
    carry = problem.item_array("carry_over")
    volume = problem.item_array("volume")
    min_lot = problem.item_array("min_lot")
    item_cap = np.full_like(need, np.inf) if relax.capacity else pooled.item_capacity / s
    total_need = need.sum(axis=1)
    lb = np.zeros(lay.nv)
    ub = np.full(lay.nv, np.inf)
    x_ub = np.where(carry[None, None, :], np.minimum(item_cap, total_need[:, None, :]), need)
    x_ub = np.minimum(x_ub, item_cap)
    total_cap = np.full(lay.shape[:2], np.inf) if relax.capacity else pooled.total_capacity
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
            integrality = np.zeros(lay.nv, dtype=np.int8)
            integrality[xi[semi]] = 2
            x_lb = np.where(semi, lot, x_lb)
    lb[: lay.nx] = x_lb.ravel()
    ub[: lay.nx] = x_ub.ravel()
    if lay.n_c:
        ub[lay.nx + lay.nu : lay.z0] = np.cumsum(need, axis=1)[:, :, lay.carry_items].ravel()
    ub[lay.z0 : lay.r0] = lay.seg_len / s[lay.seg_item] if len(lay.seg_len) else 0.0
    ub[lay.r0 : lay.t0] = 1.0 / PIECES
    ub[lay.t0 :] = 1.0
    return _Bounds(lb, ub, integrality, x_ub, total_cap, closed)


def _stock_rows(problem: AllocationProblem, lay: _Layout, relax: Relax, rows: _Rows) -> None:
    """Flow and supply rows: deliveries come from live cohorts; nothing is used twice."""
    m, weeks, n = lay.shape
    xi, nx, lag = lay.xi, lay.nx, np.arange(weeks)
    exp_items = np.flatnonzero(lay.expiring)
    exp_pos = np.full(n, -1)
    exp_pos[exp_items] = np.arange(len(exp_items))
    n_cohort = len(lay.u_cohort)
    x_exp = xi[:, :, exp_items]
    flow_x = np.broadcast_to(
        lag[None, :, None] * len(exp_items) + np.arange(len(exp_items)), x_exp.shape
    )
    rows.add(
        "flow",
        np.concatenate(
            [flow_x.ravel(), (lay.u_cohort + lay.u_lag) * len(exp_items) + exp_pos[lay.u_item]]
        ),
        np.concatenate([x_exp.ravel(), nx + np.arange(n_cohort)]),
        np.concatenate([np.ones(x_exp.size), -np.ones(n_cohort)]),
        np.zeros(weeks * len(exp_items)),
    )
    supply = problem.pooled().supply / lay.scale
    if relax.supply:
        supply = np.full_like(supply, 1e20)  # HiGHS reads >= 1e20 as no bound
    lasting = lay.lasting
    n_inv = weeks * len(lasting)
    x_last = xi[:, :, lasting]
    inv = nx + n_cohort + np.arange(n_inv).reshape(weeks, len(lasting))
    row_last = lag[:, None] * n + lasting[None, :]  # (W, lasting)
    rows.add(
        "supply",
        np.concatenate(
            [
                lay.u_cohort * n + lay.u_item,
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


def _capacity_rows(problem: AllocationProblem, lay: _Layout, bounds: _Bounds, rows: _Rows):
    """Handling-capacity rows, only where the bounds alone could exceed it; returns (tm, tw)."""
    n = lay.shape[2]
    volume, s, total_cap = problem.item_array("volume"), lay.scale, bounds.total_cap
    load = (np.where(np.isfinite(bounds.x_ub), bounds.x_ub, 1e30) * volume * s).sum(axis=2)
    tight = np.isfinite(total_cap) & ~bounds.closed & (load > total_cap * (1 + 1e-9))
    tm, tw = np.nonzero(tight)
    coef = (volume * s)[None, :] / total_cap[tm, tw][:, None]  # row scaled so rhs is 1
    rows.add(
        "total_capacity",
        np.repeat(np.arange(len(tm)), n),
        lay.xi[tm, tw, :].ravel(),
        coef.ravel(),
        np.ones(len(tm)),
    )
    return tm, tw


def _guarantee_rows(problem: AllocationProblem, lay: _Layout, rows: _Rows):
    """Floor rows (share of need over the horizon) and max-min rows; returns their index pairs."""
    m, weeks, n = lay.shape
    xi = lay.xi
    floor = need_floors(problem) / lay.scale
    fm, fi = np.nonzero(floor > 1e-12)
    rows.add(
        "floor",
        np.repeat(np.arange(len(fm)), weeks),
        xi[fm, :, fi].ravel(),
        -np.ones(len(fm) * weeks),
        -floor[fm, fi],
    )
    nt = len(lay.t_items)
    if not nt:
        return (fm, fi), (np.zeros(0, int), np.zeros(0, int))
    total_need = lay.need.sum(axis=1)
    t_pos = np.full(n, -1)
    t_pos[lay.t_items] = np.arange(nt)
    mm, mi = np.nonzero((total_need > 0) & (t_pos[None, :] >= 0))
    r = np.arange(len(mm))
    rows.add(
        "maxmin",
        np.concatenate([np.repeat(r, weeks), r]),
        np.concatenate([xi[mm, :, mi].ravel(), lay.t0 + t_pos[mi]]),
        np.concatenate([-np.ones(len(mm) * weeks), total_need[mm, mi]]),
        np.zeros(len(mm)),
    )
    return (fm, fi), (mm, mi)


def _response_rows(problem: AllocationProblem, lay: _Layout, rows: _Rows) -> None:
    """Response rows: doses on a curve's pieces <= doses delivered (earmarks included)."""
    if not len(lay.seg_len):
        return
    weeks = lay.shape[1]
    member_pos = {code: k for k, code in enumerate(problem.members)}
    item_pos = {name: k for k, name in enumerate(problem.item_names)}
    cm = np.array([member_pos[c.member] for c in lay.curves])
    cit = np.array([item_pos[c.item] for c in lay.curves])
    earmark_doses = problem.pooled().earmark_delivered.sum(axis=1)[cm, cit] / lay.scale[cit]
    rows.add(
        "response",
        np.concatenate([lay.seg_curve, np.repeat(np.arange(len(lay.curves)), weeks)]),
        np.concatenate([lay.z0 + np.arange(len(lay.seg_len)), lay.xi[cm, :, cit].ravel()]),
        np.concatenate([np.ones(len(lay.seg_len)), -np.ones(len(lay.curves) * weeks)]),
        earmark_doses,
    )


def _unmet_coefficients(problem: AllocationProblem, lay: _Layout) -> np.ndarray:
    """Weighted unmet need removed per scaled unit of x (plain items) or of C (carry-over items),
    laid out like x: (M, W, I)."""
    return problem.severity * lay.scale


def _returns_rows(problem: AllocationProblem, lay: _Layout, rows: _Rows) -> None:
    """Diminishing returns: the pieces r of a member's weighted need met <= what it was given.

    Per (member, item) j with weighted need U_j: sum_k r[j, k] <= (U_j - weighted unmet) / U_j,
    i.e. earmarks' share plus sum_w sev * s * v[m, w, i] / U_j over x (or C for carry-over items).
    """
    if not len(lay.short_m):
        return
    m, weeks, n = lay.shape
    full = weighted_need(problem)[lay.short_m, lay.short_i]
    pooled = problem.pooled()
    carry = problem.item_array("carry_over")
    pool_need = np.where(carry[None, None, :], np.cumsum(pooled.need, axis=1), pooled.need)
    pool_full = (problem.severity * pool_need).sum(axis=1)[lay.short_m, lay.short_i]
    col = lay.xi.copy()
    if lay.n_c:
        col[:, :, lay.carry_items] = lay.ci
    coef = _unmet_coefficients(problem, lay)[lay.short_m, :, lay.short_i] / full[:, None]
    cells = np.arange(len(full))
    rows.add(
        "returns",
        np.concatenate([np.repeat(cells, PIECES), np.repeat(cells, weeks)]),
        np.concatenate(
            [lay.r0 + np.arange(len(full) * PIECES), col[lay.short_m, :, lay.short_i].ravel()]
        ),
        np.concatenate([np.ones(len(full) * PIECES), -coef.ravel()]),
        np.maximum(full - pool_full, 0.0) / full,
    )


def _with_elastic(a_ub: sp.csr_array, bounds: _Bounds, floor_rows: slice, nv: int):
    """Add a slack s_f >= 0 per floor row (it lets floor f fall short); returns new a_ub, bounds."""
    n_floor = floor_rows.stop - floor_rows.start
    elastic = sp.csr_array(
        sp.coo_array(
            (
                np.ones(n_floor),
                (np.arange(floor_rows.start, floor_rows.stop), nv + np.arange(n_floor)),
            ),
            shape=a_ub.shape,
        )
    )
    integrality = bounds.integrality
    if integrality is not None:
        integrality = np.concatenate([integrality, np.zeros(n_floor, dtype=np.int8)])
    return a_ub - elastic, _Bounds(
        np.concatenate([bounds.lb, np.zeros(n_floor)]),
        np.concatenate([bounds.ub, np.full(n_floor, np.inf)]),
        integrality,
        bounds.x_ub,
        bounds.total_cap,
        bounds.closed,
    )


def _equality_rows(lay: _Layout, nvar: int) -> sp.csr_array:
    """Equality rows: C[m,w,i] - C[m,w-1,i] - x[m,w,i] = 0 (carry-over items)."""
    if not lay.n_c:
        return sp.csr_array((0, nvar))
    m, weeks, _ = lay.shape
    ci = lay.ci
    r = np.arange(lay.n_c).reshape(m, weeks, len(lay.carry_items))
    prev = ci[:, :-1, :]
    eq_rows = np.concatenate([r.ravel(), r[:, 1:, :].ravel(), r.ravel()])
    eq_cols = np.concatenate([ci.ravel(), prev.ravel(), lay.xi[:, :, lay.carry_items].ravel()])
    eq_vals = np.concatenate([np.ones(lay.n_c), -np.ones(prev.size), -np.ones(lay.n_c)])
    return sp.csr_array(sp.coo_array((eq_vals, (eq_rows, eq_cols)), shape=(lay.n_c, nvar)))


@dataclass(frozen=True, eq=False)
class _Objective:
    c: np.ndarray
    scale: float
    constant: float
    item_scale: np.ndarray


def _objective(
    problem: AllocationProblem, lay: _Layout, relax: Relax, stage: str, nvar: int
) -> _Objective:
    """The objective (minimised): scaled weighted unmet need, curve benefit, or a stage's own."""
    n = lay.shape[2]
    pooled = problem.pooled()
    s, xi, ci = lay.scale, lay.xi, lay.ci
    carry = problem.item_array("carry_over")
    c = np.zeros(nvar)
    plain = ~carry
    unmet = np.zeros(nvar)  # weighted unmet need (constant returns) or its shortfall cost
    if len(lay.short_m):
        full = weighted_need(problem)[lay.short_m, lay.short_i]
        unmet[lay.r0 : lay.t0] = -(full[:, None] * piece_slopes()[None, :]).ravel()
        constant = float(weighted_need(problem).sum())
    else:
        sev = _unmet_coefficients(problem, lay)
        unmet[xi[:, :, plain].ravel()] = -sev[:, :, plain].ravel()
        if lay.n_c:
            unmet[ci.ravel()] = -sev[:, :, lay.carry_items].ravel()
        constant = float((problem.severity * pooled.need)[:, :, plain].sum())
        constant += float((problem.severity * np.cumsum(pooled.need, axis=1))[:, :, carry].sum())
    if relax.feasibility:
        if nvar > lay.nv:
            c[lay.nv :] = 1.0 / (nvar - lay.nv)
        return _Objective(c, 1.0, constant, np.full(n, 1.0))
    if stage == "maxmin":
        c[lay.t0 : lay.nv] = -1.0
        return _Objective(c, 1.0, constant, np.full(n, 1.0))
    if stage == "deaths":
        c[lay.z0 : lay.r0] = -lay.seg_slope * s[lay.seg_item]
        scale_obj = float(np.max(np.abs(c))) or 1.0
        return _Objective(c / scale_obj, scale_obj, 0.0, np.full(n, scale_obj))
    scale_obj = float(np.max(np.abs(unmet))) or 1.0
    return _Objective(unmet / scale_obj, scale_obj, constant, np.full(n, scale_obj))


def _column_items(lay: _Layout, nvar: int) -> np.ndarray:
    """The item of every column (-1 for columns of no single item: slacks)."""
    m, weeks, n = lay.shape
    out = np.full(nvar, -1, dtype=np.int64)
    out[: lay.nx] = np.tile(np.arange(n), m * weeks)
    n_cohort = len(lay.u_cohort)
    out[lay.nx : lay.nx + n_cohort] = lay.u_item
    out[lay.nx + n_cohort : lay.nx + lay.nu] = np.tile(lay.lasting, weeks)
    out[lay.nx + lay.nu : lay.z0] = np.tile(lay.carry_items, m * weeks)
    out[lay.z0 : lay.r0] = lay.seg_item
    out[lay.r0 : lay.t0] = np.repeat(lay.short_i, PIECES)
    out[lay.t0 : lay.nv] = lay.t_items
    return out


def build(problem: AllocationProblem, relax: Relax = Relax(), stage: str = "main") -> LinearProgram:
    """Assemble the sparse LP for `problem`.

    `stage`: "maxmin" (the max-min rule's first stage: the smallest share of need met),
    "deaths" (deaths averted, for that objective, before the shortfall cost breaks ties), or
    "main" (the shortfall cost; the caller bounds deaths averted at the "deaths" optimum).
    """
    lay = _layout(problem, relax)
    bounds = _bounds(problem, lay, relax)
    rows = _Rows()
    _stock_rows(problem, lay, relax, rows)
    tm, tw = _capacity_rows(problem, lay, bounds, rows)
    (fm, fi), (mm, mi) = _guarantee_rows(problem, lay, rows)
    _response_rows(problem, lay, rows)
    _returns_rows(problem, lay, rows)
    n_elastic = len(fm) if relax.elastic_floors else 0
    a_ub, b_ub, row_slices = rows.build(lay.nv + n_elastic)
    if n_elastic:
        a_ub, bounds = _with_elastic(a_ub, bounds, row_slices["floor"], lay.nv)
    nvar = len(bounds.lb)
    a_eq = _equality_rows(lay, nvar)
    obj = _objective(problem, lay, relax, stage, nvar)
    nx, nu, z0, t0, nv = lay.nx, lay.nu, lay.z0, lay.t0, lay.nv
    return LinearProgram(
        c=obj.c,
        a_ub=a_ub,
        b_ub=b_ub,
        a_eq=a_eq,
        b_eq=np.zeros(a_eq.shape[0]),
        lb=bounds.lb,
        ub=bounds.ub,
        integrality=bounds.integrality,
        scale=lay.scale,
        objective_scale=obj.scale,
        objective_constant=obj.constant,
        item_objective_scale=obj.item_scale,
        blocks={
            "x": slice(0, nx),
            "u": slice(nx, nx + nu),
            "C": slice(nx + nu, z0),
            "z": slice(z0, lay.r0),
            "r": slice(lay.r0, t0),
            "t": slice(t0, nv),
            "elastic": slice(nv, nv + n_elastic),
        },
        rows=row_slices,
        index={
            "total_capacity": np.stack([tm, tw]),
            "floor": np.stack([fm, fi]),
            "maxmin": np.stack([mm, mi]),
            "t_items": np.asarray(lay.t_items, dtype=np.int64),
            "carry_items": lay.carry_items,
            "column_item": _column_items(lay, nvar),
        },
    )
