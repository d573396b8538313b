"""Prometheus metrics of the turnaround domain.

- `dimqa_stay_events_total{source,outcome}`, `dimqa_document_events_total{source,outcome}`:
  events by feed (json, hl7, fhir) and outcome (accepted, duplicate, rejected, ignored: an HL7
  message acknowledged without movement, e.g. ADT^A08).
- `dimqa_turnaround_rate_j0{service}`, `dimqa_turnaround_rate_j8{service}`: rates of the last closed
  ISO week as of today, per service code of the structure (plus `unmapped`): a bounded label set.
  Computed by a custom collector from one SQL aggregate and cached for
  `DIMQA_TURNAROUND_GAUGE_TTL_SECONDS` (300 s), so a scrape costs at most one query every five
  minutes; a scrape during a refresh by another thread is served the previous values. A service
  with no closed stay that week has no sample (a rate of 0 would be a lie).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Final, Generic, TypeVar

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core import db
from app.core.gauges import CachedFigures
from app.turnaround import reports
from app.turnaround.settings import get_turnaround_settings

logger = logging.getLogger(__name__)

STAY_EVENTS: Final = Counter(
    "dimqa_stay_events_total", "Stay movement events received, by feed and outcome", ["source", "outcome"]
)
DOCUMENT_EVENTS: Final = Counter(
    "dimqa_document_events_total", "Document events received, by feed and outcome", ["source", "outcome"]
)


def count_events(
    kind: str, source: str, *, accepted: int = 0, duplicates: int = 0, rejected: int = 0, ignored: int = 0
) -> None:
    counter = STAY_EVENTS if kind == "stay" else DOCUMENT_EVENTS
    for outcome, amount in (
        ("accepted", accepted),
        ("duplicate", duplicates),
        ("rejected", rejected),
        ("ignored", ignored),
    ):
        if amount:
            counter.labels(source, outcome).inc(amount)


T = TypeVar("T")


def load_within_timeout(read: Callable[[Session], T]) -> T:
    """`read` in a transaction of its own, for a scrape."""
    with db.new_session() as session, session.begin():
        # A slow database must not hang the scrape; the previous values are served instead.
        session.execute(text("SET LOCAL statement_timeout = 5000"))
        return read(session)


class GaugeCollector(Collector, Generic[T]):
    """The gauges of the turnaround and of exhaustivity: figures from `loader`, kept by
    `CachedFigures` and reloaded at most once per `ttl` seconds (default: the turnaround gauge TTL
    setting, read at each scrape); a failed reload is logged on `logger`."""

    def __init__(
        self, loader: Callable[[], T], initial: T, ttl: float | None, *, logger: logging.Logger, what: str
    ) -> None:
        self._ttl = ttl
        self._figures: CachedFigures[T] = CachedFigures(
            loader, initial, self._ttl_seconds, logger=logger, what=what
        )

    def _ttl_seconds(self) -> float:
        return self._ttl if self._ttl is not None else get_turnaround_settings().turnaround_gauge_ttl_seconds

    def current(self) -> T:
        return self._figures.get()

    def invalidate(self) -> None:
        self._figures.invalidate()


Rates = dict[str, tuple[float | None, float | None]]  # service -> (rate_j0, rate_j8)


def _load_rates() -> Rates:
    return load_within_timeout(reports.service_rates_last_week)


class TurnaroundRateCollector(GaugeCollector[Rates]):
    def __init__(self, loader: Callable[[], Rates] = _load_rates, ttl: float | None = None) -> None:
        super().__init__(loader, {}, ttl, logger=logger, what="turnaround gauges")

    def describe(self) -> Iterable[Metric]:
        # Without describe() the registry would call collect(), hence the database, at import.
        return [self._family("j0"), self._family("j8")]

    @staticmethod
    def _family(which: str) -> GaugeMetricFamily:
        window = "on the discharge day" if which == "j0" else "within 8 days"
        return GaugeMetricFamily(
            f"dimqa_turnaround_rate_{which}",
            f"Share of discharge reports received {window}, stays of the last closed ISO week "
            "whose window is closed",
            labels=["service"],
        )

    def collect(self) -> Iterable[Metric]:
        rates = self.current()
        j0, j8 = self._family("j0"), self._family("j8")
        for service in sorted(rates):
            rate_j0, rate_j8 = rates[service]
            if rate_j0 is not None:
                j0.add_metric([service], rate_j0)
            if rate_j8 is not None:
                j8.add_metric([service], rate_j8)
        return [j0, j8]


COLLECTOR: Final = TurnaroundRateCollector()
REGISTRY.register(COLLECTOR)
