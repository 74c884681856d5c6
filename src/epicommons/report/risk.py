"""The `risk` report: where an outbreak at a source country is imported, how likely and how soon."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .charts import scatter_chart
from .maps import choropleth
from .page import Page

TOP = 25  # destinations in the table
SHORT = {  # column headings that fit the page
    "expected_importations": "expected importations",
    "p_at_least_one": "P(at least one)",
    "arrival_day_median": "arrival day",
    "arrival_day_q05": "q05",
    "arrival_day_q95": "q95",
    "beyond_horizon": "beyond the horizon",
    "effective_distance": "effective distance",
}


def risk_page(
    table: pd.DataFrame,
    *,
    source: str,
    days: int,
    runs: int,
    names: Mapping[str, str] | None = None,
    subtitle: str = "",
) -> Page:
    """A page from the risk table (`epicommons risk`'s risk.csv: one row per destination).

    Maps of P(at least one importation) and median arrival day, the top destinations, and the
    effective distance from the source against the arrival day (Brockmann & Helbing 2013 show
    arrival grows about linearly with effective distance).
    """
    names = names or {}
    src = names.get(source, source)
    page = Page(f"Importation risk from an outbreak in {src}", subtitle)
    page.sources.append(
        "Country outlines: countryinfo (MIT). Effective distance: Brockmann & Helbing, "
        "Science 342 (2013)."
    )
    likely = int((table["p_at_least_one"] >= 0.5).sum())
    sec = page.section("Where and how soon")
    sec.text(
        f"Over {days} days and {runs} runs, {likely} of {len(table)} destination countries import "
        "at least one infection with probability 50% or more: those are the ones whose median "
        "day of first importation falls within the horizon."
    )
    p1 = dict(zip(table["destination"], table["p_at_least_one"], strict=True))
    sec.figure(
        choropleth(
            p1,
            title=f"Probability of at least one importation within {days} days",
            label="probability",
            vmin=0.0,
            vmax=1.0,
            highlight=source,
        ),
        f"Source outlined in red ({src}).",
    )
    arrival = dict(zip(table["destination"], table["arrival_day_median"], strict=True))
    sec.figure(
        choropleth(
            arrival,
            title="Median day of the first importation",
            label="days",
            cmap="magma",
            vmin=0.0,
            vmax=float(days),
            highlight=source,
        ),
        f"Grey: beyond the {days}-day horizon (probability of an importation below 50%).",
    )

    sec = page.section("Most exposed destinations")
    top = table.head(TOP).copy()
    top.insert(1, "name", [names.get(c, c) for c in top["destination"]])
    sec.table(
        top.rename(columns=SHORT),
        f"The {len(top)} destinations with most expected importations; arrival days are the "
        "median and 5%/95% quantiles of the day of first importation over all runs (blank: "
        "beyond the horizon, as the last column says).",
    )

    sec = page.section("Effective distance and arrival")
    ok = np.isfinite(table["effective_distance"]) & np.isfinite(table["arrival_day_median"])
    if ok.sum() >= 3:
        r = float(
            np.corrcoef(table.loc[ok, "effective_distance"], table.loc[ok, "arrival_day_median"])[
                0, 1
            ]
        )
        sec.text(
            f"Across the {int(ok.sum())} reached destinations, the median arrival day and the "
            f"effective distance from {src} correlate with r = {r:.2f}."
        )
    sec.figure(
        scatter_chart(
            table["effective_distance"].to_numpy(float),
            table["arrival_day_median"].to_numpy(float),
            labels=[names.get(c, c) for c in table["destination"]],
            annotate=8,
            fit=True,
            title="Arrival day against effective distance",
            xlabel=f"effective distance from {src}",
            ylabel="median arrival day",
        ),
        "One point per reached destination; the eight most exposed are labelled.",
    )
    return page
