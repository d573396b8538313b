"""A daemon thread of the running service, started and stopped with the app (its lifespan)."""

from __future__ import annotations

import threading


class BackgroundThread:
    """Runs `_run` in a daemon thread named `thread_name`; `_run` loops until `self._stop` is set.

    A subclass whose `_run` waits on something else than `self._stop` (another event) wakes it in
    `_interrupt`, which `stop` calls after setting the flag.
    """

    thread_name = "dimqa-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after the work in hand, and wait for it."""
        self._stop.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _interrupt(self) -> None:
        """Nothing to wake by default: `_run` waits on `self._stop`."""

    def _run(self) -> None:
        raise NotImplementedError
