"""Activity storage: the day-grain MCO activity summaries (the RHS are stored by app.ingestion).

`activity_rum_day` and `activity_rss_day` are maintained by database triggers on `rum` and
`rss_version` (migration 0005), never by Python: the ingestion code writes RUM/RSS as usual and the
summaries follow, in the same transaction. They hold current versions only. Why they exist: counting
a year of a large hospital (200,000 RUM) from `rum` joined to `rss_version` takes about a second; the
summaries bring it to a few tens of thousands of rows (see docs/benchmarks.md, `bench.activity`).

A summary row whose count falls to 0 is kept, not deleted: readers ignore it, and having no index on
the counters keeps the triggers' updates HOT (no index churn, little bloat).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Date,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class RumCounts:
    """The RUM of one UM and type of care over a span of RSS discharges (a day, a month). The columns
    come after the span's own (the ORM orders a class's columns before its mixins')."""

    unit: Mapped[str] = mapped_column(String(10), primary_key=True)
    care_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    rum_count: Mapped[int] = mapped_column(Integer)
    first_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_rum_exit: Mapped[date | None] = mapped_column(Date, nullable=True)


class RumDay(RumCounts, Base):
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


class RumMonth(RumCounts, Base):
    """`activity_rum_day` rolled up per calendar month of the RSS discharge (trigger-maintained): whole
    months of a period read it, only the partial months at its edges read the day table."""

    __tablename__ = "activity_rum_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month


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
