"""Engine-independent risk: importation probabilities, effective distance, natural history.

Expected values are analytic (Poisson/binomial, closed-form SEIR chain) or computed by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from epicommons.errors import InputError
from epicommons.model.presets import covid_like, seir
from epicommons.policy.natural_history import (
    Quarantine,
    history,
    risk_after_arrival,
    staged,
    still_infected_when_released,
)
from epicommons.risk.effective_distance import effective_distance, effective_distance_matrix
from epicommons.risk.importation import (
    importation_risk,
    importation_risk_by_day,
    p_at_least_one,
    p_at_least_one_binomial,
)
from epicommons.world.network import flows_from_edges
from factories import network_from_edges as _net


def test_poisson_importation_matches_analytic():
    # 1e6 people, prevalence 1e-3, 1000 travellers/day to B: 1 expected infected traveller a day
    net = _net([(0, 1, 1000.0), (1, 0, 1000.0)], [1e6, 1e6], nodes=("AAA", "BBB"))
    table = importation_risk(net, "AAA", np.full(10, 1e-3))
    row = table.set_index("destination").loc["BBB"]
    assert row["expected_importations"] == pytest.approx(10.0, rel=1e-12)
    assert row["p_at_least_one"] == pytest.approx(1 - math.exp(-10.0), rel=1e-12)
    assert "AAA" not in set(table["destination"])


def test_binomial_close_to_poisson_when_rare():
    p_b = p_at_least_one_binomial(np.full(30, 200.0), np.full(30, 1e-4))
    assert p_b == pytest.approx(1 - (1 - 1e-4) ** 6000, rel=1e-12)
    assert p_b == pytest.approx(p_at_least_one(0.6), rel=1e-3)


@given(st.floats(0, 50), st.floats(0, 50))
def test_p_at_least_one_monotone_and_bounded(a, b):
    lo, hi = sorted((a, b))
    assert 0.0 <= p_at_least_one(lo) <= p_at_least_one(hi) <= 1.0


def test_prevalence_out_of_range_is_input_error():
    net = _net([(0, 1, 10.0)], [100.0, 100.0], nodes=("AAA", "BBB"))
    with pytest.raises(InputError, match="prevalence"):
        importation_risk(net, "AAA", [1.5])
    with pytest.raises(InputError, match="neither a node nor a country"):
        importation_risk(net, "ZZZ", [0.1])


def test_effective_distance_hand_computed():
    # A->B 90, A->C 1, B->C 50, B->A 50: from A, C is closer through B
    flows = flows_from_edges(
        3, np.array([0, 0, 1, 1]), np.array([1, 2, 2, 0]), np.array([90.0, 1.0, 50.0, 50.0])
    )
    d = effective_distance_matrix(flows, np.array([0]))[0]
    assert d[0] == 0.0
    assert d[1] == pytest.approx(1 - math.log(90 / 91))
    assert d[2] == pytest.approx(2 - math.log(90 / 91) - math.log(0.5))
    assert d[2] < 1 - math.log(1 / 91)  # the direct link is longer


def test_effective_distance_table_ranks_countries():
    net = _net(
        [(0, 1, 90.0), (0, 2, 1.0), (1, 2, 50.0), (1, 0, 50.0)],
        [1e3] * 3,
        nodes=("AAA", "BBB", "CCC"),
    )
    t = effective_distance(net, "AAA")
    assert list(t["destination"]) == ["BBB", "CCC"]
    assert list(t["rank"]) == [1, 2]


def test_unreachable_is_infinite():
    flows = sp.csr_array(np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]]))
    assert np.isinf(effective_distance_matrix(flows, np.array([0]))[0, 2])


def test_expm_matches_closed_form_seir():
    sigma, gamma = 1 / 3.0, 1 / 4.0
    h = history(seir(sigma=sigma, gamma=gamma))
    for t in (0.5, 2.0, 7.0, 15.0):
        p = h.after(h.start("E"), t)
        assert p[h.index("E")] == pytest.approx(math.exp(-sigma * t), rel=1e-10)
        i = sigma / (sigma - gamma) * (math.exp(-gamma * t) - math.exp(-sigma * t))
        assert p[h.index("I")] == pytest.approx(i, rel=1e-10)
    # remaining infectious days from E: 1/gamma (every exposed person becomes infectious)
    assert h.remaining_infectiousness(h.start("E")) == pytest.approx(1 / gamma)


def test_averaged_is_time_mean():
    h = history(seir(sigma=0.4, gamma=0.3))
    s = np.linspace(0, 7, 7001)
    numeric = np.mean([h.after(h.start("E"), x) for x in s[::50]], axis=0)
    exact = h.averaged(h.start("E"), 7.0)
    assert exact == pytest.approx(numeric, abs=5e-3)
    # closed form for E: (1 - e^{-sigma T}) / (sigma T)
    assert exact[0] == pytest.approx((1 - math.exp(-0.4 * 7)) / (0.4 * 7), rel=1e-10)


def test_quarantine_closed_form_seir():
    # a person in E at arrival, quarantined d days: still infected = P(E or I at d)
    sigma, gamma, d = 0.5, 0.25, 6.0
    h = history(seir(sigma=sigma, gamma=gamma))
    e = math.exp(-sigma * d)
    i = sigma / (sigma - gamma) * (math.exp(-gamma * d) - math.exp(-sigma * d))
    got = still_infected_when_released(h, h.start("E"), Quarantine(d))
    assert got == pytest.approx(e + i, rel=1e-10)
    # half compliance: half released at once, still infected
    half = still_infected_when_released(h, h.start("E"), Quarantine(d, compliance=0.5))
    assert half == pytest.approx(0.5 * (e + i) + 0.5, rel=1e-10)
    # remaining infectiousness after release: E part e/gamma + I part i/gamma
    left = risk_after_arrival(h, h.start("E"), Quarantine(d))
    assert left == pytest.approx((e + i) / gamma, rel=1e-10)


def test_longer_quarantine_never_riskier():
    h = history(covid_like())
    p = h.averaged(h.start("E"), 7.0)
    risks = [risk_after_arrival(h, p, Quarantine(d, isolate_on=("Is",))) for d in range(0, 21)]
    assert np.all(np.diff(risks) <= 1e-12)


def test_staged_chain_is_erlang():
    sigma = 0.4
    h = history(staged(seir(sigma=sigma, gamma=0.25), 3))
    for t in (1.0, 3.0, 8.0):
        p = h.after(h.start("E.0"), t)
        in_e = sum(p[h.index(f"E.{i}")] for i in range(3))
        x = 3 * sigma * t
        assert in_e == pytest.approx(math.exp(-x) * (1 + x + x * x / 2), rel=1e-10)
    # the mean time infectious is unchanged by staging
    assert h.remaining_infectiousness(h.start("E.0")) == pytest.approx(4.0)


def test_published_fourteen_day_quarantine():
    """Johansson et al. 2021 (BMC Med 19:94): with infection 0-7 days before arrival, a 14-day
    quarantine alone reduces post-travel transmission risk by 96-100%. With gamma (Erlang-3)
    stage durations of the COVID-like preset's means we must land in that range."""
    h = history(staged(covid_like(), 3))
    p = h.averaged(h.start("E.0"), 7.0)
    averted = 1 - risk_after_arrival(h, p, Quarantine(14)) / risk_after_arrival(h, p)
    assert 0.96 <= averted <= 1.0


def test_importation_by_day_is_cumulative_poisson():
    net = _net([(0, 1, 1000.0), (1, 0, 1000.0)], [1e6, 1e6], nodes=("AAA", "BBB"))
    t = importation_risk_by_day(net, "AAA", np.full(5, 1e-3))
    assert list(t["day"]) == [0, 1, 2, 3, 4]
    assert t["expected_importations"].to_numpy() == pytest.approx([1, 2, 3, 4, 5])
    assert t["p_at_least_one"].to_numpy() == pytest.approx(1 - np.exp(-np.arange(1, 6)))
