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
from epicommons.errors import InputError, validate
from epicommons.model import ensemble
from epicommons.model.runner import load_network, prepare
from epicommons.model.scenario import Scenario
from epicommons.world.network import Network

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)")


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its index, the values set and the validated scenario."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


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
    scenario_data: dict[str, Any], grid: dict[str, list[Any]], grid_source: str | Path
) -> list[Variant]:
    """All combinations, each applied to a copy of the scenario and validated."""
    keys = list(grid)
    out = []
    for i, combo in enumerate(itertools.product(*(grid[k] for k in keys))):
        data = copy.deepcopy(scenario_data)
        for key, value in zip(keys, combo, strict=True):
            _set(data, key, value, grid_source)
        try:
            scenario = validate(Scenario, data, grid_source)
        except InputError as exc:
            raise InputError(
                f"variant {dict(zip(keys, combo, strict=True))}: {exc.message}",
                source=grid_source,
                field=exc.field,
            ) from None
        out.append(Variant(i, dict(zip(keys, combo, strict=True)), scenario))
    return out


def run_variant(shared: tuple[Path, Network | None], variant: Variant) -> pd.DataFrame:
    """One variant's ensemble (in one process), summarised per country."""
    base, network = shared
    model, seeds = prepare(variant.scenario, base, network=network)
    s = variant.scenario
    res = ensemble.simulate(
        model,
        seeds,
        s.days,
        s.runs,
        s.seed,
        stochastic=s.engine == "stochastic",
        outputs=s.output_options(),
        start=s.start,
    )
    table = res.country_table()
    for key, value in reversed(list(variant.values.items())):
        table.insert(0, key, value)
    table.insert(0, "variant", variant.index)
    return table


def shared_network(variants: list[Variant], base: Path) -> Network | None:
    """The network all variants share (loaded once), or None when the grid changes it."""
    first = variants[0].scenario.network
    if any(v.scenario.network != first for v in variants):
        return None
    return load_network(variants[0].scenario, base)


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
