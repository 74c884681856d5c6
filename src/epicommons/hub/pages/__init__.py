"""The hub's dashboard: server-rendered pages (Jinja2, inline SVG, no JavaScript) behind a token
sign-in, reading members' data only through the access layer the API uses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from .assessments import router as assessments_router
from .auth import PageError
from .render import error_page
from .routes import router
from .track import router as track_router
from .whatifs import router as whatifs_router


def install(app: FastAPI) -> None:
    """Mount the pages (outside the OpenAPI document) and their HTML error handler."""
    app.include_router(router)
    app.include_router(track_router)  # before /dashboard/assessments/{job_id}
    app.include_router(assessments_router)
    app.include_router(whatifs_router)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        return error_page(request, exc)
