"""`epicommons allocate` and `epicommons repatriate` through the CLI: the shipped examples run,
and bad input exits with status 2 and a message naming the file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from epicommons.cli import main

REPO = Path(__file__).resolve().parents[1]
ALLOC = REPO / "examples" / "assist" / "allocation"
REPAT = REPO / "examples" / "assist" / "repatriation"


def test_allocate_example_writes_tables_and_explanation(tmp_path, capsys):
    assert main(["allocate", str(ALLOC / "problem.toml"), "--out", str(tmp_path), "--quiet"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "allocation.csv",
        "members.csv",
        "shadow_prices.csv",
        "comparison.csv",
        "explanation.md",
    }
    members = pd.read_csv(tmp_path / "members.csv")
    alloc = pd.read_csv(tmp_path / "allocation.csv")
    # members.csv totals are the sums of allocation.csv
    sums = alloc.groupby(["member", "item"])["delivered"].sum()
    joined = members.set_index(["member", "item"])["delivered"]
    pd.testing.assert_series_equal(
        sums.sort_index(), joined.loc[sums.index].sort_index(), check_names=False, atol=1e-4
    )
    # 400,000 doses earmarked for Kenya in week 3, when it can handle 300 units and a dose is
    # 0.001 units: 300,000 reach Kenya directly, the rest joins the pool
    assert members.set_index(["member", "item"]).loc[("KEN", "vaccine"), "earmarked"] == 300000
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("plan")
    assert set(comparison.index) == {
        "optimised",
        "proportional",
        "covax",
        "first_come_first_served",
    }
    assert "# Allocation" in (tmp_path / "explanation.md").read_text()


def test_repatriate_example(tmp_path):
    assert main(["repatriate", str(REPAT / "plan.toml"), "--out", str(tmp_path), "--quiet"]) == 0
    flights = pd.read_csv(tmp_path / "flights.csv")
    quarantine = pd.read_csv(tmp_path / "quarantine.csv")
    assert flights["expected_infections"].sum() <= 4.0 + 1e-6
    assert (quarantine["occupied"] <= quarantine["places"]).all()
    assert (flights.loc[flights["operated"], "load_factor"] >= 0.3 - 1e-9).all()


def copy_example(src: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(src, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def run_bad(args: list[str], capsys) -> str:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "problem.toml",
            "initial_stock = 2000",
            "initial_stock = -5",
            "problem.toml, field 'items.oxygen.initial_stock': Input should be greater than or equal to 0",
        ),
        (
            "arrivals.csv",
            "1,oxygen,",
            "1,oxygen,-",
            "arrivals.csv, line 3, field 'quantity': expected a number >= 0",
        ),
        (
            "needs.csv",
            "Brazil,1,vaccine",
            "Atlantis,1,vaccine",
            "needs.csv, line 2, field 'member': unknown country 'Atlantis'",
        ),
        (
            "needs.csv",
            "Brazil,1,vaccine",
            "Chile,1,vaccine",
            "needs.csv, line 2, field 'member': 'Chile' (CHL) is not a member",
        ),
        (
            "needs.csv",
            "Brazil,1,oxygen",
            "Brazil,1,oxygenn",
            "needs.csv, line 14, field 'item': unknown item 'oxygenn'",
        ),
        (
            "arrivals.csv",
            "5,test_kit,",
            "x5,test_kit,",
            "arrivals.csv, line 21, field 'week': expected a week number from 1 to 12",
        ),
        ("problem.toml", 'rule = "covax"', 'rule = "covid"', "problem.toml, field 'fairness.rule'"),
        (
            "problem.toml",
            'rule = "covax"',
            'rule = "covax"\nmin_need_share = 0.9',
            "field 'fairness.min_need_share': no allocation satisfies every constraint",
        ),
        # Quantities bounded by what exists (issue 13 item 3). UN WPP 2022: 7.909 billion people
        # in 2021 (x 2 doses per person), Brazil 214.3 million.
        (
            "arrivals.csv",
            "1,vaccine,3000000",
            "1,vaccine,1e15",
            "arrivals.csv, line 2, field 'quantity': expected at most 15,81",
        ),
        (
            "needs.csv",
            "Brazil,1,test_kit,428654,",
            "Brazil,1,test_kit,428654000,",
            "needs.csv, line 38, field 'quantity': expected at most 214,3",
        ),
        (
            "needs.csv",
            "Brazil,1,vaccine,1285962,",
            "Brazil,1,vaccine,428596200,",
            "needs.csv, field 'quantity': the needs of BRA for 'vaccine' add up to 442,741,782",
        ),
        (
            "problem.toml",
            "initial_stock = 2000",
            "initial_stock = 1e12",
            "problem.toml, field 'items.oxygen.initial_stock': expected at most 7,9",
        ),
        (
            "earmarked.csv",
            "France,Kenya,3,vaccine,400000",
            "France,Kenya,3,vaccine,4e16",
            "earmarked.csv, line 2, field 'quantity': expected at most 15,81",
        ),
    ],
)
def test_allocate_bad_input(tmp_path, capsys, file, old, new, expected):
    folder = copy_example(ALLOC, tmp_path)
    edit(folder / file, old, new)
    out = tmp_path / "out"
    err = run_bad(["allocate", str(folder / "problem.toml"), "--out", str(out)], capsys)
    assert expected in err
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_allocate_missing_week_names_it(tmp_path, capsys):
    folder = copy_example(ALLOC, tmp_path)
    lines = (folder / "arrivals.csv").read_text().splitlines()
    (folder / "arrivals.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("7,oxygen")) + "\n"
    )
    err = run_bad(["allocate", str(folder / "problem.toml"), "--out", str(tmp_path / "o")], capsys)
    assert "arrivals.csv, field 'week': missing week 7 for item 'oxygen'" in err


def test_allocate_infeasible_names_conflicting_families(tmp_path, capsys):
    # 90% of each member's vaccine need is guaranteed, but doses cover about 37% of it
    folder = copy_example(ALLOC, tmp_path)
    edit(folder / "problem.toml", 'rule = "covax"', 'rule = "covax"\nmin_need_share = 0.9')
    err = run_bad(["allocate", str(folder / "problem.toml"), "--out", str(tmp_path / "o")], capsys)
    assert "conflicts with stock and arrivals" in err
    assert "guarantees that cannot be met: IND vaccine" in err


def test_allocate_infeasible_capacity_is_named(tmp_path, capsys):
    # 30% of the vaccine need fits the doses, but Kenya can take 10 handling units a week
    # (10,000 doses) against 0.3 x 3.8 million doses over 12 weeks; the doses it cannot take
    # go to the others' weekly COVAX guarantees, so capacity conflicts together with those
    # guarantees (or with the stock)
    folder = copy_example(ALLOC, tmp_path)
    edit(folder / "problem.toml", 'rule = "covax"', 'rule = "covax"\nmin_need_share = 0.3')
    cap = folder / "capacity.csv"
    cap.write_text(cap.read_text().replace(",,300", ",,10").replace(",,4000", ",,10"))
    err = run_bad(["allocate", str(folder / "problem.toml"), "--out", str(tmp_path / "o")], capsys)
    assert "the fairness rule's weekly guarantees (fairness.rule) and delivery capacity" in err
    assert "capacity.csv" in err
    assert "guarantees that cannot be met: KEN vaccine" in err


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "nationals.csv",
            "Italy,medical,15",
            "Italy,astronaut,15",
            "nationals.csv, line 5, field 'group': unknown group (see [groups]) 'astronaut'",
        ),
        (
            "flights.csv",
            "IT1,Italy,3,",
            "IT1,Italy,33,",
            "flights.csv, line 5, field 'day': expected a day from 1 to 21, got '33'",
        ),
        (
            "flights.csv",
            "PE2,Peru,19",
            "PE2,Chile,19",
            "flights.csv, line 15, field 'origin': no nationals wait in CHL",
        ),
        ("quarantine.csv", "2,450\n", "", "quarantine.csv, field 'week': missing week 2"),
        (
            "prevalence.csv",
            "Peru,0.003\n",
            "",
            "prevalence.csv, field 'prevalence': no prevalence for PER",
        ),
        (
            "plan.toml",
            "max_infections = 4.0",
            "max_infections = -4.0",
            "plan.toml, field 'plan.max_infections'",
        ),
        (
            "flights.csv",
            "IT1,Italy,3,280",
            "IT1,Italy,3,2800",
            "flights.csv, line 5, field 'seats': expected at most 853",
        ),
        (
            "nationals.csv",
            "Italy,medical,15",
            "Italy,medical,150000000",
            "nationals.csv, line 5, field 'people': expected at most 59,",  # Italy: 59.5 M (2020)
        ),
    ],
)
def test_repatriate_bad_input(tmp_path, capsys, file, old, new, expected):
    folder = copy_example(REPAT, tmp_path)
    edit(folder / file, old, new)
    err = run_bad(["repatriate", str(folder / "plan.toml"), "--out", str(tmp_path / "o")], capsys)
    assert expected in err
