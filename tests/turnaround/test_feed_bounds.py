"""Dates out of range and control characters (issue 15, defects 8, 9 and 15): a 422 problem naming
the field, or for HL7 v2 an ER7 ACK AE naming it; never a 500, never a value reaching the database.

Every date and datetime query parameter of the API is found in the OpenAPI document, so one added
later is held to the range too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.turnaround.models import DocumentEventRow, StayEventRow

HL7 = {"Content-Type": "x-application/hl7-v2+er7"}
FHIR = {"Content-Type": "application/fhir+json"}
RANGE = "(1900-01-01 to 2100-12-31)"


def _dated_query_parameters() -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    """(path, parameter, format) of every date or date-time query parameter of the API, and the
    required query parameters of their paths."""
    found = []
    required: dict[str, list[str]] = {}
    for path, operations in create_app().openapi()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                if parameter.get("required"):
                    required.setdefault(path, []).append(parameter["name"])
                schema = json.dumps(parameter["schema"])
                for kind in ("date-time", "date"):
                    if f'"format": "{kind}"' in schema:
                        found.append((path, parameter["name"], kind))
                        break
    return found, required


DATED, REQUIRED_BY_PATH = _dated_query_parameters()
# Valid values for the required parameters of those endpoints.
VALID = {"from": "2024-01-01", "to": "2024-01-31", "week": "2024-W05", "quarter": "2024-Q1"}


def test_the_dated_parameters_are_the_known_ones() -> None:
    assert sorted(DATED) == sorted(
        [
            ("/api/v1/audit-log", "since", "date-time"),
            ("/api/v1/audit-log", "until", "date-time"),
            ("/api/v1/findings", "from", "date"),
            ("/api/v1/findings", "to", "date"),
            ("/api/v1/findings/summary", "from", "date"),
            ("/api/v1/findings/summary", "to", "date"),
            *[
                (f"/api/v1/activity/{name}", bound, "date")
                for name in ("units", "care-types", "seances", "ghm", "ssr-cm")
                for bound in ("from", "to")
            ],
            ("/api/v1/turnaround", "from", "date"),
            ("/api/v1/turnaround", "to", "date"),
            ("/api/v1/turnaround", "as_of", "date"),
            ("/api/v1/reports/weekly-turnaround", "as_of", "date"),
            ("/api/v1/casemix", "from", "date"),
            ("/api/v1/casemix", "to", "date"),
            ("/api/v1/exhaustivity", "from", "date"),
            ("/api/v1/exhaustivity", "to", "date"),
            ("/api/v1/exhaustivity", "as_of", "date"),
            ("/api/v1/transmission", "as_of", "date"),
            ("/api/v1/reports/quarterly", "as_of", "date"),
        ]
    )


@pytest.mark.parametrize(("path", "name", "kind"), DATED)
@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_a_date_parameter_out_of_range_is_a_422(
    client: Any, auth_headers: Any, path: str, name: str, kind: str, far: str
) -> None:
    value = f"{far}T23:00:00-05:00" if kind == "date-time" else far
    params = {key: VALID[key] for key in REQUIRED_BY_PATH.get(path, [])}
    params[name] = value
    response = client.get(path, params=params, headers=auth_headers("admin"))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "line": None,
            "field": f"query.{name}",
            "code": "date_out_of_range",
            "message": f"{far} is outside the accepted range {RANGE}",
        }
    ]


def test_the_limits_of_the_range_are_accepted(client: Any, auth_headers: Any) -> None:
    params = {"from": "1900-01-01", "to": "2100-12-31", "as_of": "2100-12-31"}
    response = client.get("/api/v1/turnaround", params=params, headers=auth_headers("admin"))
    assert response.status_code == 200, response.text
    assert response.json()["total"]["stays"] == 0


@pytest.mark.parametrize(("week", "day"), [("9999-W01", "9999-01-04"), ("0001-W01", "0001-01-01")])
def test_a_week_out_of_range_is_a_422(client: Any, auth_headers: Any, week: str, day: str) -> None:
    response = client.get(
        "/api/v1/reports/weekly-turnaround", params={"week": week}, headers=auth_headers("admin")
    )
    assert response.status_code == 422
    message = f"week {week}: {day} is outside the accepted range {RANGE}"
    assert response.json()["errors"] == [
        {"line": None, "field": "week", "code": "date_out_of_range", "message": message}
    ]


# --------------------------------------------------------------------------- event bodies


def _count(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(StayEventRow)) or 0,
        session.scalar(select(func.count()).select_from(DocumentEventRow)) or 0,
    )


def _errors(response: Any) -> list[tuple[Any, ...]]:
    return [(e["line"], e["field"], e["code"], e["message"]) for e in response.json()["errors"]]


def test_json_event_dates_out_of_range(client: Any, auth_headers: Any, session: Session) -> None:
    ingest = auth_headers("ingest")
    stay = {
        "event_id": "E1",
        "type": "admit",
        "stay_number": "S1",
        "unit": "7500",
        "occurred_at": "0001-01-01",
    }
    response = client.post("/api/v1/stay-events", json={"events": [stay]}, headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "occurred_at",
            "date_out_of_range",
            f"occurred_at: 0001-01-01 is outside the accepted range {RANGE}",
        )
    ]
    document = {
        "event_id": "D1",
        "stay_number": "S1",
        "document_id": "DOC",
        "document_type": "11490-0",
        "action": "new",
        "received_at": "9999-12-31T23:00:00-05:00",
    }
    response = client.post("/api/v1/document-events", json={"events": [document]}, headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "received_at",
            "date_out_of_range",
            f"received_at: 9999-12-31 is outside the accepted range {RANGE}",
        )
    ]
    assert _count(session) == (0, 0)


def _encounter(**changes: Any) -> dict[str, Any]:
    encounter = {
        "resourceType": "Encounter",
        "id": "enc-1",
        "meta": {"versionId": "1"},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"type": {"coding": [{"code": "VN"}]}, "value": "240001234"}],
        "period": {"start": "2022-01-30T11:00:00+01:00", "end": "2022-02-01T15:00:00+01:00"},
        "serviceProvider": {"identifier": {"value": "7500"}},
    }
    encounter.update(changes)
    return encounter


def _document_reference(**changes: Any) -> dict[str, Any]:
    document = {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "meta": {"versionId": "1"},
        "masterIdentifier": {"value": "urn:uuid:0f6c1a5e"},
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11490-0"}]},
        "date": "2022-02-03T09:12:00+01:00",
        "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/1"}}],
        "context": {"encounter": [{"identifier": {"value": "240001234"}}]},
    }
    document.update(changes)
    return document


def test_fhir_dates_out_of_range(client: Any, auth_headers: Any, session: Session) -> None:
    ingest = {**auth_headers("ingest"), **FHIR}
    encounter = _encounter(period={"start": "2022-01-30T11:00:00+01:00", "end": "9999-12-31T23:00:00-05:00"})
    response = client.post("/api/v1/stay-events", content=json.dumps(encounter), headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "period.end",
            "date_out_of_range",
            f"period.end: 9999-12-31T23:00:00-05:00 is outside the accepted range {RANGE}",
        )
    ]
    document = _document_reference(date="0001-01-01T00:00:00+01:00")
    response = client.post("/api/v1/document-events", content=json.dumps(document), headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "date",
            "date_out_of_range",
            f"date: 0001-01-01T00:00:00+01:00 is outside the accepted range {RANGE}",
        )
    ]
    assert _count(session) == (0, 0)


def _ack(client: Any, headers: dict[str, str], path: str, message: bytes) -> bytes:
    response = client.post(path, content=message, headers={**headers, **HL7})
    assert response.status_code == 200
    assert response.headers["content-type"] == "x-application/hl7-v2+er7; charset=utf-8"
    return bytes(response.content)


def _tail(ack: bytes) -> bytes:
    """The ACK without its MSH (its time and control id are generated)."""
    return ack.split(b"\r", 1)[1]


ADT = (
    "MSH|^~\\&|GAM|CHU|DIM|CHU|{sent}||ADT^A01|C-1|P|2.5\r"
    "EVN||20240306111100\r"
    "PID|1||P1||{name}\r"
    "PV1|1|I|{unit}||||||||||||||||{stay}\r"
)


def _adt(
    *, sent: str = "20240306111154", name: str = "DOE^JOHN", unit: str = "7500", stay: str = "S1"
) -> bytes:
    return ADT.format(sent=sent, name=name, unit=unit, stay=stay).encode("utf-8")


@pytest.mark.parametrize(
    ("path", "message", "location", "text"),
    [
        (
            "/api/v1/stay-events",
            _adt(sent="00010101000000"),
            "MSH^1^7",
            f"MSH-7: 0001-01-01 is outside the accepted range {RANGE}",
        ),
        (
            "/api/v1/document-events",
            b"MSH|^~\\&|DPI|CHU|DIM|CHU|00010101000000||MDM^T02|C-1|P|2.5\r"
            b"PV1|1|I|7500||||||||||||||||S1\rTXA|1|11490-0|TX|||||||||DOC-1\r",
            "MSH^1^7",
            f"MSH-7: 0001-01-01 is outside the accepted range {RANGE}",
        ),
        (
            "/api/v1/stay-events",
            _adt().replace(b"EVN||20240306111100", b"EVN||20240306111100\rZBE|M1|99991231230000-0500"),
            "ZBE^1^2",
            f"ZBE-2: 9999-12-31 is outside the accepted range {RANGE}",
        ),
    ],
    ids=["adt-msh-7", "mdm-msh-7", "zbe-2"],
)
def test_hl7_dates_out_of_range_are_an_ack_ae(
    client: Any, auth_headers: Any, session: Session, path: str, message: bytes, location: str, text: str
) -> None:
    ack = _ack(client, auth_headers("ingest"), path, message)
    assert _tail(ack) == (
        f"MSA|AE|C-1\rERR||{location}|102^Data type error^HL70357|E|date_out_of_range|||{text}\r".encode()
    )
    assert _count(session) == (0, 0)


# --------------------------------------------------------------------------- control characters


def test_json_identifiers_with_control_characters_are_refused(
    client: Any, auth_headers: Any, session: Session
) -> None:
    ingest = auth_headers("ingest")
    stay = {
        "event_id": "E-1\r",
        "type": "admit",
        "stay_number": "S\x001",
        "unit": "75\n00",
        "occurred_at": "2024-03-06T11:00:00+01:00",
    }
    response = client.post("/api/v1/stay-events", json={"events": [stay]}, headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "event_id",
            "control_character",
            "event_id: control character U+000D at position 4 is not allowed",
        ),
        (
            1,
            "stay_number",
            "control_character",
            "stay_number: control character U+0000 at position 2 is not allowed",
        ),
        (1, "unit", "control_character", "unit: control character U+000A at position 3 is not allowed"),
    ]
    document = {
        "event_id": "D-1",
        "stay_number": "S1",
        "document_id": "DOC\r\n",
        "document_type": "11490-0",
        "action": "new",
        "received_at": "2024-03-06T11:00:00+01:00",
    }
    response = client.post("/api/v1/document-events", json={"events": [document]}, headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "document_id",
            "control_character",
            "document_id: control character U+000D at position 4 is not allowed",
        )
    ]
    assert _count(session) == (0, 0)


@pytest.mark.parametrize(
    ("message", "location", "text"),
    [
        (
            _adt(stay="S\\X0D\\1"),
            "PV1^1^19",
            "PV1-19: control character U+000D at position 2 is not allowed in an identifier",
        ),
        (
            _adt(unit="75\\X00\\00"),
            "PV1^1^3",
            "PV1-3: control character U+0000 at position 3 is not allowed in an identifier",
        ),
        (
            _adt().replace(b"|C-1|", b"|C-1\\X0A\\|"),
            "MSH^1^10",
            "MSH-10: control character U+000A at position 4 is not allowed in an identifier",
        ),
        (
            _adt(name="DOE\x00^JOHN"),
            "PID^1^5",
            "a NUL character (U+0000) is not allowed in an HL7 message (segment 3, PID-5)",
        ),
    ],
    ids=["stay-escaped-cr", "unit-escaped-nul", "control-id-escaped-lf", "raw-nul"],
)
def test_hl7_control_characters_are_an_ack_ae(
    client: Any, auth_headers: Any, session: Session, message: bytes, location: str, text: str
) -> None:
    ack = _ack(client, auth_headers("ingest"), "/api/v1/stay-events", message)
    control_id = message.split(b"|")[9].decode()
    err = f"ERR||{location}|102^Data type error^HL70357|E|control_character|||{text}\r"
    assert _tail(ack) == f"MSA|AE|{control_id}\r{err}".encode()
    assert _count(session) == (0, 0)


def test_a_raw_nul_in_the_control_id_is_escaped_in_the_ack(
    client: Any, auth_headers: Any, session: Session
) -> None:
    message = _adt().replace(b"|C-1|", b"|C\x001|")
    ack = _ack(client, auth_headers("ingest"), "/api/v1/stay-events", message)
    assert b"\x00" not in ack
    assert _tail(ack) == (
        b"MSA|AE|C\\X00\\1\rERR||MSH^1^10|102^Data type error^HL70357|E|control_character|||"
        b"a NUL character (U+0000) is not allowed in an HL7 message (segment 1, MSH-10)\r"
    )
    assert _count(session) == (0, 0)


def test_fhir_control_characters_are_refused(client: Any, auth_headers: Any, session: Session) -> None:
    ingest = {**auth_headers("ingest"), **FHIR}
    nul = _encounter(identifier=[{"type": {"coding": [{"code": "VN"}]}, "value": "2400\x0001"}])
    cr = _encounter(id="enc-2", identifier=[{"value": "2400\r01"}])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": nul}, {"resource": cr}]}
    response = client.post("/api/v1/stay-events", content=json.dumps(bundle), headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "entry[0].resource.identifier[0].value",
            "control_character",
            "a NUL character (U+0000) is not allowed in a FHIR resource",
        ),
        (
            2,
            "entry[1].resource.identifier",
            "control_character",
            "identifier: control character U+000D at position 5 is not allowed in an identifier",
        ),
    ]
    document = _document_reference(masterIdentifier={"value": "urn:uuid:0f6c\n1a5e"})
    response = client.post("/api/v1/document-events", content=json.dumps(document), headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (
            1,
            "masterIdentifier",
            "control_character",
            "masterIdentifier: control character U+000A at position 14 is not allowed in an identifier",
        )
    ]
    # A NUL in a narrative or an extension that dimqa never stores is refused too.
    document = _document_reference(description="compte\x00rendu")
    response = client.post("/api/v1/document-events", content=json.dumps(document), headers=ingest)
    assert response.status_code == 422
    assert _errors(response) == [
        (1, "description", "control_character", "a NUL character (U+0000) is not allowed in a FHIR resource")
    ]
    assert _count(session) == (0, 0)
