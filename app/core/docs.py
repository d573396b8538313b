"""The API documentation pages (`/docs`, `/redoc`), served without the internet.

FastAPI's pages load Swagger UI and ReDoc from a CDN, which a hospital network does not reach. The
assets come from the `fastapi-offline` package (Swagger UI and ReDoc dist files), mounted under
`/docs-assets`, and the pages name only dimqa's own URLs: no Google fonts, no CDN favicon, and Swagger
UI's online validator (a request to validator.swagger.io) turned off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_PATH: Final = "/docs-assets"


@dataclass(frozen=True, slots=True)
class _Page:
    """One documentation page: FastAPI's renderer, its route name, the end of its title, the assets it
    loads (the renderer's argument -> the file under ASSETS_PATH) and the renderer's other options."""

    render: Callable[..., HTMLResponse]
    name: str
    title: str
    assets: Mapping[str, str]
    options: Mapping[str, object]


_SWAGGER_UI: Final = _Page(
    get_swagger_ui_html,
    "swagger_ui",
    "Swagger UI",
    {
        "swagger_js_url": "swagger-ui-bundle.js",
        "swagger_css_url": "swagger-ui.css",
        "swagger_favicon_url": "favicon.png",
    },
    {"swagger_ui_parameters": {"validatorUrl": None}},
)
_REDOC: Final = _Page(
    get_redoc_html,
    "redoc",
    "ReDoc",
    {"redoc_js_url": "redoc.standalone.js", "redoc_favicon_url": "favicon.png"},
    {"with_google_fonts": False},
)


def install_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve `docs_url` and `redoc_url` from local assets; the app is created with both set to None."""
    directory = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(directory)), name="docs-assets")
    # Plain routes, as FastAPI adds its own pages: outside the OpenAPI document and public.
    for url, page in ((docs_url, _SWAGGER_UI), (redoc_url, _REDOC)):
        app.add_route(url, _served(app, page), name=page.name, include_in_schema=False)


def _served(app: FastAPI, page: _Page) -> Callable[[Request], Awaitable[HTMLResponse]]:
    openapi_url = app.openapi_url or "/openapi.json"

    async def serve(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        assets = {argument: f"{root}{ASSETS_PATH}/{name}" for argument, name in page.assets.items()}
        return page.render(
            openapi_url=root + openapi_url, title=f"{app.title} - {page.title}", **assets, **page.options
        )

    return serve
