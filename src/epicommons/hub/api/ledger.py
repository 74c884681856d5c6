"""Pledges and deliveries: the assistance ledger, written by donors, read by the parties."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from .. import audit
from ..access import readable_pledges, require_reporter_of
from ..clock import utcnow
from ..models import Delivery, Member, Pledge
from ..problems import HubProblem
from ..schemas import DeliveryIn, DeliveryOut, IsoDate, LedgerRow, PledgeIn, PledgeOut
from .deps import Caller, HubDep, OwnMember

router = APIRouter(tags=["ledger"])
PledgeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _pledges(session, condition) -> list[dict]:  # type: ignore[no-untyped-def]
    donor, recipient = aliased(Member), aliased(Member)
    delivered = (
        select(func.coalesce(func.sum(Delivery.quantity), 0.0))
        .where(Delivery.pledge_id == Pledge.id)
        .scalar_subquery()
    )
    q = (
        select(Pledge, donor.code, recipient.code, delivered)
        .join(donor, donor.id == Pledge.donor_id)
        .outerjoin(recipient, recipient.id == Pledge.recipient_member_id)
        .where(condition)
        .order_by(Pledge.id)
    )
    return [
        {
            "id": p.id,
            "donor": dc,
            "recipient_member": rc,
            "recipient_pool": p.recipient_pool,
            "item": p.item,
            "quantity": p.quantity,
            "date": p.date,
            "delivered": float(d),
        }
        for p, dc, rc, d in session.execute(q)
    ]


@router.post("/members/{code}/pledges", response_model=PledgeOut, status_code=201)
def pledge(caller: Caller, state: HubDep, member: OwnMember, body: PledgeIn) -> dict:
    """Record a pledge by the caller's own member (the donor)."""
    with state.db.transaction() as session:
        recipient = None
        if body.recipient_member is not None:
            recipient = session.scalar(
                select(Member.id).where(Member.code == body.recipient_member)
            )
            if recipient is None:
                raise HubProblem(422, f"unknown member {body.recipient_member}")
            if recipient == member.id:
                raise HubProblem(422, "a member cannot pledge to itself")
        elif session.scalar(select(Member.id).where(Member.code == body.recipient_pool)):
            raise HubProblem(422, f"{body.recipient_pool} is a member; use recipient_member")
        row = Pledge(
            donor_id=member.id,
            recipient_member_id=recipient,
            recipient_pool=body.recipient_pool,
            item=body.item,
            quantity=body.quantity,
            date=body.date,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        out = _pledges(session, Pledge.id == row.id)[0]
        audit.record_by(
            session,
            caller,
            member_id=member.id,
            action="create",
            entity="pledge",
            entity_key=str(row.id),
            before=None,
            after=out,
        )
        return out


@router.get("/pledges", response_model=list[PledgeOut])
def list_pledges(caller: Caller, state: HubDep) -> list[dict]:
    """Pledges the caller's member gave or received, those shared with it (all for coordinators)."""
    with state.db.read() as session:
        return _pledges(session, readable_pledges(caller))


@router.post("/pledges/{pledge_id}/deliveries", response_model=DeliveryOut, status_code=201)
def deliver(caller: Caller, state: HubDep, pledge_id: PledgeId, body: DeliveryIn) -> dict:
    """Record a delivery against a pledge of the caller's own member; never above the pledge.

    A pledge to a member is delivered to that member; a pledge to a pool names the member that
    received the items in `recipient_member`.
    """
    with state.db.transaction() as session:
        found = _pledges(session, (Pledge.id == pledge_id) & readable_pledges(caller))
        if not found:
            raise HubProblem(404, f"no pledge {pledge_id} visible to you")
        p = session.get(Pledge, pledge_id)
        require_reporter_of(caller, p.donor_id)
        if p.recipient_member_id is not None:
            recipient, code = p.recipient_member_id, found[0]["recipient_member"]
            if body.recipient_member not in (None, code):
                raise HubProblem(422, f"pledge {pledge_id} is for {code}")
        else:
            if body.recipient_member is None:
                raise HubProblem(422, "a pool's pledge needs the recipient_member it reached")
            code = body.recipient_member
            recipient = session.scalar(select(Member.id).where(Member.code == code))
            if recipient is None:
                raise HubProblem(422, f"unknown member {code}")
        if body.date < p.date:
            raise HubProblem(422, f"delivery date precedes the pledge ({p.date})")
        if found[0]["delivered"] + body.quantity > p.quantity * (1 + 1e-9):
            raise HubProblem(
                422,
                f"delivery would exceed the pledge: {found[0]['delivered']:g} "
                f"of {p.quantity:g} already delivered",
            )
        row = Delivery(
            pledge_id=pledge_id,
            recipient_member_id=recipient,
            quantity=body.quantity,
            date=body.date,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        out = {
            "id": row.id,
            "pledge": pledge_id,
            "recipient_member": code,
            "quantity": row.quantity,
            "date": row.date,
        }
        audit.record_by(
            session,
            caller,
            member_id=p.donor_id,
            action="create",
            entity="delivery",
            entity_key=str(row.id),
            before={"pledge": pledge_id, "delivered": found[0]["delivered"]},
            after=out,
        )
        return out


@router.get("/ledger", response_model=list[LedgerRow])
def ledger(
    caller: Caller,
    state: HubDep,
    view: Literal["by_pledge", "by_donor", "by_recipient"] = "by_pledge",
    as_of: Annotated[IsoDate | None, Query(description="count records up to this date")] = None,
) -> list[dict]:
    """Pledged versus delivered over the pledges the caller may read (`epicommons.assist` ledger)."""
    from epicommons.assist.ledger import Ledger  # pandas loads on first use

    donor, recipient, receiver = aliased(Member), aliased(Member), aliased(Member)
    with state.db.read() as session:
        pledges = session.execute(
            select(Pledge, donor.code, recipient.code)
            .join(donor, donor.id == Pledge.donor_id)
            .outerjoin(recipient, recipient.id == Pledge.recipient_member_id)
            .where(readable_pledges(caller))
        ).all()
        deliveries = session.execute(
            select(Delivery, Pledge, donor.code, receiver.code)
            .join(Pledge, Pledge.id == Delivery.pledge_id)
            .join(donor, donor.id == Pledge.donor_id)
            .join(receiver, receiver.id == Delivery.recipient_member_id)
            .where(readable_pledges(caller))
        ).all()
    book = Ledger.from_records(
        [
            {
                "pledge_id": str(p.id),
                "donor": d,
                "recipient": r or p.recipient_pool,
                "item": p.item,
                "quantity": p.quantity,
                "date": p.date,
            }
            for p, d, r in pledges
        ],
        [
            {
                "delivery_id": str(x.id),
                "pledge_id": str(p.id),
                "donor": d,
                "recipient": r,
                "item": p.item,
                "quantity": x.quantity,
                "date": x.date,
            }
            for x, p, d, r in deliveries
        ],
        pools={p.recipient_pool for p, _, _ in pledges if p.recipient_pool},
    )
    rows = getattr(book, view)(as_of).to_dict("records")
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in rows
    ]
