"""Activity storage: RHS (SSR/SMR weekly summaries) and the day-grain MCO activity summaries.

`activity_rum_day` and `activity_rss_day` are maintained by database triggers on `rum` and
`rss_version` (migration 0005), never by Python: the ingestion code writes RUM/RSS as usual and the
summaries follow, in the same transaction. They hold current versions only. Why they exist: counting
a year of a large hospital (200,000 RUM) from `rum` joined to `rss_version` takes about a second; the
summaries bring it to a few tens of thousands of rows (see docs/benchmarks.md, `bench.activity`).

A summary row whose count falls to 0 is kept, not deleted: readers ignore it, and having no index on
the counters keeps the triggers' updates HOT (no index churn, little bloat).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
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
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class RhsBatch(Base):
    __tablename__ = "rhs_batch"
    __table_args__ = (
        Index("ix_rhs_batch_received_at", "received_at"),
        UniqueConstraint("token_name", "idempotency_key", name="uq_rhs_batch_token_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Unique per token (uq_rhs_batch_token_idempotency_key): a key names one delivery of its sender.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(10))  # file | cli | demo
    token_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # accepted | accepted_with_errors
    lines: Mapped[int] = mapped_column(Integer, default=0)
    rhs_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rhs_stored: Mapped[int] = mapped_column(Integer, default=0)
    rhs_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rhs_superseded: Mapped[int] = mapped_column(Integer, default=0)
    lines_rejected: Mapped[int] = mapped_column(Integer, default=0)
    formats: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


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


class RumDay(Base):
    """RUM of current RSS versions per RSS discharge day, UM and type of care (trigger-maintained).

    `first_rum_exit`/`last_rum_exit` bound the RUM exit dates of the group. They only widen (a
    superseded RUM does not narrow them), so they are conservative: when one structure row of the UM
    covers the whole range, every RUM of the group maps to it; otherwise the group is counted from
    `rum` itself.
    """

    __tablename__ = "activity_rum_day"
    # Unit-restricted tokens, and the day-by-day pass over UMs whose structure changed.
    __table_args__ = (Index("ix_activity_rum_day_unit", "unit", "rss_exit_date"),)

    rss_exit_date: Mapped[date] = mapped_column(Date, primary_key=True)
    unit: Mapped[str] = mapped_column(String(10), primary_key=True)
    care_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    rum_count: Mapped[int] = mapped_column(Integer)
    first_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)


class RumMonth(Base):
    """`activity_rum_day` rolled up per calendar month of the RSS discharge (trigger-maintained): whole
    months of a period read it, only the partial months at its edges read the day table."""

    __tablename__ = "activity_rum_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    unit: Mapped[str] = mapped_column(String(10), primary_key=True)
    care_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    rum_count: Mapped[int] = mapped_column(Integer)
    first_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)


class RssDay(Base):
    """Current RSS per discharge day, exit UM, type of care and GHM ('' = not grouped), with the sum
    of their `nombre de séances` (trigger-maintained)."""

    __tablename__ = "activity_rss_day"
    __table_args__ = (
        # Unit-restricted tokens read their UMs only.
        Index("ix_activity_rss_day_exit_unit", "exit_unit", "exit_date"),
        Index("ix_activity_rss_day_seance", "exit_date", postgresql_where=text("care_type = 'seance'")),
    )

    exit_date: Mapped[date] = mapped_column(Date, primary_key=True)
    exit_unit: Mapped[str] = mapped_column(String(10), primary_key=True)
    care_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    ghm: Mapped[str] = mapped_column(String(6), primary_key=True)
    rss_count: Mapped[int] = mapped_column(Integer)
    seances: Mapped[int] = mapped_column(BigInteger)


class RssMonth(Base):
    """`activity_rss_day` rolled up per calendar month without the UM (trigger-maintained).

    The UM x GHM product is what makes the day table large; whole-hospital figures over whole months
    read this table, and only the partial months at the edges of a period read the day table.
    """

    __tablename__ = "activity_rss_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    care_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    ghm: Mapped[str] = mapped_column(String(6), primary_key=True)
    rss_count: Mapped[int] = mapped_column(Integer)
    seances: Mapped[int] = mapped_column(BigInteger)
