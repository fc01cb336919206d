"""``/docs`` (Swagger UI) and ``/redoc``, served entirely by us.

FastAPI's default pages load their scripts, styles and fonts from CDNs, so
without internet they are blank. The assets here come from the
``fastapi-offline`` package (installed from the registry like any
dependency) and are mounted under :data:`ASSETS_PATH`; ReDoc gets no Google
fonts and falls back to the system's.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
#: ReDoc's footer shows Redocly's logo from their CDN; we serve our favicon instead.
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_js() -> bytes:
    return (
        (ASSETS_DIR / "redoc.standalone.js")
        .read_bytes()
        .replace(_REDOC_LOGO, f"{ASSETS_PATH}/favicon.png".encode())
    )


async def _redoc_script(_request: Request) -> Response:
    return Response(
        _redoc_js(),
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )


def install(app: FastAPI) -> None:
    """Add the two pages; ``app`` must be created with ``docs_url=None, redoc_url=None``."""
    title = f"{app.title} API reference"
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger_ui(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    async def redoc(_request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_PATH}/redoc.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
    app.add_route(
        f"{ASSETS_PATH}/redoc.js", _redoc_script, methods=["GET"], include_in_schema=False
    )
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
