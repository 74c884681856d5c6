"""DHIS2 Web API routes under /dhis2/api: data value sets, and what clients ask before they push.

Thin doors: authentication maps DHIS2's `ApiToken` header and HTTP Basic (member code, hub
token) onto the hub's tokens (`deps.authenticate`: same expiry, revocation, rate limits); bodies
are parsed by `dhis2.formats`, imported by `dhis2.imports` through the hub's one import path, and
read back by `dhis2.exports`. Every answer that is not data is a DHIS2 WebMessage.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import APIKeyHeader, HTTPBasic
from starlette.concurrency import run_in_threadpool

from epicommons import __version__

from ..access import Principal, require_reporter_of
from ..clock import utcnow
from ..dhis2 import exports, formats
from ..dhis2.imports import Options, push, summary_json
from ..dhis2.messages import answer
from ..guard import PARSED
from ..mapping import Mapping, Scheme
from ..models import Member
from ..problems import AsciiJSONResponse, HubProblem
from ..reports import STRATEGIES
from .deps import HubDep, authenticate, client_address

PREFIX = "/dhis2/api"
VERSION = "2.40.0"  # the DHIS2 Web API version whose shapes these routes answer in
router = APIRouter(tags=["DHIS2"])

SchemeParam = Annotated[
    str | None,
    Query(pattern=r"^([Uu][Ii][Dd]|[Cc][Oo][Dd][Ee]|[Nn][Aa][Mm][Ee]|attribute:[A-Za-z0-9]{11})$"),
]
Flag = Annotated[bool, Query()]
AsOfParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="not a DHIS2 parameter (the hub's own): the values as known at this date "
        "(end of the UTC day) or time, as `as_of` in /api/v1",
    ),
]
Strategy = Literal[STRATEGIES]  # type: ignore[valid-type]


def _suffix(request: Request) -> str | None:
    """The format suffix of a `.json`/`.csv`/`.adx` route (DHIS2 clients append one)."""
    return request.path_params.get("fmt")


Suffix = Annotated[str | None, Depends(_suffix)]
DVS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {
                    "dataSet": "uKtOZwDnIpM",
                    "period": "2026W45",
                    "orgUnit": "DiszpKrYNg8",
                    "dataValues": [{"dataElement": "bmbNyNoJcXP", "value": "12"}],
                },
            },
            "application/csv": {
                "schema": {"type": "string"},
                "example": "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
                "bmbNyNoJcXP,2026W45,DiszpKrYNg8,,,12\n",
            },
            "application/adx+xml": {"schema": {"type": "string"}},
        },
    }
}


class _Basic(HTTPBasic):
    """HTTP Basic in the OpenAPI document only: `dhis2_caller` parses the header itself, so a
    malformed one costs the address like any failed authentication."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


# Documented security schemes (both read the one Authorization header, parsed below).
basic = _Basic(auto_error=False, description="user name: the member code; password: a hub token")
api_token = APIKeyHeader(
    name="Authorization", auto_error=False, description="`ApiToken <token>` (a hub token)"
)


