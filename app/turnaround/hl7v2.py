"""HL7 v2 (ER7) stay movements and document events.

`parse_hl7_message` turns one message into `StayEvent`s or `DocumentEvent`s, or into errors with
the acknowledgment code to return; it never raises, whatever the bytes. `hl7_ack.build_ack`
renders the ACK (ER7, CR separators); `hl7_er7` decodes the text and reads its fields.

Reading rules (French IHE PAM profile for ADT, CI-SIS "transmission de documents" for MDM/ORU):

- Framing: segments separated by CR, LF or CRLF; blank lines, a UTF-8 BOM and MLLP framing
  characters are ignored. Only the standard delimiters `|^~\\&` are accepted (both profiles
  mandate them). One message per body: batches (BHS/FHS) are rejected.
- Charset: MSH-18 when present ("UNICODE UTF-8", "8859/1", "8859/15"); otherwise, or when the
  declared charset does not decode, UTF-8 then Windows-1252 then Latin-1.
- Event id: MSH-10 (message control id) for every event of the message; an ORU carrying several
  documents numbers them `<MSH-10>/<n>`. Storage namespaces it with MSH-3, MSH-4 and MSH-9 and
  versions document replacements and deletions by `digest`, the SHA-256 of the message without
  MSH-7 (`message_digest`; see `intake.hl7_event_id`).
- Stay number: PV1-19 (visit number, CX.1), else PID-18 (account number).
- Datetimes: HL7 DTM, at least day precision; without an offset they are hospital local time.
  Only 1900-2100 is accepted (app.core.dates), MSH-7 included whether or not an event uses it:
  outside it, AE `date_out_of_range` naming the field.
- Control characters: a NUL anywhere in the message, or any control character in a value that
  becomes an identifier (MSH-3, MSH-4, MSH-10, stay number, unit, patient class, document id,
  type and parent), checked after unescaping (`\\X0D\\` is a CR): AE `control_character` naming
  the field. The ACK itself carries control characters as hex escapes, never raw.

ADT triggers: A01 admit, A04 admit (outpatient/emergency registration, kept with its patient
class PV1-2 so storage can leave out non-hospital venues), A02 transfer, A03 discharge,
A11 cancel_admit, A12 cancel_transfer, A13 cancel_discharge. Triggers that carry no movement
(A05 pre-admission, A08/A28/A31 identity updates, A21/A22/A52/A53 leaves, A38) are acknowledged
AA with no event. Any other trigger is rejected (AR).

- Unit: ZBE-7 (UF médicale responsable, XON.10 then XON.3), else ZBE-8 (UF de soins, same
  components), else PV1-3.1 (point of care). Required for admit and transfer.
- occurred_at for movements: ZBE-2 (movement date), else PV1-44 (admit) / PV1-45 (discharge),
  else EVN-6 (event occurred), else EVN-2 (recorded), else MSH-7.
- occurred_at for cancellations: EVN-2 (when the cancellation was recorded), else MSH-7, else
  ZBE-2, else EVN-6: the cancelled movement's own date would order the cancellation before or at
  the same instant as the movement it undoes.

Document messages: MDM T02 new, T10 replace, T04 and T11 delete (the CI-SIS deletes with T04);
ORU^R01: each OBR group holding an embedded document (OBX-2 ED or RP) is one document, deleted
when ORC-1 is CA/OC/CR, OBR-25 is X or the document OBX-11 is D, replaced when ORC-1 is
RO/RP/RU/XO, OBR-25 is C or OBX-11 is C, new otherwise.

- Document id: TXA-12 (EI.1, else EI.3); ORU: OBR-3 (filler number) else OBR-2. Parent (the
  replaced version): TXA-13.
- Document type: TXA-2, else OBR-4, else OBX-3 of the document OBX (code only, e.g. 11490-0).
- received_at: MSH-7, the time the sender emitted the message to the DIM, else EVN-2. TXA/OBR
  dates describe the clinical activity, not the transmission, and the mission counts reception.
- Unit: PV1-3.1 when present.

Errors are `LineError`s whose `line` is the 1-based position of the segment in the message (None
when no segment applies) and whose `field` names the HL7 field (`PV1-19`).

Acknowledgment codes: AR when the message itself is unusable (no MSH, wrong delimiters,
missing control id, unsupported message type or trigger); AE when a supported message lacks or
garbles a value; AA otherwise. A message is atomic: with any error it yields no event. ERR-3
takes the HL7 table 0357 code of the error (102 for a bad value, 205 for a control id already
used for another message, ...).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import hl7
import hl7.containers
import hl7.util

from app.core.control_chars import CONTROL_CHARACTER, describe, find_control
from app.core.dates import DATE_OUT_OF_RANGE, DateOutOfRange
from app.core.line_errors import LineError
from app.turnaround.events import (
    UNIT_REQUIRED_TYPES,
    DocumentAction,
    DocumentEvent,
    StayEvent,
    StayEventType,
)
from app.turnaround.hl7_er7 import (
    ENCODING_CHARACTERS,
    Message,
    Segment,
    decode_hl7,
    parse_dtm,
    split_segments,
)

# python-hl7 logs the whole field it cannot unescape ("Error decoding value [Q], field [...]": a
# stay number, a patient's name) at warning and error level, under loggers named by its files'
# paths: patient data in the service's logs. What it fails on reaches us as a value or an error
# anyway, so its loggers are turned off.
for _module in (hl7.util, hl7.containers):
    _module.logger.disabled = True

AckCode = Literal["AA", "AE", "AR"]

ADT_TRIGGERS: Final[dict[str, StayEventType]] = {
    "A01": "admit",
    "A04": "admit",
    "A02": "transfer",
    "A03": "discharge",
    "A11": "cancel_admit",
    "A12": "cancel_transfer",
    "A13": "cancel_discharge",
}
ADT_IGNORED_TRIGGERS: Final[dict[str, str]] = {
    "A05": "pre-admission",
    "A08": "patient information update",
    "A21": "leave of absence",
    "A22": "return from leave of absence",
    "A28": "person information added",
    "A31": "person information update",
    "A38": "pre-admission cancelled",
    "A52": "leave of absence cancelled",
    "A53": "return from leave of absence cancelled",
}
MDM_TRIGGERS: Final[dict[str, DocumentAction]] = {
    "T02": "new",
    "T10": "replace",
    "T04": "delete",
    "T11": "delete",
}
ORU_TRIGGERS: Final[frozenset[str]] = frozenset({"R01"})

_SUPPORTED_TRIGGERS: Final[dict[str, list[str]]] = {
    "ADT": sorted({*ADT_TRIGGERS, *ADT_IGNORED_TRIGGERS}),
    "MDM": sorted(MDM_TRIGGERS),
    "ORU": sorted(ORU_TRIGGERS),
}

_ORC_DELETE: Final = frozenset({"CA", "OC", "CR"})
_ORC_REPLACE: Final = frozenset({"RO", "RP", "RU", "XO"})
_DOCUMENT_VALUE_TYPES: Final = frozenset({"ED", "RP"})
_CANCEL_TYPES: Final = frozenset({"cancel_admit", "cancel_transfer", "cancel_discharge"})

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """What the ACK and the events need from MSH.

    Application and facility fields keep their raw ER7 text (components and escapes as received)
    so the ACK echoes them unchanged.
    """

    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    sent_at_raw: str  # MSH-7
    message_type: str  # MSH-9.1
    trigger: str  # MSH-9.2
    control_id: str  # MSH-10
    processing_id: str  # MSH-11.1
    version: str  # MSH-12.1
    country: str  # MSH-17
    charset: str  # MSH-18


@dataclass(frozen=True, slots=True)
class Hl7Parsed:
    """Outcome of one message: events when accepted, otherwise the errors and the ACK code."""

    header: MessageHeader | None
    ack_code: AckCode
    stay_events: tuple[StayEvent, ...] = ()
    document_events: tuple[DocumentEvent, ...] = ()
    errors: tuple[LineError, ...] = ()
    note: str | None = None  # why an accepted message produced no event
    # SHA-256 of the message without MSH-7 (`message_digest`): a retry that only changes the
    # sending time is the same message.
    digest: str | None = None

    @property
    def message_type(self) -> str | None:
        return self.header.message_type if self.header else None

    @property
    def trigger(self) -> str | None:
        return self.header.trigger if self.header else None

    @property
    def control_id(self) -> str | None:
        return self.header.control_id if self.header else None

    @property
    def accepted(self) -> bool:
        return self.ack_code == "AA"


class _Reject(Exception):
    """Stops parsing with one error; internal to this module."""

    def __init__(self, ack_code: AckCode, error: LineError) -> None:
        super().__init__(error.message)
        self.ack_code = ack_code
        self.error = error


def _error(seg: Segment | None, field: str | None, code: str, message: str) -> LineError:
    return LineError(line=seg.line if seg else None, field=field, code=code, message=message)


def _identifier(seg: Segment | None, label: str, value: str) -> str:
    """`value` (unescaped: `\\X0D\\` is already a CR), refused when it holds a control character."""
    position = find_control(value)
    if position is not None:
        raise _Reject(
            "AE",
            _error(
                seg,
                label,
                CONTROL_CHARACTER,
                f"{label}: control character {describe(value, position)} is not allowed in an identifier",
            ),
        )
    return value


_Source = tuple[Segment | None, int, str]  # segment, field number, label ("ZBE-2")


def _first_datetime(sources: Sequence[_Source]) -> datetime | None:
    """First non-empty source; a non-empty but malformed value is an error, not skipped."""
    for seg, field, label in sources:
        if seg is None:
            continue
        value = seg.get(field)
        if not value:
            continue
        try:
            return parse_dtm(value)
        except DateOutOfRange as exc:
            raise _Reject("AE", _error(seg, label, DATE_OUT_OF_RANGE, f"{label}: {exc}")) from None
        except ValueError:
            raise _Reject(
                "AE", _error(seg, label, "invalid_date", f"{label} is not a valid HL7 date/time: {value!r}")
            ) from None
    return None


# --------------------------------------------------------------------------- header


def _read_header(segments: list[str]) -> MessageHeader:
    if not segments:
        raise _Reject("AR", LineError(None, None, "empty_message", "the body holds no HL7 segment"))
    first = segments[0]
    if first[:3] in ("BHS", "FHS"):
        raise _Reject(
            "AR",
            LineError(
                1, None, "batch_not_supported", "HL7 batches are not accepted: send one message per request"
            ),
        )
    if not first.startswith("MSH"):
        raise _Reject(
            "AR",
            LineError(
                1, None, "missing_msh", f"the message must start with an MSH segment, found {first[:3]!r}"
            ),
        )
    parts = first.split("|")
    if (
        first[3:4] != "|"
        or len(parts) < 2
        or parts[1] not in (ENCODING_CHARACTERS, ENCODING_CHARACTERS + "#")
    ):
        raise _Reject(
            "AR",
            LineError(
                1,
                "MSH-2",
                "invalid_separators",
                "MSH must declare the standard delimiters '|' and '^~\\&' (MSH-1, MSH-2)",
            ),
        )

    def msh(number: int) -> str:  # MSH-n is parts[n-1]: MSH-1 is the separator itself
        return parts[number - 1].strip() if len(parts) >= number else ""

    def component(text: str, index: int) -> str:
        pieces = text.split("^")
        return pieces[index - 1].strip() if len(pieces) >= index else ""

    header = MessageHeader(
        sending_application=msh(3),
        sending_facility=msh(4),
        receiving_application=msh(5),
        receiving_facility=msh(6),
        sent_at_raw=msh(7),
        message_type=component(msh(9), 1).upper(),
        trigger=component(msh(9), 2).upper(),
        control_id=msh(10),
        processing_id=component(msh(11), 1),
        version=component(msh(12), 1),
        country=msh(17),
        charset=msh(18),
    )
    return header


def _check_header(header: MessageHeader) -> None:
    if not header.message_type:
        raise _Reject("AR", LineError(1, "MSH-9", "missing_field", "MSH-9 (message type) is empty"))
    if not header.control_id:
        raise _Reject(
            "AR",
            LineError(
                1, "MSH-10", "missing_field", "MSH-10 (message control id) is empty: it is the event id"
            ),
        )


def _check_segments(message: Message) -> None:
    for seg in message.segments:
        if seg.name == "MSH" and seg.line > 1:
            raise _Reject(
                "AR",
                _error(
                    seg,
                    None,
                    "multiple_messages",
                    "one HL7 message per request: a second MSH segment was found",
                ),
            )
        if not _SEGMENT_ID.fullmatch(seg.name):
            raise _Reject(
                "AR",
                _error(
                    seg, None, "malformed_segment", f"segment {seg.line} does not start with a segment id"
                ),
            )


def _check_nul(segments: Sequence[str]) -> None:
    """A NUL anywhere in the message is refused, located: no HL7 value holds one, and PostgreSQL
    refuses it in text (the message would fail in the database, a fragment of it in the log)."""
    for line, segment in enumerate(segments, start=1):
        if "\x00" not in segment:
            continue
        parts = segment.split("|")
        index = next(number for number, part in enumerate(parts) if "\x00" in part)
        name = segment[:3]
        # MSH-1 is the field separator itself: MSH's fields are numbered one further.
        field = f"{name}-{index + 1 if name == 'MSH' else index}" if index else None
        raise _Reject(
            "AE",
            LineError(
                line,
                field,
                CONTROL_CHARACTER,
                f"a NUL character (U+0000) is not allowed in an HL7 message (segment {line}"
                + (f", {field})" if field else ")"),
            ),
        )


def _check_header_values(parsed: Any, message: Message, header: MessageHeader) -> None:
    """The header values the event id is made of hold no control character once unescaped, and
    MSH-7, when present, is a date/time within the accepted range, whichever date the events use."""
    msh = message.first("MSH")
    for label, raw in (
        ("MSH-3", header.sending_application),
        ("MSH-4", header.sending_facility),
        ("MSH-10", header.control_id),
    ):
        _identifier(msh, label, str(parsed.unescape(raw)))
    _first_datetime([(msh, 7, "MSH-7")])


def message_digest(segments: Sequence[str]) -> str:
    """SHA-256 of the message as received, MSH-7 (its sending time) blanked.

    A sender that gets no ACK sends the message again, stamped with a new MSH-7: the same message,
    which must be acknowledged AA as a duplicate, not refused as a reuse of its control id."""
    msh = segments[0].split("|")
    if len(msh) > 6:
        msh[6] = ""
    text = "\r".join(["|".join(msh), *segments[1:]])
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- ADT


def _stay_number(message: Message) -> str:
    pv1 = message.first("PV1")
    pid = message.first("PID")
    for seg, field, label in ((pv1, 19, "PV1-19"), (pid, 18, "PID-18")):
        if seg is not None:
            value = seg.get(field, 1) or seg.get(field, 1, repetition=2)
            if value:
                return _identifier(seg, label, value)
    raise _Reject(
        "AE",
        _error(pv1, "PV1-19", "missing_field", "no stay number: PV1-19 (visit number) and PID-18 are empty"),
    )


def _xon_code(seg: Segment | None, field: int) -> str:
    if seg is None:
        return ""
    return seg.get(field, 10) or seg.get(field, 3)


def _adt_unit(message: Message) -> str | None:
    zbe = message.first("ZBE")
    pv1 = message.first("PV1")
    for seg, value, label in (
        (zbe, _xon_code(zbe, 7), "ZBE-7"),
        (zbe, _xon_code(zbe, 8), "ZBE-8"),
        (pv1, pv1.get(3, 1) if pv1 else "", "PV1-3"),
    ):
        if value:
            return _identifier(seg, label, value)
    return None


def _adt_events(message: Message, header: MessageHeader) -> tuple[StayEvent, ...]:
    event_type = ADT_TRIGGERS[header.trigger]
    pv1 = message.first("PV1")
    if pv1 is None:
        raise _Reject(
            "AE", LineError(None, "PV1", "missing_segment", f"ADT^{header.trigger} without a PV1 segment")
        )
    stay_number = _stay_number(message)
    unit = _adt_unit(message)
    if unit is None and event_type in UNIT_REQUIRED_TYPES:
        raise _Reject(
            "AE",
            _error(
                pv1,
                "ZBE-7",
                "missing_field",
                f"{event_type} without a unit: ZBE-7, ZBE-8 and PV1-3 are empty",
            ),
        )
    zbe, evn, msh = message.first("ZBE"), message.first("EVN"), message.first("MSH")
    sources: list[_Source]
    if event_type in _CANCEL_TYPES:
        sources = [(evn, 2, "EVN-2"), (msh, 7, "MSH-7"), (zbe, 2, "ZBE-2"), (evn, 6, "EVN-6")]
    else:
        sources = [(zbe, 2, "ZBE-2")]
        if event_type == "admit":
            sources.append((pv1, 44, "PV1-44"))
        elif event_type == "discharge":
            sources.append((pv1, 45, "PV1-45"))
        sources += [(evn, 6, "EVN-6"), (evn, 2, "EVN-2"), (msh, 7, "MSH-7")]
    occurred_at = _first_datetime(sources)
    if occurred_at is None:
        raise _Reject(
            "AE",
            _error(
                zbe or evn,
                sources[0][2],
                "missing_field",
                f"no date for the {event_type} in ZBE, PV1, EVN or MSH",
            ),
        )
    return (
        StayEvent(
            event_id=header.control_id,
            type=event_type,
            stay_number=stay_number,
            unit=unit,
            occurred_at=occurred_at,
            source="hl7",
            patient_class=_identifier(pv1, "PV1-2", pv1.get(2, 1)) or None,
        ),
    )


# --------------------------------------------------------------------------- MDM / ORU


def _received_at(message: Message) -> datetime:
    msh, evn = message.first("MSH"), message.first("EVN")
    received = _first_datetime([(msh, 7, "MSH-7"), (evn, 2, "EVN-2")])
    if received is None:
        raise _Reject("AE", _error(msh, "MSH-7", "missing_field", "MSH-7 (message date/time) is empty"))
    return received


def _ei(seg: Segment, field: int) -> str:
    return seg.get(field, 1) or seg.get(field, 3)


def _is_document_obx(seg: Segment) -> bool:
    return seg.get(2, 1).upper() in _DOCUMENT_VALUE_TYPES


def _unit(message: Message) -> str | None:
    pv1 = message.first("PV1")
    return _identifier(pv1, "PV1-3", pv1.get(3, 1) if pv1 else "") or None


def _mdm_events(message: Message, header: MessageHeader) -> tuple[DocumentEvent, ...]:
    txa = message.first("TXA")
    if txa is None:
        raise _Reject(
            "AE", LineError(None, "TXA", "missing_segment", f"MDM^{header.trigger} without a TXA segment")
        )
    document_id = _identifier(txa, "TXA-12", _ei(txa, 12))
    if not document_id:
        raise _Reject(
            "AE", _error(txa, "TXA-12", "missing_field", "TXA-12 (unique document number) is empty")
        )
    obr = message.first("OBR")
    document_obx = next((seg for seg in message.all("OBX") if _is_document_obx(seg)), None)
    candidates = ((txa, 2, "TXA-2"), (obr, 4, "OBR-4"), (document_obx, 3, "OBX-3"))
    type_source = next(
        ((seg, field, label) for seg, field, label in candidates if seg is not None and seg.get(field, 1)),
        None,
    )
    if type_source is None:
        raise _Reject("AE", _error(txa, "TXA-2", "missing_field", "TXA-2 (document type) is empty"))
    type_seg, type_field, type_label = type_source
    document_type = _identifier(type_seg, type_label, type_seg.get(type_field, 1))
    return (
        DocumentEvent(
            event_id=header.control_id,
            stay_number=_stay_number(message),
            document_id=document_id,
            document_type=document_type,
            action=MDM_TRIGGERS[header.trigger],
            received_at=_received_at(message),
            unit=_unit(message),
            source="hl7",
            parent_document_id=_identifier(txa, "TXA-13", _ei(txa, 13)) or None,
        ),
    )


def _oru_action(orc: Segment | None, obr: Segment, document_obx: list[Segment]) -> DocumentAction:
    order_control = orc.get(1, 1).upper() if orc else ""
    result_status = obr.get(25, 1).upper()
    obx_statuses = {seg.get(11, 1).upper() for seg in document_obx}
    if order_control in _ORC_DELETE or result_status == "X" or "D" in obx_statuses:
        return "delete"
    if order_control in _ORC_REPLACE or result_status == "C" or "C" in obx_statuses:
        return "replace"
    return "new"


def _oru_events(message: Message, header: MessageHeader) -> tuple[DocumentEvent, ...]:
    # ORDER_OBSERVATION groups: an optional ORC, one OBR, then its OBX.
    groups: list[tuple[Segment | None, Segment, list[Segment]]] = []
    pending_orc: Segment | None = None
    for seg in message.segments:
        if seg.name == "ORC":
            pending_orc = seg
        elif seg.name == "OBR":
            groups.append((pending_orc, seg, []))
            pending_orc = None
        elif seg.name == "OBX" and groups and _is_document_obx(seg):
            groups[-1][2].append(seg)
    documents = [group for group in groups if group[2]]
    if not documents:
        raise _Reject(
            "AE",
            LineError(
                None, "OBX-2", "no_document", "ORU^R01 without an embedded document (no OBX of type ED or RP)"
            ),
        )
    stay_number = _stay_number(message)
    received_at = _received_at(message)
    unit = _unit(message)
    events = []
    for number, (orc, obr, document_obx) in enumerate(documents, start=1):
        document_id = _identifier(obr, "OBR-3", _ei(obr, 3)) or _identifier(obr, "OBR-2", _ei(obr, 2))
        if not document_id:
            raise _Reject(
                "AE", _error(obr, "OBR-3", "missing_field", "OBR-3 and OBR-2 (document id) are empty")
            )
        document_type = obr.get(4, 1) or document_obx[0].get(3, 1)
        if not document_type:
            raise _Reject("AE", _error(obr, "OBR-4", "missing_field", "OBR-4 (document type) is empty"))
        _identifier(obr, "OBR-4", document_type)
        events.append(
            DocumentEvent(
                event_id=header.control_id if len(documents) == 1 else f"{header.control_id}/{number}",
                stay_number=stay_number,
                document_id=document_id,
                document_type=document_type,
                action=_oru_action(orc, obr, document_obx),
                received_at=received_at,
                unit=unit,
                source="hl7",
            )
        )
    return tuple(events)


# --------------------------------------------------------------------------- entry point


def _dispatch(message: Message, header: MessageHeader) -> Hl7Parsed:
    kind, trigger = header.message_type, header.trigger
    if kind == "ADT" and trigger in ADT_IGNORED_TRIGGERS:
        note = f"ADT^{trigger} ({ADT_IGNORED_TRIGGERS[trigger]}) carries no stay movement"
        return Hl7Parsed(header=header, ack_code="AA", note=note)
    if kind == "ADT" and trigger in ADT_TRIGGERS:
        return Hl7Parsed(header=header, ack_code="AA", stay_events=_adt_events(message, header))
    if kind == "MDM" and trigger in MDM_TRIGGERS:
        return Hl7Parsed(header=header, ack_code="AA", document_events=_mdm_events(message, header))
    if kind == "ORU" and trigger in ORU_TRIGGERS:
        return Hl7Parsed(header=header, ack_code="AA", document_events=_oru_events(message, header))
    supported = _SUPPORTED_TRIGGERS.get(kind)
    if supported is None:
        accepted = ", ".join(_SUPPORTED_TRIGGERS)
        raise _Reject(
            "AR",
            LineError(
                1, "MSH-9", "unsupported_message_type", f"message type {kind!r} is not accepted ({accepted})"
            ),
        )
    raise _Reject(
        "AR",
        LineError(
            1,
            "MSH-9",
            "unsupported_trigger",
            f"trigger event {trigger or '(empty)'} is not accepted for {kind} ({', '.join(supported)})",
        ),
    )


def parse_hl7_message(body: bytes | bytearray | str) -> Hl7Parsed:
    """One HL7 v2 message -> events, or errors with the ACK code. Never raises."""
    header: MessageHeader | None = None
    try:
        text = body if isinstance(body, str) else decode_hl7(bytes(body))
        segments = split_segments(text)
        header = _read_header(segments)
        _check_header(header)
        _check_nul(segments)
        try:
            parsed = hl7.parse("\r".join(segments))
        except Exception:  # python-hl7 raises assorted errors on malformed input
            raise _Reject(
                "AR", LineError(1, None, "malformed_message", "the message cannot be split into HL7 segments")
            ) from None
        message = Message(parsed)
        _check_segments(message)
        _check_header_values(parsed, message, header)
        outcome = _dispatch(message, header)
        return dataclasses.replace(outcome, digest=message_digest(segments))
    except _Reject as reject:
        return Hl7Parsed(header=header, ack_code=reject.ack_code, errors=(reject.error,))
    except Exception as exc:  # the contract is "never raise": report instead of failing the request
        error = LineError(
            None, None, "internal_error", f"the message could not be read ({type(exc).__name__})"
        )
        return Hl7Parsed(header=header, ack_code="AE", errors=(error,))
