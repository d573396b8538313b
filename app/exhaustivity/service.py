"""Coding exhaustivity and report transmission.

Exhaustivity: the stays the turnaround counts (from movements, or an RSS; séances apart unless
asked; the same `as_of` clock and unit scoping, docs/turnaround.md) compared with the RSS received.
A stay is coded when an RSS in force at the end of `as_of` carries its N° administratif; its
coding delay is the first reception of such an RSS − the discharge date (negative counts as 0).

Transmission: the discharge-report events dimqa stored over a window, per channel and service,
with the lag between the time the sender gives (HL7 MSH-7, FHIR `date`, JSON `received_at`) and
the time dimqa stored the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.copying import copied
from app.core.dates import MIN_DATE
from app.exhaustivity import repository
from app.exhaustivity.schemas import (
    OVERDUE_DAYS,
    Channel,
    ExhaustivityCounts,
    ExhaustivityRead,
    ExhaustivityRow,
    NotCodedStay,
    TransmissionCounts,
    TransmissionRead,
    TransmissionRow,
)
from app.turnaround import reports as turnaround_reports
from app.turnaround.reports import PeriodScope
from app.turnaround.reports_repository import TurnaroundParams
from app.turnaround.schemas import GroupBy
from app.turnaround.settings import get_turnaround_settings

# The gauges' window: the stays discharged in the last year.
LOOKBACK_DAYS: Final = 365
# A document stored more than this after the time its sender gives is a transmission problem.
LATE_STORAGE: Final = timedelta(days=1)


# The turnaround's parameters of a period: the same stays, clock and unit scoping.
params = turnaround_reports.params


EMPTY: Final = ExhaustivityCounts(
    stays=0,
    coded=0,
    not_coded=0,
    not_coded_over_30_days=0,
    coding_delay_median_days=None,
    coding_delay_p90_days=None,
    rate_coded=None,
)


def summarize(
    session: Session,
    turnaround_params: TurnaroundParams,
    group_by: GroupBy,
    *,
    overdue_days: int = OVERDUE_DAYS,
) -> tuple[list[ExhaustivityRow], ExhaustivityCounts]:
    """Rows per group and the total, from one SQL aggregate."""
    return exhaustivity_of(
        repository.exhaustivity_groups(
            session, turnaround_params, group_by=group_by.value, overdue_days=overdue_days
        )
    )


def exhaustivity_of(rows: Sequence[Any]) -> tuple[list[ExhaustivityRow], ExhaustivityCounts]:
    """Rows per group and the total row's (`is_total`) of an exhaustivity aggregate."""
    # The aggregate names `not_coded_over` what the API calls `not_coded_over_30_days`.
    groups = [
        copied(ExhaustivityRow, row, not_coded_over_30_days=row.not_coded_over)
        for row in rows
        if not row.is_total
    ]
    total = next(
        (
            copied(ExhaustivityCounts, row, not_coded_over_30_days=row.not_coded_over)
            for row in rows
            if row.is_total
        ),
        EMPTY,
    )
    return groups, total


def exhaustivity(
    session: Session,
    principal: Principal,
    scope: PeriodScope,
    *,
    group_by: GroupBy = GroupBy.SERVICE,
    detail: bool = False,
) -> ExhaustivityRead:
    """Coding exhaustivity of the stays of `scope` (discharged in [date_from, date_to], as of `as_of`)."""
    turnaround_params = params(principal, scope)
    rows, total = summarize(session, turnaround_params, group_by)
    stays = None
    if detail:
        stays = [
            NotCodedStay.model_validate(row, from_attributes=True)
            for row in repository.not_coded_stays(session, turnaround_params)
        ]
        turnaround_reports.audit_detail(session, principal, stays)
    # The head (from, to, as_of) is what the figures were computed with.
    return copied(
        ExhaustivityRead,
        turnaround_params,
        group_by=group_by,
        care_types=list(scope.care_types),
        rows=rows,
        total=total,
        detail=stays,
    )


def stays_not_coded_over(
    session: Session,
    *,
    days: int = OVERDUE_DAYS,
    as_of: date,
    pole: str | None = None,
    service: str | None = None,
) -> int:
    """Stays not coded as of `as_of` and discharged more than `days` days before it, for the
    whole hospital, a pôle or a service (every unit; séances apart). Every discharge dimqa knows
    counts, however old: a stay never coded is lost to the PMSI whatever its age.

    One aggregate gives every scope; it is kept for the rest of the transaction, so an evaluation
    of many alert rules (or the gauges) costs one query per (as_of, days)."""
    session.connection()  # begins the transaction the memo belongs to, if none is open yet
    transaction = session.get_transaction()
    memo: _OverdueMemo | None = session.info.get(_OVERDUE_MEMO)
    if memo is None or memo.transaction is not transaction:
        memo = _OverdueMemo(transaction)
        session.info[_OVERDUE_MEMO] = memo
    counts = memo.counts.get((as_of, days))
    if counts is None:
        counts = memo.counts[(as_of, days)] = overdue_counts(session, days=days, as_of=as_of)
    if service is not None:
        return counts.get(("service", service), 0)
    if pole is not None:
        return counts.get(("pole", pole), 0)
    return counts.get(("all", ""), 0)


