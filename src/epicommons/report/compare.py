"""The `compare` report: what each scenario changes against the baseline, paired run by run."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .charts import interval_chart
from .page import Page
from .tables import INTERVAL, NUMBER, Column, intervals

WORLD = "WORLD"
TOP = 15  # countries in the per-country charts
MAPPED = 3  # scenarios given maps
METRICS = {
    "importations_averted": "importations averted",
    "arrival_delay": "arrival delay (days)",
    "infections_averted": "infections averted",
    "deaths_averted": "deaths averted",
}
WORLD_COLUMNS = {  # the worldwide rows of compare.csv, as the page and the terminal show them
    "scenario": "scenario",
    "metric": "measure",
    "baseline_mean": Column("baseline", NUMBER),
    "scenario_mean": Column("with the scenario", NUMBER),
    "difference_mean": Column("difference", NUMBER),
    "interval": Column("95% interval", INTERVAL),
}


def world_effects(effects: pd.DataFrame, label: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The worldwide rows with readable scenario and measure names and an `interval` column."""
    label = label or {}
    world = effects[effects["country"] == WORLD].reset_index(drop=True)
    world["scenario"] = world["scenario"].map(lambda s: label.get(s, s))
    world["metric"] = world["metric"].map(lambda m: METRICS.get(m, m))
    world["interval"] = intervals(world["ci_low"], world["ci_high"])
    return world


def compare_page(
    effects: pd.DataFrame,
    *,
    baseline: str,
    names: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    subtitle: str = "",
) -> Page:
    """A page from the paired effects table (`epicommons compare`'s compare.csv).

    Countries in the charts are those with most importations in the baseline; `labels` gives
    scenarios readable names.
    """
    names, labels = names or {}, labels or {}
    scenarios = list(dict.fromkeys(effects["scenario"]))
    label = lambda s: labels.get(s, s)  # noqa: E731
    page = Page(f"Scenarios compared with {label(baseline)}", subtitle)
    page.sources.append(
        "Paired differences: run r of every scenario shares its random stream (common random "
        "numbers); intervals are 95% t-intervals of the mean difference over runs."
    )

    sec = page.section("Worldwide effects")
    sec.table(
        world_effects(effects, labels),
        "Worldwide, per scenario: the mean over runs in the baseline and in the scenario, and "
        "the mean paired difference with its 95% interval (arrival delay: mean over countries "
        "reached in the baseline).",
        WORLD_COLUMNS,
    )

    countries = effects[(effects["country"] != WORLD)]
    base_imp = (
        countries[countries["metric"] == "importations_averted"]
        .drop_duplicates("country")
        .set_index("country")["baseline_mean"]
        .sort_values(ascending=False, kind="stable")
    )
    top = list(base_imp.index[:TOP])
    sec = page.section("Effects in the most exposed countries")
    sec.text(
        f"The {len(top)} countries with most importations in {label(baseline)}; bars are "
        "mean paired differences, whiskers their 95% intervals; a bar crossing zero is no clear "
        "effect."
    )
    for metric in ("importations_averted", "arrival_delay"):
        rows = countries[countries["metric"] == metric].set_index(["scenario", "country"])
        series = {}
        for s in scenarios:
            part = rows.loc[s].reindex(top)
            series[label(s)] = (part["difference_mean"], part["ci_low"], part["ci_high"])
        sec.figure(
            interval_chart(
                [names.get(c, c) for c in top],
                series,
                title=METRICS[metric].capitalize(),
                xlabel=METRICS[metric],
            )
        )

    sec = page.section("Maps of the effects")
    for s in scenarios[:MAPPED]:
        rows = countries[countries["scenario"] == s]
        for metric, cmap in (("importations_averted", "Greens"), ("arrival_delay", "Blues")):
            sec.map(
                rows[rows["metric"] == metric],
                "country",
                "difference_mean",
                "Mean paired difference against the baseline; grey: no estimate.",
                title=f"{label(s)}: {METRICS[metric]}",
                label=METRICS[metric],
                cmap=cmap,
                vmin=0.0,
            )
    if len(scenarios) > MAPPED:
        sec.text(f"Maps are drawn for the first {MAPPED} scenarios; the CSV holds all.")
    return page
