"""Risk from a running engine: metered importations against the analytic two-node solution,
common random numbers (identical scenarios differ by exactly zero), acting alone vs together."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from epicommons.model import Seed, build_model
from epicommons.model.presets import covid_like, seir, sir
from epicommons.risk.compare import outcomes, paired
from epicommons.risk.outbreak import (
    arrival_distribution,
    importation_curve,
    risk_table,
    run_ensemble,
)
from epicommons.risk.together import alone_versus_together
from factories import network_from_edges as _net


def test_meter_matches_two_node_closed_form():
    # no transmission, no recovery: 100 infected random-walk between A and B (p = F/N per day).
    # Seeds arrive after day 0's travel, so at the start of day d >= 1, I_A = 50 (1 + (1-2p)^(d-1))
    # and B imports I_A p that day
    n, f, days = 1e4, 500.0, 30
    p = f / n
    net = _net([(0, 1, f), (1, 0, f)], [n, n], nodes=("AAA", "BBB"))
    model = build_model(sir(beta=0.0, gamma=0.0), net)
    ens = run_ensemble(model, [Seed("AAA", 100, compartment="I")], days, 1, 0, stochastic=False)
    d = np.arange(days)
    i_a = np.where(d >= 1, 50 * (1 + (1 - 2 * p) ** (d - 1.0)), 0.0)
    b = ens.countries.index("BBB")
    assert ens.importations[0, :, b] == pytest.approx(i_a * p, rel=1e-5)
    a = ens.countries.index("AAA")
    assert ens.importations[0, 1:, a] == pytest.approx((100 - i_a[1:]) * p, rel=1e-5)


def test_identical_scenarios_pair_to_zero():
    net = _net(
        [(0, 1, 2000.0), (1, 0, 2000.0), (1, 2, 500.0), (2, 1, 500.0)],
        [2e5, 3e5, 1e5],
        ("AAA", "BBB", "CCC"),
    )
    model = build_model(seir(R0=2.0), net)
    runs = [outcomes(name, run_ensemble(model, [Seed("AAA", 5)], 60, 6, 42)) for name in ("a", "b")]
    table = paired(*runs)
    assert (table["difference_mean"].fillna(0) == 0).all()
    assert (table["q05"].fillna(0) == 0).all() and (table["q95"].fillna(0) == 0).all()


def test_risk_table_shape_and_order():
    net = _net(
        [(0, 1, 2000.0), (1, 0, 2000.0), (1, 2, 500.0), (2, 1, 500.0)],
        [2e5, 3e5, 1e5],
        ("AAA", "BBB", "CCC"),
    )
    model = build_model(seir(R0=2.0), net)
    table = risk_table(run_ensemble(model, [Seed("AAA", 5)], 80, 8, 1), "AAA")
    assert list(table["destination"]) == ["BBB", "CCC"]  # the chain's order
    assert (table["p_at_least_one"].between(0, 1)).all()
    reached = table.dropna(subset=["arrival_day_median"])
    assert (reached["arrival_day_q05"] <= reached["arrival_day_median"]).all()
    assert (reached["arrival_day_median"] <= reached["arrival_day_q95"]).all()
    assert table["effective_distance"].is_monotonic_increasing


def test_together_closes_the_indirect_route():
    # source BRA reaches member AUT directly and member BEL only through outsider CAN
    net = _net(
        [
            (0, 1, 800.0),
            (1, 0, 800.0),
            (0, 3, 800.0),
            (3, 0, 800.0),
            (3, 2, 800.0),
            (2, 3, 800.0),
            (1, 2, 300.0),
            (2, 1, 300.0),
        ],
        [5e5, 2e5, 2e5, 2e5],
        ("BRA", "AUT", "BEL", "CAN"),
    )
    model = build_model(covid_like(), net)
    start = date(2027, 1, 1)
    table = alone_versus_together(
        model,
        [Seed("BRA", 50)],
        "BRA",
        ["AUT", "BEL"],
        [{"type": "travel_reduction", "start": start, "reduction": 1.0}],
        start,
        60,
        4,
        5,
        stochastic=False,
    ).set_index("country")
    # alone: BEL still imports through CAN; together: nothing enters the group at all
    assert table.loc["BEL", "importations_alone"] > 1.0
    assert table.loc["BEL", "importations_together"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["AUT", "importations_together"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(table.loc["BEL", "arrival_together"])
    assert table.loc["GROUP", "averted_together_vs_alone"] > 0


def test_curves_agree_with_the_table():
    net = _net(
        [(0, 1, 2000.0), (1, 0, 2000.0), (1, 2, 500.0), (2, 1, 500.0)],
        [2e5, 3e5, 1e5],
        ("AAA", "BBB", "CCC"),
    )
    model = build_model(seir(R0=2.0), net)
    ens = run_ensemble(model, [Seed("AAA", 5)], 50, 6, 3)
    table = risk_table(ens, "AAA").set_index("destination")
    curve = importation_curve(ens)
    last = curve[curve["day"] == 49].set_index("destination")
    for c in ("BBB", "CCC"):
        assert last.loc[c, "p_at_least_one"] == pytest.approx(table.loc[c, "p_at_least_one"])
        assert last.loc[c, "expected_importations"] == pytest.approx(
            table.loc[c, "expected_importations"]
        )
        per_day = curve[curve["destination"] == c]
        assert per_day["p_at_least_one"].is_monotonic_increasing
    dist = arrival_distribution(ens)
    reached = np.isfinite(ens.arrival()).mean(axis=0)
    final = dist[dist["day"] == 49].set_index("country")["p_reached"]
    assert final.to_numpy() == pytest.approx(reached)
