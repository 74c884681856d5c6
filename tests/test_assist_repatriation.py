"""Repatriation MIP on instances solved by hand, and the schedule's limits as invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epicommons.assist.repatriation import RepatriationPlan, explain_schedule, schedule


def hand_plan(**changes) -> RepatriationPlan:
    # Two countries: A (prevalence 1%) and B (2%); groups medical (weight 3) and other (1).
    # Waiting: A 10 medical + 100 other; B 20 medical + 50 other. Flights: F1 from A on day 1,
    # F2 from B on day 2, 60 seats each; F3 from A on day 6, 60 seats. 14-day quarantine.
    plan = RepatriationPlan(
        home="KOR",
        countries=("AAA", "BBB"),
        groups=("medical", "other"),
        weights=np.array([3.0, 1.0]),
        nationals=np.array([[10.0, 100.0], [20.0, 50.0]]),
        prevalence=np.array([[0.01] * 10, [0.02] * 10]),
        flights=("F1", "F2", "F3"),
        origin=np.array([0, 1, 0]),
        day=np.array([0, 1, 5]),
        seats=np.array([60.0, 60.0, 60.0]),
        cost=np.zeros(3),
        quarantine_days=14,
        places=np.full(10, 1000.0),
        max_infections=1.0,
    )
    return dataclasses.replace(plan, **changes)


def test_infection_limit_hand_optimum():
    # Value per expected infection: A medical 300, B medical 150, A other 100, B other 50.
    # All 30 medical (0.5 infections), then 50 A others (0.5): weighted returns 90 + 50 = 140.
    result = schedule(hand_plan())
    assert result.returned_weight == pytest.approx(140)
    back = np.zeros((2, 2))
    np.add.at(back, result.plan.origin, result.people)
    np.testing.assert_array_equal(back, [[10, 50], [20, 0]])
    assert result.expected_infections().sum() == pytest.approx(1.0)


def test_quarantine_limit_hand_optimum():
    # 40 places for 14 days cover every arrival: the 30 medical, then 10 A others -> 100.
    result = schedule(hand_plan(places=np.full(10, 40.0), max_infections=np.inf))
    assert result.returned_weight == pytest.approx(100)
    assert result.occupancy().max() <= 40


def test_seats_and_budget_hand_optimum():
    # No infection or quarantine limit; a budget for one flight only (costs 5, 9, 5; budget 10):
    # F1 + F3 from A carry 10 medical + 100 other = 130 weighted (F2 alone: 60 + 40 = 100).
    result = schedule(hand_plan(max_infections=np.inf, cost=np.array([5.0, 9.0, 5.0]), budget=10.0))
    assert result.returned_weight == pytest.approx(130)
    assert result.operated.tolist() == [True, False, True]


def test_min_load_keeps_half_empty_flights_on_the_ground():
    # Only 10 medical wait in A; flights need 30% of 60 seats (18) to operate -> A's F1 carries
    # them only if 8 others join; with 0 others waiting, nobody from A flies.
    plan = hand_plan(
        nationals=np.array([[10.0, 0.0], [20.0, 50.0]]), min_load=0.3, max_infections=np.inf
    )
    result = schedule(plan)
    assert not result.operated[0] and not result.operated[2]
    assert result.people[1].tolist() == [20, 40]


def test_explanation_tables_add_up():
    result = schedule(hand_plan())
    tables, text = explain_schedule(result)
    assert tables["schedule"]["people"].sum() == 80
    assert tables["remaining"]["remaining"].sum() == 180 - 80
    assert "80 of 180 nationals return" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_random_schedules_keep_every_limit(seed):
    rng = np.random.default_rng(seed)
    n_c, n_g, days, n_f = 4, 3, 12, 10
    plan = RepatriationPlan(
        home="KOR",
        countries=tuple(f"C{k}" for k in range(n_c)),
        groups=("a", "b", "c"),
        weights=np.array([3.0, 2.0, 1.0]),
        nationals=rng.integers(0, 80, (n_c, n_g)).astype(float),
        prevalence=rng.uniform(0, 0.05, (n_c, days)),
        flights=tuple(f"F{k}" for k in range(n_f)),
        origin=rng.integers(0, n_c, n_f),
        day=rng.integers(0, days, n_f),
        seats=rng.choice([40.0, 60.0], n_f),
        cost=rng.integers(1, 10, n_f).astype(float),
        quarantine_days=5,
        places=rng.integers(20, 120, days).astype(float),
        max_infections=float(rng.uniform(0.5, 5)),
        max_infections_per_week=float(rng.uniform(0.3, 3)),
        budget=float(rng.uniform(5, 40)),
        min_load=float(rng.choice([0.0, 0.25])),
    )
    result = schedule(plan)
    people = result.people
    assert np.all(people >= 0) and np.all(people == np.round(people))
    back = np.zeros_like(plan.nationals)
    np.add.at(back, plan.origin, people)
    assert np.all(back <= plan.nationals)
    load = people.sum(axis=1)
    assert np.all(load <= plan.seats * result.operated)
    assert np.all(load[result.operated] >= plan.min_load * plan.seats[result.operated] - 1e-9)
    infections = result.expected_infections()
    assert infections.sum() <= plan.max_infections + 1e-6
    assert np.all(
        np.bincount(plan.day // 7, weights=infections) <= plan.max_infections_per_week + 1e-6
    )
    for day in range(days):  # occupancy by its definition: arrivals of the last 5 days
        recent = (plan.day <= day) & (plan.day > day - plan.quarantine_days)
        assert load[recent].sum() <= plan.places[day] + 1e-6
    assert plan.cost[result.operated].sum() <= plan.budget + 1e-6
