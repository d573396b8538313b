"""Turnaround figures: `turnaround`, the weekly report, and the rates the gauges read.

The counting rules are in `classify`; the repository computes them in SQL over the derived
periods (`derivation`) as of a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.clock import HOSPITAL_TZ, hospital_today
from app.core.copying import copied
from app.core.dates import check_order, check_period
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
from app.core.schemas import StayDetail
from app.turnaround import reports_repository
from app.turnaround.classify import TurnaroundSummary, summarize
from app.turnaround.schemas import (
    DEFAULT_CARE_TYPES,
    Attribution,
    CareType,
    GroupBy,
    StoredLateDocument,
    TurnaroundCounts,
    TurnaroundRead,
    TurnaroundRow,
    WeeklyDetail,
    WeeklyReport,
    WeeklyRow,
    WeeklyStay,
    parse_iso_week,
)
from app.turnaround.settings import audit_ids, get_turnaround_settings

# The channel of a stored event, by its source; any other source (a file loader) is `file`.
CHANNELS: Final = {"hl7": "hl7v2", "fhir": "fhir", "json": "json"}


def today() -> date:
    return hospital_today()


def day_end(day: date) -> datetime:
    """Start of the next day in hospital time: 'received on or before `day`' is `< day_end(day)`."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=HOSPITAL_TZ)


def parse_care_types(raw: str | None) -> tuple[CareType, ...]:
    if raw is None or not raw.strip():
        return DEFAULT_CARE_TYPES
    chosen: list[CareType] = []
    for part in raw.split(","):
        name = part.strip()
        try:
            care_type = CareType(name)
        except ValueError:
            allowed = ", ".join(c.value for c in CareType)
            raise InvalidInput(
                f"unknown care type {name!r} (allowed: {allowed})",
                errors=[LineError(None, "care_types", "invalid_value", f"{name!r} is not one of {allowed}")],
            ) from None
        if care_type not in chosen:
            chosen.append(care_type)
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class PeriodScope:
    """The stays a report on a period counts (turnaround, exhaustivity): discharged from
    `date_from` to `date_to` (inclusive), of `care_types`, as they stood at the end of `as_of`
    (default today). The caller's units narrow them further (`params`)."""

    date_from: date
    date_to: date
    as_of: date | None = None
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES

    @classmethod
    def of_query(
        cls, date_from: date, date_to: date, as_of: date | None, care_types: str | None
    ) -> PeriodScope:
        """The scope a route's query asks for, `care_types` as written there (comma-separated)."""
        return cls(date_from, date_to, as_of, parse_care_types(care_types))


def params(
    principal: Principal | None, scope: PeriodScope, attribution: Attribution = Attribution.DISCHARGE
) -> reports_repository.TurnaroundParams:
    """The repository's parameters of `scope` for `principal` (None: every unit): its clock, the
    configured discharge-report types, the caller's units."""
    check_order(scope.date_from, scope.date_to)
    as_of = scope.as_of or today()
    settings = get_turnaround_settings()
    return reports_repository.TurnaroundParams(
        date_from=scope.date_from,
        date_to=scope.date_to,
        as_of=as_of,
        as_of_end=day_end(as_of),
        care_types=tuple(c.value for c in scope.care_types),
        report_types=settings.report_types(),
        report_key=settings.report_key(),
        units=principal.units if principal is not None else None,
        attribution=attribution.value,
    )


def summary_of(row: Any) -> TurnaroundSummary:
    """The figures of an aggregate row (`reports_repository.TURNAROUND_AGGREGATES`)."""
    return copied(TurnaroundSummary, row)


# The total of an aggregate without rows: the figures of no stay (zero counts, no rate, no delay).
_EMPTY: Final = summarize([])


def summarize_groups(
    session: Session, params: reports_repository.TurnaroundParams, group_by: GroupBy
) -> tuple[list[tuple[str, str | None, TurnaroundSummary]], TurnaroundSummary]:
    """(group, label, summary) per group and the total, from one SQL aggregate."""
    return summaries_of(reports_repository.turnaround_groups(session, params, group_by=group_by.value))


def summaries_of(
    rows: Sequence[Any],
) -> tuple[list[tuple[str, str | None, TurnaroundSummary]], TurnaroundSummary]:
    """(group, label, summary) per group row and the total row's (`is_total`) of an aggregate."""
    groups = [(row.group, row.label, summary_of(row)) for row in rows if not row.is_total]
    total = next((summary_of(row) for row in rows if row.is_total), _EMPTY)
    return groups, total


def audit_detail(session: Session, principal: Principal, listed: Sequence[StayDetail]) -> None:
    """Audit a report's patient-level detail (`detail=true`): a read of the stays it lists (each
    once), under the UMs the report counts them in."""
    audit_service.record(
        session,
        principal,
        action="read",
        object_type="stay",
        object_ids=audit_ids(dict.fromkeys(s.stay_number for s in listed)),
        units=[s.unit for s in listed],
    )


