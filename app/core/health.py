from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.auth.dependencies import AnyCaller
from app.core import db, migrations
from app.core.config import get_settings
from app.core.problems import problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str | None = None
    migrations: str | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz() -> Health | JSONResponse:
    """Readiness: the database answers and its schema is at the latest migration."""
    try:
        ready = migrations.at_head(db.get_engine())
    except SQLAlchemyError:
        return _not_ready(Health(status="unavailable", database="unreachable"))
    if not ready:
        return _not_ready(Health(status="unavailable", database="ok", migrations="behind"))
    return Health(status="ok", database="ok", migrations="head")


def _not_ready(body: Health) -> JSONResponse:
    headers = {"Retry-After": str(get_settings().retry_after_seconds)}
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **problem_responses(401, 503),
    },
)
def metrics(principal: AnyCaller) -> Response:
    """Prometheus metrics (any valid token: scrapers use a bearer token too)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
