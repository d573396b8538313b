"""Application factory. The database must be configured (app.core.db.configure) before serving."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.alerts import scheduler as alerts_scheduler
from app.api.router import api_router
from app.core.caching import NoStoreMiddleware
from app.core.config import Settings, get_settings
from app.core.docs import ASSETS_PATH, install_docs
from app.core.health import router as health_router
from app.core.observability import RequestMiddleware
from app.core.problems import install_problem_handlers
from app.web.dependencies import SecurityHeadersMiddleware, install_error_pages
from app.web.router import router as web_router

DESCRIPTION = """
dimqa ingests RUM/RSS batches, stay movements and discharge-report events from the hospital
information system and serves coding-quality findings, discharge-report turnaround and activity
breakdowns to the DIM. Every endpoint but `/healthz`, `/readyz` and the documentation pages (`/docs`,
`/redoc`, `/openapi.json`) needs `Authorization: Bearer <token>`. Errors are RFC 9457
`application/problem+json`.
"""


def operation_id(route: APIRoute) -> str:
    """Stable operation ids (`tag-function`), so the committed OpenAPI only changes with the code."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="dimqa",
        version="0.1.0",
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        # Served from local assets by install_docs: FastAPI's own pages load them from a CDN.
        docs_url=None,
        redoc_url=None,
        # Bearer tokens only: Swagger UI needs no OAuth2 redirect page, one public path fewer.
        swagger_ui_oauth2_redirect_url=None,
        # The alerts' evaluation schedule and delivery worker (off with DIMQA_ALERT_BACKGROUND=0).
        lifespan=alerts_scheduler.lifespan(settings),
    )
    install_problem_handlers(app)
    install_error_pages(app)  # after the problem handlers: it keeps them for the API's paths
    install_docs(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMiddleware, max_body_bytes=settings.max_body_bytes)
    # Outermost: also marks the 413 answered by RequestMiddleware before the app runs.
    app.add_middleware(NoStoreMiddleware, cacheable_prefix=ASSETS_PATH)
    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(web_router)  # the French web interface (app.web), outside the OpenAPI document
    return app
