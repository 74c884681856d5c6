"""The hub's mapping in its database: import a validated file (audited), read the one in force.

Stored in the database rather than named in `HubSettings`: every server process and every
command of one hub then reads the same mapping, an import is checked against the members in the
same transaction that stores it, and each import is kept with its audit row. Until a file is
imported the built-in default (`mapping_default.toml`) is in force.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

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
    text = session.scalar(select(MappingFile.text).order_by(MappingFile.id.desc()).limit(1))
    return _parsed(text if text is not None else default_text())


@lru_cache(maxsize=4)
def _parsed(text: str) -> Mapping:
    return load_mapping(text, "the hub's mapping")
