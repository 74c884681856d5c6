"""The dashboard's figures, drawn by the report toolkit as inline SVG (offline, no JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from epicommons.report import band_chart, bar_chart, choropleth

from .data import seven_day_mean


def epicurve(series: pd.Series, what: str, title: str = "") -> str:
    """Daily counts with their trailing 7-day mean."""
    return band_chart(
        series.index.to_numpy(),
        {
            f"daily {what}": (series.to_numpy(), None, None),
            "7-day mean": (seven_day_mean(series), None, None),
        },
        title=title,
        ylabel=what,
    )


def rt_chart(estimates: Sequence[Mapping], title: str = "") -> str:
    """Rt (posterior mean) with its 95% credible band, by the last day of each window."""

    def column(key: str) -> np.ndarray:
        return np.array([np.nan if e[key] is None else e[key] for e in estimates], float)

    days = np.array([e["date_end"] for e in estimates], dtype="datetime64[D]")
    return band_chart(
        days,
        {"Rt, mean and 95% credible interval": (column("mean"), column("q025"), column("q975"))},
        title=title,
        ylabel="Rt",
        hline=1.0,
    )


def world_map(values: Mapping[str, float], label: str, cmap: str, **limits: float) -> str:
    """A world choropleth of one value per member country."""
    return choropleth(values, label=label, cmap=cmap, **limits)


def pledged_delivered(
    labels: Sequence[str], pledged: Sequence[float], delivered: Sequence[float]
) -> str:
    """Pledged against delivered quantities, one pair of bars per label."""
    return bar_chart(
        labels,
        {"pledged": pledged, "delivered": delivered},
        ylabel="quantity",
        horizontal=True,
    )
