"""`policy.prepare`: the one way from a scenario to a run, shared by simulate, compare, sweep and
the demo — here through `sweep`, which used to refuse interventions."""

from __future__ import annotations

import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.policy import from_data, load, prepare

SCENARIO = """
name = "cut"
start = 2027-01-01
days = 60
runs = 4
seed = 3
[network]
source = "builtin"
[disease]
preset = "SEIR"
[disease.parameters]
R0 = 2.5
[[seeds]]
where = "ITA"
count = 50
"""
CUT = """
[[interventions]]
type = "travel_reduction"
start = 2027-01-01
from = ["ITA"]
reduction = 0.5
"""


@pytest.mark.slow
def test_sweep_compiles_interventions(tmp_path):
    """A reduction of 0 changes nothing (the same runs as without the intervention, common random
    numbers); cutting all of Italy's outbound travel from day 0 keeps every other country clear."""
    plain, cut = tmp_path / "plain.toml", tmp_path / "cut.toml"
    plain.write_text(SCENARIO)
    cut.write_text(SCENARIO + CUT)
    grid, same = tmp_path / "grid.toml", tmp_path / "same.toml"
    grid.write_text('[grid]\n"interventions[0].reduction" = [0.0, 1.0]\n')
    same.write_text('[grid]\n"seed" = [3]\n')
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert main(["sweep", str(cut), "--grid", str(grid), "--out", str(a), "-q"]) == 0
    assert main(["sweep", str(plain), "--grid", str(same), "--out", str(b), "-q"]) == 0
    swept, base = pd.read_parquet(a), pd.read_parquet(b)
    keep = [c for c in base.columns if c not in ("variant", "seed")]
    none = swept[swept["interventions[0].reduction"] == 0.0].reset_index(drop=True)
    pd.testing.assert_frame_equal(none[keep], base[keep])
    closed = swept[swept["interventions[0].reduction"] == 1.0].set_index("country")
    assert (closed.drop(index="ITA")["runs_reached"] == 0).all()
    assert (base.set_index("country").drop(index="ITA")["runs_reached"] > 0).any()


def test_in_memory_scenario_equals_its_file(tmp_path):
    """A scenario built from tables and the same tables written as TOML prepare alike."""
    import tomllib

    path = tmp_path / "cut.toml"
    path.write_text(SCENARIO + CUT)
    from_file = load(path)
    in_memory = from_data(tomllib.loads(SCENARIO + CUT), path=tmp_path / "elsewhere.toml")
    assert in_memory.scenario == from_file.scenario
    assert in_memory.interventions == from_file.interventions
    a, b = prepare(from_file, runs=2), prepare(in_memory, runs=2)
    assert a.scenario.runs == 2 and a.schedule is not None
    assert a.name == b.name == "cut"
    ra, rb = a.run(), b.run()
    assert (ra.country_prevalence == rb.country_prevalence).all()
    assert ra.metadata["scenario_toml"] == SCENARIO + CUT  # the file's own text is recorded
