"""Garbage-collection policy of the bulk imports (RUM and RSA batches)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_batches = 0
_gc_saved: tuple[int, int, int] = (0, 0, 0)
RARE_FULL_COLLECTIONS = 1000  # gen-1 collections between full collections (CPython default: 10)


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Make full garbage collections rare while a batch (RUM, RSA) is parsed (process-wide,
    restored after the last running batch).

    A chunk's records live long enough to reach the oldest generation, so CPython would run a full
    collection, scanning the whole application heap, every few chunks: about a third of the CPU of
    an ingestion. Records hold no reference cycles and are freed by reference counting, so delaying
    full collections does not let memory grow."""
    global _gc_batches, _gc_saved
    with _gc_lock:
        if _gc_batches == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], max(_gc_saved[2], RARE_FULL_COLLECTIONS))
        _gc_batches += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_batches -= 1
            if _gc_batches == 0:
                gc.set_threshold(*_gc_saved)
