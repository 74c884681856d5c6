"""Helpers shared by the network sources: files, country populations and airport catchments."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from epicommons.errors import InputError
from epicommons.world.population import population_matrix

#: airportsdata files a few territories under their parent's ISO2 code, naming the territory as the
#: subdivision; these get the territory's own ISO2 code back.
_TERRITORIES = {
    ("US", "Puerto Rico"): "PR",
    ("US", "Virgin Islands"): "VI",
    ("NO", "Svalbard"): "SJ",
}


def airportsdata_iso2(airport: Mapping[str, Any]) -> str:
    """ISO2 code of the country or territory of an `airportsdata` record."""
    return _TERRITORIES.get((airport["country"], airport["subd"]), airport["country"])


@cache
def airportsdata_by(kind: str) -> dict[str, Any]:
    """airportsdata's airports keyed by "IATA" or "ICAO" code, loaded once."""
    import airportsdata

    return airportsdata.load(kind)  # type: ignore[arg-type]


def existing_file(path: str | Path, what: str) -> Path:
    """The path as a `Path`, or an `InputError` naming it when it is not a readable file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} not found (expected a file)", source=p)
    return p


def country_populations(codes: tuple[str, ...] | list[str], year: int) -> np.ndarray:
    """Total population of each ISO3 code in `year` (UN WPP 2022); 0 where WPP lists none."""
    return population_matrix(list(codes), year).sum(axis=1)


def catchments(
    node_country: np.ndarray, weight: np.ndarray, country_population: dict[str, float]
) -> np.ndarray:
    """Split each country's population over its nodes in proportion to `weight`.

    Used for airports: a country's people are shared out by each airport's share of the country's
    air traffic (its weighted route degree). A country whose nodes all weigh zero shares equally.
    """
    node_country = np.asarray(node_country)
    weight = np.asarray(weight, dtype=float)
    out = np.zeros(len(weight))
    for iso3 in np.unique(node_country):
        mask = node_country == iso3
        w = weight[mask]
        share = w / w.sum() if w.sum() > 0 else np.full(w.size, 1.0 / w.size)
        out[mask] = country_population.get(str(iso3), 0.0) * share
    return out
