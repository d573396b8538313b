"""JSON bodies of `POST /api/v1/stay-events` and `POST /api/v1/document-events`.

The pydantic models document the bodies in OpenAPI. `parse_stay_events_json` and
`parse_document_events_json` validate each event on its own, so one bad event is reported
(`LineError` with line = 1-based event index and the field name) while the others are kept.

Rules beyond the field types:
- unknown fields are rejected (a misspelt optional field would otherwise be silently lost);
- `unit` is required for `admit` and `transfer`;
- a datetime without an offset is hospital local time (Europe/Paris); a bare date is midnight;
- inside one body, an event id used twice with the same content is kept once, with different
  content it is an error (`duplicate_event_id`). Across bodies, idempotency is storage's job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.core.control_chars import CONTROL_CHARACTER, NoControlStr, NoControlStrOrNone
from app.core.copying import copied
from app.core.dates import DATE_OUT_OF_RANGE, BoundedDatetime
from app.core.line_errors import LineError
from app.turnaround.events import (
    UNIT_REQUIRED_TYPES,
    DocumentAction,
    DocumentEvent,
    StayEvent,
    StayEventType,
    as_hospital_time,
)

_EVENT_ID = Field(
    min_length=1,
    max_length=200,
    description="Unique id of the event in the sending system. Re-sending an event id changes nothing.",
    examples=["ADT-20240306-000123"],
)
_STAY_NUMBER = Field(
    min_length=1,
    max_length=50,
    description="N° administratif de séjour (NDA): the HIS stay number linking RSS, movements and documents.",
    examples=["240001234"],
)

# pydantic error type -> LineError.code; anything else is "invalid_value".
_ERROR_CODES: Final[dict[str, str]] = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "literal_error": "invalid_value",
    "string_too_short": "invalid_length",
    "string_too_long": "invalid_length",
    "string_type": "not_a_string",
    "datetime_parsing": "invalid_datetime",
    "datetime_from_date_parsing": "invalid_datetime",
    "datetime_type": "invalid_datetime",
    "unit_required": "missing_field",  # raised by StayEventIn._unit_required
    CONTROL_CHARACTER: CONTROL_CHARACTER,  # app.core.control_chars: CR, LF, NUL... in an identifier
    DATE_OUT_OF_RANGE: DATE_OUT_OF_RANGE,  # app.core.dates: outside 1900-2100
}


class _EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _body_config(*events: dict[str, Any]) -> ConfigDict:
    """The config of a request body: no unknown member, and one example, a body of these events."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [{"events": list(events)}]})


class StayEventIn(_EventIn):
    """One patient movement."""

    event_id: NoControlStr = _EVENT_ID
    type: StayEventType = Field(
        description=(
            "admit, transfer (to another unit), discharge, or the cancellation of an earlier admit, "
            "transfer or discharge of the same stay."
        ),
        examples=["discharge"],
    )
    stay_number: NoControlStr = _STAY_NUMBER
    unit: NoControlStrOrNone = Field(
        default=None,
        min_length=1,
        max_length=20,
        validate_default=True,
        description=(
            "UM code of the unit the patient is in after the movement (the unit left, for a discharge). "
            "Required for admit and transfer."
        ),
        examples=["7500"],
    )
    occurred_at: BoundedDatetime = Field(
        description="When the movement happened, ISO 8601. Without an offset: Europe/Paris local time.",
        examples=["2024-03-06T11:00:00+01:00"],
    )
    patient_class: NoControlStrOrNone = Field(
        default=None,
        max_length=20,
        description="Patient class from the HIS (HL7 PV1-2: I inpatient, O outpatient, E emergency...).",
        examples=["I"],
    )

    @field_validator("unit")
    @classmethod
    def _unit_required(cls, unit: str | None, info: ValidationInfo) -> str | None:
        if unit is None and info.data.get("type") in UNIT_REQUIRED_TYPES:
            raise PydanticCustomError(
                "unit_required", "unit is required for {type}", {"type": info.data["type"]}
            )
        return unit

    def to_event(self) -> StayEvent:
        return copied(StayEvent, self, occurred_at=as_hospital_time(self.occurred_at), source="json")


class StayEventsIn(_EventIn):
    """Body of `POST /api/v1/stay-events`."""

    model_config = _body_config(
        {
            "event_id": "ADT-20240306-000123",
            "type": "admit",
            "stay_number": "240001234",
            "unit": "7500",
            "occurred_at": "2024-03-06T11:00:00+01:00",
        },
        {
            "event_id": "ADT-20240309-000456",
            "type": "discharge",
            "stay_number": "240001234",
            "unit": "7500",
            "occurred_at": "2024-03-09T15:30:00+01:00",
        },
    )

    events: list[StayEventIn] = Field(min_length=1, description="Movements, in any order.")


