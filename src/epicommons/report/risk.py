"""The `risk` report: where an outbreak at a source country is imported, how likely and how soon."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .charts import scatter_chart
from .page import Page
from .tables import NUMBER, PERCENT, Column, with_names

TOP = 25  # destinations in the table
COLUMNS = {  # risk.csv's columns as the page and the terminal summary show them
    "destination": "code",
    "name": "destination",
    "expected_importations": Column("expected importations", NUMBER),
    "p_at_least_one": Column("chance of at least one", PERCENT),
    "arrival_day_median": Column("arrival day (median)", NUMBER),
    "arrival_day_q05": Column("arrival day, 5%", NUMBER),
    "arrival_day_q95": Column("arrival day, 95%", NUMBER),
    "beyond_horizon": "beyond the horizon",
    "effective_distance": Column("effective distance", NUMBER),
}


def top_destinations(
    table: pd.DataFrame, names: Mapping[str, str], rows: int = TOP
) -> pd.DataFrame:
    """The first rows of the risk table with the destinations' names, to show with COLUMNS."""
    return with_names(table.head(rows), names, "destination")


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
    sec.map(
        table,
        "destination",
        "p_at_least_one",
        f"Source outlined in red ({src}).",
        title=f"Chance of at least one importation within {days} days",
        label="chance",
        vmin=0.0,
        vmax=1.0,
        highlight=source,
        percent=True,
    )
    sec.map(
        table,
        "destination",
        "arrival_day_median",
        f"Grey: beyond the {days}-day horizon (probability of an importation below 50%).",
        title="Median day of the first importation",
        label="days",
        cmap="magma",
        vmin=0.0,
        vmax=float(days),
        highlight=source,
    )

    sec = page.section("Most exposed destinations")
    top = top_destinations(table, names)
    sec.table(
        top,
        f"The {len(top)} destinations with most expected importations; arrival days are the "
        "median and 5%/95% quantiles of the day of first importation over all runs (blank: "
        "beyond the horizon, as the last column says).",
        COLUMNS,
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
