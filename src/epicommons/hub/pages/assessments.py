"""Dashboard pages of assessments: the job list with progress (coordinators start one there),
the latest assessment (maps of Rt and expected importations, per-member table, shortfalls, the
proposed split with its explanation) and each member's corrected curve with its forecast fan.

Every row shown comes through `hub.assessments.read_rows` under the caller's view, as in the
API; the figures were drawn when the job finished and come through `hub.figures.read` under the
same view (a page view never draws).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .. import assessments as service
from .. import figures, jobs
from ..access import Principal
from ..api.deps import hub
from ..clock import utcnow
from ..models import Job
from ..schemas import row_id
from .auth import PageError, as_page, check_csrf, viewer
from .paging import paged
from .render import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]
JOB_ROWS = 25  # jobs per page, newest first
NOWCAST_DAYS = 14  # days of a member's corrected curve listed below its chart
REFRESH_S = 5  # the job list reloads itself while a job is queued or running


@router.get("/dashboard/assessments", response_class=HTMLResponse)
def job_list(request: Request, caller: Viewer) -> HTMLResponse:
    """The assessment jobs with their status and progress, newest first."""
    return _job_list(request, caller)


def _job_list(  # type: ignore[no-untyped-def]
    request: Request, caller: Principal, message=None, bad=False, status=200
) -> HTMLResponse:
    state = hub(request)
    with state.db.read() as session:
        total = service.count_jobs(session)
        page = paged(request, caller, JOB_ROWS, total)
        found = service.list_jobs(session, limit=JOB_ROWS, offset=(page.number - 1) * JOB_ROWS)
    active = any(j.status in ("queued", "running") for j in found)
    return render(
        request,
        "assessments.html",
        caller=caller,
        title="Assessments",
        jobs=found,
        page=page,
        refresh=REFRESH_S if active else None,
        today=utcnow().date().isoformat(),
        detail=caller.role == "coordinator",
        message=message,
        bad=bad,
        status=status,
    )


@router.post("/dashboard/assessments", response_class=HTMLResponse)
async def start(request: Request, caller: Viewer) -> HTMLResponse:
    """Queue an assessment as of the form's date (coordinators), as `POST /assessments` does."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    if caller.role != "coordinator":
        raise PageError(403, "Only a coordinator starts an assessment.", caller=caller)
    raw = str(form.get("as_of", "")).strip()
    try:
        as_of = dt.date.fromisoformat(raw) if raw else utcnow().date()
    except ValueError:
        return _job_list(request, caller, f"Not a date: {raw[:20]!r}.", bad=True, status=422)
    if as_of > utcnow().date() + dt.timedelta(days=1):
        return _job_list(request, caller, "That date lies in the future.", bad=True, status=422)
    state = hub(request)
    params = service.options_from({}).model_dump(mode="json")  # the library's defaults
    job = await run_in_threadpool(
        lambda: jobs.enqueue(
            state.db, kind=service.KIND, as_of=as_of, params=params, created_by=caller.actor
        )
    )
    jobs.wake_runner(request.app)
    return _job_list(request, caller, f"Assessment {job.id} as of {as_of} is queued.")


@router.get("/dashboard/assessment", response_class=RedirectResponse)
def latest(request: Request, caller: Viewer) -> RedirectResponse:
    """The newest finished assessment (or the job list when there is none yet)."""
    with hub(request).db.read() as session:
        job = service.latest_done(session)
    return RedirectResponse(
        f"/dashboard/assessments/{job.id}" if job else "/dashboard/assessments", status_code=303
    )


def _done(session, caller: Principal, job_id: str) -> Job:  # type: ignore[no-untyped-def]
    number = row_id(job_id)
    if number is None:
        raise PageError(404, "No such assessment.", caller=caller)
    with as_page(caller):
        job = service.get_job(session, number)
    if job.status != "done":
        raise PageError(
            409, f"Assessment {job.id} is {job.status}; see the job list.", caller=caller
        )
    return job


