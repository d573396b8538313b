"""A grouper delivery (RSA + TRA) read, checked, linked and rendered as COPY rows: pure, no database.

This module is compiled with mypyc (app.core.compiled): a year's RSA file holds 200,000 lines of
some 350 characters, and reading them field by field interpreted cost about 40 µs per RSA. The
layouts stay data (app.medeco.rsa_layouts); their positions are turned once, at import, into the
0-based slices each version needs (`Slices`), and a line is cut with those.

Each RSA line yields an `Rsa` (its COPY columns already rendered) or a `LineError` naming the line,
the field and the reason; TRA fields are prefixed `tra.`. The TRA is read first (`read_links`), so
that the service can ask the database, set-based, which of its RSS are stored and which already
hold a current RSA; `stream_rows` then links every RSA to its RSS, keeps one RSA per index and per
RSS, and yields the COPY rows as it reads, for the server to store them meanwhile
(`read_delivery`: the same, every accepted RSA kept instead).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from typing import Final

from app.core.fixedwidth.fields import Kind
from app.core.fixedwidth.text import decode_line, iter_lines
from app.core.line_errors import LineError
from app.medeco.rsa_layouts import (
    AG_LENGTH,
    DA_LENGTH,
    LAYOUTS,
    RT_LENGTH,
    SUPPLEMENT_CODES,
    TRA_CSV_COLUMNS,
    TRA_FIXED,
    RsaLayout,
)

NULL: Final = "\\N"  # COPY text format
# Columns of `Rsa.columns`, in order, then the ones `Accepted.row` puts before and after them.
RSA_FIELDS: Final = (
    "format", "classification_version", "ghm", "return_code", "exit_month", "exit_year", "los",
    "seances", "ghs", "exh_days", "exb_type", "exb_days", "ghs_minore", "supplements", "radiotherapy",
)  # fmt: skip
COPY_COLUMNS: Final = (
    "rss_number", "stay_number", "rsa_index", "line", "line_text", "is_current", "content_hash",
    "campaign", *RSA_FIELDS, "batch_id",
)  # fmt: skip
CHUNK_ROWS: Final = 10_000  # rows per COPY write: the server stores one chunk while the next renders


class Slices:
    """The positions one RSA version needs, as 0-based [start, end) slices."""

    def __init__(self, layout: RsaLayout) -> None:
        self.version: str = layout.version
        self.fixed_length: int = layout.fixed_length
        self.rum_length: int = layout.rum_length
        self.act_length: int = layout.act_length
        # Every numeric field in file order: the first one that is not a number is the line's error.
        self.numeric: list[tuple[str, int, int]] = [
            (item.name, item.start - 1, item.end) for item in layout.fixed if item.kind is Kind.NUMERIC
        ]
        names = [name for name, _start, _end in self.numeric]
        self.rum_count: int = names.index("rum_count")
        self.exit_month: int = names.index("exit_month")
        self.exit_year: int = names.index("exit_year")
        self.los: int = names.index("los")
        self.seances: int = names.index("seances")
        self.exh_days: int = names.index("exh_days")
        self.exb_days: int = names.index("exb_days")
        self.n_ag: int = names.index("n_ag") if "n_ag" in names else -1  # from format 219 on
        self.n_rt: int = names.index("n_rt")
        self.n_da: int = names.index("n_da")
        self.n_za: int = names.index("n_za")
        # (code, index in `numeric`) of the supplement counts.
        self.supplements: list[tuple[str, int]] = [
            (SUPPLEMENT_CODES[item.name], names.index(item.name)) for item in layout.supplements
        ]
        self.rsa_index: tuple[int, int] = _span(layout, "rsa_index")
        self.classification_version: tuple[int, int] = _span(layout, "classification_version")
        self.ghm: tuple[int, int] = _span(layout, "ghm")
        self.return_code: tuple[int, int] = _span(layout, "return_code")
        self.ghs: tuple[int, int] = _span(layout, "ghs")
        self.exb_type: tuple[int, int] = _span(layout, "exb_type")
        self.ghs_minore: tuple[int, int] = _span(layout, "ghs_minore")  # formats 222+; empty before


def _span(layout: RsaLayout, name: str) -> tuple[int, int]:
    item = layout.field(name)
    return (0, 0) if item is None else (item.start - 1, item.end)


SLICES: Final[dict[str, Slices]] = {version: Slices(item) for version, item in LAYOUTS.items()}
_TRA_SPANS: Final[dict[str, tuple[int, int]]] = {item.name: (item.start - 1, item.end) for item in TRA_FIXED}
_TRA_FIXED_LENGTH: Final = TRA_FIXED[-1].end


class Rsa:
    """An RSA line that reads: what linking needs, and its own COPY columns (`RSA_FIELDS`) rendered."""

    def __init__(self, line: int, text: str, version: str, rsa_index: str, columns: str) -> None:
        self.line = line
        self.text = text
        self.format = version
        self.rsa_index = rsa_index
        self.columns = columns


class Tra:
    def __init__(self, line: int, rsa_index: str, rss_number: str, stay_number: str) -> None:
        self.line = line
        self.rsa_index = rsa_index
        self.rss_number = rss_number
        self.stay_number = stay_number


class Accepted:
    """An RSA linked to its RSS: its `COPY_COLUMNS` row, but the tab before the batch id, the batch id
    and the line end."""

    def __init__(self, line: int, rsa_index: str, rss_number: str, content_hash: str, row: str) -> None:
        self.line = line
        self.rsa_index = rsa_index
        self.rss_number = rss_number
        self.content_hash = content_hash
        self.row = row


class Delivery:
    """What reading the two files found. Filled as the RSA lines are read (`stream_rows`): the counts
    and errors are complete once its stream is exhausted."""

    def __init__(self) -> None:
        self.rsa_lines = 0
        self.tra_lines = 0
        self.rejected = 0
        # (file, error, rsa_index) in report order: the TRA's, the RSA lines', then the links'.
        self.errors: list[tuple[str, LineError, str | None]] = []
        self.formats: dict[str, int] = {}
        # The accepted RSA kept whole (`stream_rows`: those of the RSS named by `hold`), in file order.
        self.accepted: list[Accepted] = []
        self.streamed = 0  # accepted RSA rendered into the stream instead
        # (line, rsa_index, rss_number) of the accepted RSA whose RSS `stream_rows` was told is missing.
        self.unlinked: list[tuple[int, str, str]] = []


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    # The toolkit's reading: LF or CRLF, blank lines skipped, UTF-8 else Latin-1, bounded length.
    for number, raw in iter_lines(io.BytesIO(data)):
        text = decode_line(raw)
        if text.strip():
            yield number, text


def parse_rsa_line(text: str, line: int) -> Rsa | LineError:
    version = text[9:12]
    slices = SLICES.get(version)
    if slices is None:
        return LineError(line, "format", "unknown_format", f"RSA format {version!r} is not 218-229")
    length = len(text)
    if length < slices.fixed_length:
        return LineError(
            line, None, "line_length",
            f"RSA {version} line of {length} characters, shorter than its fixed part "
            f"({slices.fixed_length})",
        )  # fmt: skip
    numbers: list[int] = []
    ascii = text.isascii()  # asked once per line, not per field
    for name, start, end in slices.numeric:
        raw = text[start:end]
        if raw.isdigit() and (ascii or raw.isascii()):  # zero-filled, as the grouper writes them
            numbers.append(int(raw))
            continue
        digits = raw.strip()
        if not digits:
            numbers.append(0)
        elif digits.isascii() and digits.isdigit():
            numbers.append(int(digits))
        else:
            return LineError(line, name, "not_numeric", f"{name} must be a number, got {raw!r}")
    n_ag = numbers[slices.n_ag] if slices.n_ag >= 0 else 0
    n_rt = numbers[slices.n_rt]
    expected = (
        slices.fixed_length + AG_LENGTH * n_ag + RT_LENGTH * n_rt
        + slices.rum_length * numbers[slices.rum_count] + DA_LENGTH * numbers[slices.n_da]
        + slices.act_length * numbers[slices.n_za]
    )  # fmt: skip
    # Some writers trim the trailing blanks of the last act zone (flags left empty): tolerated.
    if len(text.rstrip()) > expected or length < expected - slices.act_length:
        return LineError(
            line, None, "line_length",
            f"RSA {version} line of {length} characters; its counters (NAG, NSR, NBRUM, NDA, NZA) "
            f"give {expected}",
        )  # fmt: skip
    radiotherapy = "{}"
    if n_rt:
        found = _radiotherapy(text, slices.fixed_length + AG_LENGTH * n_ag, n_rt, line)
        if isinstance(found, LineError):
            return found
        radiotherapy = found
    start, end = slices.ghs
    ghs = text[start:end].strip()
    if ghs and not (ghs.isascii() and ghs.isdigit()):
        return LineError(line, "ghs", "not_numeric", f"ghs must be a number, got {ghs!r}")
    supplements = ", ".join(
        [f'"{code}": {numbers[index]}' for code, index in slices.supplements if numbers[index]]
    )
    start, end = slices.ghs_minore
    minore = "t" if text[start:end] == "1" else "f"
    columns = "\t".join(
        (
            version, _piece(text, slices.classification_version), _piece(text, slices.ghm),
            _piece(text, slices.return_code), str(numbers[slices.exit_month]),
            str(numbers[slices.exit_year]), str(numbers[slices.los]), str(numbers[slices.seances]),
            ghs if ghs and int(ghs) else NULL, str(numbers[slices.exh_days]), _piece(text, slices.exb_type),
            str(numbers[slices.exb_days]), minore, "{" + supplements + "}", radiotherapy,
        )
    )  # fmt: skip
    start, end = slices.rsa_index
    return Rsa(line, text, version, text[start:end].strip(), columns)


def _piece(text: str, span: tuple[int, int]) -> str:
    """A text field, stripped and ready for COPY (escaped when it must be)."""
    return _escape(text[span[0] : span[1]].strip())


def _escape(value: str) -> str:
    """COPY text format: backslash, tab, CR and LF escaped (a line holds no LF; it may hold the others)."""
    if "\\" in value or "\t" in value or "\r" in value or "\n" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return value


def _radiotherapy(text: str, start: int, n_rt: int, line: int) -> str | LineError:
    """The radiotherapy supplements as a JSON object (GHS number -> count, summed), or the error."""
    found: dict[str, int] = {}
    for index in range(n_rt):
        zone = text[start + RT_LENGTH * index : start + RT_LENGTH * (index + 1)]
        ghs, count = zone[:4].strip(), zone[4:].strip()
        if not (ghs.isascii() and ghs.isdigit() and count.isascii() and count.isdigit()):
            return LineError(
                line, f"radiotherapy[{index}]", "not_numeric",
                f"radiotherapy supplement zone {index + 1} must hold a GHS number and a count, got {zone!r}",
            )  # fmt: skip
        found[ghs] = found.get(ghs, 0) + int(count)
    return "{" + ", ".join([f'"{ghs}": {count}' for ghs, count in found.items()]) + "}"


def read_rsa(data: bytes) -> Iterator[Rsa | LineError]:
    for number, text in _lines(data):
        yield parse_rsa_line(text.rstrip("\r\n"), number)


def read_tra(data: bytes) -> Iterator[Tra | LineError]:
    """Both TRA forms: DRUIDES `;`-separated lines and the fixed-width tra2016 layout (82 characters)."""
    for number, text in _lines(data):
        yield _tra_csv(text, number) if ";" in text else _tra_fixed(text, number)


def _tra_csv(text: str, line: int) -> Tra | LineError:
    parts = text.split(";", len(TRA_CSV_COLUMNS))
    if len(parts) < len(TRA_CSV_COLUMNS):
        return LineError(
            line, None, "too_few_fields",
            f"TRA line {line} has {len(parts)} fields; a DRUIDES TRA line has at least "
            f"{len(TRA_CSV_COLUMNS)}",
        )  # fmt: skip
    return _tra_record(line, parts[0].strip(), parts[1].strip(), parts[2].strip())


def _tra_fixed(text: str, line: int) -> Tra | LineError:
    if len(text.rstrip()) > _TRA_FIXED_LENGTH or len(text) < _TRA_SPANS["stay_number"][1]:
        return LineError(
            line, None, "line_length",
            f"TRA line {line} of {len(text)} characters; the tra2016 layout has {_TRA_FIXED_LENGTH}",
        )  # fmt: skip
    index, rss, stay = _TRA_SPANS["rsa_index"], _TRA_SPANS["rss_number"], _TRA_SPANS["stay_number"]
    return _tra_record(
        line,
        text[index[0] : index[1]].strip(),
        text[rss[0] : rss[1]].strip(),
        text[stay[0] : stay[1]].strip(),
    )


def _tra_record(line: int, rsa_index: str, rss_number: str, stay_number: str) -> Tra | LineError:
    if not rsa_index.isdigit():
        return LineError(
            line, "tra.rsa_index", "not_numeric", f"TRA line {line}: the RSA index must be a number"
        )
    if not rss_number:
        return LineError(line, "tra.rss_number", "missing", f"TRA line {line}: the N° de RSS is blank")
    return Tra(line, rsa_index.zfill(10), rss_number, stay_number)


def read_delivery(rsa: bytes, tra: bytes, campaign: int | None) -> Delivery:
    """Both files read, every accepted RSA kept whole in `accepted` (nothing streamed)."""
    delivery = Delivery()
    links = read_links(tra, delivery)
    for _chunk in stream_rows(delivery, rsa, links, campaign, batch_id=0, hold=None, missing=set()):
        pass
    return delivery


def has_lines(rsa: bytes) -> bool:
    """Whether the file holds a line to read (blank lines are not lines), reading no further."""
    for _line in _lines(rsa):
        return True
    return False


def stream_rows(
    delivery: Delivery,
    rsa: bytes,
    links: dict[str, Tra],
    campaign: int | None,
    *,
    batch_id: int,
    hold: set[str] | None,
    missing: set[str],
) -> Iterator[str]:
    """The RSA lines read and linked by the TRA (`read_links`), each kept once per index and once per
    RSS (atomic: any error in its line, or no usable TRA line, rejects it whole with a located error).

    Yields the COPY rows (`COPY_COLUMNS`, text format, `CHUNK_ROWS` at a time) of the accepted RSA,
    so that the server stores them while the next lines are read; the accepted RSA of the RSS in
    `hold` (those already holding a current RSA, to compare first) are kept in `delivery.accepted`
    instead, all of them when `hold` is None. Those of the RSS in `missing` are noted in
    `delivery.unlinked`."""
    link_errors: list[tuple[str, LineError, str | None]] = []
    seen_index: dict[str, int] = {}
    seen_rss: dict[str, int] = {}
    campaign_text = NULL if campaign is None else str(campaign)
    end = f"\t{batch_id}\n"
    rows: list[str] = []
    for item in read_rsa(rsa):
        delivery.rsa_lines += 1
        if isinstance(item, LineError):
            delivery.rejected += 1
            delivery.errors.append(("rsa", item, None))
            continue
        index = item.rsa_index
        link = links.get(index)
        problem: LineError | None = None
        if index in seen_index:
            problem = LineError(
                item.line, "rsa_index", "duplicate_index",
                f"RSA index {index} already on line {seen_index[index]}",
            )  # fmt: skip
        elif link is None:
            problem = LineError(
                item.line, "rsa_index", "no_tra_line",
                f"no usable TRA line for RSA index {index}: its RSS is unknown",
            )  # fmt: skip
        elif link.rss_number in seen_rss:
            problem = LineError(
                item.line, "tra.rss_number", "duplicate_rss",
                f"the TRA gives the RSS of the RSA on line {seen_rss[link.rss_number]} to this one too",
            )  # fmt: skip
        if index not in seen_index:
            seen_index[index] = item.line
        if problem is not None or link is None:
            delivery.rejected += 1
            if problem is not None:
                link_errors.append(("rsa", problem, index))
            continue
        rss_number = link.rss_number
        seen_rss[rss_number] = item.line
        delivery.formats[item.format] = delivery.formats.get(item.format, 0) + 1
        if missing and rss_number in missing:
            delivery.unlinked.append((item.line, index, rss_number))
        accepted = _accepted(item, link, campaign, campaign_text)
        if hold is None or rss_number in hold:
            delivery.accepted.append(accepted)
            continue
        delivery.streamed += 1
        rows.append(accepted.row + end)
        if len(rows) == CHUNK_ROWS:
            yield "".join(rows)
            rows = []
    if rows:
        yield "".join(rows)
    delivery.errors.extend(link_errors)


def read_links(tra: bytes, delivery: Delivery) -> dict[str, Tra]:
    """The TRA read: RSA index -> its link; its errors and line count noted in `delivery`."""
    links: dict[str, Tra] = {}
    for item in read_tra(tra):
        delivery.tra_lines += 1
        if isinstance(item, LineError):
            delivery.errors.append(("tra", item, None))
        elif item.rsa_index in links:
            error = LineError(
                item.line, "tra.rsa_index", "duplicate_index",
                f"RSA index {item.rsa_index} already linked by TRA line {links[item.rsa_index].line}",
            )  # fmt: skip
            delivery.errors.append(("tra", error, item.rsa_index))
        else:
            links[item.rsa_index] = item
    return links


def content_hash(text: str, rss_number: str, stay_number: str, campaign: int | None) -> str:
    """Of the RSA line and its link: a delivery that changes neither stores nothing new."""
    joined = "\0".join((text, rss_number, stay_number, str(campaign)))
    try:
        data = joined.encode("latin-1")
    except UnicodeEncodeError:  # a UTF-8 line beyond Latin-1 (never seen from a grouper)
        data = joined.encode()
    return hashlib.sha256(data).hexdigest()


def _accepted(item: Rsa, link: Tra, campaign: int | None, campaign_text: str) -> Accepted:
    digest = content_hash(item.text, link.rss_number, link.stay_number, campaign)
    row = "\t".join(
        (
            _escape(link.rss_number), _escape(link.stay_number), item.rsa_index, str(item.line),
            _escape(item.text), "t", digest, campaign_text, item.columns,
        )
    )  # fmt: skip
    return Accepted(item.line, item.rsa_index, link.rss_number, digest, row)


def copy_chunks(rows: Sequence[Accepted], batch_id: int) -> Iterator[str]:
    """The rows in COPY's text format (`COPY_COLUMNS`), `CHUNK_ROWS` at a time."""
    end = f"\t{batch_id}\n"
    for first in range(0, len(rows), CHUNK_ROWS):
        yield "".join([item.row + end for item in rows[first : first + CHUNK_ROWS]])
