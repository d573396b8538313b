from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.auth.dependencies import AllUnitsAggregateReader
from app.core import db, migrations
from app.core.config import get_settings
from app.core.dbwaits import watchdog
from app.core.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Problem, problem_responses

router = APIRouter(tags=["health"])

# /readyz answers within 5 s whatever the database does: a new connection (connect_timeout) and
# its queries, cut by the watchdog, within this total.
READY_BOUND_SECONDS = 4.0


class Health(BaseModel):
    status: str
    database: str | None = None
    migrations: str | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


class NotReady(Problem):
    """A 503 problem (like every error) that still says what is not ready."""

    database: str
    migrations: str | None = None


@router.get(
    "/readyz",
    response_model=Health,
    responses={
        503: {
            "model": NotReady,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": "Database unreachable, or its schema behind the code",
        }
    },
)
def readyz(request: Request) -> Health | JSONResponse:
    """Readiness: the database answers and its schema is at the latest migration."""
    try:
        current = _current_revisions()
    except SQLAlchemyError:
        return _not_ready(request, "The database is unreachable; retry later.", database="unreachable")
    if not current <= migrations.known_revisions():
        # Migrated by a newer dimqa (a rolling upgrade, or this code rolled back): `dimqa migrate`,
        # which the "behind" answer advised, fails on a revision it does not know.
        return _not_ready(
            request,
            "The database schema is newer than this code (migrated by a newer dimqa): run that version.",
            database="ok",
            migrations="ahead",
        )
    if current != migrations.head_revisions():
        return _not_ready(
            request,
            "The database schema is behind the code: run `dimqa migrate`.",
            database="ok",
            migrations="behind",
        )
    return Health(status="ok", database="ok", migrations="head")


def _current_revisions() -> frozenset[str]:
    if db.waits() is None:  # unbounded (tests, embedding): the pool as it is
        return migrations.current_revisions(db.get_engine())
    started = time.monotonic()
    with db.probe_engine().connect() as connection:
        left = max(0.1, READY_BOUND_SECONDS - (time.monotonic() - started))
        token = watchdog.arm(connection.connection.driver_connection, left)
        try:
            return migrations.heads_of(connection)
        finally:
            watchdog.disarm(token)


def _not_ready(
    request: Request, detail: str, *, database: str, migrations: str | None = None
) -> JSONResponse:
    body = NotReady(
        type=PROBLEM_BASE + "not-ready",
        title="Service unavailable",
        status=503,
        detail=detail,
        instance=request.url.path,
        database=database,
        migrations=migrations,
    )
    headers = {"Retry-After": str(get_settings().retry_after_seconds)}
    return JSONResponse(
        body.model_dump(exclude={"errors"}), status_code=503, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **problem_responses(401, 403, 503),
    },
)
def metrics(principal: AllUnitsAggregateReader) -> Response:
    """Prometheus metrics: reader, dim or admin, with a token not restricted to units (the
    turnaround gauges are labelled with every service). Scrapers send a bearer token too."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
