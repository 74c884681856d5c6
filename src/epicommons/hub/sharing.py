"""Partner groups (managed by coordinators) and sharing grants (given by members).

A grant is unique per grantor, grantee and scope (the schema enforces it), so that revoking a
grant always ends the access it gave.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from . import audit
from .access import Principal, require_coordinator, require_reporter_of
from .clock import utcnow
from .db import Database
from .models import GroupMembership, Member, PartnerGroup, Pledge, SharingGrant
from .refusals import Clash, Forbidden, Invalid, NotFound
from .schemas import GrantIn, GroupIn


def create_group(db: Database, caller: Principal, body: GroupIn) -> dict[str, Any]:
    """Create a partner group of members (coordinators only); its code is nobody else's."""
    require_coordinator(caller)
    codes = sorted(set(body.members))
    with db.transaction() as session:
        if session.scalar(select(PartnerGroup.id).where(PartnerGroup.code == body.code)):
            raise Clash(f"group {body.code} exists")
        if session.scalar(select(Member.id).where(Member.code == body.code)) or session.scalar(
            select(Pledge.id).where(Pledge.recipient_pool == body.code).limit(1)
        ):
            raise Clash(f"{body.code} is already a member's or a pool's code")
        found = session.execute(select(Member.code, Member.id).where(Member.code.in_(codes)))
        ids = {code: mid for code, mid in found}
        missing = [c for c in codes if c not in ids]
        if missing:
            raise Invalid(f"unknown members: {', '.join(missing)}")
        group = PartnerGroup(code=body.code, name=body.name, created_at=utcnow())
        session.add(group)
        session.flush()
        session.add_all(GroupMembership(group_id=group.id, member_id=ids[c]) for c in codes)
        out = {"code": group.code, "name": group.name, "members": codes}
        audit.record_by(
            session,
            caller,
            action="create",
            entity="group",
            entity_key=group.code,
            before=None,
            after=out,
        )
        return out


def list_groups(db: Database) -> list[dict[str, Any]]:
    """Every partner group and its members (the directory is public to members)."""
    with db.read() as session:
        groups = {
            g.id: {"code": g.code, "name": g.name, "members": []}
            for g in session.scalars(select(PartnerGroup).order_by(PartnerGroup.code))
        }
        for gid, code in session.execute(
            select(GroupMembership.group_id, Member.code)
            .join(Member, Member.id == GroupMembership.member_id)
            .order_by(Member.code)
        ):
            groups[gid]["members"].append(code)
        return list(groups.values())


def grant_rows(session: Session, grantor_id: int, grant_id: int | None = None) -> list[dict]:
    """The grants a member has given (or one of them)."""
    grantor, grantee = aliased(Member), aliased(Member)
    q = (
        select(SharingGrant, grantor.code, grantee.code, PartnerGroup.code)
        .join(grantor, grantor.id == SharingGrant.grantor_id)
        .outerjoin(grantee, grantee.id == SharingGrant.grantee_member_id)
        .outerjoin(PartnerGroup, PartnerGroup.id == SharingGrant.grantee_group_id)
        .where(SharingGrant.grantor_id == grantor_id)
        .order_by(SharingGrant.id)
    )
    if grant_id is not None:
        q = q.where(SharingGrant.id == grant_id)
    return [
        {
            "id": g.id,
            "grantor": gc,
            "grantee_member": mc,
            "grantee_group": pc,
            "scope": g.scope,
            "created_at": g.created_at,
        }
        for g, gc, mc, pc in session.execute(q)
    ]


def grant(db: Database, caller: Principal, member: Member, body: GrantIn) -> dict[str, Any]:
    """Share one scope of the caller's member's data with a member or a partner group."""
    require_reporter_of(caller, member.id)
    try:
        with db.transaction() as session:
            return _grant(session, caller, member, body)
    except IntegrityError:  # the same grant created at the same moment
        raise Clash("this grant exists already") from None


def _grant(session: Session, caller: Principal, member: Member, body: GrantIn) -> dict[str, Any]:
    grantee_member = grantee_group = None
    if body.grantee_member is not None:
        grantee_member = session.scalar(select(Member.id).where(Member.code == body.grantee_member))
        if grantee_member is None:
            raise Invalid(f"unknown member {body.grantee_member}")
        same = SharingGrant.grantee_member_id == grantee_member
    else:
        grantee_group = session.scalar(
            select(PartnerGroup.id).where(PartnerGroup.code == body.grantee_group)
        )
        if grantee_group is None:
            raise Invalid(f"unknown group {body.grantee_group}")
        same = SharingGrant.grantee_group_id == grantee_group
    existing = session.scalar(
        select(SharingGrant.id).where(
            SharingGrant.grantor_id == member.id, SharingGrant.scope == body.scope, same
        )
    )
    if existing is not None:
        raise Clash(f"grant {existing} already gives this; revoke it or keep it")
    row = SharingGrant(
        grantor_id=member.id,
        grantee_member_id=grantee_member,
        grantee_group_id=grantee_group,
        scope=body.scope,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    out = grant_rows(session, member.id, row.id)[0]
    audit.record_by(
        session,
        caller,
        member_id=member.id,
        action="create",
        entity="grant",
        entity_key=str(row.id),
        before=None,
        after=out,
    )
    return out


def list_grants(db: Database, caller: Principal, member: Member) -> list[dict[str, Any]]:
    """The grants a member has given (that member and coordinators only)."""
    if caller.role != "coordinator" and caller.member_id != member.id:
        raise Forbidden("only the member itself and coordinators see its grants")
    with db.read() as session:
        return grant_rows(session, member.id)


def revoke_grant(db: Database, caller: Principal, member: Member, grant_id: int) -> None:
    """Withdraw a grant the caller's member gave."""
    require_reporter_of(caller, member.id)
    with db.transaction() as session:
        found = grant_rows(session, member.id, grant_id)
        if not found:
            raise NotFound(f"no grant {grant_id} of {member.code}")
        session.execute(delete(SharingGrant).where(SharingGrant.id == grant_id))
        audit.record_by(
            session,
            caller,
            member_id=member.id,
            action="delete",
            entity="grant",
            entity_key=str(grant_id),
            before=found[0],
            after=None,
        )
