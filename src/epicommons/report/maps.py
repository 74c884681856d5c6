"""Choropleth maps from the country outlines `world.outlines` provides (countryinfo's GeoJSON).

Countries without an outline are drawn as dots at their coordinate, so small island states are
never silently missing. A map of a few countries zooms to them; a map of many shows the world.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.ticker import FuncFormatter

from epicommons.world.outlines import Outline, outlines

from ._svg import new_figure, to_svg
from .format import percent_tick

NO_DATA = "#e6e6e6"
TAG = "country-"  # the id of a tagged country's group of shapes: country-FRA
WORLD = (-170.0, -58.0, 190.0, 84.0)  # lon/lat shown when the map is not zoomed
ZOOM_UP_TO = 30  # countries on a map from which it shows the whole world
MARGIN = 0.12  # share of the zoomed extent added around it (at least MIN_MARGIN degrees)
MIN_MARGIN = 3.0
WIDTH = 8.0  # inches


def choropleth(
    values: Mapping[str, float],
    *,
    title: str = "",
    label: str = "",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    highlight: str | None = None,
    percent: bool = False,
    zoom: bool = False,
    tagged: bool = False,
) -> str:
    """A map with each country (ISO3 key) coloured by its value; others grey. Inline SVG.

    With `zoom` and at most `ZOOM_UP_TO` countries given (with or without a value), the map
    shows those countries; otherwise the world.
    `highlight` outlines one country in red (e.g. the source of an outbreak); `percent`
    labels the colour bar as percentages (for shares in [0, 1]). With `tagged`, each country
    given has its shapes in a group of its own, so `without` can blank it later.
    """
    shapes = outlines()
    finite = np.array([v for v in values.values() if v is not None and np.isfinite(v)], float)
    norm = Normalize(
        vmin if vmin is not None else (finite.min() if finite.size else 0.0),
        vmax if vmax is not None else (finite.max() if finite.size else 1.0),
    )
    colours = colormaps[cmap]
    x0, y0, x1, y1 = extent([shapes[c] for c in values if c in shapes]) if zoom else WORLD
    height = float(np.clip(0.85 * WIDTH * (y1 - y0) / (x1 - x0) + 0.5, 3.0, 6.0))
    fig, ax = new_figure(width=WIDTH, height=height)
    polys, faces, dots = [], [], []
    for iso3, shape in shapes.items():
        v = values.get(iso3)
        face = colours(norm(v)) if v is not None and np.isfinite(v) else NO_DATA
        rings = [r for r in shape.rings if _overlaps(r, (x0, y0, x1, y1))]
        own = tagged and iso3 in values
        if rings and own:
            _polygons(ax, rings, [face] * len(rings), f"{TAG}{iso3}")
        elif rings:
            polys.extend(rings)
            faces.extend([face] * len(rings))
        elif not shape.rings and v is not None and x0 <= shape.lon <= x1 and y0 <= shape.lat <= y1:
            if own:
                _dots(ax, [(shape.lon, shape.lat, face)], f"{TAG}{iso3}")
            else:
                dots.append((shape.lon, shape.lat, face))
    _polygons(ax, polys, faces, "countries")
    if dots:
        _dots(ax, dots, "dots")
    if highlight and highlight in shapes:
        shape = shapes[highlight]
        ax.add_collection(
            PolyCollection(shape.rings, facecolors="none", edgecolors="#d62728", linewidths=1.2)
        )
        if not shape.rings:
            ax.plot(shape.lon, shape.lat, "o", mfc="none", mec="#d62728", ms=6)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal", title=title)
    ax.set_axis_off()
    bar = fig.colorbar(ScalarMappable(norm, colours), ax=ax, shrink=0.6, pad=0.01)
    if percent:
        bar.ax.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    bar.set_label(label)
    return to_svg(fig)


def _polygons(ax, rings: list[np.ndarray], faces: list, gid: str) -> None:  # type: ignore[no-untyped-def]
    collection = PolyCollection(rings, facecolors=faces, edgecolors="white", linewidths=0.2)
    collection.set_gid(gid)
    ax.add_collection(collection)


def _dots(ax, dots: list[tuple[float, float, object]], gid: str) -> None:  # type: ignore[no-untyped-def]
    xs, ys, cs = zip(*dots, strict=True)
    ax.scatter(xs, ys, c=list(cs), s=9, edgecolors="0.4", linewidths=0.3, zorder=3, gid=gid)


_FILL = re.compile(r"fill: #[0-9a-fA-F]{6}")


def without(svg: str, countries: Iterable[str]) -> str:
    """A `tagged` map with these countries drawn as no data: their colour, hence their value,
    is gone from the SVG (a page shows a map to someone who may not read every country)."""
    for iso3 in countries:
        start = svg.find(f'<g id="{TAG}{iso3}">')
        while start >= 0:  # a country's shapes and its dot, if both are drawn
            indent = start - svg.rfind("\n", 0, start) - 1
            end = svg.index("\n" + " " * indent + "</g>", start)
            svg = svg[:start] + _FILL.sub(f"fill: {NO_DATA}", svg[start:end]) + svg[end:]
            start = svg.find(f'<g id="{TAG}{iso3}">', end)
    return svg


def extent(shapes: list[Outline]) -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) framing a few countries, else the world.

    The frame is widened by a margin and to at least a 1.6:1 landscape, and never exceeds
    the world frame.
    """
    if not shapes or len(shapes) > ZOOM_UP_TO:
        return WORLD
    bounds = np.array([s.bounds() for s in shapes])
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    dx = max(MARGIN * (x1 - x0), MIN_MARGIN)
    dy = max(MARGIN * (y1 - y0), MIN_MARGIN)
    x0, x1, y0, y1 = x0 - dx, x1 + dx, y0 - dy, y1 + dy
    if (x1 - x0) < 1.6 * (y1 - y0):  # tall: widen around the centre
        half = 0.8 * (y1 - y0)
        mid = (x0 + x1) / 2
        x0, x1 = mid - half, mid + half
    wx0, wy0, wx1, wy1 = WORLD
    if x1 - x0 >= 0.8 * (wx1 - wx0):
        return WORLD
    return max(x0, wx0), max(y0, wy0), min(x1, wx1), min(y1, wy1)


def _overlaps(ring: np.ndarray, frame: tuple[float, float, float, float]) -> bool:
    """Whether a ring's bounding box meets the frame (rings outside it are not drawn)."""
    (rx0, ry0), (rx1, ry1) = ring.min(axis=0), ring.max(axis=0)
    x0, y0, x1, y1 = frame
    return rx1 >= x0 and rx0 <= x1 and ry1 >= y0 and ry0 <= y1
