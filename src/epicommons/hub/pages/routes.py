"""Dashboard routes: sign in and out, a member's reports and Rt, what partners share, the
coordinator's world map and importation risk, and the assistance ledger.

Every route is left out of the OpenAPI document (the API is described there, not the pages).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from epicommons.errors import InputError

from .. import ledger as ledger_service
from .. import sessions, sharing
from ..access import Principal, readable_members, require_coordinator
from ..api.deps import client_address, hub
from ..clock import utcnow
from ..events import count_visible_events, visible_events
from ..indicators import INDICATORS
from ..models import Member
from ..refusals import Refusal, status_of
from ..schemas import row_id
from .asof import as_of as as_of_of
from .auth import SESSION, PageError, as_page, check_csrf, check_token, home, safe_next, viewer
from .paging import paged
from .render import render, set_session

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(viewer)]

# Rt settings, as the API's defaults: COVID-19's serial interval (Nishiura et al. 2020), 7-day windows.
SI_MEAN, SI_SD, WINDOW = 4.7, 2.9, 7
RT_DAYS = 120  # the coordinator's Rt uses each member's last 120 days
# Rows per page of the paged lists (`?page=N`, see paging.py)
TABLE_ROWS = 60  # dates of a member's reported values
EVENTS = 25  # shared events, newest first
LEDGER_ROWS = 50  # pledges, oldest first
RISK_ROWS = 40  # destinations, most expected importations first
RT_ROWS = 21  # Rt windows, latest first
STALE_DAYS = 28  # a report older than four weeks is not a member's current prevalence
DAILY = [i for i in INDICATORS if i not in ("stock", "need")]


def _svg(svg: str) -> Markup:
    return Markup(svg)  # the report toolkit's SVG, made by matplotlib from our own numbers


@router.get("/", response_class=RedirectResponse)
def root() -> RedirectResponse:
    """The site's front door leads to the dashboard."""
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request) -> HTMLResponse:
    """The sign-in form (with a note after signing out)."""
    note = "You have signed out." if request.query_params.get("signed_out") == "1" else None
    target = safe_next(request.query_params.get("next"))
    return render(request, "signin.html", caller=None, title="Sign in", note=note, next=target)


@router.post("/signin")
async def signin(request: Request) -> RedirectResponse:
    """Check the token as the API would; keep it in the session cookie and go to the home page."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    token = form.get("token")
    token = token.strip() if isinstance(token, str) else ""
    state = hub(request)
    caller = await run_in_threadpool(check_token, state, token, client_address(request))
    secret = await run_in_threadpool(sessions.open_session, state.db, caller.token_id)
    response = RedirectResponse(safe_next(form.get("next")) or home(caller), status_code=303)
    set_session(request, response, secret)
    return response


@router.post("/signout")
async def signout(request: Request) -> RedirectResponse:
    """End the session (its cookie no longer signs anyone in) and forget the cookie."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    secret = request.cookies.get(SESSION)
    if secret and len(secret) <= 200:
        await run_in_threadpool(sessions.end_session, hub(request).db, secret)
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict")
    return response


@router.get("/dashboard", response_class=RedirectResponse)
def dashboard(caller: Viewer) -> RedirectResponse:
    """The caller's home: its member's reports, or the world map for coordinators."""
    return RedirectResponse(home(caller), status_code=303)


@router.get("/dashboard/members", response_class=HTMLResponse)
def members(request: Request, caller: Viewer) -> HTMLResponse:
    """The members whose reports the caller reads, with their latest position."""
    from . import data  # pandas and matplotlib load on first view

    state = hub(request)
    as_of = as_of_of(request, caller)
    with state.db.read() as session:
        shown = data.readable(session, caller)
        hidden = data.unreadable(session, caller)
        frame = data.values(
            session, readable_members(caller, "reports"), indicator="new_cases", as_of=as_of
        )
    rows = [(m, data.summarise(m, frame[frame["member"] == m.code])) for m in shown]
    return render(
        request,
        "members.html",
        caller=caller,
        title="Members",
        rows=rows,
        hidden=hidden,
        as_of_form=True,
        as_of=as_of,
    )


