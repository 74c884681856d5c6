"""Validation errors read the same whichever file the user got wrong: key paths `a[0].b`, and an
unknown key answered with the nearest valid keys (one translator, `errors.from_validation`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from epicommons.assist.problem_file import read_problem
from epicommons.calibrate import spec as calibration_spec
from epicommons.errors import InputError
from epicommons.model import scenario as model_scenario
from epicommons.policy import scenario as policy_scenario

EX = Path(__file__).resolve().parents[1] / "examples"


def _edit(src: Path, dst: Path, old: str, new: str) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text
    dst.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dst


def _error(load, path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load(path)
    return info.value


@pytest.mark.parametrize(
    ("load", "example", "old", "new", "field", "near"),
    [
        (
            model_scenario.load,
            EX / "scenarios" / "seir_builtin.toml",
            "count = 20",
            "count = 20\ncountt = 3",
            "seeds[0].countt",
            "count",
        ),
        (
            policy_scenario.load,
            EX / "policy" / "cut90.toml",
            'type = "travel_reduction"',
            'type = "travel_reduction"\nreductoin = 0.5',
            "interventions[0].reductoin",
            "reduction",
        ),
        (
            calibration_spec.load,
            EX / "calibration" / "europe_2020.toml",
            "[calibration]",
            "[calibration]\nparticels = 10",
            "calibration.particels",
            "particles",
        ),
        (
            read_problem,
            EX / "assist" / "allocation" / "problem.toml",
            "shelf_life_weeks = 26",
            "shelf_life_week = 26",
            "items.vaccine.shelf_life_week",
            "shelf_life_weeks",
        ),
    ],
)
def test_an_unknown_key_names_its_path_and_the_nearest_valid_keys(
    load, example, old, new, field, near, tmp_path
):
    # the edited copy lives beside the example so relative table paths still resolve
    path = _edit(example, example.parent / f".test-{tmp_path.name}.toml", old, new)
    try:
        err = _error(load, path)
    finally:
        path.unlink()
    assert err.field == field
    assert err.message.startswith(f"unknown key; did you mean {near!r}")
    assert "Valid keys here: " in err.message and near in err.message.split("Valid keys here: ")[1]


def test_a_wrong_type_names_the_value_given(tmp_path):
    path = _edit(
        EX / "scenarios" / "seir_builtin.toml", tmp_path / "s.toml", "days = 365", 'days = "many"'
    )
    err = _error(model_scenario.load, path)
    assert err.field == "days"
    assert "got 'many'" in err.message


def test_a_missing_union_tag_lists_the_types(tmp_path):
    path = _edit(
        EX / "policy" / "cut90.toml", tmp_path / "p.toml", 'type = "travel_reduction"\n', ""
    )
    err = _error(policy_scenario.load, path)
    assert err.field == "interventions[0]"
    assert err.message.startswith("missing `type`; expected one of")
    assert "travel_reduction" in err.message and "vaccination" in err.message
