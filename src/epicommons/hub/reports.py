"""Importing and reading indicator reports: parse JSON or CSV, validate, upsert, summarise.

Every stored change also appends a revision (`hub/revisions.py`), so reads can ask for the values
as known at any moment (`as_of`). An import runs in one write transaction that holds its member's
row lock: idempotency check, rule checks against stored values, inserts and updates, the
revisions, the submission record and its audit row commit together or not at all, and two
imports of one member never interleave (rules between values of one date, such as deaths within
cases, hold under concurrency). The answer is a DHIS2-style import
summary (imported, updated, ignored, conflicts). Every Idempotency-Key is stored with the digest of
its request, whatever the outcome (no-op, dry run, refused); an import reads only the stored
values of the keys it touches, so its cost depends on its size, not on the member's history.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from . import audit, revisions
from .access import Principal
from .clock import utcnow
from .db import Database, lock_member
from .indicators import FIELDS, NOT_ABOVE, Conflict, Key, Row, cross_rules, parse_rows
from .models import Member, ReportValue, Submission, ValueRevision
from .refusals import Clash, Invalid, Malformed, TooLarge

RETRIES = 5
# DHIS2's import strategies: store new and changed values (the native import), only new ones,
# only changed ones, or delete the values of the keys sent.
UPSERT, CREATE, UPDATE, DELETE = "CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"
STRATEGIES = (UPSERT, CREATE, UPDATE, DELETE)


@dataclass
class ImportSummary:
    """What an import did, in DHIS2's vocabulary."""

    status: str = "OK"
    dry_run: bool = False
    replayed: bool = False
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    submission: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "dryRun": self.dry_run,
            "replayed": self.replayed,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [
                {"row": c.row, "field": c.field, "reason": c.reason} for c in self.conflicts
            ],
            "submission": self.submission,
        }


def records_from_json(doc: Any, max_rows: int) -> list[tuple[int, Mapping[str, Any]]]:
    """Rows of a parsed JSON report ``{"values": [{date, indicator, item, value}, ...]}``."""
    if not isinstance(doc, dict) or set(doc) != {"values"} or not isinstance(doc["values"], list):
        raise Invalid('expected an object {"values": [...]} and nothing else')
    values = doc["values"]
    _check_count(len(values), max_rows)
    out = []
    for i, raw in enumerate(values, start=1):
        if not isinstance(raw, dict):
            raw = {"value": None, "?": raw}
        out.append((i, raw))
    return out


