"""The content hash of an event is stored with it: a re-sent event must hash the same forever, or
a harmless re-send would be refused as a conflict. These digests were computed by the first form of
`content_hash` (every field but the key, datetimes in UTC ISO form, repr of the tuple)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.core.clock import HOSPITAL_TZ
from app.turnaround.events import DocumentEvent, StayEvent
from app.turnaround.intake import content_hash

EVENTS = [
    (
        StayEvent(
            "e1", "admit", "22000001", "7001", datetime(2022, 3, 1, 10, 5, tzinfo=HOSPITAL_TZ), "json", "I"
        ),
        "7826b61e4a9550f1f6fae80d5feb28d9f1441d153f4bbdc31c8a21366d28f81a",
    ),
    (
        StayEvent(
            "e2", "discharge", "22000001", None,
            datetime(2022, 3, 27, 2, 30, tzinfo=timezone(timedelta(hours=2))), "hl7",
        ),
        "ad28d1bcb1c1db80d9894bb074347a3acf376e34a1feb9868727642b5a8516ed",
    ),
    (
        DocumentEvent(
            "d1", "22000001", "CRH-1", "11490-0", "replace",
            datetime(2022, 10, 30, 2, 30, tzinfo=HOSPITAL_TZ), None, "fhir", "CRH-0",
        ),
        "f9e0ca0a1814aa6013cd9d838947d196332b5775d068e22272d67e4c3839069b",
    ),
    (
        DocumentEvent(
            "d2", "22000001", 'DOC "x"\\ é', "CRH", "new", datetime(2022, 3, 1, tzinfo=UTC), "7001", "json"
        ),
        "af0b68e8ac9c07c500fc9af249d7e9a029429c34d727220e9eb4de70dea61c58",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("event", "digest"), EVENTS)
def test_content_hash_is_stable(event: StayEvent | DocumentEvent, digest: str) -> None:
    assert content_hash(event) == digest


@pytest.mark.parametrize(("event", "_digest"), EVENTS)
def test_content_hash_covers_every_field_but_the_key(event: StayEvent | DocumentEvent, _digest: str) -> None:
    """A change of any field but event_id and source changes the hash (a new field added to the
    events without adding it to the hash would fail here)."""
    for item in fields(event):
        value = getattr(event, item.name)
        changed = value + timedelta(seconds=1) if isinstance(value, datetime) else (value or "") + "x"
        other = type(event)(**{**{f.name: getattr(event, f.name) for f in fields(event)}, item.name: changed})
        if item.name in ("event_id", "source"):
            assert content_hash(other) == content_hash(event)
        else:
            assert content_hash(other) != content_hash(event), item.name
