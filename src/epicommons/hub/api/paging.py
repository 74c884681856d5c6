"""Query parameters shared by every list endpoint: a page of at most `limit` rows from `offset`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=10_000, description="at most this many rows")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="rows to skip")]
PAGE = 1000
