"""Event notifications: record them, list what the caller may see, move them along the workflow.

The workflow is IHR event-based surveillance: signal → under_verification → verified/discarded →
closed. A status change locks the event's row first, so of two changes sent together only one
can take a step from the same status. Events visible beyond the member count against its quota.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .access import Principal, readable_events, require_reporter_of
from .clock import utcnow
from .db import Database
from .models import Event, Member
from .quota import charge
from .refusals import Clash, Invalid, NotFound
from .schemas import EventIn, StatusIn

TRANSITIONS = {
    "signal": {"under_verification"},
    "under_verification": {"verified", "discarded"},
    "verified": {"closed"},
    "discarded": {"closed"},
    "closed": set(),
}
ANSWERS = (
    "serious_impact",
    "unusual_or_unexpected",
    "international_spread",
    "travel_or_trade_restrictions",
)


def event_out(event: Event, code: str) -> dict[str, Any]:
    """An event as answered: its member's code and whether it is notifiable (≥ 2 Annex 2 yes)."""
    data = _state(event)
    data.pop("member_id")
    data["member"] = code
    data["notifiable"] = sum(bool(data[a]) for a in ANSWERS) >= 2
    return data


def _state(event: Event) -> dict[str, Any]:
    return {c.name: getattr(event, c.name) for c in Event.__table__.columns}


def notify(
    db: Database, caller: Principal, member: Member, body: EventIn, daily_quota: int
) -> dict[str, Any]:
    """Record an event of the caller's own member; it starts as a signal."""
    require_reporter_of(caller, member.id)
    now = utcnow()
    with db.transaction() as session:
        if body.visibility != "private":
            charge(session, member.id, "event", daily_quota)
        event = Event(
            member_id=member.id,
            status="signal",
            created_at=now,
            updated_at=now,
            **body.model_dump(),
        )
        session.add(event)
        session.flush()
        audit.record_by(
            session,
            caller,
            member_id=member.id,
            action="create",
            entity="event",
            entity_key=str(event.id),
            before=None,
            after=_state(event),
        )
        return event_out(event, member.code)


def _seen(caller: Principal, others_only: bool):  # type: ignore[no-untyped-def]
    """The condition on events the caller may see (only other members' when `others_only`)."""
    condition = readable_events(caller)
    return condition & (Event.member_id != caller.member_id) if others_only else condition


def visible_events(
    session: Session, caller: Principal, *, others_only: bool = False, limit: int, offset: int
) -> list[tuple[Event, str]]:
    """Events the caller may see (newest first when `others_only`, for the shared page).

    Both orders end on the id, so that pages of the list never repeat or skip an event.
    """
    q = select(Event, Member.code).join(Member, Member.id == Event.member_id)
    q = q.where(_seen(caller, others_only))
    if others_only:
        q = q.order_by(Event.detected_at.desc(), Event.id.desc())
    else:
        q = q.order_by(Event.id)
    return [(e, c) for e, c in session.execute(q.limit(limit).offset(offset))]


def count_visible_events(session: Session, caller: Principal, *, others_only: bool = False) -> int:
    """How many events `visible_events` pages through."""
    return session.scalar(select(func.count(Event.id)).where(_seen(caller, others_only))) or 0


def list_events(db: Database, caller: Principal, *, limit: int, offset: int) -> list[dict]:
    """Events the caller may see: its own, those open to all, and partners' shared ones."""
    with db.read() as session:
        return [
            event_out(e, c) for e, c in visible_events(session, caller, limit=limit, offset=offset)
        ]


def _visible(session: Session, caller: Principal, event_id: int, lock: bool = False):  # type: ignore[no-untyped-def]
    if lock:
        session.execute(select(Event.id).where(Event.id == event_id).with_for_update())
    row = session.execute(
        select(Event, Member.code)
        .join(Member, Member.id == Event.member_id)
        .where(Event.id == event_id, readable_events(caller))
    ).first()
    if row is None:
        raise NotFound(f"no event {event_id} visible to you")
    if lock:
        session.refresh(row[0])  # the state as of the lock, not as first read
    return row[0], row[1]


def get_event(db: Database, caller: Principal, event_id: int) -> dict[str, Any]:
    """One event, if visible to the caller."""
    with db.read() as session:
        return event_out(*_visible(session, caller, event_id))


def change_status(db: Database, caller: Principal, event_id: int, body: StatusIn) -> dict:
    """Move an event of the caller's own member one step along the workflow."""
    with db.transaction() as session:
        event, code = _visible(session, caller, event_id, lock=True)
        require_reporter_of(caller, event.member_id)
        if body.status not in TRANSITIONS[event.status]:
            allowed = ", ".join(sorted(TRANSITIONS[event.status])) or "none"
            raise Clash(f"cannot go from {event.status} to {body.status}; allowed: {allowed}")
        before = _state(event)
        assessed = body.assessed_at or event.assessed_at
        notified = body.notified_at or event.notified_at
        if assessed is not None and assessed < event.detected_at:
            raise Invalid("assessed_at precedes detected_at")
        if notified is not None and notified < (assessed or event.detected_at):
            raise Invalid("notified_at precedes assessment/detection")
        event.status, event.assessed_at, event.notified_at = body.status, assessed, notified
        event.updated_at = utcnow()
        audit.record_by(
            session,
            caller,
            member_id=event.member_id,
            action="status",
            entity="event",
            entity_key=str(event.id),
            before=before,
            after=_state(event),
        )
        return event_out(event, code)
