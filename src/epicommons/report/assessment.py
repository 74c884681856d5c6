"""The joint assessment's offline page: a world map of Rt and of expected importations, each
member's corrected curve with the nowcast band and the forecast fan, the shortfall table, and
the proposed split of pledges with its explanation. It takes the assessment's tables, not its
code (report imports only model and world)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from epicommons.world.countries import registry

from ._svg import new_figure, to_svg
from .figures import PALETTE
from .format import count, number, percent, tick
from .page import Page
from .tables import Column

CURVE_DAYS = 56  # days of each member's curve drawn before the as-of date
MAX_PANELS = 24  # members drawn one by one (the most cases first); the rest are in the tables


def assessment_page(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> Page:
    """The page of one assessment (`Assessment.tables` and `Assessment.meta()`)."""
    names = _names(meta.get("members", []))
    failures = tables["failures"]
    page = Page(
        f"Joint assessment as of {meta['as_of']}",
        f"{len(names)} members · inputs sha256 {str(meta['input_stamp'])[:12]} · "
        f"epicommons {meta['code_version']}",
    )
    page.sources.append(
        "Nowcast: chain ladder with past errors; Rt: Cori et al. 2013 on the corrected curve; "
        "forecast: renewal equation on Rt; spread: the epicommons engine on "
        f"{meta.get('notes', {}).get('network', 'the travel network')}; allocation: HiGHS."
    )
    _summary(page, tables, meta, names)
    _maps(page, tables)
    _curves(page, tables, names)
    _supplies(page, tables, meta)
    sec = page.section("Warnings and failures")
    sec.text(
        f"{count(len(failures))} failed steps and {count(len(tables['warnings']))} warnings; a "
        "failed step leaves that member out of the later steps, the rest completes."
    )
    if len(failures):
        sec.table(
            failures, "Failed steps", {"location": "member", "step": "step", "reason": "reason"}
        )
    if len(tables["warnings"]):
        sec.table(
            tables["warnings"],
            "Warnings",
            {"location": "member", "step": "step", "message": "warning"},
        )
    return page


def _names(members: list[str]) -> dict[str, str]:
    reg = registry()
    return {m: reg[m].name if m in reg else m for m in members}


def _latest_rt(rt: pd.DataFrame) -> pd.DataFrame:
    """Each member's last window, when it has an estimate (a vague one has none)."""
    return rt.groupby("location", sort=False).tail(1).dropna(subset=["mean"])


def _summary(page: Page, tables, meta, names) -> None:
    rt = _latest_rt(tables["rt"])
    imp = tables["importation"]
    growing = int((rt["q0.025"] > 1).sum()) if "q0.025" in rt else 0
    sec = page.section("Summary")
    sec.text(
        f"As of {meta['as_of']}: Rt is estimated precisely (posterior CV at most 0.3) for "
        f"{len(rt)} of {len(names)} members; for "
        f"{growing} its 95% interval lies above 1. Over the next "
        f"{meta['options']['horizon_days']} days the spread engine expects "
        f"{number(imp['expected_importations'].sum())} importations into members in all."
    )
    if len(rt):
        show = rt.assign(name=[names.get(c, c) for c in rt["location"]])
        show = show.sort_values("mean", ascending=False)
        sec.table(
            show,
            "Latest Rt on the nowcast-corrected curve (window ending on the as-of date)",
            {
                "name": Column("member", "text"),
                "date_end": Column("window end", "date"),
                "mean": Column("Rt", "number"),
                "q0.025": Column("2.5%", "number"),
                "q0.975": Column("97.5%", "number"),
            },
        )


def _maps(page: Page, tables) -> None:
    rt = _latest_rt(tables["rt"])
    imp = tables["importation"]
    sec = page.section("Where")
    if len(rt):
        sec.map(
            rt,
            "location",
            "mean",
            "Grey: not a member, or no estimate.",
            title="Rt on the corrected curve",
            label="Rt",
            cmap="RdYlGn_r",
        )
    if len(imp):
        sec.map(
            imp,
            "location",
            "expected_importations",
            "Expected importations per member.",
            title="Expected importations over the horizon",
            label="importations",
            cmap="Reds",
        )
    arrival = tables["arrival"]
    if len(arrival):
        sec.table(
            arrival,
            "Members not yet affected, or not known to be: chance of a first importation and "
            "its day (day 1 = the day after the as-of date); empty beyond the horizon, and "
            "for a member whose nowcast failed",
            {
                "location": Column("member", "text"),
                "p_at_least_one": Column("chance", "percent"),
                "arrival_day_q05": Column("day, 5%", "number"),
                "arrival_day_median": Column("day, median", "number"),
                "arrival_day_q95": Column("day, 95%", "number"),
                "note": Column("note", "text"),
            },
        )


