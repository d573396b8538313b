"""The derived rows (`stay`, `stay_discharge_period`, `document_period`) that `store_events`
leaves after many batches, in any order, equal a replay of every stored event at once.

The batch refresh only re-derives what a batch can change; these tests pin it to the pure
derivation (`derive_stay`, `derive_documents`, `report_summary`), itself pinned by
test_service.py."""

from __future__ import annotations

import importlib.util
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.turnaround import derivation, intake, repository
from app.turnaround.events import DocumentEvent, StayEvent
from app.turnaround.models import (
    DocumentEventRow,
    DocumentPeriod,
    Stay,
    StayDischargePeriod,
    StayEventRow,
)
from app.turnaround.replay import StoredDocumentEvent, StoredStayEvent, derive_documents, derive_stay
from app.turnaround.settings import get_turnaround_settings
from tests.turnaround.test_service_support import moment

D = date(2022, 3, 1)
REPORT_TYPES = ("11490-0", "CRH", " crh", "18748-4")  # 18748-4 (imaging) is not a report
STAY_TYPES = ("admit", "transfer", "discharge", "cancel_admit", "cancel_transfer", "cancel_discharge")


def _stay_events(rng: random.Random, stay: str) -> list[StayEvent]:
    events: list[StayEvent] = []
    for index in range(rng.choice([1, 2, 3, 3, 4, 6])):
        type_ = rng.choice(STAY_TYPES[:3] * 3 + STAY_TYPES[3:])
        # Few distinct hours: events at the same instant apply together.
        when = moment(D + timedelta(days=rng.randint(0, 4)), rng.choice([8, 12, 18]))
        events.append(
            StayEvent(
                f"{stay}-m{index}",
                type_,  # type: ignore[arg-type]
                stay,
                rng.choice([None, "7500", "7600", "5520"]),
                when,
                "json",
                rng.choice([None, None, "I", "R", "O"]),
            )
        )
    return events


def _document_events(rng: random.Random, stay: str) -> list[DocumentEvent]:
    events: list[DocumentEvent] = []
    ids: list[str] = []
    for index in range(rng.choice([0, 1, 1, 2, 4, 7])):
        when = moment(D + timedelta(days=rng.randint(0, 6)), rng.choice([9, 14]))
        action = rng.choice(["new", "new", "replace", "delete"])
        document_id = f"{stay}-doc{index}"
        parent = None
        if ids and action in ("replace", "delete") and rng.random() < 0.7:
            parent = rng.choice(ids)
            if action == "delete" and rng.random() < 0.5:
                document_id, parent = parent, None
        ids.append(document_id)
        events.append(
            DocumentEvent(
                f"{stay}-d{index}",
                stay,
                document_id,
                rng.choice(REPORT_TYPES),
                action,  # type: ignore[arg-type]
                when,
                None,
                "json",
                parent,
            )
        )
    return events


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _reports(received: list[Any], starts: list[Any], ends: list[Any]) -> list[tuple[Any, ...]]:
    # Periods with the same start and first reception may come in either order.
    return sorted(
        zip(map(_utc, received), map(_utc, starts), map(_utc, ends), strict=True),
        key=lambda r: (r[1], r[0], r[2] is None, r[2] or r[0]),
    )


Stored = tuple[dict[str, list[StoredStayEvent]], dict[str, list[StoredDocumentEvent]]]


def _stored(session: Session) -> Stored:
    stays: dict[str, list[StoredStayEvent]] = defaultdict(list)
    for row in session.execute(select(StayEventRow).order_by(StayEventRow.id)).scalars():
        stays[row.stay_number].append(
            StoredStayEvent(
                row.id,
                row.type,
                row.unit,
                row.occurred_at,
                row.patient_class,
                max(row.occurred_at, row.recorded_at),
            )
        )
    documents: dict[str, list[StoredDocumentEvent]] = defaultdict(list)
    for document in session.execute(select(DocumentEventRow).order_by(DocumentEventRow.id)).scalars():
        documents[document.stay_number].append(
            StoredDocumentEvent(
                document.id,
                document.document_id,
                document.document_type,
                document.action,
                document.received_at,
                document.parent_document_id,
                max(document.received_at, document.recorded_at),
            )
        )
    return stays, documents


