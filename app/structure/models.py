"""Hospital structure: pôles, services, UMs with validity dates, and the fichier d'UM history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

OPEN_START = date(1900, 1, 1)


class Pole(Base):
    __tablename__ = "structure_pole"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))


class Service(Base):
    __tablename__ = "structure_service"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    pole_code: Mapped[str | None] = mapped_column(ForeignKey("structure_pole.code"), nullable=True)


class Unit(Base):
    """One validity period of a UM; a UM moving to another service or pôle gets a new row."""

    __tablename__ = "structure_unit"
    __table_args__ = (
        UniqueConstraint("code", "valid_from", name="uq_structure_unit_code_valid_from"),
        Index("ix_structure_unit_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))
    pole_code: Mapped[str | None] = mapped_column(ForeignKey("structure_pole.code"), nullable=True)
    service_code: Mapped[str | None] = mapped_column(ForeignKey("structure_service.code"), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date, default=OPEN_START)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; NULL = open


class UnitAuthorisation(Base):
    """A line of the ATIH fichier d'UM. Lines accumulate: the history is the file's meaning."""

    __tablename__ = "unit_authorisation"
    __table_args__ = (
        UniqueConstraint("unit_code", "effect_date", name="uq_unit_authorisation_unit_code_effect_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(10))
    finess_geo: Mapped[str] = mapped_column(String(9))
    auth_type: Mapped[str] = mapped_column(String(3))
    effect_date: Mapped[date] = mapped_column(Date)
    beds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hosp_mode: Mapped[str] = mapped_column(String(1))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
