from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.core.control_chars import NO_CONTROL


class Role(StrEnum):
    INGEST = "ingest"
    READER = "reader"
    DIM = "dim"
    ADMIN = "admin"


# Roles that read patient-level rows (RSS and stay numbers): the routes' dependency and the services
# that redact what other roles see share it.
PATIENT_READERS = frozenset({Role.DIM, Role.ADMIN})


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


# No control character (app.core.control_chars): checked before the strip, so "7500\n" is refused.
UnitCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10), NO_CONTROL]


# A token name is written in the audit log and in `dimqa token list`, and revoked by URL path.
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9._@-]+$"
TOKEN_NAME_MAX_LENGTH = 100


def valid_token_name(name: str) -> bool:
    """The rule of `TokenCreate.name`, for the command line."""
    return len(name) <= TOKEN_NAME_MAX_LENGTH and re.fullmatch(TOKEN_NAME_PATTERN, name) is not None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=TOKEN_NAME_MAX_LENGTH, pattern=TOKEN_NAME_PATTERN)
    role: Role
    units: list[UnitCode] | None = Field(
        default=None,
        min_length=1,
        description="Restrict the token to these UM codes, each in the structure or the fichier d'UM; "
        "omit (or null) for every unit. An empty list or a blank code is refused (422). A token "
        "restricted to units may only create tokens restricted to some of its own units.",
    )


class TokenRead(BaseModel):
    name: str
    role: Role
    units: list[str] | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret, shown once; only its keyed hash is stored")
