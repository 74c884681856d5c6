"""OD CSV files: a round trip through the reader, and every kind of bad input through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epicommons.cli import main
from epicommons.world.population import population
from epicommons.world.sources import load_network, read_od

COUNTRIES = ["FRA", "DEU", "USA", "CAN", "JPN", "BRA", "NGA", "IND"]


def _write(
    path: Path,
    rows: list[tuple[str, str, str]],
    header=("origin", "destination", "travellers_per_day"),
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(COUNTRIES), st.sampled_from(COUNTRIES)).filter(
            lambda p: p[0] != p[1]
        ),
        st.floats(0.5, 1e5),
        min_size=1,
        max_size=20,
    )
)
def test_round_trip_keeps_every_flow(tmp_path, flows):
    path = _write(tmp_path / "od.csv", [(o, d, repr(v)) for (o, d), v in flows.items()])
    net = read_od(path, balanced=False)
    assert net.level == "country"
    got = {
        (net.nodes[i], net.nodes[j]): v
        for i, j, v in zip(*net.flows.tocoo().coords, net.flows.tocoo().data, strict=True)
    }
    assert got.keys() == flows.keys()
    assert all(got[k] == pytest.approx(v, rel=1e-12) for k, v in flows.items())
    even = read_od(path)
    assert np.allclose(even.inflow(), even.outflow())
    assert even.total_travellers == pytest.approx(sum(flows.values()), rel=1e-12)
    assert [even.population[even.index(c)] for c in even.nodes] == [
        population(c, 2020) for c in even.nodes
    ]


def test_airport_level_is_inferred_and_knows_countries(tmp_path):
    path = _write(
        tmp_path / "od.csv", [("JFK", "LHR", "100"), ("lhr", "CDG", "40"), ("SJU", "JFK", "8")]
    )
    net = load_network("od", path)
    assert net.level == "airport"
    assert dict(zip(net.nodes, net.country, strict=True)) == {
        "JFK": "USA",
        "LHR": "GBR",
        "CDG": "FRA",
        "SJU": "PRI",
    }
    assert net.flows[net.index("LHR"), net.index("JFK")] == 50.0
    # One airport per country here: each catchment is its whole country.
    assert net.population[net.index("CDG")] == population("FRA", 2020)


def test_repeated_pairs_add_up(tmp_path):
    path = _write(tmp_path / "od.csv", [("FRA", "DEU", "10"), ("FRA", "DEU", "5")])
    net = read_od(path, balanced=False)
    assert net.flows[net.index("FRA"), net.index("DEU")] == 15.0


BAD = [
    ([("FRA", "DEU", "-3")], 2, "travellers_per_day"),
    ([("FRA", "DEU", "lots")], 2, "travellers_per_day"),
    ([("FRA", "DEU", "nan")], 2, "travellers_per_day"),
    ([("FRA", "DEU", "1"), ("FRA", "DEU", "")], 3, "travellers_per_day"),
    ([("FRA", "DEU", "1"), ("FRA", "", "2")], 3, "destination"),
    ([("FRA", "DEU", "1"), ("XYZ", "DEU", "2")], 3, "origin"),
    ([("FRA", "FRA", "1")], 2, "destination"),
]


@pytest.mark.parametrize(("rows", "line", "field"), BAD)
def test_bad_rows_exit_2_naming_line_and_field(tmp_path, capsys, rows, line, field):
    path = _write(tmp_path / "od.csv", rows)
    assert main(["world", "network", "--source", "od", str(path), "--level", "country"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert str(path) in err and f"line {line}" in err and f"field '{field}'" in err


def test_unknown_airport_code_exit_2(tmp_path, capsys):
    path = _write(tmp_path / "od.csv", [("JFK", "LHR", "1"), ("JFK", "QQQ", "2")])
    assert main(["world", "network", "--source", "od", str(path), "--level", "airport"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "field 'destination'" in err and "QQQ" in err


def test_missing_column_and_missing_file_exit_2(tmp_path, capsys):
    path = _write(tmp_path / "od.csv", [("FRA", "DEU", "1")], header=("origin", "dest", "flow"))
    assert main(["world", "network", "--source", "od", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "field 'destination'" in err
    assert main(["world", "network", "--source", "od", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert "none.csv" in err and "not found" in err


def test_cli_od_prints_the_network(tmp_path, capsys):
    path = _write(tmp_path / "od.csv", [("FRA", "DEU", "100"), ("USA", "CAN", "300")])
    assert main(["world", "network", "--source", "od", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 nodes, 4 links, 400 travellers/day" in out
    assert "United States" in out


def test_shipped_example_runs_through_the_cli(capsys):
    """The example named in `world network --help` and docs: 6 countries, its CSV's totals."""
    example = Path(__file__).resolve().parents[1] / "examples" / "network" / "od_western_europe.csv"
    with example.open(newline="") as f:
        rows = list(csv.DictReader(f))
    total = sum(float(r["travellers_per_day"]) for r in rows)
    assert main(["world", "network", "--source", "od", str(example)]) == 0
    out = capsys.readouterr().out
    assert "6 nodes, 30 links" in out and f"{total:,.0f} travellers/day" in out


def test_more_travellers_than_people_exit_2(tmp_path, capsys):
    # the case: 1e9 a day out of a country of tens of millions (limit from WPP directly)
    people = population("KEN", 2020)
    rows = [("KEN", "FRA", "1000"), ("KEN", "DEU", "1e9"), ("FRA", "DEU", "5")]
    path = _write(tmp_path / "od.csv", rows)
    assert main(["world", "network", "--source", "od", str(path), "--level", "country"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "field 'travellers_per_day'" in err
    assert f"more than its {people:,.0f} people" in err and "KEN sends 1,000,001,000" in err
    ok = _write(tmp_path / "ok.csv", [("KEN", "FRA", f"{0.5 * people:.0f}")])
    assert read_od(ok).total_travellers > 0
