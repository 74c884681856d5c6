"""The `rt` report: Rt with credible bands per country, the latest estimates as a table and map."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .charts import Panel, small_multiples
from .format import count
from .page import Page
from .tables import COUNT, INTERVAL, NUMBER, Column, intervals, with_names

MAX_PANELS = 12  # countries drawn per page; the table lists them all
MAX_POINTS = 400  # windows drawn per panel; longer series are thinned evenly
MAP_FROM = 5  # countries with estimates from which a world map is worth drawing
RECENT_DAYS = 28  # the period of the cases shown beside each latest estimate
LATEST_COLUMNS = {
    "country": "code",
    "name": "country",
    "date_end": "window ends",
    "t_end": Column("day", COUNT),
    "mean": Column("Rt (mean)", NUMBER),
    "interval": Column("95% credible interval", INTERVAL),
    "cases_28d": Column(f"cases, {RECENT_DAYS} days to the window's end", COUNT),
}
CLEANING_COLUMNS = {
    "country": "country",
    "date": "date",
    "day": Column("day", COUNT),
    "field": "field",
    "issue": "issue",
    "rule": "rule",
    "original": Column("original", COUNT),
    "new": Column("new", COUNT),
    "note": "note",
}


def latest(rt: pd.DataFrame) -> pd.DataFrame:
    """Each series' last window with an estimate (empty windows skipped), in input order."""
    key = "country" if "country" in rt else None
    known = rt[rt["mean"].notna()]
    last = known.groupby(key, sort=False).tail(1) if key else known.tail(1)
    return last.reset_index(drop=True)


