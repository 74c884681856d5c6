"""Why the hub's rules refuse a request, in domain terms; each edge chooses its own status.

Services (`reports`, `ledger`, `sharing`, `events`) and the access rules raise these; the API turns
them into problem+json and the dashboard into an HTML error page, both through `STATUS`.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A request the rules refuse, with a reason for people and optional extra fields."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class Malformed(Refusal):
    """The request cannot be read at all (encoding, syntax)."""


class Invalid(Refusal):
    """The request is readable but breaks a validation rule."""


class NotFound(Refusal):
    """The named thing does not exist, or the caller may not know that it does."""


class Forbidden(Refusal):
    """The caller's role or member may not do this."""


class Clash(Refusal):
    """The request contradicts the stored state (a workflow step, a reused key, a duplicate)."""


class TooLarge(Refusal):
    """The request is over a size limit."""


class Unsupported(Refusal):
    """The request's media type is not one the hub reads."""


class OverQuota(Refusal):
    """The caller's member wrote too much into other members' view today."""


STATUS: dict[type[Refusal], int] = {
    Malformed: 400,
    Forbidden: 403,
    NotFound: 404,
    Clash: 409,
    TooLarge: 413,
    Unsupported: 415,
    Invalid: 422,
    OverQuota: 429,
}


def status_of(refusal: Refusal) -> int:
    """The HTTP status of a refusal (the nearest class in `STATUS`)."""
    for cls in type(refusal).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422
