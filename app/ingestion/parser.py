"""Streaming parser of RUM / RSS files (non groupé 016-023, groupé 116-123), pure and database-free.

Pipeline: ``iter_lines(stream)`` -> ``parse_line(raw, line_no)`` -> ``iter_rss(items)``, all lazy, so
a million-line file is processed with flat memory (see ``iter_records`` for the first two steps).

Only *structural* problems are reported here, as `LineError`s, and they reject the whole RSS: the
line cannot be cut into fields reliably. Everything that can be cut (bad dates, unknown modes,
malformed codes, non-numeric séances...) is kept as raw text for the rules engine, which reports it
the way the grouper does.

Leniency (what is accepted on purpose):

* LF or CRLF terminators, mixed in one file; a UTF-8 BOM before the first line; lines made only of
  ASCII whitespace are skipped (they still count in line numbers).
* Counters nDA/nDAD/nZA right-aligned with spaces instead of zeros (``' 2'``, ``'  3'``), as
  written by some exporters (the public 017 sample does); fully blank counters are rejected.
* Records are variable-length: each line is exactly as long as §2.5's formula says (the public
  samples are not padded to a common record width). Two deviations are tolerated:
  - trailing spaces beyond the formula length (a line padded to a fixed record width);
  - a line cut short *inside its last field* by an editor or exporter trimming trailing spaces:
    accepted only when at least one character of the last field remains and the line does not
    end with a space (otherwise it was not trimmed). A missing whole field, e.g. nDA = 3 with only
    two DA present, is a ``line_length`` error: the counters and the content disagree. A line
    shorter than its fixed part is always rejected, even if only blanks are missing (a RUM with no
    DA, DAD or act whose trailing blank fields were trimmed).
* Numeric fields keep their text, stripped of spaces (``' 1'`` -> ``'1'``): the rules decide.

Each structural error carries, as ``fg_code``, the official grouper control that makes the same
check (pmsi-formats.md §6.2), so the DIM sees the code its grouper would have raised: C059 "format
de RUM inconnu" for an unknown format and for a length that is not the formula's (§2.5), C055/C056
(nDA or nDAD absent / not numeric), C057/C058 (nZA absent / not numeric), C011 (N° de RSS absent).
Control characters and a grouped line whose RUM version disagrees with its format have no FG
control of their own: no ``fg_code``.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from operator import methodcaller
from typing import BinaryIO, Final

from app.core.fixedwidth.fields import control_character_message
from app.core.fixedwidth.text import MAX_LINE_BYTES as MAX_LINE_BYTES
from app.core.fixedwidth.text import decode_line as decode_line
from app.core.fixedwidth.text import iter_lines as iter_lines
from app.core.line_errors import LineError
from app.ingestion.layouts import (
    DIAGNOSIS_LENGTH,
    GROUPED_PREFIX,
    GROUPED_PREFIX_LENGTH,
    GROUPED_VERSIONS,
    LAYOUTS,
    RUM_VERSIONS,
    Field,
    Target,
    field_at,
    format_code,
)
from app.ingestion.records import Act, Rss, Rum

# FG controls (pmsi-formats.md §6.2) raised for the same checks as the parser's structural errors.
FG_UNKNOWN_FORMAT: Final = "C059"  # "format de RUM inconnu", also raised when the length is not the formula's
FG_RSS_NUMBER_MISSING: Final = "C011"
# Counter -> (FG code when blank, FG code when not numeric).
FG_COUNTER_CODES: Final[Mapping[str, tuple[str, str]]] = {
    "n_da": ("C055", "C056"),
    "n_dad": ("C055", "C056"),
    "n_za": ("C057", "C058"),
}

ENCODING_NOTE = (
    "Encoding is not specified by ATIH. Each line is decoded as UTF-8 and, if that fails, as Latin-1. "
    "Positions are counted in decoded characters, so a UTF-8 multi-byte character occupies one "
    "column. Control characters (0x00-0x1F other than the line terminators, 0x7F, and 0x80-0x9F) are "
    "structural errors (code invalid_character, naming the column and field): a TAB or NUL "
    "shifts or hides fixed-width fields, and the bytes 0x80-0x9F of a line that is not UTF-8 are "
    "the undecodable ones, which Latin-1 leaves as control codes (Windows-1252 exports write "
    "characters such as the euro sign or curly quotes there, which no PMSI field holds). "
    "A CR is a terminator only at the end of a line."
)

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1 (ENCODING_NOTE)
# Control bytes are never part of a UTF-8 multi-byte sequence, so they can be spotted before decoding;
# translate + memchr is several times faster than a regex or str.isprintable on a whole line.
_CONTROL_MAP = bytes(0 if byte < 0x20 or byte == 0x7F else 1 for byte in range(256))
_SUPPORTED = f"{RUM_VERSIONS[0]}-{RUM_VERSIONS[-1]}, {GROUPED_VERSIONS[0]}-{GROUPED_VERSIONS[-1]}"

# After the control-character check, the only ASCII whitespace left is the space, so the fast
# argument-less str.strip is exact on ASCII lines; other lines must not lose e.g. U+00A0.
_strip_spaces: Callable[[str], str] = methodcaller("strip", " ")


_EMPTY = slice(0, 0)  # yields "" for a record attribute this format does not carry

# Rum is built positionally (about twice as fast as keywords): line, version, grouped, then the
# text fields in declaration order, then extra, das, dads, acts.
_RUM_HEAD = ("line", "version", "grouped")
_RUM_TAIL = ("extra", "das", "dads", "acts")
_RUM_FIELDS = tuple(f.name for f in fields(Rum))
_RUM_TEXT_FIELDS = _RUM_FIELDS[len(_RUM_HEAD) : len(_RUM_FIELDS) - len(_RUM_TAIL)]
_ACT_FIELDS = tuple(f.name for f in fields(Act))
if (
    _RUM_FIELDS[: len(_RUM_HEAD)] != _RUM_HEAD
    or _RUM_FIELDS[-len(_RUM_TAIL) :] != _RUM_TAIL
    or any(f.default != "" for f in fields(Rum) if f.name in _RUM_TEXT_FIELDS)
    or any(f.default != "" for f in fields(Act))
    or len(_RUM_TEXT_FIELDS) != 29
    or len(_ACT_FIELDS) != 12
):
    raise RuntimeError("records.Rum/Act changed shape: update app.ingestion.parser (_RUM_HEAD/_RUM_TAIL)")


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashed by identity, cheap as a cache key
class _Plan:
    """Everything parse_line needs for one format code, precomputed once."""

    version: str
    grouped: bool
    offset: int
    fixed_length: int  # including the grouped prefix
    act_length: int
    # builtins.slice: a bare `slice` annotation is not resolved by mypyc's dataclass support
    rss: builtins.slice
    counters: tuple[slice, slice, slice]
    all_counters: builtins.slice  # nDA, nDAD and nZA are contiguous (positions 119-125)
    counter_fields: tuple[Field, Field, Field]
    fixed_slices: tuple[slice, ...]  # Rum text fields (declaration order), then extra fields
    n_text: int  # number of Rum text fields at the head of fixed_slices
    n_fixed: int  # len(fixed_slices)
    extra_names: tuple[str, ...]
    act_slices: tuple[slice, ...]  # relative to the act zone, in Act declaration order
    act_last_width: int


def _make_plan(version: str, grouped: bool) -> _Plan:
    rum_layout = LAYOUTS[version]
    offset = GROUPED_PREFIX_LENGTH if grouped else 0
    by_name: dict[str, slice] = {}
    for item in rum_layout.fixed:
        if item.target is Target.RUM:
            by_name[item.name] = item.slice(offset)
    if grouped:
        for item in GROUPED_PREFIX:
            if item.target is Target.RUM:
                by_name[item.name] = item.slice()
    extras = rum_layout.extra_fields()
    act_by_name = {item.name: item.slice() for item in rum_layout.act}
    counter_fields = (rum_layout.field("n_da"), rum_layout.field("n_dad"), rum_layout.field("n_za"))
    return _Plan(
        version=version,
        grouped=grouped,
        offset=offset,
        fixed_length=rum_layout.fixed_length + offset,
        act_length=rum_layout.act_length,
        rss=rum_layout.field("rss_number").slice(offset),
        counters=(
            counter_fields[0].slice(offset),
            counter_fields[1].slice(offset),
            counter_fields[2].slice(offset),
        ),
        counter_fields=counter_fields,
        all_counters=slice(counter_fields[0].start - 1 + offset, counter_fields[2].end + offset),
        fixed_slices=(
            *(by_name.get(name, _EMPTY) for name in _RUM_TEXT_FIELDS),
            *(item.slice(offset) for item in extras),
        ),
        n_text=len(_RUM_TEXT_FIELDS),
        n_fixed=len(_RUM_TEXT_FIELDS) + len(extras),
        extra_names=tuple(item.name for item in extras),
        act_slices=tuple(act_by_name.get(name, _EMPTY) for name in _ACT_FIELDS),
        act_last_width=rum_layout.act[-1].length,
    )


_PLANS: dict[str, _Plan] = {
    format_code(version, grouped): _make_plan(version, grouped)
    for version in RUM_VERSIONS
    for grouped in (False, True)
}


_N_ACT_FIELDS = len(_ACT_FIELDS)
_CACHED_MAX_ZONES = 64  # bounds the spans cache's memory whatever the counters of hostile input


def _build_spans(plan: _Plan, n_da: int, n_dad: int, n_za: int) -> list[tuple[int, int]]:
    """The (start, stop) of every value of a line with these counters: Rum text fields, extras,
    DA, DAD, then act fields; (0, 0) for a record attribute the format does not carry.

    Compiled (app.core.compiled), one comprehension slicing and stripping with these int pairs is
    about twice as fast as a single itemgetter of slices mapped through str.strip, which was the
    fastest way interpreted.
    """
    spans = [(s.start, s.stop) for s in plan.fixed_slices]
    start = plan.fixed_length
    for _ in range(n_da + n_dad):
        spans.append((start, start + DIAGNOSIS_LENGTH))
        start += DIAGNOSIS_LENGTH
    for _ in range(n_za):
        spans.extend((0, 0) if s == _EMPTY else (s.start + start, s.stop + start) for s in plan.act_slices)
        start += plan.act_length
    return spans


_SPANS: dict[tuple[_Plan, int, int, int], list[tuple[int, int]]] = {}
_SPANS_MAX = 1024


def _spans(plan: _Plan, n_da: int, n_dad: int, n_za: int) -> list[tuple[int, int]]:
    """Spans for a counters combination; a plain dict is cheaper per line than functools.lru_cache."""
    key = (plan, n_da, n_dad, n_za)
    spans = _SPANS.get(key)
    if spans is None:
        spans = _build_spans(plan, n_da, n_dad, n_za)
        if n_da + n_dad + n_za <= _CACHED_MAX_ZONES:
            if len(_SPANS) >= _SPANS_MAX:
                _SPANS.clear()  # real files use a few dozen combinations: no need for LRU order
            _SPANS[key] = spans
    return spans


# --------------------------------------------------------------------------------------------------
# Lines


_NUMBER_END = 64  # the N° de RSS ends at 32, or 47 on a grouped line


def _rss_number_of(text: str) -> str | None:
    """Best-effort RSS number of a broken line, so that its whole RSS is rejected with it.

    A "1xx" code is taken as grouped only if a plausible RUM version ("0" + 2 digits) follows at
    25-27; otherwise the line is read as non-grouped. Lines whose code is not 3 digits get None.
    """
    code = text[9:12]
    if len(code) != 3 or not code.isascii() or not code.isdigit() or code[0] not in "01":
        return None
    rum_version = text[24:27]
    grouped = code[0] == "1" and rum_version[:1] == "0" and rum_version.isascii() and rum_version.isdigit()
    offset = GROUPED_PREFIX_LENGTH if grouped else 0
    if len(text) < 32 + offset:
        return None
    return text[12 + offset : 32 + offset].strip(" ") or None


def rss_number_of_line(raw: bytes) -> str | None:
    """The N° de RSS of a raw line as `iter_rss` groups it (None when unreadable), read without
    parsing the line: where a file may be cut into blocks of whole RSS, or its numbers listed
    (app.ingestion.splits)."""
    head = raw[:_NUMBER_END]
    if head.isascii():  # both decodings of the line start with these characters
        return _rss_number_of(head.decode("ascii"))
    return _rss_number_of(decode_line(raw))


def _counter(raw: str) -> int | None:
    """nDA/nDAD/nZA: zero-filled per ATIH, but space-filled on the left is accepted."""
    if raw.isascii() and raw.isdigit():
        return int(raw)
    digits = raw.lstrip(" ")
    if digits and digits.isascii() and digits.isdigit():
        return int(digits)
    return None


def _positions(item: Field, offset: int) -> str:
    return f"{item.start + offset}-{item.end + offset}" if item.length > 1 else str(item.start + offset)


def _invalid_character(text: str, line_no: int, match: re.Match[str]) -> LineError:
    column = match.start() + 1
    name: str | None = None
    plan = _PLANS.get(text[9:12])
    if plan is not None and column <= plan.fixed_length:
        name = field_at(plan.version, plan.grouped, column)
    elif plan is not None and len(text) >= plan.fixed_length:
        n_da, n_dad = _counter(text[plan.counters[0]]), _counter(text[plan.counters[1]])
        if n_da is not None and n_dad is not None:
            name = field_at(plan.version, plan.grouped, column, n_da, n_dad)
    return LineError(
        line_no,
        name,
        "invalid_character",
        control_character_message(text, column, name),
        _rss_number_of(text),
    )


def parse_line(raw: bytes, line_no: int) -> Rum | LineError:
    """Cut one RUM line (grouped or not; without its terminator) into a `Rum`, or explain why not."""
    if raw[-1:] == b"\r":
        raw = raw[:-1]
    return parse_decoded(raw, decode_line(raw), line_no)


def parse_decoded(raw: bytes, text: str, line_no: int) -> Rum | LineError:
    """`parse_line` for a caller that already decoded the line (`text` = `decode_line(raw)`; `raw`
    without its terminator), and keeps the text."""
    # C0 bytes decode to themselves; C1 characters come only from non-ASCII bytes.
    ascii_text = text.isascii()
    if 0 in raw.translate(_CONTROL_MAP) or not ascii_text:
        match = _CONTROL.search(text)
        if match is not None:
            return _invalid_character(text, line_no, match)
    plan = _PLANS.get(text[9:12])
    if plan is None:
        return _format_error(text, line_no)
    length = len(text)
    if length < plan.fixed_length:
        number = _rss_number_of(text)
        # Cut before the end of its N° de RSS (a truncated transfer): `iter_rss` rejects it with the
        # RSS before it, whose last RUM it most likely is (field "rss_number" says so).
        cut = "" if number is not None else ", cut before the end of its N° de RSS"
        return LineError(
            line_no,
            None if number is not None else "rss_number",
            "line_length",
            f"line of {length} characters is shorter than the fixed part of format "
            f"{text[9:12]} ({plan.fixed_length} characters){cut}",
            number,
            FG_UNKNOWN_FORMAT,
        )
    if plan.grouped and text[24:27] != plan.version:
        return LineError(
            line_no,
            "version",
            "version_mismatch",
            f"grouped format {text[9:12]} requires RUM format {plan.version} at positions 25-27, "
            f"found {text[24:27]!r}",
            _rss_number_of(text),
        )
    strip: Callable[[str], str] = str.strip if ascii_text else _strip_spaces
    rss_number = strip(text[plan.rss])
    if not rss_number:
        return LineError(
            line_no,
            "rss_number",
            "missing_rss_number",
            f"N° de RSS (positions {_positions(LAYOUTS[plan.version].field('rss_number'), plan.offset)}) "
            "is blank",
            fg_code=FG_RSS_NUMBER_MISSING,
        )
    counters = text[plan.all_counters]
    if counters.isascii() and counters.isdigit():  # the usual zero-filled case, in one test
        n_da, n_dad, n_za = int(counters[0:2]), int(counters[2:4]), int(counters[4:7])
    else:
        da_slice, dad_slice, za_slice = plan.counters
        maybe_da = _counter(text[da_slice])
        maybe_dad = _counter(text[dad_slice])
        maybe_za = _counter(text[za_slice])
        if maybe_da is None or maybe_dad is None or maybe_za is None:
            return _counter_error(text, line_no, plan, rss_number)
        n_da, n_dad, n_za = maybe_da, maybe_dad, maybe_za
    expected = plan.fixed_length + DIAGNOSIS_LENGTH * (n_da + n_dad) + plan.act_length * n_za
    if length != expected:
        fixed_text = _fix_length(text, expected, plan, n_za)
        if fixed_text is None:
            return LineError(
                line_no,
                None,
                "line_length",
                f"format {text[9:12]} with nDA={n_da}, nDAD={n_dad}, nZA={n_za} expects {expected} "
                f"characters, got {length}",
                rss_number,
                FG_UNKNOWN_FORMAT,
            )
        text = fixed_text

    spans = _spans(plan, n_da, n_dad, n_za)
    if ascii_text:
        values = [text[start:stop].strip() for start, stop in spans]
    else:
        values = [text[start:stop].strip(" ") for start, stop in spans]
    n_text = plan.n_text
    das_start = plan.n_fixed
    dads_start = das_start + n_da
    acts_start = dads_start + n_dad
    names = plan.extra_names
    extra = {names[k]: values[n_text + k] for k in range(len(names))}
    acts = [_act(values, i) for i in range(acts_start, len(values), _N_ACT_FIELDS)]
    # Every argument written out (the 29 text fields in declaration order, checked at import):
    # compiled, a call with a starred list goes through the generic call protocol, about a
    # fifth of parsing a line; this one is a direct native call.
    v = values
    return Rum(
        line_no, plan.version, plan.grouped,
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
        v[15], v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26], v[27], v[28],
        extra, values[das_start:dads_start], values[dads_start:acts_start], acts,
    )  # fmt: skip


def _act(values: list[str], i: int) -> Act:
    """The act whose fields start at values[i] (see `parse_decoded` on writing them out)."""
    v = values
    return Act(
        v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5],
        v[i + 6], v[i + 7], v[i + 8], v[i + 9], v[i + 10], v[i + 11],
    )  # fmt: skip


def _fix_length(text: str, expected: int, plan: _Plan, n_za: int) -> str | None:
    """Apply the two documented length tolerances; None when the line really is malformed.

    Only called for lines holding at least their fixed part, so when the line is short the
    expected last field is an act zone's last field or a DA/DAD.
    """
    length = len(text)
    if length > expected:
        return text[:expected] if not text[expected:].strip(" ") else None
    last_width = plan.act_last_width if n_za else DIAGNOSIS_LENGTH
    if expected - length < last_width and text[-1] != " ":
        return text.ljust(expected)
    return None


def _format_error(text: str, line_no: int) -> LineError:
    if len(text) < 12:
        return LineError(
            line_no,
            None,
            "line_length",
            f"line of {len(text)} characters is too short to hold a RUM (format code at positions 10-12)",
            fg_code=FG_UNKNOWN_FORMAT,
        )
    return LineError(
        line_no,
        "version",
        "unknown_format",
        f"unknown format {text[9:12]!r} at positions 10-12 (supported: {_SUPPORTED})",
        _rss_number_of(text),
        FG_UNKNOWN_FORMAT,
    )


def _counter_error(text: str, line_no: int, plan: _Plan, rss_number: str) -> LineError:
    for item, piece in zip(plan.counter_fields, plan.counters, strict=True):
        raw = text[piece]
        if _counter(raw) is None:
            blank, not_numeric = FG_COUNTER_CODES[item.name]
            return LineError(
                line_no,
                item.name,
                "not_numeric",
                f"counter {item.name} (positions {_positions(item, plan.offset)}) is not numeric: {raw!r}",
                rss_number,
                blank if not raw.strip(" ") else not_numeric,
            )
    raise AssertionError("unreachable: _counter_error called with valid counters")


def iter_records(stream: BinaryIO | Iterable[bytes]) -> Iterator[Rum | LineError]:
    """``parse_line`` over ``iter_lines``: one item per non-blank line, lazily."""
    for line_no, raw in iter_lines(stream):
        yield parse_line(raw, line_no)


# --------------------------------------------------------------------------------------------------
# RSS grouping


@dataclass(slots=True)
class RssResult:
    """One RSS (the consecutive lines sharing an N° de RSS), accepted or rejected as a whole."""

    rss: Rss | None  # None when any of its lines has a structural error
    errors: list[LineError] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # every line of the group, accepted or not
    rss_number: str | None = None  # None only for a broken line whose RSS number is unreadable

    @property
    def accepted(self) -> bool:
        return self.rss is not None


def _result(rss_number: str | None, rums: list[Rum], errors: list[LineError], lines: list[int]) -> RssResult:
    if errors or rss_number is None:
        return RssResult(None, errors, lines, rss_number)
    return RssResult(Rss(rss_number, rums), errors, lines, rss_number)


def _cut_in_number(error: LineError) -> bool:
    """A RUM line (its format read) cut before the end of its N° de RSS (`parse_decoded`)."""
    return error.code == "line_length" and error.field == "rss_number" and error.rss_number is None


def iter_rss(items: Iterable[Rum | LineError]) -> Iterator[RssResult]:
    """Group consecutive items by N° de RSS.

    A group containing a LineError is rejected atomically (its valid RUMs are dropped too: a RSS
    missing one RUM would be grouped differently). A LineError without a readable RSS number is a
    group of its own, except a RUM line cut before the end of its N° de RSS (`_cut_in_number`):
    that one joins the group before it, which is then rejected. Such a line is most likely the
    RSS's last RUM cut by a truncated transfer, and storing the RSS without it would replace the
    stored version by one RUM short; when it was the first RUM of another RSS, the RSS before it
    is refused for nothing but stays as stored, and the error names it. The same RSS number
    appearing again later starts a new group; detecting such non-consecutive duplicates is left
    to the caller.
    """
    current: str | None = None
    rums: list[Rum] = []
    errors: list[LineError] = []
    lines: list[int] = []
    for item in items:
        key = item.rss_number
        if isinstance(item, LineError) and current is not None and (rums or errors) and _cut_in_number(item):
            item = LineError(item.line, item.field, item.code, item.message, current, item.fg_code)
            key = current
        if (rums or errors) and (key is None or key != current):
            yield _result(current, rums, errors, lines)
            rums, errors, lines = [], [], []
        current = key
        if isinstance(item, LineError):
            errors.append(item)
        else:
            rums.append(item)
        if item.line is not None:
            lines.append(item.line)
        if key is None:  # unreadable RSS number: a rejected group of its own
            yield _result(None, rums, errors, lines)
            rums, errors, lines = [], [], []
    if rums or errors:
        yield _result(current, rums, errors, lines)
