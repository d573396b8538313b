"""API shapes of the turnaround domain (request bodies are in `json_events`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.problems import ProblemErrorItem
from app.core.schemas import StayDetail


class GroupBy(StrEnum):
    SERVICE = "service"
    POLE = "pole"
    UNIT = "unit"


class Attribution(StrEnum):
    """Which UM a stay is counted under: the one the patient left from (the contract's default),
    or the one of its admission."""

    DISCHARGE = "discharge"
    ADMISSION = "admission"


class CareType(StrEnum):
    COMPLETE = "complete"
    ZERO_DAY = "zero_day"
    SEANCE = "seance"


DEFAULT_CARE_TYPES: tuple[CareType, ...] = (CareType.COMPLETE, CareType.ZERO_DAY)
UNMAPPED = "unmapped"
ISO_WEEK_PATTERN = r"^\d{4}-W\d{2}$"


class EventsIngested(BaseModel):
    """Outcome of a JSON or FHIR event body."""

    accepted: int = Field(description="Events stored by this request")
    duplicates: int = Field(description="Events already stored with the same content: nothing changed")
    rejected: int = Field(description="Events (or body entries) refused; see `errors`")
    errors: list[ProblemErrorItem] = Field(
        description="One item per problem: line = 1-based event (JSON) or Bundle entry (FHIR) index"
    )


class TurnaroundCounts(BaseModel):
    stays: int = Field(description="Discharged stays of the period, in scope")
    on_time_j0: int = Field(description="Report received on the discharge day")
    on_time_j8: int = Field(description="Report received within 8 days (j0 included)")
    late: int = Field(description="Report received more than 8 days after discharge")
    missing: int = Field(description="No report and the 8-day window is closed")
    pending: int = Field(description="No report yet, window still open (left out of the rates)")
    rate_j0: float | None = Field(
        description="on_time_j0 / (stays - pending), a fraction from 0 to 1; null when no stay is closed"
    )
    rate_j8: float | None = Field(
        description="on_time_j8 / (stays - pending), a fraction from 0 to 1; null when no stay is closed"
    )
    median_delay_days: float | None = Field(description="Median delay of received reports (days)")
    p90_delay_days: int | None = Field(description="90th percentile (nearest rank) of the delays (days)")


class TurnaroundRow(TurnaroundCounts):
    group: str = Field(description="Service, pôle or UM code; `unmapped` when the UM is not in the structure")
    label: str | None = Field(description="Label from the structure")


# The head of a report on the stays discharged in a period (turnaround, exhaustivity): what was asked.
class StayPeriodRead(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    as_of: date
    group_by: GroupBy
    care_types: list[CareType]


class TurnaroundRead(StayPeriodRead):
    attribution: Attribution = Attribution.DISCHARGE
    rows: list[TurnaroundRow]
    total: TurnaroundCounts


class WeeklyRow(TurnaroundCounts):
    """A service's line of the weekly report: the figures of `/turnaround` grouped by service."""

    service: str = Field(description="Service code; `unmapped` when the UM is not in the structure")
    label: str | None = Field(description="Label from the structure")


class WeeklyStay(StayDetail):
    """A late or missing stay (patient-level: `detail=true`, roles dim and admin)."""

    discharge_date: date
    days_elapsed: int = Field(description="late: delay of the report; missing: days since discharge")


class StoredLateDocument(StayDetail):
    """A discharge-report event dimqa stored more than a day after the time its sender gives:
    the delay is the transmission's, not the service's (patient level, as the rest of the detail)."""

    document_id: str
    channel: str = Field(description="hl7v2, fhir, json or file")
    sent_at: datetime = Field(
        description="The time the sender gives (HL7 MSH-7, FHIR `date`, JSON `received_at`)"
    )
    stored_at: datetime = Field(description="When dimqa stored the event")
    lag_hours: float


class WeeklyDetail(BaseModel):
    late: list[WeeklyStay]
    missing: list[WeeklyStay]
    stored_late: list[StoredLateDocument] = Field(
        default_factory=list, description="Report events of the week's stays stored more than a day late"
    )


class WeeklyReport(BaseModel):
    week: str = Field(examples=["2022-W05"])
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    as_of: date
    care_types: list[CareType]
    attribution: Attribution = Attribution.DISCHARGE
    rows: list[WeeklyRow]
    total: TurnaroundCounts
    detail: WeeklyDetail | None = None


def parse_iso_week(week: str) -> tuple[date, date]:
    """'2022-W05' -> (Monday, Sunday); ValueError for a week that does not exist (2021-W53)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if match is None:
        raise ValueError(f"{week!r} is not an ISO week (YYYY-Www)")
    year, number = int(match[1]), int(match[2])
    monday = date.fromisocalendar(year, number, 1)
    return monday, date.fromisocalendar(year, number, 7)


def percent(rate: float | None) -> float | None:
    """A rate as a percentage rounded to 0.1, half up on its decimal writing (2/3 -> 66.7)."""
    if rate is None:
        return None
    return float(Decimal(str(rate * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
