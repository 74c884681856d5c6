"""`epicommons demo` runs end to end on built-in data only and writes an offline report."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from epicommons.risk.outbreak import COLUMNS
from epicommons.world.population import population


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    # No shared data: the demo must need only what the installed package ships.
    env = {**os.environ, "EPICOMMONS_SHARED_DATA": str(out / "nowhere")}
    proc = subprocess.run(
        [sys.executable, "-m", "epicommons", "demo", "--out", str(out), "--runs", "8", "-q"],
        capture_output=True,
        text=True,
        cwd=out,
        env=env,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return out, proc.stdout


def test_demo_prints_world_and_summary(demo_out):
    _, text = demo_out
    # UN WPP 2022 puts the world's 2020 population at 7.84 billion (World Population Prospects 2022).
    assert re.search(r"population 7\.84 billion", text)
    for heading in ("most exposed countries", "Worldwide effect", "Test kits"):
        assert heading in text


def test_demo_tables(demo_out):
    out, _ = demo_out
    risk = pd.read_csv(out / "risk.csv", keep_default_na=False, na_values=[""])
    assert tuple(risk.columns) == COLUMNS
    assert "ITA" not in set(risk["destination"])  # the source is not its own destination
    assert risk["p_at_least_one"].between(0, 1).all()
    effects = pd.read_csv(out / "effects.csv", keep_default_na=False, na_values=[""])
    world = effects[(effects["country"] == "WORLD")].set_index(["scenario", "metric"])
    # Cutting 90% of the source's outbound travel cannot raise the importations it exports:
    # the paired mean must be clearly positive.
    assert world.loc[("travel_cut", "importations_averted"), "ci_low"] > 0
    alloc = pd.read_csv(out / "allocation.csv")
    scenario_files = sorted(p.name for p in (out / "scenarios").glob("*.toml"))
    assert scenario_files == [
        "joint_measures.toml",
        "no_measures.toml",
        "partners.toml",
        "travel_cut.toml",
    ]
    assert (alloc["delivered"] <= alloc["need"] + 1e-6).all()
    # Needs are bounded by testing capacity: at most RKI's 2020 German laboratory capacity per
    # head (217,499 tests a day for 83.2 M people) in each of the 21 weeks, never 8.8 x the
    # population as before.
    people = np.array([population(c, 2020) for c in alloc["member"]])
    assert (alloc["need"] <= 21 * 217_499 * 7 / 83.17e6 * people * 1.05).all()


def test_demo_scenario_files_are_the_scenarios_it_ran(demo_out):
    """The TOML written for the user reads back as the scenarios built in memory and run."""
    from epicommons.policy import load
    from epicommons.studies import demo

    out, _ = demo_out
    ran = demo.scenarios(demo.DemoSettings(runs=8), out / "scenarios")
    for ps in ran:
        back = load(ps.path)
        assert back.scenario == ps.scenario
        assert back.interventions == ps.interventions
        assert back.groups == ps.groups
        assert back.text == ps.text


@pytest.mark.browser
def test_demo_report_renders_offline(demo_out, offline_page):
    out, _ = demo_out
    page, errors, refused = offline_page
    page.goto((out / "report.html").as_uri())
    svgs = page.locator("figure svg")
    assert svgs.count() == 5  # curve, two maps, delay bars, allocation bars
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    assert errors == [] and refused == []
