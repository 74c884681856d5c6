"""DHIS2's WebMessage: the envelope of every answer that is not data (import summaries, errors)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from ..problems import AsciiJSONResponse


def web_message(
    code: int, message: str, status: str = "ERROR", response: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A WebMessage body: `httpStatus` (reason phrase), `httpStatusCode`, `status`, `message`."""
    body: dict[str, Any] = {
        "httpStatus": HTTPStatus(code).phrase,
        "httpStatusCode": code,
        "status": status,
        "message": message,
    }
    if response is not None:
        body["response"] = response
    return body


def answer(
    code: int,
    message: str,
    status: str = "ERROR",
    response: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A WebMessage response (JSON, every non-ASCII character escaped)."""
    return AsciiJSONResponse(
        web_message(code, message, status, response), status_code=code, headers=headers
    )


def error(code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The hub's refusals under /dhis2/api/ in DHIS2's shape (an `error_shapes` entry)."""
    if code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="DHIS2"'}
    return answer(code, detail, "ERROR", headers=headers)


class WebMessage(BaseModel):
    """DHIS2's WebMessage (the import summary is its `response`)."""

    model_config = ConfigDict(extra="allow")
    httpStatus: str  # noqa: N815 - DHIS2's field names
    httpStatusCode: int  # noqa: N815
    status: str
    message: str
    response: dict[str, Any] | None = None


STATUSES = (400, 401, 403, 404, 406, 409, 413, 415, 422, 429, 503)
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": HTTPStatus(code).phrase,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebMessage"}}},
    }
    for code in STATUSES
}
