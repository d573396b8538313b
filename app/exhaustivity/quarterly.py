"""The quarterly review (tender §6.2): per service and month, the turnaround of discharge
reports, the coding exhaustivity and the transmission of reports, beside the previous quarter.

Each figure comes from the aggregate of its own domain, run per month and per quarter (medians
do not add up): the turnaround and the exhaustivity over the stays discharged in the period,
the transmission over the discharge-report events the senders dated in it (their own clock: a
back-load stored this quarter of reports sent in the last one shows in the last one, with its
lag). Everything as of the same `as_of`.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.dates import check_period
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
from app.exhaustivity import repository, service
from app.exhaustivity.schemas import (
    OVERDUE_DAYS,
    Channel,
    ExhaustivityCounts,
    ExhaustivityRow,
    MonthFigures,
    QuarterlyMonth,
    QuarterlyRead,
    QuarterlyService,
    TransmissionCounts,
    parse_quarter,
)
from app.turnaround import reports as turnaround_reports
from app.turnaround.classify import TurnaroundSummary
from app.turnaround.schemas import GroupBy

LARGEST_FALLS: Final = 5
ALL: Final = "all"  # the service code of the whole hospital's figures


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of '2026-Q1'; a 422 problem for a quarter out of the accepted range."""
    try:
        year, number = parse_quarter(quarter)
    except ValueError as exc:
        raise InvalidInput(
            f"{quarter!r} is not a quarter", errors=[LineError(None, "quarter", "invalid_quarter", str(exc))]
        ) from None
    first = date(max(year, 1), 3 * number - 2, 1)
    last = date(first.year, 3 * number, monthrange(first.year, 3 * number)[1])
    return check_period("quarter", quarter, first, last)


def previous_quarter(quarter: str) -> str:
    year, number = parse_quarter(quarter)
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


def months(first: date) -> list[tuple[str, date, date]]:
    """(YYYY-MM, first day, last day) of the quarter starting on `first`."""
    found = []
    for offset in range(3):
        month = first.month + offset
        start = date(first.year, month, 1)
        found.append((f"{start:%Y-%m}", start, date(first.year, month, monthrange(first.year, month)[1])))
    return found


@dataclass(slots=True)
class _Period:
    """Every service's figures over one period (a month or a quarter), and the total."""

    services: dict[str, MonthFigures]
    labels: dict[str, str | None]
    total: MonthFigures


def _figures(
    turnaround: TurnaroundSummary | None,
    coding: ExhaustivityCounts | None,
    transmitted: TransmissionCounts | None,
    mix: dict[str, int],
) -> MonthFigures:
    return MonthFigures(
        stays=turnaround["stays"] if turnaround else 0,
        reports_within_8_days=turnaround["on_time_j8"] if turnaround else 0,
        late=turnaround["late"] if turnaround else 0,
        missing=turnaround["missing"] if turnaround else 0,
        rate_j8=turnaround["rate_j8"] if turnaround else None,
        median_delay_days=turnaround["median_delay_days"] if turnaround else None,
        rate_coded=coding.rate_coded if coding else None,
        not_coded=coding.not_coded if coding else 0,
        documents=transmitted.documents if transmitted else 0,
        channel_mix={channel.value: mix.get(channel.value, 0) for channel in Channel},
        lag_median_hours=transmitted.lag_median_hours if transmitted else None,
        lag_p90_hours=transmitted.lag_p90_hours if transmitted else None,
    )


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """The three domains' figures of one period (a month or a quarter), per service and in all."""

    turnaround: list[tuple[str, str | None, TurnaroundSummary]]
    turnaround_total: TurnaroundSummary
    coding: list[ExhaustivityRow]
    coding_total: ExhaustivityCounts
    transmitted: service.TransmissionFigures


def period_figures(
    session: Session, principal: Principal, as_of: date, first: date, last: date
) -> PeriodFigures:
    """One period's figures from each domain's own report aggregate (three statements): the
    reference the review's one-pass `periods_figures` is tested against."""
    params = service.params(principal, turnaround_reports.PeriodScope(first, last, as_of))
    turnaround, turnaround_total = turnaround_reports.summarize_groups(session, params, GroupBy.SERVICE)
    coding, coding_total = service.summarize(session, params, GroupBy.SERVICE)
    transmitted = service.transmission_figures(
        session, service.transmission_params(principal, first_day=first, last_day=last, basis="received")
    )
    return PeriodFigures(turnaround, turnaround_total, coding, coding_total, transmitted)