def records_from_csv(body: bytes, max_rows: int) -> list[tuple[int, Mapping[str, Any]]]:
    """Rows of a CSV report with a header of date, indicator, [item,] value (line numbers kept)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Malformed("CSV must be UTF-8") from None
    if "\x00" in text:
        raise Malformed("CSV contains a NUL byte")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise Invalid("empty CSV; expected a header date,indicator,item,value")
        names = [h.strip() for h in header]
        if len(set(names)) != len(names):
            raise Invalid(f"CSV header repeats a column: {','.join(names)}")
        extra = set(names) - set(FIELDS)
        if extra or not {"date", "indicator", "value"} <= set(names):
            raise Invalid(
                f"CSV header must be date,indicator,item,value (item optional); got {header}"
            )
        out = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            line = reader.line_num
            _check_count(len(out) + 1, max_rows)
            if len(record) != len(names):
                out.append((line, {"?": f"{len(record)} cells, header has {len(names)}"}))
                continue
            out.append((line, dict(zip(names, record, strict=True))))
    except csv.Error as exc:
        raise Malformed(f"malformed CSV at line {reader.line_num}: {exc}") from None
    return out


def _check_count(n: int, max_rows: int) -> None:
    if n > max_rows:
        raise TooLarge(f"an import holds at most {max_rows} rows")


def content_hash(
    rows: Iterable[Row],
    conflicts: Iterable[Conflict],
    mode: tuple[bool, bool] = (False, True),
    strategy: str = UPSERT,
) -> str:
    """Hash of the normalised content and the import mode (dry run, atomic, strategy), the same
    for equal JSON and CSV submissions (and the same as before strategies, for upserts)."""
    canon = sorted((r.date.isoformat(), r.indicator, r.item, r.value) for r in rows)
    bad = sorted((c.row, c.field, c.reason) for c in conflicts)
    doc = [canon, bad, list(mode)] + ([] if strategy == UPSERT else [strategy])
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()


def _state(key: Key, value: float) -> list[Any]:
    return [key[0].isoformat(), key[1], key[2], value]


@dataclass(frozen=True)
class Checked:
    """A report checked on its own, before any database work: its valid rows, the conflicts
    found so far, the digest of its content and mode, and the mode."""

    rows: list[Row]
    conflicts: list[Conflict]
    digest: str
    dry_run: bool
    atomic: bool
    strategy: str


def check_report(
    records: list[tuple[int, Mapping[str, Any]]],
    *,
    from_text: bool,
    dry_run: bool = False,
    atomic: bool = True,
    strategy: str = UPSERT,
    refused: Iterable[Conflict] = (),
) -> Checked:
    """Validate a report's rows; `refused` are conflicts the caller found in rows it could not
    turn into records (a DHIS2 identifier that is not mapped): they count as any conflict."""
    rows, conflicts = parse_rows(records, from_text)
    conflicts.extend(refused)
    digest = content_hash(rows, conflicts, (dry_run, atomic), strategy)
    return Checked(rows, conflicts, digest, dry_run, atomic, strategy)


def store_checked(
    session: Session,
    principal: Principal,
    member: Member,
    checked: Checked,
    idempotency_key: str | None = None,
) -> ImportSummary:
    """Import a checked report in the caller's write transaction (one attempt of
    `with_retries`): the same rules, idempotency, audit and lock as `import_report`."""
    return _import(
        session,
        principal,
        member,
        checked.rows,
        list(checked.conflicts),
        checked.digest,
        dry_run=checked.dry_run,
        atomic=checked.atomic,
        key=idempotency_key,
        strategy=checked.strategy,
    )


def import_report(
    db: Database,
    principal: Principal,
    member: Member,
    records: list[tuple[int, Mapping[str, Any]]],
    *,
    from_text: bool,
    dry_run: bool = False,
    atomic: bool = True,
    idempotency_key: str | None = None,
    strategy: str = UPSERT,
    refused: Iterable[Conflict] = (),
) -> ImportSummary:
    """Validate and store a report; the summary's status is ERROR when nothing was stored.

    `strategy` is one of `STRATEGIES`; `refused` as in `check_report`.
    """
    checked = check_report(
        records,
        from_text=from_text,
        dry_run=dry_run,
        atomic=atomic,
        strategy=strategy,
        refused=refused,
    )
    return with_retries(
        db, lambda session: store_checked(session, principal, member, checked, idempotency_key)
    )


def with_retries(db: Database, work: Callable[[Session], ImportSummary]) -> ImportSummary:
    """Run an import's `work` in one write transaction, again if it collided with another."""
    for attempt in range(RETRIES):
        try:
            with db.transaction() as session:
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent import inserted the same keys, or SQLite was busy; a database that is
            # down is not retried (the edge answers 503).
            if isinstance(exc, OperationalError) and "locked" not in str(exc.orig):
                raise
            if attempt == RETRIES - 1:
                raise Clash("the import collided with concurrent writes; retry") from None
    raise AssertionError("unreachable")


def replay(session: Session, member: Member, key: str | None, digest: str) -> ImportSummary | None:
    """The stored summary of an Idempotency-Key already used with this content, else None;
    the same key with other content is a Clash. Call with the member's row locked."""
    if key is None:
        return None
    previous = session.execute(
        select(Submission.id, Submission.content_hash, Submission.summary).where(
            Submission.member_id == member.id, Submission.idempotency_key == key
        )
    ).first()
    if previous is None:
        return None
    if previous.content_hash != digest:
        raise Clash("this Idempotency-Key was used with different content or mode")
    stored = json.loads(previous.summary)
    stored.update(replayed=True, submission=previous.id)
    return _from_json(stored)


