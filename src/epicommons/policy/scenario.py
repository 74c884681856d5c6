"""Scenario files with interventions: the engine's scenario plus `[[interventions]]` and an
optional `groups` file of user groups (e.g. a partner group for fast lanes).

The engine's scenario keys are validated by `model.scenario`; the interventions here, each error
naming its key path (`interventions[2].reduction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from epicommons._files import read_toml
from epicommons.errors import InputError, validate
from epicommons.model import scenario as model_scenario
from epicommons.world.groups import Group, read_groups

from .interventions import Intervention, Interventions


@dataclass(frozen=True)
class PolicyScenario:
    """A scenario, its interventions and user groups, and where it was read from."""

    scenario: model_scenario.Scenario
    interventions: tuple[Intervention, ...]
    groups: dict[str, Group]
    path: Path
    text: str


def parse_interventions(tables: object, source: str | Path | None = None) -> list[Intervention]:
    """Validate a list of intervention tables; InputError names the first bad key path."""
    return list(validate(Interventions, {"interventions": tables}, source).interventions)


_TYPES = (
    "travel_reduction",
    "screening",
    "pre_departure_test",
    "arrival_quarantine",
    "fast_lane",
    "transmission_reduction",
    "vaccination",
)


def load(path: str | Path) -> PolicyScenario:
    """Read a scenario file with interventions; everything is validated before anything runs."""
    path = Path(path)
    data, text = read_toml(path, "scenario")
    return from_data(data, path=path, text=text)


def from_data(
    data: dict[str, Any],
    *,
    path: str | Path,
    text: str | None = None,
    groups: dict[str, Group] | None = None,
) -> PolicyScenario:
    """Validate a scenario given as TOML tables (a file's, or built in memory).

    `path` is where the scenario is (or will be) written: errors name it and relative paths
    start from its folder. `groups` are user groups given in memory instead of a `groups` file;
    `text` defaults to the tables written as TOML."""
    path = Path(path)
    text = tomli_w.dumps(data) if text is None else text
    data = dict(data)
    tables = data.pop("interventions", [])
    groups_file = data.pop("groups", None)
    scen = model_scenario.from_data(data, source=path)
    items = parse_interventions(tables, source=path)
    found: dict[str, Group] = dict(groups or {})
    if groups_file is not None:
        if not isinstance(groups_file, str):
            raise InputError("expected the path of a groups file", source=path, field="groups")
        gpath = Path(groups_file)
        found.update(read_groups(gpath if gpath.is_absolute() else path.parent / gpath))
    return PolicyScenario(scen, tuple(items), found, path, text)
