from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CareType = Literal["complete", "zero_day", "seance"]


class Period(BaseModel):
    """Inclusive period the figures cover (RSS discharge date; RHS week date for SSR)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    start: date = Field(alias="from")
    end: date = Field(alias="to")


class Scope(BaseModel):
    units: list[str] | None = Field(
        description="UMs the caller's token is restricted to (only their activity is counted); null = all"
    )


class UnitRum(BaseModel):
    unit: str = Field(examples=["7702"])
    label: str | None = Field(description="Label in the structure; null for a UM unknown to it")
    rum: int


class PoleRum(BaseModel):
    pole: str = Field(description='Pôle code; "unmapped" for UMs unknown to the structure, "no_pole"')
    label: str
    rum: int
    units: list[UnitRum]


class RumTotal(BaseModel):
    rum: int


class UnitsActivity(BaseModel):
    period: Period
    scope: Scope
    poles: list[PoleRum]
    total: RumTotal


class CareTypeRow(BaseModel):
    care_type: CareType
    label: str = Field(examples=["Hospitalisation complète"])
    rum: int
    rss: int


class RumRss(BaseModel):
    rum: int
    rss: int


class CareTypesActivity(BaseModel):
    period: Period
    scope: Scope
    rows: list[CareTypeRow]
    total: RumRss


class SeanceRow(BaseModel):
    key: str | None = Field(description="UM code (by=unit) or GHM (by=ghm); null: séances without GHM")
    label: str | None
    pole: str | None = Field(default=None, description="by=unit only: the UM's pôle code")
    pole_label: str | None = None
    rss: int = Field(description="RSS of type séance")
    seances: int = Field(description="Sum of `nombre de séances` of those RSS")


class SeanceTotal(BaseModel):
    rss: int
    seances: int


class SeancesActivity(BaseModel):
    period: Period
    scope: Scope
    by: Literal["unit", "ghm"]
    rows: list[SeanceRow]
    total: SeanceTotal


class GhmRow(BaseModel):
    key: str | None = Field(description="GHM (level=ghm) or CMD (level=cmd); null: RSS without GHM")
    label: str | None = Field(description="From the loaded nomenclature, else built-in (CMD, CMD 28)")
    rss: int


class RssTotal(BaseModel):
    rss: int


class GhmActivity(BaseModel):
    period: Period
    scope: Scope
    level: Literal["ghm", "cmd"]
    rows: list[GhmRow]
    total: RssTotal


class SsrCmRow(BaseModel):
    cm: str | None = Field(description="Catégorie majeure of the grouped RHS; null: RHS not grouped")
    label: str
    weeks: int = Field(description="RHS (one per stay, week and UM)")
    days: int = Field(description="Days of presence")
    stays: int = Field(description="Distinct SSR stays with at least one RHS in this CM")


class SsrCmActivity(BaseModel):
    period: Period
    scope: Scope
    rows: list[SsrCmRow]
    total: SsrCmTotal


class SsrCmTotal(BaseModel):
    weeks: int
    days: int
    stays: int = Field(description="Distinct SSR stays (a stay changing CM is counted once)")


SsrCmActivity.model_rebuild()