class DocumentEventIn(_EventIn):
    """One version of a document attached to a stay, or its deletion."""

    event_id: NoControlStr = _EVENT_ID
    stay_number: NoControlStr = _STAY_NUMBER
    document_id: NoControlStr = Field(
        min_length=1,
        max_length=200,
        description="Id of this document version in the HIS or document repository.",
        examples=["1.2.250.1.71.4.2.2.120456789.71024000081"],
    )
    document_type: NoControlStr = Field(
        min_length=1,
        max_length=50,
        description=(
            "Document type code, LOINC or local. Discharge reports are configured; by default LOINC "
            "11490-0, 18842-5, 34105-7, 34133-9 and local CRH, LDL, LDL-SES."
        ),
        examples=["11490-0"],
    )
    action: DocumentAction = Field(
        description="new version, replacement of parent_document_id, or deletion.", examples=["new"]
    )
    received_at: BoundedDatetime = Field(
        description="When the DIM received this version, ISO 8601. Without an offset: Europe/Paris time.",
        examples=["2024-03-10T09:12:00+01:00"],
    )
    unit: NoControlStrOrNone = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="UM code of the authoring unit.",
        examples=["7500"],
    )
    parent_document_id: NoControlStrOrNone = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="For a replacement: the id of the version it replaces.",
        examples=[None],
    )

    def to_event(self) -> DocumentEvent:
        return copied(DocumentEvent, self, received_at=as_hospital_time(self.received_at), source="json")


class DocumentEventsIn(_EventIn):
    """Body of `POST /api/v1/document-events`."""

    model_config = _body_config(
        {
            "event_id": "DOC-20240310-000789",
            "stay_number": "240001234",
            "document_id": "LDL-240001234-1",
            "document_type": "11490-0",
            "action": "new",
            "received_at": "2024-03-10T09:12:00+01:00",
            "unit": "7500",
        }
    )

    events: list[DocumentEventIn] = Field(min_length=1, description="Document events, in any order.")


def stay_events_from_model(body: StayEventsIn) -> list[StayEvent]:
    return [event.to_event() for event in body.events]


def document_events_from_model(body: DocumentEventsIn) -> list[DocumentEvent]:
    return [event.to_event() for event in body.events]


def line_errors_from_validation(exc: ValidationError, line: int | None = None) -> list[LineError]:
    """pydantic errors -> LineErrors.

    With `line`, locations are relative to one event. Without it, they are relative to a whole
    body model (`StayEventsIn`): `("events", 3, "unit")` becomes line 4, field `unit`.
    """
    errors = []
    for item in exc.errors():
        location = list(item["loc"])
        error_line = line
        if (
            error_line is None
            and len(location) >= 2
            and location[0] == "events"
            and isinstance(location[1], int)
        ):
            error_line, location = location[1] + 1, location[2:]
        field = ".".join(str(part) for part in location) or None
        code = _ERROR_CODES.get(item["type"], "invalid_value")
        errors.append(LineError(error_line, field, code, _message(field, item["msg"])))
    return errors


def _message(field: str | None, pydantic_message: str) -> str:
    text = pydantic_message.removeprefix("Value error, ")
    return f"{field}: {text}" if field else text


EventT = TypeVar("EventT", StayEvent, DocumentEvent)


def _parse(
    body: bytes | str | Any, model: type[_EventIn], convert: Callable[[Any], EventT]
) -> tuple[list[EventT], list[LineError]]:
    if isinstance(body, (bytes, bytearray, str)):
        try:
            data = json.loads(body)
        # ValueError, not only JSONDecodeError: a number past Python's 4,300-digit limit for ints
        # raises a plain ValueError, which was a 500.
        except (ValueError, RecursionError) as exc:
            return [], [LineError(None, None, "invalid_json", f"the body is not valid JSON: {exc}")]
    else:
        data = body
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return [], [LineError(None, "events", "invalid_body", 'the body must be an object {"events": [...]}')]
    unknown = sorted(set(data) - {"events"})
    if unknown:
        return [], [LineError(None, unknown[0], "unknown_field", f"unknown member {unknown[0]!r}")]
    raw_events: Sequence[Any] = data["events"]
    if not raw_events:
        return [], [LineError(None, "events", "invalid_body", "events must not be empty")]

    events: list[EventT] = []
    errors: list[LineError] = []
    seen: dict[str, tuple[int, EventT]] = {}
    for index, raw in enumerate(raw_events, start=1):
        if not isinstance(raw, dict):
            errors.append(LineError(index, None, "invalid_event", "each event must be a JSON object"))
            continue
        try:
            event = convert(model.model_validate(raw))
        except ValidationError as exc:
            errors.extend(line_errors_from_validation(exc, line=index))
            continue
        previous = seen.get(event.event_id)
        if previous is None:
            seen[event.event_id] = (index, event)
            events.append(event)
        elif previous[1] != event:
            errors.append(
                LineError(
                    index,
                    "event_id",
                    "duplicate_event_id",
                    f"event id {event.event_id!r} already used by event {previous[0]} with other content",
                )
            )
    return events, errors


def parse_stay_events_json(body: bytes | str | Any) -> tuple[list[StayEvent], list[LineError]]:
    """JSON body (bytes, text or already-decoded object) -> stay events and per-event errors."""
    return _parse(body, StayEventIn, lambda model: model.to_event())


def parse_document_events_json(body: bytes | str | Any) -> tuple[list[DocumentEvent], list[LineError]]:
    """JSON body (bytes, text or already-decoded object) -> document events and per-event errors."""
    return _parse(body, DocumentEventIn, lambda model: model.to_event())
