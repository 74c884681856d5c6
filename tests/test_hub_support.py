"""Shared harness of the hub tests: fresh databases, a real uvicorn server in a subprocess.

Imported by the tests/test_hub_*.py modules; it holds no tests itself. Every server binds
127.0.0.1 on a free port and is stopped (or SIGKILLed on purpose) by its fixture.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from epicommons.hub import admin
from epicommons.hub.db import Database, open_database
from epicommons.hub.models import Base

PG_ENV = "EPICOMMONS_TEST_PG_URL"
BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get(PG_ENV) else [])


def backend_params() -> list:
    """pytest params for every available backend (PostgreSQL only when configured)."""
    return [
        pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else []) for b in BACKENDS
    ]


@dataclass
class FreshDatabase:
    """A new empty database (SQLite file or PostgreSQL database) dropped on close."""

    url: str
    admin_url: str | None = None
    name: str | None = None

    def close(self) -> None:
        if self.admin_url is None:
            return
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


def fresh_database(backend: str, folder: Path) -> FreshDatabase:
    """An empty database on `backend`."""
    if backend == "sqlite":
        return FreshDatabase(f"sqlite:///{folder / 'hub.sqlite'}")
    admin_url = os.environ[PG_ENV]
    name = f"ec_hub_test_{secrets.token_hex(6)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return FreshDatabase(url, admin_url, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """`epicommons serve` running in a child process."""

    db_url: str
    options: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        cmd = [
            sys.executable,
            "-c",
            "from epicommons.cli import run; run()",
            "serve",
            "--db",
            self.db_url,
            "--port",
            str(self.port),
            *self.options,
        ]
        self.log = Path(tempfile.mkstemp(prefix="hub-server-", suffix=".log")[1])
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._discard_log()

    def _discard_log(self) -> None:
        """Delete the server's log unless it shows a server error (kept for diagnosis)."""
        if self.log is not None and "Traceback" not in self.log.read_text(errors="replace"):
            self.log.unlink()
        self.log = None

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._discard_log()


@dataclass
class Hub:
    """A running hub with members KOR, JPN, CHN (countries) and WHO (organisation)."""

    server: Server
    db: Database
    tokens: dict[tuple[str, str], str]

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, member: str, role: str) -> httpx.Client:
        token = self.tokens[(member, role)]
        return httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    def counts(self) -> dict[str, int]:
        """Rows per table, read straight from the database."""
        with self.db.reader.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()
            }


MEMBERS = ("KOR", "JPN", "CHN")
ROLES = ("reporter", "analyst", "coordinator")


def setup_hub(db_url: str) -> tuple[Database, dict[tuple[str, str], str]]:
    """Initialise the schema, add the members and one token per member and role."""
    db = open_database(db_url)
    admin.init(db)
    for code in MEMBERS:
        admin.add_member(db, code)
    admin.add_member(db, "WHO", organisation=True, name="World Health Organization")
    tokens = {(m, r): admin.issue_token(db, m, r).token for m in (*MEMBERS, "WHO") for r in ROLES}
    return db, tokens


def running_hub(backend: str, folder: Path, options: list[str] | None = None) -> Iterator[Hub]:
    """Generator behind the hub fixtures: set up, serve, tear down."""
    fresh = fresh_database(backend, folder)
    db, tokens = setup_hub(fresh.url)
    server = Server(fresh.url, options or []).start()
    try:
        yield Hub(server, db, tokens)
    finally:
        server.stop()
        db.dispose()
        fresh.close()


def values(*rows: tuple[str, str, float], item: str = "") -> dict:
    """A JSON report body from (date, indicator, value) triples."""
    return {
        "values": [
            {"date": d, "indicator": i, "value": v, **({"item": item} if item else {})}
            for d, i, v in rows
        ]
    }
