"""Where the work being done comes from, for the audit log: the HTTP request being served (its
method and route template) or the CLI command running.

The request middleware records the request's ASGI scope here; routing fills in the matched route
later in the same scope, so the template is read when an entry is written. The services that audit
therefore take no request: the origin follows the request (or the command) as `request_id` does."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

_scope_var: ContextVar[MutableMapping[str, Any] | None] = ContextVar("request_scope", default=None)
_command_var: ContextVar[str | None] = ContextVar("cli_command", default=None)

CLI_METHOD = "CLI"
CLI_ENDPOINT = "cli"


def serving(scope: MutableMapping[str, Any]) -> Token[MutableMapping[str, Any] | None]:
    """Called by the request middleware for each HTTP request; reset the token when it ends."""
    return _scope_var.set(scope)


def done(token: Token[MutableMapping[str, Any] | None]) -> None:
    _scope_var.reset(token)


@contextmanager
def command(name: str) -> Iterator[None]:
    """Entries written inside are audited with `name` as endpoint (`dimqa token create`)."""
    token = _command_var.set(name)
    try:
        yield
    finally:
        _command_var.reset(token)


def current() -> tuple[str, str]:
    """(method, endpoint) of the audit entry written now: the route template of the request being
    served, else the CLI command (`CLI`, its name, or `cli` when none was named)."""
    scope = _scope_var.get()
    if scope is not None:
        return str(scope["method"]), route_template(scope)
    return CLI_METHOD, _command_var.get() or CLI_ENDPOINT


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's full template (`/api/v1/rss/{rss_number}`), never the concrete path:
    paths carry RSS and stay numbers, and metric labels must stay bounded.

    FastAPI mounts included routers lazily, so the route only knows its path relative to its
    router; the prefix is what precedes the concrete match in the request path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    path_format = getattr(route, "path_format", path)
    try:
        concrete = path_format.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return path
    request_path: str = scope.get("path", "")
    if concrete and request_path.endswith(concrete):
        return request_path[: len(request_path) - len(concrete)] + path
    return path
