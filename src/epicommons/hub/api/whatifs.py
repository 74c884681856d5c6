"""What-if routes: compare a measure with an assessment (coordinators), follow the job, read
its tables under the assessments' rule (own rows, shared rows, aggregates large enough)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from .. import assessments, jobs
from .. import whatifs as service
from ..schemas import JobStatus, WhatIfIn, WhatIfOut
from .assessments import TABLE_RESPONSES, JobId, MemberFilter, Table, table_response
from .deps import Caller, CoordinatorDep, HubDep
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["what-ifs"])


@router.post("/whatifs", response_model=WhatIfOut, status_code=202)
async def start(request: Request, caller: CoordinatorDep, state: HubDep, body: WhatIfIn) -> dict:
    """Queue the paired comparison of a measure with an assessment's baseline (coordinators).

    The latest finished assessment unless `assessment` names one; follow the job at
    `GET /whatifs/{id}`.
    """
    job = await run_in_threadpool(
        service.start, state.db, caller.actor, body.measure, body.assessment
    )
    jobs.wake_runner(request.app)
    return service.summary(job, detail=True)


@router.get("/whatifs", response_model=list[WhatIfOut])
def list_whatifs(
    caller: Caller,
    state: HubDep,
    status: JobStatus | None = None,
    limit: Limit = PAGE,
    offset: Offset = 0,
) -> list[dict]:
    """What-if jobs, newest first, with their state and progress."""
    with state.db.read() as session:
        found = assessments.list_jobs(
            session, limit=limit, offset=offset, status=status, kind=service.KIND
        )
    return [service.summary(job, detail=caller.role == "coordinator") for job in found]


@router.get("/whatifs/{job_id}", response_model=WhatIfOut)
def get_whatif(caller: Caller, state: HubDep, job_id: JobId) -> dict:
    """One what-if: status, progress, error, the assessment it compares with, the measure."""
    with state.db.read() as session:
        job = assessments.get_job(session, job_id, service.KIND)
    return service.summary(job, detail=caller.role == "coordinator")


@router.get("/whatifs/{job_id}/{table}", response_class=Response, responses=TABLE_RESPONSES)
def get_table(
    caller: Caller,
    state: HubDep,
    job_id: JobId,
    table: Table,
    member: MemberFilter = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Response:
    """One table of a finished what-if (`effects`, `arrival`, `warnings`): the rows the caller
    may read (`member` filters)."""
    with state.db.read() as session:
        job = assessments.get_job(session, job_id, service.KIND)
        view = assessments.view_of(session, caller)
        locations = [member] if member else None
        rows = assessments.read_rows(session, job, table, view, locations=locations)
        columns = assessments.columns(job, table)
    return table_response(rows, columns, format)
