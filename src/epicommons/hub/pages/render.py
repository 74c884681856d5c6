"""HTML responses of the dashboard: Jinja2 templates from this package, security headers, errors.

Pages are self-contained (inline CSS and inline SVG, no JavaScript), and the Content-Security-Policy
forbids loading anything at all, from this server or elsewhere, besides the page itself.
"""

from __future__ import annotations

from functools import cache, partial
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from epicommons import __version__
from epicommons.report.format import fixed, percent

from ..access import Principal
from .auth import CSRF, SESSION, PageError, csrf_token

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("epicommons.hub.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # the report's one formatter for people; a missing value shows as a dash
    env.filters["num"] = partial(fixed, missing="–")
    env.filters["percent"] = partial(percent, missing="–")
    return env


def nav(caller: Principal | None) -> list[tuple[str, str]]:
    """The navigation links a caller's role may follow."""
    if caller is None:
        return []
    if caller.role == "coordinator":
        return [
            ("/dashboard/coordinator", "World map"),
            ("/dashboard/coordinator/risk", "Importation risk"),
            ("/dashboard/ledger", "Pledges and deliveries"),
            ("/dashboard/members", "Members"),
            ("/dashboard/assessment", "Assessment"),
            ("/dashboard/assessments", "Jobs"),
        ]
    own = f"/dashboard/members/{caller.member_code}"
    links = [
        (own, "Our reports"),
        (own + "/rt", "Our Rt"),
        ("/dashboard/shared", "Shared with us"),
        ("/dashboard/members", "Members"),
        ("/dashboard/ledger", "Pledges and deliveries"),
        ("/dashboard/sharing", "Sharing"),
        ("/dashboard/assessment", "Assessment"),
    ]
    if caller.role == "reporter":
        links.insert(1, ("/dashboard/upload", "Upload"))
    return links


def render(
    request: Request,
    template: str,
    *,
    caller: Principal | None,
    title: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page; every page gets the CSRF value its forms need (and its cookie)."""
    csrf = csrf_token(request)
    html = (
        environment()
        .get_template(template)
        .render(
            request_path=request.url.path,
            caller=caller,
            nav=nav(caller),
            title=title,
            csrf=csrf,
            version=__version__,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})
    if request.cookies.get(CSRF) != csrf:
        response.set_cookie(
            CSRF, csrf, httponly=True, samesite="strict", secure=_https(request), path="/"
        )
    return response


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: HTMLResponse, secret: str) -> None:
    """Keep the session's secret in a cookie that scripts cannot read and other sites cannot send."""
    response.set_cookie(
        SESSION, secret, httponly=True, samesite="strict", secure=_https(request), path="/"
    )


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    """The sign-in page (with the reason) for authentication failures, else an error page."""
    if exc.signin:
        response = render(
            request,
            "signin.html",
            caller=None,
            title="Sign in",
            status=exc.status,
            message=exc.message,
            next=request.url.path if request.method == "GET" else None,
            headers=exc.headers,
        )
        if SESSION in request.cookies:
            response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict")
        return response
    return render(
        request,
        "error.html",
        caller=exc.caller,
        title=f"{exc.status} {HTTPStatus(exc.status).phrase}",
        status=exc.status,
        message=exc.message,
        headers=exc.headers,
    )
