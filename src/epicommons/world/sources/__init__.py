"""Sources of the travel `Network`: the built-in gravity model, OpenFlights and OD CSV files.

Every source returns flows balanced by `network.balance` (each node's inflow equals its outflow)
unless asked for the raw flows.
"""

from __future__ import annotations

from pathlib import Path

from epicommons.errors import InputError
from epicommons.world.network import Network

from .gravity import builtin_network
from .od import read_od
from .openflights import read_openflights

SOURCES = ("builtin", "openflights", "od")
__all__ = ["SOURCES", "builtin_network", "load_network", "read_od", "read_openflights"]


def load_network(
    source: str = "builtin",
    path: str | Path | None = None,
    level: str | None = None,
    *,
    balanced: bool = True,
    year: int = 2020,
) -> Network:
    """The travel network of a named source: "builtin", "openflights" (a folder) or "od" (a CSV).

    `level` is "country" or "airport"; None means country, except for "od" where it is inferred
    from the codes. `year` selects the population (UN WPP 2022); `balanced=False` keeps the raw
    directed flows.
    """
    if source not in SOURCES:
        raise InputError(f"expected one of {', '.join(SOURCES)}, got {source!r}", field="source")
    if level is None and source != "od":
        level = "country"
    if level not in ("country", "airport", None):
        raise InputError(f"expected 'country' or 'airport', got {level!r}", field="level")
    if source == "builtin":
        if path is not None:
            raise InputError("the built-in network takes no path", field="path")
        if level != "country":
            raise InputError("the built-in network exists at country level only", field="level")
        return builtin_network(year)
    if path is None:
        what = "a folder with airports.dat and routes.dat" if source == "openflights" else "a CSV"
        raise InputError(f"source {source!r} needs {what}", field="path")
    if source == "openflights":
        return read_openflights(path, level, balanced=balanced, year=year)  # type: ignore[arg-type]
    return read_od(path, level, balanced=balanced, year=year)  # type: ignore[arg-type]
