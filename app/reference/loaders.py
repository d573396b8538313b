"""Pure readers for the nomenclature files: CIM-10, CCAM, GHM (and GHM roots), CMD labels.

Each reader takes a path or an open stream (binary or text) and yields typed rows, or a `LineError`
(physical line, canonical column name) for a row it cannot use, then carries on with the next row.
The whole file is read into memory first (nomenclatures are a few megabytes): the encoding and the
separator are detected from its content. A gzip file is decompressed in chunks up to `max_bytes`
(PayloadTooLarge beyond: a decompression bomb stops there).

Accepted input, for every reader (see docs/nomenclatures.md):

* plain or gzip-compressed (detected from the magic bytes, whatever the file name);
* UTF-8 (with or without BOM), else Windows-1252, else Latin-1;
* separator `;`, `,`, tab or `|`: the one most frequent in the header line;
* a header line naming the columns. The canonical layout uses the canonical names below; the column
  names of the ATIH-derived files shipped in shared/data/nomenclatures are recognised as aliases.
  Column order does not matter, unknown columns are ignored, names are case-insensitive.

Canonical layouts (required columns first, optional ones in brackets):

* CIM-10: ``code;label;type_mco[;short_label;ssr_type;psy_type;category]``
* CCAM:   ``code;label;valid_from;valid_to[;short_label;act_type;sex_compatibility;activities]``
* GHM:    ``ghm;label[;year;cmd;domain;domain_label]`` (6-character GHMs or 5-character roots)
* CMD:    ``cmd;label``

Dates are ISO (2024-03-01) or French (01/03/2024); a blank date is None.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Final, Generic, Protocol, TypeVar

from app.core.compression import decompressed
from app.core.config import DEFAULT_MAX_DECOMPRESSED_BYTES
from app.core.line_errors import LineError

Source = str | os.PathLike[str] | IO[bytes] | IO[str]
R = TypeVar("R")

_SEPARATORS: Final = (";", ",", "\t", "|")
_CIM_CODE: Final = re.compile(r"[A-Z][0-9]{2}[0-9A-Z+]{0,3}")
_CCAM_CODE: Final = re.compile(r"[A-Z]{4}[0-9]{3}")
_GHM: Final = re.compile(r"[0-9]{2}[A-Z][0-9]{2}[0-9A-Z]?")
_CMD: Final = re.compile(r"[0-9]{2}")
_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FR_DATE: Final = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


@dataclass(frozen=True, slots=True)
class CimRow:
    code: str  # no dot, upper case: "E119", "Z5188"
    label: str
    type_mco: int  # ATIH "type MCO" restriction, 0-4
    short_label: str = ""
    ssr_type: str = ""  # ATIH SSR/SMR restriction flags, e.g. "NOOO"
    psy_type: str = ""
    category: str = ""  # 3-character category


@dataclass(frozen=True, slots=True)
class CcamRow:
    code: str  # 7 characters
    label: str
    valid_from: date | None
    valid_to: date | None  # as given by the source ("date de fin"); None = still valid
    short_label: str = ""
    act_type: str = ""
    sex_compatibility: str = ""
    activities: tuple[str, ...] = ()  # CCAM activity codes, when the source lists them


@dataclass(frozen=True, slots=True)
class GhmRow:
    ghm: str  # 6-character GHM, or 5-character root
    label: str
    cmd: str  # the first two characters unless the file gives it
    year: int | None = None  # classification year (the ATIH "anseqta"), when the file has several
    domain: str = ""  # domaine d'activité, e.g. "D27"
    domain_label: str = ""

    @property
    def is_root(self) -> bool:
        return len(self.ghm) == 5


@dataclass(frozen=True, slots=True)
class CmdRow:
    cmd: str
    label: str


@dataclass(frozen=True, slots=True)
class _Columns:
    required: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]]  # canonical name -> accepted header names, canonical first


_CIM_COLUMNS: Final = _Columns(
    ("code", "label", "type_mco"),
    {
        "code": ("code",),
        "label": ("label", "lib_long", "libelle_long", "libelle"),
        "type_mco": ("type_mco", "tr"),
        "short_label": ("short_label", "lib_court", "libelle_court"),
        "ssr_type": ("ssr_type", "tssr"),
        "psy_type": ("psy_type", "tpsy"),
        "category": ("category", "categorie"),
    },
)
_CCAM_COLUMNS: Final = _Columns(
    ("code", "label", "valid_from", "valid_to"),
    {
        "code": ("code",),
        "label": ("label", "libelle_long", "libelle"),
        "valid_from": ("valid_from", "date_debut"),
        "valid_to": ("valid_to", "date_fin"),
        "short_label": ("short_label", "libelle_court"),
        "act_type": ("act_type", "type_acte"),
        "sex_compatibility": ("sex_compatibility", "compatibilite_sexe"),
        "activities": ("activities",),
    },
)
_GHM_COLUMNS: Final = _Columns(
    ("ghm", "label"),
    {
        "ghm": ("ghm", "racine"),
        "label": ("label", "libelle_ghm", "libelle_racine", "libelle"),
        "year": ("year", "anseqta"),
        "cmd": ("cmd",),
        "domain": ("domain", "da"),
        "domain_label": ("domain_label", "libelle_da"),
    },
)
_CMD_COLUMNS: Final = _Columns(
    ("cmd", "label"),
    {"cmd": ("cmd",), "label": ("label", "libelle_cmd", "libelle")},
)


def _read_bytes(source: Source) -> bytes | str:
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    return source.read()


def _decode(data: bytes, max_bytes: int, what: str) -> str:
    plain = decompressed(data, max_bytes, what=what)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return plain.decode(encoding)
        except UnicodeDecodeError:
            continue
    return plain.decode("latin-1")


def _rows(
    source: Source, columns: _Columns, what: str, max_bytes: int
) -> Iterator[tuple[int, dict[str, str]] | LineError]:
    """(line, {canonical column: stripped value}) per non-blank row, or a LineError."""
    raw = _read_bytes(source)
    text = _decode(raw, max_bytes, what) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    separator = max(_SEPARATORS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader, None)
    if header is None:
        yield LineError(None, None, "empty_file", f"the {what} file is empty")
        return
    names = [name.strip().lower() for name in header]
    index: dict[str, int] = {}
    for canonical, aliases in columns.aliases.items():
        found = next((alias for alias in aliases if alias in names), None)
        if found is not None:
            index[canonical] = names.index(found)
    missing = [name for name in columns.required if name not in index]
    if missing:
        yield LineError(
            1,
            missing[0],
            "unknown_layout",
            f"the {what} header lacks the column(s) {', '.join(missing)}; expected at least "
            f"{separator.join(columns.required)}",
        )
        return
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        short = next((name for name in columns.required if index[name] >= len(row)), None)
        if short is not None:
            yield LineError(reader.line_num, short, "missing_column", f"the row has no {short} column")
            continue
        yield reader.line_num, {name: row[i].strip() if i < len(row) else "" for name, i in index.items()}


def _parse_date(value: str) -> date | None:
    """ISO or JJ/MM/AAAA; ValueError when neither."""
    if not value:
        return None
    match = _ISO_DATE.fullmatch(value)
    if match is not None:
        return date(int(match[1]), int(match[2]), int(match[3]))
    match = _FR_DATE.fullmatch(value)
    if match is not None:
        return date(int(match[3]), int(match[2]), int(match[1]))
    raise ValueError(value)


@dataclass(frozen=True, slots=True)
class Layout(Generic[R]):
    """One kind of file: its columns, its name in messages (`what`), and what makes a record a
    duplicate: `unique(record)` is (key, field, message), and a row whose key an earlier row had is
    refused as a duplicate_code."""

    columns: _Columns
    what: str
    unique: Callable[[R], tuple[Hashable, str, str]]

    def read(
        self, source: Source, max_bytes: int, row: Callable[[int, dict[str, str]], R | LineError]
    ) -> Iterator[R | LineError]:
        """What `row` makes of each row of the file, or the LineError it gives instead."""
        seen: set[Hashable] = set()
        for item in _rows(source, self.columns, self.what, max_bytes):
            if isinstance(item, LineError):
                yield item
                continue
            line, values = item
            made = row(line, values)
            if isinstance(made, LineError):
                yield made
                continue
            key, field, message = self.unique(made)
            if key in seen:
                yield LineError(line, field, "duplicate_code", message)
                continue
            seen.add(key)
            yield made


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


def _by_code(row: _Coded) -> tuple[Hashable, str, str]:
    return row.code, "code", f"{row.code} is listed twice"


def _coded(
    column: str,
    pattern: re.Pattern[str],
    described: str,
    build: Callable[[int, str, dict[str, str]], R | LineError],
    normalised: Callable[[str], str] = str.upper,
) -> Callable[[int, dict[str, str]], R | LineError]:
    """The row of a nomenclature: its code (`values[column]`, normalised) must match `pattern`, else
    an invalid_code error says it is not `described`, and its label must be given; `build` makes the
    record of the line, the normalised code and the row."""

    def row(line: int, values: dict[str, str]) -> R | LineError:
        code = normalised(values[column])
        if not pattern.fullmatch(code):
            return LineError(line, column, "invalid_code", f"{values[column]!r} is not {described}")
        if not values["label"]:
            return LineError(line, "label", "missing_value", "label is blank")
        return build(line, code, values)

    return row


def _cim_code(raw: str) -> str:
    """No dot, no space, upper case: "e11.9" is E119."""
    return raw.replace(".", "").replace(" ", "").upper()


def _cim_row(line: int, code: str, values: dict[str, str]) -> CimRow | LineError:
    raw_type = values["type_mco"]
    if raw_type not in {"0", "1", "2", "3", "4"}:
        return LineError(line, "type_mco", "invalid_value", f"type MCO {raw_type!r} of {code} is not 0-4")
    return CimRow(
        code,
        values["label"],
        int(raw_type),
        values.get("short_label", ""),
        values.get("ssr_type", ""),
        values.get("psy_type", ""),
        values.get("category", ""),
    )


_CIM10: Final[Layout[CimRow]] = Layout(_CIM_COLUMNS, "CIM-10", _by_code)
_CIM10_ROW: Final = _coded("code", _CIM_CODE, "a CIM-10 code", _cim_row, _cim_code)


def read_cim10(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[CimRow | LineError]:
    """CIM-10 codes with their ATIH type MCO restriction."""
    return _CIM10.read(source, max_bytes, _CIM10_ROW)


def _ccam_row(line: int, code: str, values: dict[str, str]) -> CcamRow | LineError:
    parsed = _validity(line, code, values)
    if isinstance(parsed, LineError):
        return parsed
    return CcamRow(
        code,
        values["label"],
        parsed[0],
        parsed[1],
        values.get("short_label", ""),
        values.get("act_type", ""),
        values.get("sex_compatibility", ""),
        tuple(char for char in values.get("activities", "") if char.isdigit()),
    )


def _validity(line: int, code: str, values: dict[str, str]) -> tuple[date | None, date | None] | LineError:
    dates: list[date | None] = []
    for name in ("valid_from", "valid_to"):
        try:
            dates.append(_parse_date(values[name]))
        except ValueError:
            return LineError(line, name, "invalid_date", f"{name} {values[name]!r} of {code} is not a date")
    start, end = dates
    if start is not None and end is not None and end < start:
        return LineError(line, "valid_to", "invalid_range", f"{code} ends before it starts")
    return start, end


_CCAM: Final[Layout[CcamRow]] = Layout(_CCAM_COLUMNS, "CCAM", _by_code)
_CCAM_ROW: Final = _coded("code", _CCAM_CODE, "a CCAM code", _ccam_row)


def read_ccam(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[CcamRow | LineError]:
    """CCAM acts with their validity dates."""
    return _CCAM.read(source, max_bytes, _CCAM_ROW)


def _ghm_row(line: int, ghm: str, values: dict[str, str]) -> GhmRow | LineError:
    raw_year = values.get("year", "")
    if raw_year and not (raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4):
        return LineError(line, "year", "invalid_value", f"year {raw_year!r} of {ghm} is not a year")
    cmd = values.get("cmd", "") or ghm[:2]
    if cmd != ghm[:2]:
        return LineError(line, "cmd", "invalid_value", f"CMD {cmd!r} does not match {ghm}")
    year = int(raw_year) if raw_year else None
    return GhmRow(ghm, values["label"], cmd, year, values.get("domain", ""), values.get("domain_label", ""))


_GHMS: Final[Layout[GhmRow]] = Layout(
    _GHM_COLUMNS,
    "GHM",
    lambda row: ((row.ghm, row.year), "ghm", f"{row.ghm} is listed twice for the same year"),
)
_GHM_ROW: Final = _coded("ghm", _GHM, "a GHM or GHM root", _ghm_row)


def read_ghm(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[GhmRow | LineError]:
    """GHMs (6 characters) or GHM roots (5 characters) with their labels, per year when given."""
    return _GHMS.read(source, max_bytes, _GHM_ROW)


_CMDS: Final[Layout[CmdRow]] = Layout(
    _CMD_COLUMNS, "CMD", lambda row: (row.cmd, "cmd", f"CMD {row.cmd} is listed twice")
)
_CMD_ROW: Final = _coded("cmd", _CMD, "a 2-digit CMD", lambda line, cmd, values: CmdRow(cmd, values["label"]))


def read_cmd_labels(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[CmdRow | LineError]:
    """CMD (catégories majeures de diagnostic) labels."""
    return _CMDS.read(source, max_bytes, _CMD_ROW)
