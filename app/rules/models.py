"""Coding-quality findings, one row per finding *lifetime*.

A finding is identified across versions of its RSS by its fingerprint (rule code, RUM number,
field, value): while successive versions keep triggering it, the same row is re-pointed to the
newest version and keeps its id, review status and comment; when a version no longer triggers
it, `closed_at` is set and the row stays as history. So every finding with `closed_at IS NULL`
belongs to a current RSS version.

`unit` (UM of the RUM, or the exit UM for RSS-level findings) and `rss_exit_date` are copies
taken when the finding is stored, so that filters by period, unit, service or pôle need no join
on the RUM tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, SmallInteger, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Finding(Base):
    __tablename__ = "rule_finding"
    __table_args__ = (
        Index("ix_rule_finding_rss_version_id", "rss_version_id"),
        Index("ix_rule_finding_rss_number", "rss_number"),
        Index("ix_rule_finding_open_exit_date", "rss_exit_date", postgresql_where=text("closed_at IS NULL")),
        Index("ix_rule_finding_open_rule_code", "rule_code", postgresql_where=text("closed_at IS NULL")),
        # One open finding per RSS version, rule, RUM (by position), field and value (migration 0012):
        # concurrent writers cannot open the same finding twice.
        Index(
            "uq_rule_finding_open_location",
            "rss_version_id",
            "rule_code",
            text("coalesce(rum_index, -1)"),
            text("coalesce(field, '')"),
            text("coalesce(value, '')"),
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rss_version_id: Mapped[int] = mapped_column(ForeignKey("rss_version.id", ondelete="CASCADE"))
    rss_number: Mapped[str] = mapped_column(String(20))
    rule_code: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    rum_number: Mapped[str | None] = mapped_column(String(10), nullable=True)  # None: RSS-level
    rum_index: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # 0-based position
    field: Mapped[str | None] = mapped_column(String(40), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    message: Mapped[str] = mapped_column(Text)  # rendered when found, so history survives rule edits
    unit: Mapped[str] = mapped_column(String(10))
    rss_exit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), server_default="open")  # open|acknowledged|dismissed
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