def _import(
    session: Session,
    principal: Principal,
    member: Member,
    rows: list[Row],
    conflicts: list[Conflict],
    digest: str,
    *,
    dry_run: bool,
    atomic: bool,
    key: str | None,
    strategy: str = UPSERT,
) -> ImportSummary:
    lock_member(session, member.id)
    summary = ImportSummary(dry_run=dry_run)
    previous = replay(session, member, key, digest)
    if previous is not None:
        return previous

    stored = stored_values(session, member.id, rows)
    if strategy == DELETE:  # removing a value cannot break a rule between two values
        return _delete(
            session, principal, member, rows, conflicts, stored, digest, summary, atomic, key
        )
    conflicts.extend(_strategy_conflicts(rows, stored, strategy))
    rule_conflicts = cross_rules(rows, {k: v for k, (_, v) in stored.items()})
    conflicts.extend(rule_conflicts)
    bad_lines = {c.row for c in conflicts}
    good = [r for r in rows if r.line not in bad_lines]
    summary.conflicts = sorted(conflicts, key=lambda c: (c.row, c.field))
    if conflicts:
        summary.status = "ERROR" if atomic else "WARNING"
        if atomic:
            summary.ignored = len(_input_lines(rows, conflicts))
            remember(session, principal, member, key, digest, summary)
            return summary
    summary.ignored = len(bad_lines)

    new, changed = [], []
    for r in good:
        old = stored.get(r.key)
        if old is None:
            new.append(r)
        elif old[1] != r.value:
            changed.append((old, r))
        else:
            summary.ignored += 1
    summary.imported, summary.updated = len(new), len(changed)
    if dry_run or not (new or changed):
        remember(session, principal, member, key, digest, summary)
        return summary

    now = utcnow()
    values = ReportValue.__table__
    sub_id = submission(session, principal, member, key, digest, summary)
    if new:
        session.execute(
            insert(values),
            [
                {
                    "member_id": member.id,
                    "date": r.date,
                    "indicator": r.indicator,
                    "item": r.item,
                    "value": r.value,
                    "submission_id": sub_id,
                    "updated_at": now,
                }
                for r in new
            ],
        )
    if changed:
        session.execute(
            update(values)
            .where(values.c.id == bindparam("row_id"))
            .values(value=bindparam("new_value"), submission_id=sub_id, updated_at=now),
            [{"row_id": old[0], "new_value": r.value} for old, r in changed],
        )
    revisions.add(
        session,
        principal,
        member.id,
        sub_id,
        [(r.key, r.value, now) for r in [*new, *(r for _, r in changed)]],
    )
    audit.record(
        session,
        actor=principal.actor,
        token_id=principal.token_id,
        member_id=member.id,
        action="import",
        entity="report",
        entity_key=f"{member.code}/submission/{sub_id}",
        before=sorted(_state(r.key, old[1]) for old, r in changed),
        after=sorted(_state(r.key, r.value) for r in [*new, *(r for _, r in changed)]),
    )
    return summary


def _strategy_conflicts(
    rows: list[Row], stored: Mapping[Key, tuple[int, float]], strategy: str
) -> list[Conflict]:
    """Rows that CREATE (a stored key) or UPDATE (a new key) may not write."""
    if strategy == CREATE:
        return [
            Conflict(
                r.line, "value", "a value is stored; importStrategy CREATE does not replace it"
            )
            for r in rows
            if r.key in stored and stored[r.key][1] != r.value
        ]
    if strategy == UPDATE:
        return [
            Conflict(r.line, "value", "no value is stored; importStrategy UPDATE does not add one")
            for r in rows
            if r.key not in stored
        ]
    return []


