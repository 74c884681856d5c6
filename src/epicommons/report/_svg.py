"""Render a matplotlib figure to an inline SVG string (no files, no fonts fetched, no JavaScript)."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FuncFormatter,
    LogFormatter,
    MaxNLocator,
    NullFormatter,
    ScalarFormatter,
)

from .format import tick, unit  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # keep text as text: smaller, selectable, searchable
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "date.converter": "concise",  # "Sep", "15", ..., "2026-Nov" instead of overlapping dates
    }
)


def new_figure(width: float = 7.0, height: float = 3.2) -> tuple[Figure, object]:
    """A figure with one axes, sized in inches."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def legend(fig: Figure, ax: object, columns: int = 4) -> None:
    """The axes' legend below the figure, outside the plot, so it never covers data."""
    handles, labels = ax.get_legend_handles_labels()  # type: ignore[attr-defined]
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(columns, len(handles)),
            frameon=False,
            fontsize=8,
        )


def whole_numbers(axis: object, ticks: int | str = "auto") -> None:
    """Ticks on whole numbers only (days, weeks): no "2.5" on a day axis; at most `ticks`."""
    axis.set_major_locator(MaxNLocator(nbins=ticks, integer=True))  # type: ignore[attr-defined]


def _readable_ticks(fig: Figure) -> None:
    """Number ticks as people write them (250,000; 20 million), never 1e7 or 10^8.

    A linear axis reaching a million counts in millions (or billions): ticks 0, 5, 10 and
    "(millions)" after its label, so long tick labels do not run into each other. Date,
    category and already custom tick labels are left alone.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            major = axis.get_major_formatter()
            if isinstance(axis.get_minor_formatter(), LogFormatter):
                axis.set_minor_formatter(NullFormatter())
            if not isinstance(major, ScalarFormatter | LogFormatter):
                continue
            low, high = axis.get_view_interval()
            big = unit(max(abs(low), abs(high))) if axis.get_scale() == "linear" else None
            if big is None:
                axis.set_major_formatter(FuncFormatter(tick))
                continue
            size, word = big
            axis.set_major_formatter(FuncFormatter(lambda v, _p, size=size: tick(v / size)))
            label = axis.get_label_text()
            axis.set_label_text(f"{label} ({word}s)" if label else f"{word}s")


_PATH = re.compile(r' d="([^"]*)"')
_DECIMALS = re.compile(r"(\d\.\d)\d+")
_LINES_ONLY = frozenset("MLZz")


def _tenths(n: int) -> str:
    """n tenths of a point, shortest: 12 -> '1.2', 10 -> '1', -3 -> '-.3'."""
    text = f"{n / 10:.1f}".removesuffix(".0")
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def _compact_path(d: str) -> str:
    """A path of straight lines rewritten with relative moves in tenths of a point.

    'M 390.4 99.3 L 389.9 100.0 ...' becomes 'M390.4 99.3l-.5.7...': the same drawing at
    0.1 pt (invisible on screen) in about half the bytes; repeated points are dropped.
    Paths with curves are only cut to one decimal.
    """
    tokens = d.split()
    if not {t for t in tokens if t.isalpha()} <= _LINES_ONLY:
        return _DECIMALS.sub(r"\1", d)
    out: list[str] = []
    last = ""
    start = cur = (0, 0)
    i = 0

    def put(cmd: str, *numbers: int) -> None:
        nonlocal last
        text = cmd if cmd != last or cmd in "Mm" else ""
        for n in numbers:
            word = _tenths(n)
            text += word if not text or word.startswith("-") or text[-1].isalpha() else " " + word
        out.append(text)
        last = cmd

    while i < len(tokens):
        cmd = tokens[i]
        if cmd in "Zz":
            put("z")
            cur, i = start, i + 1
            continue
        x, y = round(float(tokens[i + 1]) * 10), round(float(tokens[i + 2]) * 10)
        i += 3
        if cmd == "M":
            put("M", x, y)
            start = (x, y)
        elif (x, y) != cur:
            put("l", x - cur[0], y - cur[1])
        cur = (x, y)
    text = ""
    for piece in out:  # pieces of one command run continue the run: keep a separator
        if text and piece[0] not in "-Mlmz" and not text[-1].isalpha():
            text += " "
        text += piece
    return text


def to_svg(fig: Figure) -> str:
    """The figure as an `<svg>` element, without the XML prologue, ready to inline in HTML.

    Number ticks are written for people (see `_readable_ticks`); path coordinates are kept to
    0.1 pt, written relative (see `_compact_path`), which makes maps about a third the size.
    """
    _readable_ticks(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return _PATH.sub(lambda m: f' d="{_compact_path(m.group(1))}"', svg[svg.index("<svg") :])
