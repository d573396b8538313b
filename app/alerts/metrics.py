"""The metrics an alert rule can watch: one provider per metric, computed by the services that
own the figures (turnaround reports, findings, ingestion batches, exhaustivity).

A provider answers for one scope (all, a pôle, a service) over a period. One evaluation pass
shares a `Context`: the figures of a period are computed once for every group (one SQL aggregate
per metric, period and grouping), then each rule picks its group; 50 rules cost a handful of
queries, not 50 (bench/alerts.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy.orm import Session

from app.alerts.schemas import Metric, Scope, Window
from app.auth.schemas import Principal, Role
from app.core.clock import HOSPITAL_TZ
from app.exhaustivity import service as exhaustivity_service
from app.ingestion import reads as ingestion_reads
from app.rules import service as rules_service
from app.rules.severity import Severity
from app.structure import service as structure_service
from app.structure.schemas import StructureRead
from app.turnaround import reports
from app.turnaround.schemas import GroupBy

# The evaluation reads hospital-wide figures, as an unrestricted admin would.
SYSTEM = Principal(name="dimqa-alerts", role=Role.ADMIN, units=None)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    label: str  # "2026-W48", or "" for a rolling window


def period_of(window: Window, as_of: date) -> Period | None:
    """The days `window` covers on `as_of`; None for `current` (a state, not a period)."""
    if window is Window.LAST_CLOSED_WEEK:
        label, monday, sunday = reports.last_closed_week(as_of)
        return Period(monday, sunday, label)
    if window is Window.LAST_7_DAYS:
        return Period(as_of - timedelta(days=6), as_of, "")
    if window is Window.LAST_30_DAYS:
        return Period(as_of - timedelta(days=29), as_of, "")
    return None


@dataclass
class Context:
    """One evaluation pass: its session, its day, and the figures already computed."""

    session: Session
    as_of: date
    _memo: dict[Hashable, Any] = field(default_factory=dict)

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        if key not in self._memo:
            self._memo[key] = compute()
        found: _T = self._memo[key]
        return found

    def structure(self) -> StructureRead:
        return self.memo("structure", lambda: structure_service.read_structure(self.session, SYSTEM))

    def labels(self) -> dict[tuple[Scope, str], str]:
        """(scope, code) -> label of the pôles and services, for the messages."""
        found = {(Scope.POLE, p.code): p.label for p in self.structure().poles}
        found.update({(Scope.SERVICE, s.code): s.label for s in self.structure().services})
        return found

    def service_poles(self) -> dict[str, str | None]:
        return {s.code: s.pole for s in self.structure().services}


Compute = Callable[[Context, Period | None, Scope, str | None], float | None]


@dataclass(frozen=True, slots=True)
class MetricProvider:
    metric: Metric
    label: str  # French: shown to the DIM in the webhook's message
    kind: Literal["rate", "count"]
    windows: tuple[Window, ...]  # the first one is the default
    scopes: tuple[Scope, ...]
    compute: Compute


PROVIDERS: dict[Metric, MetricProvider] = {}


def register(provider: MetricProvider) -> None:
    PROVIDERS[provider.metric] = provider


def provider_of(metric: Metric) -> MetricProvider | None:
    return PROVIDERS.get(metric)


# --- turnaround: the stays discharged in the period, as of the evaluation day ---------------------


@dataclass(frozen=True, slots=True)
class _Counts:
    """What the turnaround metrics need of a group: the on-time rate is on_time_j8 / closed."""

    on_time_j8: int
    closed: int  # stays whose window is closed (stays - pending)
    missing: int

    @property
    def rate(self) -> float | None:
        return self.on_time_j8 / self.closed if self.closed else None


def _turnaround(ctx: Context, period: Period) -> dict[tuple[Scope, str | None], _Counts]:
    """(scope, code) -> counts of the stays discharged in `period`, as of the evaluation day.

    One aggregate by service per period; a pôle's counts are the sum of its services' (the pôle of
    a service in the structure), so a pass costs one turnaround query per period, not two."""

    def load() -> dict[tuple[Scope, str | None], _Counts]:
        read = reports.turnaround(
            ctx.session,
            SYSTEM,
            reports.PeriodScope(period.start, period.end, ctx.as_of),
            group_by=GroupBy.SERVICE,
        )
        total = read.total
        found: dict[tuple[Scope, str | None], _Counts] = {
            (Scope.ALL, None): _Counts(total.on_time_j8, total.stays - total.pending, total.missing)
        }
        poles = ctx.service_poles()
        for row in read.rows:
            counts = _Counts(row.on_time_j8, row.stays - row.pending, row.missing)
            found[(Scope.SERVICE, row.group)] = counts
            pole = poles.get(row.group)
            if pole is not None:
                summed = found.get((Scope.POLE, pole), _Counts(0, 0, 0))
                found[(Scope.POLE, pole)] = _Counts(
                    summed.on_time_j8 + counts.on_time_j8,
                    summed.closed + counts.closed,
                    summed.missing + counts.missing,
                )
        return found

    return ctx.memo(("turnaround", period.start, period.end), load)


def _on_time_rate(ctx: Context, period: Period | None, scope: Scope, code: str | None) -> float | None:
    assert period is not None
    counts = _turnaround(ctx, period).get((scope, code))
    return None if counts is None else counts.rate


def _missing_reports(ctx: Context, period: Period | None, scope: Scope, code: str | None) -> float | None:
    assert period is not None
    counts = _turnaround(ctx, period).get((scope, code))
    return 0.0 if counts is None else float(counts.missing)


# --- findings: blocking findings still open (not reviewed, not closed) -----------------------------


def _blocking_findings(ctx: Context, period: Period | None, scope: Scope, code: str | None) -> float | None:
    def load() -> dict[str | None, int]:
        rows = rules_service.summarise(
            ctx.session,
            SYSTEM,
            date_from=period.start if period else None,
            date_to=period.end if period else None,
        )
        per_service: dict[str | None, int] = {}
        for row in rows:
            if row.severity is Severity.BLOCKING:
                per_service[row.service] = per_service.get(row.service, 0) + row.open
        return per_service

    key = ("findings", period.start if period else None, period.end if period else None)
    per_service = ctx.memo(key, load)
    if scope is Scope.ALL:
        return float(sum(per_service.values()))
    if scope is Scope.SERVICE:
        return float(per_service.get(code, 0))
    poles = ctx.service_poles()
    return float(
        sum(n for service, n in per_service.items() if service is not None and poles.get(service) == code)
    )


# --- ingestion: RUM batches with RSS rejected, by the day they were received ------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=HOSPITAL_TZ)


def _ingestion_failures(ctx: Context, period: Period | None, scope: Scope, code: str | None) -> float | None:
    since = _day_start(period.start) if period else None
    until = reports.day_end(period.end if period else ctx.as_of)
    count = ctx.memo(
        ("ingestion_failures", since, until),
        lambda: ingestion_reads.failed_batches(ctx.session, since=since, until=until),
    )
    return float(count)


# --- exhaustivity: stays discharged more than 30 days ago and still without an RSS --------------------


def _stays_not_coded(ctx: Context, period: Period | None, scope: Scope, code: str | None) -> float | None:
    # exhaustivity_service keeps its one aggregate (every scope) for the transaction: one query a pass.
    count = exhaustivity_service.stays_not_coded_over(
        ctx.session,
        days=30,
        as_of=ctx.as_of,
        pole=code if scope is Scope.POLE else None,
        service=code if scope is Scope.SERVICE else None,
    )
    return float(count)


_PERIODS = (Window.LAST_CLOSED_WEEK, Window.LAST_7_DAYS, Window.LAST_30_DAYS)
_GROUPED = (Scope.ALL, Scope.POLE, Scope.SERVICE)

register(
    MetricProvider(
        Metric.TURNAROUND_ON_TIME_RATE,
        "Taux de comptes rendus reçus sous 8 jours",
        "rate",
        _PERIODS,
        _GROUPED,
        _on_time_rate,
    )
)
register(
    MetricProvider(
        Metric.MISSING_REPORTS, "Comptes rendus manquants", "count", _PERIODS, _GROUPED, _missing_reports
    )
)
register(
    MetricProvider(
        Metric.STAYS_NOT_CODED_OVER_30_DAYS,
        "Séjours non codés plus de 30 jours après la sortie",
        "count",
        (Window.CURRENT,),
        _GROUPED,
        _stays_not_coded,
    )
)
register(
    MetricProvider(
        Metric.OPEN_BLOCKING_FINDINGS,
        "Anomalies bloquantes ouvertes",
        "count",
        (Window.CURRENT, *_PERIODS),
        _GROUPED,
        _blocking_findings,
    )
)
register(
    MetricProvider(
        Metric.INGESTION_FAILURES,
        "Lots RUM/RSS rejetés en tout ou partie",
        "count",
        (Window.LAST_7_DAYS, Window.LAST_CLOSED_WEEK, Window.LAST_30_DAYS, Window.CURRENT),
        (Scope.ALL,),
        _ingestion_failures,
    )
)
