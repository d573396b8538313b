from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.control_chars import NoControlStr, NoControlStrOrNone
from app.core.dates import BoundedDate
from app.core.schemas import LineErrorRead

# Codes are identifiers (app.core.control_chars: no CR, LF, NUL...) and dates stay within
# 1900-2100 (app.core.dates): a 422 naming the field, never a 500 or a code that splits exports.


class PoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: NoControlStr = Field(min_length=1, max_length=20, examples=["MED"])
    label: str = Field(min_length=1, max_length=200, examples=["Médecine"])


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: NoControlStr = Field(min_length=1, max_length=20, examples=["ONCO"])
    label: str = Field(min_length=1, max_length=200, examples=["Oncologie"])
    pole: NoControlStrOrNone = Field(default=None, max_length=20, examples=["MED"])


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: NoControlStr = Field(
        min_length=1, max_length=4, examples=["7500"], description="UM code as in the RSS"
    )
    label: str = Field(min_length=1, max_length=200, examples=["Oncologie"])
    pole: NoControlStrOrNone = Field(default=None, max_length=20)
    service: NoControlStrOrNone = Field(default=None, max_length=20)
    valid_from: BoundedDate | None = Field(default=None, description="Inclusive; null = since always")
    valid_to: BoundedDate | None = Field(default=None, description="Inclusive; null = still valid")


class AuthorisationIn(BaseModel):
    """A line of the fichier d'UM, as `GET /structure` returns it."""

    model_config = ConfigDict(extra="forbid")
    # Checked as the lines of a fichier d'UM (control characters included: a located 400).
    unit: str = Field(min_length=1, max_length=4, examples=["7500"])
    finess_geo: str = Field(min_length=1, max_length=9, examples=["750091000"])
    auth_type: str = Field(min_length=1, max_length=3, examples=["01A"])
    effect_date: BoundedDate
    beds: int | None = Field(default=None, ge=0, le=999)
    hosp_mode: str = Field(default="", max_length=1, description="C, P, M, or empty when blank")
    loaded_at: datetime | None = Field(
        default=None, description="Ignored: set by the server when the line first enters the history"
    )


class StructureIn(BaseModel):
    """The whole structure, shaped like `GET /structure`: a PUT replaces pôles, services and units;
    `authorisations` are added to the fichier d'UM history (as a fichier d'UM load would add those
    lines; a PUT never removes any)."""

    model_config = ConfigDict(extra="forbid")
    poles: list[PoleIn] = Field(default_factory=list)
    services: list[ServiceIn] = Field(default_factory=list)
    units: list[UnitIn] = Field(default_factory=list)
    authorisations: list[AuthorisationIn] = Field(
        default_factory=list,
        description="Fichier d'UM lines, checked as the lines of a file sent to POST /structure/ium",
    )


class PoleRead(BaseModel):
    code: str
    label: str


class ServiceRead(BaseModel):
    code: str
    label: str
    pole: str | None


class UnitRead(BaseModel):
    code: str
    label: str
    pole: str | None
    service: str | None
    valid_from: date | None
    valid_to: date | None


class AuthorisationRead(BaseModel):
    unit: str
    finess_geo: str
    auth_type: str
    effect_date: date
    beds: int | None
    hosp_mode: str
    loaded_at: datetime


class StructureRead(BaseModel):
    poles: list[PoleRead]
    services: list[ServiceRead]
    units: list[UnitRead]
    authorisations: list[AuthorisationRead] = Field(description="Fichier d'UM history, by unit and date")


class StructureSummary(BaseModel):
    poles: int
    services: int
    units: int
    authorisations: int = Field(description="Fichier d'UM lines received (added, changed or already known)")


class IumLoadResult(BaseModel):
    lines: int
    authorisations_added_or_changed: int
    authorisations_unchanged: int
    lines_rejected: int
    errors: list[LineErrorRead] = Field(description="Lines not stored (format errors)")
    warnings: list[LineErrorRead] = Field(
        description="Stored lines with a doubtful authorisation (unknown type, mode not allowed, ...)"
    )