def _delete(
    session: Session,
    principal: Principal,
    member: Member,
    rows: list[Row],
    conflicts: list[Conflict],
    stored: Mapping[Key, tuple[int, float]],
    digest: str,
    summary: ImportSummary,
    atomic: bool,
    key: str | None,
) -> ImportSummary:
    """Delete the stored values of the rows' keys (keys not stored are ignored), audited."""
    summary.conflicts = sorted(conflicts, key=lambda c: (c.row, c.field))
    bad_lines = {c.row for c in conflicts}
    if conflicts and atomic:
        summary.status = "ERROR"
        summary.ignored = len(_input_lines(rows, conflicts))
        remember(session, principal, member, key, digest, summary)
        return summary
    summary.status = "WARNING" if conflicts else "OK"
    gone = [r for r in rows if r.line not in bad_lines and r.key in stored]
    summary.deleted = len(gone)
    summary.ignored = len(bad_lines) + sum(
        1 for r in rows if r.line not in bad_lines and r.key not in stored
    )
    if summary.dry_run or not gone:
        remember(session, principal, member, key, digest, summary)
        return summary
    sub_id = submission(session, principal, member, key, digest, summary)
    values = ReportValue.__table__
    session.execute(
        delete(values).where(values.c.id == bindparam("row_id")),
        [{"row_id": stored[r.key][0]} for r in gone],
    )
    revisions.add(session, principal, member.id, sub_id, [(r.key, None, utcnow()) for r in gone])
    audit.record(
        session,
        actor=principal.actor,
        token_id=principal.token_id,
        member_id=member.id,
        action="delete",
        entity="report",
        entity_key=f"{member.code}/submission/{sub_id}",
        before=sorted(_state(r.key, stored[r.key][1]) for r in gone),
        after=[],
    )
    return summary


def stored_values(
    session: Session, member_id: int, rows: list[Row]
) -> dict[Key, tuple[int, float]]:
    """Stored (id, value) of the keys the rows touch and of the values their rules compare with.

    Reads by (date, indicator) through the unique index, never the whole date range, so the cost
    is bounded by the size of the import.
    """
    if not rows:
        return {}
    partners = {x for pair in NOT_ABOVE for x in pair}
    indicators = {r.indicator for r in rows}
    if indicators & partners:
        indicators |= {x for pair in NOT_ABOVE if indicators & set(pair) for x in pair}
    out: dict[Key, tuple[int, float]] = {}
    dates = sorted({r.date for r in rows})
    for chunk in range(0, len(dates), 5000):
        for rid, day, ind, item, value in session.execute(
            select(
                ReportValue.id,
                ReportValue.date,
                ReportValue.indicator,
                ReportValue.item,
                ReportValue.value,
            ).where(
                ReportValue.member_id == member_id,
                ReportValue.date.in_(dates[chunk : chunk + 5000]),
                ReportValue.indicator.in_(sorted(indicators)),
            )
        ):
            out[(day, ind, item)] = (rid, value)
    return out


def submission(
    session: Session,
    principal: Principal,
    member: Member,
    key: str | None,
    digest: str,
    summary: ImportSummary,
) -> int:
    """Store the submission record (its summary without its own id); sets and returns the id."""
    sub_id = session.execute(
        insert(Submission.__table__)
        .values(
            member_id=member.id,
            token_id=principal.token_id,
            idempotency_key=key,
            content_hash=digest,
            summary=json.dumps(summary.as_json()),
            created_at=utcnow(),
        )
        .returning(Submission.__table__.c.id)
    ).scalar_one()
    summary.submission = sub_id
    return sub_id


def remember(
    session: Session,
    principal: Principal,
    member: Member,
    key: str | None,
    digest: str,
    summary: ImportSummary,
) -> None:
    """Keep an Idempotency-Key whose request stored no values (no-op, dry run, refused)."""
    if key is not None:
        submission(session, principal, member, key, digest, summary)


def _input_lines(rows: list[Row], conflicts: list[Conflict]) -> set[int]:
    return {r.line for r in rows} | {c.row for c in conflicts}


