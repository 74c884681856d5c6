"""Country outlines for maps: countryinfo's GeoJSON rings per country of the registry.

A code's records are merged as the registry merges them (countryinfo has two records for VAT,
PSE and CUW: their rings are joined); excluded codes have no outline; every registry country
carries the registry's coordinate, so one without rings (Maldives, Kosovo) can be drawn as a dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from .countries import countryinfo_records, registry


@dataclass(frozen=True)
class Outline:
    """A country's exterior rings as (n, 2) lon/lat arrays (none for small islands) and its
    representative point."""

    rings: tuple[np.ndarray, ...]
    lat: float
    lon: float

    def bounds(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) of the largest ring, else of the point.

        The largest ring only, so far-flung islands (the Aleutians, Réunion) do not widen a
        zoomed map to the whole world.
        """
        if not self.rings:
            return self.lon, self.lat, self.lon, self.lat
        ring = max(self.rings, key=len)
        (x0, y0), (x1, y1) = ring.min(axis=0), ring.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


@cache
def outlines() -> dict[str, Outline]:
    """ISO3 -> Outline for every country of the registry, built on first use."""
    countries = registry()
    rings: dict[str, list[np.ndarray]] = {}
    for info in countryinfo_records():
        iso3 = info["ISO"]["alpha3"]
        if iso3 in countries:
            rings.setdefault(iso3, []).extend(_rings(info))
    return {c.iso3: Outline(tuple(rings.get(c.iso3, ())), c.lat, c.lon) for c in countries}


def _rings(info: dict[str, Any]) -> list[np.ndarray]:
    """The exterior ring of every polygon of a record's GeoJSON (holes are not drawn)."""
    out = []
    for feature in (info.get("geoJSON") or {}).get("features", []):
        geom = feature.get("geometry") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        out.extend(np.asarray(p[0], dtype=float) for p in polys if p and len(p[0]) > 2)
    return out
