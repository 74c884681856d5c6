"""The OpenFlights network against figures computed here with plain csv parsing.

Evidence: the provenance file's counts (66,771 routes resolve both ends, 34,710 international,
4,558 directed country pairs over 225 country names), recomputed from the files; the cited
2019 international total (ICAO: 1.875 billion passengers, 365 days); conservation invariants.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import airportsdata
import numpy as np
import pytest

from epicommons.cli import main
from epicommons.errors import NotACountryError
from epicommons.world.countries import registry
from epicommons.world.population import population_matrix
from epicommons.world.sources import load_network
from epicommons.world.sources.openflights import read_routes

CITED_INTERNATIONAL_PER_DAY = (0.5 * 4.5e9 - 1.8e9) / (0.5 - 0.26) / 365  # ICAO 2019, see docs


@pytest.fixture(scope="module")
def openflights(shared_data: Path) -> Path:
    return shared_data / "openflights"


@pytest.fixture(scope="module")
def plain(openflights: Path) -> dict:
    """Independent reading: routes joined to airports by id, weights by the documented rule."""
    with (openflights / "airports.dat").open(newline="", encoding="utf-8") as f:
        airports = {row[0]: row for row in csv.reader(f)}
    with (openflights / "routes.dat").open(newline="", encoding="utf-8") as f:
        routes = list(csv.reader(f))
    joined = [r for r in routes if r[3] in airports and r[5] in airports]
    operated, codeshare = Counter(), set()
    for r in joined:
        if r[6] == "Y":
            codeshare.add((r[3], r[5]))
        else:
            operated[(r[3], r[5])] += 1
    weight = {pair: operated.get(pair, 1) for pair in set(operated) | codeshare}

    def code(airport_id: str) -> str:
        row = airports[airport_id]
        return next((c for c in (row[4], row[5]) if c != "\\N"), "OF" + airport_id)

    by_iata = airportsdata.load("IATA")
    reg = registry()

    def iso3(airport_id: str) -> str:
        row = airports[airport_id]
        try:
            return reg.resolve(row[3])
        except NotACountryError:  # Netherlands Antilles: today's country of the airport
            return reg.resolve(by_iata[row[4]]["country"])

    return {
        "records": len(routes),
        "joined": joined,
        "name_of": {a: airports[a][3] for a in airports},
        "weight": {(code(o), code(d)): w for (o, d), w in weight.items()},
        "iso3": {a: iso3(a) for pair in weight for a in pair},
        "pairs_by_id": weight,
    }


@pytest.fixture(scope="module")
def country_net(openflights):
    return load_network("openflights", openflights, "country")


@pytest.fixture(scope="module")
def airport_net(openflights):
    return load_network("openflights", openflights, "airport")


def test_plain_parsing_reproduces_the_provenance_figures(plain):
    name = plain["name_of"]
    intl = [r for r in plain["joined"] if name[r[3]] != name[r[5]]]
    pairs = {(name[r[3]], name[r[5]]) for r in intl}
    assert plain["records"] == 67_663
    assert len(plain["joined"]) == 66_771
    assert len(intl) == 34_710
    assert len(pairs) == 4_558
    assert len({c for p in pairs for c in p}) == 225


def test_route_table_matches_plain_parsing(openflights, plain):
    table = read_routes(openflights)
    assert table.records == 66_771
    assert table.skipped == 67_663 - 66_771
    got = {
        (table.airports[o], table.airports[d]): w
        for o, d, w in zip(table.origin, table.destination, table.weight, strict=True)
    }
    assert got == plain["weight"]


def test_airport_network_nodes_links_and_travellers_per_route(airport_net, plain, openflights):
    codes = {c for pair in plain["weight"] for c in pair}
    assert set(airport_net.nodes) == codes
    assert airport_net.size == 3_214  # airports at an end of a resolved route
    raw = load_network("openflights", openflights, "airport", balanced=False)
    per_route = {
        raw.flows[raw.index(o), raw.index(d)] / w for (o, d), w in plain["weight"].items() if o != d
    }
    assert max(per_route) == pytest.approx(min(per_route), rel=1e-12)  # one constant per route


@pytest.mark.parametrize("level", ["country", "airport"])
def test_balanced_without_self_loops(level, country_net, airport_net):
    net = country_net if level == "country" else airport_net
    assert np.allclose(net.inflow(), net.outflow(), rtol=1e-12)
    assert net.flows.diagonal().sum() == 0
    assert (net.flows.data > 0).all()


def test_country_network_matches_plain_country_pairs(country_net, plain, openflights):
    iso3 = plain["iso3"]
    pairs = {(iso3[o], iso3[d]) for o, d in plain["pairs_by_id"] if iso3[o] != iso3[d]}
    nodes = {c for p in pairs for c in p}
    # 225 names: Netherlands Antilles splits into Bonaire..., Curacao and Sint Maarten.
    assert len(nodes) == 225 - 1 + 3 == country_net.size
    assert set(country_net.nodes) == nodes
    raw = load_network("openflights", openflights, "country", balanced=False)
    coo = raw.flows.tocoo()
    assert {(raw.nodes[i], raw.nodes[j]) for i, j in zip(coo.row, coo.col, strict=True)} == pairs
    assert country_net.n_links == len(pairs | {(b, a) for a, b in pairs})


def test_international_total_is_the_cited_figure(country_net, airport_net):
    assert country_net.total_travellers == pytest.approx(CITED_INTERNATIONAL_PER_DAY, rel=1e-9)
    c = np.array(airport_net.country)
    coo = airport_net.flows.tocoo()
    intl = c[coo.row] != c[coo.col]
    assert coo.data[intl].sum() == pytest.approx(CITED_INTERNATIONAL_PER_DAY, rel=1e-9)


def test_airport_network_aggregates_to_the_country_network(country_net, airport_net):
    index = {c: i for i, c in enumerate(country_net.nodes)}
    agg = np.zeros((country_net.size, country_net.size))
    coo = airport_net.flows.tocoo()
    for i, j, v in zip(coo.row, coo.col, coo.data, strict=True):
        a, b = airport_net.country[i], airport_net.country[j]
        if a != b:
            agg[index[a], index[b]] += v
    assert np.allclose(agg, country_net.flows.toarray(), rtol=1e-9)


def test_catchments_add_up_to_country_populations(airport_net):
    countries = sorted(set(airport_net.country))
    expected = population_matrix(countries, 2020).sum(axis=1)
    c = np.array(airport_net.country)
    got = np.array([airport_net.population[c == iso3].sum() for iso3 in countries])
    assert np.allclose(got, expected, rtol=1e-9)
    assert (airport_net.population >= 0).all()


def _broken_copy(tmp_path: Path, openflights: Path, name: str, line: int, text: str) -> Path:
    for f in ("airports.dat", "routes.dat"):
        shutil.copy(openflights / f, tmp_path / f)
    target = tmp_path / name
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    target.write_text("".join(lines), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "line", "text", "field"),
    [
        ("routes.dat", 3, "2B,410,ASF,xx,MRV,2962,,0,CR2", "source_airport_id"),
        ("routes.dat", 5, "2B,410,ASF,2966,MRV,2962,N,0,CR2", "codeshare"),
        ("routes.dat", 7, "2B,410,ASF,2966,MRV,2962,,one,CR2", "stops"),
        ("routes.dat", 9, "2B,410,ASF,2966,MRV", None),
        (
            "airports.dat",
            2,
            '2,"Madang","Madang","Papua New Guinea","MAG","AYMD",north,145.7,'
            '20,10,"U","Pacific/Port_Moresby","airport","OurAirports"',
            "latitude",
        ),
        (
            "airports.dat",
            4,
            '1,"Dup","Dup","Papua New Guinea","DUP","AYDU",-5.0,145.7,'
            '20,10,"U","Pacific/Port_Moresby","airport","OurAirports"',
            "airport_id",
        ),
        (
            "airports.dat",
            1,
            '1,"Goroka","Goroka","Atlantis","GKA","AYGA",-6.08,145.39,'
            '5282,10,"U","Pacific/Port_Moresby","airport","OurAirports"',
            "country",
        ),
    ],
)
def test_bad_rows_exit_2_naming_file_line_and_field(
    tmp_path, openflights, capsys, name, line, text, field
):
    folder = _broken_copy(tmp_path, openflights, name, line, text)
    assert main(["world", "network", "--source", "openflights", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert name in err and f"line {line}" in err
    if field is not None:
        assert f"field '{field}'" in err


def test_missing_folder_and_file_exit_2(tmp_path, openflights, capsys):
    assert main(["world", "network", "--source", "openflights", str(tmp_path / "none")]) == 2
    assert "not found" in capsys.readouterr().err
    shutil.copy(openflights / "airports.dat", tmp_path / "airports.dat")
    assert main(["world", "network", "--source", "openflights", str(tmp_path)]) == 2
    assert "routes.dat" in capsys.readouterr().err


def test_cli_prints_sizes_totals_and_busiest_links(openflights, capsys):
    args = ["world", "network", "--source", "openflights", str(openflights), "--level", "airport"]
    assert main([*args, "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "3,214 nodes" in out
    assert "balanced" in out and "NOT balanced" not in out
    assert "busiest links" in out
