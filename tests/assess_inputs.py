"""Assessment inputs for tests: members' JHU daily counts (real data, read in place) as they
would have been reported day by day (the seeded revision process), with stocks and pledges."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd

from epicommons.assess import AssessmentInputs
from epicommons.surveillance import read_jhu
from epicommons.surveillance.revision_process import as_known, final_counts, simulate_reports

__all__ = ["as_known", "simulate_reports"]

# 18 members with epidemics in late 2020, and two (Tonga, Kiribati) that reported no case then
MEMBERS = (
    "AUT", "BEL", "CHE", "CZE", "DEU", "DNK", "ESP", "FIN", "FRA", "GRC",
    "HUN", "IRL", "ITA", "NLD", "NOR", "POL", "PRT", "SWE", "TON", "KIR",
)  # fmt: skip
START, END = "2020-08-01", "2021-02-28"
JHU = "jhu_csse_covid19/time_series_covid19_confirmed_global.csv"


def final(shared_data: Path, members=MEMBERS) -> pd.DataFrame:
    """The members' daily counts as JHU has them (the values later known)."""
    return final_counts(read_jhu(shared_data / JHU), members, START, END)


def stocks(as_of: datetime.date, members=MEMBERS) -> pd.DataFrame:
    """Test kits in stock, reported 11 days before the as-of date: a month of the WHO-adequate
    20 tests a case at 2,000 cases a day for the first half of the members, nothing reported for
    the rest (the allocator's clients)."""
    half = list(members[: len(members) // 2])
    return pd.DataFrame(
        {
            "location": half,
            "item": "test_kit",
            "quantity": 20 * 2_000 * 28.0,
            "date": (as_of - datetime.timedelta(days=11)).isoformat(),
        }
    )


PLEDGES = pd.DataFrame(
    {
        "donor": ["EU", "World Bank", "EU"],
        "item": ["test_kit", "test_kit", "ventilator"],
        "pledged": [5e6, 2e6, 100.0],
        "delivered": [1e6, 0.0, 40.0],
    }
)


def inputs(triangle: pd.DataFrame, as_of: datetime.date, members=MEMBERS) -> AssessmentInputs:
    """The inputs as known on `as_of`."""
    return AssessmentInputs(
        as_of, tuple(members), as_known(triangle, as_of), stocks(as_of, members), PLEDGES
    )


def triangle(shared_data: Path, seed: int = 7) -> pd.DataFrame:
    """The members' reports, day by day."""
    return simulate_reports(final(shared_data), seed=seed)
