"""Pledges and deliveries: record them under the ledger's rules and read the ledger's views.

Rules: a donor pledges only to another member or to a pool whose code is nobody's (no member's,
no country's, no partner group's); a delivery never takes a pledge above its quantity, even when
deliveries arrive together (the pledge row is locked first); a recipient may decline a pledge
that nothing was delivered against; pledges to others count against the donor's daily quota.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from epicommons.errors import InputError

from . import audit
from .access import Principal, readable_pledges, require_reporter_of
from .clock import utcnow
from .db import Database
from .models import Delivery, Member, PartnerGroup, Pledge
from .quota import charge
from .refusals import Clash, Forbidden, Invalid, NotFound
from .schemas import DeliveryIn, PledgeIn

if TYPE_CHECKING:
    from epicommons.assist.ledger import Ledger

VIEWS = ("by_pledge", "by_donor", "by_recipient")


def pledge_rows(
    session: Session, condition: ColumnElement[bool], limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Pledges matching `condition` (the caller's access) with the quantity delivered so far."""
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
        .limit(limit)
        .offset(offset)
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
            "declined": p.declined_at is not None,
        }
        for p, dc, rc, d in session.execute(q)
    ]


def pool_code_taken(session: Session, code: str) -> str | None:
    """Why `code` cannot name a pool (a member's, a country's or a partner group's), or None."""
    from epicommons.world.countries import registry

    if session.scalar(select(Member.id).where(Member.code == code)) is not None:
        return f"{code} is a member; use recipient_member"
    if code in registry():
        return f"{code} is a country's code; a pool needs a code of its own"
    if session.scalar(select(PartnerGroup.id).where(PartnerGroup.code == code)) is not None:
        return f"{code} is a partner group; a pool needs a code of its own"
    return None


