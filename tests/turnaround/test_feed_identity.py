"""HL7 v2 event identity (issue 15, defect 14): the key is `MSH-3|MSH-4|MSH-9|MSH-10`, a retry that
only changes MSH-7 is the same message, replacements and corrections are new versions of their
document, and a control id reused for another message is refused with ERR-3 205."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.turnaround.models import DocumentEventRow, StayEventRow
from tests.conftest import shared_file

HL7 = {"Content-Type": "x-application/hl7-v2+er7"}


def _segments(ack: bytes) -> list[list[str]]:
    assert ack.endswith(b"\r")
    return [segment.split("|") for segment in ack.decode("utf-8").split("\r")[:-1]]


def _post(client: Any, headers: dict[str, str], path: str, message: bytes) -> list[list[str]]:
    response = client.post(path, content=message, headers={**headers, **HL7})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("x-application/hl7-v2+er7")
    return _segments(response.content)


def _adt(facility: str, control_id: str, stay: str, *, sent: str = "20240306111154") -> bytes:
    return (
        f"MSH|^~\\&|GAM|{facility}|DIM|CHU|{sent}||ADT^A01^ADT_A01|{control_id}|P|2.5\r"
        f"EVN||20240306111100\r"
        f"PV1|1|I|7500||||||||||||||||{stay}\r"
    ).encode()


def _mdm(control_id: str, document: str, *, sent: str, trigger: str = "T02", parent: str = "") -> bytes:
    # No EVN: the reception date is MSH-7, which a retry changes.
    return (
        f"MSH|^~\\&|DPI|CHU|DIM|CHU|{sent}||MDM^{trigger}^MDM_T02|{control_id}|P|2.5\r"
        f"PV1|1|I|7500||||||||||||||||S1\r"
        f"TXA|1|11490-0|TX|||||||||{document}|{parent}\r"
    ).encode()


def _oru(control_id: str, *, result_status: str = "F", obx_status: str = "F") -> bytes:
    return (
        f"MSH|^~\\&|SIL|LABO|DIM|CHU|20240306120000||ORU^R01^ORU_R01|{control_id}|P|2.5\r"
        f"PV1|1|I|7500||||||||||||||||S1\r"
        f"OBR|1|ORD-1|CR-1|11502-2^CR biologie^LN|||||||||||||||||||||{result_status}\r"
        f"OBX|1|ED|11502-2^CR biologie^LN||^TEXT^XML^Base64^QUJD||||||{obx_status}\r"
    ).encode()


def _digest16(message: bytes) -> str:
    """The first 16 hex digits of SHA-256 of the message with MSH-7 blanked (segments CR-joined)."""
    segments = [s for s in message.decode("utf-8").replace("\r\n", "\r").replace("\n", "\r").split("\r") if s]
    msh = segments[0].split("|")
    msh[6] = ""
    return hashlib.sha256("\r".join(["|".join(msh), *segments[1:]]).encode()).hexdigest()[:16]


def _stay_ids(session: Session) -> list[str]:
    return list(session.scalars(select(StayEventRow.event_id).order_by(StayEventRow.id)))


def _documents(session: Session) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(DocumentEventRow.event_id, DocumentEventRow.action, DocumentEventRow.received_at).order_by(
            DocumentEventRow.id
        )
    )
    return [(event_id, action, received.isoformat()) for event_id, action, received in rows]


def test_two_facilities_reusing_a_control_id_do_not_collide(
    client: Any, auth_headers: Any, session: Session
) -> None:
    ingest = auth_headers("ingest")
    first = _post(client, ingest, "/api/v1/stay-events", _adt("CHU-NORD", "1001", "S-NORD"))
    second = _post(client, ingest, "/api/v1/stay-events", _adt("CHU-SUD", "1001", "S-SUD"))

    assert [first[1], second[1]] == [["MSA", "AA", "1001"], ["MSA", "AA", "1001"]]
    assert len(first) == len(second) == 2  # no ERR segment
    assert _stay_ids(session) == ["GAM|CHU-NORD|ADT^A01|1001", "GAM|CHU-SUD|ADT^A01|1001"]


def test_a_retry_with_a_new_msh_7_is_a_duplicate(client: Any, auth_headers: Any, session: Session) -> None:
    ingest = auth_headers("ingest")
    original = _mdm("M-1", "DOC-1", sent="20240306120000")
    retry = _mdm("M-1", "DOC-1", sent="20240306120500")  # the reception date (MSH-7) moves too

    assert _post(client, ingest, "/api/v1/document-events", original)[1:] == [["MSA", "AA", "M-1"]]
    duplicates = _duplicates(client, auth_headers)
    assert _post(client, ingest, "/api/v1/document-events", retry)[1:] == [["MSA", "AA", "M-1"]]

    # One event, received when the first copy said; the retry counted as a duplicate.
    assert _documents(session) == [("DPI|CHU|MDM^T02|M-1", "new", "2024-03-06T11:00:00+00:00")]
    assert _duplicates(client, auth_headers) == duplicates + 1


def _duplicates(client: Any, auth_headers: Any) -> float:
    """HL7 document events counted as duplicates so far (the counters live as long as the process)."""
    metrics = client.get("/metrics", headers=auth_headers("admin")).text
    prefix = 'dimqa_document_events_total{outcome="duplicate",source="hl7"} '
    return next(
        (float(line.removeprefix(prefix)) for line in metrics.splitlines() if line.startswith(prefix)), 0.0
    )


def test_an_adt_retry_with_a_new_msh_7_is_a_duplicate(
    client: Any, auth_headers: Any, session: Session
) -> None:
    ingest = auth_headers("ingest")
    # Without EVN or ZBE, MSH-7 is the movement's date: the retry's events differ, its message not.
    message = "MSH|^~\\&|GAM|CHU|DIM|CHU|{sent}||ADT^A03|D-7|P|2.5\rPV1|1|I|7500||||||||||||||||S7\r"
    for sent in ("20240306150000", "20240306151500"):
        segments = _post(client, ingest, "/api/v1/stay-events", message.format(sent=sent).encode())
        assert segments[1:] == [["MSA", "AA", "D-7"]]
    rows = session.execute(select(StayEventRow.event_id, StayEventRow.occurred_at)).all()
    assert [(event_id, when.isoformat()) for event_id, when in rows] == [
        ("GAM|CHU|ADT^A03|D-7", "2024-03-06T14:00:00+00:00")
    ]


def test_a_control_id_reused_for_another_message_is_refused_with_205(
    client: Any, auth_headers: Any, session: Session
) -> None:
    ingest = auth_headers("ingest")
    first = _post(client, ingest, "/api/v1/stay-events", _adt("CHU", "2002", "S-1"))
    assert first[1] == ["MSA", "AA", "2002"]
    segments = _post(client, ingest, "/api/v1/stay-events", _adt("CHU", "2002", "S-2"))

    assert segments[1:] == [
        ["MSA", "AE", "2002"],
        [
            "ERR",
            "",
            "MSH^1^10",
            "205^Duplicate key identifier^HL70357",
            "E",
            "duplicate_event_id",
            "",
            "",
            # The key's delimiters escaped (ER7 \F\ and \S\), the text otherwise as stored.
            "event id 'GAM\\F\\CHU\\F\\ADT\\S\\A01\\F\\2002' was already received with a "
            "different content; send a new event id for a new event",
        ],
    ]
    assert _stay_ids(session) == ["GAM|CHU|ADT^A01|2002"]


def test_the_ans_oru_replacement_is_a_new_version(client: Any, auth_headers: Any, session: Session) -> None:
    init = shared_file("hl7v2/ans_v21_oru_r01_cr_bio_init.hl7").read_bytes()
    replacement = shared_file("hl7v2/ans_v21_oru_r01_cr_bio_rplc.er7").read_bytes()
    ingest = auth_headers("ingest")

    for message in (init, replacement, replacement):  # the last one: a plain retry
        segments = _post(client, ingest, "/api/v1/document-events", message)
        assert segments[1:] == [["MSA", "AA", "015"]]

    stamp = "2021-06-06T07:31:00+00:00"  # MSH-7 202106060931, Paris summer time
    assert _documents(session) == [
        ("SIL-Y|labo|ORU^R01|015", "new", stamp),
        (f"SIL-Y|labo|ORU^R01|015#{_digest16(replacement)}", "replace", stamp),
    ]


def test_mdm_replacement_and_deletion_are_versions_and_their_retries_duplicates(
    client: Any, auth_headers: Any, session: Session
) -> None:
    ingest = auth_headers("ingest")
    original = _mdm("77", "DOC-1", sent="20240306120000")
    replacement = _mdm("77", "DOC-2", sent="20240306130000", trigger="T10", parent="DOC-1")
    replacement_retry = _mdm("77", "DOC-2", sent="20240306133000", trigger="T10", parent="DOC-1")
    deletion = _mdm("77", "DOC-2", sent="20240306140000", trigger="T04")

    for message in (original, replacement, replacement_retry, deletion):
        assert _post(client, ingest, "/api/v1/document-events", message)[1:] == [["MSA", "AA", "77"]]

    assert _documents(session) == [
        ("DPI|CHU|MDM^T02|77", "new", "2024-03-06T11:00:00+00:00"),
        (f"DPI|CHU|MDM^T10|77#{_digest16(replacement)}", "replace", "2024-03-06T12:00:00+00:00"),
        (f"DPI|CHU|MDM^T04|77#{_digest16(deletion)}", "delete", "2024-03-06T13:00:00+00:00"),
    ]
    assert _digest16(replacement) == _digest16(replacement_retry)


def test_an_oru_correction_keeps_the_earlier_result(client: Any, auth_headers: Any, session: Session) -> None:
    """A corrected result (OBR-25 C, or OBX-11 C) under the control id of the first result."""
    ingest = auth_headers("ingest")
    final = _oru("R-1")
    corrected = _oru("R-1", result_status="C")
    corrected_obx = _oru("R-1", obx_status="C")
    for message in (final, corrected, corrected_obx):
        assert _post(client, ingest, "/api/v1/document-events", message)[1:] == [["MSA", "AA", "R-1"]]

    assert [(event_id, action) for event_id, action, _ in _documents(session)] == [
        ("SIL|LABO|ORU^R01|R-1", "new"),
        (f"SIL|LABO|ORU^R01|R-1#{_digest16(corrected)}", "replace"),
        (f"SIL|LABO|ORU^R01|R-1#{_digest16(corrected_obx)}", "replace"),
    ]


def test_the_ans_messages_reusing_015_are_all_kept(client: Any, auth_headers: Any, session: Session) -> None:
    """The ANS examples reuse MSH-10 015 for T02, T10, T04 and R01: each is stored once."""
    names = [
        "ans_v21_mdm_t02_cr_radio_init.er7",
        "ans_v20_mdm_t10_cr_radio_rplc.er7",
        "ans_v20_mdm_t11_cr_radio_del.er7",
        "ans_v21_oru_r01_cr_bio_init.hl7",
        "ans_v21_oru_r01_cr_bio_rplc.er7",
    ]
    ingest = auth_headers("ingest")
    for name in names:
        message = shared_file(f"hl7v2/{name}").read_bytes()
        assert _post(client, ingest, "/api/v1/document-events", message)[1:] == [["MSA", "AA", "015"]]
    assert [(event_id.split("#")[0], action) for event_id, action, _ in _documents(session)] == [
        ("RIS-Y|Organisation-Y|MDM^T02|015", "new"),
        ("RIS-Y|Organisation-Y|MDM^T10|015", "replace"),
        ("RIS-Y|Organisation-Y|MDM^T04|015", "delete"),
        ("SIL-Y|labo|ORU^R01|015", "new"),
        ("SIL-Y|labo|ORU^R01|015", "replace"),
    ]
