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

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.dates import MIN_DATE
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
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
from app.turnaround.reports_repository import TurnaroundParams
from app.turnaround.schemas import DEFAULT_CARE_TYPES, CareType, GroupBy
from app.turnaround.settings import audit_ids, get_turnaround_settings

# The gauges' window: the stays discharged in the last year.
LOOKBACK_DAYS: Final = 365
# A document stored more than this after the time its sender gives is a transmission problem.
LATE_STORAGE: Final = timedelta(days=1)


def params(
    principal: Principal | None,
    *,
    date_from: date,
    date_to: date,
    as_of: date | None,
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES,
) -> TurnaroundParams:
    """The turnaround's parameters for a period: same stays, clock and unit scoping."""
    if date_to < date_from:
        raise InvalidInput(
            "`to` is before `from`",
            errors=[LineError(None, "to", "invalid_period", "`to` must be on or after `from`")],
        )
    as_of = as_of or turnaround_reports.today()
    settings = get_turnaround_settings()
    return TurnaroundParams(
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        as_of_end=turnaround_reports.day_end(as_of),
        care_types=tuple(c.value for c in care_types),
        report_types=settings.report_types(),
        report_key=settings.report_key(),
        units=principal.units if principal is not None else None,
    )


def _counts(row: Any) -> dict[str, Any]:
    return {
        "stays": row.stays,
        "coded": row.coded,
        "not_coded": row.not_coded,
        "not_coded_over_30_days": row.not_coded_over,
        "coding_delay_median_days": row.coding_delay_median_days,
        "coding_delay_p90_days": row.coding_delay_p90_days,
        "rate_coded": row.rate_coded,
    }


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
    groups = [
        ExhaustivityRow(group=row.group, label=row.label, **_counts(row)) for row in rows if not row.is_total
    ]
    total = next((ExhaustivityCounts(**_counts(row)) for row in rows if row.is_total), EMPTY)
    return groups, total


def exhaustivity(
    session: Session,
    principal: Principal,
    *,
    date_from: date,
    date_to: date,
    as_of: date | None = None,
    group_by: GroupBy = GroupBy.SERVICE,
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES,
    detail: bool = False,
) -> ExhaustivityRead:
    """Coding exhaustivity of the stays discharged in [date_from, date_to], as of `as_of`."""
    turnaround_params = params(
        principal, date_from=date_from, date_to=date_to, as_of=as_of, care_types=care_types
    )
    rows, total = summarize(session, turnaround_params, group_by)
    stays = None
    if detail:
        stays = [
            NotCodedStay.model_validate(row, from_attributes=True)
            for row in repository.not_coded_stays(session, turnaround_params)
        ]
        audit_service.record(
            session,
            principal,
            action="read",
            object_type="stay",
            object_ids=audit_ids(stay.stay_number for stay in stays),
            units=[stay.unit for stay in stays],
        )
    return ExhaustivityRead(
        date_from=date_from,
        date_to=date_to,
        as_of=turnaround_params.as_of,
        group_by=group_by,
        care_types=list(care_types),
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
    turnaround_params = params(None, date_from=MIN_DATE, date_to=last_discharge, as_of=as_of)
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
    turnaround_params = params(
        None, date_from=as_of - timedelta(days=LOOKBACK_DAYS), date_to=as_of, as_of=as_of
    )
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


def _transmission_counts(row: Any) -> dict[str, Any]:
    return {
        "documents": row.documents,
        "stored_late": row.stored_late,
        "lag_median_hours": row.lag_median_hours,
        "lag_p90_hours": row.lag_p90_hours,
    }


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
            TransmissionRow(
                channel=Channel(row.channel),
                service=row.service,
                label=labels.get(row.service),
                **_transmission_counts(row),
            )
            for row in rows
            if not row.all_channels and not row.all_services
        ],
        channels={
            Channel(row.channel).value: TransmissionCounts(**_transmission_counts(row))
            for row in rows
            if not row.all_channels and row.all_services
        },
        services={
            row.service: TransmissionCounts(**_transmission_counts(row))
            for row in rows
            if row.all_channels and not row.all_services
        },
        total=next(
            (
                TransmissionCounts(**_transmission_counts(row))
                for row in rows
                if row.all_channels and row.all_services
            ),
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
