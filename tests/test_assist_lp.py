"""The allocation LP/MIP: hand-derived optima, an independent dense formulation solved with
`linprog`, constraint satisfaction on random problems (hypothesis), and shadow prices checked by
finite differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from epicommons.assist.explain import explain
from epicommons.assist.objective import weighted_unmet
from epicommons.assist.problem import AllocationProblem, Fairness, Item
from epicommons.assist.response import ResponseCurve
from epicommons.assist.rules import weekly_floors
from epicommons.assist.solve import solve
from epicommons.errors import InputError


def make_problem(need, arrivals, *, population=None, items=None, severity=None, **kw):
    need = np.asarray(need, dtype=float)
    m, w, n = need.shape
    fields = dict(
        members=tuple(f"M{k}" for k in range(m)),
        names=tuple(f"member {k}" for k in range(m)),
        population=np.ones(m) if population is None else np.asarray(population, dtype=float),
        threat=np.ones(m),
        request_order=np.arange(m),
        items=items or tuple(Item(f"item{i}") for i in range(n)),
        arrivals=np.asarray(arrivals, dtype=float).reshape(w, n),
        need=need,
        severity=np.ones_like(need) if severity is None else np.asarray(severity, dtype=float),
        item_capacity=np.full_like(need, np.inf),
        total_capacity=np.full((m, w), np.inf),
        earmarked=np.zeros_like(need),
        returns="constant",  # the hand optima below are for constant returns unless a test says
    )
    fields.update(kw)
    return AllocationProblem(**fields)


def test_hand_optimum_severity_and_stock_carried():
    # Members A (severity 2) and B (severity 1) need 5 a week for 2 weeks; 6 then 4 arrive and
    # stock keeps: all 10 go to A (one unit held over week 1). Unmet: 2*0 + 1*10 = 10.
    need = np.full((2, 2, 1), 5.0)
    sev = np.stack([np.full((2, 1), 2.0), np.full((2, 1), 1.0)])
    plan = solve(make_problem(need, [6, 4], severity=sev))
    assert plan.objective == pytest.approx(10)
    np.testing.assert_allclose(plan.delivered[0, :, 0], [5, 5], atol=1e-7)
    # one more unit in either week would reach B: worth 1
    np.testing.assert_allclose(plan.shadow[:, 0], [1, 1], atol=1e-7)


def test_hand_optimum_shelf_life_one_week():
    # Same, but units last one week: week 1 gives A 5 and B 1, week 2 gives A 4.
    # Unmet: A 1 (x2) + B 9 = 11; an extra unit is worth 1 in week 1 (B), 2 in week 2 (A).
    need = np.full((2, 2, 1), 5.0)
    sev = np.stack([np.full((2, 1), 2.0), np.full((2, 1), 1.0)])
    plan = solve(make_problem(need, [6, 4], severity=sev, items=(Item("kit", shelf_life=1),)))
    assert plan.objective == pytest.approx(11)
    np.testing.assert_allclose(plan.shadow[:, 0], [1, 2], atol=1e-7)


def test_hand_optimum_minimum_lot():
    # Two members need 5 each, 7 units, minimum lot 4: both cannot be served (8 > 7), so one
    # gets 5 (the LP relaxation would give 7). Unmet 5.
    plan = solve(make_problem(np.full((2, 1, 1), 5.0), [7], items=(Item("vent", min_lot=4),)))
    assert plan.objective == pytest.approx(5)
    assert sorted(plan.delivered[:, 0, 0].round(6)) == [0, 5]


def test_hand_optimum_max_min():
    # Needs 10 and 30, 20 units: max-min share 0.5 -> 5 and 15.
    problem = make_problem(np.array([[[10.0]], [[30.0]]]), [20], fairness=Fairness(rule="max_min"))
    plan = solve(problem)
    assert plan.min_share[0] == pytest.approx(0.5)
    np.testing.assert_allclose(plan.delivered[:, 0, 0], [5, 15], atol=1e-6)


def test_hand_optimum_deaths_averted():
    # Curves A: 5 per dose to 10 doses then 1; B: 3 per dose to 10 then 1. 25 doses:
    # 10 to A (50), 10 to B (30), 5 more at 1 each -> 85 deaths averted.
    curves = (
        ResponseCurve("M0", "vaccine", np.array([0, 10, 20.0]), np.array([0, 50, 60.0])),
        ResponseCurve("M1", "vaccine", np.array([0, 10, 30.0]), np.array([0, 30, 50.0])),
    )
    problem = make_problem(
        np.full((2, 1, 1), 100.0),
        [25],
        items=(Item("vaccine"),),
        objective="deaths_averted",
        curves=curves,
    )
    plan = solve(problem)
    assert plan.objective == pytest.approx(85)
    assert plan.delivered[0, 0, 0] >= 10 - 1e-6 and plan.delivered[1, 0, 0] >= 10 - 1e-6
    assert plan.shadow[0, 0] == pytest.approx(1, rel=1e-4)  # plus the tiny unmet-need tie-break


def test_capacity_binding_is_explained():
    need = np.full((2, 1, 1), 5.0)
    cap = np.full_like(need, np.inf)
    cap[0, 0, 0] = 3
    plan = solve(make_problem(need, [10], item_capacity=cap))
    why = explain(plan)
    row = why.members.set_index("member").loc["M0"]
    assert "delivery capacity (weeks 1)" in row["binding"]
    assert plan.delivered[0, 0, 0] == pytest.approx(3)


def test_infeasible_guarantee_names_the_conflict():
    # Each member is guaranteed 90% of its need, but stock covers half of it.
    problem = make_problem(
        np.full((2, 1, 1), 10.0), [10], fairness=Fairness(rule="none", min_need_share=0.9)
    )
    with pytest.raises(InputError) as err:
        solve(problem)
    text = str(err.value)
    assert "fairness.min_need_share" in text and "stock and arrivals" in text
    assert "M0 item0 (guaranteed 9" in text or "M1 item0 (guaranteed 9" in text


# --- an independent dense formulation -------------------------------------------------------


def dense_optimum(problem: AllocationProblem) -> float:
    """Weighted unmet need at the optimum, written independently: x only, dense matrices.

    Stock: for every interval of weeks [a, b], deliveries in it <= arrivals that are still usable
    in it (weeks a-L+1..b); carry-over items: cumulative deliveries <= cumulative need, with the
    backlog cost moved onto x as a suffix sum of severities.
    """
    m, weeks, n = problem.shape
    nv = m * weeks * n
    idx = np.arange(nv).reshape(m, weeks, n)
    supply = problem.arrivals.copy()
    supply[0] += [it.initial_stock for it in problem.items]
    a_rows, b_rows = [], []
    c = np.zeros(nv)
    ub = np.zeros(nv)
    const = 0.0
    for i, item in enumerate(problem.items):
        life = weeks if item.shelf_life is None else item.shelf_life
        for a in range(weeks):
            for b in range(a, weeks):
                row = np.zeros(nv)
                row[idx[:, a : b + 1, i].ravel()] = 1
                a_rows.append(row)
                b_rows.append(supply[max(0, a - life + 1) : b + 1, i].sum())
        sev = problem.severity[:, :, i]
        need = problem.need[:, :, i]
        if item.carry_over:
            const += float((sev * np.cumsum(need, axis=1)).sum())
            c[idx[:, :, i].ravel()] = -np.cumsum(sev[:, ::-1], axis=1)[:, ::-1].ravel()
            ub[idx[:, :, i].ravel()] = np.inf
            for k in range(m):
                for t in range(weeks):
                    row = np.zeros(nv)
                    row[idx[k, : t + 1, i]] = 1
                    a_rows.append(row)
                    b_rows.append(need[k, : t + 1].sum())
        else:
            const += float((sev * need).sum())
            c[idx[:, :, i].ravel()] = -sev.ravel()
            ub[idx[:, :, i].ravel()] = need.ravel()
    volume = np.array([it.volume for it in problem.items])
    for k in range(m):
        for t in range(weeks):
            if np.isfinite(problem.total_capacity[k, t]):
                row = np.zeros(nv)
                row[idx[k, t, :]] = volume
                a_rows.append(row)
                b_rows.append(problem.total_capacity[k, t])
    ub = np.minimum(ub, problem.item_capacity.ravel())
    res = linprog(
        c,
        A_ub=np.array(a_rows),
        b_ub=np.array(b_rows),
        bounds=list(zip(np.zeros(nv), ub, strict=True)),
        method="highs",
    )
    assert res.status == 0
    return const + res.fun


@st.composite
def small_problems(draw, fairness=False):
    m = draw(st.integers(1, 4))
    weeks = draw(st.integers(1, 5))
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    items = tuple(
        Item(
            f"item{i}",
            initial_stock=float(rng.integers(0, 10)),
            shelf_life=draw(st.sampled_from([None, 1, 2, 3])),
            carry_over=draw(st.booleans()),
            volume=float(rng.choice([0.5, 1, 2])),
            buffer_share=0.0,
        )
        for i in range(n)
    )
    need = rng.integers(0, 12, (m, weeks, n)).astype(float)
    arrivals = rng.integers(0, 20, (weeks, n)).astype(float)
    severity = rng.choice([1.0, 2.0, 5.0], (m, weeks, n))
    item_cap = np.where(rng.random((m, weeks, n)) < 0.3, rng.integers(0, 8, (m, weeks, n)), np.inf)
    total_cap = np.where(rng.random((m, weeks)) < 0.4, rng.integers(0, 15, (m, weeks)), np.inf)
    kw = {}
    if fairness:
        kw["fairness"] = Fairness(
            rule=draw(
                st.sampled_from(["none", "proportional_floor", "covax", "need_weighted", "max_min"])
            ),
            share=draw(st.sampled_from([0.5, 1.0])),
        )
        items = tuple(
            dataclasses.replace(it, min_lot=draw(st.sampled_from([0.0, 0.0, 3.0]))) for it in items
        )
        kw["earmarked"] = np.where(
            rng.random((m, weeks, n)) < 0.2, rng.integers(0, 6, (m, weeks, n)), 0.0
        )
    return make_problem(
        need,
        arrivals,
        population=rng.integers(1, 100, m),
        items=items,
        severity=severity,
        item_capacity=item_cap.astype(float),
        total_capacity=total_cap.astype(float),
        **kw,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_objective_equals_independent_dense_formulation(problem):
    plan = solve(problem)
    expected = dense_optimum(problem)
    assert plan.objective == pytest.approx(expected, rel=1e-6, abs=1e-5)
    # and the objective is what the deliveries really leave unmet
    assert weighted_unmet(problem, plan.delivered).sum() == pytest.approx(
        expected, rel=1e-6, abs=1e-5
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(fairness=True))
def test_allocations_satisfy_every_constraint(problem):
    plan = solve(problem)
    x = plan.delivered
    m, weeks, n = problem.shape
    tol = 1e-4  # HiGHS feasibility tolerance is 1e-7 on scaled rows; quantities here are < 100
    pooled = problem.pooled()
    pool = x - pooled.earmark_delivered
    assert np.all(pool >= -tol)
    for i, item in enumerate(problem.items):
        need = problem.need[:, :, i]
        if item.carry_over:
            assert np.all(np.cumsum(x[:, :, i], axis=1) <= np.cumsum(need, axis=1) + tol)
        else:
            assert np.all(x[:, :, i] <= need + tol)
        assert np.all(x[:, :, i] <= problem.item_capacity[:, :, i] + tol)
        life = weeks if item.shelf_life is None else item.shelf_life
        supply = pooled.supply[:, i]
        for a in range(weeks):  # every interval: deliveries <= stock still usable in it
            for b in range(a, weeks):
                assert (
                    pool[:, a : b + 1, i].sum() <= supply[max(0, a - life + 1) : b + 1].sum() + tol
                )
        if item.min_lot > 0:
            p = pool[:, :, i]
            assert np.all((p <= tol) | (p >= item.min_lot - tol))
    volume = np.array([it.volume for it in problem.items])
    assert np.all(x @ volume <= problem.total_capacity + tol)
    floors = weekly_floors(problem)
    assert np.all(pool >= floors - tol)
    if problem.fairness.rule == "max_min":
        share = np.where(
            pooled.need.sum(axis=1) > 0,
            pool.sum(axis=1) / np.maximum(pooled.need.sum(axis=1), 1e-12),
            1.0,
        )
        assert np.all(share >= np.nan_to_num(plan.min_share, nan=0.0)[None, :] - 1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_shadow_price_matches_finite_difference(seed):
    rng = np.random.default_rng(seed)
    need = rng.integers(1, 10, (4, 3, 1)).astype(float)
    sev = rng.choice([1.0, 3.0], (4, 3, 1))
    problem = make_problem(need, [8, 6, 7], severity=sev)
    plan = solve(problem)
    for week in range(3):
        arrivals = problem.arrivals.copy()
        arrivals[week, 0] += 1e-3
        bumped = solve(dataclasses.replace(problem, arrivals=arrivals))
        gain = (plan.objective - bumped.objective) / 1e-3
        assert gain == pytest.approx(plan.shadow[week, 0], abs=1e-5)
