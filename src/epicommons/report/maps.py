"""World choropleth maps drawn from the country outlines that ship with the `countryinfo` package.

Outlines are countryinfo's GeoJSON (about 170 countries); countries it has no outline for are drawn
as dots at their representative coordinate, so small island states are never silently missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

from ._svg import new_figure, to_svg

NO_DATA = "#e6e6e6"


@cache
def outlines() -> dict[str, tuple[list[np.ndarray], tuple[float, float] | None]]:
    """ISO3 -> (list of exterior rings as (n, 2) lon/lat arrays, representative (lat, lon))."""
    out: dict[str, tuple[list[np.ndarray], tuple[float, float] | None]] = {}
    for entry in files("countryinfo").joinpath("data").iterdir():
        if not entry.name.endswith(".json"):
            continue
        info = json.loads(entry.read_text(encoding="utf-8"))
        iso3 = (info.get("ISO") or {}).get("alpha3")
        if not iso3:
            continue
        rings: list[np.ndarray] = []
        for feature in (info.get("geoJSON") or {}).get("features", []):
            geom = feature.get("geometry") or {}
            polys = geom.get("coordinates", [])
            if geom.get("type") == "Polygon":
                polys = [polys]
            rings.extend(np.asarray(p[0], dtype=float) for p in polys if p and len(p[0]) > 2)
        latlng = info.get("latlng")
        point = (float(latlng[0]), float(latlng[1])) if latlng and len(latlng) == 2 else None
        out[iso3] = (rings, point)
    return out


def choropleth(
    values: Mapping[str, float],
    *,
    title: str = "",
    label: str = "",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    highlight: str | None = None,
) -> str:
    """A world map with each country (ISO3 key) coloured by its value; others grey. Inline SVG.

    `highlight` outlines one country in red (e.g. the source of an outbreak).
    """
    finite = np.array([v for v in values.values() if v is not None and np.isfinite(v)], float)
    norm = Normalize(
        vmin if vmin is not None else (finite.min() if finite.size else 0.0),
        vmax if vmax is not None else (finite.max() if finite.size else 1.0),
    )
    colours = colormaps[cmap]
    fig, ax = new_figure(width=8.0, height=3.4)
    polys, faces, dots = [], [], []
    for iso3, (rings, point) in outlines().items():
        v = values.get(iso3)
        face = colours(norm(v)) if v is not None and np.isfinite(v) else NO_DATA
        if rings:
            polys.extend(rings)
            faces.extend([face] * len(rings))
        elif point is not None and v is not None:
            dots.append((point[1], point[0], face))
    countries = PolyCollection(polys, facecolors=faces, edgecolors="white", linewidths=0.2)
    countries.set_gid("countries")
    ax.add_collection(countries)
    if dots:
        xs, ys, cs = zip(*dots, strict=True)
        ax.scatter(xs, ys, c=list(cs), s=9, edgecolors="0.4", linewidths=0.3, zorder=3, gid="dots")
    if highlight and highlight in outlines():
        rings, point = outlines()[highlight]
        hl = PolyCollection(rings, facecolors="none", edgecolors="#d62728", linewidths=1.2)
        ax.add_collection(hl)
        if not rings and point is not None:
            ax.plot(point[1], point[0], "o", mfc="none", mec="#d62728", ms=6)
    ax.set(xlim=(-170, 190), ylim=(-58, 84), aspect="equal", title=title)
    ax.set_axis_off()
    bar = fig.colorbar(ScalarMappable(norm, colours), ax=ax, shrink=0.6, pad=0.01)
    bar.set_label(label)
    return to_svg(fig)
