"""Who may read and write what, expressed as SQL conditions applied by every query.

Rules: a reporter writes only its own member's data; every role of a member reads its own data
and what other members granted to it (directly or through a partner group); a coordinator reads
everything and writes none of the members' data (it manages partner groups).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from .models import Event, GroupMembership, Member, Pledge, SharingGrant
from .refusals import Forbidden


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a token of one member with one role."""

    token_id: int
    member_id: int
    member_code: str
    role: str

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"


def granted_by(principal: Principal, scope: str) -> Select:
    """Ids of members that granted `scope` to the caller's member or to one of its groups."""
    groups = select(GroupMembership.group_id).where(
        GroupMembership.member_id == principal.member_id
    )
    return select(SharingGrant.grantor_id).where(
        SharingGrant.scope.in_((scope, "all")),
        or_(
            SharingGrant.grantee_member_id == principal.member_id,
            SharingGrant.grantee_group_id.in_(groups),
        ),
    )


def readable_members(principal: Principal, scope: str) -> ColumnElement[bool]:
    """Condition on `member_id` columns: rows of members whose `scope` data the caller reads."""
    if principal.role == "coordinator":
        return true()
    return or_(Member.id == principal.member_id, Member.id.in_(granted_by(principal, scope)))


def may_read(session: Session, principal: Principal, member_id: int, scope: str) -> bool:
    """Whether the caller may read `scope` data of one member (own, granted, or coordinator)."""
    if principal.role == "coordinator" or member_id == principal.member_id:
        return True
    granted = granted_by(principal, scope).where(SharingGrant.grantor_id == member_id)
    return bool(session.scalar(select(granted.exists())))


def readable_events(principal: Principal) -> ColumnElement[bool]:
    """Condition on `Event`: own events, events open to all, and partners' shared events."""
    if principal.role == "coordinator":
        return true()
    return or_(
        Event.member_id == principal.member_id,
        Event.visibility == "all",
        (Event.visibility == "partners") & Event.member_id.in_(granted_by(principal, "events")),
    )


def readable_pledges(principal: Principal) -> ColumnElement[bool]:
    """Condition on `Pledge`: given or received by the caller's member, or shared with it."""
    if principal.role == "coordinator":
        return true()
    return or_(
        Pledge.donor_id == principal.member_id,
        Pledge.recipient_member_id == principal.member_id,
        Pledge.donor_id.in_(granted_by(principal, "ledger")),
    )


def require_reporter_of(principal: Principal, member_id: int) -> None:
    """Refuse any write to a member's data except by that member's reporter."""
    if principal.role != "reporter":
        raise Forbidden(f"a {principal.role} token cannot write members' data")
    if principal.member_id != member_id:
        raise Forbidden("a reporter writes only its own member's data")


def require_coordinator(principal: Principal) -> None:
    """Refuse managing partner groups to anyone but a coordinator."""
    if principal.role != "coordinator":
        raise Forbidden("only a coordinator manages partner groups")
