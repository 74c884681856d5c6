"""A batch or transaction Bundle of MeasureReports → its entries, each read as `measurereport`.

Only `batch` (each entry on its own: some may be stored while others are refused) and
`transaction` (all entries or none) are taken; each entry's request is POST `MeasureReport` or
PUT `MeasureReport/<id>`, both meaning "store these values" (the hub keeps values, not resources).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .codes import FhirCodes
from .measurereport import Report, read_report
from .models import structure_issues
from .outcome import Issue, Rejected, error

TYPES = ("batch", "transaction")


@dataclass
class Entry:
    """One entry of a Bundle: its report, or why it is refused."""

    path: str
    report: Report = field(default_factory=Report)

    @property
    def issues(self) -> list[Issue]:
        return self.report.issues


def read_bundle(doc: Any, codes: FhirCodes, members: set[str]) -> tuple[str, list[Entry]]:
    """The Bundle's type and its entries; `Rejected` if the Bundle itself is not one to take."""
    if isinstance(doc, dict) and isinstance(doc.get("entry"), list):
        shell = {**doc, "entry": [_without_resource(e) for e in doc["entry"]]}
    else:
        shell = doc
    issues = structure_issues(shell, "Bundle", "Bundle")
    if issues:
        raise Rejected(400, issues)
    kind = doc.get("type")
    if kind not in TYPES:
        reason = f"Bundle.type must be batch or transaction, got {kind!r}"
        raise Rejected(422, [error("not-supported", reason, "Bundle.type")])
    entries = []
    for n, raw in enumerate(doc.get("entry") or []):
        path = f"Bundle.entry[{n}]"
        entry = Entry(path)
        request_issues = _request(raw.get("request"), path)
        if "resource" not in raw:
            request_issues.append(
                error("required", "the entry has no resource", f"{path}.resource")
            )
        if request_issues:
            entry.report.issues += request_issues
        else:
            entry.report = read_report(raw["resource"], codes, members, f"{path}.resource")
        entries.append(entry)
    return kind, entries


def _without_resource(entry: Any) -> Any:
    if isinstance(entry, dict):
        return {k: v for k, v in entry.items() if k != "resource"}
    return entry


def _request(request: Any, path: str) -> list[Issue]:
    where = f"{path}.request"
    if not isinstance(request, dict):
        return [error("required", "a batch or transaction entry needs a request", where)]
    method, url = request.get("method"), str(request.get("url") or "")
    resource = url.split("?", 1)[0].split("/", 1)[0]
    if method not in ("POST", "PUT") or resource != "MeasureReport":
        shown = f"{method} {url}"[:80]
        return [
            error(
                "not-supported",
                f"only POST MeasureReport and PUT MeasureReport/<id> are taken, got {shown!r}",
                where,
            )
        ]
    return []
