"""Scenario files, results files and the `simulate` command (real networks, real files)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.model import scenario

REPO = Path(__file__).resolve().parents[1]

GOOD = """
name = "t"
days = 30
runs = 3
seed = 1
[network]
source = "builtin"
[disease]
preset = "SEIR"
age_groups = [0, 20, 60]
[disease.parameters]
R0 = 2.0
[[seeds]]
where = "ITA"
count = 10
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("days = 30", "days = -3"), "days"),
        (("R0 = 2.0", 'R0 = "high"'), "disease.parameters.R0"),
        (('source = "builtin"', 'sorce = "builtin"'), "network.sorce"),
        (('source = "builtin"', 'source = "od"'), "network"),
        (("count = 10", "count = 0"), "seeds[0].count"),
        (('preset = "SEIR"', 'preset = "SEIR"\ncompartments = []'), "disease"),
        (("[outputs]", "[outputs]"), None),
    ],
)
def test_errors_name_the_key_path(change, key):
    text = GOOD.replace(*change)
    if key is None:
        assert scenario.parse(text).days == 30
        return
    with pytest.raises(InputError) as err:
        scenario.parse(text, source="s.toml")
    assert err.value.field == key
    assert str(err.value).startswith(f"s.toml, field '{key}'")


def test_unknown_preset_and_seed_place_are_named(tmp_path):
    from epicommons.model import runner

    spec = scenario.parse(GOOD.replace('preset = "SEIR"', 'preset = "SEIRX"'))
    with pytest.raises(InputError) as err:
        runner.prepare(spec, tmp_path, source="s.toml")
    assert err.value.field == "disease.preset"
    spec = scenario.parse(GOOD.replace('where = "ITA"', 'where = "Atlantis"'))
    with pytest.raises(InputError) as err:
        runner.prepare(spec, tmp_path, source="s.toml")
    assert err.value.field == "seeds[0].where"


def test_a_parameter_no_rate_uses_is_refused_with_the_valid_ones(tmp_path):
    """`R00` (a typo of R0) would have been ignored: the epidemic ran with the default R0."""
    from epicommons.model import runner

    spec = scenario.parse(GOOD.replace("R0 = 2.0", "R00 = 3.0"))
    with pytest.raises(InputError) as err:
        runner.prepare(spec, tmp_path, source="s.toml")
    assert err.value.field == "disease.parameters.R00"
    assert all(name in err.value.message for name in ("R0", "beta", "sigma", "gamma"))
    custom = GOOD.replace(
        'preset = "SEIR"',
        'compartments = [{name = "S"}, {name = "I", infected = true}, {name = "R"}]\n'
        'transitions = [{from = "S", to = "I", rate = "beta", mediated_by = {I = 1.0}},'
        ' {from = "I", to = "R", rate = "gamma"}]',
    ).replace("R0 = 2.0", "R0 = 2.0\ngamma = 0.4\nsigma = 0.5")
    with pytest.raises(InputError) as err:
        scenario.parse(custom).build_disease("s.toml")
    assert err.value.field == "disease.parameters.sigma"  # SIR has no latent period


@pytest.mark.parametrize(
    ("seed", "key", "text"),
    [
        ("count = 1e12", "seeds[0].count", "at most the"),
        ("count = 5\nday = 30", "seeds[0].day", "< 30 (the simulated days)"),
        ("count = 5\ndays = [3, 40]", "seeds[0].days[1]", "got 40"),
    ],
)
def test_impossible_seeds_are_named(tmp_path, seed, key, text):
    from epicommons.model import runner

    spec = scenario.parse(GOOD.replace("count = 10", seed))
    with pytest.raises(InputError, match=re.escape(text)) as err:
        runner.prepare(spec, tmp_path, source="s.toml")
    assert err.value.field == key


def test_custom_disease_errors_name_the_transition(tmp_path):
    from epicommons.model import runner

    text = GOOD.replace(
        'preset = "SEIR"',
        textwrap.dedent("""
        compartments = [{name = "S"}, {name = "I", infected = true}, {name = "R"}]
        transitions = [
          {from = "S", to = "I", rate = "beta", mediated_by = {I = 1.0}},
          {from = "I", to = "Q", rate = "gamma"},
        ]"""),
    )
    spec = scenario.parse(text)
    with pytest.raises(InputError) as err:
        runner.prepare(spec, tmp_path, source="s.toml")
    assert err.value.field == "disease.transitions[1].target"