_OVERDUE_MEMO: Final = "dimqa.exhaustivity.not_coded_over"


@dataclass(slots=True)
class _OverdueMemo:
    """The counts of one transaction: (as_of, days) -> {(scope kind, code): stays}."""

    transaction: object
    counts: dict[tuple[date, int], dict[tuple[str, str], int]] = field(default_factory=dict)


def overdue_counts(session: Session, *, days: int, as_of: date) -> dict[tuple[str, str], int]:
    """{("all", ""): n, ("pole", code): n, ("service", code): n}: the stays not coded more than
    `days` days after their discharge, as of `as_of`, every discharge dimqa knows."""
    last_discharge = as_of - timedelta(days=days + 1)
    if last_discharge < MIN_DATE:
        return {}
    turnaround_params = params(None, PeriodScope(MIN_DATE, last_discharge, as_of))
    counts: dict[tuple[str, str], int] = {}
    for row in repository.not_coded_over_by_scope(session, turnaround_params, overdue_days=days):
        if row.all_poles and row.all_services:
            counts[("all", "")] = row.stays
        elif row.all_services:
            counts[("pole", row.pole)] = row.stays
        else:
            counts[("service", row.service)] = row.stays
    return counts


def not_coded_by_service(session: Session, *, as_of: date) -> list[ExhaustivityRow]:
    """Per service: the stays of the LOOKBACK_DAYS before `as_of`, coded or not (for the gauges)."""
    turnaround_params = params(None, PeriodScope(as_of - timedelta(days=LOOKBACK_DAYS), as_of, as_of))
    rows, _total = summarize(session, turnaround_params, GroupBy.SERVICE)
    return rows


# --------------------------------------------------------------------------- transmission


def transmission_params(
    principal: Principal | None,
    *,
    first_day: date,
    last_day: date,
    basis: Literal["recorded", "received"] = "recorded",
) -> repository.TransmissionParams:
    """Events whose `basis` time (storage, or the sender's) falls from the start of `first_day`
    to the end of `last_day`, hospital time."""
    return repository.TransmissionParams(
        window_from=turnaround_reports.day_end(first_day - timedelta(days=1)),
        window_until=turnaround_reports.day_end(last_day),
        report_types=get_turnaround_settings().report_types(),
        units=principal.units if principal is not None else None,
        late_seconds=int(LATE_STORAGE.total_seconds()),
        basis=basis,
    )


EMPTY_TRANSMISSION: Final = TransmissionCounts(
    documents=0, stored_late=0, lag_median_hours=None, lag_p90_hours=None
)


@dataclass(frozen=True, slots=True)
class TransmissionFigures:
    rows: list[TransmissionRow]  # per (channel, service)
    channels: dict[str, TransmissionCounts]  # channel -> figures
    services: dict[str, TransmissionCounts]
    total: TransmissionCounts


def transmission_figures(
    session: Session, transmission: repository.TransmissionParams
) -> TransmissionFigures:
    """The transmission figures of a window, from one SQL aggregate."""
    rows = repository.transmission_groups(session, transmission)
    return transmission_figures_of(rows, transmission_labels(session, rows))


def transmission_labels(session: Session, rows: Sequence[Any]) -> dict[str, str]:
    """The labels of the services of transmission aggregate rows."""
    return repository.service_labels(
        session, codes=sorted({row.service for row in rows if row.service is not None})
    )


def transmission_figures_of(rows: Sequence[Any], labels: dict[str, str]) -> TransmissionFigures:
    """The figures of the rows of one window's transmission aggregate (`transmission_groups`)."""
    return TransmissionFigures(
        rows=[
            copied(TransmissionRow, row, channel=Channel(row.channel), label=labels.get(row.service))
            for row in rows
            if not row.all_channels and not row.all_services
        ],
        channels={
            Channel(row.channel).value: copied(TransmissionCounts, row)
            for row in rows
            if not row.all_channels and row.all_services
        },
        services={
            row.service: copied(TransmissionCounts, row)
            for row in rows
            if row.all_channels and not row.all_services
        },
        total=next(
            (copied(TransmissionCounts, row) for row in rows if row.all_channels and row.all_services),
            EMPTY_TRANSMISSION,
        ),
    )


def transmission(
    session: Session, principal: Principal, *, days: int, as_of: date | None = None
) -> TransmissionRead:
    """Discharge-report events stored over the `days` days ending with `as_of` (default today)."""
    as_of = as_of or turnaround_reports.today()
    first = as_of - timedelta(days=days - 1)
    figures = transmission_figures(session, transmission_params(principal, first_day=first, last_day=as_of))
    return TransmissionRead(
        days=days,
        date_from=first,
        as_of=as_of,
        rows=figures.rows,
        channels=figures.channels,
        total=figures.total,
    )


def lag_hours(received_at: datetime, recorded_at: datetime) -> float:
    """Storage lag of one event, hours (negative counts as 0)."""
    return max(0.0, (recorded_at - received_at).total_seconds() / 3600)