def _expected(session: Session) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    settings = get_turnaround_settings()
    report_types = set(settings.report_types())
    stay_events, document_events = _stored(session)
    document_rows: set[tuple[Any, ...]] = set()
    reports: dict[str, list[derivation.ReportPeriod]] = defaultdict(list)
    for stay, events in document_events.items():
        for p in derive_documents(events):
            document_rows.add(
                (
                    stay,
                    p.document_key,
                    _utc(p.alive_from),
                    _utc(p.alive_until),
                    p.document_id,
                    p.document_type,
                    _utc(p.first_received_at),
                )
            )
            if p.document_type in report_types:
                reports[stay].append(
                    derivation.ReportPeriod(p.first_received_at, p.alive_from, p.alive_until)
                )
    stay_rows: set[tuple[Any, ...]] = set()
    period_rows: set[tuple[Any, ...]] = set()
    for stay, events in stay_events.items():
        derived = derive_stay(events)
        discharge = derived.discharge
        stay_rows.add(
            (
                stay,
                derived.status,
                _utc(derived.admitted_at),
                _utc(discharge.discharged_at) if discharge else None,
                discharge.discharge_date if discharge else None,
                discharge.discharge_unit if discharge else None,
                derived.last_unit,
                derived.patient_class,
                _utc(derived.discharge_known_at),
                derived.event_count,
            )
        )
        summary = derivation.report_summary(reports.get(stay, ()), report_key=settings.report_key())
        for period in derived.periods:
            period_rows.add(
                (
                    stay,
                    _utc(period.effective_from),
                    _utc(period.effective_to),
                    _utc(period.state.discharged_at),
                    period.state.discharge_date,
                    period.state.discharge_unit,
                    period.state.care_type_hint,
                    period.state.admission_unit,
                    summary["report_key"],
                    summary["report_count"],
                    tuple(
                        _reports(summary["report_received"], summary["report_from"], summary["report_until"])
                    ),
                )
            )
    return stay_rows, period_rows, document_rows


def _actual(session: Session) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    stay_rows = {
        (
            s.stay_number,
            s.status,
            _utc(s.admitted_at),
            _utc(s.discharged_at),
            s.discharge_date,
            s.discharge_unit,
            s.last_unit,
            s.patient_class,
            _utc(s.discharge_known_at),
            s.event_count,
        )
        for s in session.execute(select(Stay)).scalars()
    }
    period_rows = {
        (
            p.stay_number,
            _utc(p.effective_from),
            _utc(p.effective_to),
            _utc(p.discharged_at),
            p.discharge_date,
            p.discharge_unit,
            p.care_type_hint,
            p.admission_unit,
            p.report_key,
            p.report_count,
            tuple(_reports(p.report_received, p.report_from, p.report_until)),
        )
        for p in session.execute(select(StayDischargePeriod)).scalars()
    }
    document_rows = {
        (
            d.stay_number,
            d.document_key,
            _utc(d.alive_from),
            _utc(d.alive_until),
            d.document_id,
            d.document_type,
            _utc(d.first_received_at),
        )
        for d in session.execute(select(DocumentPeriod)).scalars()
    }
    return stay_rows, period_rows, document_rows


def _store_in_random_batches(session: Session, seed: int) -> None:
    """Random stays and documents, stored in batches of random sizes, order and storage times."""
    rng = random.Random(seed)
    stay_events: list[StayEvent] = []
    document_events: list[DocumentEvent] = []
    for number in range(rng.randint(20, 60)):
        stay = f"S{seed}-{number}"
        if rng.random() < 0.85:
            stay_events += _stay_events(rng, stay)
        document_events += _document_events(rng, stay)
    rng.shuffle(stay_events)
    rng.shuffle(document_events)
    queue: list[tuple[str, list[Any]]] = []
    for kind, events in (("stay", stay_events), ("document", document_events)):
        start = 0
        while start < len(events):
            size = rng.choice([1, 3, 17, 250])  # 250: above the COPY threshold
            queue.append((kind, events[start : start + size]))
            start += size
    rng.shuffle(queue)
    # Some batches again: duplicates change nothing.
    queue += rng.sample(queue, min(3, len(queue)))
    for kind, batch in queue:
        # Half the batches stored at a random time around the events': some of them late, known
        # only from their storage (the periods then change at `recorded_at`).
        recorded = (
            moment(D + timedelta(days=rng.randint(-5, 30)), rng.randint(0, 23))
            if rng.random() < 0.5
            else None
        )
        outcome = intake.store_events(session, kind, batch, recorded_at=recorded)  # type: ignore[arg-type]
        assert not outcome.conflicts


@pytest.mark.parametrize("seed", range(8))
def test_batches_in_any_order_leave_the_rows_of_a_full_replay(session: Session, seed: int) -> None:
    _store_in_random_batches(session, seed)
    assert _actual(session) == _expected(session)


def _migration_0010() -> ModuleType:
    path = Path(__file__).parents[2] / "migrations/versions/2026-12-02_0010_turnaround_knowledge_time.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", range(4))