def _rows(session, job: Job, table: str, view, locations=None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    if table not in service.table_names(job):
        return []
    return service.read_rows(session, job, table, view, locations)


def _latest_rt(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each member's latest Rt window (its numbers None when it has no estimate)."""
    return {r["location"]: r for r in rows}


@router.get("/dashboard/assessments/{job_id}", response_class=HTMLResponse)
def assessment(request: Request, caller: Viewer, job_id: str) -> HTMLResponse:
    """One finished assessment, as far as the caller may read it."""
    state = hub(request)
    with state.db.read() as session:
        job = _done(session, caller, job_id)
        view = service.view_of(session, caller)
        tables = {
            name: _rows(session, job, name, view)
            for name in (
                "rt",
                "importation",
                "arrival",
                "shortfall",
                "allocation",
                "explanation",
                "shadow_prices",
                "warnings",
                "failures",
            )
        }
        maps = figures.read(session, job, view)
    meta = service.metadata_of(job)
    members = list(meta.get("members", []))
    rt = _latest_rt(tables["rt"])
    imports = {r["location"]: r for r in tables["importation"]}
    arrival = {r["location"]: r for r in tables["arrival"]}
    shown = [m for m in members if view.everything or m in view.members]
    rows = [(m, rt.get(m), imports.get(m), arrival.get(m)) for m in shown]
    return render(
        request,
        "assessment.html",
        caller=caller,
        title=f"Assessment {job.id} as of {job.as_of}",
        job=job,
        meta=meta,
        rows=rows,
        hidden=len(members) - len(shown),
        maps_allowed=view.allows(figures.TABLE, None, ",".join(members)),
        rt_map=Markup(maps[figures.RT_MAP]) if figures.RT_MAP in maps else None,
        imp_map=Markup(maps[figures.IMPORTATION_MAP]) if figures.IMPORTATION_MAP in maps else None,
        # the allocator's report sums over every member: an aggregate under the same rule
        allocation_text=meta.get("notes", {}).get("allocation_text")
        if view.allows("notes", None, ",".join(members))
        else None,
        shortfall=_shortfalls(tables["shortfall"]),
        explanation=[r for r in tables["explanation"] if (r.get("delivered") or 0) > 0],
        allocation=tables["allocation"],
        shadow=tables["shadow_prices"],
        warnings=tables["warnings"],
        failures=tables["failures"],
        min_aggregate=service.MIN_AGGREGATE,
    )


def _shortfalls(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per member and item: stock, need and unmet over the weeks, first short week."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["location"], r["item"])
        line = out.setdefault(
            key,
            {
                "location": r["location"],
                "item": r["item"],
                "stock": r.get("stock"),
                "stock_date": r.get("stock_date"),
                "need": 0.0,
                "unmet": 0.0,
                "shortfall_week": r.get("shortfall_week"),
            },
        )
        line["need"] += r.get("need") or 0.0
        line["unmet"] += r.get("unmet") or 0.0
    return sorted(
        out.values(),
        key=lambda r: (r["shortfall_week"] is None, r["shortfall_week"] or 0, -r["unmet"]),
    )


@router.get("/dashboard/assessments/{job_id}/members/{code}", response_class=HTMLResponse)
def member(request: Request, caller: Viewer, job_id: str, code: str) -> HTMLResponse:
    """One member's corrected curve with the nowcast band and the forecast fan, and its Rt."""
    state = hub(request)
    with state.db.read() as session:
        job = _done(session, caller, job_id)
        view = service.view_of(session, caller)
        if not view.everything and code not in view.members:
            raise PageError(403, f"{code} has not shared its reports with you.", caller=caller)
        tables = {
            name: _rows(session, job, name, view, locations=[code])
            for name in ("curve", "forecast", "rt", "importation", "arrival", "failures")
        }
        chart = figures.read(session, job, view, location=code).get(figures.MEMBER_CHART)
    meta = service.metadata_of(job)
    if code not in meta.get("members", []):
        raise PageError(404, f"{code} is not a member of assessment {job.id}.", caller=caller)
    # the forecast the assessment used, not the baseline kept as its reference
    forecast = [r for r in tables["forecast"] if r.get("chosen", True)]
    rt = _latest_rt(tables["rt"]).get(code)
    return render(
        request,
        "assessment_member.html",
        caller=caller,
        title=f"{code} in assessment {job.id}",
        job=job,
        code=code,
        chart=Markup(chart) if chart else None,
        recent=tables["curve"][-NOWCAST_DAYS:][::-1],
        weeks=_weekly(forecast),
        rt=rt,
        importation=(tables["importation"] or [None])[0],
        arrival=(tables["arrival"] or [None])[0],
        failures=tables["failures"],
    )


def _weekly(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The forecast's weeks: median with the 50% and 90% intervals."""
    weeks: dict[str, dict[str, Any]] = {}
    for r in rows:
        week = weeks.setdefault(
            r["target_end_date"], {"end": r["target_end_date"], "horizon": r["horizon"]}
        )
        week[r["quantile"]] = r["value"]
    return [weeks[k] for k in sorted(weeks)]
