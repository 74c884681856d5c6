"""FHIR R4 routes: MeasureReports in (one, or a batch or transaction Bundle) and out (search).

Every write goes through `reports.import_report` (via `fhir.store`); every refusal is an
OperationOutcome (`fhir.outcome`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import readable_members, require_reporter_of
from ..fhir.bundle import read_bundle
from ..fhir.codes import FhirCodes, codes_of
from ..fhir.measurereport import read_report
from ..fhir.outcome import MEDIA_TYPE, Issue, Rejected, error, outcome, response
from ..fhir.search import capability_statement, period_range, searchset
from ..fhir.store import store_batch_entry, store_report, store_transaction
from ..guard import PARSED
from ..models import Member
from ..problems import HubProblem
from ..refusals import TooLarge
from ..reports import value_rows
from ..schemas import AsOf
from .deps import Caller, Hub, HubDep

router = APIRouter(tags=["FHIR"])
# As the native import's header, a little shorter: a batch stores entry n under "<key>/entry/<n>".
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,180}$")
]
MAX_SEARCH_VALUES = 10_000


class OperationOutcome(BaseModel):
    """A FHIR R4 OperationOutcome (every FHIR refusal, and the answer to a stored report)."""

    model_config = ConfigDict(extra="allow")
    resourceType: str  # noqa: N815 - FHIR's element name
    issue: list[dict[str, Any]]


def _fhir_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {MEDIA_TYPE: {"schema": schema}}


OUTCOME_REF = {"$ref": "#/components/schemas/OperationOutcome"}
FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": HTTPStatus(code).phrase, "content": _fhir_content(OUTCOME_REF)}
    for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}
RESOURCE = {"type": "object", "required": ["resourceType"]}


def _body(kind: str) -> dict[str, Any]:
    schema = {**RESOURCE, "properties": {"resourceType": {"const": kind}}}
    content = {"application/fhir+json": {"schema": schema}, "application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def _responses(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "OK", "content": _fhir_content(schema)}}


def _document(request: Request) -> Any:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/fhir+json", "application/json"):
        raise HubProblem(415, "send application/fhir+json")
    if not hasattr(request.state, PARSED):  # the body guard parses every non-empty JSON body
        raise HubProblem(400, "empty body; expected a FHIR resource")
    return getattr(request.state, PARSED)


def _members(session: Session) -> dict[str, Member]:
    return {m.code: m for m in session.scalars(select(Member))}


def _members_and_codes(state: Hub) -> tuple[dict[str, Member], FhirCodes]:
    """Every member by code and the FHIR rules of the mapping in force, in one read (what a
    MeasureReport is read against before its import)."""
    with state.db.read() as session:
        return _members(session), codes_of(state.mappings.current(session)[1])


@router.post(
    "/fhir/MeasureReport",
    openapi_extra=_body("MeasureReport"),
    responses=_responses(OUTCOME_REF),
    response_class=Response,
    summary="Store a FHIR R4 MeasureReport",
)
def post_measure_report(
    caller: Caller,
    state: HubDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Store the counts of one MeasureReport (SANER style, individual or summary) as report
    values of its subject's member; the answer is an OperationOutcome with the import summary."""
    require_reporter_of(caller, caller.member_id)
    doc = _document(request)
    members, codes = _members_and_codes(state)
    report = read_report(doc, codes, set(members), "MeasureReport")
    issues = store_report(
        state.db,
        caller,
        members,
        report,
        max_rows=state.settings.max_rows,
        idempotency_key=idempotency_key,
    )
    return response(outcome(issues))


