"""JSON bodies of the stay-events and document-events endpoints."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.clock import HOSPITAL_TZ
from app.turnaround.events import DocumentEvent, StayEvent
from app.turnaround.json_events import (
    DocumentEventsIn,
    StayEventsIn,
    document_events_from_model,
    line_errors_from_validation,
    parse_document_events_json,
    parse_stay_events_json,
    stay_events_from_model,
)

PARIS = HOSPITAL_TZ


def _stay(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": "E1",
        "type": "admit",
        "stay_number": "240001234",
        "unit": "7500",
        "occurred_at": "2024-03-06T11:00:00+01:00",
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not None}


def _document(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": "D1",
        "stay_number": "240001234",
        "document_id": "LDL-1",
        "document_type": "11490-0",
        "action": "new",
        "received_at": "2024-03-10T09:12:00+01:00",
        "unit": "7500",
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not None}


def _body(*events: Any) -> bytes:
    return json.dumps({"events": list(events)}).encode("utf-8")


def test_valid_stay_events() -> None:
    events, errors = parse_stay_events_json(
        _body(
            _stay(), _stay(event_id="E2", type="discharge", occurred_at="2024-03-09T15:30:00", unit=" 7500 ")
        )
    )

    assert errors == []
    assert events == [
        StayEvent(
            event_id="E1",
            type="admit",
            stay_number="240001234",
            unit="7500",
            occurred_at=datetime(2024, 3, 6, 11, 0, tzinfo=timezone(timedelta(hours=1))),
            source="json",
        ),
        StayEvent(
            event_id="E2",
            type="discharge",
            stay_number="240001234",
            unit="7500",  # stripped
            occurred_at=datetime(2024, 3, 9, 15, 30, tzinfo=PARIS),  # naive = hospital local time
            source="json",
        ),
    ]


def test_bare_date_is_local_midnight_and_patient_class_is_kept() -> None:
    (event,), _ = parse_stay_events_json(_body(_stay(occurred_at="2024-03-06", patient_class="I")))
    assert event.occurred_at == datetime(2024, 3, 6, tzinfo=PARIS)
    assert event.patient_class == "I"


@pytest.mark.parametrize("event_type", ["admit", "transfer"])
def test_unit_is_required_for_admit_and_transfer(event_type: str) -> None:
    events, errors = parse_stay_events_json(_body(_stay(type=event_type, unit=None)))

    assert events == []
    assert [(error.line, error.field, error.code) for error in errors] == [(1, "unit", "missing_field")]
    assert errors[0].message == f"unit: unit is required for {event_type}"


@pytest.mark.parametrize("event_type", ["discharge", "cancel_admit", "cancel_transfer", "cancel_discharge"])
def test_unit_is_optional_otherwise(event_type: str) -> None:
    (event,), errors = parse_stay_events_json(_body(_stay(type=event_type, unit=None)))
    assert errors == []
    assert event.unit is None


def test_each_bad_event_is_reported_and_good_ones_kept() -> None:
    events, errors = parse_stay_events_json(
        _body(
            _stay(type="bogus"),
            _stay(event_id="E2", occurred_at="yesterday"),
            _stay(event_id="E3", colour="blue"),
            "not an object",
            _stay(event_id="   "),
            _stay(event_id="E6", stay_number=None),
            _stay(event_id="E7"),
        )
    )

    assert [event.event_id for event in events] == ["E7"]
    assert [(error.line, error.field, error.code) for error in errors] == [
        (1, "type", "invalid_value"),
        (2, "occurred_at", "invalid_datetime"),
        (3, "colour", "unknown_field"),
        (4, None, "invalid_event"),
        (5, "event_id", "invalid_length"),
        (6, "stay_number", "missing_field"),
    ]


def test_duplicate_event_ids_inside_one_body() -> None:
    events, errors = parse_stay_events_json(_body(_stay(), _stay(), _stay(unit="7600")))

    assert [event.event_id for event in events] == ["E1"]
    assert [(error.line, error.field, error.code) for error in errors] == [
        (3, "event_id", "duplicate_event_id")
    ]
    assert errors[0].message == "event id 'E1' already used by event 1 with other content"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"{", "invalid_json", None),
        (b"\xff", "invalid_json", None),
        (b'{"events": ' + b"1" * 5000 + b"}", "invalid_json", None),  # a ValueError, not a JSONDecodeError
        (b"[]", "invalid_body", "events"),
        (b'{"events": {}}', "invalid_body", "events"),
        (b'{"events": []}', "invalid_body", "events"),
        (b'{"events": [], "extra": 1}', "unknown_field", "extra"),
    ],
)
def test_bad_bodies(body: bytes, code: str, field: str | None) -> None:
    events, errors = parse_stay_events_json(body)

    assert events == []
    assert [(error.line, error.field, error.code) for error in errors] == [(None, field, code)]


def test_already_decoded_body_is_accepted() -> None:
    events, errors = parse_stay_events_json({"events": [_stay()]})
    assert errors == [] and len(events) == 1


def test_valid_document_events() -> None:
    events, errors = parse_document_events_json(
        _body(
            _document(),
            _document(event_id="D2", action="replace", document_id="LDL-2", parent_document_id="LDL-1"),
        )
    )

    assert errors == []
    assert events[0] == DocumentEvent(
        event_id="D1",
        stay_number="240001234",
        document_id="LDL-1",
        document_type="11490-0",
        action="new",
        received_at=datetime(2024, 3, 10, 9, 12, tzinfo=timezone(timedelta(hours=1))),
        unit="7500",
        source="json",
    )
    assert (events[1].action, events[1].parent_document_id) == ("replace", "LDL-1")


def test_document_event_errors() -> None:
    events, errors = parse_document_events_json(
        _body(_document(action="update"), _document(event_id="D2", unit=None, received_at=None))
    )

    assert events == []
    assert [(error.line, error.field, error.code) for error in errors] == [
        (1, "action", "invalid_value"),
        (2, "received_at", "missing_field"),
    ]


def test_models_for_a_whole_body() -> None:
    stays = StayEventsIn.model_validate({"events": [_stay()]})
    documents = DocumentEventsIn.model_validate({"events": [_document()]})

    assert [event.source for event in stay_events_from_model(stays)] == ["json"]
    assert [event.document_id for event in document_events_from_model(documents)] == ["LDL-1"]


def test_whole_body_validation_errors_map_to_event_lines() -> None:
    with pytest.raises(ValidationError) as caught:
        StayEventsIn.model_validate({"events": [_stay(), _stay(type="transfer", unit=None)]})

    errors = line_errors_from_validation(caught.value)
    assert [(error.line, error.field, error.code) for error in errors] == [(2, "unit", "missing_field")]


def test_openapi_schema_documents_the_fields() -> None:
    schema = StayEventsIn.model_json_schema()
    event_schema = schema["$defs"]["StayEventIn"]

    assert schema["examples"][0]["events"][0]["type"] == "admit"
    assert set(event_schema["required"]) == {"event_id", "type", "stay_number", "occurred_at"}
    assert event_schema["properties"]["type"]["enum"] == [
        "admit",
        "transfer",
        "discharge",
        "cancel_admit",
        "cancel_transfer",
        "cancel_discharge",
    ]
    for name, field in event_schema["properties"].items():
        assert field.get("description"), name
    document_schema = DocumentEventsIn.model_json_schema()["$defs"]["DocumentEventIn"]
    assert document_schema["properties"]["action"]["enum"] == ["new", "replace", "delete"]
