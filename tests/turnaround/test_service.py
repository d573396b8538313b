"""Derivation of stay and document state (pure), idempotent storage, and the SQL figures checked
against the Python reference of the counting rules on randomized data."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.core.clock import HOSPITAL_TZ
from app.structure import repository as structure_repository
from app.turnaround import classify, intake, reports, reports_repository, repository
from app.turnaround.events import DocumentEvent, StayEvent, local_date
from app.turnaround.models import DocumentEventRow, DocumentPeriod, Stay, StayEventRow
from app.turnaround.replay import (
    StoredDocumentEvent,
    StoredStayEvent,
    derive_documents,
    derive_stay,
)
from app.turnaround.schemas import CareType, GroupBy
from app.turnaround.settings import get_turnaround_settings
from tests.turnaround.test_service_support import STRUCTURE, add_rss, moment

D = date(2022, 2, 1)
ADMIN = Principal(name="test", role=Role.ADMIN, units=None)


def stay_event(
    id_: int, type_: str, day: date, unit: str | None = None, hour: int = 10, **kw: Any
) -> StoredStayEvent:
    return StoredStayEvent(id_, type_, unit, moment(day, hour), **kw)


class TestDeriveStay:
    def test_admit_transfer_discharge_uses_the_last_unit(self) -> None:
        derived = derive_stay(
            [
                stay_event(1, "admit", D, "5520"),
                stay_event(2, "transfer", D + timedelta(days=1), "7500"),
                stay_event(3, "discharge", D + timedelta(days=3)),
            ]
        )
        assert derived.status == "discharged"
        assert derived.discharge is not None
        assert derived.discharge.discharge_unit == "7500"
        assert derived.discharge.discharge_date == D + timedelta(days=3)
        assert derived.discharge.care_type_hint == "complete"
        assert len(derived.periods) == 1 and derived.periods[0].effective_to is None

    def test_events_in_any_order_give_the_same_state(self) -> None:
        events = [
            stay_event(3, "discharge", D + timedelta(days=3)),
            stay_event(1, "admit", D, "5520"),
            stay_event(2, "transfer", D + timedelta(days=1), "7500"),
        ]
        assert derive_stay(events) == derive_stay(list(reversed(events)))
        assert derive_stay(events).discharge.discharge_unit == "7500"  # type: ignore[union-attr]

    def test_explicit_discharge_unit_wins(self) -> None:
        derived = derive_stay([stay_event(1, "admit", D, "5520"), stay_event(2, "discharge", D, "7702")])
        assert derived.discharge is not None
        assert (derived.discharge.discharge_unit, derived.discharge.care_type_hint) == ("7702", "zero_day")

    def test_cancel_discharge_closes_the_period(self) -> None:
        derived = derive_stay(
            [
                stay_event(1, "admit", D, "7500"),
                stay_event(2, "discharge", D + timedelta(days=2)),
                stay_event(3, "cancel_discharge", D + timedelta(days=4)),
            ]
        )
        assert derived.status == "in_house" and derived.discharge is None
        assert [(p.effective_from, p.effective_to) for p in derived.periods] == [
            (moment(D + timedelta(days=2)), moment(D + timedelta(days=4)))
        ]
        assert derived.discharge_known_at == moment(D + timedelta(days=2))

    def test_cancel_transfer_restores_the_previous_unit(self) -> None:
        derived = derive_stay(
            [
                stay_event(1, "admit", D, "5520"),
                stay_event(2, "transfer", D, "7500", hour=12),
                stay_event(3, "cancel_transfer", D, hour=13),
                stay_event(4, "discharge", D + timedelta(days=1)),
            ]
        )
        assert derived.discharge is not None and derived.discharge.discharge_unit == "5520"

    def test_cancel_admit_voids_the_stay(self) -> None:
        derived = derive_stay([stay_event(1, "admit", D, "7500"), stay_event(2, "cancel_admit", D, hour=11)])
        assert derived.status == "cancelled" and derived.periods == ()

    def test_same_instant_discharge_and_cancellation_leave_no_period(self) -> None:
        derived = derive_stay(
            [
                stay_event(1, "admit", D, "7500"),
                stay_event(2, "discharge", D, hour=18),
                stay_event(3, "cancel_discharge", D, hour=18),
            ]
        )
        assert derived.periods == ()

    @pytest.mark.parametrize(
        ("klass", "expected"),
        [("E", "external"), ("AMB", "external"), ("R", "seance"), ("I", "complete"), (None, "complete")],
    )
    def test_care_type_hint_from_patient_class(self, klass: str | None, expected: str) -> None:
        derived = derive_stay(
            [
                stay_event(1, "admit", D, "7500", patient_class=klass),
                stay_event(2, "discharge", D + timedelta(days=1)),
            ]
        )
        assert derived.discharge is not None and derived.discharge.care_type_hint == expected


class TestKnowledgeClock:
    """Periods change when dimqa knew of an event (`known_at`), events replay in their own order."""

    def test_a_transfer_known_late_changes_the_unit_from_then(self) -> None:
        late = moment(D + timedelta(days=9))
        derived = derive_stay(
            [
                stay_event(1, "admit", D - timedelta(days=2), "7500"),
                stay_event(2, "transfer", D - timedelta(days=1), "5520", known_at=late),
                stay_event(3, "discharge", D),
            ]
        )
        assert [(p.effective_from, p.effective_to, p.state.discharge_unit) for p in derived.periods] == [
            (moment(D), late, "7500"),
            (late, None, "5520"),
        ]
        assert {p.state.admission_unit for p in derived.periods} == {"7500"}
        assert derived.discharge is not None and derived.discharge.discharge_date == D

    def test_the_first_discharge_known_decides_from_its_knowledge(self) -> None:
        late = moment(D + timedelta(days=4))
        derived = derive_stay(
            [
                stay_event(1, "admit", D - timedelta(days=2), "7500"),
                stay_event(2, "discharge", D, known_at=late),
            ]
        )
        assert derived.discharge_known_at == late
        assert [(p.effective_from, p.state.discharge_date) for p in derived.periods] == [(late, D)]

    def test_a_deletion_known_late_ends_the_document_then(self) -> None:
        late = moment(D + timedelta(days=12))
        periods = derive_documents(
            [doc_event(1, "A", D), doc_event(2, "A", D + timedelta(days=1), "delete", known_at=late)]
        )
        assert [(p.first_received_at, p.alive_from, p.alive_until) for p in periods] == [
            (moment(D), moment(D), late)
        ]

    def test_an_older_version_known_late_keeps_its_reception_date(self) -> None:
        late = moment(D + timedelta(days=12))
        periods = derive_documents(
            [
                doc_event(1, "A", D - timedelta(days=1), known_at=late),
                doc_event(2, "B", D + timedelta(days=3), "replace", parent_document_id="A"),
            ]
        )
        # Until A is known, B alone was received on D+3; from then, the document dates from D-1.
        assert [(p.first_received_at, p.alive_from, p.alive_until) for p in periods] == [
            (moment(D + timedelta(days=3)), moment(D + timedelta(days=3)), late),
            (moment(D - timedelta(days=1)), late, None),
        ]


def doc_event(
    id_: int, document_id: str, day: date, action: str = "new", hour: int = 10, **kw: Any
) -> StoredDocumentEvent:
    return StoredDocumentEvent(
        id_, document_id, kw.pop("document_type", "crh"), action, moment(day, hour), **kw
    )


class TestDeriveDocuments:
    def test_replacement_keeps_the_first_reception(self) -> None:
        periods = derive_documents(
            [
                doc_event(1, "A", D),
                doc_event(2, "B", D + timedelta(days=3), "replace", parent_document_id="A"),
            ]
        )
        assert [(p.document_key, p.document_type, p.first_received_at, p.alive_until) for p in periods] == [
            ("A", "CRH", moment(D), None)
        ]

    def test_delete_of_the_latest_version_deletes_the_document(self) -> None:
        periods = derive_documents(
            [
                doc_event(1, "A", D),
                doc_event(2, "B", D + timedelta(days=1), "replace", parent_document_id="A"),
                doc_event(3, "B", D + timedelta(days=2), "delete", parent_document_id="A"),
            ]
        )
        assert [(p.alive_from, p.alive_until) for p in periods] == [
            (moment(D), moment(D + timedelta(days=2)))
        ]

    def test_delete_of_a_replaced_version_changes_nothing(self) -> None:
        periods = derive_documents(
            [
                doc_event(1, "A", D),
                doc_event(2, "B", D + timedelta(days=1), "replace", parent_document_id="A"),
                doc_event(3, "A", D + timedelta(days=2), "delete"),
            ]
        )
        assert [(p.alive_from, p.alive_until) for p in periods] == [(moment(D), None)]

    def test_deleted_then_replaced_counts_from_the_replacement(self) -> None:
        periods = derive_documents(
            [
                doc_event(1, "A", D),
                doc_event(2, "A", D + timedelta(days=1), "delete"),
                doc_event(3, "B", D + timedelta(days=5), "replace", parent_document_id="A"),
            ]
        )
        assert [(p.first_received_at, p.alive_from, p.alive_until) for p in periods] == [
            (moment(D), moment(D), moment(D + timedelta(days=1))),
            (moment(D + timedelta(days=5)), moment(D + timedelta(days=5)), None),
        ]

    def test_out_of_order_arrival_is_replayed_by_reception(self) -> None:
        events = [
            doc_event(2, "A", D + timedelta(days=1), "delete"),
            doc_event(1, "A", D),
        ]
        assert [(p.alive_from, p.alive_until) for p in derive_documents(events)] == [
            (moment(D), moment(D + timedelta(days=1)))
        ]

    def test_type_change_splits_the_period(self) -> None:
        periods = derive_documents(
            [
                doc_event(1, "A", D, document_type="18748-4"),
                doc_event(2, "A", D + timedelta(days=2), "replace"),
            ]
        )
        assert [(p.document_type, p.first_received_at, p.alive_from) for p in periods] == [
            ("18748-4", moment(D), moment(D)),
            ("CRH", moment(D), moment(D + timedelta(days=2))),
        ]


def _stay(event_id: str, type_: str, stay: str, when: datetime, unit: str | None = None) -> StayEvent:
    return StayEvent(
        event_id=event_id, type=type_, stay_number=stay, unit=unit, occurred_at=when, source="json"
    )  # type: ignore[arg-type]


class TestStoreEvents:
    def test_resending_changes_nothing_and_other_content_is_a_conflict(self, session: Session) -> None:
        first = [
            _stay("e1", "admit", "S1", moment(D), "7500"),
            _stay("e2", "discharge", "S1", moment(D + timedelta(days=1))),
        ]
        outcome = intake.store_events(session, "stay", first)
        assert (outcome.accepted, outcome.duplicates, outcome.conflicts) == (["e1", "e2"], [], [])
        again = intake.store_events(session, "stay", first)
        assert (again.accepted, again.duplicates, again.conflicts) == ([], ["e1", "e2"], [])
        changed = intake.store_events(
            session, "stay", [_stay("e2", "discharge", "S1", moment(D + timedelta(days=2)))]
        )
        assert (changed.accepted, changed.duplicates, changed.conflicts) == ([], [], ["e2"])
        assert session.scalar(select(func.count()).select_from(StayEventRow)) == 2

    def test_same_instant_in_another_offset_is_the_same_content(self, session: Session) -> None:
        when = moment(D)
        intake.store_events(session, "stay", [_stay("e1", "admit", "S1", when, "7500")])
        utc = when.astimezone(datetime.now().astimezone().tzinfo)
        again = intake.store_events(session, "stay", [_stay("e1", "admit", "S1", utc, "7500")])
        assert again.duplicates == ["e1"]

    @pytest.mark.parametrize("count", [2, 250])  # INSERT ... ON CONFLICT, and the bulk COPY
    def test_stored_instants_are_the_events_own(self, session: Session, count: int) -> None:
        """Rows carry the instants in UTC (cheaper to COPY): the same instants, storage time included."""
        recorded = datetime(2022, 3, 1, 23, 30, tzinfo=HOSPITAL_TZ)
        stays = [
            _stay(f"e{n}", "admit", f"S{n}", moment(D, 8) + timedelta(minutes=n), "7500")
            for n in range(count)
        ]
        documents = [
            DocumentEvent(
                f"d{n}", f"S{n}", f"CR{n}", "CRH", "new", moment(D, 9) + timedelta(minutes=n), None, "json"
            )
            for n in range(count)
        ]
        intake.store_events(session, "stay", stays, recorded_at=recorded)
        intake.store_events(session, "document", documents, recorded_at=recorded)
        stored = session.execute(
            select(StayEventRow.occurred_at, StayEventRow.recorded_at).order_by(StayEventRow.id)
        )
        assert [tuple(row) for row in stored] == [(event.occurred_at, recorded) for event in stays]
        received = session.execute(
            select(DocumentEventRow.received_at, DocumentEventRow.recorded_at).order_by(DocumentEventRow.id)
        )
        assert [tuple(row) for row in received] == [(event.received_at, recorded) for event in documents]
        periods = session.execute(
            select(DocumentPeriod.alive_from, DocumentPeriod.first_received_at).order_by(
                DocumentPeriod.stay_number
            )
        )
        assert sorted(tuple(row) for row in periods) == sorted(
            (max(event.received_at, recorded), event.received_at) for event in documents
        )

    def test_a_bulk_batch_classifies_stored_keys_and_keeps_arrival_order(self, session: Session) -> None:
        """Above the COPY threshold: stored keys with the same content are duplicates, with
        another content conflicts, repeats inside the body too; the new rows get ids in body order."""
        assert len(range(250)) > repository.COPY_THRESHOLD
        first = [_stay(f"e{n}", "admit", f"S{n % 7}", moment(D, 8), "7500") for n in range(0, 250, 2)]
        assert intake.store_events(session, "stay", first).accepted == [f"e{n}" for n in range(0, 250, 2)]
        body = [
            # e0..e249: the even ones are stored, e10 with another content.
            _stay(f"e{n}", "admit", f"S{n % 7}", moment(D, 9 if n == 10 else 8), "7500")
            for n in range(250)
        ]
        body += [body[1], _stay("e3", "discharge", "S3", moment(D, 12))]  # repeats in the body
        outcome = intake.store_events(session, "stay", body)
        assert outcome.accepted == [f"e{n}" for n in range(1, 250, 2)]
        assert outcome.duplicates == ["e1", *[f"e{n}" for n in range(0, 250, 2) if n != 10]]
        assert outcome.conflicts == ["e3", "e10"]
        ids = session.execute(
            select(StayEventRow.event_id).where(StayEventRow.id > 0).order_by(StayEventRow.id)
        ).scalars()
        assert list(ids) == [f"e{n}" for n in range(0, 250, 2)] + [f"e{n}" for n in range(1, 250, 2)]
        stay = session.get(Stay, "S3")
        assert stay is not None and stay.event_count == len([n for n in range(250) if n % 7 == 3])

    def test_sources_have_separate_id_spaces(self, session: Session) -> None:
        event = DocumentEvent("x", "S1", "A", "CRH", "new", moment(D), None, "json")
        other = DocumentEvent("x", "S1", "B", "CRH", "new", moment(D), None, "fhir")
        assert intake.store_events(session, "document", [event]).accepted == ["x"]
        assert intake.store_events(session, "document", [other]).accepted == ["x"]
        assert session.scalar(select(func.count()).select_from(DocumentEventRow)) == 2


# --------------------------------------------------------------------------- SQL == Python reference

UNITS = ["7500", "7702", "7600", "5520", "9999"]  # 9999 is not in the structure


def _load_structure(session: Session) -> None:
    structure_repository.replace_structure(
        session,
        poles=[{"code": p["code"], "label": p["label"]} for p in STRUCTURE["poles"]],
        services=[
            {"code": s["code"], "label": s["label"], "pole_code": s["pole"]} for s in STRUCTURE["services"]
        ],
        units=[
            {
                "code": u["code"],
                "label": u["label"],
                "pole_code": u["pole"],
                "service_code": u["service"],
                "valid_from": date.fromisoformat(u.get("valid_from", "1900-01-01")),
                "valid_to": date.fromisoformat(u["valid_to"]) if "valid_to" in u else None,
            }
            for u in STRUCTURE["units"]
        ],
    )


def _service_of(unit: str | None, day: date) -> str:
    if unit == "7600":
        return "CARDIO" if day <= date(2022, 2, 2) else "ONCO"
    return {"7500": "ONCO", "7702": "ONCO", "5520": "URG"}.get(unit, "unmapped")


@pytest.fixture()
def report_types(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Change DIMQA_DISCHARGE_REPORT_TYPES for the rest of the test."""

    def configure(value: str) -> None:
        monkeypatch.setenv("DIMQA_DISCHARGE_REPORT_TYPES", value)
        get_turnaround_settings.cache_clear()

    yield configure
    get_turnaround_settings.cache_clear()


