"""FHIR R4 Encounter and DocumentReference feeds -> normalized events.

Bodies are one resource or a Bundle of them (any Bundle type; MessageHeader entries of message
bundles are skipped). Each resource is validated with `fhir.resources.R4B` (R4-compatible) on its
own, so one bad entry does not hide the others. Errors are `LineError`s: `line` is the 1-based
entry index (1 for a single resource, None for the whole body), `field` a path such as
`entry[2].resource.status`.

Event id: `<Type>/<id>/_history/<meta.versionId>` when the resource has both; otherwise
`<Type>/<id>#<hash>` or `<Type>#<hash>`, where hash is the first 16 hex digits of the SHA-256 of
the canonical JSON of the resource. Re-sending the same resource gives the same event id; any
change gives a new one.

References to units and encounters resolve to a code by: the reference's `identifier.value`, else
the contained resource's first identifier (`#id` references), else the logical id of a literal
reference (`Organization/7500` -> `7500`). Displays are labels, never used as codes.

Encounter (a state, not a movement: FHIR transfers are not derived, HL7 or JSON carry them):
- status arrived/triaged/in-progress/onleave -> admit at period.start; finished -> discharge at
  period.end; cancelled/entered-in-error -> cancel_admit at meta.lastUpdated, else period.end,
  else period.start; planned (a pre-admission) -> no event, no error; unknown -> error.
- stay number: the identifier typed `VN` (visit number), else the first identifier with a value.
- unit: serviceProvider (the responsible unit, as PAM-FR ZBE-7), else the last `location` entry.
- patient_class: class.code (IMP, AMB, EMER...).

DocumentReference:
- status current -> new (replace when relatesTo has a `replaces` link), superseded -> replace,
  entered-in-error (status or docStatus) -> delete.
- document id: masterIdentifier.value, else identifier[0].value, else the resource id.
- parent document: the target of the `replaces` relatesTo link.
- type: the LOINC coding of `type`, else its first coding code.
- stay number: context.encounter[0]; received_at: `date`, else meta.lastUpdated.
- unit: the first author that is an Organization, when any.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, Final, TypeVar

from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from pydantic import ValidationError

from app.core.clock import HOSPITAL_TZ
from app.core.control_chars import CONTROL_CHARACTER, describe, find_control
from app.core.dates import DATE_OUT_OF_RANGE, RANGE_TEXT, in_range
from app.core.line_errors import LineError
from app.turnaround.events import (
    UNIT_REQUIRED_TYPES,
    DocumentAction,
    DocumentEvent,
    StayEvent,
    StayEventType,
    as_hospital_time,
)

LOINC_SYSTEM: Final = "http://loinc.org"
VISIT_NUMBER_TYPE: Final = "VN"

ENCOUNTER_STATUS_TYPES: Final[dict[str, StayEventType]] = {
    "arrived": "admit",
    "triaged": "admit",
    "in-progress": "admit",
    "onleave": "admit",
    "finished": "discharge",
    "cancelled": "cancel_admit",
    "entered-in-error": "cancel_admit",
}
ENCOUNTER_SKIPPED_STATUSES: Final = frozenset({"planned"})
DOCUMENT_STATUS_ACTIONS: Final[dict[str, DocumentAction]] = {
    "current": "new",
    "superseded": "replace",
    "entered-in-error": "delete",
}
_SKIPPED_ENTRY_TYPES: Final = frozenset({"MessageHeader"})
_MAX_ERRORS_PER_RESOURCE: Final = 20

EventT = TypeVar("EventT")


class _MappingError(Exception):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- body and bundle


def _load(body: bytes | str) -> tuple[Any, LineError | None]:
    try:
        data = json.loads(body)
    # ValueError covers UnicodeDecodeError, JSONDecodeError and a number past Python's 4,300-digit
    # limit for ints (a plain ValueError, which was reported as an "internal_error").
    except (ValueError, RecursionError) as exc:
        return None, LineError(None, None, "invalid_json", f"the body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        return None, LineError(None, None, "invalid_json", "the body must be a JSON object (a FHIR resource)")
    return data, None


def _resources(data: dict[str, Any], expected: str) -> Iterator[tuple[int, str, Any] | LineError]:
    """(line, path prefix, resource) for each resource to map, or an error in its place."""
    resource_type = data.get("resourceType")
    if resource_type == expected:
        yield 1, "", data
        return
    if resource_type != "Bundle":
        yield LineError(
            1,
            "resourceType",
            "wrong_resource_type",
            f"expected {expected} or a Bundle of {expected}, got {resource_type!r}",
        )
        return
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        yield LineError(None, "entry", "invalid_resource", "Bundle.entry must be an array")
        return
    for index, entry in enumerate(entries):
        line, prefix = index + 1, f"entry[{index}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            yield LineError(line, prefix, "missing_resource", "the Bundle entry holds no resource")
            continue
        entry_type = resource.get("resourceType")
        if entry_type in _SKIPPED_ENTRY_TYPES:
            continue
        if entry_type != expected:
            yield LineError(
                line,
                f"{prefix}.resourceType",
                "wrong_resource_type",
                f"expected {expected}, got {entry_type!r}",
            )
            continue
        yield line, f"{prefix}.", resource


def _path(prefix: str, location: tuple[int | str, ...]) -> str:
    path = prefix.rstrip(".")
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    return path


def _validation_errors(line: int, prefix: str, error: ValidationError) -> list[LineError]:
    return [
        LineError(line, _path(prefix, tuple(item["loc"])), "invalid_resource", item["msg"])
        for item in error.errors()[:_MAX_ERRORS_PER_RESOURCE]
    ]


def _parse(
    body: bytes | str,
    expected: str,
    model: Any,
    mapper: Callable[[Any, dict[str, Any]], EventT | None],
) -> tuple[list[EventT], list[LineError]]:
    """The events of the `expected` resources of the body, and the per-entry errors. Never raises."""
    try:
        data, error = _load(body)
        if error is not None:
            return [], [error]
        events: list[EventT] = []
        errors: list[LineError] = []
        for item in _resources(data, expected):
            if isinstance(item, LineError):
                errors.append(item)
                continue
            line, prefix, raw = item
            nul = _nul_path(raw)
            if nul is not None:
                # Refused before anything reads it: no FHIR value holds a NUL, and PostgreSQL refuses
                # one in text.
                errors.append(
                    LineError(
                        line,
                        _path(prefix, nul) or None,
                        CONTROL_CHARACTER,
                        "a NUL character (U+0000) is not allowed in a FHIR resource",
                    )
                )
                continue
            try:
                resource = model.model_validate(raw)
            except ValidationError as exc:
                errors.extend(_validation_errors(line, prefix, exc))
                continue
            except (TypeError, ValueError, RecursionError) as exc:  # fhir.resources raises plain errors too
                errors.append(LineError(line, prefix.rstrip(".") or None, "invalid_resource", str(exc)))
                continue
            try:
                event = mapper(resource, raw)
                if event is not None:
                    _check_identifiers(event)
            except _MappingError as exc:
                errors.append(LineError(line, f"{prefix}{exc.field}", exc.code, exc.message))
                continue
            if event is not None:
                events.append(event)
        return events, errors
    except Exception as exc:  # the contract is "report, never fail the request"
        return [], [
            LineError(None, None, "internal_error", f"the body could not be read ({type(exc).__name__})")
        ]


def _nul_path(value: Any, path: tuple[int | str, ...] = ()) -> tuple[int | str, ...] | None:
    """Location of the first string (member name or value) holding a NUL, None when none does."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return (*path, key.replace("\x00", "\\u0000"))
            found = _nul_path(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, (*path, index))
            if found is not None:
                return found
    return None


