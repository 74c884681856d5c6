"""The engine's hooks for the policy layer: pass factors per link and compartment, per-age
transfers, explicit seed places, and `epicommons simulate` with interventions."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.model import (
    AgeStructure,
    Compartment,
    Disease,
    Modifiers,
    Seed,
    Transfer,
    Transition,
    build_model,
    covid_like,
    run_chunk,
    seir,
    simulate,
)
from epicommons.model import scenario as scenario_file
from epicommons.model.seeding import plan
from factories import network


def frozen_disease() -> Disease:
    """S, I (infected), R with zero rates: only travel changes the state."""
    return Disease(
        "frozen",
        (Compartment("S"), Compartment("I", infected=True), Compartment("R")),
        (Transition("S", "I", "beta", {"I": 1.0}), Transition("I", "R", "gamma")),
        {"beta": 0.0, "gamma": 0.0},
    )


class Record:
    """A schedule that keeps the state at the start of each day and returns fixed modifiers."""

    def __init__(self, mods=None, from_day=0):
        self.mods, self.from_day, self.states = mods, from_day, []

    def __call__(self, day, state):
        self.states.append(state.copy())
        return self.mods if day >= self.from_day else None


# -- travel_by_compartment ---------------------------------------------------------------------
def test_deterministic_flow_scales_exactly_by_pass():
    pop = np.array([1e6, 2e6])
    flows = np.array([[0, 4e4], [3e4, 0]])
    m = build_model(frozen_disease(), network(pop, flows))
    passing = np.array([[0.7, 0.25, 1.0], [0.4, 0.6, 0.9]])  # links (0->1, 1->0) x S, I, R
    rec = Record(Modifiers(travel_by_compartment=passing), from_day=1)
    run_chunk(m, [Seed("N0", 1000, compartment="I")], 3, [0], 0, stochastic=False, schedule=rec)
    before, after = rec.states[1][0], rec.states[2][0]  # (nodes, ages, compartments)
    p01, p10 = 4e4 / before[0].sum(), 3e4 / before[1].sum()
    s0, i0, s1, i1 = before[0, 0, 0], before[0, 0, 1], before[1, 0, 0], before[1, 0, 1]
    assert i0 == pytest.approx(1000, rel=1e-12) and i1 == 0
    assert after[1, 0, 1] == pytest.approx(i0 * p01 * 0.25, rel=1e-12)
    assert after[0, 0, 1] == pytest.approx(i0 * (1 - p01 * 0.25), rel=1e-12)
    assert after[1, 0, 0] == pytest.approx(s1 - s1 * p10 * 0.4 + s0 * p01 * 0.7, rel=1e-12)
    np.testing.assert_allclose(after.sum(), pop.sum(), rtol=1e-12)


@pytest.mark.parametrize("k", [5, 60])  # one by one (<= FEW) and systematic allocation
def test_stochastic_crossings_are_binomial_thinned(k):
    """k infected at N0, balanced links: crossings ~ Binomial(k, p_link * pass) (chi-square)."""
    pop = np.array([1e4, 1e4])
    flows = np.array([[0, 3e3], [3e3, 0]])
    m = build_model(frozen_disease(), network(pop, flows))
    q = 0.45
    passing = np.ones((2, 3))
    passing[0, 1] = q
    runs = 3000
    rec = Record(Modifiers(travel_by_compartment=passing), from_day=1)
    x = run_chunk(m, [Seed("N0", k, compartment="I")], 2, range(runs), 12, schedule=rec)
    crossed = x[:, 1, 0, 1]
    assert (x[:, :, 0, 1].sum(axis=1) == k).all()
    p = 3e3 / 1e4 * q
    counts = np.bincount(crossed, minlength=k + 1)
    expected = stats.binom.pmf(np.arange(k + 1), k, p) * runs
    keep = expected >= 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    exp *= obs.sum() / exp.sum()
    assert stats.chisquare(obs, exp).pvalue > 1e-3


@pytest.mark.parametrize("stochastic", [True, False])
def test_pass_zero_stops_every_infected_crossing(stochastic):
    flows = np.array([[0, 2e4], [2e4, 0]])
    m = build_model(seir(R0=3.0), network([1e6, 1e6], flows))
    seeds = [Seed("N0", 200)]
    blocked = np.ones((2, 4))
    blocked[:, [1, 2]] = 0.0  # E and I never pass; S and R travel as before
    stopped = simulate(
        m, seeds, 120, 4, 2, stochastic=stochastic,
        schedule=lambda d, s: Modifiers(travel_by_compartment=blocked),
    )  # fmt: skip
    assert (stopped.infections[:, 1] == 0).all() and (stopped.infections[:, 0] > 1e4).all()
    open_ = simulate(m, seeds, 120, 4, 2, stochastic=stochastic)
    assert (open_.infections[:, 1] > 0).all()


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(2, 5),
    per_run=st.booleans(),
)
def test_people_conserved_with_pass_factors(seed, n, per_run):
    rng = np.random.default_rng(seed)
    pop = rng.integers(1_000, 200_000, n).astype(float)
    flows = rng.uniform(0, 1, (n, n)) * (rng.uniform(size=(n, n)) < 0.7)
    np.fill_diagonal(flows, 0)
    flows *= 0.2 * pop.min() / max(flows.sum(axis=1).max(), 1e-9)
    net = network(pop, flows)
    m = build_model(covid_like(R0=3.0), net)
    comps = len(m.disease.compartments)
    shape = (2, net.n_links, comps) if per_run else (net.n_links, comps)
    passing = rng.uniform(0, 1, shape) * (rng.uniform(size=shape) < 0.8)
    rec = Record(Modifiers(travel_by_compartment=passing))
    x = run_chunk(m, [Seed("N0", 50)], 40, [0, 1], seed, schedule=rec)
    totals = np.array([s.sum(axis=(1, 2, 3)) for s in rec.states])
    assert (totals == pop.sum()).all() and (x.sum(axis=(1, 2, 3)) == pop.sum()).all()
    assert min(s.min() for s in rec.states) >= 0


def test_pass_factors_are_checked():
    m = build_model(seir(), network([1e5, 1e5], [[0, 10], [10, 0]]))
    for bad in (np.ones((2, 3)), np.full((2, 4), 1.5), np.full((2, 4), -0.1)):
        with pytest.raises(ValueError, match="travel_by_compartment"):
            run_chunk(
                m, [Seed("N0", 5)], 2, [0], 0,
                schedule=lambda d, s, b=bad: Modifiers(travel_by_compartment=b),
            )  # fmt: skip


def test_combine_multiplies_pass_factors():
    a = Modifiers(travel_by_compartment=np.full((3, 2), 0.5))
    b = Modifiers(travel=np.ones(3), travel_by_compartment=np.full((3, 2), 0.4))
    np.testing.assert_array_equal(a.combine(b).travel_by_compartment, np.full((3, 2), 0.2))
    assert a.combine(Modifiers()).travel_by_compartment is a.travel_by_compartment


# -- per-age transfers -------------------------------------------------------------------------
@pytest.mark.parametrize("stochastic", [False, True])
def test_transfer_by_age(stochastic):
    pop = np.array([[3e5, 5e5, 2e5], [1e5, 1e5, 1e5]])
    ages = AgeStructure((0, 20, 60), pop, np.ones((3, 3)))
    m = build_model(frozen_disease(), network(pop.sum(axis=1), np.zeros((2, 2))), ages)
    frac = np.zeros((2, 2, 3))  # (runs, nodes, ages)
    frac[:, 0, 2] = 1.0  # node 0, oldest group: everyone
    frac[1, 1, 0] = 0.5
    rec = Record()
    x = run_chunk(
        m,
        [Seed("N0", 1, day=50)],
        2,
        [0, 1],
        0,
        stochastic=stochastic,
        schedule=lambda d, s: Modifiers(transfers=(Transfer("S", "R", frac),)) if d == 0 else None,
    )
    r = x[..., 2]  # (runs, nodes, ages) in R
    assert (r[:, 0] == [0, 0, 2e5]).all()
    assert (r[0, 1] == 0).all()
    if stochastic:
        assert r[1, 1, 0] == pytest.approx(5e4, abs=5 * np.sqrt(1e5 * 0.25))
        assert (r[1, 1, 1:] == 0).all()
    else:
        assert (r[1, 1] == [5e4, 0, 0]).all()
    assert rec.states == []


# -- seed places -------------------------------------------------------------------------------
@pytest.fixture()
def airports():
    # "ISL" is an airport in TUR and also the country code of Iceland (airport KEF)
    names = ("IST", "ISL", "KEF", "RKV")
    countries = ("TUR", "TUR", "ISL", "ISL")
    pop = np.array([5e6, 1e6, 3e5, 1e4])
    return network(pop, nodes=names, countries=countries, level="airport")


def test_seed_places_are_explicit(airports):
    assert airports.resolve_place("ISL", "airport").nodes.tolist() == [1]
    assert airports.resolve_place("ISL", "country").nodes.tolist() == [2, 3]
    assert airports.resolve_place("TUR").nodes.tolist() == [0, 1]  # only a country
    assert airports.resolve_place("RKV").nodes.tolist() == [3]  # only a node
    with pytest.raises(
        InputError, match=r"ambiguous: airport ISL \(in TUR\) or country ISL"
    ) as err:
        plan([Seed("ISL", 5)], airports, ["S", "I"], "I")
    assert err.value.field == "seeds[0].where"
    p = plan([Seed(node="ISL", count=5), Seed(airport="IST", count=5)], airports, ["S", "I"], "I")
    assert p.node.tolist() == [1, 0]
    with pytest.raises(InputError) as err:
        plan([Seed(node="TUR", count=5)], airports, ["S", "I"], "I")
    assert err.value.field == "seeds[0].node"


def test_country_seed_is_split_by_population(airports):
    # ISL: KEF 3e5 and RKV 1e4 people, so 62 seeds are 60 and 2 (62 * 3e5 / 3.1e5 = 60)
    exact = plan([Seed(country="ISL", count=62)], airports, ["S", "I"], "I")
    assert exact.node.tolist() == [2, 3]
    assert exact.count == pytest.approx([60.0, 2.0])
    whole = plan([Seed(country="Iceland", count=7)], airports, ["S", "I"], "I", whole=True)
    # 7 * 3e5/3.1e5 = 6.77, 7 * 1e4/3.1e5 = 0.23: floors 6 and 0, the larger remainder gets 1
    assert whole.count.tolist() == [7.0]
    assert whole.node.tolist() == [2]


def test_more_seeds_than_people_is_an_error(airports):
    with pytest.raises(InputError, match="at most the 10,000 people of node RKV") as err:
        plan(
            [Seed(node="RKV", count=6e3), Seed(node="RKV", count=5e3, day=3)],
            airports,
            ["S", "I"],
            "I",
        )
    assert err.value.field == "seeds[1].count"
    with pytest.raises(InputError, match="310,000 people of country ISL") as err:
        plan([Seed(country="ISL", count=1e12)], airports, ["S", "I"], "I")
    assert err.value.field == "seeds[0].count"


def test_seed_needs_exactly_one_place():
    with pytest.raises(ValueError):
        Seed(count=5)
    with pytest.raises(ValueError):
        Seed("ITA", 5, node="FCO")
    s = Seed("ITA", 5, 3)  # old positional form
    assert (s.where, s.count, s.day, s.place) == ("ITA", 5, 3, ("where", "ITA"))


def test_scenario_seed_keys():
    base = 'days = 5\n[disease]\npreset = "SIR"\n[[seeds]]\n{}\ncount = 3\n'
    spec = scenario_file.parse(base.format('country = "ISL"'))
    assert spec.seed_list()[0].place == ("country", "ISL")
    with pytest.raises(InputError) as err:
        scenario_file.parse(base.format('country = "ISL"\nnode = "KEF"'))
    assert err.value.field == "seeds[0]"


# -- epicommons simulate with interventions ----------------------------------------------------
SCENARIO = """
name = "t"
days = 40
runs = 3
seed = 2
[network]
source = "builtin"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.5
[[seeds]]
country = "ITA"
count = 2000
"""

PERFECT_TEST = """
[[interventions]]
type = "pre_departure_test"
start = 2027-01-01
from = ["ITA"]
sensitivity = { E = 1.0, I = 1.0 }
"""


def _reached(tmp_path, text, name):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    out = tmp_path / name
    assert main(["simulate", str(path), "--out", str(out), "--quiet"]) == 0
    table = pq.read_table(out / "country_summary.parquet")
    summary = table.to_pandas().set_index("country")
    return summary["runs_reached"], json.loads(table.schema.metadata[b"epicommons"])


def test_cli_simulates_a_scenario_with_interventions(tmp_path):
    open_, _ = _reached(tmp_path, SCENARIO, "open")
    tested, meta = _reached(tmp_path, SCENARIO + PERFECT_TEST, "tested")
    assert open_.drop("ITA").max() > 0  # without the test the outbreak leaves Italy
    assert tested.drop("ITA").max() == 0 and tested["ITA"] == 1
    assert "pre_departure_test" in meta["scenario_toml"]


def test_cli_names_a_bad_intervention_key(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO + PERFECT_TEST.replace('from = ["ITA"]', 'from = ["XXX"]'))
    assert main(["simulate", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "interventions[0]" in err
    assert not (tmp_path / "o").exists()


def test_stochastic_seed_of_less_than_one_person_is_an_error(airports):
    plan([Seed(node="RKV", count=0.3)], airports, ["S", "I"], "I")  # deterministic: a fraction
    with pytest.raises(InputError, match="at least one person") as err:
        plan([Seed(node="RKV", count=0.3)], airports, ["S", "I"], "I", whole=True)
    assert err.value.field == "seeds[0].count"