def _recorded(rng: random.Random, when: datetime) -> datetime | None:
    """When a random event is stored: as it happens (None) or late, up to 25 days after."""
    if rng.random() < 0.7:
        return None
    return moment(local_date(when) + timedelta(days=rng.randint(0, 25)), rng.randint(0, 23))


def _known(when: datetime, recorded: datetime | None) -> datetime:
    return when if recorded is None else max(when, recorded)


RssSent = tuple[datetime, date, str, str]  # received_at, exit_date, exit_unit, care_type


def _in_force(versions: list[RssSent], as_of_end: datetime) -> RssSent | None:
    """The version of an RSS in force at as_of_end: the last one received before it."""
    known = [version for version in versions if version[0] < as_of_end]
    return known[-1] if known else None


@pytest.mark.parametrize("seed", range(12))
def test_sql_figures_equal_the_python_reference(
    session: Session, seed: int, report_types: Callable[[str], None]
) -> None:
    """Random stays from movements (some with an RSS, not always exiting on the discharge day),
    RSS-only stays, RSS re-sent with another exit date, UM or type of care, documents before and
    after the stays, deletions, as_of before or after the receptions; 30 % of the events stored
    late (`recorded_at` after their own time, known only from then); seeds 7 to 9 change the
    report types after ingestion (derived copies are stale)."""
    rng = random.Random(seed)
    reconfigured = 7 <= seed <= 9
    qualifying = {"18748-4", "CRH"} if reconfigured else {"11490-0", "CRH"}
    _load_structure(session)
    date_from, date_to = date(2022, 1, 31), date(2022, 2, 27)
    as_of = date(2022, 2, 10) + timedelta(days=rng.randint(0, 30))
    as_of_end = reports.day_end(as_of)
    date_until = min(date_to, as_of)
    stored: dict[datetime | None, list[tuple[str, StayEvent | DocumentEvent]]] = defaultdict(list)
    expected: dict[str, list[classify.StayOutcome]] = defaultdict(list)

    def store(kind: str, event: StayEvent | DocumentEvent, when: datetime) -> datetime:
        recorded = _recorded(rng, when)
        stored[recorded].append((kind, event))
        return _known(when, recorded)

    def send_rss(stay: str, exit_date: date, unit: str) -> list[RssSent]:
        """One RSS, sometimes re-sent later with other values (both versions stored)."""
        versions: list[RssSent] = []
        received = moment(exit_date + timedelta(days=rng.randint(1, 40)))
        versions.append((received, exit_date, unit, rng.choice(["complete", "zero_day", "seance"])))
        if rng.random() < 0.3:
            resent = received + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            versions.append(
                (
                    resent,
                    exit_date + timedelta(days=rng.choice([0, 0, 1, -2, 9])),
                    rng.choice([unit, *UNITS]),
                    rng.choice(["complete", "zero_day", "seance"]),
                )
            )
        for received_at, exit_day, exit_unit, care_type in versions:
            add_rss(
                session,
                stay_number=stay,
                exit_date=exit_day,
                exit_unit=exit_unit,
                care_type=care_type,
                received_at=received_at,
            )
        return versions

    for number in range(rng.randint(0, 150)):
        stay = f"S{seed}-{number}"
        discharge = date(2022, 1, 25) + timedelta(days=rng.randint(0, 45))
        unit = rng.choice(UNITS)
        # (discharge date, unit, RSS type of care) of the stay as of as_of, None: not a stay yet.
        seen: tuple[date, str | None, str] | None = None
        if rng.random() < 0.7:  # from movements
            admitted = discharge - timedelta(days=rng.choice([0, 0, 1, 3, 10]))
            admit_at, discharge_at = moment(admitted, 8), moment(discharge, rng.randint(9, 20))
            admit_known = store("stay", _stay(f"{stay}-a", "admit", stay, admit_at, unit), admit_at)
            discharge_known = store("stay", _stay(f"{stay}-d", "discharge", stay, discharge_at), discharge_at)
            versions: list[RssSent] = []
            if rng.random() < 0.5:
                exit_date = discharge + timedelta(days=rng.choice([0, 0, 0, -1, 3, 10, -12]))
                versions = send_rss(stay, exit_date, "5520")  # the movements' unit wins
            rss = _in_force(versions, as_of_end)
            if discharge_known < as_of_end:
                # The discharge has no unit: the admission's, once dimqa knows of it.
                seen = (discharge, unit if admit_known < as_of_end else None, rss[3] if rss else "complete")
            elif rss is not None:  # an RSS-only stay until the discharge is known
                seen = (rss[1], rss[2], rss[3])
        else:  # RSS only, sometimes a séance or received after as_of
            rss = _in_force(send_rss(stay, discharge, unit), as_of_end)
            seen = (rss[1], rss[2], rss[3]) if rss else None
        first_received: date | None = None
        for index in range(rng.choice([0, 1, 1, 1, 2, 3])):
            document_type = rng.choice(["11490-0", "CRH", "crh ", "18748-4"])
            received_at = moment(discharge + timedelta(days=rng.randint(-3, 16)), rng.randint(0, 23))
            document_id = f"{stay}-doc{index}"
            new = DocumentEvent(
                f"{document_id}-n", stay, document_id, document_type, "new", received_at, None, "json"
            )
            new_known = store("document", new, received_at)
            deleted_known = None
            if rng.random() < 0.2:
                deleted_at = received_at + timedelta(hours=rng.randint(1, 400))
                deletion = DocumentEvent(
                    f"{document_id}-x", stay, document_id, document_type, "delete", deleted_at, None, "json"
                )
                deleted_known = store("document", deletion, deleted_at)
            # Alive once its version is known, until its deletion is; received on its own date.
            alive = new_known < as_of_end and (deleted_known is None or deleted_known >= as_of_end)
            if alive and document_type.strip().upper() in qualifying:
                day = local_date(received_at)
                first_received = day if first_received is None else min(first_received, day)
        if seen is not None and date_from <= seen[0] <= date_until and seen[2] != "seance":
            expected[_service_of(seen[1], seen[0])].append(
                classify.assess_stay(seen[0], first_received, as_of)
            )
    batches = list(stored.items())
    rng.shuffle(batches)
    for recorded, events in batches:  # every storage time in its own batches, kinds apart
        for kind in ("document", "stay"):
            chosen = [event for event_kind, event in events if event_kind == kind]
            rng.shuffle(chosen)
            for start in range(0, len(chosen), 37):
                intake.store_events(session, kind, chosen[start : start + 37], recorded_at=recorded)  # type: ignore[arg-type]
    if reconfigured:
        report_types("18748-4, crh")

    result = reports.turnaround(
        session,
        ADMIN,
        reports.PeriodScope(date_from, date_to, as_of, [CareType.COMPLETE, CareType.ZERO_DAY]),
        group_by=GroupBy.SERVICE,
    )
    got = {row.group: row.model_dump(exclude={"group", "label"}) for row in result.rows}
    assert got == {group: dict(classify.summarize(outcomes)) for group, outcomes in expected.items()}
    everything = [outcome for outcomes in expected.values() for outcome in outcomes]
    assert result.total.model_dump() == dict(classify.summarize(everything))


