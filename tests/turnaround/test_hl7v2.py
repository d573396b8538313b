"""HL7 v2 feeds: the public ANS examples, trigger mapping, malformed input and ACKs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.clock import HOSPITAL_TZ
from app.turnaround.events import DocumentEvent, StayEvent
from app.turnaround.hl7_ack import build_ack
from app.turnaround.hl7_er7 import parse_dtm
from app.turnaround.hl7v2 import Hl7Parsed, parse_hl7_message
from tests.conftest import shared_file

PARIS = HOSPITAL_TZ
RADIO_V20_NEW = "1.2.250.1.71.4.2.2.120456789.A71024000082"
RADIO_V20_PARENT = "1.2.250.1.71.4.2.2.120456789A71024000081"  # sic: no dot in the ANS example
RADIO_V21_FIRST = "1.2.250.1.71.4.2.2.120456789.71024000081"
RADIO_V21_SECOND = "1.2.250.1.71.4.2.2.120456789.71024000082"
ANS_MESSAGE_TIME = datetime(2021, 6, 6, 9, 31, tzinfo=PARIS)


def _read(name: str) -> bytes:
    return shared_file(f"hl7v2/{name}").read_bytes()


def _message(*segments: str, separator: str = "\r") -> bytes:
    return separator.join(segments).encode("utf-8")


def _adt(trigger: str, *, zbe: str | None = None, pv1: str | None = None, evn: str | None = None) -> bytes:
    segments = [
        f"MSH|^~\\&|GAM|CHU-X|DIM|CHU-X|20240306111154||ADT^{trigger}^ADT_A01|MSG-{trigger}|P|2.5|||||FRA|8859/1",
        evn if evn is not None else "EVN||20240306111154||||20240306110500",
        "PID|1||000003^^^CHU-X^PI||PATIENT^TEST||19790328|F||||||||||NDA-1^^^CHU-X^AN",
        pv1 if pv1 is not None else "PV1|1|I|7500^101^1^CHU-X||||||||||||||||S-42^^^CHU-X^VN",
    ]
    if zbe != "":
        segments.append(
            zbe
            or "ZBE|77^CHU-X|20240306110000||INSERT|N||Onco^^^^^CHU-X^UF^^^7501|Onco^^^^^CHU-X^UF^^^7502|HMS"
        )
    return _message(*segments)


# --------------------------------------------------------------------------- public ANS examples

ANS_STAY_EXAMPLES = [
    (
        "ans_pamfr_adt_a01_admission.er7",
        StayEvent(
            event_id="3975",
            type="admit",
            stay_number="000897406",
            unit="6268",
            occurred_at=datetime(2024, 3, 6, 11, 0, tzinfo=PARIS),
            source="hl7",
            patient_class="I",
        ),
    ),
    (
        # ZBE is shifted by one field in this example: ZBE-7 is empty and the UF sits in ZBE-8.
        "ans_pamfr_adt_a03_sortie.er7",
        StayEvent(
            event_id="3995",
            type="discharge",
            stay_number="000897406",
            unit="8782",
            occurred_at=datetime(2024, 3, 6, 11, 0, tzinfo=PARIS),
            source="hl7",
            patient_class="I",
        ),
    ),
    (
        "ans_pamfr_consentement_dmp.er7",
        StayEvent(
            event_id="3975",
            type="admit",
            stay_number="000897406",
            unit="6268",
            occurred_at=datetime(2024, 3, 6, 11, 0, tzinfo=PARIS),
            source="hl7",
            patient_class="I",
        ),
    ),
]


def _document(document_id: str, document_type: str, action: str, parent: str | None = None) -> DocumentEvent:
    return DocumentEvent(
        event_id="015",
        stay_number="000897406",
        document_id=document_id,
        document_type=document_type,
        action=action,  # type: ignore[arg-type]
        received_at=ANS_MESSAGE_TIME,
        unit="UFNEPH",
        source="hl7",
        parent_document_id=parent,
    )


ANS_DOCUMENT_EXAMPLES = [
    ("ans_v21_mdm_t02_cr_radio_init.er7", _document(RADIO_V21_FIRST, "18748-4", "new")),
    ("ans_v21_mdm_t02_cr_radio_init_base64_full.er7", _document(RADIO_V21_FIRST, "18748-4", "new")),
    (
        "ans_v21_mdm_t10_cr_radio_rplc_base64_full.er7",
        _document(RADIO_V21_SECOND, "18748-4", "replace", RADIO_V21_FIRST),
    ),
    (
        "ans_v21_mdm_t11_cr_radio_del_base64_full.er7",
        _document(RADIO_V21_SECOND, "18748-4", "delete", RADIO_V21_FIRST),
    ),
    ("ans_v20_mdm_t10_cr_radio_rplc.er7", _document(RADIO_V20_NEW, "18748-4", "replace", RADIO_V20_PARENT)),
    ("ans_v20_mdm_t11_cr_radio_del.er7", _document(RADIO_V20_NEW, "18748-4", "delete", RADIO_V20_PARENT)),
    ("ans_v21_oru_r01_cr_bio_init.hl7", _document("1001-E1", "11502-2", "new")),
    ("ans_v21_oru_r01_cr_bio_rplc.er7", _document("1001-E1", "11502-2", "replace")),
]


@pytest.mark.parametrize(("name", "expected"), ANS_STAY_EXAMPLES, ids=[name for name, _ in ANS_STAY_EXAMPLES])
def test_ans_adt_examples_give_exact_stay_events(name: str, expected: StayEvent) -> None:
    parsed = parse_hl7_message(_read(name))

    assert parsed.ack_code == "AA", parsed.errors
    assert parsed.errors == ()
    assert parsed.stay_events == (expected,)
    assert parsed.document_events == ()


@pytest.mark.parametrize(
    ("name", "expected"), ANS_DOCUMENT_EXAMPLES, ids=[name for name, _ in ANS_DOCUMENT_EXAMPLES]
)
def test_ans_document_examples_give_exact_document_events(name: str, expected: DocumentEvent) -> None:
    parsed = parse_hl7_message(_read(name))

    assert parsed.ack_code == "AA", parsed.errors
    assert parsed.document_events == (expected,)
    assert parsed.stay_events == ()


# The ANS examples of ../shared/data/hl7v2 when these tests were written: each must keep a test.
ANS_EXAMPLE_FILES = frozenset(
    {
        "ans_pamfr_adt_a01_admission.er7",
        "ans_pamfr_adt_a03_sortie.er7",
        "ans_pamfr_consentement_dmp.er7",
        "ans_v20_mdm_t10_cr_radio_rplc.er7",
        "ans_v20_mdm_t11_cr_radio_del.er7",
        "ans_v21_mdm_ack.er7",
        "ans_v21_mdm_t02_cr_radio_init.er7",
        "ans_v21_mdm_t02_cr_radio_init_base64_full.er7",
        "ans_v21_mdm_t10_cr_radio_rplc_base64_full.er7",
        "ans_v21_mdm_t11_cr_radio_del_base64_full.er7",
        "ans_v21_oru_ack.hl7",
        "ans_v21_oru_r01_cr_bio_init.hl7",
        "ans_v21_oru_r01_cr_bio_rplc.er7",
    }
)
ANS_ACKS = frozenset({"ans_v21_mdm_ack.er7", "ans_v21_oru_ack.hl7"})


def test_every_ans_message_example_is_covered() -> None:
    """Every known example keeps a test; a file added to the folder later is not a failure here
    (see test_new_ans_examples_are_reported)."""
    covered = {name for name, _ in ANS_STAY_EXAMPLES} | {name for name, _ in ANS_DOCUMENT_EXAMPLES}
    assert ANS_EXAMPLE_FILES - (covered | ANS_ACKS) == set()


def test_new_ans_examples_are_reported() -> None:
    """Examples added to the folder since are listed as a skip reason (`pytest -rs`), to be covered."""
    new = sorted(path.name for path in shared_file("hl7v2").iterdir() if path.name not in ANS_EXAMPLE_FILES)
    if new:
        pytest.skip(f"ANS examples without a test yet: {', '.join(new)}")


@pytest.mark.parametrize("name", sorted(ANS_ACKS))
def test_an_ack_is_not_an_event_message(name: str) -> None:
    parsed = parse_hl7_message(_read(name))

    assert parsed.ack_code == "AR"
    assert [error.code for error in parsed.errors] == ["unsupported_message_type"]
    assert parsed.control_id == "016"


@pytest.mark.parametrize("name", [name for name, _ in ANS_STAY_EXAMPLES + ANS_DOCUMENT_EXAMPLES])
@pytest.mark.parametrize("separator", ["\r", "\r\n", "\n"])
def test_segment_separators_are_equivalent(name: str, separator: str) -> None:
    original = _read(name)
    lines = original.decode("utf-8").splitlines()
    rewritten = separator.join(lines).encode("utf-8")

    assert parse_hl7_message(rewritten) == parse_hl7_message(original)


@pytest.mark.parametrize(
    ("request_name", "ack_name"),
    [
        ("ans_v21_mdm_t10_cr_radio_rplc_base64_full.er7", "ans_v21_mdm_ack.er7"),
        ("ans_v21_oru_r01_cr_bio_init.hl7", "ans_v21_oru_ack.hl7"),
    ],
)
def test_ack_matches_the_ans_ack_example(request_name: str, ack_name: str) -> None:
    ack = build_ack(_read(request_name), now=datetime(2021, 6, 6, 9, 32, tzinfo=PARIS), control_id="016")
    ours = hl7.parse(ack.decode("utf-8"))
    theirs = hl7.parse(_read(ack_name).decode("utf-8").replace("\n", "\r"))

    assert str(ours.segment("MSA")) == str(theirs.segment("MSA"))
    ours_msh, theirs_msh = ours.segment("MSH"), theirs.segment("MSH")
    assert str(ours_msh[7]) == "20210606093200"  # the ANS example stops at the minute: 202106060932
    for field in range(1, len(theirs_msh)):
        if field != 7:
            assert str(ours_msh[field]) == str(theirs_msh[field]), f"MSH-{field}"


# --------------------------------------------------------------------------- ADT mapping


@pytest.mark.parametrize(
    ("trigger", "event_type"),
    [
        ("A01", "admit"),
        ("A04", "admit"),
        ("A02", "transfer"),
        ("A03", "discharge"),
        ("A11", "cancel_admit"),
        ("A12", "cancel_transfer"),
        ("A13", "cancel_discharge"),
    ],
)
def test_adt_trigger_mapping(trigger: str, event_type: str) -> None:
    parsed = parse_hl7_message(_adt(trigger))

    assert parsed.ack_code == "AA", parsed.errors
    (event,) = parsed.stay_events
    assert event.type == event_type
    assert event.event_id == f"MSG-{trigger}"
    assert event.stay_number == "S-42"
    assert event.unit == "7501"  # ZBE-7 (UF médicale) wins over ZBE-8 and PV1-3


@pytest.mark.parametrize("trigger", ["A01", "A02", "A03"])
def test_movement_date_is_zbe_2(trigger: str) -> None:
    (event,) = parse_hl7_message(_adt(trigger)).stay_events
    assert event.occurred_at == datetime(2024, 3, 6, 11, 0, tzinfo=PARIS)


@pytest.mark.parametrize("trigger", ["A11", "A12", "A13"])
def test_cancellation_date_is_when_it_was_recorded(trigger: str) -> None:
    (event,) = parse_hl7_message(_adt(trigger)).stay_events
    assert event.occurred_at == datetime(2024, 3, 6, 11, 11, 54, tzinfo=PARIS)  # EVN-2


def test_discharge_without_zbe_uses_pv1_45_then_unit_from_pv1_3() -> None:
    pv1 = "PV1|1|I|7500^101^1||||||||||||||||S-42" + "|" * 26 + "20240308143000"
    parsed = parse_hl7_message(_adt("A03", zbe="", pv1=pv1))

    (event,) = parsed.stay_events
    assert event.occurred_at == datetime(2024, 3, 8, 14, 30, tzinfo=PARIS)
    assert event.unit == "7500"


def test_admission_without_zbe_uses_pv1_44_then_evn_6() -> None:
    pv1 = "PV1|1|I|7500||||||||||||||||S-42" + "|" * 25 + "20240305080000"
    (event,) = parse_hl7_message(_adt("A01", zbe="", pv1=pv1)).stay_events
    assert event.occurred_at == datetime(2024, 3, 5, 8, 0, tzinfo=PARIS)

    (event,) = parse_hl7_message(_adt("A01", zbe="")).stay_events
    assert event.occurred_at == datetime(2024, 3, 6, 11, 5, tzinfo=PARIS)  # EVN-6


def test_unit_falls_back_to_zbe_8() -> None:
    zbe = "ZBE|77^CHU-X|20240306110000||INSERT|N|||Onco^^^^^CHU-X^UF^^^7502|HMS"
    (event,) = parse_hl7_message(_adt("A02", zbe=zbe)).stay_events
    assert event.unit == "7502"


def test_stay_number_falls_back_to_pid_18() -> None:
    pv1 = "PV1|1|O|7500"
    (event,) = parse_hl7_message(_adt("A04", pv1=pv1)).stay_events
    assert event.stay_number == "NDA-1"
    assert event.patient_class == "O"


def test_dtm_with_offset_keeps_it() -> None:
    zbe = "ZBE|77^CHU-X|20240306110000+0000||INSERT|N||^^^^^^UF^^^7501"
    (event,) = parse_hl7_message(_adt("A01", zbe=zbe)).stay_events
    assert event.occurred_at == datetime(2024, 3, 6, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("trigger", ["A05", "A08", "A31"])
def test_triggers_without_movement_are_accepted_without_event(trigger: str) -> None:
    parsed = parse_hl7_message(_adt(trigger))

    assert parsed.ack_code == "AA"
    assert parsed.stay_events == () and parsed.document_events == () and parsed.errors == ()
    assert parsed.note is not None and trigger in parsed.note
    assert b"|I|ignored|" in build_ack(parsed, now=datetime(2024, 1, 1), control_id="1")


def test_latin1_declared_charset() -> None:
    body = _adt("A01", zbe="ZBE|77|20240306110000||INSERT|N||Chir^^^^^^UF^^^CHIRÉ").replace(
        b"\xc3\x89", b"\xc9"
    )
    assert b"\xc9" in body  # the builder writes UTF-8; MSH-18 says 8859/1, so send Latin-1

    (event,) = parse_hl7_message(body).stay_events
    assert event.unit == "CHIRÉ"


def test_undeclared_charset_falls_back_from_utf8_to_windows_1252() -> None:
    body = _adt("A01", zbe="ZBE|77|20240306110000||INSERT|N||^^^^^^UF^^^CHIRÉ")
    body = body.replace(b"|8859/1", b"").replace(b"\xc3\x89", b"\xc9")

    (event,) = parse_hl7_message(body).stay_events
    assert event.unit == "CHIRÉ"


def test_mllp_framing_bom_and_blank_lines_are_ignored() -> None:
    framed = b"\xef\xbb\xbf\x0b" + _adt("A01") + b"\r\r\n\x1c\r"
    assert parse_hl7_message(framed) == parse_hl7_message(_adt("A01"))


def test_hl7_escapes_are_decoded() -> None:
    zbe = "ZBE|77|20240306110000||INSERT|N||^^^^^^UF^^^75\\T\\01"
    (event,) = parse_hl7_message(_adt("A01", zbe=zbe)).stay_events
    assert event.unit == "75&01"


# --------------------------------------------------------------------------- documents


def _oru(*groups: str, msh_time: str = "20240312101500") -> bytes:
    return _message(
        f"MSH|^~\\&|DPI|CHU-X|DIM|CHU-X|{msh_time}||ORU^R01^ORU_R01|DOC-9|P|2.5",
        "PID|1||000003^^^CHU-X^PI",
        "PV1|1|I|7500||||||||||||||||S-42",
        *groups,
    )


def test_oru_with_several_documents_numbers_the_events() -> None:
    parsed = parse_hl7_message(
        _oru(
            "ORC|NW",
            "OBR|1||LDL-1^DPI|11490-0^Lettre de liaison^LN|||||||||||||||||||||F",
            "OBX|1|ED|11490-0^LDL^LN||^application^pdf^Base64^JVBERi0=||||||F",
            "ORC|CA",
            "OBR|2||CRH-1^DPI|34133-9^CRH^LN|||||||||||||||||||||F",
            "OBX|1|ED|34133-9^CRH^LN||^application^pdf^Base64^JVBERi0=||||||F",
            "OBR|3||BIO-1^DPI|2345-7^Glucose^LN",
            "OBX|1|NM|2345-7^Glucose^LN||5.2|mmol/L",
        )
    )

    assert parsed.ack_code == "AA", parsed.errors
    assert [(e.event_id, e.document_id, e.document_type, e.action) for e in parsed.document_events] == [
        ("DOC-9/1", "LDL-1", "11490-0", "new"),
        ("DOC-9/2", "CRH-1", "34133-9", "delete"),
    ]
    assert parsed.document_events[0].received_at == datetime(2024, 3, 12, 10, 15, tzinfo=PARIS)
    assert parsed.document_events[0].unit == "7500"


@pytest.mark.parametrize(
    ("orc", "result_status", "obx_status", "action"),
    [
        ("NW", "F", "F", "new"),
        ("RO", "F", "F", "replace"),
        ("NW", "C", "F", "replace"),
        ("NW", "F", "C", "replace"),
        ("CA", "F", "F", "delete"),
        ("NW", "X", "F", "delete"),
        ("NW", "F", "D", "delete"),
    ],
)
def test_oru_action(orc: str, result_status: str, obx_status: str, action: str) -> None:
    parsed = parse_hl7_message(
        _oru(
            f"ORC|{orc}",
            f"OBR|1||LDL-1|11490-0|||||||||||||||||||||{result_status}",
            f"OBX|1|ED|11490-0||^application^pdf^Base64^JVBERi0=||||||{obx_status}",
        )
    )
    assert [event.action for event in parsed.document_events] == [action]


def test_oru_without_embedded_document_is_an_error() -> None:
    parsed = parse_hl7_message(_oru("OBR|1||BIO-1|2345-7", "OBX|1|NM|2345-7||5.2"))

    assert parsed.ack_code == "AE"
    assert [(e.code, e.field) for e in parsed.errors] == [("no_document", "OBX-2")]


def test_mdm_without_txa_is_an_error() -> None:
    body = _message(
        "MSH|^~\\&|DPI|CHU-X|DIM|CHU-X|20240312101500||MDM^T02^MDM_T02|DOC-1|P|2.5",
        "EVN||20240312101500",
        "PID|1||000003",
        "PV1|1|I|7500||||||||||||||||S-42",
        "OBX|1|ED|11490-0||^application^pdf^Base64^JVBERi0=||||||F",
    )
    parsed = parse_hl7_message(body)

    assert parsed.ack_code == "AE"
    assert [(e.code, e.field) for e in parsed.errors] == [("missing_segment", "TXA")]


def test_mdm_document_type_falls_back_to_obx_3() -> None:
    body = _message(
        "MSH|^~\\&|DPI|CHU-X|DIM|CHU-X|20240312101500||MDM^T02^MDM_T02|DOC-1|P|2.5",
        "EVN||20240312101500",
        "PID|1||000003",
        "PV1|1|I|7500||||||||||||||||S-42",
        "TXA|1||TEXT|||||||||LDL-77",
        "OBX|1|ED|LDL^Lettre de liaison^L||^application^pdf^Base64^JVBERi0=||||||F",
    )
    (event,) = parse_hl7_message(body).document_events
    assert (event.document_id, event.document_type, event.action) == ("LDL-77", "LDL", "new")


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("body", "ack_code", "code", "field"),
    [
        (b"", "AR", "empty_message", None),
        (b"\r\n\r\n", "AR", "empty_message", None),
        (b"EVN||20240306111154\rPV1|1|I", "AR", "missing_msh", None),
        (b"BHS|^~\\&|GAM\rMSH|^~\\&|GAM|||||ADT^A01|1|P|2.5", "AR", "batch_not_supported", None),
        (b"MSH#^~\\&#GAM#CHU#DIM#CHU#20240306##ADT^A01#1#P#2.5", "AR", "invalid_separators", "MSH-2"),
        (b"MSH|^~|GAM|CHU|DIM|CHU|20240306||ADT^A01|1|P|2.5", "AR", "invalid_separators", "MSH-2"),
        (b"MSH|~^\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01|1|P|2.5", "AR", "invalid_separators", "MSH-2"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A99|1|P|2.5", "AR", "unsupported_trigger", "MSH-9"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT|1|P|2.5", "AR", "unsupported_trigger", "MSH-9"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||MDM^T01|1|P|2.5", "AR", "unsupported_trigger", "MSH-9"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||SIU^S12|1|P|2.5", "AR", "unsupported_message_type", "MSH-9"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306|||1|P|2.5", "AR", "missing_field", "MSH-9"),
        (b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01||P|2.5", "AR", "missing_field", "MSH-10"),
        (
            b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01|1|P|2.5\rMSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01|2",
            "AR",
            "multiple_messages",
            None,
        ),
        (
            b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01|1|P|2.5\rthis is not a segment",
            "AR",
            "malformed_segment",
            None,
        ),
        (
            b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A01|1|P|2.5\rEVN||20240306",
            "AE",
            "missing_segment",
            "PV1",
        ),
    ],
)
def test_malformed_messages_are_rejected_with_a_reason(
    body: bytes, ack_code: str, code: str, field: str | None
) -> None:
    parsed = parse_hl7_message(body)

    assert parsed.ack_code == ack_code
    assert [(error.code, error.field) for error in parsed.errors] == [(code, field)]
    assert parsed.errors[0].message
    assert parsed.stay_events == () and parsed.document_events == ()


def test_missing_stay_number_is_an_application_error() -> None:
    parsed = parse_hl7_message(_adt("A01", pv1="PV1|1|I|7500").replace(b"|NDA-1^^^CHU-X^AN", b""))
    assert parsed.ack_code == "AE"
    assert [(e.code, e.field, e.line) for e in parsed.errors] == [("missing_field", "PV1-19", 4)]


def test_admission_without_unit_is_an_application_error() -> None:
    parsed = parse_hl7_message(_adt("A01", zbe="", pv1="PV1|1|I|||||||||||||||||S-42"))
    assert parsed.ack_code == "AE"
    assert [(e.code, e.field) for e in parsed.errors] == [("missing_field", "ZBE-7")]


def test_discharge_and_cancellations_do_not_need_a_unit() -> None:
    for trigger in ("A03", "A11", "A12", "A13"):
        parsed = parse_hl7_message(_adt(trigger, zbe="", pv1="PV1|1|I|||||||||||||||||S-42"))
        assert parsed.ack_code == "AA"
        assert parsed.stay_events[0].unit is None


def test_malformed_date_is_an_error_not_skipped() -> None:
    zbe = "ZBE|77|2024136||INSERT|N||^^^^^^UF^^^7501"
    parsed = parse_hl7_message(_adt("A01", zbe=zbe))

    assert parsed.ack_code == "AE"
    assert [(e.code, e.field, e.line) for e in parsed.errors] == [("invalid_date", "ZBE-2", 5)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20240306", datetime(2024, 3, 6, tzinfo=PARIS)),
        ("2024030611", datetime(2024, 3, 6, 11, tzinfo=PARIS)),
        ("202403061105", datetime(2024, 3, 6, 11, 5, tzinfo=PARIS)),
        ("20240306110507.25", datetime(2024, 3, 6, 11, 5, 7, 250000, tzinfo=PARIS)),
        ("20240306110507-0500", datetime(2024, 3, 6, 11, 5, 7, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_parse_dtm(value: str, expected: datetime) -> None:
    assert parse_dtm(value) == expected


@pytest.mark.parametrize(
    "value", ["2024", "202403", "20241306", "20240230", "20240306250000", "2024-03-06", ""]
)
def test_parse_dtm_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_dtm(value)


# --------------------------------------------------------------------------- ACK


def test_ack_bytes_for_an_accepted_message() -> None:
    ack = build_ack(_adt("A01"), now=datetime(2024, 3, 6, 11, 12, 0, tzinfo=PARIS), control_id="ACK1")

    assert ack == (
        b"MSH|^~\\&|DIM|CHU-X|GAM|CHU-X|20240306111200||ACK^A01^ACK|ACK1|P|2.5|||||FRA|8859/1\r"
        b"MSA|AA|MSG-A01\r"
    )


def test_ack_bytes_for_an_application_error() -> None:
    parsed = parse_hl7_message(_adt("A01", zbe="ZBE|77|2024136||INSERT|N||^^^^^^UF^^^7501"))
    ack = build_ack(parsed, now=datetime(2024, 3, 6, 10, 12, 0, tzinfo=UTC), control_id="ACK2")

    assert ack == (
        b"MSH|^~\\&|DIM|CHU-X|GAM|CHU-X|20240306111200||ACK^A01^ACK|ACK2|P|2.5|||||FRA|8859/1\r"
        b"MSA|AE|MSG-A01\r"
        b"ERR||ZBE^1^2|102^Data type error^HL70357|E|invalid_date|||"
        b"ZBE-2 is not a valid HL7 date/time: '2024136'\r"
    )


def test_ack_for_a_rejected_message_and_explicit_override() -> None:
    parsed = parse_hl7_message(b"MSH|^~\\&|GAM|CHU|DIM|CHU|20240306||ADT^A99|C-1|T|2.3")
    ack = build_ack(parsed, now=datetime(2024, 3, 6, 11, 12), control_id="A3")

    assert ack.startswith(b"MSH|^~\\&|DIM|CHU|GAM|CHU|20240306111200||ACK^A99^ACK|A3|T|2.3\rMSA|AR|C-1\r")
    assert b"ERR||MSH^1^9|201^Unsupported event code^HL70357|E|unsupported_trigger|||" in ack

    from app.core.line_errors import LineError

    custom = build_ack(
        parse_hl7_message(_adt("A01")),
        "AE",
        [LineError(1, None, "duplicate_event", "already | received ^ with & other ~ content \\ here")],
        now=datetime(2024, 3, 6, 11, 12),
        control_id="A4",
    )
    assert custom.endswith(
        b"MSA|AE|MSG-A01\r"
        b"ERR|||207^Application internal error^HL70357|E|duplicate_event|||"
        b"already \\F\\ received \\S\\ with \\T\\ other \\R\\ content \\E\\ here\r"
    )


def test_ack_without_any_msh() -> None:
    ack = build_ack(b"not hl7 at all", now=datetime(2024, 3, 6, 11, 12), control_id="A5")

    assert ack == (
        b"MSH|^~\\&|||||20240306111200||ACK|A5|P|2.5\r"
        b"MSA|AR|\r"
        b"ERR|||100^Segment sequence error^HL70357|E|missing_msh|||"
        b"the message must start with an MSH segment, found 'not'\r"
    )


def test_ack_is_parseable_and_has_a_generated_control_id() -> None:
    ack = build_ack(_adt("A02"))
    message = hl7.parse(ack.decode("latin-1"))

    assert str(message.segment("MSA")[1]) == "AA"
    assert len(str(message.segment("MSH")[10])) == 20


# --------------------------------------------------------------------------- never raises

_VALID = _adt("A01")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_never_raise(body: bytes) -> None:
    parsed = parse_hl7_message(body)
    assert isinstance(parsed, Hl7Parsed)
    assert (parsed.ack_code == "AA") == (not parsed.errors)
    assert build_ack(parsed).startswith(b"MSH|^~\\&|")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(_VALID)), st.binary(max_size=40), st.integers(0, 40))
def test_mutated_valid_messages_never_raise(position: int, inserted: bytes, removed: int) -> None:
    body = _VALID[:position] + inserted + _VALID[position + removed :]
    parsed = parse_hl7_message(body)
    assert isinstance(parsed, Hl7Parsed)
    assert build_ack(parsed).startswith(b"MSH|^~\\&|")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="MSHPVEZB|^~\\&\r\n0123456789AT", max_size=300))
def test_hl7_looking_text_never_raises(text: str) -> None:
    parsed = parse_hl7_message(text.encode("utf-8"))
    assert isinstance(parsed, Hl7Parsed)
    assert isinstance(build_ack(parsed), bytes)