@router.get("/dashboard/members/{code}", response_class=HTMLResponse)
def member(request: Request, caller: Viewer, code: str) -> HTMLResponse:
    """One member's reports: summary, epidemic curve, deaths, stocks and needs, the values."""
    from . import charts, data  # pandas and matplotlib load on first view

    state = hub(request)
    as_of = as_of_of(request, caller)
    with state.db.read() as session:
        target = data.member_named(session, code, caller)
        data.require_reports(session, caller, target)
        frame = data.values(session, Member.id == target.id, as_of=as_of)
    grants = None
    if caller.role == "coordinator" or caller.member_id == target.id:
        with as_page(caller):
            grants = sharing.list_grants(state.db, caller, target)
    cases, deaths = data.daily(frame, "new_cases"), data.daily(frame, "new_deaths")
    table = data.report_table(frame, DAILY)
    page = paged(request, caller, TABLE_ROWS, len(table))
    return render(
        request,
        "member.html",
        caller=caller,
        title=f"{target.name} ({target.code}): reports",
        member=target,
        own=caller.member_id == target.id,
        summary=data.summarise(target, frame),
        curve=_svg(charts.epicurve(cases, "new cases")) if len(cases) else None,
        deaths=_svg(charts.epicurve(deaths, "new deaths")) if deaths.sum() > 0 else None,
        table=page.rows(table),
        page=page,
        items=data.items_table(frame),
        grants=grants,
        as_of_form=True,
        as_of=as_of,
    )


def _rt(frame) -> tuple[dict | None, str | None]:  # type: ignore[no-untyped-def]
    """Rt estimates from a member's new_cases rows, or why there are none."""
    from ..rt import member_rt  # pandas and SciPy load on first use

    rows = [
        (d, v)
        for d, v in frame.loc[frame["indicator"] == "new_cases", ["date", "value"]].itertuples(
            index=False
        )
    ]
    try:
        return member_rt(rows, si_mean=SI_MEAN, si_sd=SI_SD, window=WINDOW, method="cori"), None
    except InputError as exc:
        return None, str(exc)


@router.get("/dashboard/members/{code}/rt", response_class=HTMLResponse)
def member_rt_page(request: Request, caller: Viewer, code: str) -> HTMLResponse:
    """One member's reproduction number with its credible band."""
    from . import charts, data  # pandas and matplotlib load on first view

    state = hub(request)
    as_of = as_of_of(request, caller)
    with state.db.read() as session:
        target = data.member_named(session, code, caller)
        data.require_reports(session, caller, target)
        frame = data.values(session, Member.id == target.id, indicator="new_cases", as_of=as_of)
    result, problem = _rt(frame)
    windows = (result or {}).get("estimates", [])
    estimates = [e for e in windows if e["mean"] is not None]
    stopped = windows[-1]["note"] if windows and windows[-1]["mean"] is None else None
    page = paged(request, caller, RT_ROWS, len(windows))
    return render(
        request,
        "rt.html",
        caller=caller,
        title=f"{target.name} ({target.code}): Rt",
        member=target,
        problem=problem,
        chart=_svg(charts.rt_chart(estimates)) if estimates else None,
        latest=estimates[-1] if estimates and not stopped else None,
        stopped=stopped,
        recent=page.rows(windows[::-1]),
        page=page,
        filled=(result or {}).get("filled_days", 0),
        si_mean=SI_MEAN,
        si_sd=SI_SD,
        window=WINDOW,
        as_of_form=True,
        as_of=as_of,
    )


