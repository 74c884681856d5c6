"""Interventions: validation with key paths, compilation to per-link and per-compartment factors.

Expected values come from the network's own link list, hand-derived screening probabilities and
the closed-form SEIR chain.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.errors import InputError
from epicommons.model.presets import covid_like, seir
from epicommons.policy import compile_interventions, parse_interventions
from epicommons.policy.compile import by_age
from epicommons.policy.effects import screening_pass
from epicommons.world.sources import load_network

START = date(2027, 1, 1)


@pytest.fixture(scope="module")
def net():
    return load_network("builtin")


def _compile(net, tables, disease=None, days=60, age_groups=1):
    return compile_interventions(
        parse_interventions(tables),
        net,
        disease or covid_like(),
        START,
        days,
        age_groups=age_groups,
    )


def test_travel_reduction_cuts_exactly_the_routes_out_of_the_source(net):
    s = _compile(
        net,
        [
            {
                "type": "travel_reduction",
                "start": date(2027, 1, 10),
                "end": date(2027, 1, 19),
                "from": ["China"],
                "reduction": 0.9,
            }
        ],
    )
    f = net.flows.tocoo()
    country = np.asarray(net.country)
    expected = np.where((country[f.row] == "CHN") & (country[f.col] != "CHN"), 0.1, 1.0)
    coo_order = np.lexsort((f.col, f.row))  # CSR data order is row-major
    travel, passing = s.travel_factors(9)
    assert passing is None
    assert travel == pytest.approx(expected[coo_order])
    assert s(8, np.zeros((1, net.size, 1, 7))) is None  # before start
    assert s.travel_factors(18)[0] is not None and s(19, np.zeros((1, net.size, 1, 7))) is None


def test_group_and_both_directions(net):
    s = _compile(
        net,
        [
            {
                "type": "travel_reduction",
                "start": START,
                "from": ["who:EUR"],
                "to": ["USA"],
                "directions": "both",
                "reduction": 0.5,
            }
        ],
    )
    travel = s.travel_factors(0)[0]
    f = net.flows.tocoo()
    order = np.lexsort((f.col, f.row))
    o, d = np.asarray(net.country)[f.row[order]], np.asarray(net.country)[f.col[order]]
    from epicommons.world.groups import resolve_group

    eur = resolve_group("who:EUR")
    hit = (np.isin(o, list(eur)) & (d == "USA")) | ((o == "USA") & np.isin(d, list(eur)))
    assert hit.sum() > 10
    assert travel == pytest.approx(np.where(hit, 0.5, 1.0))


def test_screening_hand_computed_without_flight_progression():
    d = covid_like()
    f, g, sd, rd = 0.7, 0.3, 0.8, 0.25
    p = screening_pass(
        d,
        ["Is"],
        symptomatic=f,
        aware=g,
        fever_sensitivity=sd,
        risk_sensitivity=rd,
        flight_days=0.0,
        exit=True,
        entry=False,
    )
    detect_sym = f * g * (1 - (1 - sd) * (1 - rd)) + f * (1 - g) * sd + (1 - f) * g * rd
    assert p[d.index("Is")] == pytest.approx(1 - detect_sym)
    for name in ("E", "Ip", "Ia"):
        assert p[d.index(name)] == pytest.approx(1 - g * rd)
    for name in ("S", "R", "D"):
        assert p[d.index(name)] == 1.0
    # both screens, same traits: aware travellers face the questionnaire twice
    both = screening_pass(
        d,
        ["Is"],
        symptomatic=f,
        aware=g,
        fever_sensitivity=sd,
        risk_sensitivity=rd,
        flight_days=0.0,
        exit=True,
        entry=True,
    )
    assert both[d.index("E")] == pytest.approx(g * (1 - rd) ** 2 + (1 - g))


def test_quarantine_pass_is_closed_form_seir(net):
    sigma, gamma = 0.5, 0.25
    s = _compile(
        net,
        [
            {
                "type": "arrival_quarantine",
                "start": START,
                "to": ["FRA"],
                "days": 6,
                "isolate_on": [],
            }
        ],
        disease=seir(sigma=sigma, gamma=gamma),
    )
    passing = s.travel_factors(0)[1]
    row = passing[np.flatnonzero(s.pieces[0].links)[0]]
    e = math.exp(-3.0)
    i = sigma / (sigma - gamma) * (math.exp(-1.5) - e)
    assert row[1] == pytest.approx(e + i, rel=1e-10)  # E
    assert row[2] == pytest.approx(math.exp(-1.5), rel=1e-10)  # I stays I
    assert row[0] == 1.0 and row[3] == 1.0


def test_vaccination_oldest_first():
    from epicommons.policy.compile import VaccinationPlan

    plan = VaccinationPlan(np.array([120.0]), (1, 0), 0.9, 0, 2, "S", "R")
    state = np.zeros((1, 1, 2, 3))
    state[0, 0, :, 0] = [100.0, 50.0]
    frac, _ = by_age(plan, state)
    assert frac[0, 0] == pytest.approx([0.7, 1.0])


@pytest.mark.parametrize(
    ("table", "field", "text"),
    [
        (
            {"type": "travel_reduction", "start": START, "from": ["Atlantis"], "reduction": 0.5},
            "interventions[0].from[0]",
            "unknown group or country",
        ),
        (
            {"type": "travel_reduction", "start": START, "from": ["FRA"], "reduction": 1.5},
            "interventions[0].reduction",
            "less than or equal to 1",
        ),
        (
            {
                "type": "travel_reduction",
                "start": date(2026, 12, 1),
                "from": ["FRA"],
                "reduction": 0.5,
            },
            "interventions[0].start",
            "outside the simulation",
        ),
        (
            {
                "type": "travel_reduction",
                "start": START,
                "end": date(2027, 6, 1),
                "from": ["FRA"],
                "reduction": 0.5,
            },
            "interventions[0].end",
            "outside the simulation",
        ),
        (
            {"type": "teleport", "start": START},
            "interventions[0].type",
            "unknown type 'teleport'; expected one of",
        ),
        (
            {"type": "screening", "start": START, "to": ["FRA"], "aware": -0.1},
            "interventions[0].aware",
            "greater than or equal to 0",
        ),
        (
            {
                "type": "pre_departure_test",
                "start": START,
                "to": ["FRA"],
                "sensitivity": {"Q": 0.9},
            },
            "interventions[0].sensitivity.Q",
            "unknown infected compartment",
        ),
        (
            {
                "type": "vaccination",
                "start": START,
                "countries": ["who:XYZ"],
                "doses_per_day": 10,
                "efficacy": 0.9,
            },
            "interventions[0].countries[0]",
            "unknown group",
        ),
    ],
)
def test_bad_interventions_name_the_key(net, table, field, text):
    with pytest.raises(InputError) as info:
        _compile(net, [table])
    assert info.value.field == field
    assert text in info.value.message


def test_contradictory_overlap_is_refused(net):
    a = {
        "type": "travel_reduction",
        "start": START,
        "end": date(2027, 1, 31),
        "from": ["FRA"],
        "reduction": 0.5,
    }
    b = {
        "type": "travel_reduction",
        "start": date(2027, 1, 20),
        "from": ["who:EUR"],
        "reduction": 0.8,
    }
    with pytest.raises(InputError, match="contradicts interventions\\[0\\]") as info:
        _compile(net, [a, b])
    assert info.value.field == "interventions[1]"
    b["start"] = date(2027, 2, 1)  # disjoint dates: fine
    assert len(_compile(net, [a, b]).pieces) == 2


def test_fast_lane_conflicts_with_cut_inside_the_group(net):
    lane = {
        "type": "fast_lane",
        "start": START,
        "group": ["FRA", "DEU"],
        "test_sensitivity": {"Ip": 0.8},
    }
    cut = {"type": "travel_reduction", "start": START, "between": ["FRA", "DEU"], "reduction": 0.9}
    with pytest.raises(InputError, match="fast lane keeps open"):
        _compile(net, [lane, cut])


def test_fast_lane_keeps_inside_and_cuts_outside(net):
    s = _compile(
        net,
        [
            {
                "type": "fast_lane",
                "start": START,
                "group": ["FRA", "DEU", "ITA"],
                "test_sensitivity": {"Ip": 0.8, "Ia": 0.7},
                "quarantine_days": 3,
                "other_reduction": 0.9,
            }
        ],
    )
    travel, passing = s.travel_factors(0)
    f = net.flows.tocoo()
    order = np.lexsort((f.col, f.row))
    o, d = np.asarray(net.country)[f.row[order]], np.asarray(net.country)[f.col[order]]
    g = ["FRA", "DEU", "ITA"]
    inside = np.isin(o, g) & np.isin(d, g)
    outside = np.isin(o, g) ^ np.isin(d, g)
    assert travel[inside] == pytest.approx(1.0) and travel[outside] == pytest.approx(0.1)
    assert np.all(passing[inside][:, 2] < 0.2)  # Ip: test then quarantine
    assert np.all(passing[~inside] == 1.0)


def test_route_that_does_not_exist_is_refused(net):
    # Tuvalu and Iceland have no direct travel link in the built-in network
    f = net.flows.tocoo()
    tuv, isl = net.index("TUV"), net.index("ISL")
    assert not ((f.row == tuv) & (f.col == isl)).any()
    with pytest.raises(InputError, match="targets no route") as info:
        _compile(
            net,
            [
                {
                    "type": "travel_reduction",
                    "start": START,
                    "from": ["TUV"],
                    "to": ["ISL"],
                    "reduction": 0.5,
                }
            ],
        )
    assert info.value.field == "interventions[0].from"


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 3),
    st.booleans(),
    st.booleans(),
)
def test_screening_pass_is_a_probability_and_monotone(f, g, sd, rd, flight, ex, en):
    d = covid_like()
    kw = {
        "symptomatic": f,
        "aware": g,
        "risk_sensitivity": rd,
        "flight_days": flight,
        "exit": ex,
        "entry": en,
    }
    p = screening_pass(d, ["Is"], fever_sensitivity=sd, **kw)
    assert np.all((p >= -1e-12) & (p <= 1 + 1e-12))
    more = screening_pass(d, ["Is"], fever_sensitivity=min(1.0, sd + 0.1), **kw)
    assert np.all(more <= p + 1e-12)  # a more sensitive screen never lets more through


@pytest.mark.parametrize("name", ["baseline", "cut90", "border", "fast_lane"])
def test_example_scenarios_load_and_compile(net, name):
    from pathlib import Path

    from epicommons.policy import load

    ps = load(Path(__file__).resolve().parents[1] / "examples" / "policy" / f"{name}.toml")
    s = ps.scenario
    sched = compile_interventions(
        ps.interventions, net, covid_like(), s.start, s.days, groups=ps.groups
    )
    assert len(sched.pieces) == len(ps.interventions)
    if name == "fast_lane":
        assert ps.groups["partners"].members >= {"FRA", "DEU"}


def test_doses_per_day_above_the_population_is_an_error(net):
    # independent limit: Iceland's population in the network's own array
    iceland = float(net.population[net.index("ISL")])
    vacc = {"type": "vaccination", "start": START, "countries": ["ISL"], "efficacy": 0.9}
    _compile(net, [{**vacc, "doses_per_day": 0.5 * iceland}])
    with pytest.raises(InputError, match=f"at most the {iceland:,.0f} people of ISL") as err:
        _compile(net, [{**vacc, "doses_per_day": 2 * iceland}])
    assert err.value.field == "interventions[0].doses_per_day"


def test_a_named_country_without_nodes_is_an_error():
    from factories import network

    flows = [[0.0, 10.0], [10.0, 0.0]]
    two = network([6e7, 8e7], flows, nodes=("FRA", "DEU"), countries=("FRA", "DEU"))
    tables = [{"type": "transmission_reduction", "start": START, "countries": ["ITA"]}]
    with pytest.raises(InputError, match="'ITA' is not a country of the network") as err:
        _compile(two, [{**tables[0], "reduction": 0.5}])
    assert err.value.field == "interventions[0].countries[0]"
    # a group keeps its members that are in the network
    s = _compile(two, [{**tables[0], "countries": ["who:EUR"], "reduction": 0.5}])
    assert s.pieces[0].nodes.tolist() == [True, True]
