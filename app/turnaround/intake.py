"""Feed intake and event storage: JSON, FHIR and HL7 v2 bodies to stored events, idempotently.

Idempotency key: (source, event_id). HL7 event ids are namespaced `MSH-3|MSH-4|MSH-9|MSH-10`
(MSH-9 as `type^trigger`; ORU documents keep their `/n` suffix), because MSH-10 is only unique per
sending application and facility; document replacements and deletions add `#<message digest>`
(`hl7_event_id`). The content hash covers every normalized field but the key (HL7: the message
without MSH-7): the same key with the same hash is a duplicate (nothing changes), with another
hash a conflict (`duplicate_event_id`), never an overwrite.

Each batch refreshes the derived state of the stays it touches (`derivation`). Services never
commit: the request dependency (or the caller's `session.begin()`) does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Final, Literal

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.line_errors import LineError
from app.core.problems import Conflict, InvalidInput
from app.turnaround import derivation, metrics, repository
from app.turnaround.events import (
    DocumentEvent,
    DocumentEventValues,
    StayEvent,
    StayEventValues,
)
from app.turnaround.fhir import parse_fhir_document_events, parse_fhir_stay_events
from app.turnaround.hl7_ack import build_ack
from app.turnaround.hl7v2 import Hl7Parsed, parse_hl7_message
from app.turnaround.json_events import parse_document_events_json, parse_stay_events_json
from app.turnaround.models import EVENT_ID_LENGTH, DocumentEventRow, StayEventRow
from app.turnaround.settings import audit_ids

EventKind = Literal["stay", "document"]
Event = StayEvent | DocumentEvent

HL7_MESSAGE_TYPES: Final[dict[EventKind, frozenset[str]]] = {
    "stay": frozenset({"ADT"}),
    "document": frozenset({"MDM", "ORU"}),
}
_ENDPOINTS: Final[dict[EventKind, str]] = {
    "stay": "/api/v1/stay-events",
    "document": "/api/v1/document-events",
}


# --------------------------------------------------------------------------- idempotent storage


@dataclass(slots=True)
class StoreOutcome:
    """Storage ids (the idempotency keys' event ids) by outcome."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


# Every field but the key (event_id, source), in declaration order: the hashed tuple below. The
# stored hashes depend on this exact form (a re-sent event must hash the same forever), pinned by
# tests/turnaround/test_service_support.py.
_HASHED_FIELDS: Final[dict[type, tuple[str, ...]]] = {
    kind: tuple(item.name for item in fields(kind) if item.name not in ("event_id", "source"))
    for kind in (StayEvent, DocumentEvent)
}
assert _HASHED_FIELDS[StayEvent] == ("type", "stay_number", "unit", "occurred_at", "patient_class")
assert _HASHED_FIELDS[DocumentEvent] == (
    "stay_number",
    "document_id",
    "document_type",
    "action",
    "received_at",
    "unit",
    "parent_document_id",
)


def content_hash(event: Event) -> str:
    """SHA-256 of the normalized event without its key; instants compared in UTC."""
    return _hashed(event)[0]


def _hashed(event: Event) -> tuple[str, datetime]:
    """`content_hash` of the event, and its instant (occurrence, reception) in UTC, the form
    hashed: its stored row takes that one too, which psycopg dumps to COPY several times faster
    than an instant in Europe/Paris (0.06 against 0.4 us: no zone lookup).

    The hashed text is `repr` of the tuple (kind name, every field but the key, the instant as UTC
    ISO), written as one f-string of the same characters: a batch hashes 10,000 events, and
    building the tuple, then its repr, cost a fifth more. repr of str/None is unambiguous (quotes
    and escapes), so distinct contents never collide."""
    if isinstance(event, StayEvent):
        instant = event.occurred_at.astimezone(UTC)
        text = (
            f"('StayEvent', {event.type!r}, {event.stay_number!r}, {event.unit!r}, "
            f"'{instant.isoformat()}', {event.patient_class!r})"
        )
    else:
        instant = event.received_at.astimezone(UTC)
        text = (
            f"('DocumentEvent', {event.stay_number!r}, {event.document_id!r}, {event.document_type!r}, "
            f"{event.action!r}, '{instant.isoformat()}', {event.unit!r}, {event.parent_document_id!r})"
        )
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), instant


EventValues = StayEventValues | DocumentEventValues


