"""Pure readers of the grouper's outputs: RSA lines, TRA lines (fixed-width or DRUIDES `;`), archives.

No database here. Each reader yields a typed record per line, or a `LineError` naming the line, the
field (TRA fields prefixed `tra.`) and the reason; a bad line never stops the next one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.core.fixedwidth.fields import Field
from app.core.fixedwidth.text import decode_line, iter_lines
from app.core.line_errors import LineError
from app.medeco.rsa_layouts import (
    AG_LENGTH,
    RT_LENGTH,
    SUPPLEMENT_CODES,
    TRA_CSV_COLUMNS,
    TRA_FIXED,
    RsaLayout,
    layout,
)

_FORMAT = slice(9, 12)
_TRA_FIXED_LENGTH = TRA_FIXED[-1].end
_TRA_FIELDS = {item.name: item for item in TRA_FIXED}


@dataclass(frozen=True, slots=True)
class RsaRecord:
    line: int
    text: str  # the exact line, kept for re-reading
    format: str
    rsa_index: str
    classification_version: str
    ghm: str  # the GHM of GENRSA (not the one read in the RSS)
    return_code: str
    rum_count: int
    exit_month: int
    exit_year: int
    los: int  # nights: exit date - entry date
    seances: int
    ghs: str | None  # None when blank or 0000
    exh_days: int
    exb_type: str  # NJBEB: blank, 0 (none), 1 (forfait), 2 (per day)
    exb_days: int
    ghs_minore: bool  # TGHSM (formats 222+); False before
    supplements: dict[str, int] = field(default_factory=dict)  # SUPPLEMENT_CODES code -> count, > 0 only
    radiotherapy: dict[str, int] = field(default_factory=dict)  # GHS number -> count


@dataclass(frozen=True, slots=True)
class TraRecord:
    line: int
    rsa_index: str
    rss_number: str
    stay_number: str


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    # The toolkit's reading: LF or CRLF, blank lines skipped, UTF-8 else Latin-1, bounded length.
    for number, raw in iter_lines(io.BytesIO(data)):
        text = decode_line(raw)
        if text.strip():
            yield number, text


def _value(text: str, item: Field) -> str:
    return text[item.start - 1 : item.end]


def _number(text: str, item: Field, line: int) -> int | LineError:
    raw = _value(text, item)
    if not raw.strip():
        return 0
    if not raw.strip().isdigit():
        return LineError(line, item.name, "not_numeric", f"{item.name} must be a number, got {raw!r}")
    return int(raw)


def parse_rsa_line(text: str, line: int) -> RsaRecord | LineError:
    version = text[_FORMAT]
    rsa_layout = layout(version)
    if rsa_layout is None:
        return LineError(line, "format", "unknown_format", f"RSA format {version!r} is not 218-229")
    if len(text) < rsa_layout.fixed_length:
        return LineError(
            line, None, "line_length",
            f"RSA {version} line of {len(text)} characters, shorter than its fixed part "
            f"({rsa_layout.fixed_length})",
        )  # fmt: skip
    numbers: dict[str, int] = {}
    for item in rsa_layout.numeric:
        number = _number(text, item, line)
        if isinstance(number, LineError):
            return number
        numbers[item.name] = number
    counters = (
        numbers.get("n_ag", 0), numbers["n_rt"], numbers["rum_count"], numbers["n_da"], numbers["n_za"]
    )  # fmt: skip
    expected = rsa_layout.expected_length(*counters)
    if len(text.rstrip()) > expected or len(text) < expected - _trailing_blank(rsa_layout):
        return LineError(
            line, None, "line_length",
            f"RSA {version} line of {len(text)} characters; its counters (NAG, NSR, NBRUM, NDA, NZA) "
            f"give {expected}",
        )  # fmt: skip
    radiotherapy = _radiotherapy(text, rsa_layout, counters[0], counters[1], line)
    if isinstance(radiotherapy, LineError):
        return radiotherapy

    def value(name: str) -> str:
        item = rsa_layout.field(name)
        return "" if item is None else _value(text, item)

    ghs = value("ghs").strip()
    if ghs and not ghs.isdigit():
        return LineError(line, "ghs", "not_numeric", f"ghs must be a number, got {ghs!r}")
    return RsaRecord(
        line=line, text=text, format=version, rsa_index=value("rsa_index").strip(),
        classification_version=value("classification_version").strip(), ghm=value("ghm").strip(),
        return_code=value("return_code").strip(), rum_count=numbers["rum_count"],
        exit_month=numbers["exit_month"], exit_year=numbers["exit_year"], los=numbers["los"],
        seances=numbers["seances"], ghs=ghs if ghs and int(ghs) else None, exh_days=numbers["exh_days"],
        exb_type=value("exb_type").strip(), exb_days=numbers["exb_days"],
        ghs_minore=value("ghs_minore") == "1",
        supplements={
            SUPPLEMENT_CODES[item.name]: numbers[item.name]
            for item in rsa_layout.supplements if numbers[item.name]
        },
        radiotherapy=radiotherapy,
    )  # fmt: skip


def _trailing_blank(rsa_layout: RsaLayout) -> int:
    # Some writers trim the trailing blanks of the last act zone (flags left empty): tolerated.
    return rsa_layout.act_length


def _radiotherapy(
    text: str, rsa_layout: RsaLayout, n_ag: int, n_rt: int, line: int
) -> dict[str, int] | LineError:
    found: dict[str, int] = {}
    start = rsa_layout.fixed_length + AG_LENGTH * n_ag
    for index in range(n_rt):
        zone = text[start + RT_LENGTH * index : start + RT_LENGTH * (index + 1)]
        ghs, count = zone[:4].strip(), zone[4:].strip()
        if not (ghs.isdigit() and count.isdigit()):
            return LineError(
                line, f"radiotherapy[{index}]", "not_numeric",
                f"radiotherapy supplement zone {index + 1} must hold a GHS number and a count, got {zone!r}",
            )  # fmt: skip
        found[ghs] = found.get(ghs, 0) + int(count)
    return found


def read_rsa(data: bytes) -> Iterator[RsaRecord | LineError]:
    for number, text in _lines(data):
        yield parse_rsa_line(text.rstrip("\r\n"), number)


def read_tra(data: bytes) -> Iterator[TraRecord | LineError]:
    """Both TRA forms: DRUIDES `;`-separated lines and the fixed-width tra2016 layout (82 characters)."""
    for number, text in _lines(data):
        record = _tra_csv(text, number) if ";" in text else _tra_fixed(text, number)
        yield record


def _tra_csv(text: str, line: int) -> TraRecord | LineError:
    parts = text.split(";")
    if len(parts) < len(TRA_CSV_COLUMNS):
        return LineError(
            line, None, "too_few_fields",
            f"TRA line {line} has {len(parts)} fields; a DRUIDES TRA line has at least "
            f"{len(TRA_CSV_COLUMNS)}",
        )  # fmt: skip
    return _tra_record(line, parts[0].strip(), parts[1].strip(), parts[2].strip())


def _tra_fixed(text: str, line: int) -> TraRecord | LineError:
    if len(text.rstrip()) > _TRA_FIXED_LENGTH or len(text) < _TRA_FIELDS["stay_number"].end:
        return LineError(
            line, None, "line_length",
            f"TRA line {line} of {len(text)} characters; the tra2016 layout has {_TRA_FIXED_LENGTH}",
        )  # fmt: skip
    value = {name: _value(text, item).strip() for name, item in _TRA_FIELDS.items()}
    return _tra_record(line, value["rsa_index"], value["rss_number"], value["stay_number"])


def _tra_record(line: int, rsa_index: str, rss_number: str, stay_number: str) -> TraRecord | LineError:
    if not rsa_index.isdigit():
        return LineError(
            line, "tra.rsa_index", "not_numeric", f"TRA line {line}: the RSA index must be a number"
        )
    if not rss_number:
        return LineError(line, "tra.rss_number", "missing", f"TRA line {line}: the N° de RSS is blank")
    return TraRecord(line, rsa_index.zfill(10), rss_number, stay_number)


@dataclass(frozen=True, slots=True)
class GrouperOutput:
    rsa: bytes
    tra: bytes
    rsa_name: str
    tra_name: str


class ArchiveError(ValueError):
    """The archive cannot be read, or lacks its RSA or TRA member."""


class ArchiveTooLarge(ArchiveError):
    """A member of the archive is over the decompressed size limit."""


def read_archive(data: bytes, max_bytes: int) -> GrouperOutput:
    """The RSA (`*.rsa`) and TRA (`*.tra.txt`, else `*.tra`) members of a DRUIDES/GENRSA `*.out.zip`.

    ArchiveTooLarge when a member would decompress beyond `max_bytes` (checked before reading it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"the archive is not a readable ZIP file: {error}") from None
    with archive:
        names = archive.namelist()
        rsa = [name for name in names if name.lower().endswith(".rsa")]
        tra = [name for name in names if name.lower().endswith(".tra.txt")] or [
            name for name in names if name.lower().endswith(".tra")
        ]
        for what, found in (("RSA (*.rsa)", rsa), ("TRA (*.tra.txt or *.tra)", tra)):
            if len(found) != 1:
                raise ArchiveError(f"the archive must hold exactly one {what} file; it holds {len(found)}")
        for name in (rsa[0], tra[0]):
            if archive.getinfo(name).file_size > max_bytes:
                raise ArchiveTooLarge(f"{name} is larger than {max_bytes} bytes once decompressed")
        try:
            return GrouperOutput(archive.read(rsa[0]), archive.read(tra[0]), rsa[0], tra[0])
        except (zipfile.BadZipFile, OSError, NotImplementedError) as error:
            raise ArchiveError(f"a member of the archive cannot be read: {error}") from None
