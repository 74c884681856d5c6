"""Store read MeasureReports through the hub's one import path (`reports.import_report`): the
same validation, idempotency, audit, member lock and limits as every other import.

One report is one import; a transaction is one import of all its entries' rows (all or none);
a batch is one import per entry, each answered on its own. Refusals are `Rejected` with their
issues: 403 for a subject that is not the caller's member, 400 for a resource that is not valid
R4, 422 for the hub's rules; a conflict found by the import names its element.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..access import Principal, require_reporter_of
from ..db import Database
from ..models import Member
from ..refusals import Forbidden, Refusal, TooLarge, status_of
from ..reports import ImportSummary, import_report
from .bundle import Entry
from .measurereport import Report
from .outcome import ISSUE_CODE, Issue, Rejected, error, has_errors

Rows = list[tuple[str, dict[str, Any]]]


def refusal(report: Report, principal: Principal, members: Mapping[str, Member]) -> Rejected | None:
    """Why the caller may not store a read report, if it may not (a foreign subject first)."""
    if report.member is not None:
        try:
            require_reporter_of(principal, members[report.member].id)
        except Forbidden as exc:
            return Rejected(403, [error("forbidden", exc.detail)])
    if has_errors(report.issues):
        return Rejected(400 if report.malformed else 422, report.issues)
    return None


def store_report(
    db: Database,
    principal: Principal,
    members: Mapping[str, Member],
    report: Report,
    *,
    max_rows: int,
    idempotency_key: str | None,
) -> list[Issue]:
    """Store one report; its issues with the import summary first, or `Rejected`."""
    why = refusal(report, principal, members)
    if why is not None:
        raise why
    summary, conflicts = _import(
        db, principal, members[report.member], report.rows, max_rows, idempotency_key
    )
    if summary.status == "ERROR":
        raise Rejected(422, conflicts + report.issues)
    return [summary_issue(summary), *report.issues]


def store_transaction(
    db: Database,
    principal: Principal,
    members: Mapping[str, Member],
    entries: list[Entry],
    *,
    max_rows: int,
    idempotency_key: str | None,
) -> list[list[Issue]]:
    """Store every entry or none, in one import; each entry's issues, or `Rejected`."""
    refused = [r for e in entries if (r := refusal(e.report, principal, members)) is not None]
    if refused:
        forbidden = [r for r in refused if r.status == 403]
        raise forbidden[0] if forbidden else Rejected(422, [i for r in refused for i in r.issues])
    duplicates = _duplicates(entries)
    if duplicates:
        raise Rejected(422, duplicates)
    if not entries:
        return []
    rows = [row for e in entries for row in e.report.rows]
    member = members[entries[0].report.member]
    summary, conflicts = _import(db, principal, member, rows, max_rows, idempotency_key)
    if summary.status == "ERROR":
        raise Rejected(422, conflicts)
    whole = summary_issue(summary)
    note = Issue(whole.severity, whole.code, f"the whole transaction: {whole.diagnostics}")
    return [[note, *e.issues] for e in entries]


def store_batch_entry(
    db: Database,
    principal: Principal,
    members: Mapping[str, Member],
    entry: Entry,
    *,
    max_rows: int,
    idempotency_key: str | None,
) -> tuple[int, list[Issue]]:
    """Store one entry of a batch on its own: its HTTP status and issues."""
    try:
        issues = store_report(
            db,
            principal,
            members,
            entry.report,
            max_rows=max_rows,
            idempotency_key=idempotency_key,
        )
    except Rejected as exc:
        return exc.status, exc.issues
    except Refusal as exc:
        status = status_of(exc)
        return status, [error(ISSUE_CODE.get(status, "invalid"), exc.detail, entry.path)]
    return 200, issues


def _import(
    db: Database,
    principal: Principal,
    member: Member,
    rows: Rows,
    max_rows: int,
    key: str | None,
) -> tuple[ImportSummary, list[Issue]]:
    """Import rows (all or none); their conflicts come back as issues at their elements."""
    if len(rows) > max_rows:
        raise TooLarge(f"an import holds at most {max_rows} rows; this one has {len(rows)}")
    records = [(n, row) for n, (_, row) in enumerate(rows, start=1)]
    summary = import_report(db, principal, member, records, from_text=False, idempotency_key=key)
    issues = [_conflict_issue(rows[c.row - 1][0], c.field, c.reason) for c in summary.conflicts]
    return summary, issues


def _conflict_issue(path: str, name: str, reason: str) -> Issue:
    if name == "date":
        return error("value", reason, path.split(".group[", 1)[0] + ".period")
    if name == "value":
        return error("value", reason, f"{path}.count")
    return error("business-rule", reason, path)


def _duplicates(entries: list[Entry]) -> list[Issue]:
    """Values of one key (date, indicator, item) that two entries of a transaction both give."""
    seen: dict[tuple[Any, ...], str] = {}
    out = []
    for entry in entries:
        for path, row in entry.report.rows:
            key = (row["date"], row["indicator"], row.get("item", ""))
            if key in seen:
                reason = f"{row['indicator']} on {row['date']} is also given at {seen[key]}"
                out.append(error("duplicate", reason, path))
            seen.setdefault(key, path)
    return out


def summary_issue(summary: ImportSummary) -> Issue:
    """The import summary in words, as an information issue."""
    replay = "replayed: " if summary.replayed else ""
    text = (
        f"{replay}imported {summary.imported}, updated {summary.updated}, ignored {summary.ignored}"
    )
    if summary.submission is not None:
        text += f" (submission {summary.submission})"
    return Issue("information", "informational", text)