def _event_row(
    event_id: str,
    event: Event,
    digest: str,
    instant: datetime,
    recorded_at: datetime,
    message_digest: str | None = None,
) -> EventValues:
    """The stored row of `event`: tuples go to COPY as they are, where dicts cost a build and a
    lookup per column. `instant` is the event's occurrence or reception (`_hashed` gives it in
    UTC)."""
    if isinstance(event, StayEvent):
        return StayEventValues(
            event.source,
            event_id,
            digest,
            event.stay_number,
            event.type,
            event.unit,
            instant,
            event.patient_class,
            recorded_at,
            message_digest,
        )
    return DocumentEventValues(
        event.source,
        event_id,
        digest,
        event.stay_number,
        event.document_id,
        event.document_type,
        event.action,
        instant,
        event.unit,
        event.parent_document_id,
        recorded_at,
        message_digest,
    )


def storage_time(session: Session) -> datetime:
    """When events stored now are recorded: the transaction's time on the database clock (the
    clock of the RSS batches' reception too). Tests replace it to play events arriving late."""
    return repository.transaction_time(session)


def store_events(
    session: Session,
    kind: EventKind,
    events: Sequence[Event],
    *,
    event_ids: Sequence[str] | None = None,
    message_digests: Sequence[str] | None = None,
    recorded_at: datetime | None = None,
) -> StoreOutcome:
    """Store new events, classify the others as duplicates or conflicts, refresh derived state.

    `event_ids` overrides the storage ids (HL7 namespacing); by default each event's own id.
    `message_digests` are the HL7 messages' digests (`hl7v2.message_digest`, MSH-7 left out): an
    event whose key is stored is a duplicate when its content hash or its message digest is the
    stored one (a retry stamped with a new MSH-7 has other dates, the same digest).
    `recorded_at` is their storage time (default `storage_time`): an event counts in figures as
    of a date only once both it happened and dimqa stored it.
    """
    recorded = recorded_at if recorded_at is not None else storage_time(session)
    if recorded.tzinfo is not None:  # the same instant, dumped to COPY without a zone lookup per row
        recorded = recorded.astimezone(UTC)
    ids = list(event_ids) if event_ids is not None else [event.event_id for event in events]
    model = StayEventRow if kind == "stay" else DocumentEventRow
    columns = StayEventValues._fields if kind == "stay" else DocumentEventValues._fields
    outcome = StoreOutcome()
    rows: list[EventValues] = []
    # (source, event_id) -> (content hash, message digest) of its first occurrence in the body.
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}
    for position, (event_id, event) in enumerate(zip(ids, events, strict=True)):
        digest, instant = _hashed(event)
        message = message_digests[position] if message_digests is not None else None
        key = (event.source, event_id)
        previous = seen.get(key)
        if previous is None:
            seen[key] = (digest, message)
            rows.append(_event_row(event_id, event, digest, instant, recorded, message))
        elif _same_event(previous, digest, message):
            outcome.duplicates.append(event_id)
        else:
            outcome.conflicts.append(event_id)
    # The lock first: the bulk insert relies on it (see repository.insert_events).
    repository.lock_derivation(session)
    overlapped = len(rows) > repository.COPY_THRESHOLD
    if overlapped:
        # As repository.insert_events does for a bulk batch, the stays replayed during the COPY.
        stored = repository.stored_hashes(session, model, list(seen))
        fresh = [row for row in rows if (row.source, row.event_id) not in stored] if stored else rows
        # The rows are all of the kind's type (`_event_row`); mypy sees the union.
        if kind == "stay":
            derivation.insert_and_refresh_stays(session, fresh)  # type: ignore[arg-type]
        else:
            derivation.insert_and_refresh_documents(session, fresh)  # type: ignore[arg-type]
        inserted = {(row.source, row.event_id) for row in fresh}
    else:
        inserted = repository.insert_events(session, model, columns, rows)
        stored = (
            repository.stored_hashes(session, model, [key for key in seen if key not in inserted])
            if len(inserted) < len(seen)
            else {}
        )
    touched: set[str] = set()
    new_rows: list[EventValues] = []
    for row in rows:
        row_key = (row.source, row.event_id)
        if row_key in inserted:
            outcome.accepted.append(row.event_id)
            touched.add(row.stay_number)
            new_rows.append(row)
        elif _same_event(stored.get(row_key), row.content_hash, row.message_digest):
            outcome.duplicates.append(row.event_id)
        else:
            outcome.conflicts.append(row.event_id)
    if touched and not overlapped:
        if kind == "stay":
            derivation.refresh_stays(session, sorted(touched))
        else:
            derivation.refresh_documents(session, sorted(touched), new_rows=new_rows)  # type: ignore[arg-type]
    return outcome


