"""Content hashes: of a whole body (a batch is received once: same SHA-256, same batch) and of the
lines of one record (a new version is stored only when its content changed)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import IO


def stream_sha256(stream: IO[bytes]) -> tuple[str, int]:
    """Hexadecimal SHA-256 and size of a seekable body, read in chunks; the stream is rewound."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def bytes_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def lines_hash(texts: Iterable[str]) -> str:
    """Hexadecimal SHA-256 of decoded lines joined by LF (the stored content hash of an RSS)."""
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()
