"""Seeding a member's history from a reporting-triangle file (the nowcast reader's formats).

A daily triangle's cell (reference date D, delay k) is what was added to D's count on day D + k:
each cell that changes the count becomes a revision of D's value (the running total), known at
midnight UTC of D + k. The file is read by `surveillance.triangle` (errors name the row and the
column); it seeds only the caller's own member and only dates without a history in the hub (a
date whose stored history is exactly the file's is left alone, so resending changes nothing).
The import is one transaction under the member's row lock, with its submission and audit rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epicommons.errors import InputError

from . import audit, revisions
from .access import Principal
from .clock import utcnow
from .db import Database, lock_member
from .indicators import DATE_PATTERN, EARLIEST, LARGEST, Conflict, Row, cross_rules
from .models import Member, ReportValue, ValueRevision
from .refusals import Forbidden, Invalid, Malformed, TooLarge
from .reports import ImportSummary, remember, replay, stored_values, submission, with_retries

COUNTS = ("new_cases", "new_deaths", "tests")
MAX_DELAYS = 366
SOURCE = "triangle"
DAILY = re.compile(r"value_(\d{1,4})d")

# (reference date, delay in days) -> (CSV line, column) of the cell, for conflicts
Where = dict[tuple[dt.date, int], tuple[int, str]]
# per reference date: [(known_at, running total, line, column), ...] in delay order
History = dict[dt.date, list[tuple[dt.datetime, float, int, str]]]


def read_cells(body: bytes, member: Member, max_rows: int) -> tuple[History, int]:
    """The revisions a triangle file describes, and the number of cells that changed nothing."""
    import pandas as pd

    from epicommons.surveillance.triangle import triangle_from_frame

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Malformed("the triangle must be UTF-8 CSV") from None
    if "\x00" in text:
        raise Malformed("the triangle contains a NUL byte")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise Malformed(f"{SOURCE}: cannot read the CSV: {exc}") from None
    if len(frame) > max_rows:
        raise TooLarge(f"a triangle holds at most {max_rows} rows")
    _check_dates(frame)
    triangle = triangle_from_frame(frame, SOURCE)
    if triangle.unit != "D":
        raise Invalid(f"{SOURCE}: the hub stores daily counts; send a daily triangle (value_0d…)")
    if triangle.open_tail or triangle.delays[0] < 0 or len(triangle.delays) > MAX_DELAYS:
        raise Invalid(
            f"{SOURCE}: expected delay columns value_0d … value_Nd (N < {MAX_DELAYS}), "
            "no open last column and no negative delay"
        )
    others = sorted(set(triangle.locations) - {"", member.code})
    if others:
        raise Forbidden(
            f"{SOURCE}: a triangle seeds only your own member's history ({member.code}); "
            f"the file has location {others[0]!r}"
        )
    if len(triangle.locations) != 1:
        raise Invalid(f"{SOURCE}: expected one series (one location and age group)")
    where = _where(frame)
    history: History = {}
    unchanged = 0
    for t, day64 in enumerate(triangle.dates):
        day = dt.date.fromisoformat(str(day64))
        total = None
        for k, cell in zip(triangle.delays.tolist(), triangle.counts[0, t].tolist(), strict=True):
            if cell != cell:  # NaN: not known
                continue
            if total is not None and cell == 0:
                unchanged += 1
                continue
            total = (total or 0.0) + cell
            line, column = where.get((day, k), (0, "count"))
            known = dt.datetime.combine(day + dt.timedelta(days=k), dt.time())
            history.setdefault(day, []).append((known, total, line, column))
    return history, unchanged


def _check_dates(frame) -> None:  # type: ignore[no-untyped-def]
    """Dates from 1900 to tomorrow (UTC), checked before the reader lays out its date grid;
    cells that are not dates at all are left to the reader."""
    latest = (utcnow().date() + dt.timedelta(days=1)).isoformat()
    for column in ("date", "reference_date", "report_date"):
        if column not in frame.columns:
            continue
        for i, text in enumerate(frame[column]):
            if DATE_PATTERN.fullmatch(text) and not EARLIEST.isoformat() <= text <= latest:
                raise InputError(
                    f"expected a date from 1900 to tomorrow, got {text!r}",
                    source=SOURCE,
                    line=i + 2,
                    field=column,
                )


def _where(frame) -> Where:  # type: ignore[no-untyped-def]
    """Line and column of every given cell (the reader has checked the dates)."""
    out: Where = {}
    if "reference_date" in frame.columns:
        for i, (ref, rep) in enumerate(
            zip(frame["reference_date"], frame["report_date"], strict=True)
        ):
            day = dt.date.fromisoformat(ref)
            out[(day, (dt.date.fromisoformat(rep) - day).days)] = (i + 2, "count")
        return out
    columns = {c: int(m.group(1)) for c in frame.columns if (m := DAILY.fullmatch(c))}
    for i, ref in enumerate(frame["date"]):
        day = dt.date.fromisoformat(ref)
        for c, k in columns.items():
            out[(day, k)] = (i + 2, c)
    return out


def check_cells(history: History, now: dt.datetime) -> list[Conflict]:
    """The hub's value rules on every revision: known by now, between 0 and 1e15."""
    out = []
    for day, cells in history.items():
        for known, total, line, column in cells:
            if known > now:
                out.append(Conflict(line, column, f"reported on {known.date()}, after today"))
            elif not 0 <= total <= LARGEST:
                out.append(
                    Conflict(line, column, f"{day}'s count would become {total:g}; expected ≥ 0")
                )
    return out


