"""The loop of `app.ingestion.blocks.process_block`, compiled (app.core.compiled): per RSS of a
block, its line numbers, errors, content hash, COPY rows, formats and findings, in columns.

Interpreted, this bookkeeping (a few appends and slices per RSS) cost about a fifth of a worker's
time, as much as parsing the lines. blocks.py stays interpreted (tests and the benchmark patch its
names), so the row renderer and the rules are passed in by the caller: a patch of `blocks.rows`
or `blocks.findings_of` still applies.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from app.core.line_errors import LineError
from app.ingestion.parser import decode_line, iter_lines, iter_rss, parse_decoded, rss_number_of_line
from app.ingestion.records import Rss, Rum
from app.ingestion.summaries import SummaryDelta

# (version id, batch id, RSS, its lines' texts, content hash, summary) -> (version row, RUM rows)
Render = Callable[[int, int, Rss, list[str], str, SummaryDelta], tuple[str, str]]
# (RSS, context) -> (findings of the RSS, rules skipped); the findings have a `findings` list
Check = Callable[[Rss, Any], tuple[Any, set[str]]]
# What `assemble` returns, in `blocks.Block`'s field order.
Columns = tuple[
    list[str | None], "array[int]", "array[int]", dict[int, list[LineError]], Sequence[int], str,
    "array[int]", str, "array[int]", str, "array[int]", str, dict[str, int], dict[int, Any], set[str],
    SummaryDelta,
]  # fmt: skip


def cut_blocks(stream: IO[bytes] | Iterable[bytes], block_bytes: int) -> Iterator[list[tuple[int, bytes]]]:
    """`blocks.iter_blocks`' loop (the server process's only work per line); see there."""
    block: list[tuple[int, bytes]] = []
    size = 0
    for line in iter_lines(stream):
        # Only a full block looks at RSS numbers, so the cost is a few decodes per block. A line
        # whose number cannot be read stays with the lines before it: a RUM line cut in its number
        # belongs to the RSS before it (`parser.iter_rss`).
        if size >= block_bytes:
            number = rss_number_of_line(line[1])
            if number is not None and number != rss_number_of_line(block[-1][1]):
                yield block
                block, size = [], 0
        block.append(line)
        size += len(line[1])
    if block:
        yield block


def _records(lines: list[tuple[int, bytes]], texts: list[str]) -> Iterator[Rum | LineError]:
    """The parsed lines, one at a time: a block's records are never all alive at once (about 4 KB
    each, tens of MB per worker for a block), only the texts, which are stored."""
    for line_no, raw in lines:
        # The exact text is stored (re-validation, the RSS view).
        text = decode_line(raw)
        texts.append(text)
        yield parse_decoded(raw, text, line_no)


def assemble(
    lines: list[tuple[int, bytes]], batch_id: int, ctx: Any, ids: Sequence[int], render: Render, check: Check
) -> Columns:
    """`blocks.process_block`'s work on a block's lines; see there."""
    texts: list[str] = []  # of every line read so far, in order (a few MB per block)
    numbers: list[str | None] = []
    first_lines: array[int] = array("q")
    line_counts: array[int] = array("l")
    rum_counts: array[int] = array("l")
    version_ends: array[int] = array("q")
    rum_ends: array[int] = array("q")
    errors: dict[int, list[LineError]] = {}
    hashes: list[str] = []
    version_rows: list[str] = []
    rum_rows: list[str] = []
    version_end = 0
    rum_end = 0
    formats: list[str] = []
    format_counts: dict[str, int] = {}
    findings: dict[int, Any] = {}
    skipped: set[str] = set()
    summary = SummaryDelta()
    position = 0  # groups hold consecutive items: a group's texts are the next ones
    for result in iter_rss(_records(lines, texts)):
        group_lines = result.lines
        count = len(group_lines)
        numbers.append(result.rss_number)
        first_lines.append(group_lines[0] if group_lines else 0)
        line_counts.append(count)
        rss_texts = texts[position : position + count]
        position += count
        rss = result.rss
        if rss is None:
            errors[len(numbers) - 1] = result.errors
            continue
        ordinal = len(rum_counts)
        # The stored content hash: SHA-256 of the decoded lines joined by LF
        # (app.core.fixedwidth.digest.lines_hash).
        joined = rss_texts[0] if count == 1 else "\n".join(rss_texts)
        content_hash = hashlib.sha256(joined.encode()).hexdigest()
        version_row, rss_rum_rows = render(ids[ordinal], batch_id, rss, rss_texts, content_hash, summary)
        hashes.append(content_hash)
        version_rows.append(version_row)
        rum_rows.append(rss_rum_rows)
        version_end += len(version_row)
        rum_end += len(rss_rum_rows)
        version_ends.append(version_end)
        rum_ends.append(rum_end)
        rums = rss.rums
        rum_counts.append(len(rums))
        for rum in rums:
            code = rum.format_code
            formats.append(code)
            format_counts[code] = format_counts.get(code, 0) + 1
        found, skipped = check(rss, ctx)  # the same skipped set for every RSS of a context
        if found.findings:
            findings[ordinal] = found
    return (
        numbers, first_lines, line_counts, errors, ids, "".join(hashes), rum_counts,
        "".join(version_rows), version_ends, "".join(rum_rows), rum_ends, "".join(formats),
        format_counts, findings, skipped, summary,
    )  # fmt: skip
