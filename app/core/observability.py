"""Prometheus metrics and the request middleware (request id, timing, access log, body limit)."""

from __future__ import annotations

import logging
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import origin
from app.core.logging import request_id_var
from app.core.origin import route_template
from app.core.problems import PayloadTooLarge, problem_response, unexpected_error

logger = logging.getLogger("dimqa.access")

# Recorded for a client that went away before its answer (nginx's code): not a server error.
CLIENT_CLOSED_REQUEST = 499

HTTP_REQUESTS = Counter(
    "dimqa_http_requests_total", "HTTP requests by route template and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "dimqa_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


class RequestMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so streamed request bodies stay streamed."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = incoming if incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        serving = origin.serving(scope)
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                response = problem_response(
                    413,
                    "payload-too-large",
                    "Payload too large",
                    f"The body exceeds the limit of {self.max_body_bytes} bytes.",
                )
                await response(scope, receive, send_wrapper)
            else:
                await self.app(scope, self._limited(receive), send_wrapper)
        except ClientDisconnect:
            # The sender went away during its upload (a timeout, a closed browser): nothing to
            # answer. It was logged as an unhandled error and counted as a 500, firing the
            # DimqaServerErrors alert (deploy/prometheus) for the client's own abort.
            if "started" not in status_holder:
                status_holder["status"] = CLIENT_CLOSED_REQUEST
        except Exception:
            if "started" in status_holder:
                raise  # the answer is under way: nothing can replace it
            # Answered here, inside this middleware, not by Starlette's outermost error handler:
            # that one ran after the request id was reset and outside send_wrapper, so neither the
            # answer (X-Request-Id, Cache-Control) nor the log line carried the id a caller reports.
            await unexpected_error(scope["path"])(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            status = str(status_holder["status"])
            HTTP_REQUESTS.labels(scope["method"], route, status).inc()
            HTTP_LATENCY.labels(scope["method"], route, status).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status_holder["status"],
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id_var.reset(token)
            origin.done(serving)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"The body exceeds the limit of {limit} bytes.")
            return message

        return wrapper
