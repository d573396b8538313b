"""Blocks of whole RSS: the unit of work of a RUM batch's parsing, row rendering and rules.

`iter_blocks` cuts an RSS file into blocks of consecutive lines, about BLOCK_BYTES each, never
inside an RSS (the lines of one N° de RSS stay together). `process_block` turns a block into what
the storage needs, and nothing more: per RSS its line numbers, its structural errors or its COPY
rows (without the version id, allocated when stored), the format of each RUM and the findings
of the rules. It is pure and database-free, so blocks can be processed in other processes
(app.ingestion.workers) and only strings travel back: the parsed records never leave the block.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from app.core.line_errors import LineError
from app.ingestion.parser import decode_line, iter_lines, iter_rss, parse_decoded, rss_number_of_line
from app.ingestion.records import Rss, Rum
from app.ingestion.rows import rows_without_id
from app.ingestion.summaries import SummaryDelta
from app.rules.engine import RuleContext
from app.rules.service import RssFindings, findings_of

BLOCK_BYTES = 2 << 20  # about 7,000 lines of a 2024 file: a tenth of a second of work per block

Line = tuple[int, bytes]  # (1-based line number, raw line without its terminator)


class BlockRss(NamedTuple):
    """One RSS of a block: accepted (rows set, no errors) or rejected as a whole (errors)."""

    rss_number: str | None  # None only for a broken line whose RSS number is unreadable
    first_line: int
    line_count: int
    errors: list[LineError]
    content_hash: str  # of the RSS's lines; "" when rejected
    version_row: str  # rss_version COPY row without its id ("" when rejected)
    rum_rows: str  # rum COPY rows without the version id, one string
    format_codes: list[str]  # per RUM, as read at positions 10-12
    findings: RssFindings | None  # None when there is none (most RSS: less to send back)

    @property
    def accepted(self) -> bool:
        return bool(self.version_row)


class Block(NamedTuple):
    rss: list[BlockRss]
    skipped_rules: set[str]  # rules the context could not run (a reference is missing)
    summary: SummaryDelta  # activity summaries of the accepted RSS, if all are stored


def iter_blocks(stream: BinaryIO | Iterable[bytes], block_bytes: int | None = None) -> Iterator[list[Line]]:
    """The non-blank lines of `stream` (as `iter_lines` yields them), in blocks of about
    `block_bytes` (default BLOCK_BYTES) that each end where the N° de RSS changes."""
    if block_bytes is None:
        block_bytes = BLOCK_BYTES
    block: list[Line] = []
    size = 0
    for line in iter_lines(stream):
        # Only a full block looks at RSS numbers, so the cost is a few decodes per block.
        if size >= block_bytes:
            number = rss_number_of_line(line[1])
            if number is None or number != rss_number_of_line(block[-1][1]):
                yield block
                block, size = [], 0
        block.append(line)
        size += len(line[1])
    if block:
        yield block


def process_block(lines: list[Line], batch_id: int, ctx: RuleContext) -> Block:
    """Parse a block, group its RSS, render the accepted ones' rows and run the rules on them."""
    texts: dict[int, str] = {}

    def records() -> Iterator[Rum | LineError]:
        for line_no, raw in lines:
            # The exact text is stored (re-validation, the RSS view).
            text = texts[line_no] = decode_line(raw)
            yield parse_decoded(raw, text, line_no)

    out: list[BlockRss] = []
    skipped: set[str] = set()
    summary = SummaryDelta()
    for result in iter_rss(records()):
        numbers = result.lines
        rss_texts = [texts.pop(n) for n in numbers]
        first = numbers[0] if numbers else 0
        rss = result.rss
        if rss is None:
            out.append(BlockRss(result.rss_number, first, len(numbers), result.errors, "", "", "", [], None))
            continue
        content_hash = hashlib.sha256("\n".join(rss_texts).encode()).hexdigest()
        version_row, rum_rows = rows_without_id(batch_id, rss, rss_texts, content_hash, summary)
        findings, skipped = findings_of(rss, ctx)  # the same skipped set for every RSS of a context
        out.append(
            BlockRss(
                rss.rss_number, first, len(numbers), [], content_hash, version_row, rum_rows,
                _format_codes(rss), findings if findings.findings else None,
            )
        )  # fmt: skip
    return Block(out, skipped, summary)


# One string object per format code: pickle sends a repeated object once per block.
_FORMAT_CODES: dict[str, str] = {}


def _format_codes(rss: Rss) -> list[str]:
    codes = []
    for rum in rss.rums:
        code = rum.format_code
        codes.append(_FORMAT_CODES.setdefault(code, code))
    return codes