def import_triangle(
    db: Database,
    principal: Principal,
    member: Member,
    body: bytes,
    *,
    indicator: str = "new_cases",
    max_rows: int,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> ImportSummary:
    """Seed `member`'s history of one count from a triangle file; all or nothing.

    The summary counts cells: imported (each a revision), ignored (cells that changed nothing,
    dates whose stored history is the file's), conflicts (then nothing is stored).
    """
    if indicator not in COUNTS:
        raise Invalid(f"a triangle is of a count: one of {', '.join(COUNTS)}; got {indicator!r}")
    history, unchanged = read_cells(body, member, max_rows)
    digest = hashlib.sha256(
        json.dumps(["triangle", indicator, dry_run, hashlib.sha256(body).hexdigest()]).encode()
    ).hexdigest()
    return with_retries(
        db,
        _run(principal, member, indicator, history, unchanged, digest, dry_run, idempotency_key),
    )


def _run(
    principal: Principal,
    member: Member,
    indicator: str,
    history: History,
    unchanged: int,
    digest: str,
    dry_run: bool,
    key: str | None,
) -> Callable[[Session], ImportSummary]:
    def work(session: Session) -> ImportSummary:
        lock_member(session, member.id)
        previous = replay(session, member, key, digest)
        if previous is not None:
            return previous
        summary = ImportSummary(dry_run=dry_run, ignored=unchanged)
        conflicts = check_cells(history, utcnow())
        stored = _stored_histories(session, member.id, indicator, history)
        fresh: History = {}
        for day, cells in history.items():
            had = stored.get(day)
            if had is None:
                fresh[day] = cells
            elif had == [(known, total) for known, total, _, _ in cells]:
                summary.ignored += len(cells)
            else:
                line, column = cells[0][2], cells[0][3]
                conflicts.append(
                    Conflict(
                        line,
                        column,
                        f"{day} already has a different history in the hub; "
                        "a triangle seeds only dates without one",
                    )
                )
        finals = [
            Row(cells[-1][2], day, indicator, "", cells[-1][1]) for day, cells in fresh.items()
        ]
        current = stored_values(session, member.id, finals)
        conflicts.extend(cross_rules(finals, {k: v for k, (_, v) in current.items()}))
        summary.conflicts = sorted(conflicts, key=lambda c: (c.row, c.field))
        if conflicts:
            summary.status = "ERROR"
            summary.ignored += sum(len(c) for c in history.values())
            remember(session, principal, member, key, digest, summary)
            return summary
        summary.imported = sum(len(c) for c in fresh.values())
        if dry_run or not fresh:
            remember(session, principal, member, key, digest, summary)
            return summary
        sub_id = submission(session, principal, member, key, digest, summary)
        _store(session, principal, member.id, sub_id, indicator, fresh)
        audit.record(
            session,
            actor=principal.actor,
            token_id=principal.token_id,
            member_id=member.id,
            action="import_triangle",
            entity="report",
            entity_key=f"{member.code}/submission/{sub_id}",
            before=None,
            after=sorted(_states(indicator, fresh.items())),
        )
        return summary

    return work


def _stored_histories(
    session: Session, member_id: int, indicator: str, history: History
) -> dict[dt.date, list[tuple[dt.datetime, float]]]:
    """The stored revisions (known_at, value) of the dates the file names, in time order."""
    out: dict[dt.date, list[tuple[dt.datetime, float]]] = {}
    dates = sorted(history)
    for chunk in range(0, len(dates), 5000):
        for day, known, value in session.execute(
            select(ValueRevision.date, ValueRevision.known_at, ValueRevision.value)
            .where(
                ValueRevision.member_id == member_id,
                ValueRevision.indicator == indicator,
                ValueRevision.item == "",
                ValueRevision.date.in_(dates[chunk : chunk + 5000]),
            )
            .order_by(ValueRevision.known_at, ValueRevision.id)
        ):
            out.setdefault(day, []).append((known, value))
    return out


def _store(
    session: Session,
    principal: Principal,
    member_id: int,
    sub_id: int,
    indicator: str,
    fresh: History,
) -> None:
    """Append the revisions and add each date's current value (its last revision)."""
    revisions.add(
        session,
        principal,
        member_id,
        sub_id,
        [
            ((day, indicator, ""), total, known)
            for day, cells in fresh.items()
            for known, total, _, _ in cells
        ],
    )
    session.execute(
        insert(ReportValue.__table__),
        [
            {
                "member_id": member_id,
                "date": day,
                "indicator": indicator,
                "item": "",
                "value": cells[-1][1],
                "submission_id": sub_id,
                "updated_at": cells[-1][0],
            }
            for day, cells in fresh.items()
        ],
    )


def _states(indicator: str, fresh: Iterable[tuple[dt.date, list]]) -> Iterable[list]:
    """The audit's state: [date, indicator, known_at, value] of every revision added."""
    for day, cells in fresh:
        for known, total, _, _ in cells:
            yield [day.isoformat(), indicator, known.isoformat(), total]
