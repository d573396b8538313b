"""`as_of` is reproducible whatever arrives later (movements, documents, RSS re-sent), and the
stay's attribution (`discharge`, the default, or `admission`), end to end over HTTP.

Stays are discharged on Tuesday 2022-02-01 (ISO week 2022-W05). Events are stored as they happen
(tests/conftest.py) unless a test sets `intake.storage_time` to play a late arrival.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.turnaround import derivation, intake
from app.turnaround.models import DocumentPeriod, Stay, StayDischargePeriod
from tests.turnaround.test_service_support import STRUCTURE, add_rss, document, moment, movement

D = date(2022, 2, 1)
AS_OF = D + timedelta(days=10)  # the report first produced
LATER = D + timedelta(days=25)  # after the late arrivals
LATE = moment(D + timedelta(days=15), 11)  # when dimqa stores the late events
PERIOD = {"from": "2022-01-31", "to": "2022-02-06"}
WEEK = {"week": "2022-W05"}
FORMATS = ("json", "csv", "xlsx")


@pytest.fixture()
def api(client: Any, auth_headers: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin")).status_code == 200
    ingest = auth_headers("ingest")
    dim = auth_headers("dim")

    class Api:
        def post(self, path: str, *events: dict[str, Any], stored_at: datetime | None = None) -> None:
            if stored_at is not None:
                monkeypatch.setattr(intake, "storage_time", lambda session: stored_at)
            response = client.post(f"/api/v1/{path}", json={"events": list(events)}, headers=ingest)
            assert response.status_code == 201, response.text

        def turnaround(self, as_of: date, **params: str) -> bytes:
            response = client.get(
                "/api/v1/turnaround", params={**PERIOD, "as_of": as_of.isoformat(), **params}, headers=dim
            )
            assert response.status_code == 200, response.text
            content: bytes = response.content
            return content

        def weekly(self, as_of: date, format: str = "json", **params: str) -> Any:
            response = client.get(
                "/api/v1/reports/weekly-turnaround",
                params={**WEEK, "as_of": as_of.isoformat(), "format": format, "detail": "true", **params},
                headers=dim,
            )
            assert response.status_code == 200, response.text
            if format == "xlsx":  # the file carries its creation time: compare the cells
                from openpyxl import load_workbook

                book = load_workbook(io.BytesIO(response.content))
                return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
            return response.content

        def snapshot(self, as_of: date) -> list[Any]:
            """Every figure of the period as of `as_of`: /turnaround by service, pôle and UM,
            the weekly report with its detail in every format, under both attributions."""
            return [
                *(
                    self.turnaround(as_of, group_by=group_by, attribution=attribution)
                    for group_by in ("service", "pole", "unit")
                    for attribution in ("discharge", "admission")
                ),
                *(
                    self.weekly(as_of, format, attribution=attribution)
                    for format in FORMATS
                    for attribution in ("discharge", "admission")
                ),
            ]

        def rows(self, as_of: date, **params: str) -> list[tuple[Any, ...]]:
            import json

            body = json.loads(self.turnaround(as_of, **params))
            states = ("stays", "on_time_j0", "on_time_j8", "late", "missing", "pending")
            return [(row["group"], *(row[name] for name in states)) for row in body["rows"]]

    return Api()


def discharged(api: Any, stay: str = "S1", unit: str = "7500") -> None:
    api.post(
        "stay-events",
        movement(f"{stay}-a", "admit", stay, D - timedelta(days=2), unit),
        movement(f"{stay}-d", "discharge", stay, D),
    )


class TestLateArrivals:
    def test_a_movement_stored_late_changes_later_figures_only(self, api: Any) -> None:
        discharged(api)
        api.post("document-events", document("c1", "S1", "CR1", D + timedelta(days=2)))
        before = api.snapshot(AS_OF)
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 1, 0, 0, 0)]
        # Stored on D+15, all saying they happened before AS_OF: a transfer to the emergency unit
        # the day before the (unit-less) discharge, and a whole stay discharged on D.
        api.post(
            "stay-events",
            movement("S1-t", "transfer", "S1", D - timedelta(days=1), "5520"),
            movement("S2-a", "admit", "S2", D - timedelta(days=1), "7500"),
            movement("S2-d", "discharge", "S2", D),
            stored_at=LATE,
        )
        assert api.snapshot(AS_OF) == before
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 1, 0, 0, 0)]
        assert api.rows(LATER) == [("ONCO", 1, 0, 0, 0, 1, 0), ("URG", 1, 0, 1, 0, 0, 0)]
        # The day it was stored, the transfer counts (the stay left from 5520).
        assert api.rows(LATE.date()) == api.rows(LATER)
        assert api.rows(LATE.date() - timedelta(days=1)) == api.rows(AS_OF)

    def test_a_cancelled_discharge_stored_late_changes_later_figures_only(self, api: Any) -> None:
        discharged(api)
        before = api.snapshot(AS_OF)
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 0, 0, 1, 0)]
        api.post("stay-events", movement("S1-c", "cancel_discharge", "S1", D, hour=12), stored_at=LATE)
        assert api.snapshot(AS_OF) == before
        assert api.rows(LATER) == []

    def test_a_document_stored_late_keeps_its_reception_date_for_later_figures(self, api: Any) -> None:
        discharged(api)
        before = api.snapshot(AS_OF)
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 0, 0, 1, 0)]
        # MSH-7 / received_at says D+2, dimqa stores it on D+15.
        api.post("document-events", document("c1", "S1", "CR1", D + timedelta(days=2)), stored_at=LATE)
        assert api.snapshot(AS_OF) == before
        # Later: received within 8 days (2 days), by its claimed reception date.
        assert api.rows(LATER) == [("ONCO", 1, 0, 1, 0, 0, 0)]

    def test_a_deletion_stored_late_changes_later_figures_only(self, api: Any) -> None:
        discharged(api)
        api.post("document-events", document("c1", "S1", "CR1", D + timedelta(days=1)))
        before = api.snapshot(AS_OF)
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 1, 0, 0, 0)]
        api.post(
            "document-events",
            document("c1-x", "S1", "CR1", D + timedelta(days=3), action="delete"),
            stored_at=LATE,
        )
        assert api.snapshot(AS_OF) == before
        assert api.rows(LATER) == [("ONCO", 1, 0, 0, 0, 1, 0)]

    def test_an_rss_resent_later_changes_later_figures_only(self, api: Any, session: Session) -> None:
        # An RSS-only stay, and a movement stay whose RSS says complete.
        add_rss(session, stay_number="R1", exit_date=D, exit_unit="7500", received_at=moment(D, 20))
        discharged(api, "S1", "7702")
        add_rss(session, stay_number="S1", exit_date=D, exit_unit="7702", received_at=moment(D, 20))
        session.commit()
        before = api.snapshot(AS_OF)
        assert api.rows(AS_OF, group_by="unit") == [("7500", 1, 0, 0, 0, 1, 0), ("7702", 1, 0, 0, 0, 1, 0)]
        # Re-sent on D+15: R1 exits a day later from 5520, S1 is a séance.
        add_rss(
            session,
            stay_number="R1",
            exit_date=D + timedelta(days=1),
            exit_unit="5520",
            received_at=LATE,
        )
        add_rss(
            session, stay_number="S1", exit_date=D, exit_unit="7702", care_type="seance", received_at=LATE
        )
        session.commit()
        assert api.snapshot(AS_OF) == before
        assert api.rows(LATER, group_by="unit") == [("5520", 1, 0, 0, 0, 1, 0)]
        assert api.rows(LATER, group_by="unit", care_types="seance") == [("7702", 1, 0, 0, 0, 1, 0)]


class TestAttribution:
    def test_a_transferred_stay_counts_under_its_discharge_or_admission_service(self, api: Any) -> None:
        api.post(
            "stay-events",
            movement("T-a", "admit", "T1", D - timedelta(days=3), "5520"),
            movement("T-t", "transfer", "T1", D - timedelta(days=2), "7500"),
            movement("T-d", "discharge", "T1", D),
        )
        api.post("document-events", document("c1", "T1", "CR1", D + timedelta(days=9)))
        assert api.rows(AS_OF) == [("ONCO", 1, 0, 0, 1, 0, 0)]
        assert api.rows(AS_OF, attribution="discharge") == [("ONCO", 1, 0, 0, 1, 0, 0)]
        assert api.rows(AS_OF, attribution="admission") == [("URG", 1, 0, 0, 1, 0, 0)]
        assert api.rows(AS_OF, attribution="admission", group_by="unit") == [("5520", 1, 0, 0, 1, 0, 0)]

    def test_an_rss_only_stay_counts_under_its_first_rum_in_admission(
        self, api: Any, session: Session
    ) -> None:
        add_rss(
            session,
            stay_number="R1",
            exit_date=D,
            exit_unit="7500",
            received_at=moment(D, 20),
            rum_units=("5520", "7600", "7500"),
        )
        session.commit()
        api.post("document-events", document("c1", "R1", "CR1", D))
        assert api.rows(AS_OF, group_by="unit") == [("7500", 1, 1, 1, 0, 0, 0)]
        assert api.rows(AS_OF, group_by="unit", attribution="admission") == [("5520", 1, 1, 1, 0, 0, 0)]
        assert api.rows(AS_OF, attribution="admission") == [("URG", 1, 1, 1, 0, 0, 0)]

    def test_the_weekly_report_says_which_attribution(self, api: Any) -> None:
        import json

        api.post(
            "stay-events",
            movement("T-a", "admit", "T1", D - timedelta(days=3), "5520"),
            movement("T-t", "transfer", "T1", D - timedelta(days=2), "7500"),
            movement("T-d", "discharge", "T1", D),
        )
        default = json.loads(api.weekly(AS_OF))
        admission = json.loads(api.weekly(AS_OF, attribution="admission"))
        assert (default["attribution"], [r["service"] for r in default["rows"]]) == ("discharge", ["ONCO"])
        assert (admission["attribution"], [r["service"] for r in admission["rows"]]) == ("admission", ["URG"])
        assert [(s["stay_number"], s["service"], s["unit"]) for s in admission["detail"]["missing"]] == [
            ("T1", "URG", "5520")
        ]
        csv_lines = api.weekly(AS_OF, "csv", attribution="admission").decode("utf-8-sig").splitlines()
        assert csv_lines[0].startswith("Service d'admission;")
        assert api.weekly(AS_OF, "csv").decode("utf-8-sig").splitlines()[0].startswith("Service;")
        sheets = api.weekly(AS_OF, "xlsx", attribution="admission")
        assert (
            sheets[0][0][0]
            == "Délai de réception des comptes rendus — semaine 2022-W05 (service d'admission)"
        )
        assert sheets[0][3][0] == "Service d'admission"
        assert (
            api.weekly(AS_OF, "xlsx")[0][0][0] == "Délai de réception des comptes rendus — semaine 2022-W05"
        )

    def test_a_bad_attribution_is_a_problem(self, client: Any, auth_headers: Any) -> None:
        response = client.get(
            "/api/v1/reports/weekly-turnaround",
            params={**WEEK, "attribution": "transfer"},
            headers=auth_headers("reader"),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_rebuild_recomputes_every_derived_row(api: Any, session: Session) -> None:
    """What migration 0010 and `dimqa turnaround-rebuild` run: derived rows lost or written under
    an older rule come back exactly as the batches wrote them."""
    discharged(api)
    api.post("stay-events", movement("S1-t", "transfer", "S1", D - timedelta(days=1), "5520"), stored_at=LATE)
    api.post("document-events", document("c1", "S1", "CR1", D + timedelta(days=2)), stored_at=LATE)

    def rows() -> list[Any]:
        return [
            sorted(tuple(row) for row in session.execute(select(*columns)))
            for columns in (
                [column for column in Stay.__table__.columns if column.name != "updated_at"],
                StayDischargePeriod.__table__.columns,
                DocumentPeriod.__table__.columns,
            )
        ]

    written = rows()
    assert len(written[1]) == 2  # discharged from 7500, then (known from D+15) from 5520
    session.execute(StayDischargePeriod.__table__.delete())
    session.execute(DocumentPeriod.__table__.delete())
    session.execute(Stay.__table__.update().values(discharge_known_at=None))
    assert derivation.rebuild_derived(session, chunk=1) == 1
    assert rows() == written


def test_events_are_recorded_at_their_transaction_time(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the tests' fixed storage time: `recorded_at` is the storing transaction's `now()`,
    the clock of the RSS receptions too, and a re-send later changes nothing."""
    from sqlalchemy import func

    from app.turnaround.events import StayEvent
    from app.turnaround.models import StayEventRow

    monkeypatch.undo()  # the autouse fixed storage time
    event = StayEvent("e1", "admit", "S1", "7500", moment(D), "json")
    assert intake.store_events(session, "stay", [event]).accepted == ["e1"]
    now = session.execute(select(func.now())).scalar_one()
    assert session.execute(select(StayEventRow.recorded_at)).scalar_one() == now
    assert session.get(Stay, "S1") is not None
    session.commit()
    assert intake.store_events(session, "stay", [event]).duplicates == ["e1"]
    assert session.execute(select(StayEventRow.recorded_at)).scalar_one() == now
