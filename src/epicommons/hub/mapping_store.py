"""The hub's mapping in its database: import a validated file (audited), read the one in force.

Stored in the database rather than named in `HubSettings`: every server process and every
command of one hub then reads the same mapping, an import is checked against the members in the
same transaction that stores it, and each import is kept with its audit row. Until a file is
imported the built-in default (`mapping_default.toml`) is in force. A server keeps the parsed
mapping in a `MappingCache` and asks the database only for the newest file's digest, so a file
imported by any process is in force from the next request on.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import audit
from .clock import utcnow
from .db import Database, require_current
from .mapping import Mapping, check_members, default_text, load_mapping
from .models import MappingFile, Member


def import_mapping(db: Database, text: str, source: str) -> tuple[int, Mapping]:
    """Validate a mapping file's text against the hub's members and store it; returns its id."""
    require_current(db)
    mapping = load_mapping(text, source)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with db.transaction() as session:
        check_members(mapping, set(session.scalars(select(Member.code))), source)
        row_id = session.execute(
            insert(MappingFile.__table__)
            .values(text=text, source=source[:500], digest=digest, imported_at=utcnow())
            .returning(MappingFile.__table__.c.id)
        ).scalar_one()
        audit.record(
            session,
            actor="cli",
            action="import",
            entity="mapping",
            entity_key=str(row_id),
            before=None,
            after={"digest": digest, "source": source},
        )
    return row_id, mapping


def current_mapping(session: Session) -> Mapping:
    """The mapping in force: the newest imported file, else the built-in default."""
    return MappingCache().current(session)[1]


class MappingCache:
    """The mapping in force for one hub, parsed once per imported file.

    Each `current` reads the digest of the newest file (one row by the primary key) in the
    caller's session; the text is read and parsed only when that digest is not the one kept.
    """

    def __init__(self) -> None:
        self._kept: tuple[str | None, Mapping] | None = None

    @property
    def kept(self) -> tuple[str | None, Mapping] | None:
        """The (digest, mapping) seen last, without asking the database (None before the first
        `current`; the digest None stands for the built-in default)."""
        return self._kept

    def current(self, session: Session) -> tuple[str | None, Mapping]:
        """The (digest, mapping) in force as `session` sees it."""
        newest = session.execute(
            select(MappingFile.id, MappingFile.digest).order_by(MappingFile.id.desc()).limit(1)
        ).first()
        digest = None if newest is None else newest.digest
        kept = self._kept
        if kept is None or kept[0] != digest:
            text = (
                default_text()
                if newest is None
                else session.scalar(select(MappingFile.text).where(MappingFile.id == newest.id))
            )
            kept = self._kept = (digest, load_mapping(text, "the hub's mapping"))
        return kept
