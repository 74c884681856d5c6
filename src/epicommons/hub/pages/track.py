"""The forecasts' track record page: an assessment's scores of the earlier assessments'
forecasts per model and horizon (aggregates under the small-aggregate rule), per model over
every horizon, and per member the caller reads, with a chart of the members' relative WIS.

The lines come from `hub.track.track_record` under the caller's view, as the API's
`GET /track-record` gives them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from .. import assessments as service
from .. import track
from ..access import Principal
from ..api.deps import hub
from ..refusals import NotFound
from ..schemas import row_id
from .auth import PageError, viewer
from .render import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]


@router.get("/dashboard/assessments/track-record", response_class=HTMLResponse)
def track_record(request: Request, caller: Viewer) -> HTMLResponse:
    """The track record of the assessment `?id=` (default: the latest with scores)."""
    raw = request.query_params.get("id")
    if raw is not None and row_id(raw) is None:
        raise PageError(404, "No such assessment.", caller=caller)
    with hub(request).db.read() as session:
        try:
            job = track.scored_job(session, int(raw) if raw else None)
        except NotFound as exc:
            if raw:
                raise PageError(404, exc.detail, caller=caller) from exc
            job = None  # nothing scored yet: the page says so
        record = track.track_record(session, job, service.view_of(session, caller)) if job else None
    return render(
        request,
        "track.html",
        caller=caller,
        title="Forecast track record",
        job=job,
        record=record,
        scored_against=track.SCORED_AGAINST,
        chart=_chart(record.by_member) if record else None,
        min_aggregate=service.MIN_AGGREGATE,
    )


def _chart(lines: list[dict[str, Any]]) -> Markup | None:
    """The members' relative WIS of each model but the baseline (1: as good as the baseline)."""
    bars = tuple(
        (r["location"], r["model"], _finite(r["relative_wis"]))
        for r in lines
        if r["model"] != "baseline"
    )
    return Markup(_bars(bars)) if bars else None


@lru_cache(maxsize=64)
def _bars(bars: tuple[tuple[str, str, float], ...]) -> str:
    """The chart of these bars (kept: a finished assessment's lines never change)."""
    from epicommons.report.figures import bar_chart

    models = sorted({m for _, m, _ in bars})
    members = sorted({c for c, _, _ in bars})
    value = {(c, m): v for c, m, v in bars}
    groups = {m: [value.get((c, m), float("nan")) for c in members] for m in models}
    # the report toolkit's SVG, drawn by matplotlib from our own numbers
    return bar_chart(
        members,
        groups,
        title="Relative WIS against the Forecast Hubs' baseline, all horizons",
        ylabel="relative WIS (below 1: better than the baseline)",
        horizontal=True,
    )


def _finite(value: float | None) -> float:
    return float("nan") if value is None else float(value)
