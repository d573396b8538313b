"""Builders shared by the turnaround database tests (no test here)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.clock import HOSPITAL_TZ
from app.ingestion.models import RssVersion, Rum, RumBatch

STRUCTURE: dict[str, Any] = {
    "poles": [{"code": "MED", "label": "Médecine"}, {"code": "URG", "label": "Urgences"}],
    "services": [
        {"code": "ONCO", "label": "Oncologie", "pole": "MED"},
        {"code": "CARDIO", "label": "Cardiologie", "pole": "MED"},
        {"code": "URG", "label": "Urgences", "pole": "URG"},
    ],
    "units": [
        {"code": "7500", "label": "Oncologie", "pole": "MED", "service": "ONCO"},
        {"code": "7702", "label": "HDJ Oncologie", "pole": "MED", "service": "ONCO"},
        # 7600 moves from cardiology to oncology on 2022-02-03.
        {
            "code": "7600",
            "label": "Cardiologie",
            "pole": "MED",
            "service": "CARDIO",
            "valid_to": "2022-02-02",
        },
        {
            "code": "7600",
            "label": "Cardio-onco",
            "pole": "MED",
            "service": "ONCO",
            "valid_from": "2022-02-03",
        },
        {"code": "5520", "label": "Unité surv. courte durée", "pole": "URG", "service": "URG"},
    ],
}


def at(day: date, hour: int = 10, minute: int = 0) -> str:
    """ISO local datetime (Europe/Paris) for JSON bodies."""
    return datetime.combine(day, time(hour, minute)).isoformat()


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=HOSPITAL_TZ)


def movement(
    event_id: str, type_: str, stay: str, day: date, unit: str | None = None, hour: int = 10, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": type_,
        "stay_number": stay,
        "occurred_at": at(day, hour),
    }
    if unit is not None:
        event["unit"] = unit
    event.update(extra)
    return event


def document(
    event_id: str,
    stay: str,
    document_id: str,
    day: date,
    *,
    action: str = "new",
    document_type: str = "11490-0",
    hour: int = 10,
    parent: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "stay_number": stay,
        "document_id": document_id,
        "document_type": document_type,
        "action": action,
        "received_at": at(day, hour),
    }
    if parent is not None:
        event["parent_document_id"] = parent
    return event


def add_rss(
    session: Session,
    *,
    stay_number: str,
    exit_date: date,
    exit_unit: str,
    care_type: str = "complete",
    entry_date: date | None = None,
    received_at: datetime | None = None,
    rss_number: str | None = None,
    rum_units: tuple[str, ...] = (),
) -> RssVersion:
    """One current RSS version, as the RSS ingestion would store it (flushed, not committed);
    with `rum_units`, its RUM in that order (the last one's UM should be `exit_unit`).

    A version of an `rss_number` already current supersedes it, as a later RSS batch does: the
    previous version stops being current at this one's reception."""
    received = received_at or moment(exit_date + timedelta(days=20))
    number = rss_number or f"R{stay_number}"
    current = select(RssVersion).where(RssVersion.rss_number == number, RssVersion.is_current)
    for previous in session.scalars(current):
        previous.is_current = False
        previous.superseded_at = received
    session.flush()
    digest = hashlib.sha256(f"{stay_number}{exit_date}{received}".encode()).hexdigest()
    batch = RumBatch(
        content_sha256=digest,
        source="json",
        token_name="test",
        status="done",
        received_at=received,
        lines=1,
        rss_accepted=1,
        rum_accepted=1,
        rss_rejected=0,
        lines_rejected=0,
        formats={},
        errors=[],
        findings={},
        skipped_rules=[],
    )
    session.add(batch)
    session.flush()
    version = RssVersion(
        rss_number=number,
        batch_id=batch.id,
        received_at=received,
        is_current=True,
        content_hash=digest,
        finess="750000001",
        stay_number=stay_number,
        format="022",
        entry_date=entry_date or exit_date,
        exit_date=exit_date,
        care_type=care_type,
        seances=1 if care_type == "seance" else 0,
        rum_count=max(1, len(rum_units)),
        exit_unit=exit_unit,
    )
    session.add(version)
    session.flush()
    for position, unit in enumerate(rum_units):
        session.add(
            Rum(
                rss_version_id=version.id,
                position=position,
                line=position + 1,
                line_text="",
                rum_number=f"{position + 1:02d}",
                unit=unit,
                entry_date=entry_date or exit_date,
                exit_date=exit_date,
                rss_exit_date=exit_date,
                care_type=care_type,
                dp="Z000",
                dr="",
                das=[],
                seances=0,
                acts=[],
            )
        )
    session.flush()
    return version
