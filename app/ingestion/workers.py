"""Worker processes for large RUM batches: blocks are parsed, rendered and checked outside the
server's interpreter, so the Python work of a batch runs on every core instead of one.

One pool per process, kept once created: `dimqa serve` starts it beside the server, otherwise
the first large batch does (starting a worker costs about a second of imports). Workers come from
a `forkserver`, never from a fork of the server itself, whose threads (HTTP, database pool) may
hold locks. The rules' reference data (`RuleContext`,
up to a few MB with the nomenclatures) travels pickled with each block and is unpickled once per
worker and context: workers keep the last one they saw.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import MappingProxyType
from typing import Any, NamedTuple

from app.ingestion.blocks import Block, Line, process_block
from app.rules.engine import RuleContext

__all__ = ["BrokenProcessPool", "ContextPayload", "default_count", "pool", "process", "shutdown", "start"]

SERVER_WATCH_SECONDS = 1.0
_lock = threading.Lock()
_pool: tuple[int, ProcessPoolExecutor] | None = None


class ContextPayload(NamedTuple):
    key: str  # SHA-256 of the pickle: equal contexts share one unpickled copy in a worker
    data: bytes


def default_count() -> int:
    """Workers when DIMQA_INGEST_WORKERS is unset: one per core, none on a single core (the
    server's own thread then parses, as fast and without the transfers)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, 4)


def sendable(ctx: RuleContext) -> RuleContext:
    """The context as it is pickled for the workers: a copy without the indexes the checks derived
    from the references (rebuilt in each worker), read-only mapping views (which do not pickle) as
    the dicts they show."""
    plain: dict[str, Any] = {
        item.name: dict(value)
        for item in dataclasses.fields(ctx)
        if item.init and isinstance(value := getattr(ctx, item.name), MappingProxyType)
    }
    return dataclasses.replace(ctx, **plain)


def payload(ctx: RuleContext) -> ContextPayload:
    data = pickle.dumps(sendable(ctx), protocol=pickle.HIGHEST_PROTOCOL)
    return ContextPayload(hashlib.sha256(data).hexdigest(), data)


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
        _context = (context.key, pickle.loads(context.data))
    gc.disable()
    try:
        return process_block(task[0], batch_id, _context[1], task[1])
    finally:
        gc.enable()


def pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of `workers` workers (replaced when the count changes or a worker died)."""
    global _pool
    with _lock:
        if _pool is not None and (_pool[0] != workers or _broken(_pool[1])):
            _pool[1].shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["app.ingestion.workers"])
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
