"""The `allocate` report: who gets what against need, the plan beside the baselines, and why."""

from __future__ import annotations

import pandas as pd

from .charts import bullet_chart
from .figures import band_chart
from .format import percent
from .page import Page
from .tables import COUNT, NUMBER, PERCENT, Column

BASELINE_LABELS = {
    "proportional": "population-proportional",
    "covax": "COVAX rule",
    "first_come_first_served": "first come, first served",
}
COMPARISON_COLUMNS = {  # comparison.csv: one row per plan
    "plan": "plan",
    "objective": Column("objective", NUMBER),
    "deaths_averted": Column("deaths averted", NUMBER),
    "breaks": "rules broken",
    "delivered": Column("delivered", COUNT),
    "weighted_unmet_need": Column("weighted unmet need", NUMBER),
    "smallest_share_met": Column("smallest share of need met", PERCENT),
    "members_fully_met": Column("members fully served", COUNT),
    "members_receiving": Column("members receiving", COUNT),
}
SHORTFALL_COLUMNS = {  # members.csv rows where need is not met
    "member": "code",
    "name": "member",
    "item": "item",
    "need": Column("need", COUNT),
    "delivered": Column("delivered", COUNT),
    "share_met": Column("share of need met", PERCENT),
    "binding": "what holds it back",
}


def plans(comparison: pd.DataFrame) -> pd.DataFrame:
    """comparison.csv with the baseline rules' readable names, to show with COMPARISON_COLUMNS."""
    table = comparison.copy()
    table["plan"] = table["plan"].map(lambda p: BASELINE_LABELS.get(p, p))
    return table


def allocation_page(
    members: pd.DataFrame,
    comparison: pd.DataFrame,
    shadow_prices: pd.DataFrame,
    *,
    title: str = "Allocation",
    subtitle: str = "",
    units: dict[str, str] | None = None,
) -> Page:
    """A page from an explanation's tables (`epicommons allocate`'s members, comparison and
    shadow_prices CSVs): per item, delivered against need per member with the baselines as
    markers; the plans' measures; shadow prices per week; and what binds where need is unmet.
    """
    units = units or {}
    baselines = [c for c in BASELINE_LABELS if c in members]
    items = list(dict.fromkeys(members["item"]))
    page = Page(title, subtitle)
    page.sources.append(
        "Solved with HiGHS (scipy.optimize); baselines computed from the same need and supply."
    )

    sec = page.section("Delivered against need")
    total_need = members["need"].sum()
    sec.text(
        f"{members['member'].nunique()} members, {len(items)} items. Bars: need (grey) and "
        "what the plan delivers (from the pool, then earmarked donations); markers: what each baseline rule "
        f"would deliver. Overall {percent(members['delivered'].sum() / total_need)} of need is met."
        if total_need > 0
        else "No need was stated."
    )
    for item in items:
        rows = members[members["item"] == item]
        earmarked = rows["earmarked"].to_numpy(float) if "earmarked" in rows else 0.0
        pooled = rows["delivered"].to_numpy(float) - earmarked
        parts = {"delivered from the pool": pooled}
        if "earmarked" in rows and rows["earmarked"].sum() > 0:
            parts["earmarked donations"] = earmarked
        sec.figure(
            bullet_chart(
                list(rows["name"] if "name" in rows else rows["member"]),
                rows["need"].to_numpy(float),
                parts,
                markers={BASELINE_LABELS[b]: rows[b].to_numpy(float) for b in baselines},
                title=f"{item}: delivered against need",
                xlabel=units.get(item, "units"),
            )
        )

    sec = page.section("The plan beside the baselines")
    sec.table(
        plans(comparison),
        "The optimised plan and the baseline rules on the same measures.",
        COMPARISON_COLUMNS,
    )

    sec = page.section("Shadow prices")
    weeks = sorted(shadow_prices["week"].unique())
    series = {
        item: (
            shadow_prices[shadow_prices["item"] == item]
            .set_index("week")["shadow_price"]
            .reindex(weeks)
            .to_numpy(float),
            None,
            None,
        )
        for item in items
    }
    sec.figure(
        band_chart(
            weeks,
            series,
            title="Value of one more unit arriving, by week",
            xlabel="week",
            ylabel="shadow price",
        ),
        "Zero: the item is not scarce that week.",
    )
    wide = shadow_prices.pivot(index="week", columns="item", values="shadow_price")
    wide.columns.name = None
    sec.table(
        wide[items].reset_index(),
        "Shadow price per item and week.",
        {"week": Column("week", COUNT)} | {i: Column(i.replace("_", " "), NUMBER) for i in items},
    )

    sec = page.section("What binds")
    short = members[members["share_met"] < 1 - 1e-9] if "share_met" in members else members
    sec.text(
        f"{len(short)} member-item pairs get less than their need; the binding constraint says "
        "what holds each back (stock, delivery capacity, minimum lot, fairness floor)."
    )
    sec.table(
        short.sort_values("share_met", kind="stable"),
        "Unmet need and what binds, smallest share met first.",
        SHORTFALL_COLUMNS,
    )
    return page
