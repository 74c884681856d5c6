"""The forecast evaluation page: relative WIS against the Hub baseline per horizon and country,
interval coverage, WIS parts, and each country's forecast fans over the reported weekly truth."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ._svg import new_figure, to_svg
from .figures import PALETTE, bar_chart
from .page import Page
from .tables import Column

MODEL_NAMES = {"baseline": "Hub baseline", "renewal": "renewal", "ensemble": "ensemble"}


def fan_chart(truth: pd.DataFrame, fans: pd.DataFrame, title: str) -> str:
    """Weekly truth (`target_end`, `observed`) with one fan per origin: the median and the 50%
    and 90% intervals for horizons 1..H, leaving from the week that ends at the origin."""
    fig, ax = new_figure(height=2.8)
    ax.plot(truth["target_end"], truth["observed"], color="0.15", lw=1.2, label="reported")
    last = dict(zip(truth["target_end"], truth["observed"], strict=True))
    for origin, fan in fans.groupby("origin"):
        fan = fan.sort_values("horizon")
        start = last.get(origin)  # each fan leaves from the last week its model saw
        x = [origin, *fan["target_end"]] if start is not None else list(fan["target_end"])

        def col(name: str, fan: pd.DataFrame = fan, start: float | None = start) -> list[float]:
            return ([start] if start is not None else []) + fan[name].tolist()

        ax.fill_between(x, col("q0.05"), col("q0.95"), color=PALETTE[0], alpha=0.18, lw=0)
        ax.fill_between(x, col("q0.25"), col("q0.75"), color=PALETTE[0], alpha=0.35, lw=0)
        ax.plot(x, col("q0.5"), color=PALETTE[0], lw=1.0)
    top = max(float(truth["observed"].max()), 1.0)
    ax.set_ylim(0, 1.6 * top)  # a fan far above the truth is clipped, not allowed to flatten it
    ax.set(title=title, ylabel="weekly cases")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    return to_svg(fig)


COLUMNS = {
    "model": Column("model", "text"),
    "country": Column("country", "text"),
    "horizon": Column("weeks ahead", "count"),
    "relative_wis": Column("relative WIS", "number"),
    "wis": Column("mean WIS", "number"),
    "dispersion": Column("dispersion", "number"),
    "overprediction": Column("overprediction", "number"),
    "underprediction": Column("underprediction", "number"),
    "coverage_50": Column("50% coverage", "percent"),
    "coverage_90": Column("90% coverage", "percent"),
    "n": Column("forecasts", "count"),
}


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """Model names for people."""
    return frame.assign(model=[MODEL_NAMES.get(m, m) for m in frame["model"]])


def forecast_page(
    scores: pd.DataFrame,
    by_horizon: pd.DataFrame,
    by_country: pd.DataFrame,
    overall: pd.DataFrame,
    *,
    model: str,
    names: Mapping[str, str],
    subtitle: str,
    notes: list[str],
) -> Page:
    """The page for an evaluation of `model` (the one whose fans are drawn) and its peers."""
    page = Page("Forecast evaluation", subtitle=subtitle)
    summary = page.section("Summary")
    for note in notes:
        summary.text(note)
    summary.table(
        _named(overall[["model", "relative_wis", "wis", "coverage_50", "coverage_90", "n"]]),
        caption="All countries, origins and horizons. Relative WIS = mean WIS / mean WIS of the "
        "baseline on the same targets (below 1: better than the baseline). Coverage: share of "
        "reported weeks inside the central 50% and 90% intervals.",
        columns=COLUMNS,
    )
    horizon = page.section("Relative WIS by horizon")
    wide = by_horizon.pivot(index="model", columns="horizon", values="relative_wis")
    horizon.figure(
        bar_chart(
            [f"{h} week{'s' if h > 1 else ''}" for h in wide.columns],
            {MODEL_NAMES.get(m, m): wide.loc[m].tolist() for m in wide.index},
            title="Relative WIS against the Hub baseline",
            ylabel="relative WIS",
        )
    )
    cov = by_horizon[["model", "horizon", "relative_wis", "coverage_50", "coverage_90"]]
    horizon.table(_named(cov), columns=COLUMNS)
    country = page.section("Relative WIS by country")
    wide = by_country.pivot(index="country", columns="model", values="relative_wis")
    country.figure(
        bar_chart(
            [names.get(c, c) for c in wide.index],
            {MODEL_NAMES.get(m, m): wide[m].tolist() for m in wide.columns},
            title="Relative WIS against the Hub baseline, all horizons",
            ylabel="relative WIS",
        )
    )
    parts = by_country[
        ["model", "country", "relative_wis", "dispersion", "overprediction", "underprediction"]
    ].copy()
    parts["country"] = [names.get(c, c) for c in parts["country"]]
    country.table(
        _named(parts),
        caption="Mean WIS parts (weekly cases): dispersion (interval widths), overprediction "
        "and underprediction (truth below or above the intervals); they add up to the WIS.",
        columns=COLUMNS,
        max_rows=200,
    )
    fans = page.section(f"Forecasts over the reported truth ({MODEL_NAMES.get(model, model)})")
    fans.text(
        "Each fan starts at a forecast origin (dotted line): the median and the 50% and 90% "
        "intervals of the weekly totals one to four weeks ahead, made with the data up to it."
    )
    own = scores[scores["model"] == model]
    truth = (
        scores[scores["model"] == "baseline"][["country", "target_end", "observed"]]
        .drop_duplicates(["country", "target_end"])
        .sort_values("target_end")
    )
    for code, fan in own.groupby("country", sort=False):
        fans.figure(fan_chart(truth[truth["country"] == code], fan, names.get(code, code)))
    return page
