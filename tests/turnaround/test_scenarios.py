"""Every turnaround state, end to end over HTTP: events in, `/turnaround` figures out.

Stays are discharged on Tuesday 2022-02-01 (ISO week 2022-W05) unless stated otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.turnaround.test_service_support import STRUCTURE, add_rss, document, moment, movement

D = date(2022, 2, 1)
WEEK = {"from": "2022-01-31", "to": "2022-02-06"}
STATES = ("on_time_j0", "on_time_j8", "late", "missing", "pending")


@pytest.fixture()
def api(client: Any, auth_headers: Any) -> Any:
    admin = auth_headers("admin")
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=admin).status_code == 200
    ingest = auth_headers("ingest")
    reader = auth_headers("reader")

    class Api:
        def stays(self, *events: dict[str, Any]) -> Any:
            response = client.post("/api/v1/stay-events", json={"events": list(events)}, headers=ingest)
            assert response.status_code in (200, 201), response.text
            return response.json()

        def documents(self, *events: dict[str, Any]) -> Any:
            response = client.post("/api/v1/document-events", json={"events": list(events)}, headers=ingest)
            assert response.status_code in (200, 201), response.text
            return response.json()

        def figures(self, as_of: date, **params: Any) -> dict[str, Any]:
            response = client.get(
                "/api/v1/turnaround", params={**WEEK, "as_of": as_of.isoformat(), **params}, headers=reader
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        def states(self, as_of: date, **params: Any) -> dict[str, int]:
            total = self.figures(as_of, **params)["total"]
            return {name: total[name] for name in ("stays", *STATES) if total[name]}

    return Api()


def discharged(api: Any, stay: str = "S1", unit: str = "7500", day: date = D) -> None:
    api.stays(
        movement(f"{stay}-a", "admit", stay, day - timedelta(days=2), unit),
        movement(f"{stay}-d", "discharge", stay, day),
    )


def test_report_on_the_discharge_day_is_j0(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D, hour=18))
    assert api.states(D) == {"stays": 1, "on_time_j0": 1, "on_time_j8": 1}
    figures = api.figures(D)["total"]
    assert (
        figures["rate_j0"],
        figures["rate_j8"],
        figures["median_delay_days"],
        figures["p90_delay_days"],
    ) == (1.0, 1.0, 0.0, 0)


def test_report_before_the_discharge_counts_as_j0(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D - timedelta(days=1)))
    assert api.states(D + timedelta(days=30)) == {"stays": 1, "on_time_j0": 1, "on_time_j8": 1}


def test_exactly_eight_days_is_on_time(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D + timedelta(days=8), hour=23))
    assert api.states(D + timedelta(days=8)) == {"stays": 1, "on_time_j8": 1}
    assert api.figures(D + timedelta(days=8))["total"]["p90_delay_days"] == 8


def test_nine_days_is_late(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D + timedelta(days=9), hour=0))
    assert api.states(D + timedelta(days=9)) == {"stays": 1, "late": 1}
    assert api.figures(D + timedelta(days=9))["total"]["rate_j8"] == 0.0


def test_no_report_is_pending_up_to_day_8_then_missing(api: Any) -> None:
    discharged(api)
    assert api.states(D + timedelta(days=8)) == {"stays": 1, "pending": 1}
    assert api.figures(D + timedelta(days=8))["total"]["rate_j8"] is None  # nothing closed yet
    assert api.states(D + timedelta(days=9)) == {"stays": 1, "missing": 1}


def test_report_received_after_as_of_is_ignored(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D + timedelta(days=12)))
    assert api.states(D + timedelta(days=10)) == {"stays": 1, "missing": 1}
    assert api.states(D + timedelta(days=12)) == {"stays": 1, "late": 1}


def test_stay_discharged_after_as_of_is_not_counted(api: Any) -> None:
    discharged(api, day=D + timedelta(days=3))
    assert api.states(D + timedelta(days=2)) == {}


def test_deleted_report_does_not_count_and_its_replacement_does(api: Any) -> None:
    discharged(api)
    api.documents(
        document("c1", "S1", "CR1", D + timedelta(days=1)),
        document("c2", "S1", "CR1", D + timedelta(days=2), action="delete"),
    )
    # As of day 1 the report was there; the deletion on day 2 does not rewrite that past.
    assert api.states(D + timedelta(days=1)) == {"stays": 1, "on_time_j8": 1}
    assert api.states(D + timedelta(days=9)) == {"stays": 1, "missing": 1}
    api.documents(document("c3", "S1", "CR1-v2", D + timedelta(days=10), action="replace", parent="CR1"))
    assert api.states(D + timedelta(days=10)) == {"stays": 1, "late": 1}
    assert api.figures(D + timedelta(days=10))["total"]["median_delay_days"] == 10.0


def test_replaced_report_keeps_its_first_reception(api: Any) -> None:
    discharged(api)
    api.documents(
        document("c1", "S1", "CR1", D),
        document("c2", "S1", "CR1-v2", D + timedelta(days=12), action="replace", parent="CR1"),
    )
    assert api.states(D + timedelta(days=20)) == {"stays": 1, "on_time_j0": 1, "on_time_j8": 1}


def test_other_document_types_do_not_count(api: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "IMG1", D, document_type="18748-4"))
    assert api.states(D + timedelta(days=9)) == {"stays": 1, "missing": 1}


def test_cancelled_discharge(api: Any) -> None:
    discharged(api)
    api.stays(movement("S1-cd", "cancel_discharge", "S1", D + timedelta(days=1)))
    assert api.states(D + timedelta(days=20)) == {}
    # Reproducible: as of the discharge day the stay was discharged.
    assert api.states(D) == {"stays": 1, "pending": 1}
    api.stays(movement("S1-d2", "discharge", "S1", D + timedelta(days=2), "7500"))
    assert api.figures(D + timedelta(days=20))["total"]["missing"] == 1


def test_stay_without_rss_counts(api: Any) -> None:
    discharged(api)
    figures = api.figures(D + timedelta(days=9))
    assert [(row["group"], row["stays"], row["missing"]) for row in figures["rows"]] == [("ONCO", 1, 1)]


def test_rss_only_stay_counts_with_its_exit_unit(api: Any, session: Session) -> None:
    add_rss(
        session, stay_number="R1", exit_date=D, exit_unit="5520", received_at=moment(D + timedelta(days=5))
    )
    session.commit()
    api.documents(document("c1", "R1", "CR1", D + timedelta(days=3)))
    figures = api.figures(D + timedelta(days=10))
    assert [(row["group"], row["stays"], row["on_time_j8"]) for row in figures["rows"]] == [("URG", 1, 1)]
    # Before the RSS arrived nobody knew of the stay.
    assert api.states(D + timedelta(days=4)) == {}


def test_unknown_stay_events_are_kept_then_linked_when_the_rss_arrives(api: Any, session: Session) -> None:
    answer = api.documents(document("c1", "LATE-RSS", "CR1", D))
    assert answer["accepted"] == 1
    assert api.states(D + timedelta(days=30)) == {}
    add_rss(
        session,
        stay_number="LATE-RSS",
        exit_date=D,
        exit_unit="7702",
        received_at=moment(D + timedelta(days=25)),
    )
    session.commit()
    assert api.states(D + timedelta(days=30)) == {"stays": 1, "on_time_j0": 1, "on_time_j8": 1}


def test_rss_care_type_wins_and_seances_are_out_of_scope_unless_asked(api: Any, session: Session) -> None:
    discharged(api, stay="SEANCE")
    add_rss(
        session,
        stay_number="SEANCE",
        exit_date=D,
        exit_unit="7702",
        care_type="seance",
        received_at=moment(D),
    )
    session.commit()
    assert api.states(D + timedelta(days=9)) == {}
    assert api.states(D + timedelta(days=9), care_types="seance") == {"stays": 1, "missing": 1}
    assert api.states(D + timedelta(days=9), care_types="complete,zero_day,seance") == {
        "stays": 1,
        "missing": 1,
    }


def test_zero_day_stay_without_rss_by_its_dates(api: Any) -> None:
    api.stays(movement("a", "admit", "Z", D, "7702", hour=8), movement("d", "discharge", "Z", D, hour=17))
    assert api.states(D + timedelta(days=9), care_types="zero_day") == {"stays": 1, "missing": 1}
    assert api.states(D + timedelta(days=9), care_types="complete") == {}


def test_emergency_visit_without_rss_is_not_a_stay(api: Any) -> None:
    api.stays(
        movement("a", "admit", "URG1", D, "5520", patient_class="E"),
        movement("d", "discharge", "URG1", D, hour=14),
    )
    assert api.states(D + timedelta(days=9)) == {}


def test_out_of_order_events(api: Any) -> None:
    api.stays(movement("d", "discharge", "S1", D))
    api.stays(movement("t", "transfer", "S1", D - timedelta(days=1), "7600"))
    api.stays(movement("a", "admit", "S1", D - timedelta(days=3), "7500"))
    api.documents(document("c1", "S1", "CR1", D + timedelta(days=2)))
    figures = api.figures(D + timedelta(days=9))
    # 7600 belongs to oncology from 2022-02-03 only: on 2022-02-01 it is cardiology.
    assert [(row["group"], row["on_time_j8"]) for row in figures["rows"]] == [("CARDIO", 1)]


def test_unknown_unit_is_reported_as_unmapped(api: Any) -> None:
    discharged(api, unit="9999")
    for group_by in ("service", "pole", "unit"):
        rows = api.figures(D + timedelta(days=9), group_by=group_by)["rows"]
        assert [(row["group"], row["label"], row["missing"]) for row in rows] == [("unmapped", None, 1)]


def test_duplicate_event_is_idempotent(api: Any) -> None:
    discharged(api)
    body = (document("c1", "S1", "CR1", D + timedelta(days=1)),)
    assert api.documents(*body) == {"accepted": 1, "duplicates": 0, "rejected": 0, "errors": []}
    before = api.figures(D + timedelta(days=9))
    assert api.documents(*body) == {"accepted": 0, "duplicates": 1, "rejected": 0, "errors": []}
    assert api.figures(D + timedelta(days=9)) == before


def test_duplicate_id_with_other_content_is_rejected(api: Any, client: Any, auth_headers: Any) -> None:
    discharged(api)
    api.documents(document("c1", "S1", "CR1", D + timedelta(days=1)))
    changed = document("c1", "S1", "CR1", D + timedelta(days=20))
    response = client.post(
        "/api/v1/document-events", json={"events": [changed]}, headers=auth_headers("ingest")
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "event_id", "duplicate_event_id")
    ]
    # Mixed with a new event: the new one is stored, the conflict reported on its line.
    mixed = api.documents(document("c2", "S1", "CR2", D + timedelta(days=2)), changed)
    assert (mixed["accepted"], mixed["duplicates"], mixed["rejected"]) == (1, 0, 1)
    assert [(e["line"], e["code"]) for e in mixed["errors"]] == [(2, "duplicate_event_id")]
    assert api.states(D + timedelta(days=9)) == {"stays": 1, "on_time_j8": 1}
