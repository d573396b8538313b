"""Prometheus gauges of coding exhaustivity and report transmission, for the dashboards and the
alerting rules under deploy/.

- `dimqa_exhaustivity_stays_not_coded_over_30_days{service}`: stays not coded and discharged more
  than 30 days ago, as of today, every discharge dimqa knows (the alerts' figure,
  `service.stays_not_coded_over`), per service code of the structure (and `unmapped`).
- `dimqa_exhaustivity_rate_coded{service}`: coded / stays among the stays discharged in the last
  closed calendar month, as of today. A service without stay that month has no sample.
- `dimqa_transmission_lag_p90_hours{channel}` and `dimqa_transmission_stored_late{channel}`: the
  discharge-report events stored over the last 7 days, per channel (hl7v2, fhir, json, file):
  p90 of the lag between the sender's time and storage, and how many were stored more than a
  day after it. A channel with no event that week has no sample.

Bounded label sets (services of the structure, four channels). Computed by a custom collector
with three SQL aggregates at most every `DIMQA_TURNAROUND_GAUGE_TTL_SECONDS` (300 s), as the
turnaround gauges; other scrapes are served from the cache, the previous values while a refresh
runs or after it failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from app.exhaustivity import service
from app.turnaround import metrics as turnaround_metrics
from app.turnaround import reports as turnaround_reports
from app.turnaround.schemas import GroupBy

logger = logging.getLogger(__name__)

TRANSMISSION_DAYS: Final = 7


@dataclass(slots=True)
class Figures:
    not_coded_over: dict[str, int] = field(default_factory=dict)  # service -> stays
    rate_coded: dict[str, float] = field(default_factory=dict)  # service -> rate
    lag_p90_hours: dict[str, float] = field(default_factory=dict)  # channel -> hours
    stored_late: dict[str, int] = field(default_factory=dict)  # channel -> events


def last_closed_month(on: date) -> tuple[date, date]:
    last = on.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def figures(session: Session, *, today: date) -> Figures:
    """The gauges' values as of `today`."""
    found = Figures()
    for (kind, code), stays in service.overdue_counts(session, days=30, as_of=today).items():
        if kind == "service":
            found.not_coded_over[code] = stays
    first, last = last_closed_month(today)
    rows, _total = service.summarize(
        session, service.params(None, turnaround_reports.PeriodScope(first, last, today)), GroupBy.SERVICE
    )
    found.rate_coded = {row.group: row.rate_coded for row in rows if row.rate_coded is not None}
    week = service.transmission_figures(
        session,
        service.transmission_params(
            None, first_day=today - timedelta(days=TRANSMISSION_DAYS - 1), last_day=today
        ),
    )
    for channel, counts in week.channels.items():
        found.stored_late[channel] = counts.stored_late
        if counts.lag_p90_hours is not None:
            found.lag_p90_hours[channel] = counts.lag_p90_hours
    return found


def _load() -> Figures:
    return turnaround_metrics.load_within_timeout(
        lambda session: figures(session, today=turnaround_reports.today())
    )


_FAMILIES: Final = (
    (
        "dimqa_exhaustivity_stays_not_coded_over_30_days",
        "Stays not coded and discharged more than 30 days ago",
        "service",
    ),
    (
        "dimqa_exhaustivity_rate_coded",
        "Share of the stays discharged in the last closed month that are coded",
        "service",
    ),
    (
        "dimqa_transmission_lag_p90_hours",
        "p90 of the lag between the sender's time and storage, report events of the last 7 days (hours)",
        "channel",
    ),
    (
        "dimqa_transmission_stored_late",
        "Report events stored in the last 7 days more than a day after the sender's time",
        "channel",
    ),
)


class ExhaustivityCollector(turnaround_metrics.GaugeCollector[Figures]):
    def __init__(self, loader: Callable[[], Figures] = _load, ttl: float | None = None) -> None:
        super().__init__(loader, Figures(), ttl, logger=logger, what="exhaustivity gauges")

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(name, documentation, labels=[label]) for name, documentation, label in _FAMILIES
        ]

    def describe(self) -> Iterable[Metric]:
        # Without describe() the registry would call collect(), hence the database, at import.
        return self._families()

    def collect(self) -> Iterable[Metric]:
        values = self.current()
        families = self._families()
        series: tuple[dict[str, int] | dict[str, float], ...] = (
            values.not_coded_over,
            values.rate_coded,
            values.lag_p90_hours,
            values.stored_late,
        )
        for family, samples in zip(families, series, strict=True):
            for label in sorted(samples):
                family.add_metric([label], samples[label])
        return families


COLLECTOR: Final = ExhaustivityCollector()
REGISTRY.register(COLLECTOR)
