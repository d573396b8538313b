"""RSA batches and RSA rows (the grouper's output per RSS), supplement tariffs and coefficients.

An RSA is linked to its RSS by the N° de RSS the TRA gives for its index: `rsa.rss_number` is the
key of `rss_version.rss_number`, joined at read time, so an RSA received before its RSS links as
soon as the RSS arrives. Like RSS versions, a later batch's RSA for the same RSS becomes the
current one (`is_current`) and the older rows stay for history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.ingestion.models import ReceivedBatch


class RsaBatch(ReceivedBatch, Base):
    """`content_sha256` is of the RSA and TRA contents (not of the envelope): the archive and the
    two files sent separately are the same delivery."""

    __tablename__ = "rsa_batch"
    what = "RSA batch"

    campaign: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # named by the sender
    files: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)  # {"rsa": name, "tra": name}
    rsa_lines: Mapped[int] = mapped_column(Integer, default=0)
    tra_lines: Mapped[int] = mapped_column(Integer, default=0)
    rsa_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rsa_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rsa_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rsa_unlinked: Mapped[int] = mapped_column(Integer, default=0)  # stored, but no RSS of that number yet
    errors_total: Mapped[int] = mapped_column(Integer, default=0)
    unlinked: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class Rsa(Base):
    __tablename__ = "rsa"
    __table_args__ = (
        Index("uq_rsa_current_rss_number", "rss_number", unique=True, postgresql_where=text("is_current")),
        Index("ix_rsa_batch_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Checked per statement, not per row (migration 0024: the row-level foreign key cost a probe and a
    # row lock per RSA of a 200,000-row COPY).
    batch_id: Mapped[int] = mapped_column(BigInteger)
    rss_number: Mapped[str] = mapped_column(String(20))  # from the TRA
    stay_number: Mapped[str] = mapped_column(String(20))  # N° administratif, from the TRA
    rsa_index: Mapped[str] = mapped_column(String(10))
    line: Mapped[int] = mapped_column(Integer)
    line_text: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # RSA line + TRA link: same, no new row
    format: Mapped[str] = mapped_column(String(3))
    campaign: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    classification_version: Mapped[str] = mapped_column(String(2))
    ghm: Mapped[str] = mapped_column(String(6))
    return_code: Mapped[str] = mapped_column(String(3))
    exit_month: Mapped[int] = mapped_column(SmallInteger)
    exit_year: Mapped[int] = mapped_column(SmallInteger)
    los: Mapped[int] = mapped_column(Integer)
    seances: Mapped[int] = mapped_column(Integer)
    ghs: Mapped[str | None] = mapped_column(String(4), nullable=True)
    exh_days: Mapped[int] = mapped_column(Integer)
    exb_type: Mapped[str] = mapped_column(String(1))
    exb_days: Mapped[int] = mapped_column(Integer)
    ghs_minore: Mapped[bool] = mapped_column(Boolean)
    supplements: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    radiotherapy: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)


class SupplementTariff(Base):
    """One supplement's price in one campaign (kind `supplement_tariffs`, docs/tariffs.md)."""

    __tablename__ = "ref_supplement_tariff"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # campaign (anseqta)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)  # REA, NN1... or a GHS number
    label: Mapped[str] = mapped_column(Text)
    tariff: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class TariffCoefficient(Base):
    """The campaign's coefficients (kind `tariff_coefficients`); a campaign without a row: 1 × 1."""

    __tablename__ = "ref_tariff_coefficient"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    prudential: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    geographic: Mapped[Decimal] = mapped_column(Numeric(8, 6))


# The stored case-mix figures (migration 0020; calendar years, 0025). A cache of additive sums,
# written and read only by SQL in app.medeco.repository: plain tables (no primary key on the
# figures: a row is one aggregate, replaced as a month's or a year's whole set), declared here so
# that Base.metadata matches the schema.
casemix_month = Table(
    "casemix_month",
    Base.metadata,
    Column("month", Date, primary_key=True),
    Column("changes", BigInteger, nullable=False, server_default=text("1")),
    Column("priced", BigInteger, nullable=True),
)

_COUNTS = (
    "stays", "seances", "los_sum", "national_n", "ipdms_los", "ipdms_stays", "below_low_bound",
    "above_high_bound", "exb_days", "exh_days", "not_valued_no_ghm", "not_valued_error_ghm",
    "not_valued_ambiguous_ghs", "not_valued_no_tariff",
)  # fmt: skip
_AMOUNTS = (
    "days", "valuation_base", "valuation_exb", "valuation_exh", "valuation_supplements", "valuation_total",
)  # fmt: skip

casemix_figures = Table(
    "casemix_figures",
    Base.metadata,
    Column("grain", CHAR(1), CheckConstraint("grain IN ('d', 'm', 'y')", name="grain"), nullable=False),
    Column("period", Date, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("unit", String(10)),
    Column("service", String(40)),
    Column("pole", String(40)),
    Column("unit_label", Text),
    Column("service_label", Text),
    Column("pole_label", Text),
    Column("ghm", String(6)),
    Column("national_sum", Numeric),
    Column("ipdms_reference", Numeric),
    *(Column(name, BigInteger, nullable=False) for name in _COUNTS),
    *(Column(name, Numeric, nullable=False) for name in _AMOUNTS),
    Index("ix_casemix_figures_kind_grain_period", "kind", "grain", "period"),
    Index(
        "ix_casemix_figures_kind_unit",
        "kind",
        "unit",
        "grain",
        "period",
        postgresql_where=text("unit IS NOT NULL"),
    ),
    Index("ix_casemix_figures_period", "period"),
)