def periods_figures(
    session: Session, principal: Principal, as_of: date, periods: list[tuple[str, date, date]]
) -> dict[str, PeriodFigures]:
    """The figures of each period (label, first day, last day; months and quarters may overlap)
    from two statements: the stays of the whole span classified once, and its events read once.

    Each period's figures are those of `period_figures` (medians are computed per period, never
    summed) but for one case: a stay number carried by RSS of different rss_number exiting in
    different periods (a stay's RSS is chosen among those exiting near the span)."""
    first = min(starts for _, starts, _ in periods)
    last = max(ends for _, _, ends in periods)
    params = service.params(principal, turnaround_reports.PeriodScope(first, last, as_of))
    stays: dict[str, list[Any]] = {label: [] for label, _, _ in periods}
    for row in repository.period_groups(session, params, periods, overdue_days=OVERDUE_DAYS):
        stays[row.period].append(row)
    windows = []
    for label, starts, ends in periods:
        window = service.transmission_params(principal, first_day=starts, last_day=ends, basis="received")
        windows.append((label, window.window_from, window.window_until))
    span = service.transmission_params(principal, first_day=first, last_day=last, basis="received")
    events = repository.period_transmission_groups(session, span, windows)
    labels = service.transmission_labels(session, events)
    transmitted: dict[str, list[Any]] = {label: [] for label, _, _ in periods}
    for row in events:
        transmitted[row.period].append(row)
    found = {}
    for label, _, _ in periods:
        turnaround, turnaround_total = turnaround_reports.summaries_of(stays[label])
        coding, coding_total = service.exhaustivity_of(stays[label])
        found[label] = PeriodFigures(
            turnaround,
            turnaround_total,
            coding,
            coding_total,
            service.transmission_figures_of(transmitted[label], labels),
        )
    return found


def _period(figures: PeriodFigures) -> _Period:
    transmitted = figures.transmitted
    labels: dict[str, str | None] = {group: label for group, label, _ in figures.turnaround}
    labels.update({row.group: row.label for row in figures.coding})
    labels.update({row.service: row.label for row in transmitted.rows})
    by_turnaround = {group: summary for group, _, summary in figures.turnaround}
    by_coding = {row.group: row for row in figures.coding}
    mixes: dict[str, dict[str, int]] = {}
    for row in transmitted.rows:
        mixes.setdefault(row.service, {})[row.channel.value] = row.documents
    total_mix = {channel: counts.documents for channel, counts in transmitted.channels.items()}
    return _Period(
        services={
            code: _figures(
                by_turnaround.get(code),
                by_coding.get(code),
                transmitted.services.get(code),
                mixes.get(code, {}),
            )
            for code in labels
        },
        labels=labels,
        total=_figures(figures.turnaround_total, figures.coding_total, transmitted.total, total_mix),
    )


def _sorted_services(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes), key=lambda code: (code == "unmapped", code))


def quarterly_review(
    session: Session, principal: Principal, *, quarter: str, as_of: date | None = None
) -> QuarterlyRead:
    """The quarterly review of `quarter` ('2026-Q1') as of `as_of` (default today)."""
    first, last = quarter_bounds(quarter)
    before = previous_quarter(quarter)
    previous_first, previous_last = quarter_bounds(before)
    as_of = as_of or turnaround_reports.today()
    periods = [*months(first), (quarter, first, last), (before, previous_first, previous_last)]
    return review(as_of, periods, periods_figures(session, principal, as_of, periods))


def review(
    as_of: date, periods: list[tuple[str, date, date]], figures: dict[str, PeriodFigures]
) -> QuarterlyRead:
    """The review from the figures of its `periods`: the quarter's three months, the quarter, the
    previous quarter (label, first day, last day), in that order."""
    (quarter, first, last), (before, _, _) = periods[3], periods[4]
    monthly = [(label, _period(figures[label])) for label, _, _ in periods[:3]]
    current = _period(figures[quarter])
    previous = _period(figures[before])
    empty = _figures(None, None, None, {})
    labels = {**previous.labels, **current.labels}
    for _, period in monthly:
        labels.update(period.labels)
    services = [
        _service(
            code,
            labels[code],
            [(month, period.services.get(code, empty)) for month, period in monthly],
            current.services.get(code, empty),
            previous.services.get(code, empty),
        )
        for code in _sorted_services(labels)
    ]
    falls = sorted(
        (s for s in services if s.on_time_change is not None and s.on_time_change < 0),
        key=lambda s: (s.on_time_change, s.service),
    )[:LARGEST_FALLS]
    return QuarterlyRead(
        quarter=quarter,
        previous_quarter=before,
        date_from=first,
        date_to=last,
        as_of=as_of,
        services=services,
        hospital=_service(
            ALL, None, [(month, period.total) for month, period in monthly], current.total, previous.total
        ),
        largest_falls=[s.service for s in falls],
    )


def _service(
    code: str,
    label: str | None,
    monthly: list[tuple[str, MonthFigures]],
    now: MonthFigures,
    then: MonthFigures,
) -> QuarterlyService:
    change = now.rate_j8 - then.rate_j8 if now.rate_j8 is not None and then.rate_j8 is not None else None
    return QuarterlyService(
        service=code,
        label=label,
        months=[QuarterlyMonth(month=month, figures=figures) for month, figures in monthly],
        quarter=now,
        previous_quarter=then,
        on_time_change=change,
    )