# Event field -> the FHIR element it is read from, to name it in an error.
_IDENTIFIER_PATHS: Final[dict[str, str]] = {
    "event_id": "id",
    "stay_number": "identifier",
    "unit": "serviceProvider",
    "patient_class": "class",
    "document_id": "masterIdentifier",
    "document_type": "type",
    "parent_document_id": "relatesTo",
}
_DOCUMENT_PATHS: Final[dict[str, str]] = {"stay_number": "context.encounter", "unit": "author"}


def _check_identifiers(event: object) -> None:
    """Identifiers of the event hold no control character (CR, LF, NUL...): FHIR strings may."""
    paths = (
        {**_IDENTIFIER_PATHS, **_DOCUMENT_PATHS} if isinstance(event, DocumentEvent) else _IDENTIFIER_PATHS
    )
    for name, element in paths.items():
        value = getattr(event, name, None)
        if not isinstance(value, str):
            continue
        position = find_control(value)
        if position is not None:
            raise _MappingError(
                element,
                CONTROL_CHARACTER,
                f"{element}: control character {describe(value, position)} is not allowed in an identifier",
            )


# --------------------------------------------------------------------------- shared mapping helpers


def resource_event_id(resource_type: str, raw: dict[str, Any]) -> str:
    """Stable event id of one resource version (see module docstring)."""
    resource_id = raw.get("id")
    meta = raw.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    if resource_id and version:
        return f"{resource_type}/{resource_id}/_history/{version}"
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"{resource_type}/{resource_id}#{digest}" if resource_id else f"{resource_type}#{digest}"


