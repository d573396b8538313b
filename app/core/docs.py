"""The API documentation pages (`/docs`, `/redoc`), served without the internet.

FastAPI's pages load Swagger UI and ReDoc from a CDN, which a hospital network does not reach. The
assets come from the `fastapi-offline` package (Swagger UI and ReDoc dist files), mounted under
`/docs-assets`, and the pages name only dimqa's own URLs: no Google fonts, no CDN favicon, and Swagger
UI's online validator (a request to validator.swagger.io) turned off.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_PATH: Final = "/docs-assets"


def install_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve `docs_url` and `redoc_url` from local assets; the app is created with both set to None."""
    openapi_url = app.openapi_url or "/openapi.json"
    directory = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(directory)), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    # Plain routes, as FastAPI adds its own pages: outside the OpenAPI document and public.
    app.add_route(docs_url, swagger_ui, include_in_schema=False)
    app.add_route(redoc_url, redoc, include_in_schema=False)
