"""Scenario sweeps: every combination of the values in a grid file, one ensemble each.

```toml
# grid.toml: dotted key paths of the scenario, each with the values to try
[grid]
"disease.parameters.R0" = [1.5, 2.0, 2.5]
"seeds[0].count" = [10, 100]
```
Variants are independent tasks for a backend; each runs its ensemble with the scenario's seed, so
run r of every variant shares its random stream (paired comparisons) whatever the backend.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from epicommons._files import read_toml
from epicommons.backend import InProcess
from epicommons.errors import InputError
from epicommons.model.runner import load_network
from epicommons.policy import PolicyScenario, from_data, prepare
from epicommons.world.network import Network

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)")


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its index, the values set and the validated scenario."""

    index: int
    values: dict[str, Any]
    scenario: PolicyScenario


def read_grid(path: str | Path) -> dict[str, list[Any]]:
    """The `[grid]` table: key path -> non-empty list of values."""
    path = Path(path)
    data, _ = read_toml(path, "grid")
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise InputError("expected a non-empty [grid] table", source=path, field="grid")
    for key in data:
        if key != "grid":
            raise InputError("unknown key", source=path, field=key)
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InputError(
                "expected a non-empty list of values", source=path, field=f"grid.{key}"
            )
    return grid


def variants(
    scenario_data: dict[str, Any],
    grid: dict[str, list[Any]],
    grid_source: str | Path,
    scenario_path: str | Path,
) -> list[Variant]:
    """All combinations, each applied to a copy of the scenario (read from `scenario_path`,
    interventions included) and validated."""
    keys = list(grid)
    out = []
    for i, combo in enumerate(itertools.product(*(grid[k] for k in keys))):
        data = copy.deepcopy(scenario_data)
        for key, value in zip(keys, combo, strict=True):
            _set(data, key, value, grid_source)
        try:
            scenario = from_data(data, path=scenario_path)
            scenario.scenario.build_disease()  # a parameter no rate uses matches nothing
        except InputError as exc:
            field = _grid_key(exc.field, keys)
            raise InputError(
                f"variant {dict(zip(keys, combo, strict=True))}: {exc.message}",
                source=grid_source,
                field=field,
            ) from None
        out.append(Variant(i, dict(zip(keys, combo, strict=True)), scenario))
    return out


def run_variant(network: Network | None, variant: Variant) -> pd.DataFrame:
    """One variant's ensemble (in one process), summarised per country."""
    results = prepare(variant.scenario, network=network).run(backend=InProcess())
    table = results.country_table()
    for key, value in reversed(list(variant.values.items())):
        table.insert(0, key, value)
    table.insert(0, "variant", variant.index)
    return table


def shared_network(variants: list[Variant]) -> Network | None:
    """The network all variants share (loaded once), or None when the grid changes it."""
    first = variants[0].scenario
    if any(v.scenario.scenario.network != first.scenario.network for v in variants):
        return None
    return load_network(first.scenario, first.path.resolve().parent)


def _grid_key(field: str | None, keys: list[str]) -> str | None:
    """The grid key an error's field is part of (`grid.KEY`), else the field itself."""
    for key in keys:
        if field and (key == field or key.startswith((f"{field}.", f"{field}["))):
            return f"grid.{key}"
    return field


def _set(data: dict[str, Any], key: str, value: Any, source: str | Path) -> None:
    """Set `a.b[0].c` in nested dicts/lists; the path must exist up to its last key."""
    node: Any = data
    parts = key.split(".")
    for n, part in enumerate(parts):
        m = _PART.fullmatch(part)
        if m is None:
            raise InputError("not a key path", source=source, field=f"grid.{key}")
        name, idx = m.group(1), [int(i) for i in re.findall(r"\d+", m.group(2))]
        last = n == len(parts) - 1 and not idx
        if last:
            if not isinstance(node, dict):
                raise InputError("no such key in the scenario", source=source, field=f"grid.{key}")
            node[name] = value
            return
        if not isinstance(node, dict):
            raise InputError("no such key in the scenario", source=source, field=f"grid.{key}")
        node = node.setdefault(name, {}) if not idx else node.get(name)
        for j, k in enumerate(idx):
            if not isinstance(node, list) or k >= len(node):
                raise InputError("no such list item", source=source, field=f"grid.{key}")
            if n == len(parts) - 1 and j == len(idx) - 1:
                node[k] = value
                return
            node = node[k]
