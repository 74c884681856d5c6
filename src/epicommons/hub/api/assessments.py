"""Assessment routes: start one (coordinators), follow its job, read its tables under the rule
of `hub.assessments` (own rows, shared rows, aggregates large enough, own proposal line), and
the forecasts' track record (`hub.track`)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from .. import assessments as service
from .. import jobs, track
from ..access import Principal
from ..clock import utcnow
from ..models import Job
from ..problems import AsciiJSONResponse
from ..schemas import MAX_ID, AssessmentIn, AssessmentOut, JobStatus, TrackRecordOut
from .deps import Caller, CoordinatorDep, HubDep
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["assessments"])
JobId = Annotated[int, Path(ge=1, le=MAX_ID)]
Table = Annotated[str, Path(pattern=r"^[a-z_]{1,32}$", examples=["rt"])]
MemberFilter = Annotated[
    str | None, Query(pattern=r"^[A-Z][A-Z0-9_-]{1,11}$", description="one member's rows")
]


def _out(job: Job, caller: Principal, failures: list[dict] | None = None) -> dict:
    """A job as answered: the error's text for coordinators only, the failures shown."""
    summary = service.job_summary(job, detail=caller.role == "coordinator")
    return {**summary, "failures": failures or []}


@router.post("/assessments", response_model=AssessmentOut, status_code=202)
async def start(
    request: Request, caller: CoordinatorDep, state: HubDep, body: AssessmentIn
) -> dict:
    """Queue an assessment of every member as known on `as_of` (coordinators only).

    It runs outside the request; follow it at `GET /assessments/{id}`.
    """
    options = await run_in_threadpool(service.options_from, body.options)
    job = await run_in_threadpool(
        lambda: jobs.enqueue(
            state.db,
            kind=service.KIND,
            as_of=body.as_of or utcnow().date(),
            params=options.model_dump(mode="json"),
            created_by=caller.actor,
        )
    )
    jobs.wake_runner(request.app)
    return _out(job, caller)


@router.get("/assessments", response_model=list[AssessmentOut])
def list_assessments(
    caller: Caller,
    state: HubDep,
    status: JobStatus | None = None,
    limit: Limit = PAGE,
    offset: Offset = 0,
) -> list[dict]:
    """Assessment jobs, newest first, with their state and progress."""
    with state.db.read() as session:
        found = service.list_jobs(session, limit=limit, offset=offset, status=status)
    return [_out(job, caller) for job in found]


@router.get("/assessments/{job_id}", response_model=AssessmentOut)
def get_assessment(caller: Caller, state: HubDep, job_id: JobId) -> dict:
    """One assessment: status, progress, errors and the failed steps the caller may read."""
    with state.db.read() as session:
        job = service.get_job(session, job_id)
        failures = []
        if job.status == "done" and "failures" in service.table_names(job):
            view = service.view_of(session, caller)
            failures = service.read_rows(session, job, "failures", view)
    return _out(job, caller, failures)


TABLE_RESPONSES: dict[int | str, dict] = {
    200: {
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


@router.get("/assessments/{job_id}/{table}", response_class=Response, responses=TABLE_RESPONSES)
def get_table(
    caller: Caller,
    state: HubDep,
    job_id: JobId,
    table: Table,
    member: MemberFilter = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Response:
    """One table of a finished assessment: the rows the caller may read (`member` filters)."""
    with state.db.read() as session:
        job = service.get_job(session, job_id)
        view = service.view_of(session, caller)
        rows = service.read_rows(session, job, table, view, locations=[member] if member else None)
        columns = service.columns(job, table)
    return table_response(rows, columns, format)


def table_response(rows: list[dict], columns: list[str], format: str) -> Response:
    """A job's table as JSON, or as CSV with its stored columns (assessments, what-ifs)."""
    if format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv")
    return AsciiJSONResponse(rows)


@router.get("/track-record", response_model=TrackRecordOut)
def get_track_record(
    caller: Caller,
    state: HubDep,
    assessment: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="default: the latest with scores")
    ] = None,
) -> dict:
    """How the assessments' forecasts scored: an assessment's `forecast_scores` summarised per
    model and horizon over all members (aggregates under the small-aggregate rule) and per
    member the caller reads."""
    with state.db.read() as session:
        job = track.scored_job(session, assessment)
        record = track.track_record(session, job, service.view_of(session, caller))
    return {
        "assessment": job.id,
        "as_of": job.as_of,
        "scored_against": track.SCORED_AGAINST,
        "by_horizon": record.by_horizon,
        "overall": record.overall,
        "by_member": record.by_member,
        "suppressed": record.suppressed,
    }