def test_migration_0010_rebuilds_the_rows_the_application_derives(session: Session, seed: int) -> None:
    """Migration 0010 carries its own copy of the derivation (it imports no application code):
    from the stored events alone it writes the rows the batches left."""
    _store_in_random_batches(session, seed)
    derived = _actual(session)
    assert derived[0] and derived[1] and derived[2]
    for table in ("stay_discharge_period", "document_period", "stay"):
        session.execute(text(f"DELETE FROM {table}"))
    _migration_0010()._rebuild_derived(session.connection())
    session.expire_all()
    assert _actual(session) == derived


def test_a_stay_and_its_report_exact_rows(session: Session) -> None:
    """One stay, its discharge report replaced then deleted, a cancelled discharge, an imaging
    report: the exact rows, whichever feed arrives first."""
    stays = [
        StayEvent("a", "admit", "S1", "7500", moment(D, 8), "json", "I"),
        StayEvent("t", "transfer", "S1", "7600", moment(D + timedelta(days=1), 12), "json"),
        StayEvent("d1", "discharge", "S1", None, moment(D + timedelta(days=2), 18), "json"),
        StayEvent("c", "cancel_discharge", "S1", None, moment(D + timedelta(days=3), 9), "json"),
        StayEvent("d2", "discharge", "S1", "5520", moment(D + timedelta(days=4), 18), "json"),
    ]
    documents = [
        DocumentEvent("n", "S1", "CRH1", "crh ", "new", moment(D + timedelta(days=3), 14), None, "json"),
        DocumentEvent(
            "r", "S1", "CRH2", "11490-0", "replace", moment(D + timedelta(days=5), 9), None, "json", "CRH1"
        ),
        DocumentEvent("x", "S1", "CRH2", "11490-0", "delete", moment(D + timedelta(days=6), 9), None, "json"),
        DocumentEvent("i", "S1", "IMG1", "18748-4", "new", moment(D + timedelta(days=2), 9), None, "json"),
    ]
    intake.store_events(session, "document", documents[:2])
    intake.store_events(session, "stay", stays[3:])
    intake.store_events(session, "document", documents[2:])
    intake.store_events(session, "stay", stays[:3])
    stay_rows, period_rows, document_rows = _actual(session)
    key = get_turnaround_settings().report_key()

    def at(days: int, hour: int) -> datetime:
        return moment(D + timedelta(days=days), hour)

    assert stay_rows == {
        (
            "S1",
            "discharged",
            _utc(at(0, 8)),
            _utc(at(4, 18)),
            D + timedelta(days=4),
            "5520",
            "5520",
            "I",
            _utc(at(2, 18)),
            5,
        )
    }
    # The replacement changes the type: two periods, both of report types, one first reception.
    reports = (
        (_utc(at(3, 14)), _utc(at(3, 14)), _utc(at(5, 9))),
        (_utc(at(3, 14)), _utc(at(5, 9)), _utc(at(6, 9))),
    )
    assert period_rows == {
        ("S1", _utc(at(2, 18)), _utc(at(3, 9)), _utc(at(2, 18)), D + timedelta(days=2), "7600", "complete",
         "7500", key, 2, reports),
        ("S1", _utc(at(4, 18)), None, _utc(at(4, 18)), D + timedelta(days=4), "5520", "complete",
         "7500", key, 2, reports),
    }  # fmt: skip
    assert document_rows == {
        ("S1", "CRH1", _utc(at(3, 14)), _utc(at(5, 9)), "CRH1", "CRH", _utc(at(3, 14))),
        ("S1", "CRH1", _utc(at(5, 9)), _utc(at(6, 9)), "CRH2", "11490-0", _utc(at(3, 14))),
        ("S1", "IMG1", _utc(at(2, 9)), None, "IMG1", "18748-4", _utc(at(2, 9))),
    }


