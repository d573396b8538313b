"""The stay movements (admission, transfers, discharge) and discharge-report events of the demo
stays, in hospital time, consistent with the RSS dates."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from app.core.clock import HOSPITAL_TZ
from app.demo import uncoded
from app.demo.drafts import URGENT_UNITS, Draft, weighted
from app.demo.hospital import UNIT_SERVICE
from app.turnaround.events import DocumentEvent, StayEvent, StayEventType

EVENT_SOURCE: Final = "json"

# Discharge-report behaviour per service: (probability received the day of discharge, probability
# late, probability never received). The rest arrives within 1-8 days.
REPORT_BEHAVIOUR: Final[dict[str, tuple[float, float, float]]] = {
    "CHIRAMBU": (0.75, 0.03, 0.02),
    "OPHTALMO": (0.7, 0.04, 0.03),
    "URG": (0.45, 0.08, 0.05),
    "GERIA": (0.12, 0.22, 0.08),
    "MPU": (0.15, 0.18, 0.07),
    "ORTHO": (0.35, 0.1, 0.04),
}
DEFAULT_REPORT_BEHAVIOUR: Final = (0.25, 0.11, 0.05)
REPORT_TYPES: Final = (("CRH", 7), ("11490-0", 2), ("34133-9", 1))
IMAGING_REPORT: Final = "18748-4"  # does not count as a discharge report

# --- Movements and documents -----------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    """Local midnight of `day` as a UTC instant (midnight exists every day in Europe/Paris)."""
    return datetime.combine(day, time(0, 0), tzinfo=HOSPITAL_TZ).astimezone(UTC)


def _day_minutes(day: date) -> int:
    """Minutes in the local day: 1,380 or 1,500 on the days the clocks change, else 1,440."""
    return int((_midnight(day + timedelta(days=1)) - _midnight(day)).total_seconds()) // 60


def _at(day: date, minutes: int) -> datetime:
    """The instant `minutes` of elapsed time after local midnight of `day`, in hospital time.

    Elapsed time, not wall-clock arithmetic (an aware datetime plus a timedelta keeps its offset,
    so 02:30 on the spring day would name an hour that does not exist, placed before 03:10).
    """
    return (_midnight(day) + timedelta(minutes=minutes)).astimezone(HOSPITAL_TZ)


def _later(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus `delta` of elapsed time, in hospital time (see `_at`)."""
    return (moment.astimezone(UTC) + delta).astimezone(HOSPITAL_TZ)


def _movements(d: Draft, rng: random.Random) -> list[tuple[StayEventType, str, datetime]]:
    """Admission, transfers and discharge of a stay, each on the date its RSS gives it.

    The admission is on the first RUM's entry date, a transfer on the day the previous RUM ends
    (the mutation day; a planted C023 error shifts only the coded entry of the next RUM), the
    discharge on the exit date. Times increase strictly and never leave their day: a movement
    that would be pushed past midnight by an earlier one on the same day is squeezed before it.
    """
    segments = d.segments
    planned: list[tuple[StayEventType, str, date, int, int]] = []  # kind, unit, day, earliest, latest
    first = segments[0]
    urgent = first.unit in URGENT_UNITS
    same_day = d.entry == d.exit
    # A same-day stay through the emergency unit arrives early enough to be seen and leave.
    planned.append(
        (
            "admit",
            first.unit,
            first.entry,
            0 if urgent else 7 * 60,
            (20 if same_day else 23) * 60 if urgent else 10 * 60,
        )
    )
    for before, seg in zip(segments, segments[1:], strict=False):
        planned.append(("transfer", seg.unit, before.exit, 9 * 60, 20 * 60))
    planned.append(("discharge", segments[-1].unit, d.exit, 10 * 60, 18 * 60))
    moments: list[tuple[StayEventType, str, datetime]] = []
    previous: tuple[date, int] | None = None
    for index, (kind, unit, day, earliest, latest) in enumerate(planned):
        minute = rng.randint(earliest, latest)
        floor = 0
        if previous is not None and previous[0] == day:
            floor = previous[1] + 1
            if minute < floor:
                minute = previous[1] + (rng.randint(60, 240) if kind == "discharge" else rng.randint(20, 90))
        later_same_day = sum(1 for item in planned[index + 1 :] if item[2] == day)
        minute = max(floor, min(minute, _day_minutes(day) - 1 - later_same_day))
        moments.append((kind, unit, _at(day, minute)))
        previous = (day, minute)
    return moments


def build_events(
    drafts: list[Draft], year: int, rng: random.Random, collapse: random.Random
) -> tuple[list[StayEvent], list[DocumentEvent]]:
    stays: list[StayEvent] = []
    documents: list[DocumentEvent] = []
    for d in sorted(drafts, key=lambda d: d.admin_number):
        nda = d.admin_number
        seance = d.plan.care == "seance"
        patient_class = "R" if seance else "I"
        prefix = f"demo-{year}-{nda}"
        moments = _movements(d, rng)
        out = moments[-1][2]
        for n, (kind, unit, stamp) in enumerate(moments, start=1):
            stays.append(StayEvent(f"{prefix}-m{n}", kind, nda, unit, stamp, EVENT_SOURCE, patient_class))
        if seance:
            continue
        exit_unit = d.segments[-1].unit
        service = UNIT_SERVICE.get(exit_unit, "")
        same_day, late, missing = REPORT_BEHAVIOUR.get(service, DEFAULT_REPORT_BEHAVIOUR)
        draw = rng.random()
        if draw < missing:
            delay = None
        elif draw < missing + late:
            delay = rng.randint(9, 45)
        elif draw < missing + late + same_day:
            delay = 0
        else:
            delay = min(8, 1 + int(rng.expovariate(1 / 2.5)))
        if delay is not None:
            received = _at(d.exit + timedelta(days=delay), rng.randint(8 * 60, 19 * 60))
            if received <= out:
                received = _later(out, timedelta(minutes=rng.randint(15, 120)))
            if uncoded.collapses(service, d.exit, year) and (later := uncoded.late_by(collapse)) is not None:
                received = _later(received, later)
            doc_type = weighted(rng, REPORT_TYPES)
            doc_id = f"{nda}-CR1"
            documents.append(
                DocumentEvent(f"{prefix}-d1", nda, doc_id, doc_type, "new", received, exit_unit, EVENT_SOURCE)
            )
            if rng.random() < 0.05:
                # A corrected version a few days later: the reception date stays the first one.
                again = _later(received, timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 300)))
                documents.append(
                    DocumentEvent(
                        f"{prefix}-d2",
                        nda,
                        f"{nda}-CR2",
                        doc_type,
                        "replace",
                        again,
                        exit_unit,
                        EVENT_SOURCE,
                        parent_document_id=doc_id,
                    )
                )
        if d.plan.care == "complete" and rng.random() < 0.1:
            minute = rng.randint(9 * 60, 20 * 60)
            imaging = _at(d.entry + timedelta(days=rng.randint(0, 1)), minute)
            documents.append(
                DocumentEvent(
                    f"{prefix}-d9",
                    nda,
                    f"{nda}-IMG",
                    IMAGING_REPORT,
                    "new",
                    imaging,
                    d.segments[0].unit,
                    EVENT_SOURCE,
                )
            )
    stays.sort(key=lambda e: (e.occurred_at, e.event_id))
    documents.sort(key=lambda e: (e.received_at, e.event_id))
    return stays, documents