def turnaround(
    session: Session,
    principal: Principal,
    scope: PeriodScope,
    *,
    group_by: GroupBy = GroupBy.SERVICE,
    attribution: Attribution = Attribution.DISCHARGE,
) -> TurnaroundRead:
    """Turnaround of the stays of `scope`, each stay under the UM it left from, or with
    `attribution=admission` the UM of its admission."""
    turnaround_params = params(principal, scope, attribution)
    groups, total = summarize_groups(session, turnaround_params, group_by)
    # The head (from, to, as_of, attribution) is what the figures were computed with.
    return copied(
        TurnaroundRead,
        turnaround_params,
        group_by=group_by,
        care_types=list(scope.care_types),
        rows=[TurnaroundRow(group=group, label=label, **summary) for group, label, summary in groups],
        total=TurnaroundCounts(**total),
    )


@dataclass(frozen=True, slots=True)
class WeekRates:
    """One ISO week of a trend: the scope's J0/J8 rates and each group's (group -> label, j0, j8)."""

    monday: date
    rate_j0: float | None
    rate_j8: float | None
    groups: dict[str, tuple[str | None, float | None, float | None]]


def weekly_rates(
    session: Session,
    principal: Principal,
    *,
    first_monday: date,
    last_sunday: date,
    as_of: date | None = None,
    group_by: GroupBy = GroupBy.SERVICE,
) -> list[WeekRates]:
    """The J0/J8 rates of each ISO week from `first_monday` to `last_sunday`, per group and in
    total, in one aggregate (the counting of `turnaround`); a week without stays is absent."""
    weeks_params = params(principal, PeriodScope(first_monday, last_sunday, as_of))
    weeks: dict[date, WeekRates] = {}
    for row in reports_repository.turnaround_weekly_rates(session, weeks_params, group_by=group_by.value):
        week = weeks.setdefault(row.week_start, WeekRates(row.week_start, None, None, {}))
        if row.is_total:
            weeks[row.week_start] = WeekRates(row.week_start, row.rate_j0, row.rate_j8, week.groups)
        else:
            week.groups[row.group] = (row.label, row.rate_j0, row.rate_j8)
    return list(weeks.values())


@dataclass(frozen=True, slots=True)
class WeeklyData:
    """The weekly report with the unrounded rates the spreadsheet needs."""

    report: WeeklyReport
    summaries: list[tuple[str, str | None, TurnaroundSummary]]
    total: TurnaroundSummary


def week_bounds(week: str) -> tuple[date, date]:
    try:
        monday, sunday = parse_iso_week(week)
    except ValueError as exc:
        raise InvalidInput(
            f"{week!r} is not an existing ISO week",
            errors=[LineError(None, "week", "invalid_week", str(exc))],
        ) from None
    return check_period("week", week, monday, sunday)


def weekly_report(
    session: Session,
    principal: Principal,
    *,
    week: str,
    as_of: date | None = None,
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES,
    detail: bool = False,
    attribution: Attribution = Attribution.DISCHARGE,
) -> WeeklyData:
    """The weekly deliverable: per service, stays discharged in the ISO week and their reports
    (service of the discharge UM, or of the admission UM with `attribution=admission`). With
    `detail`, the late and missing stays are listed: a patient-level read, audited."""
    monday, sunday = week_bounds(week)
    week_params = params(principal, PeriodScope(monday, sunday, as_of, care_types), attribution)
    groups, total = summarize_groups(session, week_params, GroupBy.SERVICE)
    stays: WeeklyDetail | None = None
    if detail:
        late: list[WeeklyStay] = []
        missing: list[WeeklyStay] = []
        for row in reports_repository.late_and_missing_stays(session, week_params):
            item = WeeklyStay.model_validate(row, from_attributes=True)
            (late if row.status == "late" else missing).append(item)
        stored_late = [
            copied(
                StoredLateDocument,
                row,
                channel=CHANNELS.get(row.source, "file"),
                sent_at=row.received_at,
                stored_at=row.recorded_at,
                lag_hours=(row.recorded_at - row.received_at).total_seconds() / 3600,
            )
            for row in reports_repository.stored_late_documents(session, week_params)
        ]
        stays = WeeklyDetail(late=late, missing=missing, stored_late=stored_late)
        audit_detail(session, principal, [*late, *missing, *stored_late])
    report = WeeklyReport(
        week=week,
        date_from=monday,
        date_to=sunday,
        as_of=week_params.as_of,
        care_types=list(care_types),
        attribution=attribution,
        rows=[WeeklyRow(service=group, label=label, **summary) for group, label, summary in groups],
        total=TurnaroundCounts(**total),
        detail=stays,
    )
    return WeeklyData(report, groups, total)


def last_closed_week(on: date) -> tuple[str, date, date]:
    """The ISO week before the one holding `on` (the current week is not closed yet)."""
    previous = on - timedelta(days=7)
    year, number, _ = previous.isocalendar()
    monday = date.fromisocalendar(year, number, 1)
    return f"{year}-W{number:02d}", monday, monday + timedelta(days=6)


def service_rates_last_week(session: Session) -> dict[str, tuple[float | None, float | None]]:
    """service -> (rate_j0, rate_j8) for the last closed ISO week, as of today (for the gauges)."""
    _week, monday, sunday = last_closed_week(today())
    groups, _total = summarize_groups(session, params(None, PeriodScope(monday, sunday)), GroupBy.SERVICE)
    return {group: (summary["rate_j0"], summary["rate_j8"]) for group, _label, summary in groups}
