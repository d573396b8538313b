"""Storage of the received files: RUM/RSS and RHS batches (their shared columns `ReceivedBatch`,
which the RSA batches have too, and `BatchColumns`), RSS versions and their RUM, RHS lines. An RSS
version is immutable; a later batch adds a new current version.

Aggregates (activity, turnaround, findings summary) read `rss_version` rows with `is_current`
and their `rum` rows; `rum.rss_exit_date` and `rum.care_type` are copies of the RSS values so
that per-unit counts over a period need no join on large tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.core.db import Base


class ReceivedBatch:
    """The columns of every batch of a received file, RUM, RHS or RSA: identity, idempotency (one
    body, one batch; one Idempotency-Key per token, one delivery), who sent it, its status, the
    formats read and the line errors kept. Constraint names follow the table (`uq_<table>_...`)."""

    __tablename__: str
    what: ClassVar[str]  # the batch in messages: "RUM batch"

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (_idempotency_key_constraint(cls.__tablename__),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Unique per token (uq_<table>_token_idempotency_key): a key names one delivery of its sender.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(10))  # file | json | cli | demo (RSA: archive | files | cli)
    token_name: Mapped[str] = mapped_column(String(100))
    # rum_batch, rsa_batch: completed | partial | rejected; rhs_batch: accepted | accepted_with_errors
    status: Mapped[str] = mapped_column(String(20))
    formats: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


def _idempotency_key_constraint(table: str) -> UniqueConstraint:
    return UniqueConstraint("token_name", "idempotency_key", name=f"uq_{table}_token_idempotency_key")


class BatchColumns(ReceivedBatch):
    """A batch of a line-per-record file (RUM, RHS): `ReceivedBatch` plus its line counters, listed
    by reception time."""

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        table = cls.__tablename__
        return (Index(f"ix_{table}_received_at", "received_at"), _idempotency_key_constraint(table))

    lines: Mapped[int] = mapped_column(Integer, default=0)
    lines_rejected: Mapped[int] = mapped_column(Integer, default=0)


class RumBatch(BatchColumns, Base):
    __tablename__ = "rum_batch"
    what = "RUM batch"

    rss_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rum_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rss_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rss_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    findings: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    skipped_rules: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)


class RhsBatch(BatchColumns, Base):
    __tablename__ = "rhs_batch"
    what = "RHS batch"

    rhs_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rhs_stored: Mapped[int] = mapped_column(Integer, default=0)
    rhs_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rhs_superseded: Mapped[int] = mapped_column(Integer, default=0)


class RssVersion(Base):
    __tablename__ = "rss_version"
    __table_args__ = (
        Index("uq_rss_version_current", "rss_number", unique=True, postgresql_where=text("is_current")),
        Index("ix_rss_version_rss_number", "rss_number"),
        Index("ix_rss_version_current_stay_number", "stay_number", postgresql_where=text("is_current")),
        Index("ix_rss_version_batch_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rss_number: Mapped[str] = mapped_column(String(20))
    # References rum_batch.id: checked per statement by a trigger, not by a row-level foreign key
    # (migration 0008).
    batch_id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # of the RSS lines: same content, no new version
    finess: Mapped[str] = mapped_column(String(9))
    stay_number: Mapped[str] = mapped_column(String(20))  # N° administratif (NDA) of the RSS
    format: Mapped[str] = mapped_column(String(3))  # as read at positions 10-12 ("022", "122")
    entry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    exit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    care_type: Mapped[str] = mapped_column(String(10))  # complete | zero_day | seance
    ghm: Mapped[str | None] = mapped_column(String(6), nullable=True)
    cmd: Mapped[str | None] = mapped_column(String(2), nullable=True)
    return_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    classification_version: Mapped[str | None] = mapped_column(String(2), nullable=True)
    seances: Mapped[int] = mapped_column(Integer, default=0)
    rum_count: Mapped[int] = mapped_column(SmallInteger)
    exit_unit: Mapped[str] = mapped_column(String(10))  # UM of the last RUM


class Rum(Base):
    __tablename__ = "rum"
    __table_args__ = (Index("ix_rum_rss_exit_date_unit", "rss_exit_date", "unit"),)

    # References rss_version.id (deleting a version deletes its RUM): checked per statement by
    # triggers, not by a row-level foreign key, which cost a probe and a row lock per RUM (0008).
    rss_version_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0-based order in the RSS
    line: Mapped[int] = mapped_column(Integer)  # line number in its batch
    line_text: Mapped[str] = mapped_column(Text)  # exact record, re-parsed for validation runs
    rum_number: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(10))
    entry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    exit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    rss_exit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    care_type: Mapped[str] = mapped_column(String(10))
    dp: Mapped[str] = mapped_column(String(8))
    dr: Mapped[str] = mapped_column(String(8))
    das: Mapped[list[str]] = mapped_column(ARRAY(Text))
    seances: Mapped[int] = mapped_column(Integer, default=0)
    acts: Mapped[list[str]] = mapped_column(ARRAY(Text))  # CCAM codes only; full zones are in line_text


class Rhs(Base):
    """One RHS line as received. The current version of an SSR stay's week is the set of RHS of the
    latest batch that sent that stay and week (several when the patient changed unit that week)."""

    __tablename__ = "rhs"
    __table_args__ = (
        Index("ix_rhs_batch_id", "batch_id"),
        Index(
            "ix_rhs_current_stay_week",
            "ssr_stay_number",
            "week_date",
            postgresql_where=text("is_current"),
        ),
        # Covers the per-CM activity query (index-only scan on current rows of a period).
        Index(
            "ix_rhs_current_week_date",
            "week_date",
            postgresql_where=text("is_current"),
            postgresql_include=["cm", "unit", "days_present", "ssr_stay_number"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("rhs_batch.id"))
    line: Mapped[int] = mapped_column(Integer)  # line number in its batch
    line_text: Mapped[str] = mapped_column(Text)  # exact record, without its line end
    version: Mapped[str] = mapped_column(String(3))  # M09..M0D, M19..M1D
    finess: Mapped[str] = mapped_column(String(9))
    ssr_stay_number: Mapped[str] = mapped_column(String(20))
    admin_number: Mapped[str] = mapped_column(String(20))
    week_date: Mapped[date] = mapped_column(Date)  # Monday of the RHS week
    unit: Mapped[str] = mapped_column(String(10))
    cm: Mapped[str | None] = mapped_column(String(2), nullable=True)  # grouped RHS only
    gme: Mapped[str | None] = mapped_column(String(10), nullable=True)
    days_present: Mapped[int] = mapped_column(SmallInteger)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
