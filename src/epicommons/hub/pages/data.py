"""What the pages read, always through the access layer's SQL conditions (`hub/access.py`).

Page routes never query members' data but through `may_read` and `readable_members` here or
through the services (`hub.events`, `hub.ledger`, `hub.sharing`), the rules the API applies;
summaries are pure functions of the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import not_, select
from sqlalchemy.orm import Session

from epicommons.world.population import FIRST_YEAR, LAST_YEAR, has_population, population

from ..access import Principal, may_read, readable_members
from ..models import Member
from ..reports import value_rows
from .auth import PageError

MAX_VALUES = 200_000
COLUMNS = ["member", "date", "indicator", "item", "value"]


def member_named(session: Session, code: str, caller: Principal) -> Member:
    """The member a page path names; 404 page if there is none."""
    member = session.scalar(select(Member).where(Member.code == code[:12]))
    if member is None:
        raise PageError(404, f"There is no member {code[:12]!r}.", caller=caller)
    return member


def require_reports(session: Session, caller: Principal, member: Member) -> None:
    """403 page unless the caller may read the member's reports (own, granted or coordinator)."""
    if not may_read(session, caller, member.id, "reports"):
        raise PageError(
            403,
            f"{member.name} ({member.code}) has not shared its reports with you.",
            caller=caller,
        )


def values(
    session: Session,
    condition: object,
    *,
    indicator: str | None = None,
    start: dt.date | None = None,
    as_of: dt.date | dt.datetime | None = None,
) -> pd.DataFrame:
    """Stored values matching an access condition (as known at `as_of`: None, the current
    ones), as a table (member, date, indicator, item, value)."""
    rows = value_rows(
        session,
        condition,
        indicator=indicator,
        start=start,
        end=None,
        limit=MAX_VALUES,
        offset=0,
        as_of=as_of,
    )
    return pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=COLUMNS)


def readable(session: Session, caller: Principal) -> list[Member]:
    """Members whose reports the caller reads (itself, partners that granted it, or all)."""
    return list(
        session.scalars(
            select(Member).where(readable_members(caller, "reports")).order_by(Member.code)
        )
    )


def unreadable(session: Session, caller: Principal) -> list[Member]:
    """Members of the directory whose reports the caller may not read."""
    return list(
        session.scalars(
            select(Member).where(not_(readable_members(caller, "reports"))).order_by(Member.code)
        )
    )


def daily(frame: pd.DataFrame, indicator: str) -> pd.Series:
    """One indicator as a gap-free daily series (days without a report count as 0)."""
    rows = frame[(frame["indicator"] == indicator) & (frame["item"] == "")]
    if rows.empty:
        return pd.Series(dtype=float)
    series = rows.set_index(pd.to_datetime(rows["date"]))["value"].astype(float).sort_index()
    days = pd.date_range(series.index.min(), series.index.max(), freq="D")
    return series.reindex(days, fill_value=0.0)


@dataclass(frozen=True)
class Summary:
    """A member's latest position: last report, 7-day totals and incidence per 100,000."""

    latest: dt.date | None
    cases7: float | None
    deaths7: float | None
    population: float | None
    incidence: float | None  # new cases in the last 7 days per 100,000 people


def last_week(series: pd.Series) -> float | None:
    """Sum over the 7 days ending on the series' last day."""
    return float(series.iloc[-7:].sum()) if len(series) else None


def people(member: Member, year: int) -> float | None:
    """Population of a country member in a year (UN WPP 2022); None for organisations."""
    if member.kind != "country" or not has_population(member.code):
        return None
    return population(member.code, min(max(year, FIRST_YEAR), LAST_YEAR))


def summarise(member: Member, frame: pd.DataFrame) -> Summary:
    """The summary of one member's values."""
    if frame.empty:
        return Summary(None, None, None, people(member, dt.date.today().year), None)
    latest = max(frame["date"])
    cases = daily(frame, "new_cases")
    cases7 = last_week(cases)
    deaths7 = last_week(daily(frame, "new_deaths"))
    pop = people(member, latest.year)
    incidence = cases7 / pop * 1e5 if pop and cases7 is not None else None
    return Summary(latest, cases7, deaths7, pop, incidence)


def report_table(frame: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Dated indicators (no item) by date, newest first, one row per date."""
    plain = frame[frame["item"] == ""]
    if plain.empty:
        return pd.DataFrame(columns=["date", *indicators])
    table = plain.pivot_table(index="date", columns="indicator", values="value", aggfunc="first")
    table = table.reindex(columns=[i for i in indicators if i in table.columns])
    return table.sort_index(ascending=False).reset_index()


def items_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Latest stock and need per item, with the date of each."""
    rows = frame[frame["item"] != ""]
    if rows.empty:
        return pd.DataFrame(columns=["item", "stock", "stock_date", "need", "need_date"])
    latest = rows.sort_values("date").groupby(["item", "indicator"]).tail(1)
    out = {}
    for r in latest.itertuples():
        entry = out.setdefault(r.item, {"item": r.item})
        entry[r.indicator] = r.value
        entry[f"{r.indicator}_date"] = r.date
    cols = ["item", "stock", "stock_date", "need", "need_date"]
    return pd.DataFrame(list(out.values())).reindex(columns=cols).sort_values("item")


def seven_day_mean(series: pd.Series) -> np.ndarray:
    """Trailing 7-day mean of a daily series (over fewer days at the start)."""
    return series.rolling(7, min_periods=1).mean().to_numpy()
