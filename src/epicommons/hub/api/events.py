"""Event routes: notify, list what the caller may see, read one, move it through the workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from .. import audit
from ..access import readable_events, require_reporter_of
from ..clock import utcnow
from ..models import Event, Member
from ..problems import HubProblem
from ..schemas import EventIn, EventOut, StatusIn
from .deps import Caller, HubDep, OwnMember

router = APIRouter(tags=["events"])
EventId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# signal -> under verification -> verified/discarded -> closed (IHR event-based surveillance).
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


def _out(event: Event, code: str) -> dict:
    data = {c.name: getattr(event, c.name) for c in Event.__table__.columns}
    data.pop("member_id")
    data["member"] = code
    data["notifiable"] = sum(bool(data[a]) for a in ANSWERS) >= 2
    return data


def _state(event: Event) -> dict:
    return {c.name: getattr(event, c.name) for c in Event.__table__.columns}


@router.post("/members/{code}/events", response_model=EventOut, status_code=201)
def notify(caller: Caller, state: HubDep, member: OwnMember, body: EventIn) -> dict:
    """Record an event of the caller's own member; it starts as a signal."""
    now = utcnow()
    with state.db.transaction() as session:
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
        return _out(event, member.code)


@router.get("/events", response_model=list[EventOut])
def list_events(caller: Caller, state: HubDep) -> list[dict]:
    """Events the caller may see: its own, those open to all, and partners' shared ones."""
    with state.db.read() as session:
        rows = session.execute(
            select(Event, Member.code)
            .join(Member, Member.id == Event.member_id)
            .where(readable_events(caller))
            .order_by(Event.id)
        ).all()
        return [_out(e, code) for e, code in rows]


def _visible(session, caller, event_id: int) -> tuple[Event, str]:  # type: ignore[no-untyped-def]
    row = session.execute(
        select(Event, Member.code)
        .join(Member, Member.id == Event.member_id)
        .where(Event.id == event_id, readable_events(caller))
    ).first()
    if row is None:
        raise HubProblem(404, f"no event {event_id} visible to you")
    return row[0], row[1]


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(caller: Caller, state: HubDep, event_id: EventId) -> dict:
    """One event, if visible to the caller."""
    with state.db.read() as session:
        return _out(*_visible(session, caller, event_id))


@router.post("/events/{event_id}/status", response_model=EventOut)
def change_status(caller: Caller, state: HubDep, event_id: EventId, body: StatusIn) -> dict:
    """Move an event of the caller's own member one step along the workflow."""
    with state.db.transaction() as session:
        event, code = _visible(session, caller, event_id)
        require_reporter_of(caller, event.member_id)
        if body.status not in TRANSITIONS[event.status]:
            allowed = ", ".join(sorted(TRANSITIONS[event.status])) or "none"
            raise HubProblem(
                409, f"cannot go from {event.status} to {body.status}; allowed: {allowed}"
            )
        before = _state(event)
        assessed = body.assessed_at or event.assessed_at
        notified = body.notified_at or event.notified_at
        if assessed is not None and assessed < event.detected_at:
            raise HubProblem(422, "assessed_at precedes detected_at")
        if notified is not None and notified < (assessed or event.detected_at):
            raise HubProblem(422, "notified_at precedes assessment/detection")
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
        return _out(event, code)
