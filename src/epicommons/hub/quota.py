"""Per-member daily quota on writes that land in other members' view (pledges, shared events).

A member's reporter may fill other members' pages only so fast: pledges to a member and events
visible beyond the member count against one limit per rolling 24 hours.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .clock import utcnow
from .db import lock_member
from .models import Event, Pledge
from .refusals import OverQuota

WINDOW = dt.timedelta(hours=24)


def used(session: Session, member_id: int) -> int:
    """Writes of the member into others' view within the last 24 hours."""
    since = utcnow() - WINDOW
    pledges = session.scalar(
        select(func.count()).where(
            Pledge.donor_id == member_id,
            Pledge.recipient_member_id.is_not(None),
            Pledge.created_at >= since,
        )
    )
    events = session.scalar(
        select(func.count()).where(
            Event.member_id == member_id,
            Event.visibility != "private",
            Event.created_at >= since,
        )
    )
    return int(pledges or 0) + int(events or 0)


def charge(session: Session, member_id: int, what: str, limit: int) -> None:
    """Refuse one more such write when the member has used its quota (checked under its lock)."""
    lock_member(session, member_id)
    if used(session, member_id) >= limit:
        raise OverQuota(
            f"a member writes at most {limit:,} pledges and shared events into other members' "
            f"view per 24 hours; this {what} is over the quota"
        )
