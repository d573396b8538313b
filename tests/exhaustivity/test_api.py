"""GET /api/v1/exhaustivity and /api/v1/transmission: JSON, CSV, XLSX, roles, unit scoping, audit."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.turnaround import intake
from app.turnaround.events import DocumentEvent
from tests.exhaustivity.support import PERIOD, load
from tests.turnaround.test_service_support import moment

pytestmark = pytest.mark.usefixtures("realistic")


@pytest.fixture()
def loaded(client: Any, auth_headers: Any, session: Session) -> Any:
    load(client, auth_headers, session)
    return client


def _counts(stays: int, coded: int, over: int, median: Any, p90: Any, rate: Any) -> dict[str, Any]:
    return {
        "stays": stays,
        "coded": coded,
        "not_coded": stays - coded,
        "not_coded_over_30_days": over,
        "coding_delay_median_days": median,
        "coding_delay_p90_days": p90,
        "rate_coded": rate,
    }


def test_exhaustivity_by_service(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get("/api/v1/exhaustivity", params=PERIOD, headers=auth_headers("reader"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["as_of"], body["group_by"], body["care_types"]) == (
        "2022-02-01",
        "2022-03-15",
        "2022-03-15",
        "service",
        ["complete", "zero_day"],
    )
    assert body["rows"] == [
        {"group": "ONCO", "label": "Oncologie", **_counts(4, 2, 2, 6.0, 10, 0.5)},
        {"group": "URG", "label": "Urgences", **_counts(2, 1, 0, 20.0, 20, 0.5)},
        {"group": "unmapped", "label": None, **_counts(1, 0, 1, None, None, 0.0)},
    ]
    assert body["total"] == _counts(7, 3, 3, 10.0, 20, 3 / 7)
    assert body["detail"] is None


def test_exhaustivity_by_pole_and_unit(loaded: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    poles = loaded.get("/api/v1/exhaustivity", params={**PERIOD, "group_by": "pole"}, headers=reader).json()
    assert [(r["group"], r["stays"], r["coded"]) for r in poles["rows"]] == [
        ("MED", 4, 2),
        ("URG", 2, 1),
        ("unmapped", 1, 0),
    ]
    units = loaded.get("/api/v1/exhaustivity", params={**PERIOD, "group_by": "unit"}, headers=reader).json()
    assert [(r["group"], r["stays"], r["coded"]) for r in units["rows"]] == [
        ("5520", 2, 1),
        ("7500", 3, 1),
        ("7600", 1, 1),
        ("unmapped", 1, 0),
    ]


def test_exhaustivity_as_of_sees_only_what_was_known(loaded: Any, auth_headers: Any) -> None:
    # On 02-20 S4's first RSS (02-12) and S1's (02-11) were in; R5's RSS (02-25) was not: R5 is no stay yet.
    params = {**PERIOD, "as_of": "2022-02-20"}
    body = loaded.get("/api/v1/exhaustivity", params=params, headers=auth_headers("reader")).json()
    assert body["total"] == _counts(5, 2, 0, 6.0, 10, 0.4)


def test_a_unit_restricted_token_sees_its_units(loaded: Any, auth_headers: Any) -> None:
    headers = auth_headers("dim", units=["5520"])
    body = loaded.get("/api/v1/exhaustivity", params={**PERIOD, "detail": "true"}, headers=headers).json()
    assert [r["group"] for r in body["rows"]] == ["URG"]
    assert body["total"] == _counts(2, 1, 0, 20.0, 20, 0.5)
    assert [s["stay_number"] for s in body["detail"]] == ["S3"]


def test_detail_needs_a_patient_reader_and_is_audited(loaded: Any, auth_headers: Any) -> None:
    params = {**PERIOD, "detail": "true"}
    assert (
        loaded.get("/api/v1/exhaustivity", params=params, headers=auth_headers("reader")).status_code == 403
    )
    response = loaded.get("/api/v1/exhaustivity", params=params, headers=auth_headers("dim", name="dr-dim"))
    assert response.status_code == 200
    assert response.json()["detail"] == [
        {"stay_number": "S2", "service": "ONCO", "unit": "7500", "discharge_date": "2022-02-01",
         "days_since_discharge": 42},
        {"stay_number": "S6", "service": "ONCO", "unit": "7500", "discharge_date": "2022-02-01",
         "days_since_discharge": 42},
        {"stay_number": "X1", "service": "unmapped", "unit": "9999", "discharge_date": "2022-02-02",
         "days_since_discharge": 41},
        {"stay_number": "S3", "service": "URG", "unit": "5520", "discharge_date": "2022-03-01",
         "days_since_discharge": 14},
    ]  # fmt: skip
    entries = loaded.get(
        "/api/v1/audit-log", params={"object_type": "stay"}, headers=auth_headers("admin")
    ).json()
    assert [(e["token_name"], e["action"], e["endpoint"], e["object_ids"]) for e in entries["items"]] == [
        ("dr-dim", "read", "/api/v1/exhaustivity", ["S2", "S6", "X1", "S3"])
    ]


def test_exhaustivity_csv(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get(
        "/api/v1/exhaustivity", params={**PERIOD, "format": "csv"}, headers=auth_headers("reader")
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="exhaustivite-2022-02-01-2022-03-15.csv"'
    )
    assert response.content.decode("utf-8") == (
        "\ufeffService;Séjours;Codés;Non codés;Non codés > 30 j;Délai de codage médian;"
        "Délai de codage p90;Exhaustivité\r\n"
        "Oncologie;4;2;2;2;6,0;10;50,0\r\n"
        "Urgences;2;1;1;0;20,0;20;50,0\r\n"
        "Non rattaché;1;0;1;1;;;0,0\r\n"
        "Total;7;3;4;3;10,0;20;42,9\r\n"
    )


def test_exhaustivity_xlsx_with_detail(loaded: Any, auth_headers: Any) -> None:
    from openpyxl import load_workbook

    response = loaded.get(
        "/api/v1/exhaustivity",
        params={**PERIOD, "format": "xlsx", "detail": "true"},
        headers=auth_headers("dim"),
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Exhaustivité", "Séjours non codés"]
    summary = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert summary[0][0] == "Service" and summary[-1] == ["Total", 7, 3, 4, 3, 10, 20, pytest.approx(3 / 7)]
    assert book.worksheets[0]["H5"].number_format == "0.0%"
    detail = [list(row) for row in book.worksheets[1].iter_rows(values_only=True)]
    assert detail[1] == ["S2", "ONCO", "7500", datetime(2022, 2, 1), 42]
    assert len(detail) == 5


def test_bad_periods_are_problems(loaded: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    response = loaded.get(
        "/api/v1/exhaustivity", params={"from": "2022-03-01", "to": "2022-02-01"}, headers=reader
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    response = loaded.get(
        "/api/v1/exhaustivity", params={"from": "0001-01-01", "to": "2022-02-01"}, headers=reader
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "date_out_of_range"


# --------------------------------------------------------------------------- transmission


def _document(
    event_id: str, source: str, stay: str, unit: str | None, claimed: datetime, **extra: Any
) -> Any:
    return DocumentEvent(
        event_id,
        stay,
        f"{event_id}-doc",
        extra.get("document_type", "CRH"),
        "new",
        claimed,
        unit,
        source,  # type: ignore[arg-type]
    )


def _store(session: Session, stored: datetime, *events: DocumentEvent) -> None:
    intake.store_events(session, "document", list(events), recorded_at=stored)
    session.commit()


@pytest.fixture()
def transmitted(loaded: Any, session: Session) -> Any:
    at = moment
    _store(
        session, at(date(2022, 3, 10), 12), _document("D1", "json", "S1", "7500", at(date(2022, 3, 10), 10))
    )
    _store(session, at(date(2022, 3, 11), 8), _document("D2", "hl7", "S2", "7500", at(date(2022, 3, 9), 8)))
    _store(
        session,
        datetime(2022, 3, 12, 9, 30, tzinfo=UTC),  # 10:30 in Paris
        _document("D3", "fhir", "S3", "5520", at(date(2022, 3, 12), 10)),
    )
    # No UM on the document: the UM S4 left from (7600, oncology since 02-03).
    _store(session, at(date(2022, 3, 13), 15), _document("D4", "json", "S4", None, at(date(2022, 3, 13), 9)))
    _store(
        session,
        at(date(2022, 3, 13), 15),
        _document("D5", "json", "S4", "7600", at(date(2022, 3, 13), 9), document_type="18748-4"),
    )
    # A back-load: sent on 01-01, stored on 03-14.
    _store(session, at(date(2022, 3, 14), 10), _document("D6", "hl7", "R5", "5520", at(date(2022, 1, 1), 10)))
    _store(session, at(date(2022, 3, 16), 8), _document("D7", "json", "S1", "7500", at(date(2022, 3, 16), 9)))
    return loaded


def _lags(documents: int, late: int, median: float, p90: float) -> dict[str, Any]:
    return {"documents": documents, "stored_late": late, "lag_median_hours": median, "lag_p90_hours": p90}


def test_transmission_per_channel_and_service(transmitted: Any, auth_headers: Any) -> None:
    params = {"days": "7", "as_of": "2022-03-15"}
    response = transmitted.get("/api/v1/transmission", params=params, headers=auth_headers("reader"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["days"], body["from"], body["as_of"]) == (7, "2022-03-09", "2022-03-15")
    assert body["rows"] == [
        {"channel": "fhir", "service": "URG", "label": "Urgences", **_lags(1, 0, 0.5, 0.5)},
        {"channel": "hl7v2", "service": "ONCO", "label": "Oncologie", **_lags(1, 1, 48.0, 48.0)},
        {"channel": "hl7v2", "service": "URG", "label": "Urgences", **_lags(1, 1, 1728.0, 1728.0)},
        {"channel": "json", "service": "ONCO", "label": "Oncologie", **_lags(2, 0, 4.0, 6.0)},
    ]
    assert body["channels"] == {
        "fhir": _lags(1, 0, 0.5, 0.5),
        "hl7v2": _lags(2, 2, 888.0, 1728.0),
        "json": _lags(2, 0, 4.0, 6.0),
    }
    assert body["total"] == _lags(5, 2, 6.0, 1728.0)


def test_transmission_window_and_unit_scope(transmitted: Any, auth_headers: Any) -> None:
    one_day = transmitted.get(
        "/api/v1/transmission", params={"days": "1", "as_of": "2022-03-16"}, headers=auth_headers("reader")
    ).json()
    assert one_day["total"] == _lags(1, 0, 0.0, 0.0)  # D7 claims a time after its storage: no lag
    scoped = transmitted.get(
        "/api/v1/transmission", params={"as_of": "2022-03-15"}, headers=auth_headers("reader", units=["5520"])
    ).json()
    assert scoped["total"] == _lags(2, 1, 864.25, 1728.0)


def test_transmission_csv(transmitted: Any, auth_headers: Any) -> None:
    params = {"days": "7", "as_of": "2022-03-15", "format": "csv"}
    response = transmitted.get("/api/v1/transmission", params=params, headers=auth_headers("reader"))
    assert response.content.decode("utf-8").splitlines() == [
        "\ufeffCanal;Service;Documents;Stockés > 1 j après;Décalage médian (h);Décalage p90 (h)",
        "FHIR;Urgences;1;0;0,5;0,5",
        "HL7 v2;Oncologie;1;1;48,0;48,0",
        "HL7 v2;Urgences;1;1;1728,0;1728,0",
        "JSON;Oncologie;2;0;4,0;6,0",
        "FHIR;Tous;1;0;0,5;0,5",
        "HL7 v2;Tous;2;2;888,0;1728,0",
        "JSON;Tous;2;0;4,0;6,0",
        "Total;;5;2;6,0;1728,0",
    ]


def test_the_weekly_detail_flags_reports_stored_more_than_a_day_late(
    transmitted: Any, auth_headers: Any
) -> None:
    params = {"week": "2022-W05", "as_of": "2022-03-15", "detail": "true"}
    dim = auth_headers("dim", name="dr-dim")
    body = transmitted.get("/api/v1/reports/weekly-turnaround", params=params, headers=dim).json()
    assert body["detail"]["stored_late"] == [
        {"stay_number": "S2", "service": "ONCO", "unit": "7500", "document_id": "D2-doc", "channel": "hl7v2",
         "sent_at": "2022-03-09T08:00:00+01:00", "stored_at": "2022-03-11T08:00:00+01:00", "lag_hours": 48.0},
        # Sent before the discharge (on time by its own date): the storage 72 days later shows here.
        {"stay_number": "R5", "service": "URG", "unit": "5520", "document_id": "D6-doc", "channel": "hl7v2",
         "sent_at": "2022-01-01T10:00:00+01:00", "stored_at": "2022-03-14T10:00:00+01:00",
         "lag_hours": 1728.0},
    ]  # fmt: skip
    csv = transmitted.get(
        "/api/v1/reports/weekly-turnaround", params={**params, "format": "csv"}, headers=dim
    )
    assert csv.content.decode("utf-8").split("\r\n\r\n")[-1].splitlines() == [
        "N° de séjour;Service;UM;Document;Canal;Envoyé le;Enregistré le;Décalage (h)",
        "S2;ONCO;7500;D2-doc;HL7 v2;2022-03-09T08:00:00;2022-03-11T08:00:00;48,0",
        "R5;URG;5520;D6-doc;HL7 v2;2022-01-01T10:00:00;2022-03-14T10:00:00;1728,0",
    ]
    xlsx = transmitted.get(
        "/api/v1/reports/weekly-turnaround", params={**params, "format": "xlsx"}, headers=dim
    )
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[-1] == "Transmission tardive"
    rows = list(book["Transmission tardive"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == (
        "S2",
        "ONCO",
        "7500",
        "D2-doc",
        "HL7 v2",
        datetime(2022, 3, 9, 8),
        datetime(2022, 3, 11, 8),
        48,
    )
    entries = transmitted.get(
        "/api/v1/audit-log", params={"object_type": "stay"}, headers=auth_headers()
    ).json()
    assert "R5" in entries["items"][0]["object_ids"]
