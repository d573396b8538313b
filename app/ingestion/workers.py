"""Worker processes for large RUM batches: blocks are parsed, rendered and checked outside the
server's interpreter, so the Python work of a batch runs on every core instead of one.

One pool per process, kept once created: `dimqa serve` starts it beside the server, otherwise
the first large batch does (starting a worker costs about a second of imports). Workers come from
a `forkserver`, never from a fork of the server itself, whose threads (HTTP, database pool) may
hold locks. The rules' reference data (`RuleContext`, up to a few MB with the nomenclatures) is
pickled once per batch into a file of a private directory; the tasks name it, and each worker
unpickles it once per context: workers keep the last one they saw. The workers import only what
processing a block needs (the parser, the rules), not the server's web and database stack: in
particular they do not re-run the server's main module, as multiprocessing does by default
(`dimqa serve` would cost each worker the CLI's imports, about 70 MB; see `_WorkerPopen`).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import hashlib
import io
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import context as mp_context
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from types import MappingProxyType
from typing import Any, NamedTuple

from app.ingestion.blocks import Block, Line, process_block
from app.rules.engine import RuleContext

__all__ = ["BrokenProcessPool", "ContextPayload", "default_count", "pool", "process", "shutdown", "start"]

SERVER_WATCH_SECONDS = 1.0
_lock = threading.Lock()
_pool: tuple[int, ProcessPoolExecutor] | None = None


class ContextPayload(NamedTuple):
    """A context as the workers get it: pickled once into a file of this process's private
    directory, which each worker reads once. A task carries only this (a name), not the few MB of
    a hospital's nomenclatures: sent with every block, they cost more than the block itself."""

    key: str  # SHA-256 of the pickle: equal contexts share one file and one unpickled copy in a worker
    path: str

    @property
    def data(self) -> bytes:
        with open(self.path, "rb") as stream:
            return stream.read()


KEPT_CONTEXT_FILES = 8  # the latest contexts' files: a running batch's file is never among the older
_files: str | None = None  # the private directory of the context files (mode 0700), once created


def _publish(data: bytes) -> ContextPayload:
    global _files
    key = hashlib.sha256(data).hexdigest()
    with _lock:
        if _files is None:
            _files = tempfile.mkdtemp(prefix="dimqa-worker-contexts-")
            atexit.register(shutil.rmtree, _files, True)
        path = os.path.join(_files, key)
        if os.path.exists(path):
            os.utime(path)  # the latest again: kept
        else:
            temporary = f"{path}.{threading.get_ident()}.tmp"
            with open(temporary, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)  # a worker never reads a half-written file
            names = sorted(
                (entry for entry in os.scandir(_files) if not entry.name.endswith(".tmp")),
                key=lambda entry: entry.stat().st_mtime,
            )
            for entry in names[:-KEPT_CONTEXT_FILES]:
                os.unlink(entry.path)
    return ContextPayload(key, path)


