"""What each page shows, built from the API's own services (the same scoping, the same figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup
from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.turnaround import reports
from app.turnaround.export import service_label
from app.turnaround.schemas import GroupBy, WeeklyReport
from app.web import charts, repository

TREND_WEEKS = 12


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def default_week(session: Session) -> str:
    """The last closed ISO week, or the week of the last discharge known when the data stops
    earlier (the demo year)."""
    week, monday, _sunday = reports.last_closed_week(reports.today())
    latest = repository.latest_discharge_date(session)
    if latest is not None and latest < monday:
        return iso_week(latest)
    return week


@dataclass(frozen=True, slots=True)
class ServiceTrend:
    service: str
    label: str | None
    rates_j8: list[float | None]
    sparkline: Markup


@dataclass(frozen=True, slots=True)
class WeeklyPage:
    report: WeeklyReport
    bars: Markup
    weeks: list[str]
    total_j0: list[float | None]
    total_j8: list[float | None]
    trend: Markup
    services: list[ServiceTrend]


def trend_weeks(week: str) -> list[tuple[str, date, date]]:
    """The TREND_WEEKS ISO weeks ending with `week`, oldest first."""
    monday, _ = reports.week_bounds(week)
    weeks = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        start = monday - timedelta(weeks=back)
        weeks.append((iso_week(start), start, start + timedelta(days=6)))
    return weeks


def weekly_page(session: Session, principal: Principal, *, week: str, detail: bool = False) -> WeeklyPage:
    """`detail`: with the late and missing stays (patient level: the report's service audits it)."""
    report = reports.weekly_report(session, principal, week=week, detail=detail).report
    bars = charts.bar_chart(
        [charts.Bars(service_label(row.service, row.label), row.rate_j0, row.rate_j8) for row in report.rows],
        ident="barres",
        title=f"Comptes rendus reçus à J0 et J8 par service, semaine {week}",
    )
    weeks = trend_weeks(week)
    per_service: dict[str, tuple[str | None, dict[str, float | None]]] = {}
    by_monday = {
        rates.monday: rates
        for rates in reports.weekly_rates(
            session, principal, first_monday=weeks[0][1], last_sunday=weeks[-1][2], group_by=GroupBy.SERVICE
        )
    }
    total_j0: list[float | None] = []
    total_j8: list[float | None] = []
    for name, monday, _sunday in weeks:
        found = by_monday.get(monday)
        total_j0.append(found.rate_j0 if found else None)
        total_j8.append(found.rate_j8 if found else None)
        for service, (label, _j0, j8) in (found.groups if found else {}).items():
            per_service.setdefault(service, (label, {}))[1][name] = j8
    names = [name for name, _, _ in weeks]
    services = []
    for index, (service, (label, rates)) in enumerate(sorted(per_service.items())):
        series = [rates.get(name) for name in names]
        services.append(
            ServiceTrend(
                service,
                label,
                series,
                charts.sparkline(
                    series, ident=f"tendance-{index}", title=f"Tendance J8, {service_label(service, label)}"
                ),
            )
        )
    trend = charts.trend_chart(
        names,
        total_j0,
        total_j8,
        ident="tendance",
        title=f"Taux J0 et J8 de l'hôpital, {TREND_WEEKS} semaines",
    )
    return WeeklyPage(report, bars, names, total_j0, total_j8, trend, services)


MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
QUARTER_CHOICES = 12  # quarters offered by the quarterly page's list, the latest first


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def default_quarter(session: Session) -> str:
    """The last closed quarter, or the quarter of the last discharge known when the data stops
    earlier (the demo year): the review is of a quarter whose reports had time to arrive."""
    today = reports.today()
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    closed = quarter_of(first_of_quarter - timedelta(days=1))
    latest = repository.latest_discharge_date(session)
    if latest is not None and latest < first_of_quarter - timedelta(days=1):
        return quarter_of(latest)
    return closed


def quarter_choices(latest: str, chosen: str) -> list[str]:
    """QUARTER_CHOICES quarters ending with `latest`, latest first, `chosen` included."""
    year, number = int(latest[:4]), int(latest[-1])
    found = []
    for _ in range(QUARTER_CHOICES):
        found.append(f"{year}-Q{number}")
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return found if chosen in found else [chosen, *found]


def quarter_label(quarter: str) -> str:
    """'2026-Q1' -> '1er trimestre 2026'."""
    number = int(quarter[-1])
    return f"{number}{'er' if number == 1 else 'e'} trimestre {quarter[:4]}"


def month_label(month: str) -> str:
    """'2026-01' -> 'janvier 2026'."""
    return f"{MONTHS_FR[int(month[5:7]) - 1]} {month[:4]}"
