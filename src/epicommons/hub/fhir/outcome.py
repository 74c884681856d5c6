"""OperationOutcome: the one shape of a FHIR answer's issues, built and checked with the R4B model.

Under /fhir every refusal is one: the hub's own refusals (failed authentication, rate and size
limits, strict JSON, unknown routes and parameters, a database that is down) through the
`error_shapes` entry `refused`, and the FHIR routes' refusals, which name their elements, as
`Rejected`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fhir.resources.R4B.operationoutcome import OperationOutcome

MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir"

# The IssueType (http://hl7.org/fhir/issue-type) a hub refusal of each HTTP status stands for.
ISSUE_CODE = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
}


@dataclass(frozen=True)
class Issue:
    """One issue: severity (fatal, error, warning, information), IssueType code, a reason for
    people and the FHIRPath of the element it concerns."""

    severity: str
    code: str
    diagnostics: str
    expression: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            out["expression"] = [self.expression]
        return out


def error(code: str, diagnostics: str, expression: str | None = None) -> Issue:
    return Issue("error", code, diagnostics, expression)


def outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource (R4 requires at least one issue)."""
    issues = list(issues) or [Issue("information", "informational", "all OK")]
    doc = {"resourceType": "OperationOutcome", "issue": [i.as_json() for i in issues]}
    return OperationOutcome.model_validate(doc).model_dump(mode="json", exclude_none=True)


def has_errors(issues: Iterable[Issue]) -> bool:
    return any(i.severity in ("error", "fatal") for i in issues)


def response(
    doc: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A FHIR resource as the answer (JSON, every non-ASCII character escaped)."""
    body = json.dumps(doc, ensure_ascii=True, allow_nan=False)
    return Response(body, status, headers=dict(headers or {}), media_type=MEDIA_TYPE)


def refused(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A hub refusal under /fhir as an OperationOutcome of one issue (an `error_shapes` entry)."""
    code = ISSUE_CODE.get(status, "transient" if status >= 500 else "invalid")
    return response(outcome([Issue("error", code, detail)]), status, headers)


class Rejected(Exception):
    """A FHIR request refused with its issues (each naming its element) and an HTTP status."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__(issues[0].diagnostics if issues else "refused")
        self.status = status
        self.issues = issues


async def rejected(request: Request, exc: Exception) -> Response:
    """The exception handler of `Rejected`."""
    assert isinstance(exc, Rejected)
    return response(outcome(exc.issues), exc.status)
