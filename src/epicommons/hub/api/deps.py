"""Dependencies every route shares: the hub state, the authenticated caller, a member by code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from ..access import Principal, require_coordinator, require_reporter_of
from ..clock import utcnow
from ..db import Database
from ..guard import RateLimiter, retry_after
from ..mapping_store import MappingCache
from ..models import Member, Token
from ..problems import HubProblem
from ..settings import HubSettings
from ..tokens import token_hash


@dataclass(frozen=True)
class Hub:
    """What the routes need: the database, the settings, the rate limiter and the mapping."""

    db: Database
    settings: HubSettings
    limiter: RateLimiter
    mappings: MappingCache = field(default_factory=MappingCache)


def hub(request: Request) -> Hub:
    return request.app.state.hub


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def strict_query(request: Request) -> None:
    """Refuse query parameters the operation does not declare: a typo must not pass silently."""
    known = _query_names(request.scope["route"].dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise HubProblem(422, f"unknown query parameter(s): {', '.join(unknown)}")


bearer = HTTPBearer(auto_error=False, description="a token from `epicommons hub issue-token`")
UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the key of its address rate limit)."""
    return request.client.host if request.client else "unknown"


def principal(
    request: Request,
    state: Annotated[Hub, Depends(hub)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller of a valid, unexpired, unrevoked token, within the limits of its token and of
    its address (failed authentications count more against the address)."""
    secret = creds.credentials if creds and creds.scheme.lower() == "bearer" else None
    return authenticate(state, secret, client_address(request))


def authenticate(
    state: Hub, secret: str | None, address: str, *, token_id: int | None = None
) -> Principal:
    """Check a token secret (or, for a dashboard session, the token id it belongs to) sent from
    `address`: the API's and the dashboard's one rule."""
    where = ("address", address)
    wait = state.limiter.allow(where)
    if wait > 0:
        raise HubProblem(
            429, "too many requests from this address", headers={"Retry-After": retry_after(wait)}
        )
    try:
        found = _token(state, secret, token_id)
    except HubProblem:
        state.limiter.charge(where, state.limiter.FAILED_AUTH_COST)
        raise
    wait = state.limiter.allow(found.token_id)
    if wait > 0:
        raise HubProblem(
            429, "rate limit exceeded for this token", headers={"Retry-After": retry_after(wait)}
        )
    return found


def _token(state: Hub, secret: str | None, token_id: int | None) -> Principal:
    if secret is None and token_id is None:
        raise HubProblem(401, "send Authorization: Bearer <token>", headers=UNAUTHORISED)
    which = Token.id == token_id if secret is None else Token.token_hash == token_hash(secret)
    with state.db.read() as session:
        row = session.execute(
            select(Token.id, Token.role, Token.expires_at, Token.revoked_at, Member.id, Member.code)
            .join(Member, Member.id == Token.member_id)
            .where(which)
        ).first()
    if row is None:
        raise HubProblem(401, "unknown token", headers=UNAUTHORISED)
    token_id, role, expires_at, revoked_at, member_id, code = row
    if revoked_at is not None:
        raise HubProblem(401, "this token was revoked", headers=UNAUTHORISED)
    if expires_at is not None and expires_at <= utcnow():
        raise HubProblem(401, "this token has expired", headers=UNAUTHORISED)
    return Principal(token_id, member_id, code, role)


CodePath = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9_-]{1,11}$", examples=["KOR"])]


def member_by_code(state: Annotated[Hub, Depends(hub)], code: CodePath) -> Member:
    """The member a path names; 404 if there is none."""
    with state.db.read() as session:
        member = session.scalar(select(Member).where(Member.code == code))
    if member is None:
        raise HubProblem(404, f"no member {code}")
    return member


HubDep = Annotated[Hub, Depends(hub)]
Caller = Annotated[Principal, Depends(principal)]
MemberDep = Annotated[Member, Depends(member_by_code)]


def writer(caller: Caller, member: MemberDep) -> Member:
    """The path's member, if the caller is its reporter (checked before the body is parsed)."""
    require_reporter_of(caller, member.id)
    return member


def coordinator(caller: Caller) -> Principal:
    """The caller, if a coordinator (checked before the body is parsed)."""
    require_coordinator(caller)
    return caller


OwnMember = Annotated[Member, Depends(writer)]
CoordinatorDep = Annotated[Principal, Depends(coordinator)]
