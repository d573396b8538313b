from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class NomenclatureKind(StrEnum):
    CIM10 = "cim10"
    CCAM = "ccam"
    GHM = "ghm"
    CMD = "cmd"
    GHS_TARIFFS = "ghs_tariffs"  # year = tariff campaign
    GHM_DMS = "ghm_dms"  # national mean length of stay per GHM
    SUPPLEMENT_TARIFFS = "supplement_tariffs"
    TARIFF_COEFFICIENTS = "tariff_coefficients"


class NomenclatureRead(BaseModel):
    """The latest load of one nomenclature year."""

    kind: NomenclatureKind
    year: int
    rows: int = Field(description="Rows stored for this year")
    loaded_at: datetime
    loaded_by: str = Field(description="Token name, or `cli`")
    source: str = Field(description="File name, or `api`")
    sha256: str = Field(description="SHA-256 of the bytes received")


class NomenclatureList(BaseModel):
    items: list[NomenclatureRead]
