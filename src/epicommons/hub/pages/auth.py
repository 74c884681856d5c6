"""Dashboard sign-in: the API token in an HttpOnly, SameSite=Strict cookie, checked on every page.

The token is checked by the API's own dependency (`api.deps.principal`): unknown, expired and
revoked tokens and the rate limit behave exactly as for the API, and a revoked token ends the
session at the next page. Forms (sign in, sign out) are POST-only and carry a double-submit CSRF
token that must equal the value of a SameSite=Strict cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials

from ..access import Principal
from ..api.deps import Hub, principal
from ..problems import HubProblem
from ..refusals import Refusal, status_of

SESSION = "ec_session"
CSRF = "ec_csrf"
MAX_TOKEN = 200


class PageError(Exception):
    """Raise in a page route to answer with an HTML error page (or the sign-in page) of `status`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        signin: bool = False,
        headers: dict[str, str] | None = None,
        caller: Principal | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.signin = signin
        self.headers = headers or {}
        self.caller = caller  # signed-in caller, for the navigation of the error page


@contextmanager
def as_page(caller: Principal | None) -> Iterator[None]:
    """Turn a service's refusal into the dashboard's error page of the same status."""
    try:
        yield
    except Refusal as exc:
        raise PageError(status_of(exc), exc.detail, caller=caller) from exc


def check_token(state: Hub, token: str) -> Principal:
    """The caller of `token`, through the API's token check; refusals become page errors."""
    if not token or len(token) > MAX_TOKEN or not token.isprintable():
        raise PageError(401, "That is not a hub token.", signin=True)
    try:
        return principal(state, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
    except HubProblem as exc:
        if exc.status == 401:
            raise PageError(401, f"Sign-in refused: {exc.detail}.", signin=True) from exc
        raise PageError(exc.status, exc.detail, headers=exc.headers) from exc


def viewer(request: Request) -> Principal:
    """Dependency of every dashboard page: the signed-in caller, else the sign-in page (401)."""
    token = request.cookies.get(SESSION)
    if not token:
        raise PageError(401, "Sign in to see this page.", signin=True)
    return check_token(request.app.state.hub, token)


def csrf_token(request: Request) -> str:
    """The CSRF value of this browser (from its cookie), or a fresh one to set."""
    current = request.cookies.get(CSRF, "")
    return current if 20 <= len(current) <= 64 and current.isalnum() else secrets.token_hex(16)


def check_csrf(request: Request, sent: object) -> None:
    """Refuse a form whose CSRF field does not match the browser's CSRF cookie."""
    cookie = request.cookies.get(CSRF, "")
    if not (cookie and isinstance(sent, str) and secrets.compare_digest(cookie, sent)):
        raise PageError(
            400, "This form has expired or came from another site; reload and try again."
        )


def home(caller: Principal) -> str:
    """Where a caller lands after signing in."""
    if caller.role == "coordinator":
        return "/dashboard/coordinator"
    return f"/dashboard/members/{caller.member_code}"


def safe_next(target: object) -> str | None:
    """A same-site dashboard path to return to after signing in, or None (no open redirects)."""
    if not isinstance(target, str) or not target.startswith("/dashboard"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not target.isprintable():
        return None
    return target
