"""RFC 9457 problem details: one exception type for the app and handlers that never leak a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.config import get_settings
from app.core.line_errors import LineError

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://dimqa.invalid/problems/"


class ProblemErrorItem(BaseModel):
    line: int | None = None
    field: str | None = None
    code: str
    fg_code: str | None = Field(
        None, description="The official grouper control making the same check, if any (else absent)"
    )
    message: str


class Problem(BaseModel):
    """Body of every error response (application/problem+json)."""

    type: str = Field(examples=[PROBLEM_BASE + "invalid-input"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemErrorItem] | None = None


class AppError(Exception):
    """Raised by services and routers; rendered as problem+json with `status`."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[LineError] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        if status is not None:
            self.status = status
        self.headers = headers or {}


class InvalidInput(AppError):
    status, slug, title = 400, "invalid-input", "Invalid input"


class Unauthenticated(AppError):
    status, slug, title = 401, "unauthenticated", "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ServiceUnavailable(AppError):
    """A failure of the service itself, not of the request: nothing was stored and the same request
    may be sent again (`Retry-After`), as for the database's 503."""

    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(get_settings().retry_after_seconds)})


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[LineError] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [_error_item(e) for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _error_item(error: LineError) -> dict[str, Any]:
    item: dict[str, Any] = {"line": error.line, "field": error.field, "code": error.code}
    if error.fg_code is not None:  # only then: the bodies of every other problem stay as they were
        item["fg_code"] = error.fg_code
    item["message"] = error.message
    return item


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def _is_connection_problem(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError) or bool(exc.connection_invalidated)


def install_problem_handlers(app: FastAPI) -> None:
    async def app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return problem_response(
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            instance=request.url.path,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        return problem_response(
            exc.status_code,
            slug,
            title,
            str(exc.detail),
            headers=dict(exc.headers or {}),
            instance=request.url.path,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = []
        for item in exc.errors():
            if item.get("type") == "json_invalid":
                errors.append(_json_syntax_error(item, exc.body))
                continue
            loc = [str(part) for part in item.get("loc", ())]
            line = _line_from_location(loc)
            errors.append(
                LineError(
                    line=line,
                    field=".".join(loc),
                    code=str(item.get("type", "invalid")),
                    message=str(item.get("msg", "invalid value")),
                )
            )
        return problem_response(
            422,
            "validation-error",
            "Request validation failed",
            f"{len(errors)} invalid field(s) in the request",
            errors=errors,
            instance=request.url.path,
        )

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if isinstance(exc, DataError):
            # A value PostgreSQL cannot take (an id beyond bigint, ...): the request's fault.
            return problem_response(
                400,
                "invalid-input",
                "Invalid input",
                "A value in the request is out of range for its field.",
                instance=request.url.path,
            )
        if _is_connection_problem(exc):
            # Unreachable, a connection cut, or a bound passed (connect_timeout, statement_timeout:
            # QueryCanceled, lock_timeout: LockNotAvailable; app.core.dbwaits): all OperationalError.
            logger.warning("database unavailable", extra={"error": type(exc.orig).__name__})
            return _database_unavailable(request)
        logger.exception("database error")
        return _internal(request.url.path)

    async def database_wait(request: Request, exc: Exception) -> JSONResponse:
        # No pooled connection freed within DIMQA_DB_POOL_TIMEOUT, or none that answers a ping:
        # the database is hung or saturated, not the request at fault.
        logger.warning("database unavailable", extra={"error": type(exc).__name__})
        return _database_unavailable(request)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(request.url.path)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PoolTimeout, database_wait)
    app.add_exception_handler(DisconnectionError, database_wait)
    app.add_exception_handler(Exception, unexpected)


def _json_syntax_error(item: dict[str, Any], body: Any) -> LineError:
    """A JSON body that does not parse: FastAPI locates it at ("body", <character offset>), which
    read as a record index gave `line` offset + 1, field `body.<offset>` and no reason ("JSON decode
    error"). The body's own line and column and the parser's reason instead."""
    reason = str((item.get("ctx") or {}).get("error", "unreadable"))
    loc = item.get("loc", ())
    offset = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    if offset is None or not isinstance(body, str):
        return LineError(None, "body", "json_invalid", f"the body is not valid JSON: {reason}")
    line = body.count("\n", 0, offset) + 1
    column = offset - body.rfind("\n", 0, offset)
    return LineError(
        line, "body", "json_invalid", f"the body is not valid JSON: {reason} (line {line}, column {column})"
    )


def _line_from_location(loc: list[str]) -> int | None:
    # ("body", "events", "3", "unit") -> event/record #4, 1-based like file lines.
    for part in loc:
        if part.isdigit():
            return int(part) + 1
    return None


def _database_unavailable(request: Request) -> JSONResponse:
    return problem_response(
        503,
        "database-unavailable",
        "Service unavailable",
        "The database is unreachable or did not answer in time; retry later.",
        headers={"Retry-After": str(get_settings().retry_after_seconds)},
        instance=request.url.path,
    )


def unexpected_error(path: str) -> JSONResponse:
    """The 500 answer to an exception no handler took, logged (type and place only) with the
    request id: to be called while the exception is being handled."""
    logger.exception("unhandled error")
    return _internal(path)


def _internal(path: str) -> JSONResponse:
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "An unexpected error occurred; it has been logged.",
        instance=path,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json errors of a route."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": _describe(status)}
        for status in statuses
    }


def _describe(status: int) -> str:
    return {
        400: "Invalid input",
        401: "Missing or invalid token",
        403: "Role or unit scope insufficient",
        404: "Not found",
        409: "Conflict",
        413: "Body too large",
        415: "Unsupported media type",
        422: "Request validation failed",
        503: "Database unavailable",
    }.get(status, "Error")
