"""One place resolver (`Network.resolve_place`) on the real OpenFlights airport network: a code
that is both an airport and a country is never guessed; a country's seeds are split over its
airports in proportion to population."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.model import build_model, preset
from epicommons.model.ensemble import simulate
from epicommons.model.seeding import Seed, plan
from epicommons.world.sources import load_network


@pytest.fixture(scope="module")
def airports(shared_data):
    return load_network("openflights", shared_data / "openflights", "airport")


def _iata_country(shared_data) -> dict[str, str]:
    """IATA code -> OpenFlights country name, read straight from airports.dat."""
    with open(shared_data / "openflights" / "airports.dat", encoding="utf-8") as f:
        return {row[4]: row[3] for row in csv.reader(f) if row[4] not in ("", r"\N")}


@pytest.mark.parametrize(
    ("code", "airport_country", "city_country"),
    [("CAN", "CHN", "China"), ("PER", "AUS", "Australia"), ("BRA", "BRA", "Brazil")],
)
def test_bare_code_on_airports_is_refused_naming_both(
    airports, shared_data, code, airport_country, city_country
):
    # independent: airports.dat says where the airport with this IATA code is
    assert _iata_country(shared_data)[code] == city_country
    with pytest.raises(InputError) as err:
        plan([Seed(code, 10)], airports, ["S", "I"], "I")
    msg = str(err.value)
    assert err.value.field == "seeds[0].where"
    assert f"airport {code} (in {airport_country})" in msg and f"country {code}" in msg
    assert f'airport = "{code}"' in msg and f'country = "{code}"' in msg
    one = airports.resolve_place(code, "airport")
    assert one.nodes.tolist() == [airports.index(code)]
    assert airports.country[one.nodes[0]] == airport_country


def test_country_seed_split_by_population_on_openflights(airports):
    count = 1000.0
    # independent sum: every node whose country is CAN, straight from the network's arrays
    members = [i for i, c in enumerate(airports.country) if c == "CAN"]
    total = sum(float(airports.population[i]) for i in members)
    assert len(members) > 100 and total > 3e7
    model = build_model(preset("SIR", R0=1e-9), airports)  # no transmission on day 0
    res = simulate(model, [Seed(country="CAN", count=count)], 1, 1, 0, stochastic=False)
    seeded = res.infections[0]  # day 0: the seeds
    for i in members:
        assert seeded[i] == pytest.approx(count * airports.population[i] / total, rel=1e-3)
    assert seeded[airports.index("CAN")] == 0  # Guangzhou is not seeded
    assert seeded[members].sum() == pytest.approx(count, rel=1e-3)
    whole = simulate(model, [Seed(country="CAN", count=count)], 1, 1, 0, stochastic=True)
    assert whole.infections[0].sum() == pytest.approx(count)  # whole people, all in Canada
    assert set(np.flatnonzero(whole.infections[0] > 0)) <= set(members)


def test_airport_seed_is_one_airport(airports):
    p = plan([Seed(airport="CAN", count=10)], airports, ["S", "I"], "I")
    assert p.node.tolist() == [airports.index("CAN")] and p.count.tolist() == [10.0]


def test_risk_source_is_the_country_not_the_airport(tmp_path, shared_data):
    args = ["risk", "--source", "CAN", "--network", "openflights", str(shared_data / "openflights")]
    assert main([*args, "--out", str(tmp_path), "--days", "5", "--runs", "1", "-q"]) == 0
    t = pd.read_csv(tmp_path / "risk.csv")
    assert "CAN" not in set(t["destination"])  # Canada is the source
    assert "CHN" in set(t["destination"])  # China (where airport CAN is) is a destination


def test_intervention_targets_are_never_guessed(airports):
    from datetime import date

    from epicommons.model.presets import seir
    from epicommons.policy import compile_interventions, parse_interventions

    def compile_from(names):
        table = {"type": "travel_reduction", "start": date(2027, 1, 1), "reduction": 0.5}
        items = parse_interventions([{**table, "from": names}])
        return compile_interventions(items, airports, seir(), date(2027, 1, 1), 10)

    with pytest.raises(InputError, match="'CAN' is ambiguous: airport CAN .*Canada") as err:
        compile_from(["CAN"])
    assert err.value.field == "interventions[0].from[0]"
    with pytest.raises(InputError, match="'JFK' is an airport \\(in USA\\)"):
        compile_from(["JFK"])
    cut = compile_from(["Canada"]).pieces[0].links  # the name says which
    o = np.repeat(np.arange(airports.size), np.diff(airports.flows.indptr))
    country = np.asarray(airports.country)
    expected = (country[o] == "CAN") & (country[airports.flows.indices] != "CAN")
    assert np.array_equal(cut, expected)