def dhis2_caller(
    request: Request,
    state: HubDep,
    _basic: Annotated[None, Depends(basic)],
    authorization: Annotated[str | None, Depends(api_token)],
) -> Principal:
    """The caller of `Authorization: ApiToken <token>` (DHIS2's personal access token header),
    `Bearer <token>`, or `Basic` with the member code as user name and a hub token as password."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    secret, user = None, None
    if scheme in ("apitoken", "bearer") and credentials and " " not in credentials:
        secret = credentials
    elif scheme == "basic" and credentials:
        try:
            pair = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pair = ""
        user, sep, password = pair.partition(":")
        secret = password if sep and password else None
    try:
        caller = authenticate(state, secret, client_address(request))
    except HubProblem as exc:
        if exc.status == 401 and secret is None:
            exc.detail = (
                "send Authorization: ApiToken <token>, or Basic with your member code as user "
                "name and a hub token as password"
            )
        raise
    if user is not None and user.upper() != caller.member_code:
        raise HubProblem(401, "the user name must be the token's member code")
    return caller


Caller = Annotated[Principal, Depends(dhis2_caller)]


def _mapping(state: HubDep) -> Mapping:
    with state.db.read() as session:
        return state.mappings.current(session)[1]


MappingDep = Annotated[Mapping, Depends(_mapping)]


def _scheme(*names: str | None, default: Scheme) -> Scheme:
    """The first scheme given (specific before general); only UID and CODE are supported."""
    for name in names:
        if name:
            upper = name.upper()
            if upper not in ("UID", "CODE"):
                raise HubProblem(409, f"id scheme {name} is not supported; use UID or CODE")
            return upper  # type: ignore[return-value]
    return default


def _format(fmt: str | None, accept: str | None) -> str:
    """json, csv or adx: from the path's suffix, else the Accept header."""
    if fmt is not None:
        if fmt not in ("json", "csv", "adx"):
            raise HubProblem(406, f"format .{fmt} is not served; use .json, .csv or .adx")
        return fmt
    accept = (accept or "").lower()
    if "adx" in accept:
        return "adx"
    if "csv" in accept:
        return "csv"
    return "json"


async def _post_data_value_sets(
    request: Request,
    state: HubDep,
    caller: Principal,
    params: dict[str, Any],
    idempotency_key: str | None,
) -> Response:
    require_reporter_of(caller, caller.member_id)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = state.settings.max_rows
    if ctype == "application/json":
        if not hasattr(request.state, PARSED):
            raise HubProblem(400, "empty body; expected a JSON data value set")
        value_set = formats.from_json(getattr(request.state, PARSED), limit)
    elif ctype in ("application/csv", "text/csv"):
        value_set = formats.from_csv(await request.body(), limit)
    elif ctype in ("application/adx+xml", "application/xml+adx"):
        value_set = formats.from_adx(await request.body(), limit)
    else:
        raise HubProblem(
            415,
            f"content type {ctype or '(none)'} is not read here; send application/json, "
            "application/csv or application/adx+xml (DXF2 XML is not supported)",
        )
    s = {**{k: v for k, v in params.items() if k.endswith("Scheme") and v}, **value_set.schemes}
    default: Scheme = "CODE" if value_set.values and value_set.values[0].adx else "UID"
    general = s.get("idScheme")
    options = Options(
        strategy=params["importStrategy"],
        dry_run=params["dryRun"],
        atomic=params["atomicMode"] == "ALL",
        data_element=_scheme(s.get("dataElementIdScheme"), general, default=default),
        org_unit=_scheme(s.get("orgUnitIdScheme"), general, default=default),
        coc=_scheme(s.get("categoryOptionComboIdScheme"), general, default=default),
        aoc=_scheme(s.get("attributeOptionComboIdScheme"), general, default=default),
        data_set=_scheme(s.get("dataSetIdScheme"), general, default=default),
        preheat_cache=params["preheatCache"],
    )
    outcome = await run_in_threadpool(
        push,
        state.db,
        caller,
        state.mappings,
        value_set,
        options,
        value_set.data_set or params.get("dataSet"),
        idempotency_key,
    )
    summary = summary_json(outcome)
    if summary["status"] == "SUCCESS":
        return answer(200, "Import was successful.", "OK", summary)
    message = (
        "One or more conflicts encountered, please check import summary."
        if summary["status"] == "WARNING"
        else "An error occurred, please check import summary."
    )
    return answer(409, message, summary["status"], summary)


IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[\x21-\x7e]{1,200}$")
]


