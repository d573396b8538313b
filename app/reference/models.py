"""Nomenclature tables (CIM-10, CCAM, GHM, CMD labels, GHS tariffs, national DMS), one set of rows per
year (per campaign for the tariffs), and their load log.

A load replaces every row of its (kind, year) in one transaction, so a table never mixes two
versions of the same year. The log is append-only: its highest id is the nomenclature
*generation* the rules engine caches its lookups on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Cim10Code(Base):
    __tablename__ = "ref_cim10"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # no dot: "E119"
    label: Mapped[str] = mapped_column(Text)
    type_mco: Mapped[int] = mapped_column(SmallInteger)  # ATIH restriction 0-4 (3: forbidden as DP...)


class CcamAct(Base):
    __tablename__ = "ref_ccam"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # as in the file ("date de fin")
    # Activity codes the act has ("14"), when the file lists them; NULL: not said.
    activities: Mapped[str | None] = mapped_column(String(5), nullable=True)


class GhmLabel(Base):
    __tablename__ = "ref_ghm"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ghm: Mapped[str] = mapped_column(String(6), primary_key=True)  # 6 characters, or a 5-character root
    label: Mapped[str] = mapped_column(Text)


class CmdLabel(Base):
    __tablename__ = "ref_cmd"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    cmd: Mapped[str] = mapped_column(String(2), primary_key=True)
    label: Mapped[str] = mapped_column(Text)


class GhsTariffEntry(Base):
    """One GHS of one tariff campaign (`year` is the campaign, 1 March to end of February).

    GHS 9999 rows (GHMs that are not valued) have no bounds and no money."""

    __tablename__ = "ref_ghs_tariff"
    __table_args__ = (Index("ix_ref_ghs_tariff_year_ghm", "year", "ghm"),)

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ghs: Mapped[str] = mapped_column(String(4), primary_key=True)
    ghm: Mapped[str] = mapped_column(String(6), primary_key=True)  # GHS 9999 covers several GHMs
    label: Mapped[str] = mapped_column(Text)
    low_bound: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    high_bound: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    base: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    exb_forfait: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    exb_daily: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    exh_daily: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class GhmMeanStayEntry(Base):
    """National mean length of stay of a GHM (ghs "") or of one of its GHS, for one year."""

    __tablename__ = "ref_ghm_dms"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ghm: Mapped[str] = mapped_column(String(6), primary_key=True)
    ghs: Mapped[str] = mapped_column(String(4), primary_key=True)  # "" for the GHM as a whole
    low_bound: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    high_bound: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    mean_los: Mapped[Decimal] = mapped_column(Numeric(8, 4))


class NomenclatureLoad(Base):
    """One successful load of a nomenclature file (append-only)."""

    __tablename__ = "ref_load_log"
    __table_args__ = (Index("ix_ref_load_log_kind_year", "kind", "year"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # cim10 | ccam | ghm | cmd | ghs_tariffs | ... (0016)
    year: Mapped[int] = mapped_column(SmallInteger)
    rows: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))  # file name, or "api"
    sha256: Mapped[str] = mapped_column(String(64))  # of the bytes received
    loaded_by: Mapped[str] = mapped_column(String(100))  # token name, or "cli"
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
