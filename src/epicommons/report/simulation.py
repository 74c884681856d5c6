"""The `simulate` report: epidemic curves with bands, maps of arrival and attack rate, a table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from epicommons.model.results import Results

from .charts import Panel, small_multiples
from .figures import band_chart
from .format import count
from .page import Page
from .tables import COUNT, NUMBER, PERCENT, Column, with_names

TOP = 12  # countries drawn as small multiples
ROWS = 30  # countries in the table
BAND = (0.5, 0.05, 0.95)  # the median and the band's edges, over runs


def simulation_page(
    results: Results,
    *,
    names: Mapping[str, str] | None = None,
    title: str = "Simulated epidemic",
    subtitle: str = "",
) -> Page:
    """A page from an ensemble's `Results`: new infections per day worldwide and in the countries
    with most infections (median and 5-95% band over runs), world maps of median arrival day and
    median attack rate, and the per-country table.

    New infections are entries into the first infected compartment (E in SEIR models).
    """
    names = names or {}
    first = results.infected[0] if results.infected else results.compartments[1]
    k = results.compartments.index(first)
    days = np.arange(results.days)
    page = Page(
        title,
        subtitle
        or f"{results.runs} {results.engine} runs over {results.days} days from {results.start}.",
    )

    sec = page.section("Epidemic curves")
    world = results.world_incidence[..., k]  # (runs, days)
    total = world.sum(axis=1)
    sec.text(
        f"Infections over the horizon: median {count(np.median(total))} "
        f"(5-95%: {count(np.quantile(total, 0.05))} to {count(np.quantile(total, 0.95))})."
    )
    sec.figure(
        band_chart(
            days,
            {"worldwide": _band(world)},
            title="New infections per day, worldwide",
            xlabel="day",
            ylabel="infections",
            log=True,
        ),
        "Median and 5-95% range over runs.",
    )
    order = np.argsort(-results.incidence_mean[:, :, k].sum(axis=0), kind="stable")[:TOP]
    mid_all, lo_all, hi_all = (results.daily_quantile("incidence", q)[..., k] for q in BAND)
    panels = {}
    for g in order:
        mid, lo, hi = mid_all[:, g], lo_all[:, g], hi_all[:, g]
        code = results.countries[g]
        panels[names.get(code, code)] = Panel(days, mid, lo, hi)
    sec.figure(
        small_multiples(panels, ylabel="per day", band_labels=("5-95%", "")),
        f"New infections per day in the {len(panels)} countries with most infections: "
        "median and 5-95% band over runs.",
    )

    table = results.country_table()
    sec = page.section("Maps")
    sec.map(
        table,
        "country",
        "arrival_day_median",
        "Grey: not reached in at least half of the runs.",
        title="Median arrival day",
        label="day",
        cmap="magma",
        vmin=0.0,
        vmax=float(results.days),
    )
    sec.map(
        table,
        "country",
        "attack_rate_median",
        "Infections that happened in the country, as a share of the people at risk there.",
        title="Median attack rate",
        label="share of people at risk infected",
        vmin=0.0,
        percent=True,
    )

    sec = page.section("Countries")
    columns: dict[str, Column | str] = {
        "country": "code",
        "name": "country",
        "population": Column("population", COUNT),
        "runs_reached": Column("runs reached", PERCENT),
        "arrival_day_median": Column("arrival day (median)", NUMBER),
    }
    for c in table:
        if c.startswith("arrival_day_q") and c != "arrival_day_q50":
            columns[c] = Column(f"arrival day, {c.removeprefix('arrival_day_q')}%", NUMBER)
    columns["attack_rate_mean"] = Column("attack rate (mean)", PERCENT)
    columns["attack_rate_median"] = Column("attack rate (median)", PERCENT)
    sec.table(
        with_names(table.head(ROWS), names),
        "Countries by median arrival day (day after the start; blank: not reached in enough "
        "runs); attack rate: share of the people at risk there who were infected there.",
        columns,
    )
    return page


def _band(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 5-95% quantiles over runs (axis 0)."""
    mid, lo, hi = np.quantile(x, BAND, axis=0)
    return mid, lo, hi