@router.get("/dashboard/shared", response_class=HTMLResponse)
def shared(request: Request, caller: Viewer) -> HTMLResponse:
    """What other members share with the caller: their curves, latest values and events."""
    from . import charts, data  # pandas and matplotlib load on first view

    state = hub(request)
    as_of = as_of_of(request, caller)
    with state.db.read() as session:
        partners = [m for m in data.readable(session, caller) if m.id != caller.member_id]
        frame = data.values(
            session,
            readable_members(caller, "reports") & (Member.id != caller.member_id),
            as_of=as_of,
        )
        page = paged(
            request, caller, EVENTS, count_visible_events(session, caller, others_only=True)
        )
        events = visible_events(
            session, caller, others_only=True, limit=page.size, offset=page.offset
        )
    blocks = []
    for m in partners:
        rows = frame[frame["member"] == m.code]
        cases = data.daily(rows, "new_cases")
        table = data.report_table(rows, ["new_cases", "new_deaths", "tests"]).head(7)
        blocks.append(
            {
                "member": m,
                "summary": data.summarise(m, rows),
                "curve": _svg(charts.epicurve(cases, "new cases")) if len(cases) else None,
                "table": table,
            }
        )
    return render(
        request,
        "shared.html",
        caller=caller,
        title="Shared with us",
        blocks=blocks,
        events=events,
        page=page,
        as_of_form=True,
        as_of=as_of,
    )


def _day(as_of: dt.date | dt.datetime | None) -> dt.date | None:
    """The day of an `as_of` (a time's date)."""
    return as_of.date() if isinstance(as_of, dt.datetime) else as_of


def _coordinator(caller: Principal) -> None:
    """403 page for anyone but a coordinator (the access layer's rule)."""
    try:
        require_coordinator(caller)
    except Refusal as exc:
        raise PageError(403, "This page is for coordinators.", caller=caller) from exc


def _latest_cases(request: Request, caller: Principal, as_of) -> tuple[list, dict]:  # type: ignore[no-untyped-def]
    """Readable members with their new cases as known at `as_of` (coordinator pages)."""
    from . import data  # pandas and matplotlib load on first view

    state = hub(request)
    with state.db.read() as session:
        shown = data.readable(session, caller)
        frame = data.values(
            session, readable_members(caller, "reports"), indicator="new_cases", as_of=as_of
        )
    return shown, {m.code: frame[frame["member"] == m.code] for m in shown}


@router.get("/dashboard/coordinator", response_class=HTMLResponse)
def coordinator(request: Request, caller: Viewer) -> HTMLResponse:
    """The world map of members' latest incidence per 100,000 and Rt."""
    from . import charts, data  # pandas and matplotlib load on first view

    _coordinator(caller)
    as_of = as_of_of(request, caller)
    shown, frames = _latest_cases(request, caller, as_of)
    rows, incidence, rts = [], {}, {}
    for m in shown:
        frame = frames[m.code]
        summary = data.summarise(m, frame)
        latest = None
        if summary.latest is not None:
            recent = frame[frame["date"] > summary.latest - dt.timedelta(days=RT_DAYS)]
            result, _ = _rt(recent)
            windows = (result or {}).get("estimates", [])
            # The latest window only: one over a reporting stop has no Rt (not an older one).
            latest = windows[-1] if windows and windows[-1]["mean"] is not None else None
        if m.kind == "country" and summary.incidence is not None:
            incidence[m.code] = summary.incidence
        if m.kind == "country" and latest is not None:
            rts[m.code] = latest["mean"]
        rows.append((m, summary, latest))
    return render(
        request,
        "coordinator.html",
        caller=caller,
        title="World map: incidence and Rt of members",
        rows=rows,
        rt_days=RT_DAYS,
        incidence_map=_svg(
            charts.world_map(incidence, "new cases in 7 days per 100,000", "YlOrRd", vmin=0.0)
        ),
        rt_map=_svg(
            charts.world_map(rts, "Rt (latest window, mean)", "RdYlGn_r", vmin=0.0, vmax=2.0)
        ),
        as_of_form=True,
        as_of=as_of,
    )


