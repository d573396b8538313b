"""Derived stay and document state, replayed from the stored events.

Recomputed for the touched stay numbers after each batch (`refresh_stays`, `refresh_documents`),
from all their events, or for every stay (`rebuild_derived`, after a change of these rules):

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

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from app.turnaround import repository
from app.turnaround.events import (
    DocumentEventValues,
    StayEventValues,
    local_date,
    normalize_document_type,
)
from app.turnaround.models import DocumentEventRow, StayEventRow
from app.turnaround.settings import get_turnaround_settings

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


_Stored = TypeVar("_Stored")


def _stored_by_stay(
    rows: Iterable[tuple[Any, ...]], make: Callable[[Iterable[Any]], _Stored]
) -> Iterator[tuple[str, list[_Stored]]]:
    """(stay number, its stored events) from the repository's event rows, which are (stay number,
    the fields of the stored event) grouped by stay number."""
    for stay_number, group in groupby(rows, itemgetter(0)):
        yield stay_number, [make(row[1:]) for row in group]


def refresh_stays(session: Session, stay_numbers: Sequence[str]) -> None:
    """Recompute `stay` and `stay_discharge_period` for these stay numbers from all their events."""
    repository.lock_derivation(session)
    rows = repository.list_stay_events(session, stay_numbers=stay_numbers)
    reports = _report_periods(session, stay_numbers)
    stays, periods = _derived_stay_rows(_stored_by_stay(rows, StoredStayEvent._make), reports)
    repository.replace_stays(session, stay_numbers=stay_numbers, stays=stays, periods=periods)


def _report_periods(session: Session, stay_numbers: Sequence[str]) -> dict[str, list[ReportPeriod]]:
    """stay number -> its report periods (first reception, alive from, until)."""
    reports: dict[str, list[ReportPeriod]] = defaultdict(list)
    for row in repository.list_report_periods(
        session, stay_numbers=stay_numbers, report_types=get_turnaround_settings().report_types()
    ):
        reports[row.stay_number].append((row.first_received_at, row.alive_from, row.alive_until))
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


# Ids given to a batch's new movements in the replay, above any stored id (a bigint sequence far
# from 2**62) and in body order, as the ids the COPY allocates are: the replays only order by
# them (ties of occurrence), and never store them.
_NEW_EVENT_IDS: Final = 2**62


def insert_and_refresh_stays(session: Session, rows: Sequence[StayEventValues]) -> None:
    """COPY new movements (keys not stored) and refresh their stays, replaying them while
    PostgreSQL inserts the rows: under the derivation lock the stays' stored events are read
    first, the new ones are known here, and the replay needs no I/O.

    The insert of a 10,000-movement batch (a table with three indexes) and its replay each cost
    the server and Python about 130 ms; done in turn, as `refresh_stays` after the insert, the
    two cores took turns."""
    if not rows:
        return
    stay_numbers = sorted({row.stay_number for row in rows})
    events: dict[str, list[StoredStayEvent]] = defaultdict(list)
    rows_read = repository.list_stay_events(session, stay_numbers=stay_numbers)
    events.update(_stored_by_stay(rows_read, StoredStayEvent._make))
    for index, row in enumerate(rows):
        occurred = row.occurred_at
        events[row.stay_number].append(
            StoredStayEvent(
                _NEW_EVENT_IDS + index,
                row.type,
                row.unit,
                occurred,
                row.patient_class,
                max(occurred, row.recorded_at),  # known_at: GREATEST(occurred_at, recorded_at)
            )
        )
    reports = _report_periods(session, stay_numbers)
    with repository.copying_events(session, StayEventRow, StayEventValues._fields, rows):
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


class DocumentPeriodValues(NamedTuple):
    """A `document_period` row, fields in its column order (COPY takes the tuple as it is)."""

    stay_number: str
    document_key: str
    alive_from: datetime
    alive_until: datetime | None
    document_id: str
    document_type: str
    first_received_at: datetime


assert DocumentPeriodValues._fields == repository.DOCUMENT_PERIOD_COLUMNS


def _lone_document_periods(
    session: Session, new_rows: Sequence[DocumentEventValues], *, stored: bool = True
) -> dict[str, list[DocumentPeriodValues]]:
    """The document periods the new events add, by stay, for the stays where they add only that.

    A new event that is not a deletion, names no parent, and whose document id no other event of
    its stay names (as its document or as a parent) is a document of one version: one period from
    when dimqa knows of it, which is what `derive_documents` gives, and no other document of the
    stay changes. Most events of a live feed are such (a new report, an imaging report), and
    their stays then skip the re-read and replay of all their events and the comparison of all
    their periods. A stay with any other new event goes through the full replay.

    `stored`: whether `new_rows` are in the table already (else the names they repeat among
    themselves are counted here)."""
    by_stay: dict[str, list[DocumentEventValues]] = defaultdict(list)
    replayed: set[str] = set()
    for row in new_rows:
        by_stay[row.stay_number].append(row)
        if row.action == "delete" or row.parent_document_id:
            replayed.add(row.stay_number)
    candidates = [stay for stay in by_stay if stay not in replayed]
    if not candidates:
        return {}
    if stored:
        # Among every event of these stays, the new ones included.
        shared = repository.list_shared_document_names(session, stay_numbers=candidates)
    else:
        # The names of the new rows that a stored event of their stay names too, and those two new
        # rows name (the candidates' rows name no parent).
        named = Counter((stay, row.document_id) for stay in candidates for row in by_stay[stay])
        shared = {pair for pair, count in named.items() if count > 1}
        for stay, document_id, parent_id in repository.list_stored_document_names(
            session, stay_numbers=candidates, names=sorted({name for _stay, name in named})
        ):
            for name in (document_id, parent_id):
                if name is not None and (stay, name) in named:
                    shared.add((stay, name))
    lone: dict[str, list[DocumentPeriodValues]] = {}
    for stay in candidates:
        rows = by_stay[stay]
        if not shared or all((stay, row.document_id) not in shared for row in rows):
            lone[stay] = [
                DocumentPeriodValues(
                    stay,
                    row.document_id,
                    max(row.received_at, row.recorded_at),
                    None,
                    row.document_id,
                    normalize_document_type(row.document_type),
                    row.received_at,
                )
                for row in rows
            ]
    return lone


def refresh_documents(
    session: Session, stay_numbers: Sequence[str], *, new_rows: Sequence[DocumentEventValues] = ()
) -> None:
    """Recompute `document_period` for these stay numbers from all their document events, and the
    report periods copied on their discharge periods.

    `new_rows` are the events `store_events` just inserted: the stays where they
    only add documents of one version get their periods added without a replay."""
    repository.lock_derivation(session)
    lone = _lone_document_periods(session, new_rows)
    stay_numbers = [number for number in stay_numbers if number not in lone]
    rows = repository.list_document_events(session, stay_numbers=stay_numbers) if stay_numbers else []
    periods = _derived_document_rows(_stored_by_stay(rows, StoredDocumentEvent._make))
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
    lone: dict[str, list[DocumentPeriodValues]],
    stay_numbers: Sequence[str],
    periods: Sequence[tuple[Any, ...]],
) -> None:
    """Add the lone stays' new periods, make `periods` those of `stay_numbers` (replayed), and
    rebuild the report copies of the stays whose report periods changed."""
    settings = get_turnaround_settings()
    report_types = frozenset(settings.report_types())
    added = [period for rows in lone.values() for period in rows]
    repository.add_document_periods(session, added)
    changed = {(period.stay_number, period.document_type) for period in added}
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


def insert_and_refresh_documents(session: Session, rows: Sequence[DocumentEventValues]) -> None:
    """COPY new document events (keys not stored) and refresh their stays, as
    `insert_and_refresh_stays` does for movements: the lone documents told apart and the other
    stays' stored events read first, their replay run during the COPY."""
    if not rows:
        return
    lone = _lone_document_periods(session, rows, stored=False)
    stay_numbers = sorted({row.stay_number for row in rows} - lone.keys())
    events: dict[str, list[StoredDocumentEvent]] = defaultdict(list)
    if stay_numbers:
        rows_read = repository.list_document_events(session, stay_numbers=stay_numbers)
        events.update(_stored_by_stay(rows_read, StoredDocumentEvent._make))
        replayed = set(stay_numbers)
        for index, row in enumerate(rows):
            if row.stay_number in replayed:
                received = row.received_at
                events[row.stay_number].append(
                    StoredDocumentEvent(
                        _NEW_EVENT_IDS + index,  # ids above the stored ones, in body order
                        row.document_id,
                        row.document_type,
                        row.action,
                        received,
                        row.parent_document_id,
                        max(received, row.recorded_at),  # GREATEST(received_at, recorded_at)
                    )
                )
    with repository.copying_events(session, DocumentEventRow, DocumentEventValues._fields, rows):
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
