"""Event routes: thin doors onto `hub.events`, which holds the workflow and its rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from .. import events as service
from ..schemas import MAX_ID, EventIn, EventOut, StatusIn
from .deps import Caller, HubDep, OwnMember
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["events"])
EventId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/members/{code}/events", response_model=EventOut, status_code=201)
def notify(caller: Caller, state: HubDep, member: OwnMember, body: EventIn) -> dict:
    """Record an event of the caller's own member; it starts as a signal."""
    return service.notify(state.db, caller, member, body, state.settings.daily_quota)


@router.get("/events", response_model=list[EventOut])
def list_events(caller: Caller, state: HubDep, limit: Limit = PAGE, offset: Offset = 0) -> list:
    """Events the caller may see: its own, those open to all, and partners' shared ones."""
    return service.list_events(state.db, caller, limit=limit, offset=offset)


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(caller: Caller, state: HubDep, event_id: EventId) -> dict:
    """One event, if visible to the caller."""
    return service.get_event(state.db, caller, event_id)


@router.post("/events/{event_id}/status", response_model=EventOut)
def change_status(caller: Caller, state: HubDep, event_id: EventId, body: StatusIn) -> dict:
    """Move an event of the caller's own member one step along the workflow."""
    return service.change_status(state.db, caller, event_id, body)
