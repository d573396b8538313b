"""Turnaround use cases: storing events idempotently, deriving stay and document state, and the
turnaround figures (counting rules in `classify`, computed in SQL by the repository).

Idempotency key: (source, event_id). HL7 event ids are namespaced `MSH-3|MSH-4|MSH-9|MSH-10`
(MSH-9 as `type^trigger`; ORU documents keep their `/n` suffix), because MSH-10 is only unique per
sending application and facility; document replacements and deletions add `#<message digest>`
(`hl7_event_id`). The content hash covers every normalized field but the key (HL7: the message
without MSH-7): the same key with the same hash is a duplicate (nothing changes), with another
hash a conflict (`duplicate_event_id`), never an overwrite.

Derived state (recomputed for the touched stay numbers after each batch, from all their events):

- Stay: events replayed by `occurred_at`, then arrival. `cancel_admit` voids everything before it;
  `cancel_transfer` removes the latest transfer, `cancel_discharge` the latest discharge. The
  discharge unit is the discharge event's unit, else the unit of the latest movement before it.
  Each change of "discharged on D from unit U" opens a period at the moment dimqa knew of it (an
  event is known from the later of its occurrence and its storage, `recorded_at`), so `as_of`
  sees the state the movements stored by then described, whatever arrives later.
- Document: versions linked by `parent_document_id` form one document, replayed by `received_at`,
  then arrival. A new or replacing version makes it alive; deleting its latest version (or any
  version not already replaced) deletes it; a later version revives it. Its reception time is
  the earliest reception since it last became alive: a deleted report never counted as received.
  Its periods, like the stays', change when dimqa knew of a version (the later of its claimed
  reception and its storage); the reception dates counted stay the claimed ones.

Services never commit: the request dependency (or the caller's `session.begin()`) does.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, Final, Literal, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.dates import DATE_OUT_OF_RANGE, DateOutOfRange, in_range
from app.core.line_errors import LineError
from app.core.problems import Conflict, InvalidInput
from app.turnaround import metrics, repository
from app.turnaround.classify import TurnaroundSummary
from app.turnaround.events import (
    HOSPITAL_TZ,
    DocumentEvent,
    StayEvent,
    local_date,
    normalize_document_type,
)
from app.turnaround.fhir import parse_fhir_document_events, parse_fhir_stay_events
from app.turnaround.hl7v2 import Hl7Parsed, build_ack, parse_hl7_message
from app.turnaround.json_events import parse_document_events_json, parse_stay_events_json
from app.turnaround.models import EVENT_ID_LENGTH, DocumentEventRow, StayEventRow
from app.turnaround.schemas import (
    DEFAULT_CARE_TYPES,
    UNMAPPED,
    Attribution,
    CareType,
    GroupBy,
    TurnaroundCounts,
    TurnaroundRead,
    TurnaroundRow,
    WeeklyDetail,
    WeeklyReport,
    WeeklyRow,
    WeeklyStay,
    parse_iso_week,
)
from app.turnaround.settings import get_turnaround_settings

EventKind = Literal["stay", "document"]
Event = StayEvent | DocumentEvent

# Patient classes (HL7 PV1-2, FHIR Encounter.class) that are not a hospital stay: outpatient and
# emergency venues, virtual, home and field encounters. Without an RSS they are left out.
NON_HOSPITAL_CLASSES: Final = frozenset({"O", "E", "AMB", "EMER", "VR", "HH", "FLD"})
# HL7 "recurring patient": the French HIS use it for séances (dialysis, chemotherapy...).
SEANCE_CLASSES: Final = frozenset({"R"})

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


# Columns of the rows `store_events` builds, in the order of its tuples.
_STAY_EVENT_COLUMNS: Final = (
    "source",
    "event_id",
    "content_hash",
    "stay_number",
    "type",
    "unit",
    "occurred_at",
    "patient_class",
    "recorded_at",
    "message_digest",
)
_DOCUMENT_EVENT_COLUMNS: Final = (
    "source",
    "event_id",
    "content_hash",
    "stay_number",
    "document_id",
    "document_type",
    "action",
    "received_at",
    "unit",
    "parent_document_id",
    "recorded_at",
    "message_digest",
)


def _event_row(
    event_id: str,
    event: Event,
    digest: str,
    instant: datetime,
    recorded_at: datetime,
    message_digest: str | None = None,
) -> tuple[Any, ...]:
    """The stored row of `event`, in the order of `_STAY_EVENT_COLUMNS` / `_DOCUMENT_EVENT_COLUMNS`:
    tuples go to COPY as they are, where dicts cost a build and a lookup per column. `instant` is
    the event's occurrence or reception (`_hashed` gives it in UTC)."""
    if isinstance(event, StayEvent):
        return (
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
    return (
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
    columns = _STAY_EVENT_COLUMNS if kind == "stay" else _DOCUMENT_EVENT_COLUMNS
    outcome = StoreOutcome()
    rows: list[tuple[Any, ...]] = []
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
        fresh = [row for row in rows if (row[0], row[1]) not in stored] if stored else rows
        (_insert_and_refresh_stays if kind == "stay" else _insert_and_refresh_documents)(session, fresh)
        inserted = {(row[0], row[1]) for row in fresh}
    else:
        inserted = repository.insert_events(session, model, columns, rows)
        stored = (
            repository.stored_hashes(session, model, [key for key in seen if key not in inserted])
            if len(inserted) < len(seen)
            else {}
        )
    touched: set[str] = set()
    new_rows: list[tuple[Any, ...]] = []
    for row in rows:
        key = (row[0], row[1])
        if key in inserted:
            outcome.accepted.append(row[1])
            touched.add(row[3])
            new_rows.append(row)
        elif _same_event(stored.get(key), row[2], row[-1]):
            outcome.duplicates.append(row[1])
        else:
            outcome.conflicts.append(row[1])
    if touched and not overlapped:
        if kind == "stay":
            refresh_stays(session, sorted(touched))
        else:
            refresh_documents(session, sorted(touched), new_rows=new_rows)
    return outcome


def _same_event(stored: tuple[str, str | None] | None, digest: str, message_digest: str | None) -> bool:
    """Whether an event under a stored key is that one again: same content, or (HL7) the same
    message whatever its MSH-7."""
    if stored is None:
        return False
    return stored[0] == digest or (message_digest is not None and stored[1] == message_digest)


# --------------------------------------------------------------------------- stay derivation


class StoredStayEvent(NamedTuple):
    """A stored movement as the replay reads it (a tuple: a batch builds tens of thousands).

    `known_at` is when dimqa could know it: the later of its occurrence and its storage
    (`recorded_at`); None (events built in memory) means its occurrence."""

    id: int
    type: str
    unit: str | None
    occurred_at: datetime
    patient_class: str | None = None
    known_at: datetime | None = None


def _stay_known(event: StoredStayEvent) -> datetime:
    return event.known_at or event.occurred_at


_Event = TypeVar("_Event", "StoredStayEvent", "StoredDocumentEvent")
_Replay = TypeVar("_Replay")


def _knowledge_replays(
    ordered: Sequence[_Event],
    known: Callable[[_Event], datetime],
    new_replay: Callable[[], _Replay],
    apply: Callable[[_Replay, _Event], None],
) -> Iterator[tuple[datetime, _Replay]]:
    """(moment, replay of every event known by then, in `ordered` order) at each distinct
    knowledge time, ascending: what dimqa could say at that moment.

    When the knowledge times follow `ordered` (the live case: events stored as they happen), the
    events known at each moment are a prefix and one replay goes on; a late event that says it
    happened earlier changes the past order, so each moment then replays its own known set. The
    yielded replay may be the same object, changed: read it before the next step."""
    times = list(map(known, ordered))
    if len(times) == 1 or times == sorted(times):  # C-level: this runs for every stay of a batch
        replay = new_replay()
        index = 0
        for moment, batch in groupby(times):
            for _ in batch:
                apply(replay, ordered[index])
                index += 1
            yield moment, replay
        return
    for moment in sorted(set(times)):
        replay = new_replay()
        for event, time_known in zip(ordered, times, strict=True):
            if time_known <= moment:
                apply(replay, event)
        yield moment, replay


@dataclass(frozen=True, slots=True)
class DischargeState:
    discharged_at: datetime
    discharge_date: date
    discharge_unit: str | None
    care_type_hint: str
    admission_unit: str | None = None  # the admission's unit (attribution=admission)


@dataclass(frozen=True, slots=True)
class DischargePeriodData:
    effective_from: datetime
    effective_to: datetime | None
    state: DischargeState


@dataclass(frozen=True, slots=True)
class DerivedStay:
    status: str  # in_house | discharged | cancelled
    admitted_at: datetime | None
    discharge: DischargeState | None
    last_unit: str | None
    patient_class: str | None
    discharge_known_at: datetime | None
    event_count: int
    periods: tuple[DischargePeriodData, ...]


def care_type_hint(patient_class: str | None, admitted_at: datetime | None, discharge_date: date) -> str:
    """Type of care of a stay without RSS: by patient class, then by dates (same day = 0 jour)."""
    klass = (patient_class or "").strip().upper()
    if klass in NON_HOSPITAL_CLASSES:
        return "external"
    if klass in SEANCE_CLASSES:
        return "seance"
    if admitted_at is not None and local_date(admitted_at) == discharge_date:
        return "zero_day"
    return "complete"


class _StayReplay:
    def __init__(self) -> None:
        self.cancelled = False
        self._reset()

    def _reset(self) -> None:
        self.admitted_at: datetime | None = None
        self.admission_unit: str | None = None
        self.patient_class: str | None = None
        # (order key, type, unit) of admissions and transfers still in force, in occurrence order.
        self.movements: list[tuple[tuple[datetime, int], str, str | None]] = []
        self.discharges: list[StoredStayEvent] = []

    def apply(self, event: StoredStayEvent) -> None:
        key = (event.occurred_at, event.id)
        if event.patient_class and event.type in ("admit", "transfer", "discharge"):
            self.patient_class = event.patient_class
        if event.type == "admit":
            self.cancelled = False
            self.admitted_at = event.occurred_at
            self.admission_unit = event.unit
            self.movements.append((key, "admit", event.unit))
        elif event.type == "transfer":
            self.movements.append((key, "transfer", event.unit))
        elif event.type == "discharge":
            self.discharges.append(event)
        elif event.type == "cancel_admit":
            self._reset()
            self.cancelled = True
        elif event.type == "cancel_transfer":
            for index in range(len(self.movements) - 1, -1, -1):
                if self.movements[index][1] == "transfer":
                    del self.movements[index]
                    break
        elif event.type == "cancel_discharge" and self.discharges:
            self.discharges.pop()

    def unit_before(self, key: tuple[datetime, int]) -> str | None:
        for movement_key, _type, unit in reversed(self.movements):
            if movement_key <= key and unit:
                return unit
        return None

    def state(self) -> DischargeState | None:
        if not self.discharges:
            return None
        discharge = self.discharges[-1]
        unit = discharge.unit or self.unit_before((discharge.occurred_at, discharge.id))
        day = local_date(discharge.occurred_at)
        return DischargeState(
            discharged_at=discharge.occurred_at,
            discharge_date=day,
            discharge_unit=unit,
            care_type_hint=care_type_hint(self.patient_class, self.admitted_at, day),
            # Without a unit on the admission, the first unit the movements name.
            admission_unit=self.admission_unit
            or next((unit for _key, _type, unit in self.movements if unit), None)
            or unit,
        )

    def last_unit(self, current: DischargeState | None) -> str | None:
        """The unit the stay is in or left from; `current` is `state()`."""
        if current is not None and current.discharge_unit:
            return current.discharge_unit
        return next((unit for _key, _type, unit in reversed(self.movements) if unit), None)


def derive_stay(events: Sequence[StoredStayEvent]) -> DerivedStay:
    """State of one stay from all its events (any order), with its discharge periods.

    Events are replayed in occurrence order; the periods change when dimqa learns of an event
    (`known_at`), so a movement stored late never rewrites what an earlier `as_of` saw."""
    ordered = sorted(events, key=lambda event: (event.occurred_at, event.id))
    replay = _StayReplay()
    periods: list[DischargePeriodData] = []
    open_state: DischargeState | None = None
    open_from: datetime | None = None
    # Events known at the same instant apply together: only the state after all of them is observable.
    for moment, replay in _knowledge_replays(ordered, _stay_known, _StayReplay, _StayReplay.apply):
        state = replay.state()
        if state != open_state:
            if open_state is not None and open_from is not None:
                periods.append(DischargePeriodData(open_from, moment, open_state))
            open_state, open_from = state, moment
    if open_state is not None and open_from is not None:
        periods.append(DischargePeriodData(open_from, None, open_state))
    known = [_stay_known(e) for e in ordered if e.type in ("discharge", "cancel_discharge")]
    # The state after the last instant, already computed by the loop (it builds a DischargeState).
    final = open_state
    if final is not None:
        status = "discharged"
    elif replay.cancelled and not replay.movements:
        status = "cancelled"
    else:
        status = "in_house"
    return DerivedStay(
        status=status,
        admitted_at=replay.admitted_at,
        discharge=final,
        last_unit=replay.last_unit(final),
        patient_class=replay.patient_class,
        discharge_known_at=min(known) if known else None,
        event_count=len(ordered),
        periods=tuple(periods),
    )


ReportSummary = dict[str, Any]  # report_key, report_count, report_received/from/until arrays


ReportPeriod = tuple[datetime, datetime, datetime | None]  # first_received_at, alive_from, alive_until


def report_summary(periods: Iterable[ReportPeriod], *, report_key: str) -> ReportSummary:
    """The stay's report periods as stored on its discharge periods, tagged with the fingerprint
    of the report types that selected them (`TurnaroundSettings.report_key`)."""
    ordered = sorted(periods, key=lambda period: (period[1], period[0]))
    return {
        "report_key": report_key,
        "report_count": len(ordered),
        "report_received": [period[0] for period in ordered],
        "report_from": [period[1] for period in ordered],
        "report_until": [period[2] for period in ordered],
    }


def refresh_stays(session: Session, stay_numbers: Sequence[str]) -> None:
    """Recompute `stay` and `stay_discharge_period` for these stay numbers from all their events."""
    repository.lock_derivation(session)
    rows = repository.list_stay_events(session, stay_numbers=stay_numbers)
    reports = _report_periods(session, stay_numbers)
    stored = StoredStayEvent._make
    stays, periods = _derived_stay_rows(
        (
            (stay_number, [stored(row[1:]) for row in group])
            for stay_number, group in groupby(rows, itemgetter(0))
        ),
        reports,
    )
    repository.replace_stays(session, stay_numbers=stay_numbers, stays=stays, periods=periods)


def _report_periods(session: Session, stay_numbers: Sequence[str]) -> dict[str, list[ReportPeriod]]:
    """stay number -> its report periods (first reception, alive from, until)."""
    reports: dict[str, list[ReportPeriod]] = defaultdict(list)
    for stay_number, *period in repository.list_report_periods(
        session, stay_numbers=stay_numbers, report_types=get_turnaround_settings().report_types()
    ):
        reports[stay_number].append(tuple(period))  # type: ignore[arg-type]  # (first, from, until)
    return reports


def _derived_stay_rows(
    stays_events: Iterable[tuple[str, list[StoredStayEvent]]], reports: dict[str, list[ReportPeriod]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows of `stay` and `stay_discharge_period` (tuples in the repository's column order,
    STAY_COLUMNS and STAY_PERIOD_COLUMNS) of each (stay number, all its events). No I/O."""
    report_key = get_turnaround_settings().report_key()
    stays: list[tuple[Any, ...]] = []
    periods: list[tuple[Any, ...]] = []
    for stay_number, events in stays_events:
        derived = derive_stay(events)
        discharge = derived.discharge
        stays.append(
            (
                stay_number,
                derived.status,
                derived.admitted_at,
                discharge.discharged_at if discharge else None,
                discharge.discharge_date if discharge else None,
                discharge.discharge_unit if discharge else None,
                derived.last_unit,
                derived.patient_class,
                derived.discharge_known_at,
                derived.event_count,
            )
        )
        if not derived.periods:
            continue
        summary = report_summary(reports.get(stay_number, ()), report_key=report_key)
        copies = (
            summary["report_key"],
            summary["report_count"],
            summary["report_received"],
            summary["report_from"],
            summary["report_until"],
        )
        for period in derived.periods:
            state = period.state
            periods.append(
                (
                    stay_number,
                    period.effective_from,
                    period.effective_to,
                    state.discharged_at,
                    state.discharge_date,
                    state.discharge_unit,
                    state.care_type_hint,
                    state.admission_unit,
                    *copies,
                )
            )
    return stays, periods


# Positions in the rows `store_events` builds for movements (_STAY_EVENT_COLUMNS).
_STAY_NUMBER, _STAY_TYPE, _STAY_UNIT, _STAY_OCCURRED, _STAY_CLASS, _STAY_RECORDED = (
    _STAY_EVENT_COLUMNS.index(name)
    for name in ("stay_number", "type", "unit", "occurred_at", "patient_class", "recorded_at")
)
# Ids given to a batch's new movements in the replay, above any stored id (a bigint sequence far
# from 2**62) and in body order, as the ids the COPY allocates are: the replays only order by
# them (ties of occurrence), and never store them.
_NEW_EVENT_IDS: Final = 2**62


def _insert_and_refresh_stays(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY new movements (values of `_STAY_EVENT_COLUMNS`, keys not stored) and refresh their
    stays, replaying them while PostgreSQL inserts the rows: under the derivation lock the stays'
    stored events are read first, the new ones are known here, and the replay needs no I/O.

    The insert of a 10,000-movement batch (a table with three indexes) and its replay each cost
    the server and Python about 130 ms; done in turn, as `refresh_stays` after the insert, the
    two cores took turns."""
    if not rows:
        return
    stay_numbers = sorted({row[_STAY_NUMBER] for row in rows})
    events: dict[str, list[StoredStayEvent]] = defaultdict(list)
    stored = StoredStayEvent._make
    for row in repository.list_stay_events(session, stay_numbers=stay_numbers):
        events[row[0]].append(stored(row[1:]))
    for index, row in enumerate(rows):
        occurred = row[_STAY_OCCURRED]
        events[row[_STAY_NUMBER]].append(
            StoredStayEvent(
                _NEW_EVENT_IDS + index,
                row[_STAY_TYPE],
                row[_STAY_UNIT],
                occurred,
                row[_STAY_CLASS],
                max(occurred, row[_STAY_RECORDED]),  # known_at: GREATEST(occurred_at, recorded_at)
            )
        )
    reports = _report_periods(session, stay_numbers)
    with repository.copying_events(session, StayEventRow, _STAY_EVENT_COLUMNS, rows):
        stays, periods = _derived_stay_rows(((number, events[number]) for number in stay_numbers), reports)
    repository.replace_stays(session, stay_numbers=stay_numbers, stays=stays, periods=periods)


# --------------------------------------------------------------------------- document derivation


class StoredDocumentEvent(NamedTuple):
    """A stored document event as the replay reads it (a tuple, like `StoredStayEvent`)."""

    id: int
    document_id: str
    document_type: str
    action: str
    received_at: datetime
    parent_document_id: str | None = None
    known_at: datetime | None = None  # later of received_at and recorded_at; None: received_at


def _document_known(event: StoredDocumentEvent) -> datetime:
    return event.known_at or event.received_at


class DocumentPeriodData(NamedTuple):
    document_key: str
    document_id: str
    document_type: str
    first_received_at: datetime
    alive_from: datetime
    alive_until: datetime | None


def _documents(events: Sequence[StoredDocumentEvent]) -> Iterator[list[StoredDocumentEvent]]:
    """Events grouped by document: versions linked through parent_document_id (union-find)."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    groups: dict[str, list[StoredDocumentEvent]] = defaultdict(list)
    if any(event.parent_document_id for event in events):
        for event in events:
            root = find(event.document_id)
            if event.parent_document_id:
                other = find(event.parent_document_id)
                if other != root:
                    parent[other] = root
        for event in events:
            groups[find(event.document_id)].append(event)
    else:  # most stays: no version links, one document per document id
        for event in events:
            groups[event.document_id].append(event)
    for group in groups.values():
        yield sorted(group, key=lambda event: (event.received_at, event.id)) if len(group) > 1 else group


class _DocumentReplay:
    """One document's versions applied in reception order (see the module rules)."""

    def __init__(self) -> None:
        self.head: str | None = None  # latest version while alive
        self.replaced: set[str] = set()
        self.first_received: datetime | None = None
        self.document_type = ""

    def apply(self, event: StoredDocumentEvent) -> None:
        if event.action == "delete":
            if self.head is not None and (
                event.document_id == self.head or event.document_id not in self.replaced
            ):
                self.head, self.first_received = None, None
            return
        if event.parent_document_id:
            self.replaced.add(event.parent_document_id)
        if self.head is not None and self.head != event.document_id:
            self.replaced.add(self.head)
        self.replaced.discard(event.document_id)
        if self.head is None:
            self.first_received = event.received_at
        self.head = event.document_id
        self.document_type = normalize_document_type(event.document_type)

    def state(self) -> tuple[str, datetime] | None:
        if self.head is not None and self.first_received:
            return (self.document_type, self.first_received)
        return None


def derive_documents(events: Sequence[StoredDocumentEvent]) -> list[DocumentPeriodData]:
    """Alive periods of every document of one stay (see the module rules).

    Versions are replayed in reception order (`received_at`, the sender's claim); the periods
    change when dimqa learns of a version (`known_at`), so a version stored late never rewrites
    what an earlier `as_of` saw, while the reception date it gives stays its own."""
    periods: list[DocumentPeriodData] = []
    for ordered in _documents(events):
        if len(ordered) == 1:
            # Most documents have one version: what the replay below gives for it, directly.
            event = ordered[0]
            if event.action != "delete":
                periods.append(
                    DocumentPeriodData(
                        event.document_id,
                        event.document_id,
                        normalize_document_type(event.document_type),
                        event.received_at,
                        _document_known(event),
                        None,
                    )
                )
            continue
        document_key = ordered[0].document_id
        open_state: tuple[str, datetime] | None = None
        open_from: datetime | None = None
        open_head = ""
        for moment, replay in _knowledge_replays(
            ordered, _document_known, _DocumentReplay, _DocumentReplay.apply
        ):
            state = replay.state()
            if state != open_state:
                if open_state is not None and open_from is not None:
                    periods.append(
                        DocumentPeriodData(document_key, open_head, *open_state, open_from, moment)
                    )
                open_state, open_from, open_head = state, moment, replay.head or ""
        if open_state is not None and open_from is not None:
            periods.append(DocumentPeriodData(document_key, open_head, *open_state, open_from, None))
    return periods


# Positions in the rows `store_events` builds for documents (_DOCUMENT_EVENT_COLUMNS).
_DOC_STAY, _DOC_ID, _DOC_TYPE, _DOC_ACTION, _DOC_RECEIVED, _DOC_PARENT, _DOC_RECORDED = (
    _DOCUMENT_EVENT_COLUMNS.index(name)
    for name in (
        "stay_number",
        "document_id",
        "document_type",
        "action",
        "received_at",
        "parent_document_id",
        "recorded_at",
    )
)


_PERIOD_TYPE: Final = repository.DOCUMENT_PERIOD_COLUMNS.index("document_type")


def _lone_document_periods(
    session: Session, new_rows: Sequence[tuple[Any, ...]], *, stored: bool = True
) -> dict[str, list[tuple[Any, ...]]]:
    """The document periods the new events add, by stay, for the stays where they add only that.

    A new event that is not a deletion, names no parent, and whose document id no other event of
    its stay names (as its document or as a parent) is a document of one version: one period from
    when dimqa knows of it, which is what `derive_documents` gives, and no other document of the
    stay changes. Most events of a live feed are such (a new report, an imaging report), and
    their stays then skip the re-read and replay of all their events and the comparison of all
    their periods. A stay with any other new event goes through the full replay.

    `stored`: whether `new_rows` are in the table already (else the names they repeat among
    themselves are counted here)."""
    by_stay: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    replayed: set[str] = set()
    for row in new_rows:
        by_stay[row[_DOC_STAY]].append(row)
        if row[_DOC_ACTION] == "delete" or row[_DOC_PARENT]:
            replayed.add(row[_DOC_STAY])
    candidates = [stay for stay in by_stay if stay not in replayed]
    if not candidates:
        return {}
    if stored:
        # Among every event of these stays, the new ones included.
        shared = repository.list_shared_document_names(session, stay_numbers=candidates)
    else:
        # The names of the new rows that a stored event of their stay names too, and those two new
        # rows name (the candidates' rows name no parent).
        named = Counter((stay, row[_DOC_ID]) for stay in candidates for row in by_stay[stay])
        shared = {pair for pair, count in named.items() if count > 1}
        for stay, document_id, parent_id in repository.list_stored_document_names(
            session, stay_numbers=candidates, names=sorted({name for _stay, name in named})
        ):
            for name in (document_id, parent_id):
                if name is not None and (stay, name) in named:
                    shared.add((stay, name))
    lone: dict[str, list[tuple[Any, ...]]] = {}
    for stay in candidates:
        rows = by_stay[stay]
        if not shared or all((stay, row[_DOC_ID]) not in shared for row in rows):
            # Values of repository.DOCUMENT_PERIOD_COLUMNS.
            lone[stay] = [
                (
                    stay,
                    row[_DOC_ID],
                    max(row[_DOC_RECEIVED], row[_DOC_RECORDED]),
                    None,
                    row[_DOC_ID],
                    normalize_document_type(row[_DOC_TYPE]),
                    row[_DOC_RECEIVED],
                )
                for row in rows
            ]
    return lone


def refresh_documents(
    session: Session, stay_numbers: Sequence[str], *, new_rows: Sequence[tuple[Any, ...]] = ()
) -> None:
    """Recompute `document_period` for these stay numbers from all their document events, and the
    report periods copied on their discharge periods.

    `new_rows` are the events `store_events` just inserted (its row tuples): the stays where they
    only add documents of one version get their periods added without a replay."""
    repository.lock_derivation(session)
    lone = _lone_document_periods(session, new_rows)
    stay_numbers = [number for number in stay_numbers if number not in lone]
    rows = repository.list_document_events(session, stay_numbers=stay_numbers) if stay_numbers else []
    stored = StoredDocumentEvent._make
    periods = _derived_document_rows(
        (stay_number, [stored(row[1:]) for row in group])
        for stay_number, group in groupby(rows, itemgetter(0))
    )
    _write_document_periods(session, lone, stay_numbers, periods)


def _derived_document_rows(
    stays_events: Iterable[tuple[str, list[StoredDocumentEvent]]],
) -> list[tuple[Any, ...]]:
    """The document periods (tuples in DOCUMENT_PERIOD_COLUMNS order) of each (stay number, all
    its document events). No I/O."""
    periods: list[tuple[Any, ...]] = []
    for stay_number, events in stays_events:
        for period in derive_documents(events):
            periods.append(
                (
                    stay_number,
                    period.document_key,
                    period.alive_from,
                    period.alive_until,
                    period.document_id,
                    period.document_type,
                    period.first_received_at,
                )
            )
    return periods


def _write_document_periods(
    session: Session,
    lone: dict[str, list[tuple[Any, ...]]],
    stay_numbers: Sequence[str],
    periods: Sequence[tuple[Any, ...]],
) -> None:
    """Add the lone stays' new periods, make `periods` those of `stay_numbers` (replayed), and
    rebuild the report copies of the stays whose report periods changed."""
    settings = get_turnaround_settings()
    report_types = frozenset(settings.report_types())
    added = [period for rows in lone.values() for period in rows]
    repository.add_document_periods(session, added)
    changed = {(period[0], period[_PERIOD_TYPE]) for period in added}
    changed |= repository.replace_document_periods(session, stay_numbers=stay_numbers, periods=periods)
    # Only stays whose report periods changed: most events (imaging, lab) change none. Their
    # copies are rebuilt from the document periods just written, in SQL.
    touched = sorted({number for number, document_type in changed if document_type in report_types})
    repository.update_stay_reports(
        session,
        stay_numbers=touched,
        report_types=settings.report_types(),
        report_key=settings.report_key(),
    )


def _insert_and_refresh_documents(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY new document events (values of `_DOCUMENT_EVENT_COLUMNS`, keys not stored) and
    refresh their stays, as `_insert_and_refresh_stays` does for movements: the lone documents
    told apart and the other stays' stored events read first, their replay run during the COPY."""
    if not rows:
        return
    lone = _lone_document_periods(session, rows, stored=False)
    stay_numbers = sorted({row[_DOC_STAY] for row in rows} - lone.keys())
    events: dict[str, list[StoredDocumentEvent]] = defaultdict(list)
    if stay_numbers:
        stored = StoredDocumentEvent._make
        for row in repository.list_document_events(session, stay_numbers=stay_numbers):
            events[row[0]].append(stored(row[1:]))
        replayed = set(stay_numbers)
        for index, row in enumerate(rows):
            if row[_DOC_STAY] in replayed:
                received = row[_DOC_RECEIVED]
                events[row[_DOC_STAY]].append(
                    StoredDocumentEvent(
                        _NEW_EVENT_IDS + index,  # ids above the stored ones, in body order
                        row[_DOC_ID],
                        row[_DOC_TYPE],
                        row[_DOC_ACTION],
                        received,
                        row[_DOC_PARENT],
                        max(received, row[_DOC_RECORDED]),  # GREATEST(received_at, recorded_at)
                    )
                )
    with repository.copying_events(session, DocumentEventRow, _DOCUMENT_EVENT_COLUMNS, rows):
        periods = _derived_document_rows((number, events[number]) for number in stay_numbers)
    _write_document_periods(session, lone, stay_numbers, periods)


REBUILD_CHUNK: Final = 5000  # stay numbers per refresh: bounded statements and memory


def rebuild_derived(session: Session, *, chunk: int = REBUILD_CHUNK) -> int:
    """Recompute every stay's and document's derived rows from all stored events (after a change
    of the derivation rules: migration 0010, `dimqa turnaround-rebuild`); returns how many stay
    numbers were refreshed. Documents first: the stays copy their report periods."""
    document_stays = repository.list_event_stay_numbers(session, kind="document")
    for start in range(0, len(document_stays), chunk):
        refresh_documents(session, document_stays[start : start + chunk])
    stays = repository.list_event_stay_numbers(session, kind="stay")
    for start in range(0, len(stays), chunk):
        refresh_stays(session, stays[start : start + chunk])
    return len(set(stays) | set(document_stays))


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
    session: Session, kind: EventKind, source: Literal["json", "fhir"], body: bytes
) -> IngestReport:
    """JSON or FHIR body -> stored events. Raises a problem when no event of the body is valid."""
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
    return report


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


def ingest_hl7(session: Session, kind: EventKind, body: bytes) -> Hl7Outcome:
    """One HL7 v2 message -> stored events and its ACK. Never raises on bad input.

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
    return Hl7Outcome(build_ack(parsed), "AA", _ack_charset(parsed), stored)


# --------------------------------------------------------------------------- turnaround figures


def today() -> date:
    return datetime.now(HOSPITAL_TZ).date()


def day_end(day: date) -> datetime:
    """Start of the next day in hospital time: 'received on or before `day`' is `< day_end(day)`."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=HOSPITAL_TZ)


def parse_care_types(raw: str | None) -> tuple[CareType, ...]:
    if raw is None or not raw.strip():
        return DEFAULT_CARE_TYPES
    chosen: list[CareType] = []
    for part in raw.split(","):
        name = part.strip()
        try:
            care_type = CareType(name)
        except ValueError:
            allowed = ", ".join(c.value for c in CareType)
            raise InvalidInput(
                f"unknown care type {name!r} (allowed: {allowed})",
                errors=[LineError(None, "care_types", "invalid_value", f"{name!r} is not one of {allowed}")],
            ) from None
        if care_type not in chosen:
            chosen.append(care_type)
    return tuple(chosen)


def _params(
    principal: Principal | None,
    *,
    date_from: date,
    date_to: date,
    as_of: date | None,
    care_types: Sequence[CareType],
    attribution: Attribution = Attribution.DISCHARGE,
) -> repository.TurnaroundParams:
    if date_to < date_from:
        raise InvalidInput(
            "`to` is before `from`",
            errors=[LineError(None, "to", "invalid_period", "`to` must be on or after `from`")],
        )
    as_of = as_of or today()
    return repository.TurnaroundParams(
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        as_of_end=day_end(as_of),
        care_types=tuple(c.value for c in care_types),
        report_types=get_turnaround_settings().report_types(),
        report_key=get_turnaround_settings().report_key(),
        units=principal.units if principal is not None else None,
        attribution=attribution.value,
    )


def _counts(row: Any) -> TurnaroundSummary:
    return TurnaroundSummary(
        stays=row.stays,
        on_time_j0=row.on_time_j0,
        on_time_j8=row.on_time_j8,
        late=row.late,
        missing=row.missing,
        pending=row.pending,
        rate_j0=row.rate_j0,
        rate_j8=row.rate_j8,
        median_delay_days=row.median_delay_days,
        p90_delay_days=row.p90_delay_days,
    )


_EMPTY: Final = TurnaroundSummary(
    stays=0,
    on_time_j0=0,
    on_time_j8=0,
    late=0,
    missing=0,
    pending=0,
    rate_j0=None,
    rate_j8=None,
    median_delay_days=None,
    p90_delay_days=None,
)


def summarize_groups(
    session: Session, params: repository.TurnaroundParams, group_by: GroupBy
) -> tuple[list[tuple[str, str | None, TurnaroundSummary]], TurnaroundSummary]:
    """(group, label, summary) per group and the total, from one SQL aggregate."""
    rows = repository.turnaround_groups(session, params, group_by=group_by.value)
    groups = [(row.group, row.label, _counts(row)) for row in rows if not row.is_total]
    total = next((_counts(row) for row in rows if row.is_total), _EMPTY)
    return groups, total


def turnaround(
    session: Session,
    principal: Principal,
    *,
    date_from: date,
    date_to: date,
    as_of: date | None = None,
    group_by: GroupBy = GroupBy.SERVICE,
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES,
    attribution: Attribution = Attribution.DISCHARGE,
) -> TurnaroundRead:
    """Turnaround of the stays discharged in [date_from, date_to], as of `as_of` (default today),
    each stay under the UM it left from, or with `attribution=admission` the UM of its admission."""
    params = _params(
        principal,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        care_types=care_types,
        attribution=attribution,
    )
    groups, total = summarize_groups(session, params, group_by)
    return TurnaroundRead(
        date_from=date_from,
        date_to=date_to,
        as_of=params.as_of,
        group_by=group_by,
        care_types=list(care_types),
        attribution=attribution,
        rows=[TurnaroundRow(group=group, label=label, **summary) for group, label, summary in groups],
        total=TurnaroundCounts(**total),
    )


@dataclass(frozen=True, slots=True)
class WeeklyData:
    """The weekly report with the unrounded rates the spreadsheet needs."""

    report: WeeklyReport
    summaries: list[tuple[str, str | None, TurnaroundSummary]]
    total: TurnaroundSummary


def week_bounds(week: str) -> tuple[date, date]:
    try:
        monday, sunday = parse_iso_week(week)
    except ValueError as exc:
        raise InvalidInput(
            f"{week!r} is not an existing ISO week",
            errors=[LineError(None, "week", "invalid_week", str(exc))],
        ) from None
    for day in (monday, sunday):
        if not in_range(day):
            message = f"week {week}: {DateOutOfRange(day)}"
            raise InvalidInput(
                message, errors=[LineError(None, "week", DATE_OUT_OF_RANGE, message)], status=422
            )
    return monday, sunday


def weekly_report(
    session: Session,
    principal: Principal,
    *,
    week: str,
    as_of: date | None = None,
    care_types: Sequence[CareType] = DEFAULT_CARE_TYPES,
    detail: bool = False,
    attribution: Attribution = Attribution.DISCHARGE,
) -> WeeklyData:
    """The weekly deliverable: per service, stays discharged in the ISO week and their reports
    (service of the discharge UM, or of the admission UM with `attribution=admission`)."""
    monday, sunday = week_bounds(week)
    params = _params(
        principal,
        date_from=monday,
        date_to=sunday,
        as_of=as_of,
        care_types=care_types,
        attribution=attribution,
    )
    groups, total = summarize_groups(session, params, GroupBy.SERVICE)
    stays: WeeklyDetail | None = None
    if detail:
        late: list[WeeklyStay] = []
        missing: list[WeeklyStay] = []
        for row in repository.late_and_missing_stays(session, params):
            item = WeeklyStay(
                stay_number=row.stay_number,
                service=row.service,
                unit=row.unit,
                discharge_date=row.discharge_date,
                days_elapsed=row.days_elapsed,
            )
            (late if row.status == "late" else missing).append(item)
        stays = WeeklyDetail(late=late, missing=missing)
    report = WeeklyReport(
        week=week,
        date_from=monday,
        date_to=sunday,
        as_of=params.as_of,
        care_types=list(care_types),
        attribution=attribution,
        rows=[WeeklyRow(service=group, label=label, **summary) for group, label, summary in groups],
        total=TurnaroundCounts(**total),
        detail=stays,
    )
    return WeeklyData(report, groups, total)


def last_closed_week(on: date) -> tuple[str, date, date]:
    """The ISO week before the one holding `on` (the current week is not closed yet)."""
    previous = on - timedelta(days=7)
    year, number, _ = previous.isocalendar()
    monday = date.fromisocalendar(year, number, 1)
    return f"{year}-W{number:02d}", monday, monday + timedelta(days=6)


def service_rates_last_week(session: Session) -> dict[str, tuple[float | None, float | None]]:
    """service -> (rate_j0, rate_j8) for the last closed ISO week, as of today (for the gauges)."""
    _week, monday, sunday = last_closed_week(today())
    params = _params(None, date_from=monday, date_to=sunday, as_of=None, care_types=DEFAULT_CARE_TYPES)
    groups, _total = summarize_groups(session, params, GroupBy.SERVICE)
    return {group: (summary["rate_j0"], summary["rate_j8"]) for group, _label, summary in groups}


def known_service_codes(session: Session) -> list[str]:
    return [*repository.list_service_codes(session), UNMAPPED]


def audit_ids(ids: Iterable[str]) -> list[str]:
    """Event ids for an audit entry, capped: the count is in the log, not every id of a bulk load."""
    limit = get_turnaround_settings().audit_max_object_ids
    chosen = list(ids)
    if len(chosen) <= limit:
        return chosen
    return [*chosen[:limit], f"... {len(chosen) - limit} more"]
