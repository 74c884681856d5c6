"""Partner groups (managed by coordinators) and sharing grants (given by members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from .. import audit
from ..clock import utcnow
from ..models import GroupMembership, Member, PartnerGroup, SharingGrant
from ..problems import HubProblem
from ..schemas import GrantIn, GrantOut, GroupIn, GroupOut
from .deps import Caller, CoordinatorDep, HubDep, MemberDep, OwnMember

router = APIRouter(tags=["sharing"])
GrantId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/groups", response_model=GroupOut, status_code=201)
def create_group(caller: CoordinatorDep, state: HubDep, body: GroupIn) -> dict:
    """Create a partner group of members (coordinators only)."""
    codes = sorted(set(body.members))
    with state.db.transaction() as session:
        if session.scalar(select(PartnerGroup.id).where(PartnerGroup.code == body.code)):
            raise HubProblem(409, f"group {body.code} exists")
        ids = {
            code: mid
            for code, mid in session.execute(
                select(Member.code, Member.id).where(Member.code.in_(codes))
            )
        }
        missing = [c for c in codes if c not in ids]
        if missing:
            raise HubProblem(422, f"unknown members: {', '.join(missing)}")
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


@router.get("/groups", response_model=list[GroupOut])
def list_groups(caller: Caller, state: HubDep) -> list[dict]:
    """Every partner group and its members (the directory is public to members)."""
    with state.db.read() as session:
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


def _grants(session, grantor_id: int, grant_id: int | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
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


@router.post("/members/{code}/grants", response_model=GrantOut, status_code=201)
def grant(caller: Caller, state: HubDep, member: OwnMember, body: GrantIn) -> dict:
    """Share one scope of the caller's member's data with a member or a partner group."""
    with state.db.transaction() as session:
        grantee_member = grantee_group = None
        if body.grantee_member is not None:
            grantee_member = session.scalar(
                select(Member.id).where(Member.code == body.grantee_member)
            )
            if grantee_member is None:
                raise HubProblem(422, f"unknown member {body.grantee_member}")
        else:
            grantee_group = session.scalar(
                select(PartnerGroup.id).where(PartnerGroup.code == body.grantee_group)
            )
            if grantee_group is None:
                raise HubProblem(422, f"unknown group {body.grantee_group}")
        row = SharingGrant(
            grantor_id=member.id,
            grantee_member_id=grantee_member,
            grantee_group_id=grantee_group,
            scope=body.scope,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        out = _grants(session, member.id, row.id)[0]
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


@router.get("/members/{code}/grants", response_model=list[GrantOut])
def list_grants(caller: Caller, state: HubDep, member: MemberDep) -> list[dict]:
    """The grants a member has given (that member and coordinators only)."""
    if caller.role != "coordinator" and caller.member_id != member.id:
        raise HubProblem(403, "only the member itself and coordinators see its grants")
    with state.db.read() as session:
        return _grants(session, member.id)


@router.delete("/members/{code}/grants/{grant_id}", status_code=204)
def revoke_grant(caller: Caller, state: HubDep, member: OwnMember, grant_id: GrantId) -> None:
    """Withdraw a grant the caller's member gave."""
    with state.db.transaction() as session:
        found = _grants(session, member.id, grant_id)
        if not found:
            raise HubProblem(404, f"no grant {grant_id} of {member.code}")
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