@router.post(
    "/dataValueSets",
    summary="Import a DHIS2 data value set (JSON, CSV or ADX)",
    openapi_extra=DVS_BODY,
)
async def post_data_value_sets(
    request: Request,
    state: HubDep,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
    dryRun: Flag = False,  # noqa: N803 - DHIS2's parameter names
    importStrategy: Strategy = "CREATE_AND_UPDATE",  # noqa: N803
    atomicMode: Literal["ALL", "NONE"] = "NONE",  # noqa: N803
    idScheme: SchemeParam = None,  # noqa: N803
    dataElementIdScheme: SchemeParam = None,  # noqa: N803
    orgUnitIdScheme: SchemeParam = None,  # noqa: N803
    categoryOptionComboIdScheme: SchemeParam = None,  # noqa: N803
    attributeOptionComboIdScheme: SchemeParam = None,  # noqa: N803
    dataSetIdScheme: SchemeParam = None,  # noqa: N803
    preheatCache: Flag = False,  # noqa: N803 - accepted, nothing to preheat
    dataSet: Annotated[str | None, Query(max_length=50)] = None,  # noqa: N803
) -> Response:
    """Import values for the caller's member: 200 with DHIS2's import summary, or 409 with its
    conflicts (status WARNING: the valid values were stored; ERROR: nothing was)."""
    params = {
        "dryRun": dryRun,
        "importStrategy": importStrategy,
        "atomicMode": atomicMode,
        "idScheme": idScheme,
        "dataElementIdScheme": dataElementIdScheme,
        "orgUnitIdScheme": orgUnitIdScheme,
        "categoryOptionComboIdScheme": categoryOptionComboIdScheme,
        "attributeOptionComboIdScheme": attributeOptionComboIdScheme,
        "dataSetIdScheme": dataSetIdScheme,
        "preheatCache": preheatCache,
        "dataSet": dataSet,
    }
    return await _post_data_value_sets(request, state, caller, params, idempotency_key)


def _get_values(
    state: HubDep,
    caller: Principal,
    mapping: Mapping,
    fmt: str,
    query: exports.Query,
) -> Response:
    with state.db.read() as session:
        rows = exports.read(session, caller, mapping, query, state.settings.max_rows * 10)
    data_set = mapping.dhis2.data_set.ident(query.data_set_scheme)
    if fmt == "csv":
        return Response(formats.to_csv(rows), media_type="application/csv")
    if fmt == "adx":
        exported = utcnow().isoformat(timespec="seconds") + "Z"
        text = formats.to_adx(exports.adx_groups(rows), data_set, exported)
        return Response(text, media_type="application/adx+xml")
    return AsciiJSONResponse(formats.to_json(exports.public(rows), data_set))


ListParam = Annotated[list[str] | None, Query(max_length=50)]


def _query(
    mapping: Mapping,
    fmt: str,
    dataSet: ListParam,  # noqa: N803
    period: ListParam,
    startDate: dt.date | None,  # noqa: N803
    endDate: dt.date | None,  # noqa: N803
    orgUnit: ListParam,  # noqa: N803
    idScheme: str | None,  # noqa: N803
    dataElementIdScheme: str | None,  # noqa: N803
    orgUnitIdScheme: str | None,  # noqa: N803
    asOf: str | None,  # noqa: N803
) -> exports.Query:
    default: Scheme = "CODE" if fmt == "adx" else "UID"
    return exports.query(
        mapping,
        data_sets=dataSet or [],
        periods=period or [],
        start=startDate,
        end=endDate,
        org_units=orgUnit or [],
        element_scheme=_scheme(dataElementIdScheme, idScheme, default=default),
        unit_scheme=_scheme(orgUnitIdScheme, idScheme, default=default),
        other_scheme=_scheme(idScheme, default=default),
        as_of=asOf,
    )


@router.get("/dataValueSets", summary="Read data values the caller may read, in DHIS2's format")
@router.get("/dataValueSets.{fmt}", include_in_schema=False)
def get_data_value_sets(
    state: HubDep,
    caller: Caller,
    mapping: MappingDep,
    fmt: Suffix,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    dataSet: ListParam = None,  # noqa: N803
    period: ListParam = None,
    startDate: dt.date | None = None,  # noqa: N803
    endDate: dt.date | None = None,  # noqa: N803
    orgUnit: ListParam = None,  # noqa: N803
    idScheme: SchemeParam = None,  # noqa: N803
    dataElementIdScheme: SchemeParam = None,  # noqa: N803
    orgUnitIdScheme: SchemeParam = None,  # noqa: N803
    asOf: AsOfParam = None,  # noqa: N803
) -> Response:
    """Values of the named organisation units (the caller's own, or shared with it) in the
    periods named or between startDate and endDate; JSON, CSV (`.csv`) or ADX (`.adx`);
    `asOf` (the hub's, not DHIS2's): the values as known then."""
    kind = _format(fmt, accept)
    q = _query(
        mapping,
        kind,
        dataSet,
        period,
        startDate,
        endDate,
        orgUnit,
        idScheme,
        dataElementIdScheme,
        orgUnitIdScheme,
        asOf,
    )
    return _get_values(state, caller, mapping, kind, q)


