"""What the demo year plants for the exhaustivity and transmission reports (issue 19).

- **Stays not coded**: UNCODED_STAYS stays the HIS knows (admission, discharge and, for most, a
  discharge report) whose RSS never reaches the DIM. Discharged between 1 October and 20 December,
  so as of any later date they are all "not coded over 30 days"; their N° administratif
  (`<year>9xxxxx`) is none of an RSS (`<entry year><6-digit sequence>`, a few thousand a year) or
  an RHS (`<year>8xxxxx`).
- **A collapse**: from COLLAPSE_FROM, most of COLLAPSING_SERVICE's discharge reports leave late
  (applied in `generator._events` with a random stream of its own, so every other figure of the
  year, the planted coding errors included, is the same with or without it).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Final

from app.core.clock import HOSPITAL_TZ
from app.turnaround.events import DocumentEvent, EventSource, StayEvent

UNCODED_STAYS: Final = 30
UNCODED_UNITS: Final = ("7500", "7510", "7521", "7525", "7529", "7526")
COLLAPSING_SERVICE: Final = "CARDIO"
COLLAPSE_FROM: Final = (10, 1)  # (month, day) of the demo year
COLLAPSE_LATE: Final = 0.6  # share of its reports pushed past the 8-day window


def uncoded_number(year: int, index: int) -> str:
    return f"{year}9{index:05d}"


def collapses(service: str, exit_date: date, year: int) -> bool:
    return service == COLLAPSING_SERVICE and exit_date >= date(year, *COLLAPSE_FROM)


def late_by(rng: random.Random) -> timedelta | None:
    """How much later a collapsing service's report leaves (None: on its usual day)."""
    if rng.random() >= COLLAPSE_LATE:
        return None
    return timedelta(days=rng.randint(9, 25))


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HOSPITAL_TZ)  # daytime: no clock change


def uncoded_stays(
    year: int, rng: random.Random, source: EventSource
) -> tuple[list[str], list[StayEvent], list[DocumentEvent]]:
    """The planted stays without RSS: their numbers, movements and discharge reports."""
    numbers: list[str] = []
    stays: list[StayEvent] = []
    documents: list[DocumentEvent] = []
    first, last = date(year, 10, 1), date(year, 12, 20)
    for index in range(1, UNCODED_STAYS + 1):
        nda = uncoded_number(year, index)
        numbers.append(nda)
        unit = rng.choice(UNCODED_UNITS)
        discharge = first + timedelta(days=rng.randint(0, (last - first).days))
        admission = discharge - timedelta(days=rng.randint(1, 6))
        prefix = f"demo-{year}-{nda}"
        stays.append(
            StayEvent(f"{prefix}-m1", "admit", nda, unit, _at(admission, 9, rng.randint(0, 59)), source, "I")
        )
        stays.append(
            StayEvent(
                f"{prefix}-m2", "discharge", nda, unit, _at(discharge, 15, rng.randint(0, 59)), source, "I"
            )
        )
        if rng.random() < 0.8:
            received = _at(discharge + timedelta(days=rng.randint(0, 5)), 17, rng.randint(0, 59))
            documents.append(
                DocumentEvent(f"{prefix}-d1", nda, f"{nda}-CR1", "CRH", "new", received, unit, source)
            )
    return numbers, stays, documents
