"""The interactive API documentation, /docs (Swagger UI) and /redoc (ReDoc), served offline.

The JavaScript and CSS come from the pinned `fastapi-offline` package (it ships the
swagger-ui-dist and ReDoc bundles) and are served from this origin; the pages carry no inline
script, and a Content-Security-Policy lets them load nothing from anywhere else.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
VENDOR = Path(fastapi_offline.__file__).parent / "static"
HERE = Path(__file__).parent
# ReDoc runs its search in a worker made from a blob: URL and styles itself inline.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script></body></html>
"""
REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - ReDoc</title>
<link rel="icon" href="{assets}/favicon.png"></head>
<body><redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script></body></html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (the app is created with docs_url=None)."""
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        html = SWAGGER.format(title=app.title, assets=ASSETS, openapi=openapi)
        return HTMLResponse(html, headers=HEADERS)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        html = REDOC.format(title=app.title, assets=ASSETS, openapi=openapi)
        return HTMLResponse(html, headers=HEADERS)

    @app.get(ASSETS + "/swagger-init.js", include_in_schema=False)
    def swagger_init() -> FileResponse:
        return FileResponse(HERE / "swagger-init.js", media_type="text/javascript", headers=HEADERS)

    app.mount(ASSETS, StaticFiles(directory=VENDOR), name="docs-assets")
