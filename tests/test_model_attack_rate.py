"""Attack rates are shares of the people at risk at a place: in [0, 1] on any network, with any
seeds and travel volumes, on both engines; in a closed place, the classic final size."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from epicommons.model import Seed, build_model, simulate, sir
from epicommons.world.network import Network, balance
from factories import network


def _network(pop: np.ndarray, flows: np.ndarray, countries: list[str]) -> Network:
    balanced = balance(sp.csr_array(flows)).toarray()
    return network(pop, balanced, countries=countries, level="airport")


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(50, 1e6), min_size=n, max_size=n),
            st.lists(st.floats(0, 1), min_size=n * n, max_size=n * n),
            st.lists(st.sampled_from(["AAA", "BBB", "CCC"]), min_size=n, max_size=n),
            st.integers(0, n - 1),
            st.floats(0.01, 1.0),
        )
    ),
    st.sampled_from([0.5, 2.0, 8.0, 1e6]),
    st.floats(1e-3, 50.0),  # travellers per day per resident, up to 50x (a small busy hub)
    st.booleans(),
    st.integers(0, 2**16),
)
def test_every_attack_rate_is_a_share(case, r0, traffic, stochastic, rng_seed):
    pop_list, raw, countries, at, seed_share = case
    pop = np.round(np.asarray(pop_list))
    n = len(pop)
    f = np.asarray(raw).reshape(n, n) * traffic * np.minimum.outer(pop, pop)
    np.fill_diagonal(f, 0.0)
    net = _network(pop, f, countries)
    model = build_model(sir(R0=r0), net)
    count = max(1.0, np.floor(seed_share * pop[at]))
    res = simulate(
        model, [Seed(node=f"N{at}", count=count)], 40, 2, rng_seed, stochastic=stochastic
    )
    for ar in (res.node_attack_rate(), res.country_attack_rate()):
        assert np.all(np.isfinite(ar)) and ar.min() >= 0.0 and ar.max() <= 1.0
    table = res.country_table()
    for col in [c for c in table.columns if c.startswith("attack_rate")]:
        assert table[col].between(0.0, 1.0).all(), col


def test_busy_small_hub_stays_below_one():
    # a hub of 1,000 people with 20,000 travellers a day each way to a city of 1e6: visitors
    # infected at the hub outnumber its residents 19 to 1 (the old per-resident rate: 1,900%)
    pop = np.array([1e3, 1e6])
    flows = np.array([[0.0, 2e4], [2e4, 0.0]])
    net = _network(pop, flows, ["HUB", "BIG"])
    res = simulate(build_model(sir(R0=3.0), net), [Seed(node="N1", count=100)], 300, 1, 0)
    assert res.infections[0, 0] / pop[0] > 10.0  # infections there per resident
    # at risk at the hub: the infected there plus the still susceptible there at the end
    expected = res.infections[0, 0] / (res.infections[0, 0] + res.susceptible[0, 0])
    assert res.node_attack_rate()[0, 0] == pytest.approx(expected)
    assert 0.5 < expected < 1.0


def test_everyone_infected_is_one_not_more():
    # R0 = 1e6: the city is infected within days and travellers infected at the hub used to
    # push it to 100.05% (500 infections at the hub over 1e6 at the city, per head of 1e6)
    pop = np.array([1e3, 1e6])
    net = _network(pop, np.array([[0.0, 500.0], [500.0, 0.0]]), ["HUB", "BIG"])
    res = simulate(build_model(sir(R0=1e6), net), [Seed(node="N1", count=100)], 60, 1, 0)
    assert res.infections[0, 1] > pop[1]
    assert res.node_attack_rate()[0, 1] == pytest.approx(1.0)
    assert res.country_attack_rate().max() <= 1.0


@pytest.mark.parametrize("r0", [1.5, 2.5])
def test_closed_place_is_the_final_size(r0):
    # one place, no travel: the share infected solves z = 1 - exp(-R0 z) (Kermack-McKendrick)
    net = _network(np.array([1e6]), np.zeros((1, 1)), ["AAA"])
    res = simulate(
        build_model(sir(R0=r0), net), [Seed(node="N0", count=10)], 800, 1, 0, stochastic=False
    )
    z = brentq(lambda z: z - 1 + np.exp(-r0 * z), 1e-6, 1.0)
    assert res.node_attack_rate()[0, 0] == pytest.approx(z, abs=2e-3)
