"""Pledges and deliveries routes: thin doors onto `hub.ledger`, which holds the rules."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from .. import ledger as service
from ..schemas import MAX_ID, DeliveryIn, DeliveryOut, IsoDate, LedgerRow, PledgeIn, PledgeOut
from .deps import Caller, HubDep, OwnMember
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["ledger"])
PledgeId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/members/{code}/pledges", response_model=PledgeOut, status_code=201)
def pledge(caller: Caller, state: HubDep, member: OwnMember, body: PledgeIn) -> dict:
    """Record a pledge by the caller's own member (the donor); pledges to members use its quota."""
    return service.create_pledge(state.db, caller, member, body, state.settings.daily_quota)


@router.get("/pledges", response_model=list[PledgeOut])
def list_pledges(caller: Caller, state: HubDep, limit: Limit = PAGE, offset: Offset = 0) -> list:
    """Pledges the caller's member gave or received, those shared with it (all for coordinators)."""
    return service.list_pledges(state.db, caller, limit=limit, offset=offset)


@router.post("/pledges/{pledge_id}/deliveries", response_model=DeliveryOut, status_code=201)
def deliver(caller: Caller, state: HubDep, pledge_id: PledgeId, body: DeliveryIn) -> dict:
    """Record a delivery against a pledge of the caller's own member; never above the pledge.

    A pledge to a member is delivered to that member; a pledge to a pool names the member that
    received the items in `recipient_member`.
    """
    return service.deliver(state.db, caller, pledge_id, body)


@router.post("/pledges/{pledge_id}/decline", response_model=PledgeOut)
def decline(caller: Caller, state: HubDep, pledge_id: PledgeId) -> dict:
    """The recipient declines a pledge made to it (before any delivery); it leaves the ledger."""
    return service.decline(state.db, caller, pledge_id)


@router.get("/ledger", response_model=list[LedgerRow])
async def ledger(
    caller: Caller,
    state: HubDep,
    response: Response,
    view: Literal["by_pledge", "by_donor", "by_recipient"] = "by_pledge",
    as_of: Annotated[IsoDate | None, Query(description="count records up to this date")] = None,
    limit: Limit = PAGE,
    offset: Offset = 0,
) -> list[dict]:
    """Pledged versus delivered over the pledges the caller may read (`epicommons.assist` ledger).

    Stored records the ledger's checks refuse are left out; the `Ledger-Skipped` header counts them.
    """
    book = await run_in_threadpool(service.book, state.db, caller)
    response.headers["Ledger-Skipped"] = str(len(book.skipped))
    return book.view(view, as_of)[offset : offset + limit]