@pytest.mark.parametrize("seed", range(4))
def test_bulk_batches_leave_the_rows_of_a_full_replay(session: Session, seed: int) -> None:
    """Batches above the COPY threshold (the bulk insert): several of them per kind, the events
    of one stay spread over them, some stored late, then a re-send, give the rows of a replay of
    everything stored, each event stored once. (The random batches above rarely reach the
    threshold.)"""
    rng = random.Random(100 + seed)
    movements: list[StayEvent] = []
    documents: list[DocumentEvent] = []
    for number in range(240):
        movements += _stay_events(rng, f"B{seed}-{number}")
        documents += _document_events(rng, f"B{seed}-{number}")
    for kind, events, model in (
        ("stay", movements, StayEventRow),
        ("document", documents, DocumentEventRow),
    ):
        rng.shuffle(events)
        assert len(events) > 2 * 201  # two bulk batches at least
        start = 0
        while start < len(events):
            batch = events[start : start + 201 + rng.randrange(60)]
            start += len(batch)
            late = rng.random() < 0.5
            recorded = moment(D + timedelta(days=rng.randint(0, 8)), rng.randint(0, 23)) if late else None
            outcome = intake.store_events(session, kind, batch, recorded_at=recorded)  # type: ignore[arg-type]
            assert len(outcome.accepted) == len(batch)
        again = intake.store_events(session, kind, events[:250])  # type: ignore[arg-type]
        assert len(again.duplicates) == 250 and not again.accepted  # all stored: nothing inserted
        assert session.scalar(select(func.count()).select_from(model)) == len(events)
    assert _actual(session) == _expected(session)


def test_a_bulk_batch_replays_its_movements_after_the_stored_ones_at_the_same_instant(
    session: Session,
) -> None:
    """A bulk batch of movements is replayed while its COPY runs, its new events given ids above
    the stored ones: a stored discharge and a new cancellation at the same instant replay in
    storage order (the discharge, then its cancellation), as a replay of the stored rows does."""
    at = moment(D, 15)
    stored = [
        StayEvent("a1", "admit", "TIE", "7500", moment(D, 8), "json"),
        StayEvent("d1", "discharge", "TIE", None, at, "json"),
    ]
    intake.store_events(session, "stay", stored, recorded_at=at)
    later = at + timedelta(hours=2)
    filler = [StayEvent(f"f{n}", "admit", f"F{n}", "7600", moment(D, 9), "json") for n in range(210)]
    bulk = [StayEvent("c1", "cancel_discharge", "TIE", None, at, "json"), *filler]
    assert len(bulk) > repository.COPY_THRESHOLD
    assert len(intake.store_events(session, "stay", bulk, recorded_at=later).accepted) == len(bulk)
    tie = session.get(Stay, "TIE")
    assert tie is not None
    assert (tie.status, tie.discharged_at, tie.event_count) == ("in_house", None, 3)
    periods = session.execute(
        select(StayDischargePeriod.effective_from, StayDischargePeriod.effective_to).where(
            StayDischargePeriod.stay_number == "TIE"
        )
    ).all()
    assert [tuple(row) for row in periods] == [(at, later)]  # discharged from 15:00 until known cancelled
    assert _actual(session) == _expected(session)


def test_a_bulk_batch_tells_lone_documents_from_stored_and_repeated_names(session: Session) -> None:
    """A bulk batch tells its lone documents apart before its COPY: a new document whose id a
    stored event names as its parent, or that two new events name, is replayed with its stay;
    the others only add their period. Both give the rows of a full replay."""
    intake.store_events(
        session,
        "document",
        [DocumentEvent("r", "L1", "X-2", "CRH", "replace", moment(D, 9), None, "json", "X")],
    )
    bulk = [
        DocumentEvent("x", "L1", "X", "CRH", "new", moment(D, 8), None, "json"),  # parent of a stored one
        DocumentEvent("y1", "L2", "Y", "CRH", "new", moment(D, 8), None, "json"),  # Y twice in the batch
        DocumentEvent("y2", "L2", "Y", "CRH", "new", moment(D, 10), None, "json"),
        DocumentEvent("z", "L3", "Z", "CRH", "new", moment(D, 11), None, "json"),  # lone
        *(
            DocumentEvent(f"f{n}", f"F{n}", f"DOC{n}", "18748-4", "new", moment(D, 9), None, "json")
            for n in range(200)
        ),
    ]
    assert len(bulk) > repository.COPY_THRESHOLD
    assert len(intake.store_events(session, "document", bulk).accepted) == len(bulk)
    periods = session.execute(
        select(
            DocumentPeriod.stay_number,
            DocumentPeriod.document_key,
            DocumentPeriod.document_id,
            DocumentPeriod.alive_from,
            DocumentPeriod.alive_until,
        )
        .where(DocumentPeriod.stay_number.in_(["L1", "L2", "L3"]))
        .order_by(DocumentPeriod.stay_number)
    ).all()
    assert _actual(session) == _expected(session)
    # X and its replacement X-2 are one document, alive from X (received first, and known then:
    # these tests store events at their own time); Y one document of two versions.
    assert [tuple(row) for row in periods] == [
        ("L1", "X", "X", moment(D, 8), None),
        ("L2", "Y", "Y", moment(D, 8), None),
        ("L3", "Z", "Z", moment(D, 11), None),
    ]
