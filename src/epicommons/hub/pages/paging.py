"""Paging of the dashboard's long lists: the `page` query parameter, its checks, and the links.

A page's rows come from the same access-checked services as before; paging only chooses which
slice of them to show, so a total is never of rows the caller may not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from ..access import Principal
from .auth import PageError

PARAM = "page"
NUMBER = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits only, from 1


def page_number(request: Request, caller: Principal) -> int:
    """The 1-based `page` asked for (1 when absent); a 400 page for anything but a whole number ≥ 1."""
    raw = request.query_params.get(PARAM)
    if raw is None:
        return 1
    if not NUMBER.fullmatch(raw):
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        raise PageError(
            400, f"page must be a whole number from 1 (1, 2, 3, …); got {shown!r}.", caller=caller
        )
    return int(raw)


@dataclass(frozen=True)
class Page:
    """One page of a list: its number, size, the list's total and the links to its neighbours."""

    number: int
    size: int
    total: int
    previous: str | None
    next: str | None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """1-based position of the page's first row (0 for an empty list)."""
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    def rows(self, items):  # type: ignore[no-untyped-def]
        """This page's slice of a list (or a pandas frame) holding the whole list."""
        return items[self.offset : self.offset + self.size]


def paged(request: Request, caller: Principal, size: int, total: int) -> Page:
    """The page of a list of `total` rows that `page` asks for; a 404 page past the list's end
    (an empty list has one, empty, page)."""
    number = page_number(request, caller)
    pages = max(-(-total // size), 1)
    if number > pages:
        raise PageError(
            404,
            f"There is no page {number:,}: this list has {total:,} rows, {pages:,} page(s) "
            f"of {size:,}.",
            caller=caller,
        )

    def link(n: int) -> str:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
        return f"{request.url.path}?{urlencode([*kept, (PARAM, str(n))])}"

    return Page(
        number,
        size,
        total,
        link(number - 1) if number > 1 else None,
        link(number + 1) if number < pages else None,
    )