@router.get("/dashboard/coordinator/risk", response_class=HTMLResponse)
def risk(request: Request, caller: Viewer) -> HTMLResponse:
    """Expected importations over the next days from the members' current prevalence.

    Every input is shown with its age; a member whose latest report is older than `STALE_DAYS`
    is left out as a source (an old report is not today's prevalence).
    """
    from . import charts, data  # pandas and matplotlib load on first view
    from .risk import HORIZON, importation_table

    _coordinator(caller)
    as_of = as_of_of(request, caller)
    shown, frames = _latest_cases(request, caller, as_of)
    today = _day(as_of) or utcnow().date()  # a report's age on the day shown
    cases7, inputs = {}, []
    for m in shown:
        if m.kind != "country":
            continue
        summary = data.summarise(m, frames[m.code])
        age = None if summary.latest is None else (today - summary.latest).days
        if age is None:
            why = "no new_cases reported"
        elif age > STALE_DAYS:
            why = f"stale: latest report {age:,} days old (limit {STALE_DAYS})"
        elif not summary.cases7:
            why = "no cases in its latest 7 days"
        else:
            why = None
            cases7[m.code] = summary.cases7
        inputs.append(
            {
                "member": m,
                "latest": summary.latest,
                "age": age,
                "cases7": summary.cases7,
                "why": why,
            }
        )
    table, skipped = importation_table(cases7)
    page = paged(request, caller, RISK_ROWS, len(table))
    members = {m.code for m in shown}
    return render(
        request,
        "risk.html",
        caller=caller,
        title="Importation risk",
        sources=cases7,
        skipped=skipped,
        inputs=inputs,
        stale_days=STALE_DAYS,
        table=page.rows(table),
        page=page,
        total=len(table),
        members=members,
        horizon=HORIZON,
        risk_map=_svg(
            charts.world_map(
                dict(zip(table["destination"], table["p_at_least_one"], strict=True)),
                f"P(at least one importation in {HORIZON} days)",
                "Reds",
                vmin=0.0,
                vmax=1.0,
            )
        ),
        as_of_form=True,
        as_of=as_of,
    )


@router.get("/dashboard/ledger", response_class=HTMLResponse)
def ledger(request: Request, caller: Viewer) -> HTMLResponse:
    """Pledges against deliveries over the pledges the caller may read."""
    from . import charts  # pandas and matplotlib load on first view

    state = hub(request)
    with as_page(caller):
        book = ledger_service.book(state.db, caller)
    by_pledge, by_donor, by_recipient = (book.view(v) for v in ledger_service.VIEWS)
    page = paged(request, caller, LEDGER_ROWS, len(by_pledge))
    chart = None
    if by_donor:
        labels = [f"{r['donor']} · {r['item']}" for r in by_donor]
        chart = _svg(
            charts.pledged_delivered(
                labels, [r["pledged"] for r in by_donor], [r["delivered"] for r in by_donor]
            )
        )
    with state.db.read() as session:
        names = dict(session.execute(select(Member.code, Member.name)).all())
    return render(
        request,
        "ledger.html",
        caller=caller,
        title="Pledges and deliveries",
        by_pledge=page.rows(by_pledge),
        page=page,
        by_donor=by_donor,
        by_recipient=by_recipient,
        skipped=book.skipped,
        chart=chart,
        names=names,
    )


@router.get("/dashboard/upload", response_class=HTMLResponse)
def upload_form(request: Request, caller: Viewer) -> HTMLResponse:
    """The CSV upload form of the caller's member (its reporters only)."""
    _reporter(caller)
    return render(request, "upload.html", caller=caller, title="Upload a report")


