"""Revisions of report values: what each key was as known at any moment, and reporting triangles.

`value_revisions` is append-only: an import that changes a value adds a revision (known at the
submission's time), an identical one adds none; a seeded triangle adds revisions known at
reference date + delay. The current value of a key is its revision with the latest `known_at`
(then the highest id); `report_values` keeps it for fast reads. "As known at X" is, per key, the
latest revision known at X: a date X means by the end of that day (UTC), a time means at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, insert, or_, select
from sqlalchemy.orm import Session, aliased

from .models import Member, ValueRevision

if TYPE_CHECKING:
    import pandas as pd

    from .access import Principal

HISTORY_COLUMNS = ["location", "reference_date", "report_date", "count"]


def cutoff(as_of: dt.date | dt.datetime) -> tuple[dt.datetime, bool]:
    """The naive-UTC moment of `as_of` and whether it is included (a time) or excluded (the
    midnight after a date: the whole day counts)."""
    if isinstance(as_of, dt.datetime):
        if as_of.tzinfo is not None:
            as_of = as_of.astimezone(dt.UTC).replace(tzinfo=None)
        return as_of, True
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()), False


def known_by(column: Any, as_of: dt.date | dt.datetime) -> ColumnElement[bool]:
    """Condition on a `known_at` column: known at `as_of`."""
    moment, inclusive = cutoff(as_of)
    return column <= moment if inclusive else column < moment


def add(
    session: Session,
    principal: Principal,
    member_id: int,
    submission_id: int,
    cells: Sequence[tuple[tuple[dt.date, str, str], float | None, dt.datetime]],
) -> None:
    """Append one revision per (key, value, known_at) in the caller's transaction (value None:
    the value was deleted)."""
    if not cells:
        return
    session.execute(
        insert(ValueRevision.__table__),
        [
            {
                "member_id": member_id,
                "date": key[0],
                "indicator": key[1],
                "item": key[2],
                "value": value,
                "known_at": known_at,
                "submission_id": submission_id,
                "token_id": principal.token_id,
                "actor": principal.actor,
            }
            for key, value, known_at in cells
        ],
    )


def as_known(as_of: dt.date | dt.datetime, *where: ColumnElement[bool]) -> Any:
    """Subquery of the values as known at `as_of`, one row per key, with the columns of
    `report_values` that reads use (member_id, date, indicator, item, value, updated_at);
    `where`: conditions on `ValueRevision` that narrow the keys. A key whose latest revision
    then is a deletion has no row.

    A revision kept is one known then with no later one of its key known then (later: a later
    `known_at`, or the same and a higher id). A plain subquery (no window, no ranking of the
    whole history): SQLite walks the revisions in the read's key order through the index
    `ix_value_revision_read`, looks each one's key up there and stops at the page's end
    (without statistics); PostgreSQL makes it a hash anti-join (docs/performance/hub.md)."""
    rev, later = ValueRevision, aliased(ValueRevision)
    superseded = (
        select(later.id)
        .where(
            later.member_id == rev.member_id,
            later.date == rev.date,
            later.indicator == rev.indicator,
            later.item == rev.item,
            known_by(later.known_at, as_of),
            or_(
                later.known_at > rev.known_at,
                and_(later.known_at == rev.known_at, later.id > rev.id),
            ),
        )
        .correlate(rev)
        .exists()
    )
    return (
        select(
            rev.member_id,
            rev.date,
            rev.indicator,
            rev.item,
            rev.value,
            rev.known_at.label("updated_at"),
        )
        .where(known_by(rev.known_at, as_of), *where, rev.value.is_not(None), ~superseded)
        .subquery("known")
    )


def _members(q: Select, members: Sequence[str] | None) -> Select:
    if members is not None:
        q = q.where(Member.code.in_(sorted(set(members))))
    return q


def count_history(
    session: Session,
    *,
    indicator: str = "new_cases",
    as_of: dt.date | dt.datetime | None,
    members: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The reporting triangle of one count as known at `as_of` (None: everything), long format.

    Columns location (member code), reference_date (the value's date), report_date (the day its
    revision became known) and count: what was added that day to that reference date (negative
    for a correction down; several revisions in one day are netted). A reference date's first
    report is always a row (a reported 0 included); later days whose net change is 0 are not.
    A deleted value takes back what it had. Dates are `datetime.date`; rows sorted by location,
    reference_date, report_date.
    """
    import pandas as pd

    q = (
        select(
            Member.code,
            ValueRevision.date,
            ValueRevision.known_at,
            ValueRevision.value,
        )
        .join(Member, Member.id == ValueRevision.member_id)
        .where(ValueRevision.indicator == indicator, ValueRevision.item == "")
        .order_by(Member.code, ValueRevision.date, ValueRevision.known_at, ValueRevision.id)
    )
    if as_of is not None:
        q = q.where(known_by(ValueRevision.known_at, as_of))
    q = _members(q, members)
    out: list[tuple[str, dt.date, dt.date, float]] = []
    key: tuple[str, dt.date] | None = None
    previous = 0.0
    for code, day, known_at, stored in session.execute(q):
        value = 0.0 if stored is None else stored  # a deleted value takes its count back
        if (code, day) != key:
            key, previous = (code, day), 0.0
            out.append((code, day, known_at.date(), value))
        elif out[-1][2] == known_at.date() and out[-1][:2] == key:
            out[-1] = (*out[-1][:3], out[-1][3] + value - previous)
        else:
            out.append((code, day, known_at.date(), value - previous))
        previous = value
    frame = pd.DataFrame(out, columns=HISTORY_COLUMNS)
    first = ~frame.duplicated(["location", "reference_date"])
    return frame[first | (frame["count"] != 0)].reset_index(drop=True)


def values_as_of(
    session: Session,
    *,
    as_of: dt.date | dt.datetime,
    members: Sequence[str] | None,
    indicators: Sequence[str] | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[dict[str, Any]]:
    """Values as known at `as_of` of these members and indicators (None: all), in key order:
    dicts of member, date, indicator, item, value, updated_at (when that value became known)."""
    rev = ValueRevision
    where = []
    if members is not None:
        codes = select(Member.id).where(Member.code.in_(sorted(set(members))))
        where.append(rev.member_id.in_(codes))
    if indicators is not None:
        where.append(rev.indicator.in_(sorted(set(indicators))))
    if start is not None:
        where.append(rev.date >= start)
    if end is not None:
        where.append(rev.date <= end)
    known = as_known(as_of, *where)
    q = select(
        Member.code,
        known.c.date,
        known.c.indicator,
        known.c.item,
        known.c.value,
        known.c.updated_at,
    ).join(Member, Member.id == known.c.member_id)
    q = q.order_by(Member.code, known.c.date, known.c.indicator, known.c.item)
    return [
        {"member": m, "date": d, "indicator": i, "item": it, "value": v, "updated_at": u}
        for m, d, i, it, v, u in session.execute(q)
    ]
