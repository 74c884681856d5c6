"""Report routes: import JSON or CSV, read one member's values, export and aggregate."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..access import may_read, readable_members
from ..guard import PARSED
from ..indicators import INDICATORS
from ..models import Member
from ..problems import HubProblem, problem_response
from ..reports import aggregate, import_report, records_from_csv, records_from_json, value_rows
from ..schemas import AggregateOut, AsOf, ImportSummaryOut, IsoDate, ValueOut
from ..triangles import COUNTS, import_triangle
from .deps import Caller, HubDep, MemberDep, OwnMember
from .paging import Limit, Offset

router = APIRouter(tags=["reports"])
Indicator = Literal[tuple(INDICATORS)]  # type: ignore[valid-type]
Start = Annotated[IsoDate | None, Query(description="first date, inclusive")]
End = Annotated[IsoDate | None, Query(description="last date, inclusive")]
AsOfQuery = Annotated[
    AsOf | None,
    Query(description="the values as known at this date (end of the UTC day) or time"),
]
MemberFilter = Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9_-]{1,11}$")]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,200}$")
]

REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ReportIn"}},
            "text/csv": {
                "schema": {"type": "string"},
                "example": "date,indicator,item,value\n2026-11-01,new_cases,,12\n",
            },
        },
    }
}


@router.post(
    "/members/{code}/reports",
    response_model=ImportSummaryOut,
    openapi_extra=REPORT_BODY,
    summary="Import a report (JSON or CSV)",
)
async def post_report(
    caller: Caller,
    state: HubDep,
    member: OwnMember,
    request: Request,
    idempotency_key: IdempotencyKey = None,
    dryRun: bool = False,  # noqa: N803 - DHIS2's parameter name
    atomicMode: Literal["ALL", "NONE"] = "ALL",  # noqa: N803
) -> JSONResponse:
    """Validate and store values; the answer is an import summary, or 422 with its conflicts.

    atomicMode=ALL (default) stores nothing if any row conflicts; NONE stores the valid rows.
    Resending the same Idempotency-Key, or the same content, changes nothing.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = state.settings.max_rows
    if ctype == "application/json":
        if not hasattr(request.state, PARSED):  # the body guard parses every non-empty JSON body
            raise HubProblem(400, "empty body; expected JSON")
        records = records_from_json(getattr(request.state, PARSED), limit)
        from_text = False
    elif ctype in ("text/csv", "application/csv"):
        records = records_from_csv(await request.body(), limit)
        from_text = True
    else:
        raise HubProblem(415, "send application/json or text/csv")
    summary = await run_in_threadpool(
        import_report,
        state.db,
        caller,
        member,
        records,
        from_text=from_text,
        dry_run=dryRun,
        atomic=atomicMode == "ALL",
        idempotency_key=idempotency_key,
    )
    if summary.status == "ERROR":
        return problem_response(
            422,
            f"{len(summary.conflicts)} conflicting row(s); nothing was stored",
            request.url.path,
            importSummary=summary.as_json(),
        )
    return JSONResponse(summary.as_json())


TRIANGLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "date,value_0d,value_1d,value_2d\n2026-11-01,12,3,1\n2026-11-02,9,4,\n",
            }
        },
    }
}


@router.post(
    "/members/{code}/reports/triangle",
    response_model=ImportSummaryOut,
    openapi_extra=TRIANGLE_BODY,
    summary="Seed a count's history from a reporting triangle (CSV)",
)
async def post_triangle(
    caller: Caller,
    state: HubDep,
    member: OwnMember,
    request: Request,
    idempotency_key: IdempotencyKey = None,
    indicator: Literal[COUNTS] = "new_cases",  # type: ignore[valid-type]
    dryRun: bool = False,  # noqa: N803 - DHIS2's parameter name
) -> JSONResponse:
    """Each cell of a daily triangle (wide `date, value_0d, …` or long `reference_date,
    report_date, count`, as the nowcast reads) becomes a revision known on its report date.

    Only the caller's own location; only dates without a history (a date whose history is the
    file's is ignored); any conflict stores nothing (422 with the import summary).
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("text/csv", "application/csv"):
        raise HubProblem(415, "send the triangle as text/csv")
    summary = await run_in_threadpool(
        import_triangle,
        state.db,
        caller,
        member,
        await request.body(),
        indicator=indicator,
        max_rows=state.settings.max_rows,
        dry_run=dryRun,
        idempotency_key=idempotency_key,
    )
    if summary.status == "ERROR":
        return problem_response(
            422,
            f"{len(summary.conflicts)} conflicting cell(s); nothing was stored",
            request.url.path,
            importSummary=summary.as_json(),
        )
    return JSONResponse(summary.as_json())


@router.get("/members/{code}/reports", response_model=list[ValueOut])
def member_values(
    caller: Caller,
    state: HubDep,
    member: MemberDep,
    indicator: Indicator | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    as_of: AsOfQuery = None,
) -> list[dict]:
    """One member's stored values (as known at `as_of`), if the caller may read them."""
    with state.db.read() as session:
        if not may_read(session, caller, member.id, "reports"):
            raise HubProblem(403, f"{member.code} has not shared its reports with you")
        return value_rows(
            session,
            Member.id == member.id,
            indicator=indicator,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
            as_of=as_of,
        )


def _readable_values(
    caller, state, member, indicator, start, end, limit, offset, as_of
) -> list[dict]:  # type: ignore[no-untyped-def]
    condition = readable_members(caller, "reports")
    if member is not None:
        condition = condition & (Member.code == member)
    with state.db.read() as session:
        return value_rows(
            session,
            condition,
            indicator=indicator,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
            as_of=as_of,
        )


@router.get("/values", response_model=list[ValueOut])
def values(
    caller: Caller,
    state: HubDep,
    member: MemberFilter = None,
    indicator: Indicator | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    as_of: AsOfQuery = None,
) -> list[dict]:
    """Values of every member whose reports the caller may read (as known at `as_of`)."""
    return _readable_values(caller, state, member, indicator, start, end, limit, offset, as_of)


@router.get(
    "/values.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def values_csv(
    caller: Caller,
    state: HubDep,
    member: MemberFilter = None,
    indicator: Indicator | None = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 10_000,
    offset: Offset = 0,
    as_of: AsOfQuery = None,
) -> Response:
    """The same rows as /values, as CSV."""
    rows = _readable_values(caller, state, member, indicator, start, end, limit, offset, as_of)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["member", "date", "indicator", "item", "value"])
    for r in rows:
        writer.writerow([r["member"], r["date"].isoformat(), r["indicator"], r["item"], r["value"]])
    return Response(out.getvalue(), media_type="text/csv")


@router.get("/aggregates", response_model=list[AggregateOut])
def aggregates(
    caller: Caller,
    state: HubDep,
    indicator: Indicator,
    item: Annotated[str, Query(pattern=r"^$|^[a-z0-9][a-z0-9_.-]{0,63}$")] = "",
    start: Start = None,
    end: End = None,
    as_of: AsOfQuery = None,
) -> list[dict]:
    """Per-date totals over the members whose reports the caller may read (as known at
    `as_of`)."""
    with state.db.read() as session:
        return aggregate(
            session,
            readable_members(caller, "reports"),
            indicator=indicator,
            item=item,
            start=start,
            end=end,
            as_of=as_of,
        )