def _same_event(stored: tuple[str, str | None] | None, digest: str, message_digest: str | None) -> bool:
    """Whether an event under a stored key is that one again: same content, or (HL7) the same
    message whatever its MSH-7."""
    if stored is None:
        return False
    return stored[0] == digest or (message_digest is not None and stored[1] == message_digest)


# --------------------------------------------------------------------------- feeds


@dataclass(slots=True)
class IngestReport:
    """Outcome of a JSON or FHIR body."""

    accepted: list[str]
    duplicates: list[str]
    errors: list[LineError]

    @property
    def rejected(self) -> int:
        lines = {error.line for error in self.errors}
        return len(lines)


def _json_lines(body: bytes) -> dict[str, int]:
    """event_id -> 1-based index of its first occurrence, to locate storage conflicts."""
    try:
        data = json.loads(body)
        raw = data["events"]
    except (ValueError, TypeError, KeyError):
        return {}
    lines: dict[str, int] = {}
    if isinstance(raw, list):
        for index, item in enumerate(raw, start=1):
            if isinstance(item, dict) and isinstance(item.get("event_id"), str):
                lines.setdefault(item["event_id"].strip(), index)
    return lines


# Column sizes (models.py). JSON bodies are held to them by their schema; HL7 and FHIR values are
# checked here so an oversized value is a reported error, not a database error.
_MAX_LENGTHS: Final = {
    "event_id": EVENT_ID_LENGTH,
    "stay_number": 50,
    "unit": 20,
    "patient_class": 20,
    "document_id": 200,
    "document_type": 50,
    "parent_document_id": 200,
}


def oversized(event: Event, event_id: str, line: int | None = None) -> list[LineError]:
    """Errors for the values of `event` (stored under `event_id`) longer than their column."""
    values = {name: getattr(event, name, None) for name in _MAX_LENGTHS}
    values["event_id"] = event_id
    return [
        LineError(
            line,
            name,
            "value_too_long",
            f"{name} of event {event_id[:60]!r} has {len(value)} characters, at most {_MAX_LENGTHS[name]}",
        )
        for name, value in values.items()
        if isinstance(value, str) and len(value) > _MAX_LENGTHS[name]
    ]


def _conflict_error(event_id: str, line: int | None) -> LineError:
    return LineError(
        line,
        "event_id",
        "duplicate_event_id",
        f"event id {event_id!r} was already received with a different content; "
        "send a new event id for a new event",
    )


def ingest_body(
    session: Session, principal: Principal, kind: EventKind, source: Literal["json", "fhir"], body: bytes
) -> IngestReport:
    """JSON or FHIR body -> stored events, audited. Raises a problem when no event of the body is
    valid."""
    events: Sequence[Event]
    if kind == "stay":
        events, errors = (parse_stay_events_json if source == "json" else parse_fhir_stay_events)(body)
    else:
        events, errors = (parse_document_events_json if source == "json" else parse_fhir_document_events)(
            body
        )
    errors = list(errors)
    storable = []
    for event in events:
        problems = oversized(event, event.event_id)
        errors += problems
        if not problems:
            storable.append(event)
    outcome = store_events(session, kind, storable) if storable else StoreOutcome()
    if outcome.conflicts:
        lines = _json_lines(body) if source == "json" else {}
        errors += [_conflict_error(event_id, lines.get(event_id)) for event_id in outcome.conflicts]
        errors.sort(key=lambda error: (error.line is None, error.line or 0))
    report = IngestReport(outcome.accepted, outcome.duplicates, errors)
    metrics.count_events(
        kind,
        source,
        accepted=len(outcome.accepted),
        duplicates=len(outcome.duplicates),
        rejected=report.rejected,
    )
    if not outcome.accepted and not outcome.duplicates:
        _raise_nothing_valid(kind, errors)
    _audit(session, principal, kind, outcome)
    return report


def _audit(session: Session, principal: Principal, kind: EventKind, outcome: StoreOutcome) -> None:
    ids = audit_ids(outcome.accepted + outcome.duplicates)
    audit_service.record(session, principal, action="write", object_type=f"{kind}_event", object_ids=ids)


def _raise_nothing_valid(kind: EventKind, errors: list[LineError]) -> None:
    if errors and all(error.code == "duplicate_event_id" for error in errors):
        raise Conflict(f"every {kind} event reuses a known event id with other content", errors=errors)
    raise InvalidInput(f"no valid {kind} event: {len(errors)} error(s)", errors=errors, status=422)