@pytest.mark.parametrize(
    "values",
    [
        [],
        [""],
        ["220000001", "NULL", "null", "a b", " lead", "trail ", "x,y", "{z}", 'quo"te', "back\\slash", "\\"],
        ['"', '\\"', "é€日本", "tab\tnewline\n"],
        # Nothing to escape: the joined fast path (quoting alone keeps NULL, commas and braces).
        ["220000001", "NULL", "null", "a b", " lead", "trail ", "x,y", "{z}", "é€日本", "tab\tnewline\n"],
    ],
)
def test_text_array_reads_back_as_the_same_values(session: Session, values: list[str]) -> None:
    """The text form the repository sends for `= ANY(...)` lists is exactly the values."""
    literal = repository.text_array(values)
    assert session.execute(text("SELECT CAST(:a AS text[])"), {"a": literal}).scalar_one() == values


def _february_params() -> reports_repository.TurnaroundParams:
    return reports.params(None, reports.PeriodScope(date(2022, 2, 1), date(2022, 2, 28), date(2022, 3, 15)))


def test_turnaround_statements_leave_the_session_time_zone_alone(session: Session) -> None:
    """The aggregate runs in hospital time (local dates by a plain cast) and sets the session's
    TimeZone back, so instants read afterwards in the same transaction are unchanged."""
    before = session.execute(text("SHOW TimeZone")).scalar_one()
    params = _february_params()
    reports_repository.turnaround_groups(session, params, group_by="unit")
    assert session.execute(text("SHOW TimeZone")).scalar_one() == before
    reports_repository.late_and_missing_stays(session, params)
    assert session.execute(text("SHOW TimeZone")).scalar_one() == before


@pytest.mark.parametrize("group_by", ["service", "pole", "unit"])
def test_turnaround_aggregate_plans_each_stays_delay_once(session: Session, group_by: str) -> None:
    """`classified` is fenced: pulled up into the aggregate, its delay expression (three
    subplans: the report probes) was copied into each of the eleven aggregates reading it, 69
    subplans planned at every request (10 ms of a month's 90 on the benchmark's data)."""
    params = _february_params()
    sql = reports_repository._grouped_sql(group_by)  # type: ignore[arg-type]
    plan = "\n".join(session.execute(text(f"EXPLAIN {sql}"), params.bind()).scalars())
    # Subplans are numbered as planned, including those EXPLAIN does not print (69 unfenced).
    planned = max(int(number) for number in re.findall(r"SubPlan (\d+)", plan))
    assert planned <= 12, plan