def rt_page(
    rt: pd.DataFrame,
    *,
    cases: pd.DataFrame | None = None,
    cleaning: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    method: str = "cori",
    source: str = "",
) -> Page:
    """A page from the `rt` table (one row per country and window, as `epicommons rt` writes).

    `cases` (the tidy case table: country, day, date, cases) gives each country's cases in the
    28 days to its latest estimate (`period_cases`), which rank the panels so they show where
    Rt matters most; without it the input order is kept. `cleaning` is the cleaning record,
    shown as a table.
    """
    names = names or {}
    has_country = "country" in rt
    x_name = "date_end" if "date_end" in rt and rt["date_end"].notna().any() else "t_end"
    last = latest(rt)
    order = list(dict.fromkeys(rt["country"])) if has_country else [""]
    recent = period_cases(cases, last, RECENT_DAYS) if cases is not None and has_country else {}
    stopped = _stopped(rt) if has_country else []
    if recent:
        order.sort(key=lambda c: -recent.get(c, 0.0))
    shown = order[:MAX_PANELS]

    label = {"cori": "Cori et al. (2013)", "wallinga-teunis": "Wallinga & Teunis (2004)"}
    page = Page(
        "Time-varying reproduction number",
        f"{len(order)} series, {label.get(method, method)} method"
        + (f"; cases from {source}" if source else "")
        + ".",
    )
    page.sources.append(
        "Rt: posterior mean with 50% and 95% credible intervals over sliding windows; "
        "the estimate is placed at the window's last day."
    )

    if recent:  # a window without cases returns the prior: leave silent countries out
        silent = [c for c in last["country"] if recent.get(c, 0.0) <= 0]
        last = last[~last["country"].isin(silent)].reset_index(drop=True)
    sec = page.section("Rt by country")
    growing = int((last["q0.025"] > 1).sum())
    shrinking = int((last["q0.975"] < 1).sum())
    if last.empty:
        sec.text("No window has cases enough for an estimate; the CSV holds the blank windows.")
        return page
    sec.text(
        f"In the latest window, {growing} of {len(last)} series are growing (the whole 95% "
        f"interval above 1), {shrinking} are shrinking (all of it below 1); the rest are "
        "uncertain."
        + (
            f" {len(silent)} series reported no cases in the {RECENT_DAYS} days to their latest "
            "window and are left out."
            if recent and silent
            else ""
        )
        + (
            f" {len(stopped)} series stopped reporting ({', '.join(stopped[:10])}"
            f"{', ...' if len(stopped) > 10 else ''}): their latest estimate is from before the "
            "stop (see date_end), and the windows after it are left empty."
            if stopped
            else ""
        )
    )
    panels = {}
    for code in shown:
        g = rt[rt["country"] == code] if has_country else rt
        g = g[g["mean"].notna()]
        if g.empty:
            continue
        g = g.iloc[:: max(1, int(np.ceil(len(g) / MAX_POINTS)))]
        x = pd.to_datetime(g[x_name]) if x_name == "date_end" else g[x_name]
        panels[_title(code, names)] = Panel(
            x,
            g["mean"].to_numpy(float),
            g["q0.025"].to_numpy(float),
            g["q0.975"].to_numpy(float),
            g["q0.25"].to_numpy(float),
            g["q0.75"].to_numpy(float),
        )
    which = (
        f"the {len(panels)} series with most cases in the {RECENT_DAYS} days to their latest "
        "estimate"
        if recent and len(order) > MAX_PANELS
        else f"{len(panels)} series"
    )
    sec.figure(
        small_multiples(panels, ylabel="Rt", hline=1.0, clip_quantile=0.95),
        f"Rt for {which}: mean, 50% and 95% credible bands; y axes cut at the 95th percentile "
        "of each upper bound so early, wide intervals do not hide the rest.",
    )

    table = with_names(last, names) if has_country else last.copy()
    table["interval"] = intervals(table["q0.025"], table["q0.975"])
    if recent:
        table["cases_28d"] = table["country"].map(recent)
        table = table.sort_values("cases_28d", ascending=False, kind="stable")
    caption = "Latest Rt per series with its 95% credible interval" + (
        f"; cases: those in the {RECENT_DAYS} days to the window's last day." if recent else "."
    )
    sec.table(table, caption, LATEST_COLUMNS, max_rows=40)

    if has_country and len(last) >= MAP_FROM:
        sec = page.section("Latest Rt on the map")
        sec.map(
            last,
            "country",
            "mean",
            "Blue: shrinking (Rt < 1); red: growing; colours saturate at 0 and 2.",
            title="Latest Rt (posterior mean)",
            label="Rt",
            cmap="RdYlBu_r",
            vmin=0.0,
            vmax=2.0,
        )

    if cleaning is not None and len(cleaning):
        sec = page.section("Cleaning record")
        sec.text(f"{count(len(cleaning))} changes were made to the input before estimating.")
        sec.table(
            cleaning, "Every change made to the counts, first rows.", CLEANING_COLUMNS, max_rows=30
        )
    return page


def period_cases(cases: pd.DataFrame, last: pd.DataFrame, days: int) -> dict[str, float]:
    """Cases per country over the `days` days that end on its latest window's last day
    (`date_end`, or `t_end` without dates): the period the estimate beside it refers to."""
    by_date = "date_end" in last and last["date_end"].notna().all() and cases["date"].notna().all()
    end_column, case_column = ("date_end", "date") if by_date else ("t_end", "day")
    ends = last[["country", end_column]].rename(columns={end_column: "_end"})
    joined = cases[["country", case_column, "cases"]].merge(ends, on="country")
    span = pd.Timedelta(days=days) if by_date else days
    end = pd.to_datetime(joined["_end"]) if by_date else joined["_end"]
    inside = (joined[case_column] <= end) & (joined[case_column] > end - span)
    sums = joined[inside].groupby("country", sort=False)["cases"].sum()
    return {c: float(sums.get(c, 0.0)) for c in last["country"]}


def _stopped(rt: pd.DataFrame) -> list[str]:
    """Countries whose windows were left empty because their reporting stopped."""
    if "note" not in rt:
        return []
    hit = rt["note"].fillna("").astype(str).str.startswith("reporting stopped")
    return list(dict.fromkeys(rt.loc[hit, "country"]))


def _title(code: str, names: Mapping[str, str]) -> str:
    return f"{names.get(code, code)} ({code})" if code and code in names else (code or "Rt")
