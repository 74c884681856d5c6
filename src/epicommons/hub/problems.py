"""RFC 9457 problem details: the one shape of every 4xx answer, and the handlers that make it."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from epicommons.errors import InputError

from .refusals import Refusal, status_of

MEDIA_TYPE = "application/problem+json"


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: any text a client sent (even a lone
    surrogate) can be echoed back without an encoding error."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode()


class Problem(BaseModel):
    """Problem details (RFC 9457); extension members carry e.g. validation errors."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class HubProblem(Exception):
    """Raise anywhere in a request to answer with a problem+json of `status`."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    detail: str | None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(jsonable_encoder(extensions))
    return AsciiJSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": HTTPStatus(code).phrase,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for code in STATUSES
}


# An API that answers errors in its own standard's shape (DHIS2's WebMessage, FHIR's
# OperationOutcome) registers (path prefix, render(status, detail, headers)) here.
Shape = Callable[[int, str, "dict[str, str] | None"], Response]


def error_response(
    request: Request,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """The error answer for the request's path: its API's own shape, else problem+json."""
    path = request.url.path
    for prefix, render in getattr(request.app.state, "error_shapes", ()):
        if path.startswith(prefix):
            return render(status, detail, headers)
    return problem_response(status, detail, path, headers, **extensions)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into problem+json (or the shape that the
    path's API registered in `app.state.error_shapes`)."""
    app.state.error_shapes = []

    @app.exception_handler(HubProblem)
    async def _hub(request: Request, exc: HubProblem) -> Response:
        return error_response(request, exc.status, exc.detail, exc.headers, **exc.extensions)

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, exc: Refusal) -> Response:
        return error_response(request, status_of(exc), exc.detail, **exc.extensions)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return error_response(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return error_response(request, 422, f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return error_response(request, exc.status_code, str(exc.detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette lists only one route's)."""
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