def _from_json(doc: dict[str, Any]) -> ImportSummary:
    counts = doc["importCount"]
    return ImportSummary(
        status=doc["status"],
        dry_run=doc["dryRun"],
        replayed=doc["replayed"],
        imported=counts["imported"],
        updated=counts["updated"],
        ignored=counts["ignored"],
        deleted=counts.get("deleted", 0),
        conflicts=[Conflict(c["row"], c["field"], c["reason"]) for c in doc["conflicts"]],
        submission=doc["submission"],
    )


def _source(
    as_of: dt.date | dt.datetime | None,
    condition: Any,
    *,
    indicator: str | None = None,
    item: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Any:
    """Where values are read: the current ones, or those known at `as_of` (same columns; the
    filters, which callers also apply, go inside so only the revisions they keep are ranked)."""
    if as_of is None:
        return ReportValue.__table__
    rev = ValueRevision
    pushed = [rev.member_id.in_(select(Member.id).where(condition))]
    if indicator is not None:
        pushed.append(rev.indicator == indicator)
    if item is not None:
        pushed.append(rev.item == item)
    if start is not None:
        pushed.append(rev.date >= start)
    if end is not None:
        pushed.append(rev.date <= end)
    return revisions.as_known(as_of, *pushed)


def value_rows(
    session: Session,
    condition: Any,
    *,
    indicator: str | None,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    offset: int,
    as_of: dt.date | dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Stored values matching `condition` (the caller's access) and the filters, in key order;
    with `as_of`, the values as known then (`updated_at`: when each became known)."""
    src = _source(as_of, condition, indicator=indicator, start=start, end=end)
    q = (
        select(Member.code, src.c.date, src.c.indicator, src.c.item, src.c.value, src.c.updated_at)
        .join(Member, Member.id == src.c.member_id)
        .where(condition)
    )
    if indicator is not None:
        q = q.where(src.c.indicator == indicator)
    if start is not None:
        q = q.where(src.c.date >= start)
    if end is not None:
        q = q.where(src.c.date <= end)
    q = q.order_by(Member.code, src.c.date, src.c.indicator, src.c.item)
    return [
        {
            "member": m,
            "date": d,
            "indicator": i,
            "item": it,
            "value": v,
            "updated_at": u,
        }
        for m, d, i, it, v, u in session.execute(q.limit(limit).offset(offset))
    ]


def aggregate(
    session: Session,
    condition: Any,
    *,
    indicator: str,
    item: str,
    start: dt.date | None,
    end: dt.date | None,
    as_of: dt.date | dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Per-date totals of one indicator over the members the caller may read (as known at
    `as_of` if given)."""
    src = _source(as_of, condition, indicator=indicator, item=item, start=start, end=end)
    q = (
        select(src.c.date, func.sum(src.c.value), func.count(src.c.member_id))
        .join(Member, Member.id == src.c.member_id)
        .where(condition, src.c.indicator == indicator, src.c.item == item)
        .group_by(src.c.date)
        .order_by(src.c.date)
    )
    if start is not None:
        q = q.where(src.c.date >= start)
    if end is not None:
        q = q.where(src.c.date <= end)
    return [{"date": d, "total": float(t), "members": n} for d, t, n in session.execute(q)]


def series(
    session: Session,
    member_id: int,
    indicator: str,
    *,
    start: dt.date | None,
    end: dt.date | None,
    as_of: dt.date | dt.datetime | None = None,
) -> list[tuple[dt.date, float]]:
    """One member's (date, value) of one indicator without item, in date order."""
    src = _source(as_of, Member.id == member_id, indicator=indicator, item="", start=start, end=end)
    q = select(src.c.date, src.c.value).where(
        src.c.member_id == member_id, src.c.indicator == indicator, src.c.item == ""
    )
    if start is not None:
        q = q.where(src.c.date >= start)
    if end is not None:
        q = q.where(src.c.date <= end)
    return [(d, v) for d, v in session.execute(q.order_by(src.c.date))]
