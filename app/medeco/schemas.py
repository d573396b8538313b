from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.activity.schemas import Period, Scope


class RsaBatchError(BaseModel):
    file: str = Field(description="`rsa`, `tra` or `archive`")
    line: int | None = Field(description="1-based line of that file; null for the whole file")
    field: str | None = Field(description="Layout field (`ghs`, `tra.rss_number`...), null for the line")
    code: str = Field(description="Stable reason code: line_length, not_numeric, no_tra_line, ...")
    message: str
    rsa_index: str | None = None


class UnlinkedRsa(BaseModel):
    """An RSA stored although no RSS of its number is stored yet: it links when the RSS arrives."""

    line: int
    rsa_index: str
    rss_number: str


class RsaBatchRead(BaseModel):
    id: int
    received_at: datetime
    source: str = Field(description="archive, files or cli")
    status: str = Field(description="completed (every RSA stored), partial, or rejected (none stored)")
    campaign: int | None = Field(description="Campaign named by the sender for these RSA, else null")
    files: dict[str, str] = Field(description="Names of the RSA and TRA files read")
    rsa_lines: int
    tra_lines: int
    rsa_accepted: int = Field(description="RSA stored as the current RSA of their RSS")
    rsa_unchanged: int = Field(description="RSA identical to the current one of their RSS: nothing stored")
    rsa_rejected: int
    rsa_unlinked: int = Field(description="Stored RSA whose RSS is not stored (listed in `unlinked`)")
    errors_total: int
    formats: dict[str, int] = Field(description="RSA count by format (218-229)")
    errors: list[RsaBatchError] = Field(description="The first 1,000 line errors")
    unlinked: list[UnlinkedRsa] = Field(description="The first 1,000 RSA without a stored RSS")


class NotValuedReason(StrEnum):
    NO_GHM = "no_ghm"
    ERROR_GHM = "error_ghm"
    AMBIGUOUS_GHS = "ambiguous_ghs"
    NO_TARIFF = "no_tariff"


class SupplementValue(BaseModel):
    code: str = Field(description="Supplement code (REA, NN1...) or radiotherapy GHS number")
    count: int
    tariff: float | None = Field(description="Unit price of the campaign; null when not loaded")
    amount: float = Field(description="count × tariff (0 without tariff)")


class Valuation(BaseModel):
    """Euros of one RSS (docs/tariffs.md): total = (base + exh − exb + supplements) × coefficient."""

    campaign: int
    ghs: str
    ghs_source: str = Field(description="`rsa` (the grouper's GHS) or `tariff` (the GHM's only GHS)")
    los: int = Field(description="Length of stay in nights")
    base: float = Field(description="GHS tariff × séances (CMD 28) or × 1")
    exb_days: int
    exb: float = Field(description="EXB forfait, or exb_days × EXB tariff per day")
    exh_days: int
    exh: float = Field(description="exh_days × EXH tariff per day")
    supplements: float
    coefficient: float = Field(description="prudentiel × géographique of the campaign (1 when not loaded)")
    total: float = Field(description="Rounded to the cent, once, at the end")
    ghs_minore: bool = Field(description="The grouper's GHS minoré flag (false without an RSA)")
    supplement_details: list[SupplementValue]
    supplements_without_tariff: list[str] = Field(
        description="Supplement codes counted by the RSA but absent from the campaign's supplement tariffs"
    )


class CasemixGroup(StrEnum):
    POLE = "pole"
    SERVICE = "service"
    UNIT = "unit"
    GHM = "ghm"
    CMD = "cmd"


class CasemixFigures(BaseModel):
    """The figures of one row (docs/casemix.md); money in euros, rounded to the cent."""

    stays: int = Field(description="Stays counted here (a stay counts once: unit of its longest RUM)")
    seances: int = Field(description="Sum of the séances of those stays")
    days: float = Field(description="Days of stay (nights), split across RUMs by their days")
    los_mean: float | None = Field(description="Mean length of stay of the stays counted here")
    los_expected: float | None = Field(description="Mean national LOS of their GHMs (those with one)")
    ipdms: float | None = Field(
        description="Σ LOS / Σ national mean LOS over complete stays whose GHM has a national reference"
    )
    ipdms_stays: int = Field(description="Stays in the IP-DMS (complete, with a national reference)")
    below_low_bound: int
    above_high_bound: int
    exb_days: int
    exh_days: int
    valuation_base: float
    valuation_exb: float
    valuation_exh: float
    valuation_supplements: float
    valuation_total: float = Field(description="Σ of the stays' totals (coefficient applied)")


class CasemixRow(CasemixFigures):
    key: str = Field(description="Pôle, service, UM, GHM or CMD code (unmapped, no_pole, no_ghm...)")
    label: str | None
    previous: CasemixFigures | None = Field(None, description="Same key, same dates one year back")


class CasemixTotal(CasemixFigures):
    previous: CasemixFigures | None = None


class NotValued(BaseModel):
    stays: int
    by_reason: dict[str, int] = Field(description="no_ghm, error_ghm, ambiguous_ghs, no_tariff")


class Casemix(BaseModel):
    period: Period
    previous_period: Period | None = Field(None, description="With compare=previous_year")
    scope: Scope
    group_by: CasemixGroup
    rows: list[CasemixRow]
    total: CasemixTotal
    not_valued: NotValued
    previous_not_valued: NotValued | None = None


class AnnualSheet(BaseModel):
    """One table of the annual report (one sheet of the workbook)."""

    key: str = Field(description="care_types, poles, units, seances, top_ghm, cmd, valuation_poles, ...")
    title: str = Field(description="French title, the sheet's")
    columns: list[str]
    rows: list[list[str | int | float | None]]
    chart: str | None = Field(None, description="Title of the sheet's bar chart, if any")
    chart_columns: list[int] = Field(default_factory=list, description="1-based columns the chart plots")


class AnnualReport(BaseModel):
    year: int
    scope_units: list[str] | None = Field(description="UMs of a token restricted to units; null = all")
    sheets: list[AnnualSheet]
