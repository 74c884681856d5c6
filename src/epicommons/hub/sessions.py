"""Dashboard sessions: signing in opens a session with its own secret and expiry; signing out
ends it. The cookie carries the session's secret, never the API token, so a copied cookie dies
at sign-out or after `HOURS`, and revoking the token ends its sessions too."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from .clock import utcnow
from .db import Database
from .models import DashboardSession
from .tokens import token_hash

HOURS = 12
PREFIX = "ecs_"


def open_session(db: Database, token_id: int) -> str:
    """A new session of the token; its secret is returned for the cookie and stored hashed."""
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with db.transaction() as session:
        session.add(
            DashboardSession(
                token_id=token_id,
                secret_hash=token_hash(secret),
                created_at=now,
                expires_at=now + dt.timedelta(hours=HOURS),
            )
        )
    return secret


def session_token(db: Database, secret: str) -> int | None:
    """The token id of a live session (not ended, not expired), else None."""
    with db.read() as session:
        return session.scalar(
            select(DashboardSession.token_id).where(
                DashboardSession.secret_hash == token_hash(secret),
                DashboardSession.ended_at.is_(None),
                DashboardSession.expires_at > utcnow(),
            )
        )


def end_session(db: Database, secret: str) -> None:
    """End a session (signing out); ending an unknown or ended session does nothing."""
    with db.transaction() as session:
        session.execute(
            update(DashboardSession)
            .where(
                DashboardSession.secret_hash == token_hash(secret),
                DashboardSession.ended_at.is_(None),
            )
            .values(ended_at=utcnow())
        )
