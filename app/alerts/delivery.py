"""The delivery worker: drains the outbox (`alert_delivery`) to the webhooks.

Each delivery is a JSON POST of the bytes stored with the event, signed
(`X-Dimqa-Signature: sha256=<hex HMAC-SHA256 of the body>`) and named (`X-Dimqa-Event-Id`, also in
the body). A 2xx answer delivers it; anything else (an error status, a timeout, a refused
connection, a redirect: never followed, it could leave the allow-list) is retried with an
exponential backoff (DIMQA_ALERT_DELIVERY_BACKOFF_SECONDS, doubled per attempt, at most one hour)
until DIMQA_ALERT_DELIVERY_MAX_ATTEMPTS. A delivery is claimed in its own short transaction with
a lease, then sent outside any transaction: a worker stopped in the middle leaves the row pending,
and the next worker (after a restart) sends it. So a receiver may see an event twice, never zero
times; it recognises a repeat by its event id.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx

from app.alerts import repository
from app.alerts.repository import Claimed
from app.alerts.schemas import DeliveryStatus
from app.alerts.service import EVENT_ID_HEADER, SIGNATURE_HEADER, check_webhook_url
from app.core import db
from app.core.background import BackgroundThread
from app.core.config import get_settings
from app.core.problems import InvalidInput

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
# Beyond the send's own timeout: the time a claimed row stays invisible to other workers.
LEASE_MARGIN_SECONDS = 60.0

# Set after a commit that wrote events (POST /alert-rules/{id}/evaluate, the schedule): the workers
# of this process look at the outbox at once instead of at their next poll.
_wake = threading.Event()


def wake() -> None:
    _wake.set()


@dataclass(frozen=True, slots=True)
class Outcome:
    status: DeliveryStatus
    status_code: int | None
    error: str | None
    retry_in_seconds: float | None


def backoff(attempts: int, base: float) -> float:
    """Seconds before the attempt after the `attempts`-th: base, 2 base, 4 base..., capped."""
    return float(min(base * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


class DeliveryWorker(BackgroundThread):
    """A thread sending due deliveries; `run_once` does one round (the tests and the benchmark)."""

    thread_name = "alert-delivery"

    def __init__(
        self,
        *,
        poll_seconds: float | None = None,
        backoff_seconds: float | None = None,
        max_attempts: int | None = None,
        timeout_seconds: float | None = None,
        batch: int = 20,
    ) -> None:
        settings = get_settings()
        self.poll_seconds = poll_seconds or settings.alert_delivery_poll_seconds
        self.backoff_seconds = backoff_seconds or settings.alert_delivery_backoff_seconds
        self.max_attempts = max_attempts or settings.alert_delivery_max_attempts
        self.timeout_seconds = timeout_seconds or settings.alert_delivery_timeout_seconds
        self.batch = batch
        super().__init__()

    def _interrupt(self) -> None:
        _wake.set()  # `_run` waits on it between rounds

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_seconds, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    sent = self.run_once(client)
                except Exception:  # the database away, say: the next round tries again
                    logger.exception("alert delivery round failed")
                    sent = 0
                if sent == 0 and not self._stop.is_set():
                    _wake.wait(self.poll_seconds)
                    _wake.clear()

    def run_once(self, client: httpx.Client | None = None) -> int:
        """Claim the due deliveries and send them; returns how many were attempted."""
        with db.new_session() as session, session.begin():
            claimed = repository.claim_due(
                session, lease_seconds=self.timeout_seconds + LEASE_MARGIN_SECONDS, limit=self.batch
            )
        if not claimed:
            return 0
        owned = client is None
        client = client or httpx.Client(timeout=self.timeout_seconds, follow_redirects=False)
        try:
            for delivery in claimed:
                if self._stop.is_set():
                    break  # the rest stay claimed until their lease ends, then go to the next worker
                outcome = self._send(client, delivery)
                with db.new_session() as session, session.begin():
                    repository.record_attempt(
                        session,
                        delivery_id=delivery.id,
                        status=outcome.status.value,
                        status_code=outcome.status_code,
                        error=outcome.error,
                        retry_in_seconds=outcome.retry_in_seconds,
                    )
                logger.info(
                    "alert delivery attempt",
                    extra={
                        "delivery_id": delivery.id,
                        "event_id": str(delivery.event_id),
                        "attempt": delivery.attempts,
                        "outcome": outcome.status.value,
                        "status_code": outcome.status_code,
                    },
                )
        finally:
            if owned:
                client.close()
        return len(claimed)

    def _send(self, client: httpx.Client, delivery: Claimed) -> Outcome:
        try:
            check_webhook_url(delivery.url)  # the allow-list may have shrunk since the event
        except InvalidInput as refused:
            return Outcome(DeliveryStatus.FAILED, None, refused.detail, None)
        if not delivery.signature:
            return Outcome(
                DeliveryStatus.FAILED,
                None,
                "the rule's secret was sealed with another server key: set it again",
                None,
            )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "dimqa-alerts",
            SIGNATURE_HEADER: delivery.signature,
            EVENT_ID_HEADER: str(delivery.event_id),
            "X-Dimqa-Event": delivery.event,
        }
        try:
            response = client.post(delivery.url, content=delivery.body.encode(), headers=headers)
        except httpx.HTTPError as error:
            return self._retry(delivery, None, f"{type(error).__name__}: {error}"[:500])
        if 200 <= response.status_code < 300:
            return Outcome(DeliveryStatus.DELIVERED, response.status_code, None, None)
        return self._retry(delivery, response.status_code, f"HTTP {response.status_code}")

    def _retry(self, delivery: Claimed, status_code: int | None, error: str) -> Outcome:
        if delivery.attempts >= self.max_attempts:
            return Outcome(DeliveryStatus.FAILED, status_code, error, None)
        return Outcome(
            DeliveryStatus.PENDING, status_code, error, backoff(delivery.attempts, self.backoff_seconds)
        )
