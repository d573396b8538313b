from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    INGEST = "ingest"
    READER = "reader"
    DIM = "dim"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, resolved from its bearer token."""

    name: str
    role: Role
    units: tuple[str, ...] | None  # None: every unit

    def sees_unit(self, unit: str) -> bool:
        return self.units is None or unit in self.units


class MeRead(BaseModel):
    name: str
    role: Role
    units: list[str] | None = Field(description="Units the token is restricted to; null = all units")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role
    units: list[str] | None = Field(default=None, description="Restrict the token to these UM codes")


class TokenRead(BaseModel):
    name: str
    role: Role
    units: list[str] | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret, shown once; only its keyed hash is stored")
