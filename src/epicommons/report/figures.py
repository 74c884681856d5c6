"""Charts an analyst reads first: a median curve with its uncertainty band, and bar charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._svg import legend, new_figure, to_svg, whole_numbers

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def band_chart(
    x: Sequence | np.ndarray,
    series: Mapping[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    hline: float | None = None,
    log: bool = False,
) -> str:
    """Lines with shaded bands: `series[label] = (central, low, high)`; low/high may be None.

    Returns an inline SVG string. `hline` draws a dashed reference line (e.g. Rt = 1); a
    whole-number x (days, weeks) gets whole-number ticks; the legend sits below the plot.
    """
    fig, ax = new_figure()
    for colour, (label, (mid, lo, hi)) in zip(PALETTE * 10, series.items(), strict=False):
        ax.plot(x, mid, color=colour, lw=1.6, label=label)
        if lo is not None and hi is not None:
            ax.fill_between(x, lo, hi, color=colour, alpha=0.2, lw=0)
    if hline is not None:
        ax.axhline(hline, color="0.3", ls="--", lw=0.8)
    if log:
        ax.set_yscale("symlog", linthresh=1.0)
    if np.issubdtype(np.asarray(x).dtype, np.integer):
        whole_numbers(ax.xaxis)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(series) > 1:
        legend(fig, ax)
    return to_svg(fig)


def bar_chart(
    labels: Sequence[str],
    groups: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    ylabel: str = "",
    horizontal: bool = False,
) -> str:
    """Grouped bars: one group of bars per label, one colour per key of `groups`. Inline SVG."""
    n, k = len(labels), max(len(groups), 1)
    pos = np.arange(n)
    width = 0.8 / k
    fig, ax = new_figure(height=max(3.2, 0.22 * n) if horizontal else 3.2)
    for i, (colour, (name, values)) in enumerate(zip(PALETTE * 10, groups.items(), strict=False)):
        offset = pos - 0.4 + width * (i + 0.5)
        if horizontal:
            ax.barh(offset, values, height=width, color=colour, label=name)
        else:
            ax.bar(offset, values, width=width, color=colour, label=name)
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        ax.set_xticks(pos, labels, rotation=60 if n > 8 else 0, ha="right" if n > 8 else "center")
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(groups) > 1:
        legend(fig, ax)
    return to_svg(fig)
