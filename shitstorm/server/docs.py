"""``/docs`` (Swagger UI) and ``/redoc`` served offline: FastAPI's self-hosting recipe, with the
assets that the ``fastapi-offline`` package ships (Swagger UI's bundle and style sheet, ReDoc's
standalone bundle; a dependency of the server extra). Nothing is loaded from a CDN, and a
Content-Security-Policy tells the browser to load nothing from anywhere else.

Without that package the pages say so and point to ``/openapi.json``, instead of pulling scripts
from the internet.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

ASSETS_PACKAGE = "fastapi_offline"
ASSETS_URL = "/static/docs"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")

DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
"""Swagger UI's initialiser and ReDoc are inline scripts; everything else comes from this server."""

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shitstorm - API docs</title></head>
<body><h1>API docs</h1>
<p>The interactive docs need the Swagger UI files of the <code>fastapi-offline</code> package, which
is not installed: <code>pip install 'shitstorm[server]'</code> (or <code>pip install fastapi-offline</code>).
They are never loaded from the internet.</p>
<p>The API's OpenAPI schema is at <a href="{openapi}">{openapi}</a>.</p>
</body></html>
"""


def assets_dir() -> Path | None:
    """The folder holding the Swagger UI and ReDoc files, or None when the package is missing
    (found without importing it)."""
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if all((folder / name).is_file() for name in ASSET_FILES) else None


def register_docs(app: FastAPI) -> None:
    """``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` for an app made with ``docs_url=None,
    redoc_url=None``; the assets under ``/static/docs/``."""
    from fastapi.staticfiles import StaticFiles

    folder = assets_dir()
    schema_url = app.openapi_url or "/openapi.json"  # FastAPI's default, which create_app keeps
    headers = {"Content-Security-Policy": DOCS_CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
    if folder is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=folder), name="docs-assets")

    def missing(root: str) -> HTMLResponse:
        return HTMLResponse(MISSING.format(openapi=root + schema_url), status_code=503, headers=headers)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        if folder is None:
            return missing(root)
        page = get_swagger_ui_html(
            openapi_url=root + schema_url, title=app.title + " - Swagger UI",
            oauth2_redirect_url=root + "/docs/oauth2-redirect",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # no badge from the public validator service: nothing leaves this server
            swagger_ui_parameters={"validatorUrl": None})
        return HTMLResponse(page.body, headers=headers)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        if folder is None:
            return missing(root)
        page = get_redoc_html(openapi_url=root + schema_url, title=app.title + " - ReDoc",
                              redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False)
        return HTMLResponse(page.body, headers=headers)