@router.post("/dashboard/upload", response_class=HTMLResponse)
async def upload(request: Request, caller: Viewer) -> HTMLResponse:
    """Import an uploaded CSV through the API's import service; show its summary."""
    from ..reports import import_report, records_from_csv

    form = await request.form()
    check_csrf(request, form.get("csrf"))
    _reporter(caller)
    state = hub(request)
    file = form.get("report")
    if file is None or isinstance(file, str):
        return _upload_page(request, caller, message="Choose a CSV file to upload.", status=422)
    body = await file.read()
    with hub(request).db.read() as session:
        member = session.get(Member, caller.member_id)
    try:
        records = records_from_csv(body, state.settings.max_rows)
        summary = await run_in_threadpool(
            import_report,
            state.db,
            caller,
            member,
            records,
            from_text=True,
            dry_run=form.get("dry_run") == "1",
        )
    except Refusal as exc:
        return _upload_page(request, caller, message=exc.detail, status=status_of(exc))
    status = 422 if summary.status == "ERROR" else 200
    return _upload_page(request, caller, summary=summary.as_json(), status=status)


def _upload_page(request: Request, caller: Principal, status: int, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    return render(
        request, "upload.html", caller=caller, title="Upload a report", status=status, **context
    )


def _reporter(caller: Principal) -> None:
    """403 page for anyone but a reporter (only reporters write their member's data)."""
    if caller.role != "reporter":
        raise PageError(403, "Only a reporter token writes its member's data.", caller=caller)


@router.get("/dashboard/sharing", response_class=HTMLResponse)
def sharing_page(request: Request, caller: Viewer) -> HTMLResponse:
    """The grants the caller's member gave, and (reporters) the form to give or withdraw one."""
    return _sharing(request, caller)


@router.post("/dashboard/sharing", response_class=HTMLResponse)
async def share(request: Request, caller: Viewer) -> HTMLResponse:
    """Give a grant through the sharing service (the API's rules)."""
    from epicommons.errors import InputError, validate

    from ..schemas import GrantIn

    form = await request.form()
    check_csrf(request, form.get("csrf"))
    kind, _, code = str(form.get("grantee", "")).partition(":")
    field = {"member": "grantee_member", "group": "grantee_group"}.get(kind)
    try:
        body = validate(GrantIn, {field or "grantee_member": code, "scope": form.get("scope")})
    except InputError as exc:
        return _sharing(
            request,
            caller,
            f"Choose a member or group and a scope ({exc}).",
            bad=True,
            status=422,
        )
    member = await run_in_threadpool(_own_member, request, caller)
    try:
        out = await run_in_threadpool(sharing.grant, hub(request).db, caller, member, body)
    except Refusal as exc:
        return _sharing(request, caller, exc.detail, bad=True, status=status_of(exc))
    return _sharing(request, caller, f"Grant {out['id']}: {code} now reads {out['scope']}.")


@router.post("/dashboard/sharing/revoke", response_class=HTMLResponse)
async def unshare(request: Request, caller: Viewer) -> HTMLResponse:
    """Withdraw a grant through the sharing service."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    grant_id = row_id(str(form.get("grant", "")))
    if grant_id is None:
        return _sharing(request, caller, "No such grant.", bad=True, status=422)
    member = await run_in_threadpool(_own_member, request, caller)
    try:
        await run_in_threadpool(sharing.revoke_grant, hub(request).db, caller, member, grant_id)
    except Refusal as exc:
        return _sharing(request, caller, exc.detail, bad=True, status=status_of(exc))
    return _sharing(request, caller, f"Grant {grant_id} withdrawn.")


def _own_member(request: Request, caller: Principal) -> Member:
    with hub(request).db.read() as session:
        return session.get(Member, caller.member_id)


def _sharing(  # type: ignore[no-untyped-def]
    request: Request, caller: Principal, message=None, bad=False, status=200
) -> HTMLResponse:
    from ..schemas import Scope

    state = hub(request)
    member = _own_member(request, caller)
    with as_page(caller):
        grants = sharing.list_grants(state.db, caller, member)
    with state.db.read() as session:
        members = list(
            session.scalars(select(Member).where(Member.id != member.id).order_by(Member.code))
        )
    return render(
        request,
        "sharing.html",
        caller=caller,
        title="Sharing",
        grants=grants,
        members=members,
        groups=sharing.list_groups(state.db),
        scopes=list(Scope.__args__),
        message=message,
        bad=bad,
        status=status,
    )
