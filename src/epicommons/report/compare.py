"""The `compare` report: what each scenario changes against the baseline, paired run by run."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .charts import interval_chart
from .maps import choropleth
from .page import Page

WORLD = "WORLD"
TOP = 15  # countries in the per-country charts
MAPPED = 3  # scenarios given maps
METRICS = {
    "importations_averted": "importations averted",
    "arrival_delay": "arrival delay (days)",
    "infections_averted": "infections averted",
    "deaths_averted": "deaths averted",
}


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
    world = effects[effects["country"] == WORLD].copy()
    world["scenario"] = world["scenario"].map(label)
    world["metric"] = world["metric"].map(lambda m: METRICS.get(m, m))
    cols = ["scenario", "metric", "baseline_mean", "scenario_mean"]
    cols += ["difference_mean", "ci_low", "ci_high"]
    sec.table(
        world[cols].reset_index(drop=True),
        "Worldwide, per scenario: baseline and scenario means and the mean paired difference "
        "with its 95% interval (arrival delay: mean over countries reached in the baseline).",
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
            part = rows[rows["metric"] == metric]
            values = dict(zip(part["country"], part["difference_mean"], strict=True))
            sec.figure(
                choropleth(
                    values,
                    title=f"{label(s)}: {METRICS[metric]}",
                    label=METRICS[metric],
                    cmap=cmap,
                    vmin=0.0,
                ),
                "Mean paired difference against the baseline; grey: no estimate.",
            )
    if len(scenarios) > MAPPED:
        sec.text(f"Maps are drawn for the first {MAPPED} scenarios; the CSV holds all.")
    return page
