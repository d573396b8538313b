"""POST /api/v1/stay-events and /api/v1/document-events: JSON, HL7 v2 (public ANS examples), FHIR,
idempotency, roles, audit, and bad input that must never become a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.turnaround.hl7v2 import parse_hl7_message
from tests.conftest import shared_file

pytestmark = pytest.mark.usefixtures("realistic")

HL7 = {"Content-Type": "x-application/hl7-v2+er7"}
FHIR = {"Content-Type": "application/fhir+json"}

STAY_FILES = [
    "ans_pamfr_adt_a01_admission.er7",
    "ans_pamfr_adt_a03_sortie.er7",
    "ans_pamfr_consentement_dmp.er7",
]
DOCUMENT_FILES = [
    "ans_v20_mdm_t10_cr_radio_rplc.er7",
    "ans_v20_mdm_t11_cr_radio_del.er7",
    "ans_v21_mdm_t02_cr_radio_init.er7",
    "ans_v21_mdm_t02_cr_radio_init_base64_full.er7",
    "ans_v21_mdm_t10_cr_radio_rplc_base64_full.er7",
    "ans_v21_mdm_t11_cr_radio_del_base64_full.er7",
    "ans_v21_oru_r01_cr_bio_init.hl7",
    "ans_v21_oru_r01_cr_bio_rplc.er7",
]


def _segments(ack: bytes) -> list[list[str]]:
    assert ack.endswith(b"\r")
    return [segment.split("|") for segment in ack.decode("utf-8").split("\r")[:-1]]


def _assert_ack(message: bytes, ack: bytes, code: str) -> list[list[str]]:
    sent = message.decode("utf-8").replace("\n", "\r").split("\r")[0].split("|")
    segments = _segments(ack)
    msh, msa = segments[0], segments[1]
    assert msh[:2] == ["MSH", "^~\\&"]
    # Sender and receiver swapped, trigger echoed, MSA-2 echoes MSH-10.
    assert (msh[2], msh[3], msh[4], msh[5]) == (sent[4], sent[5], sent[2], sent[3])
    assert msh[8] == f"ACK^{sent[8].split('^')[1]}^ACK"
    assert msa == ["MSA", code, sent[9]]
    return segments


def _endpoint(name: str) -> str:
    return "/api/v1/stay-events" if name in STAY_FILES else "/api/v1/document-events"


@pytest.mark.parametrize("name", STAY_FILES + DOCUMENT_FILES)
def test_each_ans_message_is_accepted_with_an_aa_ack(name: str, client: Any, auth_headers: Any) -> None:
    message = shared_file(f"hl7v2/{name}").read_bytes()
    response = client.post(_endpoint(name), content=message, headers={**auth_headers("ingest"), **HL7})
    assert response.status_code == 200
    assert response.headers["content-type"] == "x-application/hl7-v2+er7; charset=utf-8"
    segments = _assert_ack(message, response.content, "AA")
    assert len(segments) == 2  # no ERR segment


def test_ans_messages_in_one_database(client: Any, auth_headers: Any) -> None:
    """MSH-10 015 is reused across T02, T10, T04 and R01, and 3975 by two A01: the namespaced key
    `MSH-3|MSH-4|MSH-9|MSH-10` keeps them apart, and the second A01 (same movement) and the
    second T02 (same document version) are duplicates. The v2.0 T10/T04 and the ORU replacement
    reuse the control id of an earlier message: as replacements and deletions they are new
    versions of their document (`#<digest>` keys), all accepted (issue 15, defect 14)."""
    headers = {**auth_headers("ingest"), **HL7}
    outcome = {}
    for name in [*STAY_FILES, *DOCUMENT_FILES[2:], *DOCUMENT_FILES[:2]]:
        message = shared_file(f"hl7v2/{name}").read_bytes()
        response = client.post(_endpoint(name), content=message, headers=headers)
        assert response.status_code == 200
        segments = _segments(response.content)
        outcome[name] = segments[1][1]
        if segments[1][1] == "AE":
            assert segments[2][4:6] == ["E", "duplicate_event_id"]
    assert outcome == {
        "ans_pamfr_adt_a01_admission.er7": "AA",
        "ans_pamfr_adt_a03_sortie.er7": "AA",
        "ans_pamfr_consentement_dmp.er7": "AA",
        "ans_v21_mdm_t02_cr_radio_init.er7": "AA",
        "ans_v21_mdm_t02_cr_radio_init_base64_full.er7": "AA",
        "ans_v21_mdm_t10_cr_radio_rplc_base64_full.er7": "AA",
        "ans_v21_mdm_t11_cr_radio_del_base64_full.er7": "AA",
        "ans_v21_oru_r01_cr_bio_init.hl7": "AA",
        "ans_v21_oru_r01_cr_bio_rplc.er7": "AA",
        "ans_v20_mdm_t10_cr_radio_rplc.er7": "AA",
        "ans_v20_mdm_t11_cr_radio_del.er7": "AA",
    }
    metrics = client.get("/metrics", headers=auth_headers("admin")).text
    assert 'dimqa_stay_events_total{outcome="duplicate",source="hl7"}' in metrics


def test_resending_an_hl7_message_is_acknowledged_and_changes_nothing(client: Any, auth_headers: Any) -> None:
    headers = {**auth_headers("ingest"), **HL7}
    message = shared_file("hl7v2/ans_pamfr_adt_a03_sortie.er7").read_bytes()
    for _ in range(2):
        response = client.post("/api/v1/stay-events", content=message, headers=headers)
        _assert_ack(message, response.content, "AA")
    entries = client.get(
        "/api/v1/audit-log", params={"object_type": "stay_event"}, headers=auth_headers("admin")
    )
    assert [e["object_ids"] for e in entries.json()["items"]] == [["GAM|CHU-X|ADT^A03|3995"]] * 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "AR"),
        (b"MSH|^~\\&|A|B|C|D|20240306||ADT^A01|1|P|2.5\rPV1|1|I|7500", "AE"),  # no stay number
        (b"MSH|^~\\&|A|B|C|D|20240306||ADT^Z99|1|P|2.5\rPV1|1|I|7500", "AR"),
        (b"MSH|^~\\&|A|B|C|D|20240306||ADT^A01||P|2.5\r", "AR"),  # no control id
        (b"MSH|bad\r\x00\xff\xfe", "AR"),
        (b"\xff\xfe\x00garbage", "AR"),
        (b"MSH|^~\\&|A|B|C|D|20240306||ADT^A03|1|P|2.5\rPV1|1|I|7500||||||||||||||||S1\rEVN||notadate", "AE"),
    ],
)
def test_malformed_hl7_gets_an_error_ack_never_a_500(
    body: bytes, code: str, client: Any, auth_headers: Any
) -> None:
    response = client.post("/api/v1/stay-events", content=body, headers={**auth_headers("ingest"), **HL7})
    assert response.status_code == 200
    segments = _segments(response.content)
    assert segments[1][1] == code
    assert any(segment[0] == "ERR" for segment in segments)


def test_hl7_message_of_the_other_kind_is_refused(client: Any, auth_headers: Any) -> None:
    message = shared_file("hl7v2/ans_pamfr_adt_a01_admission.er7").read_bytes()
    response = client.post(
        "/api/v1/document-events", content=message, headers={**auth_headers("ingest"), **HL7}
    )
    segments = _segments(response.content)
    assert segments[1][1] == "AR"
    assert "/api/v1/stay-events" in segments[2][8]


def test_ack_file_is_not_a_feed(client: Any, auth_headers: Any) -> None:
    message = shared_file("hl7v2/ans_v21_mdm_ack.er7").read_bytes()
    response = client.post(
        "/api/v1/document-events", content=message, headers={**auth_headers("ingest"), **HL7}
    )
    assert _segments(response.content)[1][1] == "AR"


@pytest.mark.parametrize("media_type", ["application/hl7-v2", "text/plain", "application/hl7-v2+er7"])
def test_other_hl7_media_types(media_type: str, client: Any, auth_headers: Any) -> None:
    message = shared_file("hl7v2/ans_pamfr_adt_a01_admission.er7").read_bytes()
    headers = {**auth_headers("ingest"), "Content-Type": media_type}
    response = client.post("/api/v1/stay-events", content=message, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type + ";")
    _assert_ack(message, response.content, "AA")


def test_ignored_adt_trigger_is_acknowledged(client: Any, auth_headers: Any) -> None:
    message = b"MSH|^~\\&|GAM|X|DPI|X|20240306||ADT^A08|77|P|2.5\rPV1|1|I|7500\r"
    response = client.post("/api/v1/stay-events", content=message, headers={**auth_headers("ingest"), **HL7})
    segments = _segments(response.content)
    assert segments[1] == ["MSA", "AA", "77"]
    assert segments[2][4] == "I"  # informational: no movement in an A08


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b"hello"), ("application/xml", b"<a/>"), ("", b"{}")],
)
def test_unsupported_media_type(content_type: str, body: bytes, client: Any, auth_headers: Any) -> None:
    headers = {**auth_headers("ingest"), "Content-Type": content_type}
    response = client.post("/api/v1/stay-events", content=body, headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- JSON


def test_json_partial_body_keeps_the_valid_events(client: Any, auth_headers: Any) -> None:
    body = {
        "events": [
            {
                "event_id": "e1",
                "type": "admit",
                "stay_number": "S1",
                "unit": "7500",
                "occurred_at": "2022-02-01T10:00",
            },
            {"event_id": "e2", "type": "transfer", "stay_number": "S1", "occurred_at": "2022-02-01T12:00"},
            {"event_id": "e3", "type": "explode", "stay_number": "S1", "occurred_at": "2022-02-01T12:00"},
        ]
    }
    response = client.post("/api/v1/stay-events", json=body, headers=auth_headers("ingest"))
    assert response.status_code == 201
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (1, 0, 2)
    assert [(e["line"], e["field"], e["code"]) for e in answer["errors"]] == [
        (2, "unit", "missing_field"),
        (3, "type", "invalid_value"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"events": []}',
        b'{"events": [{"event_id": "x"}]}',
        b'{"events": [1, 2]}',
        b'{"events": [{"event_id": ' + b"9" * 5000 + b"}]}",  # past Python's int digits: was a 500
    ],
)
def test_json_body_without_any_valid_event_is_a_problem(body: bytes, client: Any, auth_headers: Any) -> None:
    headers = {**auth_headers("ingest"), "Content-Type": "application/json"}
    response = client.post("/api/v1/document-events", content=body, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


# --------------------------------------------------------------------------- FHIR


def _encounter(status: str = "finished") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "enc-1",
        "meta": {"versionId": "1"},
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"type": {"coding": [{"code": "VN"}]}, "value": "240001234"}],
        "period": {"start": "2022-01-30T11:00:00+01:00", "end": "2022-02-01T15:00:00+01:00"},
        "serviceProvider": {"identifier": {"value": "7500"}},
    }


def _document_reference() -> dict[str, Any]:
    return {
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


def test_fhir_encounter_and_document_reference(client: Any, auth_headers: Any) -> None:
    ingest = {**auth_headers("ingest"), **FHIR}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": _encounter()}]}
    response = client.post("/api/v1/stay-events", content=json.dumps(bundle), headers=ingest)
    assert (response.status_code, response.json()["accepted"]) == (201, 1)
    response = client.post(
        "/api/v1/document-events", content=json.dumps(_document_reference()), headers=ingest
    )
    assert (response.status_code, response.json()["accepted"]) == (201, 1)
    again = client.post("/api/v1/document-events", content=json.dumps(_document_reference()), headers=ingest)
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    figures = client.get(
        "/api/v1/turnaround",
        params={"from": "2022-02-01", "to": "2022-02-01", "as_of": "2022-02-20"},
        headers=auth_headers("reader"),
    ).json()
    assert (figures["total"]["stays"], figures["total"]["on_time_j8"]) == (1, 1)


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/api/v1/stay-events", {"resourceType": "Patient", "id": "p"}),
        ("/api/v1/document-events", {"resourceType": "Encounter", "id": "e", "status": "finished"}),
    ],
)
def test_fhir_wrong_resource_type_is_a_4xx_problem(
    path: str, resource: dict[str, Any], client: Any, auth_headers: Any
) -> None:
    response = client.post(path, content=json.dumps(resource), headers={**auth_headers("ingest"), **FHIR})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["code"] for e in response.json()["errors"]] == ["wrong_resource_type"]


def test_fhir_bundle_reports_bad_entries_and_keeps_good_ones(client: Any, auth_headers: Any) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient"}}, {"resource": _encounter()}],
    }
    response = client.post(
        "/api/v1/stay-events", content=json.dumps(bundle), headers={**auth_headers("ingest"), **FHIR}
    )
    answer = response.json()
    assert (response.status_code, answer["accepted"], answer["rejected"]) == (201, 1, 1)
    assert answer["errors"][0]["field"] == "entry[0].resource.resourceType"


# --------------------------------------------------------------------------- roles and audit


@pytest.mark.parametrize(("role", "status"), [("ingest", 201), ("admin", 201), ("reader", 403), ("dim", 403)])
def test_only_feed_writers_post_events(role: str, status: int, client: Any, auth_headers: Any) -> None:
    body = {
        "events": [
            {"event_id": "e1", "type": "discharge", "stay_number": "S1", "occurred_at": "2022-02-01T10:00"}
        ]
    }
    assert client.post("/api/v1/stay-events", json=body, headers=auth_headers(role)).status_code == status
    assert client.post("/api/v1/stay-events", json=body).status_code == 401


def test_writes_are_audited_with_capped_event_ids(client: Any, auth_headers: Any, monkeypatch: Any) -> None:
    from app.turnaround.settings import get_turnaround_settings

    monkeypatch.setattr(get_turnaround_settings(), "audit_max_object_ids", 3)
    events = [
        {
            "event_id": f"d{i}",
            "stay_number": "S1",
            "document_id": f"D{i}",
            "document_type": "CRH",
            "action": "new",
            "received_at": "2022-02-01T10:00",
        }
        for i in range(5)
    ]
    client.post(
        "/api/v1/document-events", json={"events": events}, headers=auth_headers("ingest", name="orbis")
    )
    entries = client.get(
        "/api/v1/audit-log", params={"object_type": "document_event"}, headers=auth_headers("admin")
    ).json()["items"]
    assert [(e["token_name"], e["action"], e["method"], e["endpoint"], e["object_ids"]) for e in entries] == [
        ("orbis", "write", "POST", "/api/v1/document-events", ["d0", "d1", "d2", "... 2 more"])
    ]


def test_parser_event_ids_are_namespaced_in_storage(client: Any, auth_headers: Any) -> None:
    message = shared_file("hl7v2/ans_v21_oru_r01_cr_bio_init.hl7").read_bytes()
    assert parse_hl7_message(message).document_events[0].event_id == "015"
    client.post("/api/v1/document-events", content=message, headers={**auth_headers("ingest"), **HL7})
    entries = client.get(
        "/api/v1/audit-log", params={"object_type": "document_event"}, headers=auth_headers("admin")
    ).json()["items"]
    assert entries[0]["object_ids"] == ["SIL-Y|labo|ORU^R01|015"]


def test_oversized_values_are_reported_not_a_500(client: Any, auth_headers: Any) -> None:
    long_stay = "9" * 60
    message = (
        f"MSH|^~\\&|GAM|X|DPI|X|20240306||ADT^A03|88|P|2.5\rPV1|1|I|7500||||||||||||||||{long_stay}\r"
    ).encode()
    response = client.post("/api/v1/stay-events", content=message, headers={**auth_headers("ingest"), **HL7})
    segments = _segments(response.content)
    assert segments[1][1] == "AE"
    assert segments[2][5] == "value_too_long"

    encounter = _encounter()
    encounter["identifier"][0]["value"] = long_stay
    response = client.post(
        "/api/v1/stay-events", content=json.dumps(encounter), headers={**auth_headers("ingest"), **FHIR}
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("stay_number", "value_too_long")]


# --------------------------------------------------------------------------- body cap


def _padded(body: bytes, size: int) -> bytes:
    # Trailing whitespace keeps JSON and FHIR bodies valid, and HL7 ignores blank segments.
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_event_bodies_over_the_cap_are_413_and_store_nothing(
    client: Any, auth_headers: Any, session: Any, monkeypatch: Any
) -> None:
    from sqlalchemy import text

    from app.core.config import Settings, get_settings

    assert Settings().max_event_body_bytes == 64 * 1024 * 1024
    cap = 4096
    monkeypatch.setattr(get_settings(), "max_event_body_bytes", cap)
    ingest = auth_headers("ingest")
    event = {"event_id": "e1", "type": "discharge", "stay_number": "S1", "occurred_at": "2022-02-01"}
    stay = json.dumps({"events": [event]}).encode()
    document = json.dumps(_document_reference()).encode()
    hl7 = b"MSH|^~\\&|GAM|X|DPI|X|20240306||ADT^A03|88|P|2.5\rPV1|1|I|7500||||||||||||||||S2\r"
    cases = [
        ("/api/v1/stay-events", {"Content-Type": "application/json"}, stay),
        ("/api/v1/stay-events", HL7, hl7),
        ("/api/v1/document-events", FHIR, document),
    ]

    def streamed(body: bytes) -> Any:  # no Content-Length: the cap must hold while reading
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    for path, headers, body in cases:
        over = _padded(body, cap + 1)
        for content in (over, streamed(over)):
            response = client.post(path, content=content, headers={**ingest, **headers})
            assert response.status_code == 413, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 413 and str(cap) in response.json()["detail"]
    counts = "SELECT (SELECT count(*) FROM stay_event), (SELECT count(*) FROM document_event)"
    assert tuple(session.execute(text(counts)).one()) == (0, 0)

    # At the cap exactly, the same bodies are read and stored.
    for path, headers, body in cases:
        response = client.post(path, content=_padded(body, cap), headers={**ingest, **headers})
        assert response.status_code in (200, 201), (path, response.text)
    session.rollback()
    assert tuple(session.execute(text(counts)).one()) == (2, 1)
