"""The ACK answering an HL7 v2 message (ER7, CR segment terminators): MSH echoing the message's
header, MSA with the acknowledgment code, an ERR segment per error (HL7 table 0357)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from app.core.clock import HOSPITAL_TZ
from app.core.control_chars import CONTROL_CHARACTER
from app.core.dates import DATE_OUT_OF_RANGE
from app.core.line_errors import LineError
from app.turnaround.hl7_er7 import ENCODING_CHARACTERS, codec_for
from app.turnaround.hl7v2 import AckCode, Hl7Parsed, parse_hl7_message

# LineError.code -> HL7 table 0357 (message error condition codes), for ERR-3.
_HL7_ERROR_CODES: Final[dict[str, tuple[str, str]]] = {
    "empty_message": ("100", "Segment sequence error"),
    "missing_msh": ("100", "Segment sequence error"),
    "batch_not_supported": ("100", "Segment sequence error"),
    "malformed_segment": ("100", "Segment sequence error"),
    "missing_segment": ("100", "Segment sequence error"),
    "invalid_separators": ("102", "Data type error"),
    "missing_field": ("101", "Required field missing"),
    "no_document": ("101", "Required field missing"),
    "invalid_date": ("102", "Data type error"),
    DATE_OUT_OF_RANGE: ("102", "Data type error"),
    CONTROL_CHARACTER: ("102", "Data type error"),
    "value_too_long": ("102", "Data type error"),
    # An id already stored for other content: the key exists (the message is refused, not lost:
    # the sender is told to use a new control id).
    "duplicate_event_id": ("205", "Duplicate key identifier"),
    "unsupported_message_type": ("200", "Unsupported message type"),
    "unsupported_trigger": ("201", "Unsupported event code"),
    "malformed_message": ("100", "Segment sequence error"),
    "multiple_messages": ("100", "Segment sequence error"),
    "ignored": ("0", "Message accepted"),
}
_DEFAULT_HL7_ERROR: Final = ("207", "Application internal error")

_FIELD_REF = re.compile(r"(?P<seg>[A-Z][A-Z0-9]{2})-(?P<field>\d+)")


def escape_text(value: str) -> str:
    """Text made safe for one ER7 field (HL7 escape sequences, no segment break)."""
    escaped = (
        value.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )
    return _hex_escape(re.sub(r"[\r\n]+", " ", escaped))


_ACK_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _hex_escape(value: str) -> str:
    """Control characters as HL7 hex escapes (`\\X00\\`): an ACK never carries a raw NUL or CR
    inside a field, whatever the message held."""
    return _ACK_CONTROL.sub(lambda match: f"\\X{ord(match.group()):02X}\\", value)


def _error_location(field: str | None) -> str:
    match = _FIELD_REF.fullmatch(field or "")
    return f"{match['seg']}^1^{match['field']}" if match else ""


def _err_segment(error: LineError, severity: str) -> str:
    code, text = _HL7_ERROR_CODES.get(error.code, _DEFAULT_HL7_ERROR)
    fields = [
        "ERR",
        "",  # ERR-1, deprecated since 2.5
        _error_location(error.field),
        f"{code}^{text}^HL70357",
        severity,
        escape_text(error.code),
        "",
        "",
        escape_text(error.message),
    ]
    return "|".join(fields)


def _ack_codec(charset: str) -> str:
    codec = codec_for(charset)
    return codec if codec in ("latin-1", "iso8859-15") else "utf-8"


def build_ack(
    source: Hl7Parsed | bytes,
    code: AckCode | None = None,
    errors: Sequence[LineError] | None = None,
    *,
    now: datetime | None = None,
    control_id: str | None = None,
) -> bytes:
    """ACK for a message (parsed, or raw bytes parsed here), in ER7 with CR segment terminators.

    MSH swaps sending and receiving application/facility and echoes the trigger, processing id,
    version, country and charset; MSA-2 echoes MSH-10. Each error becomes an ERR segment
    (location, HL7 table 0357 code, severity E, our error code in ERR-5, reason in ERR-8); an AA
    for a message with no effect carries the reason as an informational ERR. `code` and
    `errors` default to the parse outcome; `now` and `control_id` exist for reproducible output.
    """
    parsed = source if isinstance(source, Hl7Parsed) else parse_hl7_message(source)
    header = parsed.header
    ack_code = code or parsed.ack_code
    reported = tuple(parsed.errors if errors is None else errors)
    moment = now or datetime.now(HOSPITAL_TZ)
    if moment.tzinfo is not None:
        moment = moment.astimezone(HOSPITAL_TZ)  # DTM without offset means hospital local time
    stamp = moment.strftime("%Y%m%d%H%M%S")
    ack_id = escape_text(control_id) if control_id else uuid.uuid4().hex[:20]

    trigger = escape_text(header.trigger) if header and header.trigger else ""
    msh = [
        "MSH",
        ENCODING_CHARACTERS,
        _hex_escape(header.receiving_application) if header else "",
        _hex_escape(header.receiving_facility) if header else "",
        _hex_escape(header.sending_application) if header else "",
        _hex_escape(header.sending_facility) if header else "",
        stamp,
        "",
        f"ACK^{trigger}^ACK" if trigger else "ACK",
        ack_id,
        escape_text(header.processing_id) if header and header.processing_id else "P",
        escape_text(header.version) if header and header.version else "2.5",
    ]
    if header and (header.country or header.charset):
        msh += ["", "", "", "", _hex_escape(header.country), _hex_escape(header.charset)]
    segments = [
        "|".join(msh),
        # MSH-10 echoed as received (already ER7 text: escaping it again would change it).
        f"MSA|{ack_code}|{_hex_escape(header.control_id) if header else ''}",
    ]
    segments += [_err_segment(error, "E") for error in reported]
    if ack_code == "AA" and not reported and parsed.note:
        segments.append(_err_segment(LineError(None, None, "ignored", parsed.note), "I"))
    text = "".join(segment + "\r" for segment in segments)
    return text.encode(_ack_codec(header.charset if header else ""), errors="replace")
