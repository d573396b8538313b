"""N° de RSS met in more than one group of a file, found before anything is stored.

The lines of an RSS are consecutive (pmsi-formats.md): a file holding X1 RUM 1, X2, X1 RUM 2 cuts
X1 in two, and storing its first part would store an RSS with a wrong exit date, which its second
part can no longer undo once stored. So a batch first reads its file for the numbers of its groups
(consecutive lines sharing an N° de RSS, as `parser.iter_rss` forms them) and learns which numbers
come back in another group; the storage then rejects those RSS whole (app.ingestion.service).

Memory does not grow with the file: the first read keeps only a blocked Bloom filter of the numbers
(at most BLOOM_MAX_BYTES; a few MB for a million RUM), which names the numbers *possibly* met
before, and a second read, only when there are some, checks those candidates exactly. Only the
candidates, and the line numbers of the numbers really repeated, are held.

The group key is the one the storage uses: `parser.rss_number_of_line` is what `iter_rss` groups by
(the parsed N° de RSS of a valid line, the best-effort one of a broken line; a line whose number
cannot be read is a group of its own and is never a repeat).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Final

from app.ingestion.parser import iter_lines, rss_number_of_line

BLOOM_MAX_BYTES: Final = 32 << 20
BITS_PER_NUMBER: Final = 16  # about 3 false candidates per 1,000 numbers at the expected count
MIN_LINE_BYTES: Final = 160  # a RUM line holds at least its fixed part (165 characters for 016)
_WORD_BYTES: Final = 4
_MASK31: Final = 0x7FFFFFFF


class BlockedBloom:
    """A register-blocked Bloom filter of strings: a key sets 4 bits of the one 32-bit word its hash
    selects, so adding and testing it is one read and at most one write. Compiled, that is about
    0.2 µs per key; a 256-bit block with one bit per word (Parquet's split block filter) has fewer
    false candidates but cost 3 µs, and the false ones only cost the second read a set lookup.
    Keys are hashed with Python's `hash`, salted per process: a filter is for one process."""

    __slots__ = ("size", "words")

    def __init__(self, expected: int, max_bytes: int = BLOOM_MAX_BYTES) -> None:
        size = min(max_bytes, expected * BITS_PER_NUMBER // 8)
        self.size: int = max(1, size // _WORD_BYTES)
        self.words: array[int] = array("I", bytes(self.size * _WORD_BYTES))

    @property
    def size_bytes(self) -> int:
        return self.size * _WORD_BYTES

    def add(self, key: str) -> bool:
        """Add `key`; True when it may have been added before (always, if it was)."""
        # Every intermediate value stays below 2**62: compiled, Python ints then stay unboxed.
        hashed = hash(key)
        low = hashed & _MASK31
        index = ((hashed >> 31) & _MASK31) % self.size
        mask = 1 << (low & 31) | 1 << ((low >> 5) & 31) | 1 << ((low >> 10) & 31) | 1 << ((low >> 15) & 31)
        word = self.words[index]
        if word & mask == mask:
            return True
        self.words[index] = word | mask
        return False


@dataclass(slots=True)
class Repeated:
    """A number met in several groups: the line numbers of each group, in file order, and whether
    the groups are line for line the same (a copy of the RSS rather than an RSS cut in parts)."""

    parts: list[array[int]] = field(default_factory=list)
    identical: bool = True


def _group_numbers(lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, bytes, str | None, bool]]:
    """(line number, raw line, its N° de RSS, whether it starts a group) for each line."""
    previous: str | None = None
    for line_no, raw in lines:
        number = rss_number_of_line(raw)
        yield line_no, raw, number, number is None or number != previous
        previous = number


def candidates(stream: IO[bytes] | BinaryIO | Iterable[bytes], expected: int) -> set[str]:
    """The numbers of the groups whose number may have started an earlier group (first read)."""
    bloom = BlockedBloom(expected)
    found: set[str] = set()
    previous: str | None = None
    for _line_no, raw in iter_lines(stream):
        number = rss_number_of_line(raw)
        if number is not None and number != previous and bloom.add(number):
            found.add(number)
        previous = number
    return found


def repeated_among(stream: IO[bytes] | BinaryIO | Iterable[bytes], numbers: set[str]) -> dict[str, Repeated]:
    """Which of `numbers` really start more than one group, and where (second read)."""
    parts: dict[str, list[array[int]]] = {}
    digests: dict[str, list[bytes]] = {}
    current: array[int] | None = None
    hasher = hashlib.sha256()
    current_number = ""
    for line_no, raw, number, starts in _group_numbers(iter_lines(stream)):
        if starts and current is not None:
            digests.setdefault(current_number, []).append(hasher.digest())
            current = None
        if number is None or number not in numbers:
            continue
        if current is None:
            current, current_number, hasher = array("q"), number, hashlib.sha256()
            parts.setdefault(number, []).append(current)
        current.append(line_no)
        hasher.update(raw)
        hasher.update(b"\n")
    if current is not None:
        digests.setdefault(current_number, []).append(hasher.digest())
    return {
        number: Repeated(groups, len(set(digests[number])) == 1)
        for number, groups in parts.items()
        if len(groups) > 1
    }


def find_repeated(stream: IO[bytes], size: int) -> dict[str, Repeated]:
    """The N° de RSS of `stream` (a seekable file of `size` bytes, read from its start) met in more
    than one group; the stream is left at its start."""
    stream.seek(0)
    try:
        maybe = candidates(stream, max(1, size // MIN_LINE_BYTES))
        if not maybe:
            return {}
        stream.seek(0)
        return repeated_among(stream, maybe)
    finally:
        stream.seek(0)