def create_pledge(
    db: Database, caller: Principal, donor: Member, body: PledgeIn, daily_quota: int
) -> dict[str, Any]:
    """Record a pledge by the caller's member (the donor) to a member or a pool."""
    require_reporter_of(caller, donor.id)
    with db.transaction() as session:
        recipient = None
        if body.recipient_member is not None:
            recipient = session.scalar(
                select(Member.id).where(Member.code == body.recipient_member)
            )
            if recipient is None:
                raise Invalid(f"unknown member {body.recipient_member}")
            if recipient == donor.id:
                raise Invalid("a member cannot pledge to itself")
            charge(session, donor.id, "pledge", daily_quota)
        else:
            taken = pool_code_taken(session, body.recipient_pool)
            if taken:
                raise Invalid(taken)
        row = Pledge(
            donor_id=donor.id,
            recipient_member_id=recipient,
            recipient_pool=body.recipient_pool,
            item=body.item,
            quantity=body.quantity,
            date=body.date,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        out = pledge_rows(session, Pledge.id == row.id)[0]
        audit.record_by(
            session,
            caller,
            member_id=donor.id,
            action="create",
            entity="pledge",
            entity_key=str(row.id),
            before=None,
            after=out,
        )
        return out


def list_pledges(
    db: Database, caller: Principal, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Pledges the caller's member gave or received, or that were shared with it (all: coordinators)."""
    with db.read() as session:
        return pledge_rows(session, readable_pledges(caller), limit, offset)


def _locked_pledge(session: Session, caller: Principal, pledge_id: int) -> dict[str, Any]:
    """The pledge, visible to the caller, with its row locked until the transaction ends."""
    session.execute(select(Pledge.id).where(Pledge.id == pledge_id).with_for_update())
    found = pledge_rows(session, (Pledge.id == pledge_id) & readable_pledges(caller))
    if not found:
        raise NotFound(f"no pledge {pledge_id} visible to you")
    return found[0]


def deliver(db: Database, caller: Principal, pledge_id: int, body: DeliveryIn) -> dict[str, Any]:
    """Record a delivery against a pledge of the caller's member; never above the pledge.

    A pledge to a member is delivered to that member; a pledge to a pool names the member that
    received the items in `recipient_member`.
    """
    with db.transaction() as session:
        found = _locked_pledge(session, caller, pledge_id)
        p = session.get(Pledge, pledge_id)
        require_reporter_of(caller, p.donor_id)
        if p.declined_at is not None:
            raise Clash(f"pledge {pledge_id} was declined by its recipient")
        if p.recipient_member_id is not None:
            recipient, code = p.recipient_member_id, found["recipient_member"]
            if body.recipient_member not in (None, code):
                raise Invalid(f"pledge {pledge_id} is for {code}")
        else:
            if body.recipient_member is None:
                raise Invalid("a pool's pledge needs the recipient_member it reached")
            code = body.recipient_member
            recipient = session.scalar(select(Member.id).where(Member.code == code))
            if recipient is None:
                raise Invalid(f"unknown member {code}")
        if body.date < p.date:
            raise Invalid(f"delivery date precedes the pledge ({p.date})")
        if found["delivered"] + body.quantity > p.quantity * (1 + 1e-9):
            raise Invalid(
                f"delivery would exceed the pledge: {found['delivered']:,.0f} "
                f"of {p.quantity:,.0f} already delivered"
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
            before={"pledge": pledge_id, "delivered": found["delivered"]},
            after=out,
        )
        return out


def decline(db: Database, caller: Principal, pledge_id: int) -> dict[str, Any]:
    """The recipient's reporter declines a pledge made to it (before anything was delivered)."""
    with db.transaction() as session:
        found = _locked_pledge(session, caller, pledge_id)
        p = session.get(Pledge, pledge_id)
        if p.recipient_member_id is None:
            raise Invalid(f"pledge {pledge_id} is to a pool; only a member declines")
        if caller.role != "reporter" or caller.member_id != p.recipient_member_id:
            raise Forbidden("only the recipient's reporter declines a pledge")
        if p.declined_at is not None:
            return found
        if found["delivered"] > 0:
            raise Clash(f"pledge {pledge_id} has deliveries; it can no longer be declined")
        p.declined_at = utcnow()
        session.flush()
        out = pledge_rows(session, Pledge.id == pledge_id)[0]
        audit.record_by(
            session,
            caller,
            member_id=caller.member_id,
            action="decline",
            entity="pledge",
            entity_key=str(pledge_id),
            before=found,
            after=out,
        )
        return out


@dataclass(frozen=True)
class LedgerBook:
    """The caller's ledger and the stored records it had to leave out (with the reason)."""

    ledger: Ledger
    skipped: list[str] = field(default_factory=list)

    def view(self, name: str, as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """One of `VIEWS` as rows, missing numbers as None."""
        rows = getattr(self.ledger, name)(as_of).to_dict("records")
        return [
            {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in rows
        ]


def book(db: Database, caller: Principal) -> LedgerBook:
    """The assistance ledger over the pledges the caller may read (`epicommons.assist.ledger`).

    Declined pledges are left out. A stored record that the ledger's checks refuse (e.g. a pool
    named like a member that joined later) is left out and named, so that one record never
    breaks everyone's ledger.
    """
    from epicommons.assist.ledger import Ledger  # pandas loads on first use

    donor, recipient, receiver = aliased(Member), aliased(Member), aliased(Member)
    with db.read() as session:
        visible = readable_pledges(caller) & Pledge.declined_at.is_(None)
        pledges = session.execute(
            select(Pledge, donor.code, recipient.code)
            .join(donor, donor.id == Pledge.donor_id)
            .outerjoin(recipient, recipient.id == Pledge.recipient_member_id)
            .where(visible)
            .order_by(Pledge.id)
        ).all()
        deliveries = session.execute(
            select(Delivery, Pledge, donor.code, receiver.code)
            .join(Pledge, Pledge.id == Delivery.pledge_id)
            .join(donor, donor.id == Pledge.donor_id)
            .join(receiver, receiver.id == Delivery.recipient_member_id)
            .where(visible)
            .order_by(Delivery.id)
        ).all()
        members = set(session.scalars(select(Member.code)))
    pledge_records = [
        {
            "pledge_id": str(p.id),
            "donor": d,
            "recipient": r or p.recipient_pool,
            "item": p.item,
            "quantity": p.quantity,
            "date": p.date,
        }
        for p, d, r in pledges
    ]
    delivery_records = [
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
    ]
    pools = {p.recipient_pool for p, _, _ in pledges if p.recipient_pool} - members
    skipped: list[str] = []
    while True:
        try:
            return LedgerBook(Ledger.from_records(pledge_records, delivery_records, pools), skipped)
        except InputError as exc:
            records = pledge_records if exc.source == "pledges" else delivery_records
            if exc.line is None or not 1 <= exc.line <= len(records):
                raise
            bad = records.pop(exc.line - 1)
            kind = "pledge" if exc.source == "pledges" else "delivery"
            skipped.append(f"{kind} {bad.get(f'{kind}_id')}: {exc.message}")
