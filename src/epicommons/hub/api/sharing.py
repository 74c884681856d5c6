"""Partner groups and sharing grants routes: thin doors onto `hub.sharing`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from .. import sharing as service
from ..schemas import MAX_ID, GrantIn, GrantOut, GroupIn, GroupOut
from .deps import Caller, CoordinatorDep, HubDep, MemberDep, OwnMember
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["sharing"])
GrantId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/groups", response_model=GroupOut, status_code=201)
def create_group(caller: CoordinatorDep, state: HubDep, body: GroupIn) -> dict:
    """Create a partner group of members (coordinators only)."""
    return service.create_group(state.db, caller, body)


@router.get("/groups", response_model=list[GroupOut])
def list_groups(
    caller: Caller, state: HubDep, limit: Limit = PAGE, offset: Offset = 0
) -> list[dict]:
    """Every partner group and its members (the directory is public to members)."""
    return service.list_groups(state.db)[offset : offset + limit]


@router.post("/members/{code}/grants", response_model=GrantOut, status_code=201)
def grant(caller: Caller, state: HubDep, member: OwnMember, body: GrantIn) -> dict:
    """Share one scope of the caller's member's data with a member or a partner group."""
    return service.grant(state.db, caller, member, body)


@router.get("/members/{code}/grants", response_model=list[GrantOut])
def list_grants(
    caller: Caller, state: HubDep, member: MemberDep, limit: Limit = PAGE, offset: Offset = 0
) -> list[dict]:
    """The grants a member has given (that member and coordinators only)."""
    return service.list_grants(state.db, caller, member)[offset : offset + limit]


@router.delete("/members/{code}/grants/{grant_id}", status_code=204)
def revoke_grant(caller: Caller, state: HubDep, member: OwnMember, grant_id: GrantId) -> None:
    """Withdraw a grant the caller's member gave."""
    service.revoke_grant(state.db, caller, member, grant_id)
