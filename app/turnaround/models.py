"""Turnaround storage: the events as received, and the state derived from them.

- `stay_event` / `document_event`: every accepted event version, immutable, unique by
  (source, event_id); `content_hash` tells a harmless re-send from a conflicting reuse of an id.
  `recorded_at` is when dimqa stored it (database time of the storing transaction).
- `stay`, `stay_discharge_period`, `document_period`: derived, recomputed for the touched stay
  numbers at every batch, so queries never replay events. Periods make `as_of` exact: a stay
  is discharged (with a given date and unit) during [effective_from, effective_to), a document
  is alive during [alive_from, alive_until), both on the knowledge clock: an event is known from
  the later of its own time (occurrence, claimed reception) and its `recorded_at`, so what an
  `as_of` saw never changes afterwards. A report as of a date reads the periods open at the end
  of that day; the dates it counts (discharge, reception) stay the events' own.

Stays link to RSS and documents by `stay_number` at query time, never by foreign key: events
for a stay nobody knows yet are kept and count as soon as the stay appears.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.core.db import Base
from app.ingestion.models import RssVersion

EVENT_ID_LENGTH = 400  # JSON ids are up to 200; HL7 ids get the MSH-3|MSH-4|MSH-9| namespace


class EventColumns:
    """What both event tables hold: the sender's event id, unique per source, with the hash of the
    content that tells a harmless re-send from a conflicting reuse; when dimqa stored it; for HL7 v2,
    the message digest. The first four columns come before each table's own (`sort_order`), the last
    two after them (the ORM's order for a mixin's columns)."""

    __tablename__: str

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        table = cls.__tablename__
        return (
            UniqueConstraint("source", "event_id", name=f"uq_{table}_source_event_id"),
            Index(f"ix_{table}_stay_number", "stay_number"),
        )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, sort_order=-1)
    source: Mapped[str] = mapped_column(String(10), sort_order=-1)  # json | hl7 | fhir
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), sort_order=-1)
    content_hash: Mapped[str] = mapped_column(String(64), sort_order=-1)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # HL7 v2 only: SHA-256 of the message without MSH-7, so a retry with a new sending time is a
    # duplicate even where its dates (MSH-7) differ. NULL for JSON and FHIR.
    message_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


class StayEventRow(EventColumns, Base):
    __tablename__ = "stay_event"

    type: Mapped[str] = mapped_column(String(20))
    stay_number: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    patient_class: Mapped[str | None] = mapped_column(String(20), nullable=True)


class DocumentEventRow(EventColumns, Base):
    __tablename__ = "document_event"

    stay_number: Mapped[str] = mapped_column(String(50))
    document_id: Mapped[str] = mapped_column(String(200))
    document_type: Mapped[str] = mapped_column(String(50))  # as received
    action: Mapped[str] = mapped_column(String(10))  # new | replace | delete
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # DIM reception
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    parent_document_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Stay(Base):
    """Current state of a stay known from movements (all events, whatever their time)."""

    __tablename__ = "stay"

    stay_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # in_house | discharged | cancelled
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    discharged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    discharge_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    discharge_unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    patient_class: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # When dimqa knew of the first discharge or discharge cancellation (the later of its occurrence
    # and storage): from then on the movements, not the RSS, say whether and when the patient left.
    discharge_known_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    event_count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StayDischargePeriod(Base):
    """A stretch of time during which the movements say the stay is discharged."""

    __tablename__ = "stay_discharge_period"
    __table_args__ = (Index("ix_stay_discharge_period_discharge_date", "discharge_date"),)

    stay_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    effective_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    discharged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    discharge_date: Mapped[date] = mapped_column(Date)  # local date (Europe/Paris)
    discharge_unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Type of care when no RSS is known: complete | zero_day (by dates), seance (patient class R),
    # external (outpatient or emergency class: not a hospital stay).
    care_type_hint: Mapped[str] = mapped_column(String(10))
    # Unit of the admission in force (else the first unit the movements name): attribution=admission.
    admission_unit: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The stay's discharge-report periods (document_period rows of a report type), copied here so
    # a month of stays is read in one index range scan instead of one document probe per stay.
    # `report_key` fingerprints the report types they were selected with: rows derived under
    # another DIMQA_DISCHARGE_REPORT_TYPES are read from document_period instead (exact, slower).
    report_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    report_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    report_received: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), default=list)
    report_from: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), default=list)
    report_until: Mapped[list[datetime | None]] = mapped_column(ARRAY(DateTime(timezone=True)), default=list)


class DocumentPeriod(Base):
    """A stretch of reception time during which a document (all its versions) is not deleted."""

    __tablename__ = "document_period"  # looked up by stay number: the primary key's first column

    stay_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    document_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # first version's id
    alive_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    alive_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    document_id: Mapped[str] = mapped_column(String(200))  # latest version at alive_from
    document_type: Mapped[str] = mapped_column(String(50))  # normalized: trimmed, upper case
    first_received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Read by every turnaround query: the current RSS exiting around a period, with just what the
# turnaround needs, as an index-only scan (the RSS rows themselves are wide). Declared here, on
# the ingestion domain's table, because only the turnaround reads RSS this way.
RSS_EXIT_INDEX = Index(
    "ix_rss_version_current_exit_date_turnaround",
    RssVersion.exit_date,
    postgresql_include=["stay_number", "received_at", "care_type", "exit_unit", "id"],
    postgresql_where=RssVersion.is_current,
)

# The versions superseded after a date (`as_of`): with the current ones, every version in force
# at the end of that day. Few for a recent as_of (the re-sends received since).
RSS_SUPERSEDED_INDEX = Index(
    "ix_rss_version_superseded_at_turnaround",
    RssVersion.superseded_at,
    postgresql_include=["stay_number", "received_at", "exit_date", "care_type", "exit_unit", "id"],
    postgresql_where=RssVersion.superseded_at.is_not(None),
)
