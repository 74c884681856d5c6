"""Dashboard sign-in: a session (`hub.sessions`) in an HttpOnly, SameSite=Strict cookie, checked on
every page.

The token is checked once at sign-in by the API's own rule (`api.deps.authenticate`); the cookie
then holds the session's own secret, which expires and which signing out ends. Every page checks
the session and its token again, so a revoked or expired token ends the session at the next page;
the rate limits behave exactly as for the API. Forms (sign in, sign out) are POST-only and carry a double-submit CSRF
token that must equal the value of a SameSite=Strict cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from fastapi import Request

from .. import sessions
from ..access import Principal
from ..api.deps import Hub, authenticate, client_address
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


def check_token(
    state: Hub, token: str | None, address: str, token_id: int | None = None
) -> Principal:
    """The caller of `token` (or of a session's token id), through the API's token check and
    limits; refusals become page errors."""
    if token is not None and (not token or len(token) > MAX_TOKEN or not token.isprintable()):
        state.limiter.charge(("address", address), state.limiter.FAILED_AUTH_COST)
        raise PageError(401, "That is not a hub token.", signin=True)
    try:
        return authenticate(state, token, address, token_id=token_id)
    except HubProblem as exc:
        if exc.status == 401:
            raise PageError(401, f"Sign-in refused: {exc.detail}.", signin=True) from exc
        raise PageError(exc.status, exc.detail, headers=exc.headers) from exc


def viewer(request: Request) -> Principal:
    """Dependency of every dashboard page: the caller of a live session, else the sign-in page."""
    secret = request.cookies.get(SESSION)
    if not secret:
        raise PageError(401, "Sign in to see this page.", signin=True)
    state = request.app.state.hub
    token_id = None
    if len(secret) <= MAX_TOKEN and secret.isprintable():
        token_id = sessions.session_token(state.db, secret)
    if token_id is None:
        state.limiter.charge(("address", client_address(request)), state.limiter.FAILED_AUTH_COST)
        raise PageError(401, "Your session has ended; sign in again.", signin=True)
    return check_token(state, None, client_address(request), token_id)


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