def _curves(page: Page, tables, names) -> None:
    curve, fc = tables["curve"], tables["forecast"]
    sec = page.section("Members' curves")
    if not len(curve):
        sec.text("No member's curve could be corrected.")
        return
    totals = curve.groupby("location", sort=False)["corrected"].sum().sort_values(ascending=False)
    shown = list(totals.index[:MAX_PANELS])
    sec.text(
        "Daily counts as known on the as-of date (grey), the nowcast of their final values "
        "(median, 50% and 95% bands) and the weekly forecast fan (median, 50% and 90%; one "
        f"point per week, at its last day, shown as a daily mean). {len(shown)} of "
        f"{len(totals)} members, most cases first."
    )
    for member in shown:
        sec.figure(
            member_chart(
                curve[curve["location"] == member],
                fc[fc["location"] == member],
                names.get(member, member),
            )
        )


def member_chart(curve: pd.DataFrame, fc: pd.DataFrame, title: str) -> str:
    """A member's corrected curve with its nowcast bands and the fan of the forecast its later
    steps used (`chosen`; not the baseline kept as the reference)."""
    if "chosen" in fc:
        fc = fc[fc["chosen"].astype(bool)]
    curve = curve.tail(CURVE_DAYS)
    x = pd.to_datetime(curve["date"])
    fig, ax = new_figure(height=2.6)
    ax.fill_between(x, 0, curve["known"], step="mid", color="0.8", lw=0, label="as known")
    band = curve["q0.025"].notna()
    ax.fill_between(
        x[band], curve["q0.025"][band], curve["q0.975"][band], color=PALETTE[0], alpha=0.2, lw=0
    )
    ax.fill_between(
        x[band], curve["q0.25"][band], curve["q0.75"][band], color=PALETTE[0], alpha=0.35, lw=0
    )
    ax.plot(x, curve["corrected"], color=PALETTE[0], lw=1.2, label="corrected")
    if len(fc):
        wide = fc.pivot_table(index="target_end_date", columns="quantile", values="value") / 7
        ends = pd.to_datetime(wide.index)
        levels = np.asarray(wide.columns, float)

        def level(q: float) -> np.ndarray:
            return wide.iloc[:, int(np.argmin(np.abs(levels - q)))].to_numpy()

        ax.fill_between(ends, level(0.05), level(0.95), color=PALETTE[1], alpha=0.18, lw=0)
        ax.fill_between(ends, level(0.25), level(0.75), color=PALETTE[1], alpha=0.35, lw=0)
        ax.plot(ends, level(0.5), color=PALETTE[1], lw=1.2, marker="o", ms=3, label="forecast")
    ax.set(title=title, ylabel="cases a day")
    ax.yaxis.set_major_formatter(tick)
    return to_svg(fig)


def _supplies(page: Page, tables, meta) -> None:
    short = tables["shortfall"]
    sec = page.section("Supplies")
    if not len(short):
        sec.text("No member's needs could be projected.")
        return
    first = (
        short.groupby(["location", "item"], sort=False)
        .agg(
            stock=("stock", "first"),
            need=("need", "sum"),
            unmet=("unmet", "sum"),
            shortfall_week=("shortfall_week", "first"),
        )
        .reset_index()
        .sort_values(["shortfall_week", "unmet"], ascending=[True, False], na_position="last")
    )
    sec.text(
        "Projected need over the forecast weeks (per case × median forecast cases, at most the "
        "population's weekly use) against each member's latest reported stock; the shortfall "
        "week is the first week the stock does not cover."
    )
    sec.table(
        first,
        "Shortfalls",
        {
            "location": Column("member", "text"),
            "item": Column("item", "text"),
            "stock": Column("stock", "count"),
            "need": Column("need", "count"),
            "unmet": Column("not covered", "count"),
            "shortfall_week": Column("short from week", "number"),
        },
    )
    expl = tables["explanation"]
    sec = page.section("Proposed split of pledged, undelivered items")
    if len(expl):
        pool = expl["delivered"].sum()
        full = int((expl["share_met"] >= 1 - 1e-9).sum())
        sec.text(
            f"{count(pool)} units proposed to {count((expl['delivered'] > 0).sum())} members; "
            f"{full} have their whole need met. Fairness rule: "
            f"{meta['options']['fairness']['rule']} "
            f"(share {percent(meta['options']['fairness']['share'])}). "
            "`guaranteed` is what the rule ensures each member; `what binds` names the "
            "constraint that stops a member getting more (stock: nothing more is left)."
        )
        sec.table(
            expl[expl["delivered"] > 0].sort_values("delivered", ascending=False),
            "Proposed deliveries and what binds",
            {
                "location": Column("member", "text"),
                "item": Column("item", "text"),
                "need": Column("need", "count"),
                "delivered": Column("proposed", "count"),
                "share_met": Column("share of need", "percent"),
                "guaranteed": Column("guaranteed", "count"),
                "binding": Column("what binds", "text"),
            },
        )
    shadow = tables.get("shadow_prices")
    if shadow is not None and len(shadow):
        sec.table(
            shadow,
            "Shadow prices: weighted unmet need removed by one more unit",
            {
                "item": "item",
                "week": Column("week", "count"),
                "shadow_price": Column("shadow price", "number"),
            },
        )
