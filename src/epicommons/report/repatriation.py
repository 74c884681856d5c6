"""The `repatriate` report: who returns when, quarantine occupancy against places, who waits."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .figures import band_chart, bar_chart
from .page import Page


def repatriation_page(
    tables: Mapping[str, pd.DataFrame],
    *,
    title: str = "Repatriation plan",
    subtitle: str = "",
    names: Mapping[str, str] | None = None,
) -> Page:
    """A page from `explain_schedule`'s tables (schedule, flights, quarantine, remaining)."""
    names = names or {}
    flights, quarantine = tables["flights"], tables["quarantine"]
    remaining, schedule = tables["remaining"], tables["schedule"]
    page = Page(title, subtitle)
    page.sources.append("Scheduled with HiGHS (mixed-integer programme, scipy.optimize).")

    sec = page.section("Who returns")
    operated = flights[flights["operated"].astype(bool)]
    sec.text(
        f"{int(operated['passengers'].sum()):,} people return on {len(operated)} of "
        f"{len(flights)} candidate flights; {int(remaining['remaining'].sum()):,} still wait; "
        f"{operated['expected_infections'].sum():.2f} infections expected among the returnees."
    )
    by_country = remaining.groupby("country", sort=False)[["returned", "remaining"]].sum()
    sec.figure(
        bar_chart(
            [names.get(c, c) for c in by_country.index],
            {"returned": by_country["returned"], "still waiting": by_country["remaining"]},
            title="Nationals returned and still waiting, by country",
            ylabel="people",
        )
    )
    sec.table(remaining, "Per country and priority group.")

    sec = page.section("Quarantine places")
    days = quarantine["day"].to_numpy()
    sec.figure(
        band_chart(
            days,
            {
                "occupied": (quarantine["occupied"].to_numpy(float), None, None),
                "places": (quarantine["places"].to_numpy(float), None, None),
            },
            title="Quarantine occupancy against places",
            xlabel="day",
            ylabel="people",
        ),
        f"Peak occupancy {int(np.max(quarantine['occupied'].to_numpy(), initial=0)):,} people.",
    )

    sec = page.section("Flights")
    sec.table(flights, "Every candidate flight; operated ones carry the schedule below.")
    sec.table(schedule, "Seats given per flight and priority group.")
    return page
