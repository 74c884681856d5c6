"""The `as_of` query parameter of the pages that show reported values: the values as known by
the end of that UTC day (or at a time), read by the API's rule (`schemas.as_of_value`); the page
then says "as known on …" (base.html)."""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from ..access import Principal
from ..schemas import as_of_value
from .auth import PageError

PARAM = "as_of"


def as_of(request: Request, caller: Principal) -> dt.date | dt.datetime | None:
    """The page's `as_of` (None: the current values); a 422 page naming it if it is bad."""
    raw = request.query_params.get(PARAM, "").strip()
    if not raw:
        return None
    try:
        return as_of_value(raw)
    except ValueError as exc:
        raise PageError(422, f"{PARAM}: {exc} (got {raw[:30]!r}).", caller=caller) from None
