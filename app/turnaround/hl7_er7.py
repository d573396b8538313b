"""ER7, the text of an HL7 v2 message: decoding (MSH-18, else UTF-8, Windows-1252, Latin-1),
segments (CR, LF or CRLF; framing and blank lines dropped), field access and DTM datetimes.

`hl7v2` reads messages with it, `hl7_ack` writes the ACK in the charset it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from app.core.clock import HOSPITAL_TZ
from app.core.dates import check_datetime

ENCODING_CHARACTERS: Final = "^~\\&"

_DTM = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
    r"(?:(?P<h>\d{2})(?:(?P<mi>\d{2})(?:(?P<s>\d{2})(?:\.(?P<f>\d{1,4}))?)?)?)?"
    r"(?P<tz>[+-]\d{4})?"
)
_FRAMING = "\ufeff\x0b\x1c"


def _declared_charset(body: bytes) -> str:
    head = body[:4096].decode("latin-1").lstrip(_FRAMING + " \t\r\n")
    first = re.split(r"[\r\n]", head, maxsplit=1)[0]
    parts = first.split("|")
    return parts[17].strip() if first.startswith("MSH") and len(parts) > 17 else ""


def codec_for(charset: str) -> str | None:
    normalized = charset.upper().replace(" ", "")
    if "UTF-8" in normalized or "UTF8" in normalized:
        return "utf-8"
    if normalized == "8859/15":
        return "iso8859-15"
    if normalized == "8859/1":
        return "latin-1"
    return None


def decode_hl7(body: bytes) -> str:
    """Text of the message, decoded leniently (never fails: Latin-1 decodes any byte)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    codec = codec_for(_declared_charset(body))
    for candidate in (codec, "utf-8", "cp1252", "latin-1"):
        if candidate is None:
            continue
        try:
            return body.decode(candidate)
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1")  # unreachable: Latin-1 maps every byte


def split_segments(text: str) -> list[str]:
    """Segments of an ER7 text, whatever the line ending; blank lines and framing dropped."""
    cleaned = text.strip(_FRAMING).replace("\r\n", "\r").replace("\n", "\r")
    return [segment.strip(_FRAMING) for segment in cleaned.split("\r") if segment.strip(_FRAMING + " \t")]


# --------------------------------------------------------------------------- field access


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    line: int  # 1-based position of the segment in the message
    data: Any  # hl7.Segment

    def get(self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 1) -> str:
        """Unescaped value, '' when absent (python-hl7 raises on paths deeper than the data)."""
        try:
            value = self.data.extract_field(1, field, repetition, component, subcomponent)
        except (IndexError, KeyError, TypeError, ValueError):
            return ""
        return str(value).strip()


class Message:
    def __init__(self, parsed: Any) -> None:
        self.segments = [
            Segment(str(seg[0]).strip(), index, seg) for index, seg in enumerate(parsed, start=1)
        ]

    def first(self, name: str) -> Segment | None:
        return next((seg for seg in self.segments if seg.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [seg for seg in self.segments if seg.name == name]


def parse_dtm(value: str) -> datetime:
    """HL7 DTM (day precision at least) -> aware datetime; ValueError when malformed, its
    subclass DateOutOfRange when outside 1900-2100 (app.core.dates)."""
    match = _DTM.fullmatch(value.strip())
    if not match:
        raise ValueError(f"not an HL7 date/time: {value!r}")
    parts = match.groupdict()
    fraction = parts["f"] or ""
    moment = datetime(
        int(parts["y"]),
        int(parts["mo"]),
        int(parts["d"]),
        int(parts["h"] or 0),
        int(parts["mi"] or 0),
        int(parts["s"] or 0),
        int(fraction.ljust(6, "0")) if fraction else 0,
    )
    offset = parts["tz"]
    if not offset:
        return check_datetime(moment.replace(tzinfo=HOSPITAL_TZ))
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    if hours > 14 or minutes > 59:
        raise ValueError(f"not an HL7 time zone offset: {offset!r}")
    sign = 1 if offset[0] == "+" else -1
    return check_datetime(moment.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes))))
