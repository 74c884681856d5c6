"""The `repatriate` report: who returns when, quarantine occupancy against places, who waits."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .figures import band_chart, bar_chart
from .format import count, number
from .page import Page
from .tables import COUNT, NUMBER, PERCENT, Column

REMAINING_COLUMNS = {
    "country": "country",
    "group": "priority group",
    "waiting": Column("waiting", COUNT),
    "returned": Column("returned", COUNT),
    "remaining": Column("still waiting", COUNT),
}
FLIGHT_COLUMNS = {
    "flight": "flight",
    "origin": "from",
    "day": Column("day", COUNT),
    "seats": Column("seats", COUNT),
    "operated": "operated",
    "passengers": Column("passengers", COUNT),
    "load_factor": Column("seats filled", PERCENT),
    "expected_infections": Column("expected infections", NUMBER),
    "cost": Column("cost", COUNT),
}
SCHEDULE_COLUMNS = {
    "flight": "flight",
    "origin": "from",
    "day": Column("day", COUNT),
    "group": "priority group",
    "people": Column("people", COUNT),
}


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
        f"{count(operated['passengers'].sum())} people return on {len(operated)} of "
        f"{len(flights)} candidate flights; {count(remaining['remaining'].sum())} still wait; "
        f"{number(operated['expected_infections'].sum())} infections expected among the "
        "returnees."
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
    sec.table(remaining, "Per country and priority group.", REMAINING_COLUMNS)

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
        f"Peak occupancy {count(np.max(quarantine['occupied'].to_numpy(), initial=0))} people.",
    )

    sec = page.section("Flights")
    sec.table(
        flights, "Every candidate flight; operated ones carry the schedule below.", FLIGHT_COLUMNS
    )
    sec.table(schedule, "Seats given per flight and priority group.", SCHEDULE_COLUMNS)
    return page
