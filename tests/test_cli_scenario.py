"""`epicommons scenario`: the reference page matches the models, starters validate, and
`validate` checks a file without running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from epicommons.cli import main
from epicommons.cli.scenario_reference import reference
from epicommons.model.presets import PRESETS
from epicommons.model.scenario import Scenario, SeedSpec

REPO = Path(__file__).resolve().parents[1]


def test_docs_scenario_md_is_the_generated_reference():
    """Regenerate with `epicommons scenario reference --out docs/scenario.md`."""
    assert (REPO / "docs" / "scenario.md").read_text(encoding="utf-8") == reference()


def test_the_reference_names_every_key_with_its_meaning():
    text = reference()
    for model in (Scenario, SeedSpec):
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in text
            assert info.description, f"{model.__name__}.{name} has no description"
    assert "in EACH listed country" in text  # doses_per_day is per country


@pytest.mark.parametrize("preset", list(PRESETS))
def test_init_writes_a_scenario_that_validates_and_runs(preset, tmp_path, capsys):
    path = tmp_path / "s.toml"
    assert main(["scenario", "init", "--preset", preset, "--out", str(path)]) == 0
    assert main(["scenario", "validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["scenario", "init", "--out", str(path)]) == 2  # no silent overwrite


def test_validate_reports_the_first_problem(tmp_path, capsys):
    path = tmp_path / "s.toml"
    assert main(["scenario", "init", "--out", str(path)]) == 0
    path.write_text(path.read_text().replace("runs = 20", "rnus = 20"))
    capsys.readouterr()
    assert main(["scenario", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "field 'rnus': unknown key; did you mean 'runs'?" in err


@pytest.mark.parametrize(
    "example",
    sorted(p.relative_to(REPO).as_posix() for p in (REPO / "examples").rglob("*.toml")),
)
def test_every_shipped_scenario_validates(example, capsys):
    path = REPO / example
    text = path.read_text(encoding="utf-8")
    if any(t in text for t in ("[problem]", "[plan]", "[grid]", "[groups.")):
        pytest.skip("not a scenario file")  # an allocation, plan, grid or groups file
    if 'source = "openflights"' in text:
        pytest.skip("needs the OpenFlights files beside it")
    assert main(["scenario", "validate", str(path)]) == 0, capsys.readouterr().err


def test_validate_compiles_the_interventions(tmp_path, capsys):
    """`simulate` refuses an intervention from a place that does not exist: so must validate."""
    path = tmp_path / "s.toml"
    path.write_text(
        'days = 30\n[disease]\npreset = "SEIR"\n[[seeds]]\nwhere = "ITA"\ncount = 10\n'
        '[[interventions]]\ntype = "travel_reduction"\nstart = 2027-01-05\n'
        'from = ["Atlantis"]\nreduction = 0.5\n'
    )
    assert main(["scenario", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "interventions[0].from[0]" in err and "Atlantis" in err
