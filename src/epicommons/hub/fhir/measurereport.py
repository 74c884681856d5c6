"""One MeasureReport → the member it reports for and the hub report rows it carries.

Rules (beyond the R4 model's, which checks elements, types and cardinality but not codes):
`status` complete; `type` individual or summary;
`subject.identifier` names a member (see `codes`); `period` lies within one calendar date as
written (its own UTC offset, not converted: a hospital's day is its local day), and that date is
the rows' date. Each population whose codes are mapped gives one row (indicator, item, count); an
unmapped population, and a group's measureScore, are warnings and a population without a count
(data absent) is noted; nothing of them is stored. Stratifiers, subject lists, contained
resources, implicitRules and modifier extensions are refused, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .codes import CodeError, Coding, FhirCodes
from .models import structure_issues
from .outcome import Issue, error

TYPES = ("individual", "summary")
STRATIFIER = "stratifiers are refused: hub values have no strata (send the totals)"
SCORE = "measureScore is not stored: the hub keeps the counts it is computed from"


@dataclass
class Report:
    """What a MeasureReport says, or why it cannot be read."""

    member: str | None = None
    date: str | None = None
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, raw row)
    issues: list[Issue] = field(default_factory=list)
    malformed: bool = False  # not a valid R4 MeasureReport at all (400, not 422)


def read_report(doc: Any, codes: FhirCodes, members: set[str], root: str) -> Report:
    """Check one MeasureReport (at FHIRPath `root`) and turn it into rows."""
    report = Report(issues=structure_issues(doc, "MeasureReport", root))
    if report.issues:
        report.malformed = True
        return report
    report.issues += list(_refused(doc, root))
    report.issues += list(_header(doc, root))
    report.date = _date(doc.get("period") or {}, root, report.issues)
    report.member = _member(doc.get("subject"), codes, members, root, report.issues)
    groups = doc.get("group") or []
    for g, group in enumerate(groups):
        _group(doc.get("measure"), group, f"{root}.group[{g}]", codes, report)
    if not report.rows and not any(i.severity == "error" for i in report.issues):
        report.issues.append(
            error("business-rule", "no population's code is mapped to a hub indicator", root)
        )
    return report


def _refused(doc: dict[str, Any], root: str) -> Iterator[Issue]:
    if "implicitRules" in doc:
        yield error("not-supported", "implicitRules are not understood", f"{root}.implicitRules")
    if doc.get("contained"):
        yield error(
            "not-supported",
            "contained resources are not read; name the subject by subject.identifier",
            f"{root}.contained",
        )
    for path in _modifier_extensions(doc, root):
        yield error("not-supported", "modifier extensions are not understood", path)


def _modifier_extensions(node: Any, path: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "modifierExtension" and value:
                yield f"{path}.modifierExtension"
            elif key != "contained":
                yield from _modifier_extensions(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _modifier_extensions(value, f"{path}[{i}]")


def _header(doc: dict[str, Any], root: str) -> Iterator[Issue]:
    status, kind = doc["status"], doc["type"]  # both required: the model checked them
    if status != "complete":
        yield error(
            "not-supported", f"only complete reports are stored, got {status!r}", f"{root}.status"
        )
    if kind not in TYPES:
        yield error(
            "not-supported",
            f"type {kind!r} is not supported (individual or summary)",
            f"{root}.type",
        )


def _day(text: Any) -> str | None:
    """The calendar date a FHIR date or dateTime names as written, None if coarser than a day."""
    if isinstance(text, str) and len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return text[:10]
    return None


def _date(period: dict[str, Any], root: str, issues: list[Issue]) -> str | None:
    start, end = period.get("start"), period.get("end")
    where = f"{root}.period"
    if start is None:
        issues.append(error("required", "period.start is required", f"{where}.start"))
        return None
    day = _day(start)
    if day is None:
        issues.append(
            error("value", f"period.start must name a day, got {start!r}", f"{where}.start")
        )
        return None
    if end is not None and _day(end) != day:
        issues.append(
            error(
                "value",
                f"the period must lie within one date (the hub stores daily values): "
                f"start {start}, end {end}",
                where,
            )
        )
        return None
    return day


def _member(
    subject: Any, codes: FhirCodes, members: set[str], root: str, issues: list[Issue]
) -> str | None:
    where = f"{root}.subject"
    ident = subject.get("identifier") if isinstance(subject, dict) else None
    if not ident:
        issues.append(
            error(
                "required",
                "subject.identifier must name the member (system urn:iso:std:iso:3166 and the "
                "country's alpha-3 code, or an identifier in the hub's mapping)",
                where,
            )
        )
        return None
    member = codes.member(ident.get("system"), ident.get("value"), members)
    if member is None:
        shown = f"{ident.get('system')}|{ident.get('value')}"[:120]
        issues.append(
            error("not-found", f"no member is identified by {shown}", f"{where}.identifier")
        )
    return member


def _codings(concept: Any) -> list[Coding]:
    if not isinstance(concept, dict):
        return []
    return [
        (c["system"], c["code"])
        for c in concept.get("coding") or []
        if c.get("system") and c.get("code")
    ]


def _group(
    measure: Any, group: dict[str, Any], path: str, codes: FhirCodes, report: Report
) -> None:
    if "stratifier" in group:
        report.issues.append(error("not-supported", STRATIFIER, f"{path}.stratifier"))
    if "measureScore" in group:
        report.issues.append(Issue("warning", "not-supported", SCORE, f"{path}.measureScore"))
    group_codes = _codings(group.get("code"))
    seen = {(r["indicator"], r.get("item", "")): p for p, r in report.rows}
    for p, population in enumerate(group.get("population") or []):
        where = f"{path}.population[{p}]"
        if "subjectResults" in population:
            report.issues.append(
                error("not-supported", "subject lists are not read", f"{where}.subjectResults")
            )
        codings = _codings(population.get("code"))
        try:
            mapped = codes.indicator(measure, group_codes, codings)
        except CodeError as exc:
            report.issues.append(error("code-invalid", str(exc), f"{where}.code"))
            continue
        if mapped is None:
            shown = ", ".join(f"{s}|{c}" for s, c in codings)[:200] or "no code"
            report.issues.append(
                Issue(
                    "warning",
                    "not-supported",
                    f"not mapped to a hub indicator, not stored: {shown}",
                    f"{where}.code",
                )
            )
            continue
        indicator, item = mapped
        if "count" not in population:
            report.issues.append(
                Issue(
                    "information",
                    "informational",
                    f"no count (data absent): {indicator} not stored",
                    where,
                )
            )
            continue
        if mapped in seen:
            report.issues.append(
                error("duplicate", f"{indicator} is also given at {seen[mapped]}", f"{where}.code")
            )
            continue
        seen[mapped] = where
        row = {"date": report.date, "indicator": indicator, "value": population["count"]}
        if item:
            row["item"] = item
        report.rows.append((where, row))
