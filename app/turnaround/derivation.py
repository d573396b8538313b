"""Derived stay and document state in the database, replayed from the stored events (the
rules of the replay are `replay.py`'s).

Recomputed for the touched stay numbers after each batch (`refresh_stays`, `refresh_documents`,
and `insert_and_refresh_*`, which replay while PostgreSQL inserts a bulk batch's rows), from all
their events, or for every stay (`rebuild_derived`, after a change of the rules).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeVar

from sqlalchemy.orm import Session

from app.turnaround import repository
from app.turnaround.events import (
    DocumentEventValues,
    StayEventValues,
    normalize_document_type,
)
from app.turnaround.models import DocumentEventRow, StayEventRow
from app.turnaround.replay import (
    StoredDocumentEvent,
    StoredStayEvent,
    derive_documents,
    derive_stay,
)
from app.turnaround.settings import get_turnaround_settings

ReportSummary = dict[str, Any]  # report_key, report_count, report_received/from/until arrays


class ReportPeriod(NamedTuple):
    """When one report of the stay was alive, and its first reception."""

    first_received_at: datetime
    alive_from: datetime
    alive_until: datetime | None


class StayValues(NamedTuple):
    """A `stay` row, fields in its column order (COPY takes the tuple as it is)."""

    stay_number: str
    status: str
    admitted_at: datetime | None
    discharged_at: datetime | None
    discharge_date: date | None
    discharge_unit: str | None
    last_unit: str | None
    patient_class: str | None
    discharge_known_at: datetime | None
    event_count: int


class StayPeriodValues(NamedTuple):
    """A `stay_discharge_period` row, fields in its column order, with its stay's report periods."""

    stay_number: str
    effective_from: datetime
    effective_to: datetime | None
    discharged_at: datetime
    discharge_date: date
    discharge_unit: str | None
    care_type_hint: str
    admission_unit: str | None
    report_key: str
    report_count: int
    report_received: list[datetime]
    report_from: list[datetime]
    report_until: list[datetime | None]


assert StayValues._fields == repository.STAY_COLUMNS
assert StayPeriodValues._fields == repository.STAY_PERIOD_COLUMNS


def report_summary(periods: Iterable[ReportPeriod], *, report_key: str) -> ReportSummary:
    """The stay's report periods as stored on its discharge periods, tagged with the fingerprint
    of the report types that selected them (`TurnaroundSettings.report_key`)."""
    ordered = sorted(periods, key=lambda period: (period.alive_from, period.first_received_at))
    return {
        "report_key": report_key,
        "report_count": len(ordered),
        "report_received": [period.first_received_at for period in ordered],
        "report_from": [period.alive_from for period in ordered],
        "report_until": [period.alive_until for period in ordered],
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
        reports[row.stay_number].append(ReportPeriod(row.first_received_at, row.alive_from, row.alive_until))
    return reports


def _derived_stay_rows(
    stays_events: Iterable[tuple[str, list[StoredStayEvent]]], reports: dict[str, list[ReportPeriod]]
) -> tuple[list[StayValues], list[StayPeriodValues]]:
    """Rows of `stay` and `stay_discharge_period` of each (stay number, all its events). No I/O."""
    report_key = get_turnaround_settings().report_key()
    stays: list[StayValues] = []
    periods: list[StayPeriodValues] = []
    for stay_number, events in stays_events:
        derived = derive_stay(events)
        discharge = derived.discharge
        stays.append(
            StayValues(
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
        for period in derived.periods:
            state = period.state
            periods.append(
                StayPeriodValues(
                    stay_number,
                    period.effective_from,
                    period.effective_to,
                    state.discharged_at,
                    state.discharge_date,
                    state.discharge_unit,
                    state.care_type_hint,
                    state.admission_unit,
                    **summary,
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
