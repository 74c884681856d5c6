"""Dashboard pages of what-ifs: the coordinator's form on an assessment's page queues one
(`POST /dashboard/whatifs`, as `POST /whatifs` does) and leads to its job page, which shows the
progress and, once done, the paired effects per member the caller may read.

Every row shown comes through `hub.assessments.read_rows` under the caller's view, as in the API.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from epicommons.errors import InputError

from .. import assessments, jobs
from .. import whatifs as service
from ..access import Principal
from ..api.deps import hub
from ..schemas import row_id
from .auth import PageError, as_page, check_csrf, viewer
from .render import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]
REFRESH_S = 3  # the job page reloads itself while the what-if is queued or running
METRICS = ("importations_averted", "infections_averted", "deaths_averted")


@router.post("/dashboard/whatifs")
async def start(request: Request, caller: Viewer) -> RedirectResponse:
    """Queue a what-if from the assessment page's form (coordinators) and go to its page."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    if caller.role != "coordinator":
        raise PageError(403, "Only a coordinator starts a what-if.", caller=caller)
    assessment = row_id(str(form.get("assessment", "")))
    if assessment is None:
        raise PageError(404, "No such assessment.", caller=caller)
    measure = {
        "kind": str(form.get("kind", "")),
        "members": [str(m) for m in form.getlist("members")],
        "strength": _percent(str(form.get("strength", "")), caller),
        "start_day": _whole(str(form.get("start_day", "1")), "start day", caller),
    }
    state = hub(request)
    try:
        with as_page(caller):
            job = await run_in_threadpool(
                service.start, state.db, caller.actor, measure, assessment
            )
    except InputError as exc:
        raise PageError(422, f"{exc.message} ({exc.field}).", caller=caller) from None
    jobs.wake_runner(request.app)
    return RedirectResponse(f"/dashboard/whatifs/{job.id}", status_code=303)


def _percent(raw: str, caller: Principal) -> float:
    try:
        return float(raw) / 100.0
    except ValueError:
        raise PageError(422, f"Strength: not a number: {raw[:20]!r}.", caller=caller) from None


def _whole(raw: str, name: str, caller: Principal) -> int:
    if not re.fullmatch(r"\s*[0-9]{1,6}\s*", raw, re.ASCII):
        raise PageError(422, f"The {name}: not a whole number: {raw[:20]!r}.", caller=caller)
    return int(raw)


@router.get("/dashboard/whatifs/{job_id}", response_class=HTMLResponse)
def whatif(request: Request, caller: Viewer, job_id: str) -> HTMLResponse:
    """One what-if: its progress, and once done the members' effects the caller may read."""
    number = row_id(job_id)
    if number is None:
        raise PageError(404, "No such what-if.", caller=caller)
    with hub(request).db.read() as session:
        with as_page(caller):
            job = assessments.get_job(session, number, service.KIND)
        view = assessments.view_of(session, caller)
        effects = arrival = []
        if job.status == "done":
            effects = assessments.read_rows(session, job, "effects", view)
            arrival = assessments.read_rows(session, job, "arrival", view)
    meta = assessments.metadata_of(job)
    summary = service.summary(job, detail=caller.role == "coordinator")
    return render(
        request,
        "whatif.html",
        caller=caller,
        title=f"What-if {job.id}",
        job=job,
        summary=summary,
        meta=meta,
        rows=_by_member(effects, arrival),
        refresh=REFRESH_S if job.status in ("queued", "running") else None,
    )


def _by_member(effects: list[dict[str, Any]], arrival: list[dict[str, Any]]) -> list[dict]:
    """One line per member (the members together last): each metric, and the arrival delay."""
    lines: dict[str, dict[str, Any]] = {}
    for r in effects:
        lines.setdefault(r["location"], {"location": r["location"]})[r["metric"]] = r
    for r in arrival:
        lines.setdefault(r["location"], {"location": r["location"]})["arrival"] = r
    overall = lines.pop("ALL", None)
    ordered = sorted(
        lines.values(),
        key=lambda x: -((x.get("importations_averted") or {}).get("difference_mean") or 0.0),
    )
    return [*ordered, overall] if overall else ordered
