"""Stays' and documents' derived state replayed from their events: pure, no I/O (`derivation`
reads the events and writes what this returns).


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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Final, NamedTuple, TypeVar

from app.turnaround.events import local_date, normalize_document_type

# Patient classes (HL7 PV1-2, FHIR Encounter.class) that are not a hospital stay: outpatient and
# emergency venues, virtual, home and field encounters. Without an RSS they are left out.
NON_HOSPITAL_CLASSES: Final = frozenset({"O", "E", "AMB", "EMER", "VR", "HH", "FLD"})
# HL7 "recurring patient": the French HIS use it for séances (dialysis, chemotherapy...).
SEANCE_CLASSES: Final = frozenset({"R"})

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
