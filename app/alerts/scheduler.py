"""The alerts' background work inside the running service: the evaluation schedule and the
delivery worker, started and stopped with the app (its lifespan).

DIMQA_ALERT_BACKGROUND=0 starts neither (the tests' default); DIMQA_ALERT_EVALUATION_INTERVAL_SECONDS=0
keeps the delivery worker without the schedule (rules are then evaluated by
`POST /api/v1/alert-rules/{id}/evaluate` only).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from app.alerts import delivery, service
from app.core import db
from app.core.background import BackgroundThread
from app.core.config import Settings

logger = logging.getLogger(__name__)


class EvaluationSchedule(BackgroundThread):
    """Evaluates every enabled rule at start, then every `interval_seconds`."""

    thread_name = "alert-schedule"

    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        super().__init__()

    def run_once(self) -> int:
        """One pass over the enabled rules, committed; returns how many events it wrote."""
        with db.new_session() as session, session.begin():
            results = service.evaluate_all(session)
        events = sum(1 for result in results if result.event is not None)
        if events:
            delivery.wake()
        return events

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the database away, say: the next pass tries again
                logger.exception("alert evaluation failed")
            self._stop.wait(self.interval_seconds)


def lifespan(settings: Settings) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The app's lifespan (FastAPI's `lifespan=`); the app itself is not needed, so not imported."""

    @asynccontextmanager
    async def run(app: object) -> AsyncIterator[None]:
        if not settings.alert_background:
            yield
            return
        worker = delivery.DeliveryWorker()
        schedule = (
            EvaluationSchedule(settings.alert_evaluation_interval_seconds)
            if settings.alert_evaluation_interval_seconds > 0
            else None
        )
        worker.start()
        if schedule is not None:
            schedule.start()
        try:
            yield
        finally:
            if schedule is not None:
                schedule.stop()
            worker.stop()

    return run
