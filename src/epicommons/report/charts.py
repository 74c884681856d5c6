"""More chart kinds for command reports: small multiples with bands, intervals, scatter, bullets.

Each returns an inline SVG string, like `figures.py`; matplotlib draws, nothing is fetched.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._svg import legend, to_svg, whole_numbers
from .figures import PALETTE

MARKERS = ("D", "s", "^", "v", "P", "X")


@dataclass(frozen=True)
class Panel:
    """One small multiple: a central line, an outer band and an optional inner band."""

    x: Sequence | np.ndarray
    mid: np.ndarray
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    inner_lo: np.ndarray | None = None
    inner_hi: np.ndarray | None = None


def small_multiples(
    panels: Mapping[str, Panel],
    *,
    columns: int = 3,
    ylabel: str = "",
    hline: float | None = None,
    clip_quantile: float | None = None,
    log: bool = False,
    band_labels: tuple[str, str] = ("95% band", "50% band"),
) -> str:
    """One small chart per panel in a grid, each with its own y range. Inline SVG.

    `hline` draws a dashed reference (Rt = 1); `clip_quantile` caps each y axis at that quantile
    of the band's upper edge, so early windows with huge bands do not flatten the rest.
    """
    n = max(len(panels), 1)
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    fig = Figure(figsize=(2.6 * columns + 0.6, 1.9 * rows + 0.3), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, (title, p) in zip(axes.flat, panels.items(), strict=False):
        if p.lo is not None and p.hi is not None:
            ax.fill_between(
                p.x, p.lo, p.hi, color=PALETTE[0], alpha=0.18, lw=0, label=band_labels[0]
            )
        if p.inner_lo is not None and p.inner_hi is not None:
            ax.fill_between(
                p.x, p.inner_lo, p.inner_hi, color=PALETTE[0], alpha=0.3, lw=0, label=band_labels[1]
            )
        ax.plot(p.x, p.mid, color=PALETTE[0], lw=1.2)
        if hline is not None:
            ax.axhline(hline, color="0.25", ls="--", lw=0.7)
        if clip_quantile is not None and p.hi is not None:
            upper = np.asarray(p.hi, float)
            upper = upper[np.isfinite(upper)]
            if upper.size:
                top = max(2.0 * (hline or 1.0), float(np.quantile(upper, clip_quantile)))
                ax.set_ylim(0.0, top * 1.05)
        if log:
            ax.set_yscale("symlog", linthresh=1.0)
        if np.issubdtype(np.asarray(p.x).dtype, np.integer):
            whole_numbers(ax.xaxis, ticks=5)
        ax.set_title(textwrap.fill(title, 30), fontsize=9)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    return to_svg(fig)


def interval_chart(
    labels: Sequence[str],
    series: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    title: str = "",
    xlabel: str = "",
) -> str:
    """Horizontal bars of an estimate with its interval, one row per label, one colour per series.

    `series[name] = (estimate, low, high)`; a line marks zero (no effect). Inline SVG.
    """
    n, k = len(labels), max(len(series), 1)
    pos = np.arange(n)
    height = 0.8 / k
    fig = Figure(figsize=(7.0, max(2.4, 0.25 * n * max(1, k / 2) + 0.9)), layout="constrained")
    ax = fig.add_subplot()
    for i, (colour, (name, (mid, lo, hi))) in enumerate(
        zip(PALETTE * 10, series.items(), strict=False)
    ):
        mid, lo, hi = (np.asarray(a, float) for a in (mid, lo, hi))
        y = pos - 0.4 + height * (i + 0.5)
        err = np.vstack([np.clip(mid - lo, 0, None), np.clip(hi - mid, 0, None)])
        err = np.nan_to_num(err)
        ax.barh(y, mid, height=height, color=colour, alpha=0.75, label=name)
        ax.errorbar(mid, y, xerr=err, fmt="none", ecolor="0.2", elinewidth=0.8, capsize=2)
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_yticks(pos, labels)
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel)
    if len(series) > 1:
        legend(fig, ax)
    return to_svg(fig)


def scatter_chart(
    x: np.ndarray,
    y: np.ndarray,
    *,
    labels: Sequence[str] = (),
    annotate: int = 0,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    fit: bool = False,
) -> str:
    """Points, the first `annotate` of them labelled where labels do not overlap; `fit` adds a
    least-squares line. SVG."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(x[ok], y[ok], s=14, color=PALETTE[0], alpha=0.7, edgecolors="none")
    if fit and ok.sum() > 2:
        slope, intercept = np.polyfit(x[ok], y[ok], 1)
        xs = np.array([x[ok].min(), x[ok].max()])
        ax.plot(xs, intercept + slope * xs, color=PALETTE[1], lw=1, ls="--", label="least squares")
        legend(fig, ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    _place_labels(
        fig, ax, [(labels[i], x[i], y[i]) for i in range(min(annotate, len(labels))) if ok[i]]
    )
    return to_svg(fig)


# label offsets tried in turn (points): right, left, above, below, then the diagonals further out
_OFFSETS = ((4, 3), (-4, 3), (0, 7), (0, -9), (6, 8), (-6, 8), (6, -10), (-6, -10), (12, 0))


def _place_labels(fig: Figure, ax: object, points: list[tuple[str, float, float]]) -> None:
    """Annotate points, each at the first offset whose text overlaps no label already placed.

    A label that fits nowhere is left out rather than drawn over another.
    """
    renderer = FigureCanvasAgg(fig).get_renderer()  # text sizes as they will be drawn
    fig.draw_without_rendering()
    placed: list = []
    for text, px, py in points:
        for dx, dy in _OFFSETS:
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            note = ax.annotate(  # type: ignore[attr-defined]
                text,
                (px, py),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=7,
                ha=ha,
                va="center",
            )
            box = note.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            note.remove()


def bullet_chart(
    labels: Sequence[str],
    need: np.ndarray,
    parts: Mapping[str, np.ndarray],
    *,
    markers: Mapping[str, np.ndarray] | None = None,
    title: str = "",
    xlabel: str = "",
) -> str:
    """Per label: need as a light bar, what was given stacked over it, other plans as markers.

    Reads as 'how much of the need each plan covers' in one glance. Inline SVG.
    """
    n = len(labels)
    pos = np.arange(n)
    fig = Figure(figsize=(7.0, max(2.4, 0.32 * n + 1.0)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(pos, need, height=0.8, color="#e3e7ec", edgecolor="#9aa3ad", lw=0.6, label="need")
    left = np.zeros(n)
    for colour, (name, values) in zip(PALETTE * 10, parts.items(), strict=False):
        values = np.asarray(values, float)
        ax.barh(pos, values, left=left, height=0.45, color=colour, label=name)
        left = left + values
    markers = markers or {}
    offsets = np.linspace(-0.25, 0.25, len(markers)) if len(markers) > 1 else [0.0]
    for marker, dy, (name, values) in zip(MARKERS * 5, offsets, markers.items(), strict=False):
        # each plan on its own line within the row, so equal values stay readable
        ax.scatter(values, pos + dy, marker=marker, s=18, color="0.15", zorder=3, label=name)
    ax.set_yticks(pos, labels)
    ax.invert_yaxis()
    ax.set(title=title, xlabel=xlabel)
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return to_svg(fig)
