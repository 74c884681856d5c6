"""Render a matplotlib figure to an inline SVG string (no files, no fonts fetched, no JavaScript)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # keep text as text: smaller, selectable, searchable
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }
)


def new_figure(width: float = 7.0, height: float = 3.2) -> tuple[Figure, object]:
    """A figure with one axes, sized in inches."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def to_svg(fig: Figure) -> str:
    """The figure as an `<svg>` element, without the XML prologue, ready to inline in HTML."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]
