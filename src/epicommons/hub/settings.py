"""Where the hub keeps its data and the limits it enforces."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DB_ENV = "EPICOMMONS_DB"


def default_db_url() -> str:
    """`EPICOMMONS_DB` if set, else an SQLite file in the user's data directory."""
    url = os.environ.get(DB_ENV)
    if url:
        return url
    folder = Path(platformdirs.user_data_dir("epicommons", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'hub.sqlite'}"


@dataclass(frozen=True)
class HubSettings:
    """Database URL, the limits (body size, rows per import, requests per minute, daily quota)
    and where jobs run (a backend for `open_backend`, an assessment schedule)."""

    db_url: str
    max_body_bytes: int = 2 * 1024 * 1024
    max_rows: int = 10_000
    rate_per_minute: int = 600
    daily_quota: int = 200  # pledges to members and shared events per member per 24 hours
    assess_every: dt.timedelta | None = None  # schedule an assessment this often (serve)
    assess_options: dict[str, object] = field(default_factory=dict)  # of scheduled assessments
    workers: int | None = None  # jobs on a local Dask cluster of this many workers
    scheduler: str | None = None  # jobs on an existing Dask cluster (tcp://host:port)