def _json_only(fmt: str | None) -> None:
    if fmt not in (None, "json"):
        raise HubProblem(406, f"format .{fmt} is not served here; use .json")


@router.get("/system/info", summary="DHIS2 system information (version the routes speak)")
@router.get("/system/info.{fmt}", include_in_schema=False)
def system_info(caller: Caller, request: Request, fmt: Suffix) -> dict[str, Any]:
    """What DHIS2 clients read first: the API version, the server's time and calendar."""
    _json_only(fmt)
    return {
        "version": VERSION,
        "revision": f"epicommons-{__version__}",
        "systemName": "epicommons member hub",
        "contextPath": str(request.base_url).rstrip("/") + "/dhis2",
        "serverDate": utcnow().isoformat(timespec="milliseconds"),
        "calendar": "iso8601",
        "dateFormat": "yyyy-mm-dd",
    }


@router.get("/me", summary="The caller as a DHIS2 user")
@router.get("/me.{fmt}", include_in_schema=False)
def me(
    caller: Caller,
    state: HubDep,
    mapping: MappingDep,
    fmt: Suffix,
    fields: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The token's member as a DHIS2 user: its organisation unit and what its role may do."""
    _json_only(fmt)
    with state.db.read() as session:
        member = session.get(Member, caller.member_id)
    assert member is not None
    return exports.me(caller, member, mapping)


@router.get("/dataSets", summary="The hub's data set (a list of one)")
@router.get("/dataSets.{fmt}", include_in_schema=False)
def data_sets(
    caller: Caller,
    mapping: MappingDep,
    fmt: Suffix,
    fields: Annotated[str | None, Query(max_length=500)] = None,
    paging: bool = True,
    filter: ListParam = None,
) -> dict[str, Any]:
    """The mapped data set, in DHIS2's paged list shape."""
    _json_only(fmt)
    return exports.listing("dataSets", [exports.data_set(mapping)], filter or [], paging)


@router.get("/dataSets/{uid}", summary="The hub's data set with its elements and units")
def data_set(
    caller: Caller,
    mapping: MappingDep,
    uid: Annotated[str, exports.UID_PATH],
    fields: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The mapped data set (`.json` suffix accepted), or 404 in DHIS2's shape."""
    uid = uid.removesuffix(".json")
    if uid != mapping.dhis2.data_set.uid:
        raise HubProblem(404, f"DataSet with id {uid} could not be found.")
    return exports.data_set(mapping)


@router.get("/dataElements", summary="The mapped data elements")
@router.get("/dataElements.{fmt}", include_in_schema=False)
def data_elements(
    caller: Caller,
    mapping: MappingDep,
    fmt: Suffix,
    fields: Annotated[str | None, Query(max_length=500)] = None,
    paging: bool = True,
    filter: ListParam = None,
) -> dict[str, Any]:
    """The mapped data elements (`filter=code:eq:X`, `id:in:[a,b]` resolve identifiers)."""
    _json_only(fmt)
    return exports.listing("dataElements", exports.elements(mapping), filter or [], paging)


@router.get("/organisationUnits", summary="The mapped organisation units")
@router.get("/organisationUnits.{fmt}", include_in_schema=False)
def organisation_units(
    caller: Caller,
    mapping: MappingDep,
    fmt: Suffix,
    fields: Annotated[str | None, Query(max_length=500)] = None,
    paging: bool = True,
    filter: ListParam = None,
) -> dict[str, Any]:
    """The mapped organisation units, each with the hub member it stands for."""
    _json_only(fmt)
    return exports.listing("organisationUnits", exports.units(mapping), filter or [], paging)
