"""Directory routes: who am I, which members exist."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from ..models import Member
from ..schemas import Me, MemberOut
from .deps import Caller, HubDep
from .paging import PAGE, Limit, Offset

router = APIRouter(tags=["members"])


@router.get("/me", response_model=Me)
def me(caller: Caller) -> dict:
    """The member and role of the calling token."""
    return {"member": caller.member_code, "role": caller.role, "token_id": caller.token_id}


@router.get("/members", response_model=list[MemberOut])
def members(caller: Caller, state: HubDep, limit: Limit = PAGE, offset: Offset = 0) -> list[dict]:
    """Every member of the hub (codes and names are public to members)."""
    q = select(Member).order_by(Member.code).limit(limit).offset(offset)
    with state.db.read() as session:
        return [{"code": m.code, "name": m.name, "kind": m.kind} for m in session.scalars(q)]
