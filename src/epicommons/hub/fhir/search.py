"""`GET /fhir/MeasureReport`: search parameters, and stored values as a searchset Bundle; and
the CapabilityStatement of `GET /fhir/metadata`.

One MeasureReport (type summary, status complete) per member, date and measure; its period is
that date; each value is a population with the mapping's code first and the hub's own code.
A value that is not a whole number (an item quantity) cannot be a population count: it is left
out and counted in an OperationOutcome entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from epicommons import __version__

from ..clock import utcnow
from .codes import ISO3166, MEMBER_SYSTEM, FhirCodes
from .outcome import Issue, Rejected, error, outcome

PERIOD = re.compile(r"(eq|ge|le|gt|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


def period_range(values: Iterable[str]) -> tuple[dt.date | None, dt.date | None]:
    """Dates from `period` parameters (FHIR date search: eq, ge, le, gt, lt on a year, month or
    day; repeated parameters all apply)."""
    lo: dt.date | None = None
    hi: dt.date | None = None
    for value in values:
        m = PERIOD.fullmatch(value)
        if m is None:
            reason = f"period: expected [eq|ge|le|gt|lt]YYYY[-MM[-DD]], got {value[:40]!r}"
            raise Rejected(422, [error("value", reason)])
        prefix, year, month, day = m.group(1) or "eq", int(m.group(2)), m.group(3), m.group(4)
        try:
            first, last = _span(year, int(month) if month else None, int(day) if day else None)
        except ValueError:
            reason = f"period: no such date {value[:40]!r}"
            raise Rejected(422, [error("value", reason)]) from None
        one = dt.timedelta(days=1)
        starts = {"eq": first, "ge": first, "gt": last + one}.get(prefix)
        ends = {"eq": last, "le": last, "lt": first - one}.get(prefix)
        if starts is not None:
            lo = starts if lo is None else max(lo, starts)
        if ends is not None:
            hi = ends if hi is None else min(hi, ends)
    return lo, hi


def _span(year: int, month: int | None, day: int | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if day is None:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return dt.date(year, month, 1), following - dt.timedelta(days=1)
    return dt.date(year, month, day), dt.date(year, month, day)


def _coding(coding: tuple[str, str]) -> dict[str, str]:
    system, code = coding
    return {"system": system, "code": code} if system else {"code": code}


def subject_identifier(codes: FhirCodes, member: str, kind: str) -> dict[str, str]:
    """How a member is named as a subject: its identifier in the mapping, else its code."""
    for (system, value), code in codes.subjects.items():
        if code == member:
            return {"system": system, "value": value}
    return {"system": ISO3166 if kind == "country" else MEMBER_SYSTEM, "value": member}


def searchset(
    rows: list[dict[str, Any]], codes: FhirCodes, kinds: dict[str, str], self_url: str
) -> dict[str, Any]:
    """The searchset Bundle of stored value rows (as `reports.value_rows` gives them)."""
    reports: dict[tuple[str, dt.date, str], dict[Any, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    updated: dict[tuple[str, dt.date, str], dt.datetime] = {}
    fractional = 0
    for r in rows:
        if r["value"] != int(r["value"]):
            fractional += 1
            continue
        measure, group, populations = codes.codings_of(r["indicator"], r["item"])
        key = (r["member"], r["date"], measure)
        reports[key][group].append(
            {
                "code": {"coding": [_coding(c) for c in populations]},
                "count": int(r["value"]),
            }
        )
        updated[key] = max(updated.get(key, r["updated_at"]), r["updated_at"])
    entries = []
    for n, ((member, day, measure), groups) in enumerate(sorted(reports.items())):
        report = {
            "resourceType": "MeasureReport",
            "id": f"{member}-{day:%Y%m%d}-{n}",
            "status": "complete",
            "type": "summary",
            "measure": measure,
            "subject": {
                "identifier": subject_identifier(codes, member, kinds.get(member, "")),
                "display": member,
            },
            "date": updated[(member, day, measure)].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "period": {"start": day.isoformat(), "end": day.isoformat()},
            "group": [
                {"code": {"coding": [_coding(g)]}, "population": pops}
                if g is not None
                else {"population": pops}
                for g, pops in groups.items()
            ],
        }
        entries.append({"resource": report, "search": {"mode": "match"}})
    if fractional:
        note = Issue(
            "warning",
            "informational",
            f"{fractional} value(s) are not whole numbers and cannot be population counts; "
            "read them at /api/v1/values",
        )
        entries.append({"resource": outcome([note]), "search": {"mode": "outcome"}})
    doc = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(reports),
        "link": [{"relation": "self", "url": self_url}],
        "entry": entries,
    }
    return Bundle.model_validate(doc).model_dump(mode="json", exclude_none=True)


def capability_statement(base: str) -> dict[str, Any]:
    """What the endpoint at `base` does, as a client reads it before it starts."""
    doc = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "instance",
        "software": {"name": "epicommons", "version": __version__},
        "implementation": {"description": "epicommons member hub", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {"description": "Authorization: Bearer <token> (a hub token)"},
                "resource": [
                    {
                        "type": "MeasureReport",
                        "interaction": [{"code": "create"}, {"code": "search-type"}],
                        "searchParam": [
                            {
                                "name": "subject",
                                "type": "reference",
                                "documentation": "a member code (KOR, Location/KOR), or "
                                ":identifier system|value",
                            },
                            {"name": "period", "type": "date"},
                            {
                                "name": "as-of",
                                "type": "date",
                                "documentation": "not a FHIR parameter (the hub's own): the "
                                "values as known at this date (end of the UTC day) or time, "
                                "without a prefix",
                            },
                        ],
                    }
                ],
                "interaction": [{"code": "batch"}, {"code": "transaction"}],
            }
        ],
    }
    return CapabilityStatement.model_validate(doc).model_dump(mode="json", exclude_none=True)
