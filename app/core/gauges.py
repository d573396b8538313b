"""Gauges computed from the database for a Prometheus scrape, refreshed at most once per TTL.

A collector that queries the database on every scrape would put a query per scrape (and per
replica's scraper) on the hospital's database; `CachedFigures` keeps the last figures and reloads
them at most once per TTL. A scrape during a refresh by another thread is served the previous
figures, and a failed refresh keeps them too (logged), retried once per TTL, not per scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CachedFigures(Generic[T]):
    def __init__(
        self,
        loader: Callable[[], T],
        initial: T,
        ttl_seconds: Callable[[], float],
        *,
        logger: logging.Logger,
        what: str,
    ) -> None:
        self._loader = loader
        self._figures = initial
        self._ttl_seconds = ttl_seconds  # read at each scrape: the setting may change under tests
        self._logger = logger
        self._what = what  # "turnaround gauges": for the warning of a failed refresh
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        now = time.monotonic()
        fresh = self._loaded_at is not None and now - self._loaded_at < self._ttl_seconds()
        if fresh or not self._lock.acquire(blocking=False):
            return self._figures
        try:
            self._figures = self._loader()
        except RuntimeError:  # database not configured in this process (CLI, pure tests)
            pass
        except Exception:
            self._logger.warning("%s not refreshed", self._what, exc_info=True)
        finally:
            # Also after a failure, so a broken database is retried once per TTL, not per scrape.
            self._loaded_at = now
            self._lock.release()
        return self._figures

    def invalidate(self) -> None:
        self._loaded_at = None
