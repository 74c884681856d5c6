"""Allocation rules: water-filling against its definition, the proportional baseline against a
plain re-implementation, and the COVAX rule on a worked example computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicommons.assist.problem import AllocationProblem, Fairness, Item
from epicommons.assist.rules import baseline, waterfill, weekly_floors


def make_problem(
    need,
    arrivals,
    population,
    *,
    items=None,
    threat=None,
    fairness=Fairness(),
    item_capacity=None,
    total_capacity=None,
    earmarked=None,
    order=None,
):
    need = np.asarray(need, dtype=float)
    m, w, n = need.shape
    return AllocationProblem(
        members=tuple(f"M{k}" for k in range(m)),
        names=tuple(f"member {k}" for k in range(m)),
        population=np.asarray(population, dtype=float),
        threat=np.ones(m) if threat is None else np.asarray(threat, dtype=float),
        request_order=np.arange(m) if order is None else np.asarray(order, dtype=float),
        items=items or tuple(Item(f"item{i}") for i in range(n)),
        arrivals=np.asarray(arrivals, dtype=float).reshape(w, n),
        need=need,
        severity=np.ones_like(need),
        item_capacity=np.full_like(need, np.inf) if item_capacity is None else item_capacity,
        total_capacity=np.full((m, w), np.inf) if total_capacity is None else total_capacity,
        earmarked=np.zeros_like(need) if earmarked is None else earmarked,
        fairness=fairness,
    )


@settings(max_examples=200, deadline=None)
@given(
    arrays(float, 6, elements=st.floats(0.1, 100)),
    arrays(float, 6, elements=st.floats(0, 50)),
    st.floats(0, 400),
)
def test_waterfill_meets_its_definition(weights, caps, amount):
    a = waterfill(weights[:, None], caps[:, None], np.array([amount]))[:, 0]
    assert np.all(a >= -1e-12) and np.all(a <= caps + 1e-9)
    assert a.sum() == pytest.approx(min(amount, caps.sum()), rel=1e-9, abs=1e-9)
    uncapped = a < caps - 1e-9
    if uncapped.any():  # one common ratio for the uncapped, and capped members are below it
        ratio = a[uncapped] / weights[uncapped]
        assert np.ptp(ratio) <= 1e-9 * max(1.0, ratio.max())
        capped = ~uncapped  # a = cap <= lam * weight
        assert np.all(a[capped] / weights[capped] <= ratio.max() * (1 + 1e-9) + 1e-9)


def test_waterfill_small_case_by_hand():
    # weights 1, 1, 2; caps 1, 10, 10; amount 9 -> member 0 capped at 1, the rest 8 split 1:2
    a = waterfill(
        np.array([[1.0], [1.0], [2.0]]), np.array([[1.0], [10.0], [10.0]]), np.array([9.0])
    )
    np.testing.assert_allclose(a[:, 0], [1.0, 8 / 3, 16 / 3])


def _proportional_by_definition(need, arrivals, population):
    """Plain loops: each week share stock (carried over) by population, capped at need, surplus
    re-shared; found by bisection on the common ratio."""
    m, weeks = need.shape
    out = np.zeros((m, weeks))
    stock = 0.0
    for w in range(weeks):
        stock += arrivals[w]
        caps = need[:, w]
        if caps.sum() <= stock:
            give = caps.copy()
        else:
            lo, hi = 0.0, stock / population.min() + 1
            for _ in range(200):
                mid = (lo + hi) / 2
                if np.minimum(caps, mid * population).sum() > stock:
                    hi = mid
                else:
                    lo = mid
            give = np.minimum(caps, lo * population)
        out[:, w] = give
        stock -= give.sum()
    return out


@pytest.mark.parametrize("seed", range(5))
def test_proportional_baseline_equals_its_definition(seed):
    rng = np.random.default_rng(seed)
    m, weeks = 5, 6
    need = rng.uniform(0, 20, (m, weeks))
    arrivals = rng.uniform(0, 60, weeks)
    population = rng.uniform(1, 100, m)
    problem = make_problem(need[:, :, None], arrivals, population)
    got = baseline(problem, "proportional")[:, :, 0]
    np.testing.assert_allclose(
        got, _proportional_by_definition(need, arrivals, population), rtol=1e-7, atol=1e-7
    )


def test_covax_rule_worked_example():
    # Populations 100, 200, 700; one dose per person; phase 1 up to 20% -> targets 20, 40, 140.
    # Threat x vulnerability 3, 1, 1 -> phase-2 weights 300, 200, 700.
    # Need: everyone 1000 doses in week 1, carried over (unvaccinated people stay in need).
    # Week 1, 100 doses: proportional 10, 20, 70 (all below target).
    # Week 2, 150 doses: phase 1 tops up to the targets: 10, 20, 70 (100 doses); the other 50
    #   go by 300:200:700 -> 12.5, 8.3333, 29.1667.
    # Week 3, 60 doses: all phase 2 -> 15, 10, 35.
    need = np.zeros((3, 3, 1))
    need[:, 0, 0] = 1000
    item = Item("vaccine", carry_over=True)
    problem = make_problem(
        need,
        [100, 150, 60],
        [100, 200, 700],
        items=(item,),
        threat=[3, 1, 1],
        fairness=Fairness(rule="covax"),
    )
    got = baseline(problem, "covax")[:, :, 0]
    expected = np.array([[10, 10 + 12.5, 15], [20, 20 + 25 / 3, 10], [70, 70 + 175 / 6, 35]])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # the LP's guarantee under the covax rule is the phase-1 part only
    floors = weekly_floors(problem)[:, :, 0]
    np.testing.assert_allclose(floors, [[10, 10, 0], [20, 20, 0], [70, 70, 0]], rtol=1e-8)


def test_first_come_first_served_serves_in_order():
    need = np.full((3, 1, 1), 10.0)
    problem = make_problem(need, [25], [1, 1, 1], order=[3, 1, 2])
    np.testing.assert_allclose(baseline(problem, "first_come_first_served")[:, 0, 0], [5, 10, 10])


def test_shelf_life_expires_stock_in_baselines():
    # 10 units arrive in week 1 with a one-week shelf life; nobody needs them until week 2
    need = np.zeros((1, 2, 1))
    need[0, 1, 0] = 10
    problem = make_problem(need, [10, 0], [1], items=(Item("kit", shelf_life=1),))
    assert baseline(problem, "proportional").sum() == 0
