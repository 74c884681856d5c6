"""A finished assessment's figures, drawn once when its job finishes and stored as rows of the job
(`assessment_rows`, table `figure`, written with the tables in the same transaction), so a page
view never draws and a restart loses nothing: the world maps of Rt and of expected importations,
and each member's corrected curve with its nowcast band and forecast fan.

Who reads what: a member's chart is a row of that member (the access rule of its tables). The
maps hold every member's value, each member's shapes in a group of its own; a page blanks the
members the caller may not read (`report.maps.without`), so their colours are not in what it
is sent. The importation map's colour scale tops at the largest value of all members (rounded
up to 1, 2 or 5 × 10^k), an aggregate over every member: the maps are read under the
small-aggregate rule of the other aggregates (`View.allows`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AssessmentRow, Job

if TYPE_CHECKING:
    import pandas as pd

    from epicommons.backend import Backend

    from .assessments import View

TABLE = "figure"  # the rows' table_name; not one of the assessment's tables (not exported)
RT_MAP, IMPORTATION_MAP, MEMBER_CHART = "rt_map", "importation_map", "member_chart"
RT_TOP = 2.0  # the Rt map's colour scale: 0 to 2, green below 1, red above
CHARTS_PER_TASK = 10


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (1 for nothing above 0)."""
    if not value > 0:
        return 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    return next(m * decade for m in (1, 2, 5, 10) if m * decade >= value * (1 - 1e-12))


def draw(tables: dict[str, pd.DataFrame], backend: Backend) -> list[tuple[str | None, str, str]]:
    """The figures of an assessment's tables as (member or None, name, svg); the members'
    charts as backend tasks."""
    rt = tables["rt"]
    last = rt.groupby("location", sort=False).tail(1)
    rt_values = {str(m): float(v) for m, v in zip(last["location"], last["mean"], strict=True)}
    imp = tables["importation"]
    imp_values = {
        str(m): float(v) for m, v in zip(imp["location"], imp["expected_importations"], strict=True)
    }
    top = nice_top(max(imp_values.values(), default=0.0))
    out: list[tuple[str | None, str, str]] = [
        (None, RT_MAP, _map(rt_values, "Rt (latest window, mean)", "RdYlGn_r", RT_TOP)),
        (None, IMPORTATION_MAP, _map(imp_values, "expected importations", "Reds", top)),
    ]
    curve, forecast = tables["curve"], tables["forecast"]
    members = list(dict.fromkeys(str(m) for m in curve["location"]))
    chunks = [
        tuple(members[i : i + CHARTS_PER_TASK]) for i in range(0, len(members), CHARTS_PER_TASK)
    ]
    shared = backend.share({"curve": curve, "forecast": forecast})
    for block in backend.map(_charts, shared, chunks):
        out.extend((m, MEMBER_CHART, svg) for m, svg in block)
    return out


def _map(values: dict[str, float], label: str, cmap: str, top: float) -> str:
    """A world map of one value per member, each member's shapes in a group of its own."""
    from epicommons.report.maps import choropleth

    return choropleth(values, label=label, cmap=cmap, vmin=0.0, vmax=top, tagged=True)


def _charts(shared: dict[str, pd.DataFrame], members: tuple[str, ...]) -> list[tuple[str, str]]:
    """A few members' charts (a backend task)."""
    from epicommons.report.assessment import member_chart

    curve, forecast = shared["curve"], shared["forecast"]
    return [
        (m, member_chart(curve[curve["location"] == m], forecast[forecast["location"] == m], m))
        for m in members
    ]


def rows(figures: Sequence[tuple[str | None, str, str]], job_id: int, everyone: str) -> list[dict]:
    """The figures as rows of the job (`assessment_rows`)."""
    return [
        {
            "job_id": job_id,
            "table_name": TABLE,
            "seq": seq,
            "location": member,
            "covers": None if member else everyone,
            "row": json.dumps({"name": name, "svg": svg}, separators=(",", ":")),
        }
        for seq, (member, name, svg) in enumerate(figures)
    ]


def read(session: Session, job: Job, view: View, location: str | None = None) -> dict[str, str]:
    """The stored figures the view allows: the maps (`location` None) or one member's chart,
    by name; a map with the members the view may not read blanked."""
    from epicommons.report.maps import without

    q = select(AssessmentRow.location, AssessmentRow.covers, AssessmentRow.row).where(
        AssessmentRow.job_id == job.id, AssessmentRow.table_name == TABLE
    )
    q = q.where(
        AssessmentRow.location.is_(None) if location is None else AssessmentRow.location == location
    )
    out = {}
    for where, covers, row in session.execute(q):
        if not view.allows(TABLE, where, covers):
            continue
        figure = json.loads(row)
        svg = figure["svg"]
        if where is None and not view.everything:
            svg = without(svg, set((covers or "").split(",")) - view.members - {""})
        out[figure["name"]] = svg
    return out
