"""The FastAPI application: routes under /api/v1, problem+json errors, body guard, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from . import apidocs, jobs, pages, problems
from .api import (
    assessments,
    dhis2,
    events,
    fhir,
    ledger,
    members,
    reports,
    rt,
    sharing,
    whatifs,
)
from .api.deps import Hub, strict_query
from .clock import utcnow
from .db import Database, open_database, require_current
from .dhis2 import messages as dhis2_messages
from .fhir import outcome as fhir_outcome
from .guard import BodyGuard, RateLimiter
from .pages.auth import PageError
from .pages.render import error_page
from .problems import PROBLEM_RESPONSES, AsciiJSONResponse, Problem, error_response
from .schemas import ReportIn
from .settings import HubSettings

PREFIX = "/api/v1"


def create_app(settings: HubSettings, db: Database | None = None) -> FastAPI:
    """Build the hub service on an initialised database; its job runner starts with the server."""
    db = db or open_database(settings.db_url)
    require_current(db)
    runner = job_runner(db, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="epicommons member hub",
        version="1",
        description="Members report indicators, notify events, share data and record assistance. "
        "Every refusal is application/problem+json (RFC 9457), except in the DHIS2 and FHIR "
        "APIs, which answer in their standards' own shapes (WebMessage, OperationOutcome).",
        docs_url=None,
        redoc_url=None,
        default_response_class=AsciiJSONResponse,
    )
    app.state.hub = Hub(db, settings, RateLimiter(settings.rate_per_minute))
    app.state.runner = runner
    problems.install(app)
    for module in (members, reports, events, sharing, ledger, rt, assessments, whatifs):
        app.include_router(
            module.router,
            prefix=PREFIX,
            responses=PROBLEM_RESPONSES,
            dependencies=[Depends(strict_query)],
        )
    app.include_router(
        dhis2.router,
        prefix=dhis2.PREFIX,
        responses=dhis2_messages.RESPONSES,
        dependencies=[Depends(strict_query)],
    )
    app.state.error_shapes.append((dhis2.PREFIX + "/", dhis2_messages.error))
    app.include_router(
        fhir.router, responses=fhir.FHIR_RESPONSES, dependencies=[Depends(strict_query)]
    )
    app.state.error_shapes.append((fhir_outcome.PREFIX, fhir_outcome.refused))
    app.add_exception_handler(fhir_outcome.Rejected, fhir_outcome.rejected)
    pages.install(app)
    apidocs.install(app)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def job_runner(db: Database, settings: HubSettings) -> jobs.JobRunner:
    """The server's job runner: assessments (on their schedule) and what-ifs on the settings'
    backend."""
    from . import assessments as service
    from . import whatifs as whatif_service

    params = dict(settings.assess_options)

    def scheduled(database: Database) -> None:
        jobs.enqueue(
            database,
            kind=service.KIND,
            as_of=utcnow().date(),
            params=params,
            created_by="schedule",
            scheduled=True,
        )

    return jobs.JobRunner(
        db,
        {service.KIND: service.run_job, whatif_service.KIND: whatif_service.run_job},
        jobs.BackendChoice(settings.workers, settings.scheduler),
        every=settings.assess_every,
        schedule=scheduled,
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    """A database that is down or overloaded is a 503 with a reason, never a 500; a write that
    lost a race on a unique key is a 409; a value the database refuses is a 422."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or getattr(
        exc, "connection_invalidated", False
    ):
        status, detail = 503, "the hub's database is unavailable; try again shortly"
    elif isinstance(exc, IntegrityError):
        status, detail = 409, "the write collided with a concurrent one; retry"
    else:
        status, detail = 422, "the database refused a value of this request"
    headers = {"Retry-After": "5"} if status == 503 else None
    shaped = tuple(prefix for prefix, _ in request.app.state.error_shapes)
    if request.url.path.startswith(("/api/", "/openapi", *shaped)):
        return error_response(request, status, detail, headers)
    return error_page(request, PageError(status, detail.capitalize() + ".", headers=headers))


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document plus the schemas referenced only by hand (problem, CSV report)."""
    if app.openapi_schema is None:
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in (Problem, ReportIn, dhis2_messages.WebMessage, fhir.OperationOutcome):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(extra.pop("$defs", {}))
            schemas[model.__name__] = extra
        app.openapi_schema = doc
    return app.openapi_schema


def serve(settings: HubSettings, host: str, port: int) -> None:
    """Run the hub with uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
