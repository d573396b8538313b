"""Blocks of whole RSS: the unit of work of a RUM batch's parsing, row rendering and rules.

`iter_blocks` cuts an RSS file into blocks of consecutive lines, about BLOCK_BYTES each, never
inside an RSS (the lines of one N° de RSS stay together). `process_block` turns a block into what
the storage needs, and nothing more: per RSS its line numbers and its structural errors, and for
the accepted ones their COPY rows (with the version ids the storage allocated for the block), the
format of each RUM and the findings of the rules. It is pure and database-free, so blocks can be
processed in other processes (app.ingestion.workers): the parsed records never leave the block.

What crosses back is columnar (a few strings and arrays per block, not objects per RSS): pickling
one small object per RSS cost about 6 µs per RUM between the two processes, as much as the rows.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO, NamedTuple

from app.core.line_errors import LineError
from app.ingestion.assembly import assemble, cut_blocks
from app.ingestion.rows import rows
from app.ingestion.summaries import SummaryDelta
from app.rules.engine import RuleContext
from app.rules.rss_findings import RssFindings, findings_of

BLOCK_BYTES = 2 << 20  # about 7,000 lines of a 2024 file: a tenth of a second of work per block
HASH_LENGTH = 64  # hexadecimal SHA-256 of an RSS's lines

Line = tuple[int, bytes]  # (1-based line number, raw line without its terminator)


class Block(NamedTuple):
    """A processed block. Its groups (the consecutive lines of one N° de RSS) in file order; a
    group is rejected as a whole when it has structural errors, accepted otherwise. The accepted
    ones are numbered in file order (their ordinal k): the k-th has the version id `ids[k]`, its
    content hash at `hashes[64k:64k+64]`, its rows up to `version_ends[k]` / `rum_ends[k]`."""

    rss_numbers: list[str | None]  # per group; None only for a broken line whose number is unreadable
    first_lines: array[int]  # per group
    line_counts: array[int]  # per group
    errors: dict[int, list[LineError]]  # group index -> errors, for the rejected groups only
    ids: Sequence[int]  # the version ids allocated for the block (as many as its lines)
    hashes: str  # per accepted group
    rum_counts: array[int]  # per accepted group
    version_rows: str  # rss_version COPY rows of the accepted groups, one each
    version_ends: array[int]  # per accepted group: end of its row in version_rows
    rum_rows: str  # rum COPY rows of the accepted groups
    rum_ends: array[int]  # per accepted group: end of its rows in rum_rows
    formats: str  # per RUM of the accepted groups, its format code (3 characters)
    format_counts: dict[str, int]  # RUM per format code, over the accepted groups
    findings: dict[int, RssFindings]  # accepted ordinal -> findings, only for the groups with some
    skipped_rules: set[str]  # rules the context could not run (a reference is missing)
    summary: SummaryDelta  # activity summaries of the accepted RSS, if all are stored

    @property
    def accepted(self) -> int:
        return len(self.rum_counts)

    def content_hash(self, ordinal: int) -> str:
        return self.hashes[HASH_LENGTH * ordinal : HASH_LENGTH * (ordinal + 1)]


def iter_blocks(stream: BinaryIO | Iterable[bytes], block_bytes: int | None = None) -> Iterator[list[Line]]:
    """The non-blank lines of `stream` (as `iter_lines` yields them), in blocks of about
    `block_bytes` (default BLOCK_BYTES) that each end where the N° de RSS changes."""
    # The loop is compiled (app.ingestion.assembly); BLOCK_BYTES is read at each call (tests patch it).
    return cut_blocks(stream, BLOCK_BYTES if block_bytes is None else block_bytes)


def process_block(lines: list[Line], batch_id: int, ctx: RuleContext, ids: Sequence[int]) -> Block:
    """Parse a block, group its RSS, render the accepted ones' rows (the k-th with the version id
    `ids[k]`; `ids` holds at least one id per line) and run the rules on them."""
    if len(ids) < len(lines):
        raise ValueError("a block needs a version id per line")
    # The loop is compiled (app.ingestion.assembly); the renderer and the rules are this module's
    # names, looked up at each call, so that a patch of them applies.
    return Block(*assemble(lines, batch_id, ctx, ids, rows, findings_of))
