"""Engines, sessions and migrations for SQLite (WAL, one writer at a time) and PostgreSQL.

SQLite writes open with `BEGIN IMMEDIATE` so that concurrent writers queue on the busy timeout
instead of failing when a read lock is upgraded; reads open a plain deferred transaction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from epicommons.errors import InputError

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Database:
    """A writer and a reader engine on one database, with their session factories."""

    url: str
    writer: Engine
    reader: Engine
    # SQLite has one writer at a time: queue this process's writers on a lock rather than
    # let them poll the busy handler (which sleeps and inflates tail latency).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a write transaction, committed on success and rolled back on error."""
        lock = self.write_lock if self.is_sqlite else nullcontext()
        session = sessionmaker(self.writer, expire_on_commit=False)()
        with lock, session, session.begin():
            yield session

    def read(self) -> Session:
        """A session for queries only."""
        return sessionmaker(self.reader, expire_on_commit=False)()

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(begin)

    return engine


def open_database(url: str) -> Database:
    """Open `url` (``sqlite:///path`` or ``postgresql+psycopg://...``); bad URLs are InputError."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"not a database URL: {url!r}", field="--db") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InputError(
                "the hub needs an SQLite file, not an in-memory database", field="--db"
            )
        _private_sqlite_file(Path(parsed.database).expanduser())
        return Database(url, _sqlite_engine(url, "BEGIN IMMEDIATE"), _sqlite_engine(url, "BEGIN"))
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise InputError("use a postgresql+psycopg:// URL", field="--db")
        # No pre-ping (a round trip per checkout); a dropped connection invalidates the pool.
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)
        return Database(url, engine, engine)
    raise InputError(f"unsupported database {backend!r}; use sqlite or postgresql", field="--db")


SQLITE_HEADER = b"SQLite format 3\x00"


def _private_sqlite_file(path: Path) -> None:
    """Check that `path` can be the hub's SQLite file and make it readable by its owner only.

    The hub's file holds token hashes and unshared reports: it is created 0600, and SQLite gives
    its -wal and -shm files the database file's mode. A folder that cannot be made, a path that
    is a folder, or an existing file that is not an SQLite database is an InputError.
    """
    where = {"field": "--db"}
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the path of an SQLite file", **where)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the folder {path.parent}: {exc.strerror}", **where
        ) from None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InputError(f"cannot open {path} for writing: {exc.strerror}", **where) from None
    try:
        header = os.read(fd, len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise InputError(f"{path} exists and is not an SQLite database", **where)
    finally:
        os.close(fd)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists() and name.stat().st_mode & 0o077:
            name.chmod(0o600)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(db: Database) -> str:
    """Bring the schema to the newest migration; returns the revision now current."""
    cfg = _alembic_config()
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration shipped with this package."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with db.reader.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(db: Database) -> None:
    """Refuse to work on a database that `epicommons hub init` has not brought up to date."""
    if current_revision(db) != head_revision():
        raise InputError(
            "the hub database is not initialised or is out of date; "
            f"run `epicommons hub init --db {db.url}`",
            field="--db",
        )


def lock_member(session: Session, member_id: int) -> None:
    """Hold the member's row until the transaction ends: that member's rule-checked writes
    (imports, quota-counted writes) run one at a time on PostgreSQL (SQLite has one writer)."""
    from .models import Member

    session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