def _as_datetime(value: Any, element: str) -> datetime | None:
    """An aware datetime of a FHIR date or dateTime (`element`: its path, for errors)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)) and not in_range(value):
        # Beyond it, converting to UTC or Paris time overflows (app.core.dates).
        raise _MappingError(
            element,
            DATE_OUT_OF_RANGE,
            f"{element}: {value.isoformat()} is outside the accepted range ({RANGE_TEXT})",
        )
    if isinstance(value, datetime):
        return as_hospital_time(value)
    if isinstance(value, date):  # FHIR date or partial date: start of that day, hospital time
        return datetime(value.year, value.month, value.day, tzinfo=HOSPITAL_TZ)
    return None


def _contained_code(resource: Any, local_id: str) -> str | None:
    for contained in getattr(resource, "contained", None) or []:
        if getattr(contained, "id", None) == local_id:
            for identifier in getattr(contained, "identifier", None) or []:
                if identifier.value:
                    return str(identifier.value).strip()
    return None


def reference_code(resource: Any, reference: Any) -> str | None:
    """Code designated by a Reference: identifier, contained resource, or literal logical id."""
    if reference is None:
        return None
    identifier = getattr(reference, "identifier", None)
    if identifier is not None and identifier.value:
        return str(identifier.value).strip()
    literal = (reference.reference or "").strip()
    if literal.startswith("#"):
        return _contained_code(resource, literal[1:])
    if not literal or literal.startswith(("urn:", "#")):
        return None
    parts = [part for part in literal.split("/") if part]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts[-1] if len(parts) >= 2 else None


def _referenced_type(resource: Any, reference: Any) -> str | None:
    literal = (reference.reference or "").strip()
    if literal.startswith("#"):
        for contained in getattr(resource, "contained", None) or []:
            if getattr(contained, "id", None) == literal[1:]:
                return str(contained.get_resource_type())
        return None
    if reference.type:
        return str(reference.type)
    parts = [part for part in literal.split("/") if part]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts[-2] if len(parts) >= 2 else None


def _last_updated(resource: Any) -> datetime | None:
    meta = getattr(resource, "meta", None)
    return _as_datetime(meta.lastUpdated, "meta.lastUpdated") if meta is not None else None


# --------------------------------------------------------------------------- Encounter


def _encounter_stay_number(encounter: Any) -> str:
    identifiers = [identifier for identifier in encounter.identifier or [] if identifier.value]
    for identifier in identifiers:
        codes = {coding.code for coding in (identifier.type.coding or [])} if identifier.type else set()
        if VISIT_NUMBER_TYPE in codes:
            return str(identifier.value).strip()
    if identifiers:
        return str(identifiers[0].value).strip()
    raise _MappingError("identifier", "missing_field", "the Encounter has no identifier (stay number)")


def _encounter_unit(encounter: Any) -> str | None:
    unit = reference_code(encounter, encounter.serviceProvider)
    if unit:
        return unit
    locations = encounter.location or []
    return reference_code(encounter, locations[-1].location) if locations else None


def _map_encounter(encounter: Any, raw: dict[str, Any]) -> StayEvent | None:
    status = str(encounter.status)
    if status in ENCOUNTER_SKIPPED_STATUSES:
        return None
    event_type = ENCOUNTER_STATUS_TYPES.get(status)
    if event_type is None:
        known = ", ".join([*ENCOUNTER_STATUS_TYPES, *ENCOUNTER_SKIPPED_STATUSES])
        raise _MappingError("status", "invalid_status", f"Encounter status {status!r} is not one of {known}")
    period = encounter.period
    start = _as_datetime(period.start, "period.start") if period else None
    end = _as_datetime(period.end, "period.end") if period else None
    occurred_at: datetime | None
    if event_type == "admit":
        occurred_at, needed = start, "period.start"
    elif event_type == "discharge":
        occurred_at, needed = end, "period.end"
    else:
        occurred_at, needed = _last_updated(encounter) or end or start, "meta.lastUpdated"
    if occurred_at is None:
        raise _MappingError(needed, "missing_field", f"a {status} Encounter needs {needed}")
    unit = _encounter_unit(encounter)
    if unit is None and event_type in UNIT_REQUIRED_TYPES:
        raise _MappingError(
            "serviceProvider", "missing_field", "no unit: neither serviceProvider nor location identifies one"
        )
    encounter_class = encounter.class_fhir
    return StayEvent(
        event_id=resource_event_id("Encounter", raw),
        type=event_type,
        stay_number=_encounter_stay_number(encounter),
        unit=unit,
        occurred_at=occurred_at,
        source="fhir",
        patient_class=str(encounter_class.code) if encounter_class and encounter_class.code else None,
    )


def parse_fhir_stay_events(body: bytes | str) -> tuple[list[StayEvent], list[LineError]]:
    """Encounter or Bundle of Encounters -> stay events and per-entry errors. Never raises."""
    return _parse(body, "Encounter", Encounter, _map_encounter)


# --------------------------------------------------------------------------- DocumentReference


def _document_type(document: Any) -> str:
    codings = [coding for coding in (document.type.coding or []) if coding.code] if document.type else []
    loinc = [coding for coding in codings if (coding.system or "") == LOINC_SYSTEM]
    chosen = loinc or codings
    if not chosen:
        raise _MappingError("type", "missing_field", "the DocumentReference has no type code")
    return str(chosen[0].code).strip()


def _document_id(document: Any) -> str:
    if document.masterIdentifier is not None and document.masterIdentifier.value:
        return str(document.masterIdentifier.value).strip()
    for identifier in document.identifier or []:
        if identifier.value:
            return str(identifier.value).strip()
    if document.id:
        return str(document.id)
    raise _MappingError("masterIdentifier", "missing_field", "the DocumentReference has no identifier")


def _replaced_document(document: Any) -> str | None:
    for relation in document.relatesTo or []:
        if relation.code == "replaces":
            return reference_code(document, relation.target)
    return None


def _document_unit(document: Any) -> str | None:
    for author in document.author or []:
        if _referenced_type(document, author) == "Organization":
            code = reference_code(document, author)
            if code:
                return code
    return None


def _map_document(document: Any, raw: dict[str, Any]) -> DocumentEvent:
    status = str(document.status)
    action = DOCUMENT_STATUS_ACTIONS.get(status)
    if action is None:
        known = ", ".join(DOCUMENT_STATUS_ACTIONS)
        raise _MappingError(
            "status", "invalid_status", f"DocumentReference status {status!r} is not one of {known}"
        )
    parent = _replaced_document(document)
    if document.docStatus == "entered-in-error":
        action = "delete"
    elif action == "new" and parent:
        action = "replace"
    encounters = document.context.encounter if document.context and document.context.encounter else []
    stay_number = reference_code(document, encounters[0]) if encounters else None
    if not stay_number:
        raise _MappingError(
            "context.encounter",
            "missing_field",
            "the DocumentReference does not identify its encounter (stay)",
        )
    received_at = _as_datetime(document.date, "date") or _last_updated(document)
    if received_at is None:
        raise _MappingError("date", "missing_field", "the DocumentReference has no date (reception date)")
    return DocumentEvent(
        event_id=resource_event_id("DocumentReference", raw),
        stay_number=stay_number,
        document_id=_document_id(document),
        document_type=_document_type(document),
        action=action,
        received_at=received_at,
        unit=_document_unit(document),
        source="fhir",
        parent_document_id=parent,
    )


def parse_fhir_document_events(body: bytes | str) -> tuple[list[DocumentEvent], list[LineError]]:
    """DocumentReference or Bundle of them -> document events and per-entry errors. Never raises."""
    return _parse(body, "DocumentReference", DocumentReference, _map_document)
