"""The nowcast reports: the curve as known, the nowcast band and forecast fan per series; and a
backtest's scores per horizon beside the counts as known, with the eventual values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._svg import to_svg
from .figures import PALETTE
from .page import Page

MAX_PANELS = 12
HISTORY = 26  # reference steps drawn before the nowcast


def nowcast_page(triangle, result) -> Page:
    """One panel per series (at most MAX_PANELS): as known, eventual where complete, the nowcast's
    median with 50%/95% bands, and the forecast."""
    page = Page(
        "Nowcast",
        f"{len(result.locations)} series as known on {result.as_of}; method {result.method}; "
        f"target: counts reported within {result.max_delay} "
        f"{'weeks' if result.unit == 'W' else 'days'}.",
    )
    page.sources.append(f"Reporting triangle: {triangle.source}.")
    cut = triangle.as_of(result.as_of).up_to_delay(result.max_delay)
    q = result.quantiles((0.025, 0.25, 0.5, 0.75, 0.975))
    sec = page.section("Corrected curves")
    sec.text(
        "Grey: the counts as they stood on the as-of date (the last weeks always look low). "
        "Blue: the nowcast of what will eventually be reported, with 50% and 95% bands; "
        "dashed: the forecast."
    )
    sec.figure(_panels(cut, result, q), "Nowcast per series.")
    rows = []
    for s in range(len(result.locations)):
        for h, target in enumerate(result.dates):
            known = result.observed[s, h]
            rows.append(
                {
                    "series": f"{result.locations[s]} / {result.age_groups[s]}",
                    "week ending" if result.unit == "W" else "day": str(target),
                    "horizon": int(result.horizons[h]),
                    "as known": "" if np.isnan(known) else f"{known:,.0f}",
                    "median": f"{q[s, h, 2]:,.0f}",
                    "95% interval": f"{q[s, h, 0]:,.0f} – {q[s, h, 4]:,.0f}",
                }
            )
    sec.table(pd.DataFrame(rows), "Nowcast and forecast per series and target.", max_rows=80)
    return page


def backtest_page(triangle, backtest, method: str) -> Page:
    """Scores per horizon (the method and the counts as known) and the nowcasts over time."""
    summary = backtest.summary()
    page = Page(
        "Nowcast backtest",
        f"{len(backtest.as_of)} as-of dates from {backtest.as_of[0]} to {backtest.as_of[-1]}; "
        f"method {method}, scored against the counts reported later.",
    )
    page.sources.append(f"Reporting triangle: {triangle.source}.")
    sec = page.section("Scores per horizon")
    shown = pd.DataFrame(
        {
            "model": summary["model"],
            "horizon": summary["horizon"],
            "mean WIS": summary["wis"].map(lambda v: f"{v:,.1f}"),
            "relative WIS": summary["relative_wis"].map(lambda v: f"{v:.2f}"),
            "50% covered": summary["covered_50"].map(lambda v: f"{v:.0%}"),
            "95% covered": summary["covered_95"].map(lambda v: f"{v:.0%}"),
            "50% PIT": summary["pit_covered_50"].map(lambda v: f"{v:.0%}"),
            "95% PIT": summary["pit_covered_95"].map(lambda v: f"{v:.0%}"),
            "forecasts": summary["n"].map(lambda v: f"{v:,}"),
        }
    )
    sec.text(
        "WIS: weighted interval score (lower is better; for the counts as known it is their "
        "absolute error). Relative WIS < 1: the nowcast beats taking the counts as they stood. "
        "Covered: the bounds count as in, so counts already complete over-cover; PIT: the "
        "coverage of the non-randomised PIT (Czado et al. 2009), met at the nominal level by a "
        "calibrated forecast of counts."
    )
    sec.table(shown, "Mean scores per model and horizon.")
    sec = page.section("Nowcasts against the eventual counts")
    scores = backtest.scores
    latest = scores[(scores["horizon"] == 0) & (scores["model"] == method)]
    known = scores[(scores["horizon"] == 0) & (scores["model"] == "as known")]
    fig = Figure(figsize=(7.0, 3.0), layout="constrained")
    for i, ((loc, age), g) in enumerate(latest.groupby(["location", "age_group"], sort=False)):
        if i >= 1:
            break
        k = known[(known["location"] == loc) & (known["age_group"] == age)]
        ax = fig.add_subplot()
        x = pd.to_datetime(g["target_end_date"])
        ax.plot(x, g["truth"], color="0.1", lw=1.4, label="eventually reported")
        ax.plot(x, k["median"], color="0.6", lw=1.2, label="as known on the day")
        ax.plot(x, g["median"], color=PALETTE[0], lw=1.4, label="nowcast (median)")
        ax.set(title=f"{loc} / {age}: horizon 0", ylabel="count")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    sec.figure(to_svg(fig), "The latest week at each as-of date: as known, nowcast, eventual.")
    return page


def _panels(cut, result, q) -> str:
    n = min(len(result.locations), MAX_PANELS)
    columns = min(3, n)
    rows = math.ceil(n / columns)
    # at least the page's width (7 in): one panel drawn small and scaled up has huge letters
    size = (max(2.6 * columns + 0.6, 7.0), max(2.0 * rows + 0.3, 3.0))
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    observed = cut.observed()
    for s, ax in enumerate(axes.flat):
        if s >= n:
            ax.set_visible(False)
            continue
        x_hist = pd.to_datetime(cut.dates[-HISTORY:])
        ax.plot(x_hist, observed[s, -HISTORY:], color="0.6", lw=1.1, label="as known")
        x = pd.to_datetime(result.dates)
        ax.fill_between(x, q[s, :, 0], q[s, :, 4], color=PALETTE[0], alpha=0.18, lw=0)
        ax.fill_between(x, q[s, :, 1], q[s, :, 3], color=PALETTE[0], alpha=0.3, lw=0)
        ahead = result.horizons > 0
        ax.plot(x[~ahead], q[s, ~ahead, 2], color=PALETTE[0], lw=1.5, label="nowcast")
        if ahead.any():
            ax.plot(x[ahead], q[s, ahead, 2], color=PALETTE[0], lw=1.3, ls="--", label="forecast")
        ax.set_title(f"{result.locations[s]} / {result.age_groups[s]}", fontsize=8)
        ax.yaxis.set_major_formatter(_thousands)
    axes.flat[0].legend(frameon=False, fontsize=7, loc="upper left")
    return to_svg(fig)


def _thousands(value: float, _pos: int) -> str:
    return f"{value:,.0f}"
