"""The hub's notion of now: naive UTC, as stored in every table."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Current time in UTC without tzinfo, truncated to microseconds as databases store it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
