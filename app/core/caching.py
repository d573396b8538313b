"""`Cache-Control: no-store` on every response but the documentation's static assets.

Patient-level answers (RSS, findings and their CSV, batches with RSS numbers, detail exports, the
audit log) must not stay in a browser's or a proxy's cache on a shared workstation. Marking every
response, not a list of routes, leaves no route to forget: aggregates are the hospital's data too,
and the rest (errors, health probes, the documentation pages) loses nothing by it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = (b"cache-control", b"no-store")


class NoStoreMiddleware:
    """Pure ASGI, like RequestMiddleware, so streamed bodies stay streamed."""

    def __init__(self, app: ASGIApp, *, cacheable_prefix: str) -> None:
        self.app = app
        self.cacheable_prefix = cacheable_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.cacheable_prefix + "/"):
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, NO_STORE]
            await send(message)

        await self.app(scope, receive, send_wrapper)
