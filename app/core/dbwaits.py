"""Bounded waits on PostgreSQL for the HTTP service: a hung database answers 503, not a hang.

A PostgreSQL stopped by SIGSTOP (or a frozen VM, a full disk's fsync, a lock held for ever) keeps
its TCP connections open: the kernel still accepts connections and acknowledges what is sent, so
neither libpq nor TCP notices anything, and a request waits for as long as the server is stopped.
The server-side `statement_timeout` cannot fire either, since the server is not running. So every
wait is bounded on the client:

- connecting: libpq's `connect_timeout` (the startup packet is never answered otherwise);
- waiting for a pooled connection: the pool's timeout;
- reusing a pooled connection: a ping bounded by the watchdog below;
- each statement: the server's `statement_timeout` / `lock_timeout` for a running server (a slow
  query, a lock held by another transaction), and the watchdog for a server that does not answer
  at all, a little after the statement timeout;
- a peer gone away (network cut): TCP keepalives and `tcp_user_timeout`.

The watchdog is one thread holding the deadlines of the statements in flight; when one passes it
shuts the connection's socket down, the blocked read returns, psycopg raises OperationalError,
and SQLAlchemy drops the connection from the pool. The next request opens a new connection, which
succeeds as soon as the server runs again: recovery needs no restart.

`dimqa serve` uses `request_waits()`; the command line and the tests keep unbounded waits (a
`dimqa ingest` of a million RUM may hold a statement for minutes). Routes doing long work (batch
ingestion, rescans, exports) raise their statement bound to `long_statement_timeout` (see
`app.core.db.LongStatements`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

# The watchdog fires this long after the server's own statement timeout: a running server cancels
# the statement itself first (QueryCanceled, a clean error), only a hung one is cut off.
WATCHDOG_MARGIN_SECONDS = 1.0


class WaitSettings(BaseSettings):
    """DIMQA_DB_* environment variables, in seconds."""

    model_config = SettingsConfigDict(env_prefix="DIMQA_DB_", extra="ignore", env_ignore_empty=True)

    connect_timeout: int = Field(default=2, ge=2)  # libpq's minimum: 2 s
    pool_timeout: float = Field(default=3.0, gt=0)
    ping_timeout: float = Field(default=1.5, gt=0)
    statement_timeout: float = Field(default=5.0, gt=0)
    lock_timeout: float = Field(default=3.0, gt=0)
    long_statement_timeout: float = Field(default=600.0, gt=0)  # ingestion, rescans, exports
    tcp_user_timeout: float = Field(default=10.0, gt=0)
    keepalives_idle: int = Field(default=5, ge=1)
    keepalives_interval: int = Field(default=2, ge=1)
    keepalives_count: int = Field(default=3, ge=1)


@dataclass(frozen=True, slots=True)
class Waits:
    connect_timeout: int
    pool_timeout: float
    ping_timeout: float
    statement_timeout: float
    lock_timeout: float
    long_statement_timeout: float
    tcp_user_timeout: float
    keepalives_idle: int
    keepalives_interval: int
    keepalives_count: int

    def connect_args(self) -> dict[str, Any]:
        """libpq parameters of every connection (keepalives are ignored on a Unix socket)."""
        return {
            "connect_timeout": self.connect_timeout,
            "keepalives": 1,
            "keepalives_idle": self.keepalives_idle,
            "keepalives_interval": self.keepalives_interval,
            "keepalives_count": self.keepalives_count,
            "tcp_user_timeout": int(self.tcp_user_timeout * 1000),
            "options": (
                f"-c statement_timeout={_ms(self.statement_timeout)} -c lock_timeout={_ms(self.lock_timeout)}"
            ),
        }


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def request_waits() -> Waits:
    """The bounds of `dimqa serve`, from DIMQA_DB_* (defaults above)."""
    return Waits(**WaitSettings().model_dump())  # the same fields, as a frozen value


def long_transaction_sql(seconds: float) -> tuple[str, ...]:
    """`SET LOCAL` of the statement and lock timeouts, for the current transaction only (a pooled
    connection goes back to the defaults when the request ends). The lock bound is raised too:
    a batch waiting for the ingestion writer lock queues behind the batch holding it."""
    return (f"SET LOCAL statement_timeout = {_ms(seconds)}", f"SET LOCAL lock_timeout = {_ms(seconds)}")


class Watchdog:
    """Deadlines of the statements in flight; past one, the connection's socket is shut down."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, Any] = {}  # token -> psycopg connection
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, connection: Any, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        with self._cond:
            token = next(self._tokens)
            self._armed[token] = connection
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0][1] == token:
                self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # disarmed: the statement ended in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                connection = self._armed.pop(token)
            _cut(connection)


def _cut(connection: Any) -> None:
    """Shut down the socket of a psycopg connection whose server does not answer."""
    try:
        if connection.closed:
            return
        fd = connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
        logger.warning("database did not answer in time; connection cut")
    except Exception as error:  # a connection already lost (psycopg raises): nothing to cut
        # Never let the watchdog thread die: every later deadline would pass unnoticed.
        logger.warning("database connection could not be cut", extra={"error": type(error).__name__})


watchdog = Watchdog()
