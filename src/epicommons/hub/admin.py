"""Administration behind `epicommons hub ...`: initialise, add members, issue and revoke tokens.

Every change is audited with actor ``cli`` in the transaction that makes it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from epicommons.errors import InputError

from . import audit
from .clock import utcnow
from .db import Database, migrate, require_current
from .models import Member, PartnerGroup, Pledge, Token
from .schemas import row_id
from .tokens import ROLES, new_token, token_hash

ORG_CODE = re.compile(r"[A-Z][A-Z0-9_-]{1,11}")
DEFAULT_EXPIRY_DAYS = 90.0  # a token that nobody renews stops working on its own


@dataclass(frozen=True)
class IssuedToken:
    """A token as shown once to the administrator."""

    id: int
    member: str
    role: str
    token: str
    expires_at: dt.datetime | None


def init(db: Database) -> str:
    """Create or upgrade the schema; returns the current migration revision."""
    return migrate(db)


def _country(code: str) -> tuple[str, str]:
    """ISO3 code and name of a country, validated against the world registry."""
    from epicommons.world.countries import registry

    if not re.fullmatch(r"[A-Za-z]{3}", code, re.ASCII):
        raise InputError(f"expected an ISO 3166-1 alpha-3 code, got {code!r}", field="CODE")
    country = registry()[code.upper()]  # UnknownCountryError names the closest matches
    return country.iso3, country.name


def add_member(db: Database, code: str, *, organisation: bool = False, name: str = "") -> Member:
    """Register a country (ISO3) or an international organisation under its own code."""
    require_current(db)
    if organisation:
        code = code.upper()
        if not ORG_CODE.fullmatch(code):
            raise InputError(
                f"organisation code {code!r} must be 2-12 capitals, digits, '-' or '_'",
                field="CODE",
            )
        bare = re.sub(r"[-_]", "", code)
        if len(bare) == 3 and _is_country(bare):
            raise InputError(
                f"{code} reads as the country's ISO3 code {bare}; an organisation needs its own code",
                field="CODE",
            )
        kind, name = "organisation", name or code
    else:
        code, country_name = _country(code)
        kind, name = "country", name or country_name
    if not name.isprintable() or len(name) > 200:
        raise InputError("a name is printable text of at most 200 characters", field="--name")
    with db.transaction() as session:
        if session.scalar(select(Member).where(Member.code == code)) is not None:
            raise InputError(f"member {code} already exists", field="CODE")
        if session.scalar(select(PartnerGroup.id).where(PartnerGroup.code == code)) or (
            session.scalar(select(Pledge.id).where(Pledge.recipient_pool == code).limit(1))
        ):
            raise InputError(f"{code} is already a partner group's or a pool's code", field="CODE")
        member = Member(code=code, name=name, kind=kind, created_at=utcnow())
        session.add(member)
        session.flush()
        audit.record(
            session,
            actor="cli",
            action="create",
            entity="member",
            entity_key=code,
            before=None,
            after={"code": code, "name": name, "kind": kind},
            member_id=member.id,
        )
    return member


def _is_country(code: str) -> bool:
    try:
        _country(code)
    except InputError:
        return False
    return True


def issue_token(
    db: Database,
    member: str,
    role: str,
    *,
    expires_days: float | None = DEFAULT_EXPIRY_DAYS,
    label: str = "",
) -> IssuedToken:
    """Create a token for `member` with `role`; the secret is returned here and never again.

    Tokens expire after 90 days unless told otherwise; `expires_days=None` means never.
    """
    require_current(db)
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}", field="--role")
    if expires_days is not None and not (0 < expires_days <= 3650):
        raise InputError("expiry must be between 0 and 3650 days", field="--expires")
    if not label.isprintable() or len(label) > 200:
        raise InputError("a label is printable text of at most 200 characters", field="--label")
    secret = new_token()
    now = utcnow()
    expires = None if expires_days is None else now + dt.timedelta(days=expires_days)
    with db.transaction() as session:
        row = session.scalar(select(Member).where(Member.code == member.upper()))
        if row is None:
            raise InputError(
                f"no member {member!r}; add it with `hub add-member`", field="--member"
            )
        token = Token(
            member_id=row.id,
            role=role,
            token_hash=token_hash(secret),
            label=label,
            created_at=now,
            expires_at=expires,
        )
        session.add(token)
        session.flush()
        audit.record(
            session,
            actor="cli",
            action="create",
            entity="token",
            entity_key=str(token.id),
            before=None,
            after={
                "member": row.code,
                "role": role,
                "expires_at": expires,
                "hash": token.token_hash,
            },
            member_id=row.id,
        )
        return IssuedToken(token.id, row.code, role, secret, expires)


def revoke_token(db: Database, token: str) -> int:
    """Revoke a token given its id or its secret; returns its id."""
    require_current(db)
    with db.transaction() as session:
        number = row_id(token)
        if number is not None:
            row = session.get(Token, number)
        else:
            row = session.scalar(select(Token).where(Token.token_hash == token_hash(token)))
        if row is None:
            raise InputError("no such token", field="TOKEN")
        if row.revoked_at is None:
            before = {"revoked_at": None}
            row.revoked_at = utcnow()
            audit.record(
                session,
                actor="cli",
                action="revoke",
                entity="token",
                entity_key=str(row.id),
                before=before,
                after={"revoked_at": row.revoked_at},
                member_id=row.member_id,
            )
        return row.id
