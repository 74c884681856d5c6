"""Scenario files with interventions: the engine's scenario plus `[[interventions]]` and an
optional `groups` file of user groups (e.g. a partner group for fast lanes).

The engine's scenario keys are validated by `model.scenario`; the interventions here, each error
naming its key path (`interventions[2].reduction`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from pydantic import ValidationError

from epicommons.errors import InputError
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
    try:
        return list(Interventions.model_validate({"interventions": tables}).interventions)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        # drop the union tag pydantic inserts after the index (e.g. 'travel_reduction')
        if (
            len(loc) >= 3
            and isinstance(loc[1], int)
            and isinstance(loc[2], str)
            and loc[2] in _TYPES
        ):
            del loc[2]
        path = model_scenario._key_path(tuple(loc))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "union_tag_invalid":
            msg = f"unknown intervention type; expected one of {', '.join(_TYPES)}"
            path += ".type"
        elif err["type"] == "union_tag_not_found":
            msg = f"missing `type`; expected one of {', '.join(_TYPES)}"
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise InputError(f"{msg}{more}", source=source, field=path) from None


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
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror}", source=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=path) from None
    tables = data.pop("interventions", [])
    groups_file = data.pop("groups", None)
    scen = model_scenario.parse(tomli_w.dumps(data), source=path)
    items = parse_interventions(tables, source=path)
    groups: dict[str, Group] = {}
    if groups_file is not None:
        if not isinstance(groups_file, str):
            raise InputError("expected the path of a groups file", source=path, field="groups")
        gpath = Path(groups_file)
        groups = read_groups(gpath if gpath.is_absolute() else path.parent / gpath)
    return PolicyScenario(scen, tuple(items), groups, path, text)
