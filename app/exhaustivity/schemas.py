"""API shapes of the exhaustivity domain: coding exhaustivity, report transmission, quarterly review."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.schemas import StayDetail
from app.turnaround.schemas import StayPeriodRead

QUARTER_PATTERN = r"^\d{4}-Q[1-4]$"
OVERDUE_DAYS = 30  # "not coded over 30 days": discharged more than 30 days before as_of


class Channel(StrEnum):
    """How a document reached dimqa: the stored event's source."""

    HL7V2 = "hl7v2"
    FHIR = "fhir"
    JSON = "json"
    FILE = "file"


class ExhaustivityCounts(BaseModel):
    stays: int = Field(description="Discharged stays of the period, in scope (from movements or an RSS)")
    coded: int = Field(description="Stays with an RSS in force at as_of carrying their N° administratif")
    not_coded: int = Field(description="Stays without such an RSS")
    not_coded_over_30_days: int = Field(
        description="Stays not coded and discharged more than 30 days before as_of"
    )
    coding_delay_median_days: float | None = Field(
        description="Median of (first reception of the stay's RSS − discharge date), coded stays (days)"
    )
    coding_delay_p90_days: int | None = Field(
        description="90th percentile (nearest rank) of the coding delays"
    )
    rate_coded: float | None = Field(description="coded / stays, a fraction from 0 to 1; null without stays")


class ExhaustivityRow(ExhaustivityCounts):
    group: str = Field(description="Service, pôle or UM code; `unmapped` when the UM is not in the structure")
    label: str | None = Field(description="Label from the structure")


class NotCodedStay(StayDetail):
    """A stay not coded as of `as_of` (patient level: `detail=true`, roles dim and admin)."""

    discharge_date: date
    days_since_discharge: int


class ExhaustivityRead(StayPeriodRead):
    rows: list[ExhaustivityRow]
    total: ExhaustivityCounts
    detail: list[NotCodedStay] | None = Field(
        default=None, description="`detail=true`: the stays not coded, oldest discharge first"
    )


class TransmissionCounts(BaseModel):
    documents: int = Field(description="Discharge-report events stored in the window")
    stored_late: int = Field(description="Events stored more than a day after the time their sender gives")
    lag_median_hours: float | None = Field(
        description="Median of (storage by dimqa − time the sender gives: HL7 MSH-7, FHIR `date`, JSON "
        "`received_at`), hours; a negative lag (sender's clock ahead) counts as 0"
    )
    lag_p90_hours: float | None = Field(description="90th percentile (nearest rank) of the lags, hours")


class TransmissionRow(TransmissionCounts):
    channel: Channel
    service: str = Field(description="Service of the document's UM (else of the stay's discharge UM)")
    label: str | None = None


class TransmissionRead(BaseModel):
    days: int = Field(description="Window: events stored in the `days` days ending with as_of")
    date_from: date = Field(serialization_alias="from", description="First storage date of the window")
    as_of: date
    rows: list[TransmissionRow]
    channels: dict[str, TransmissionCounts] = Field(description="Per channel (hl7v2, fhir, json, file)")
    total: TransmissionCounts


class MonthFigures(BaseModel):
    """One service's month (or quarter) in the quarterly review."""

    stays: int
    reports_within_8_days: int = Field(description="Stays whose report arrived within 8 days (j0 included)")
    late: int = Field(description="Stays whose report arrived more than 8 days after discharge")
    missing: int
    rate_j8: float | None = Field(
        description="reports_within_8_days / closed stays (window over), a fraction from 0 to 1; null without"
    )
    median_delay_days: float | None
    rate_coded: float | None = Field(
        description="Coding exhaustivity: coded / stays, a fraction from 0 to 1; null without stays"
    )
    not_coded: int
    documents: int = Field(description="Discharge-report events stored that month")
    channel_mix: dict[str, int] = Field(description="Stored events per channel (hl7v2, fhir, json, file)")
    lag_median_hours: float | None
    lag_p90_hours: float | None


class QuarterlyMonth(BaseModel):
    month: str = Field(examples=["2026-01"])
    figures: MonthFigures


class QuarterlyService(BaseModel):
    service: str
    label: str | None
    months: list[QuarterlyMonth]
    quarter: MonthFigures
    previous_quarter: MonthFigures
    on_time_change: float | None = Field(
        description="quarter rate_j8 − previous quarter rate_j8 (from −1 to 1); null when either is null"
    )


class QuarterlyRead(BaseModel):
    quarter: str = Field(examples=["2026-Q1"])
    previous_quarter: str
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    as_of: date
    services: list[QuarterlyService]
    hospital: QuarterlyService = Field(description="The whole hospital (service `all`), month by month")
    largest_falls: list[str] = Field(
        description="Codes of the services whose on-time rate fell most since the previous quarter "
        "(at most 5), largest fall first"
    )


def parse_quarter(quarter: str) -> tuple[int, int]:
    """'2026-Q1' -> (2026, 1); ValueError otherwise."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", quarter)
    if match is None:
        raise ValueError(f"{quarter!r} is not a quarter (YYYY-Qn)")
    return int(match[1]), int(match[2])