def test_custom_disease_runs_like_the_preset(tmp_path):
    from epicommons.model import runner

    custom = GOOD.replace(
        'preset = "SEIR"',
        textwrap.dedent("""
        compartments = [{name = "S"}, {name = "E", infected = true},
                        {name = "I", infected = true}, {name = "R"}]
        transitions = [
          {from = "S", to = "E", rate = "beta", mediated_by = {I = 1.0}},
          {from = "E", to = "I", rate = "1 / 1.1"},
          {from = "I", to = "R", rate = "1 / 2.5"},
        ]"""),
    ).replace("R0 = 2.0", "R0 = 2.0")
    preset = GOOD.replace("R0 = 2.0", "R0 = 2.0\nsigma = 0.9090909090909091\ngamma = 0.4")
    out = []
    for text in (custom, preset):
        spec = scenario.parse(text)
        model, seeds = runner.prepare(spec, tmp_path)
        out.append(runner.run(spec, model, seeds).country_prevalence)
    np.testing.assert_array_equal(out[0], out[1])


def test_cli_bad_input_exits_2_without_writing(tmp_path, capsys):
    bad = write(tmp_path, GOOD.replace("days = 30", "days = 0"))
    out = tmp_path / "out"
    assert main(["simulate", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "field 'days'" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["simulate", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    assert main(["simulate", str(write(tmp_path, GOOD)), "--out", str(out), "--runs", "0"]) == 2
    assert not out.exists()


def test_cli_runs_a_scenario_and_records_it(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    out = tmp_path / "res"
    assert main(["simulate", str(path), "--out", str(out), "--runs", "4", "--seed", "3"]) == 0
    assert "ITA" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {
        "country_summary.parquet",
        "country_daily.parquet",
        "node_summary.parquet",
        "runs.parquet",
        "metadata.json",
        "scenario.toml",
    } <= names
    table = pq.read_table(out / "country_summary.parquet")
    meta = json.loads(table.schema.metadata[b"epicommons"])
    assert meta["runs"] == 4 and meta["seed"] == 3
    assert meta["scenario"]["disease"]["preset"] == "SEIR"
    assert meta["versions"]["numpy"] == np.__version__
    summary = table.to_pandas().set_index("country")
    assert summary.loc["ITA", "arrival_day_median"] == 0
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    assert runs["run"].nunique() == 4
    # the daily prevalence over all countries and compartments is everyone, every day
    daily = pq.read_table(out / "country_daily.parquet").to_pandas()
    prev = daily[daily.measure == "prevalence"].groupby("date")["mean"].sum()
    assert len(prev) == 30
    np.testing.assert_allclose(prev.to_numpy(), summary["population"].sum(), rtol=1e-6)


@pytest.mark.parametrize("name", ["seir_builtin.toml", "covid_airports.toml"])
def test_example_scenarios_validate(name, tmp_path, shared_data):
    from epicommons.model import runner

    path = REPO / "examples" / "scenarios" / name
    spec, _ = scenario.load(path)
    spec = spec.model_copy(
        update={
            "network": spec.network.model_copy(
                update={
                    "path": None if spec.network.path is None else str(shared_data / "openflights")
                }
            )
        }
    )
    model, seeds = runner.prepare(spec, path.parent)
    assert model.network.size > 200 and seeds


def test_contact_matrix_from_prem_csv(shared_data, tmp_path):
    """A user-supplied 16x16 matrix (Prem et al.) is read and used for 16 five-year groups."""
    from epicommons.model import build_model, seir
    from epicommons.model.population import age_structure
    from epicommons.world.sources import load_network

    net = load_network("builtin")
    csv = (
        shared_data
        / "epydemix_contacts/data/Italy/contact_matrices/prem_2021/contacts_matrix_all.csv"
    )
    ages = age_structure(net, tuple(range(0, 80, 5)), csv)
    assert ages.contacts.shape == (16, 16)
    np.testing.assert_allclose(ages.contacts, np.loadtxt(csv, delimiter=","))
    model = build_model(seir(R0=2.0), net, ages)
    assert model.parameters["beta"] > 0
    with pytest.raises(InputError, match="expected a 5x5 matrix"):
        age_structure(net, (0, 10, 20, 40, 60), csv)


def test_cli_refuses_a_folder_that_is_not_results(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    path = write(tmp_path, GOOD)
    assert main(["simulate", str(path), "--out", str(out), "--quiet"]) == 2
    assert "not an epicommons results folder" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]
