"""Bounded decompression of uploaded files (gzip), against decompression bombs.

A 611 KB gzip of a nomenclature expanding to 600 MB once took 3.3 GB of memory: `gzip.decompress`
builds the whole output before anyone can look at its size. Here the output is read in chunks of
at most 1 MiB and refused (413) as soon as it passes the limit, so memory never exceeds the limit
plus one chunk, whatever the file expands to. A plain file is held to the same limit: the limit is
on what gets parsed.
"""

from __future__ import annotations

import gzip
import io
from typing import IO, Final

from app.core.problems import PayloadTooLarge, UnsupportedMediaType

GZIP_MAGIC: Final = b"\x1f\x8b"
CHUNK_BYTES: Final = 1024 * 1024
LIMIT_SETTING: Final = "DIMQA_MAX_DECOMPRESSED_BYTES"


def too_large(what: str, limit: int, *, compressed: bool = False) -> PayloadTooLarge:
    once = " once decompressed" if compressed else ""
    return PayloadTooLarge(
        f"The {what} file exceeds the limit of {limit} bytes{once} ({LIMIT_SETTING}); nothing was loaded."
    )


def decompressed(data: bytes, limit: int, *, what: str) -> bytes | bytearray:
    """`data`, gunzipped when it starts with the gzip magic bytes, at most `limit` bytes.

    Raises PayloadTooLarge beyond `limit`, and OSError, EOFError or zlib.error for a broken gzip
    stream. Concatenated gzip members are read as one file, as `gzip.decompress` does."""
    if not data.startswith(GZIP_MAGIC):
        if len(data) > limit:
            raise too_large(what, limit)
        return data
    output = bytearray()
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        while True:
            # One byte past the limit is enough to know the file is over it.
            chunk = stream.read(min(CHUNK_BYTES, limit + 1 - len(output)))
            if not chunk:
                return output
            output += chunk
            if len(output) > limit:
                raise too_large(what, limit, compressed=True)


def refuse_compressed(stream: IO[bytes], *, what: str) -> None:
    """Refuse (415) a gzip body where a plain fixed-width file is read (RUM/RSS, RHS): read line by
    line as sent, its bytes were one or two lines of control characters, stored as a rejected
    batch (RUM) or listed as such (RHS), without saying the file was compressed. The stream is
    left where it was."""
    position = stream.tell()
    head = stream.read(len(GZIP_MAGIC))
    stream.seek(position)
    if head == GZIP_MAGIC:
        raise UnsupportedMediaType(
            f"The body is gzip-compressed: send the {what} file uncompressed (text/plain or "
            "application/octet-stream); nothing was stored."
        )
