"""Audit rows: who wrote what and when, with hashes of the state before and after.

Callers pass the state as JSON-able objects; the hash is SHA-256 of their canonical JSON, so an
auditor can recompute it from a backup. The row is added to the caller's session, hence committed
or rolled back together with the write it describes.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .clock import utcnow
from .models import AuditEntry

if TYPE_CHECKING:
    from .access import Principal


def state_hash(state: Any) -> str | None:
    """SHA-256 of the canonical JSON of `state`; None stands for "did not exist"."""
    if state is None:
        return None
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: Any,
    after: Any,
    token_id: int | None = None,
    member_id: int | None = None,
) -> None:
    """Add one audit row to the session's open transaction."""
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            actor=actor,
            token_id=token_id,
            member_id=member_id,
            action=action,
            entity=entity,
            entity_key=entity_key[:200],
            before_hash=state_hash(before),
            after_hash=state_hash(after),
        )
    )


def record_by(
    session: Session,
    caller: Principal,
    *,
    action: str,
    entity: str,
    entity_key: str,
    before: Any,
    after: Any,
    member_id: int | None = None,
) -> None:
    """Audit row for a write made through the API by `caller` (its actor and token)."""
    record(
        session,
        actor=caller.actor,
        token_id=caller.token_id,
        member_id=member_id,
        action=action,
        entity=entity,
        entity_key=entity_key,
        before=before,
        after=after,
    )