@router.post(
    "/fhir",
    openapi_extra=_body("Bundle"),
    responses=_responses(
        {**RESOURCE, "description": "a batch-response or transaction-response Bundle"}
    ),
    response_class=Response,
    summary="Store a batch or transaction Bundle of MeasureReports",
)
def post_bundle(
    caller: Caller,
    state: HubDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A transaction stores every entry or none (one import); a batch stores each entry on its
    own and answers each entry's status. The answer is a batch-response or transaction-response
    Bundle whose entries carry an OperationOutcome."""
    require_reporter_of(caller, caller.member_id)
    doc = _document(request)
    members, codes = _members_and_codes(state)
    kind, entries = read_bundle(doc, codes, set(members))
    limit = state.settings.max_rows
    total = sum(len(e.report.rows) for e in entries)
    if total > limit:
        raise TooLarge(f"a Bundle holds at most {limit} values; this one has {total}")
    if kind == "transaction":
        issues = store_transaction(
            state.db,
            caller,
            members,
            entries,
            max_rows=limit,
            idempotency_key=idempotency_key,
        )
        answers = [_answer(200, i) for i in issues]
    else:
        answers = []
        for n, entry in enumerate(entries):
            key = None if idempotency_key is None else f"{idempotency_key}/entry/{n}"
            status, issues = store_batch_entry(
                state.db,
                caller,
                members,
                entry,
                max_rows=limit,
                idempotency_key=key,
            )
            answers.append(_answer(status, issues))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": f"{kind}-response"}
    if answers:
        bundle["entry"] = answers
    return response(bundle)


def _answer(status: int, issues: list[Issue]) -> dict[str, Any]:
    phrase = f"{status} {HTTPStatus(status).phrase}"
    return {"response": {"status": phrase, "outcome": outcome(issues)}}


Subject = Annotated[
    str | None,
    Query(
        pattern=r"^((Location|Organization|Group)/)?[A-Z][A-Z0-9_-]{1,11}$",
        description="the member's code, e.g. KOR or Location/KOR",
    ),
]
SubjectIdentifier = Annotated[
    str | None,
    Query(
        alias="subject:identifier",
        pattern=r"^[\x21-\x7b\x7d\x7e]{1,500}\|[\x20-\x7e]{1,200}$",
        description="system|value of the subject's identifier, as in the mapping's subjects",
    ),
]
PeriodValue = Annotated[
    str, StringConstraints(pattern=r"^(eq|ge|le|gt|lt)?\d{4}(-\d{2}(-\d{2})?)?$")
]
Period = Annotated[
    list[PeriodValue] | None,
    Query(
        description="a date, month or year with an optional prefix (eq, ge, le, gt, lt); repeatable"
    ),
]


AsOfParam = Annotated[
    AsOf | None,
    Query(
        alias="as-of",
        description="not a FHIR search parameter (the hub's own, declared in the "
        "CapabilityStatement): the values as known at this date (end of the UTC day) or time",
    ),
]


@router.get(
    "/fhir/MeasureReport",
    responses=_responses({**RESOURCE, "description": "a searchset Bundle"}),
    response_class=Response,
    summary="Search the readable values as MeasureReports",
)
def search_measure_reports(
    caller: Caller,
    state: HubDep,
    request: Request,
    subject: Subject = None,
    subject_identifier: SubjectIdentifier = None,
    period: Period = None,
    as_of: AsOfParam = None,
) -> Response:
    """The values the caller may read (own, granted, or all for a coordinator) as a searchset
    Bundle of summary MeasureReports, one per member, date and measure (as known at `as-of`)."""
    start, end = period_range(period or [])
    condition = readable_members(caller, "reports")
    if subject is not None:
        condition = condition & (Member.code == subject.rsplit("/", 1)[-1])
    with state.db.read() as session:
        codes = codes_of(state.mappings.current(session)[1])
        if subject_identifier is not None:
            system, value = subject_identifier.split("|", 1)
            named = codes.member(system, value, set(_members(session)))
            condition = condition & (Member.code == (named or ""))
        rows = value_rows(
            session,
            condition,
            indicator=None,
            start=start,
            end=end,
            limit=MAX_SEARCH_VALUES + 1,
            offset=0,
            as_of=as_of,
        )
        kinds = dict(session.execute(select(Member.code, Member.kind)).tuples().all())
    if len(rows) > MAX_SEARCH_VALUES:
        reason = f"more than {MAX_SEARCH_VALUES} values match; narrow the period or the subject"
        raise Rejected(422, [error("too-costly", reason)])
    return response(searchset(rows, codes, kinds, str(request.url)))


@router.get(
    "/fhir/metadata",
    responses=_responses({**RESOURCE, "description": "a CapabilityStatement"}),
    response_class=Response,
    summary="What this FHIR endpoint does (CapabilityStatement)",
)
def metadata(caller: Caller, request: Request) -> Response:
    """The CapabilityStatement a FHIR client reads first: R4, JSON, MeasureReport create and
    search (subject, period, the hub's as-of), batch and transaction."""
    base = str(request.url).removesuffix("/metadata").split("?", 1)[0]
    return response(capability_statement(base))