def default_count() -> int:
    """Workers when DIMQA_INGEST_WORKERS is unset: one per core, none on a single core (the
    server's own thread then parses, as fast and without the transfers)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, 4)


def sendable(ctx: RuleContext) -> RuleContext:
    """The context as it is pickled for the workers: a copy without the indexes the checks derived
    from the references (rebuilt in each worker), read-only mapping views (which do not pickle) as
    the dicts they show, and so for the per-year contexts of the nomenclatures (`cim10_years`...)."""
    plain: dict[str, Any] = {}
    for item in dataclasses.fields(ctx):
        value = getattr(ctx, item.name)
        if not item.init or value is None:
            continue
        if isinstance(value, MappingProxyType):
            plain[item.name] = dict(value)
        elif isinstance(value, Mapping) and isinstance(next(iter(value.values()), None), RuleContext):
            plain[item.name] = {key: sendable(inner) for key, inner in value.items()}
    return dataclasses.replace(ctx, **plain)


def payload(ctx: RuleContext) -> ContextPayload:
    return _publish(pickle.dumps(sendable(ctx), protocol=pickle.HIGHEST_PROTOCOL))


def _initialize(server_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The modules imported so far live as long as the worker: collections need not scan them.
    gc.freeze()
    threading.Thread(target=_leave_with, args=(server_pid,), name="server-watch", daemon=True).start()


def _leave_with(server_pid: int) -> None:
    """Exit once the server is gone. A server killed outright (SIGKILL, out of memory) runs no
    shutdown, and its idle workers, children of the forkserver, would otherwise wait forever."""
    while True:
        time.sleep(SERVER_WATCH_SECONDS)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)


_context: tuple[str, RuleContext] | None = None  # in a worker: the last context unpickled


def process(context: ContextPayload, batch_id: int, task: tuple[list[Line], Sequence[int]]) -> Block:
    """`process_block` in a worker, without garbage collection: a block's records hold no
    reference cycles and are freed by reference counting when it is done (collections triggered
    by their allocations cost a fifth of the work). `task`: the block's lines and version ids."""
    global _context
    if _context is None or _context[0] != context.key:
        _context = (context.key, pickle.loads(context.data))  # once per worker and context
    gc.disable()
    try:
        return process_block(task[0], batch_id, _context[1], task[1])
    finally:
        gc.enable()


class _WorkerPopen(popen_forkserver.Popen):
    """The forkserver's launch (CPython 3.11-3.13 `popen_forkserver.Popen._launch`) without the
    instruction to import the parent's `__main__` in the child. multiprocessing re-runs it (as
    `__mp_main__`) so that functions defined there unpickle; a worker runs none, and the server's
    main module is the CLI, which imports the whole web and database stack: 88 MB instead of 17 per
    idle worker, written to by the worker's own refcounts, so never shared with the forkserver.
    A function sent to the pool must therefore live in an importable module, not in `__main__`."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        mp_context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            mp_context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        parent_w = os.dup(w)  # the parent's sentinel of the child, as in the original
        self.finalizer = util.Finalize(self, _close_fds, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as stream:
            stream.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


def _close_fds(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


# The launch without `__main__` copies private CPython code read on 3.11-3.13; on another version
# the standard forkserver (heavier workers, same results) is the safer choice.
_LAUNCH_CHECKED = (3, 11) <= sys.version_info[:2] <= (3, 13)


class _WorkerProcess(mp_context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _WorkerPopen:
        return _WorkerPopen(process_obj)


class _WorkerContext(mp_context.ForkServerContext):
    Process = _WorkerProcess


def pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of `workers` workers (replaced when the count changes or a worker died)."""
    global _pool
    with _lock:
        if _pool is not None and (_pool[0] != workers or _broken(_pool[1])):
            _pool[1].shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            context = _WorkerContext() if _LAUNCH_CHECKED else mp_context.ForkServerContext()
            # Imported once, in the forkserver, and shared by the workers it forks.
            context.set_forkserver_preload(["app.ingestion.workers", "app.rules.catalog"])
            executor = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_initialize, initargs=(os.getpid(),)
            )
            _pool = (workers, executor)
        return _pool[1]


def start(workers: int) -> None:
    """Start the pool's worker processes now (`dimqa serve`, in a background thread), so that the
    first large batch does not wait the second or so their imports take. The executor spawns one
    worker per task submitted while none is idle: one task per worker starts them all."""
    executor = pool(workers)
    for done in [executor.submit(int, "1") for _ in range(workers)]:
        done.result()


def _broken(executor: ProcessPoolExecutor) -> bool:
    # CPython sets this private flag when a worker dies; the public sign is only the
    # BrokenProcessPool raised by the next submit, after a batch has already started.
    return bool(getattr(executor, "_broken", False))


def shutdown() -> None:
    """Stop the workers (server shutdown; tests)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool[1].shutdown(wait=True, cancel_futures=True)
            _pool = None
