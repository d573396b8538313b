from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import LineErrorRead
from app.ingestion.records import Act, Rum
from app.medeco.schemas import NotValuedReason, Valuation


class ActIn(BaseModel):
    """One CCAM act zone, fields as in the fixed-width record (text, padding not needed)."""

    model_config = ConfigDict(extra="forbid")
    date: str = Field("", description="Date de réalisation, JJMMAAAA", examples=["03012024"])
    code: str = Field("", description="Code CCAM", examples=["GEQE007"])
    extension: str = Field("", description="Extension PMSI/ATIH ('-01'), from format 017")
    phase: str = ""
    activity: str = Field("", examples=["1"])
    doc_extension: str = ""
    modifiers: str = ""
    exceptional_refund: str = ""
    unplanned_association: str = ""
    count: str = Field("", description="Nombre de réalisations", examples=["01"])
    dialysis_start: str = Field("", description="Format 023 only")
    dialysis_modality: str = Field("", description="Format 023 only")


class RumIn(BaseModel):
    """One RUM with the fields of the fixed-width record; written then parsed like a file line."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field("022", pattern=r"^0(1[6-9]|2[0-3])$", description="RUM format 016 to 023")
    grouped: bool = Field(False, description="True for an RSS groupé line (formats 116 to 123)")
    classification_version: str = ""
    ghm: str = Field("", examples=["04M143"])
    return_code: str = Field("", examples=["000"])
    finess: str = Field("", examples=["910019447"])
    rss_number: str = Field(description="N° de RSS, the same for every RUM of a stay", examples=["300001"])
    admin_number: str = Field("", description="N° administratif local de séjour (stay number)")
    rum_number: str = ""
    birth_date: str = Field("", description="JJMMAAAA")
    sex: str = ""
    unit: str = Field("", examples=["7500"])
    dedicated_bed: str = ""
    entry_date: str = Field("", description="JJMMAAAA")
    entry_mode: str = ""
    provenance: str = ""
    exit_date: str = Field("", description="JJMMAAAA")
    exit_mode: str = ""
    destination: str = ""
    postcode: str = ""
    newborn_weight: str = ""
    gestational_age: str = ""
    last_menstrual_date: str = ""
    seances: str = ""
    dp: str = Field("", examples=["J189"])
    dr: str = ""
    igs2: str = ""
    confirmation: str = ""
    rt_machine: str = ""
    rt_dosimetry: str = ""
    innovation_number: str = ""
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="Version-specific fields by layout name: conversion_hc, raac, patient_context, "
        "reserve_product, rescrit, intervention_category, non_programmed, emergency, ...",
    )
    das: list[str] = Field(default_factory=list, max_length=99)
    dads: list[str] = Field(default_factory=list, max_length=99)
    acts: list[ActIn] = Field(default_factory=list, max_length=999)

    def to_record(self, line: int) -> Rum:
        data = self.model_dump(exclude={"acts"})
        return Rum(line=line, acts=[Act(**act.model_dump()) for act in self.acts], **data)


class RumBatchIn(BaseModel):
    """A batch of RUMs as JSON: the same content as a fixed-width RSS file, one object per line."""

    model_config = ConfigDict(extra="forbid")
    rums: list[RumIn] = Field(min_length=1)


class FindingTotals(BaseModel):
    blocking: int = 0
    warning: int = 0
    info: int = 0


class RumBatchRead(BaseModel):
    id: int
    status: str = Field(description="completed | partial (some RSS rejected) | rejected (none stored)")
    received_at: datetime
    source: str
    lines: int
    rss_accepted: int = Field(description="RSS stored as a new current version, or unchanged")
    rum_accepted: int
    rss_unchanged: int = Field(description="Accepted RSS identical to their current version")
    rss_rejected: int
    lines_rejected: int
    formats: dict[str, int] = Field(examples=[{"022": 10, "122": 3}])
    errors: list[LineErrorRead] = Field(description="Line errors, the first 1,000 (see errors_total)")
    errors_total: int
    findings: FindingTotals
    skipped_rules: list[str] = Field(description="Rules not run because their reference is not loaded")


class RumBatchPage(BaseModel):
    items: list[RumBatchRead]
    next_cursor: str | None


class ActRead(BaseModel):
    date: date | None
    code: str
    extension: str
    phase: str
    activity: str
    doc_extension: str
    modifiers: str
    count: int | None
    exceptional_refund: str
    unplanned_association: str
    dialysis_start: str = Field("", description="Dialysis start time: 0 day, 1 evening, 2 night (format 023)")
    dialysis_modality: str = Field("", description="Authorised dialysis modality, e.g. 21 adult centre (023)")


class RumRead(BaseModel):
    model_config = ConfigDict(extra="allow")
    rum_number: str
    unit: str
    entry_date: date | None
    exit_date: date | None
    entry_mode: str
    provenance: str
    exit_mode: str
    destination: str
    birth_date: date | None
    sex: str
    dp: str
    dr: str
    das: list[str]
    dads: list[str]
    seances: int | None
    gestational_age: int | None
    newborn_weight: int | None
    acts: list[ActRead]
    format: str
    fields: dict[str, Any] = Field(description="Every other field of the record's version, as text")


class RssVersionRef(BaseModel):
    batch_id: int
    received_at: datetime
    is_current: bool


class RssRead(BaseModel):
    rss_number: str
    batch_id: int
    stay_number: str
    entry_date: date | None
    exit_date: date | None
    care_type: str
    ghm: str | None
    cmd: str | None
    return_code: str | None
    classification_version: str | None
    rums: list[RumRead] = Field(description="The RUMs the caller may read, in stay order")
    rums_withheld: int = Field(
        description="RUMs of units outside a unit-restricted token's, left out of `rums` (0 otherwise)"
    )
    versions: list[RssVersionRef]
    valuation: Valuation | None = Field(
        None, description="Euros of the stay (docs/tariffs.md); null when it cannot be valued"
    )
    not_valued_reason: NotValuedReason | None = Field(
        None, description="Why `valuation` is null: no_ghm, error_ghm (CMD 90), ambiguous_ghs, no_tariff"
    )