@dataclass(frozen=True, slots=True)
class Hl7Outcome:
    ack: bytes
    ack_code: str
    charset: str  # of the ACK bytes, for the Content-Type header
    stored: StoreOutcome


# Length of the message digest prefix that tells versions of one HL7 identity apart.
HL7_VERSION_DIGITS: Final = 16


def hl7_event_id(parsed: Hl7Parsed, event: Event) -> str:
    """Storage id of an HL7 event: `MSH-3|MSH-4|MSH-9|MSH-10` (MSH-9 as type^trigger, an ORU's
    documents numbered `/n` after MSH-10), and for a document replacement or deletion
    `#<first 16 hex digits of the message digest>` after it.

    MSH-10 is unique only per sending application and facility: two facilities of one HIS, or two
    HIS, reuse control ids. A replacement or correction (MDM T10, T04/T11, an ORU with a corrected
    or replacing status) is a new version of a document, and senders re-use the control id of the
    original for it (the ANS ORU examples do): keyed by its content, it is stored beside the
    earlier versions, while its own retries (same message, whatever MSH-7) stay duplicates."""
    header = parsed.header
    assert header is not None and parsed.digest is not None
    identity = (
        f"{header.sending_application}|{header.sending_facility}|"
        f"{header.message_type}^{header.trigger}|{event.event_id}"
    )
    if isinstance(event, DocumentEvent) and event.action != "new":
        return f"{identity}#{parsed.digest[:HL7_VERSION_DIGITS]}"
    return identity


def _ack_charset(parsed: Hl7Parsed) -> str:
    declared = (parsed.header.charset if parsed.header else "").upper().replace(" ", "")
    return {"8859/1": "iso-8859-1", "8859/15": "iso-8859-15"}.get(declared, "utf-8")


def ingest_hl7(session: Session, principal: Principal, kind: EventKind, body: bytes) -> Hl7Outcome:
    """One HL7 v2 message -> stored events and its ACK, audited when it stored or re-sent events.
    Never raises on bad input.

    The message is atomic: when one of its events conflicts with a stored event, none is kept
    (savepoint) and the ACK is AE.
    """
    parsed = parse_hl7_message(body)
    stored = StoreOutcome()
    if parsed.accepted and parsed.message_type not in HL7_MESSAGE_TYPES[kind]:
        other: EventKind = "document" if kind == "stay" else "stay"
        error = LineError(
            1,
            "MSH-9",
            "unsupported_message_type",
            f"{parsed.message_type} messages are not accepted here: send them to {_ENDPOINTS[other]}",
        )
        ack = build_ack(parsed, "AR", [error])
        metrics.count_events(kind, "hl7", rejected=1)
        return Hl7Outcome(ack, "AR", _ack_charset(parsed), stored)
    if not parsed.accepted:
        metrics.count_events(kind, "hl7", rejected=1)
        return Hl7Outcome(build_ack(parsed), parsed.ack_code, _ack_charset(parsed), stored)
    events: Sequence[Event] = parsed.stay_events if kind == "stay" else parsed.document_events
    if not events:
        metrics.count_events(kind, "hl7", ignored=1)
        return Hl7Outcome(build_ack(parsed), "AA", _ack_charset(parsed), stored)
    ids = [hl7_event_id(parsed, event) for event in events]
    too_long = [
        error for event, event_id in zip(events, ids, strict=True) for error in oversized(event, event_id)
    ]
    if too_long:
        metrics.count_events(kind, "hl7", rejected=len(events))
        return Hl7Outcome(build_ack(parsed, "AE", too_long), "AE", _ack_charset(parsed), stored)
    savepoint = session.begin_nested()
    assert parsed.digest is not None  # every accepted message has one
    stored = store_events(session, kind, events, event_ids=ids, message_digests=[parsed.digest] * len(events))
    if stored.conflicts:
        savepoint.rollback()
        errors = [_conflict_error(event_id, None) for event_id in stored.conflicts]
        errors = [LineError(1, "MSH-10", e.code, e.message) for e in errors]
        metrics.count_events(kind, "hl7", rejected=len(events))
        return Hl7Outcome(build_ack(parsed, "AE", errors), "AE", _ack_charset(parsed), StoreOutcome())
    savepoint.commit()
    metrics.count_events(kind, "hl7", accepted=len(stored.accepted), duplicates=len(stored.duplicates))
    if stored.accepted or stored.duplicates:
        _audit(session, principal, kind, stored)
    return Hl7Outcome(build_ack(parsed), "AA", _ack_charset(parsed), stored)
