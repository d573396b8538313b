"""Bytes to lines and back: line splitting, decoding and padding shared by every fixed-width reader
and writer (RUM/RSS, RHS, IUM).

ATIH does not specify an encoding: each line is decoded as UTF-8 and, when it is not valid UTF-8, as
Latin-1 (older HIS exports), so positions count decoded characters. A UTF-8 byte-order mark on the
first line is ignored; LF or CRLF line ends; blank lines are skipped but counted, so line numbers
match an editor's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain
from typing import BinaryIO, Final

from app.core.fixedwidth.fields import Kind

BOM: Final = b"\xef\xbb\xbf"
MAX_LINE_BYTES: Final = 65_536  # far above the longest legal line (RUM: 205 + 16·99 + 32·999)
_CHUNK_SIZE: Final = 1 << 16


def decode_line(raw: bytes) -> str:
    """A line's text: UTF-8, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def iter_lines(stream: BinaryIO | Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, raw)`` for each non-blank line, without its LF / CRLF terminator.

    A file object is read in fixed-size chunks; any other iterable is taken as successive chunks
    of the byte stream (so both an upload's chunks and a binary file's own line iteration work).
    A line longer than MAX_LINE_BYTES is cut there (it is then a ``line_length`` error) so memory
    stays bounded whatever the input.
    """
    read = getattr(stream, "read", None)
    chunks: Iterable[bytes] = iter(partial(read, _CHUNK_SIZE), b"") if callable(read) else stream
    line_no = 0
    pending = b""
    overflow = False  # the current line already exceeded MAX_LINE_BYTES: drop the rest of it
    limit = MAX_LINE_BYTES + 1
    # A final line end runs the last line, terminated or not, through the same loop as the others
    # (a file ending with one then only adds a blank line, skipped).
    for chunk in chain(chunks, (b"\n",)):
        if not chunk:
            continue
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            if not overflow:
                pending += chunk
                if len(pending) > MAX_LINE_BYTES:
                    pending, overflow = pending[:limit], True
            continue
        head = pending if overflow else (pending + parts[0])[:limit]
        parts[0] = head
        tail = parts.pop()
        for raw in parts:
            line_no += 1
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            if line_no == 1 and raw.startswith(BOM):
                raw = raw[3:]
            if raw.strip():
                yield line_no, raw[:limit]
        pending, overflow = tail[:limit], len(tail) > MAX_LINE_BYTES


def pad(value: str, length: int, kind: Kind, where: str) -> str:
    """`value` padded to `length` per the ATIH rule of its kind.

    An empty value is written as spaces whatever the kind, so "absent" survives a round trip (ATIH
    also allows zeros for a missing number; a reader would then see "00", another value). A numeric
    field holding something else than digits (test data for the rules) is right-aligned with spaces
    rather than refused. A value longer than its field is a programming error: ValueError naming
    `where` and the lengths, never the value (it may be patient data)."""
    if len(value) > length:
        raise ValueError(f"{where}: {len(value)} characters do not fit in {length}")
    if not value:
        return " " * length
    if kind is Kind.NUMERIC:
        if value.isascii() and value.isdigit():
            return value.rjust(length, "0")
        return value.rjust(length)
    return value.ljust(length)
