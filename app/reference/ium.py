"""Fichier d'information des UM (IUM, FICUM): parser and writer of the 28-character lines.

Layout (1-based, inclusive): 1-4 unit, 5-13 FINESS géographique, 14-16 authorisation type
(left-aligned), 17-24 date d'effet JJMMAAAA, 25-27 number of beds (optional, right-aligned,
zero-filled), 28 hospitalisation mode (C complète, P partielle, M mixte).

`parse_ium` checks the format only (what DRUIDES reports as 001, 005, 007, 008, 009, 999) and keeps
every well-formed line; referential checks (type known, mode allowed for the type, type 72 after
1 March 2019) are in `check_authorisation`, so a hospital whose file uses a code missing from our
table still gets its units loaded.

Leniency: LF or CRLF; UTF-8 or Latin-1; blank lines skipped; a line may stop after the date when the
beds and mode are blank (trailing blanks stripped by an editor); trailing spaces after column 28 are
ignored. The fictitious units `$$$1`, `$$$2` and `$$$$` are ordinary units here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from app.core.dates import DATE_OUT_OF_RANGE, RANGE_TEXT, in_range
from app.core.fixedwidth.fields import Field, Kind, check_contiguous, control_character_at
from app.core.fixedwidth.text import decode_line, iter_lines, pad
from app.core.line_errors import LineError
from app.ingestion.records import as_date
from app.reference.authorisation_types import lookup

LAYOUT: Final = (
    Field("unit", 1, 4),
    Field("finess_geo", 5, 9),
    Field("auth_type", 14, 3),  # left-aligned
    Field("effect_date", 17, 8),
    Field("beds", 25, 3, Kind.NUMERIC),
    Field("hosp_mode", 28, 1),
)
check_contiguous(LAYOUT, "fichier d'UM")
_UNIT, _FINESS, _AUTH_TYPE, _EFFECT_DATE, _BEDS, _MODE = (item.slice() for item in LAYOUT)
LINE_LENGTH: Final = LAYOUT[-1].end
_MIN_LENGTH: Final = 24  # up to the date d'effet; beds and mode may be left out when blank
MODES: Final = frozenset({"C", "P", "M"})
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class IumLine:
    line: int
    unit: str
    finess_geo: str
    auth_type: str  # as found, stripped: "29", "01A"
    effect_date_raw: str  # JJMMAAAA as found
    effect_date: date | None  # None only for lines built by hand without a date
    beds: int | None  # None when blank
    hosp_mode: str  # "C", "P", "M" or "" when blank

    @property
    def facility_wide(self) -> bool:
        """Fictitious units carrying facility-wide authorisations ($$$1, $$$2, $$$$)."""
        return self.unit.startswith("$$$")


def _parse_line(text: str, line_no: int) -> IumLine | LineError:
    control = _CONTROL.search(text)
    if control is not None:
        name, message = control_character_at(LAYOUT, text, control.start() + 1)
        return LineError(line_no, name, "control_character", message)
    length = len(text)
    if length > LINE_LENGTH and not text[LINE_LENGTH:].strip():
        text = text[:LINE_LENGTH]
        length = LINE_LENGTH
    if not _MIN_LENGTH <= length <= LINE_LENGTH:
        return LineError(
            line_no, None, "line_length", f"fichier d'UM line of {length} characters, {LINE_LENGTH} expected"
        )
    text = text.ljust(LINE_LENGTH)
    unit = text[_UNIT].strip()
    if not unit:
        return LineError(line_no, "unit", "missing_unit", "the unit number is blank")
    finess = text[_FINESS].strip()
    if not finess:
        return LineError(line_no, "finess_geo", "missing_finess", "the FINESS géographique is blank")
    auth_type = text[_AUTH_TYPE].strip()
    if not auth_type:
        return LineError(
            line_no, "auth_type", "missing_authorisation_type", "the authorisation type is blank"
        )
    raw_date = text[_EFFECT_DATE]
    effect = as_date(raw_date)
    if effect is None:
        return LineError(
            line_no,
            "effect_date",
            "invalid_date",
            f"date d'effet {raw_date.strip()!r} is not a JJMMAAAA date",
        )
    if not in_range(effect):
        # As everywhere else (a structure's authorisations are held to it): a typo such as 2500 was
        # stored, and GET /structure then gave an authorisation PUT /structure refuses.
        return LineError(
            line_no,
            "effect_date",
            DATE_OUT_OF_RANGE,
            f"date d'effet {effect.isoformat()} is outside the accepted range ({RANGE_TEXT})",
        )
    raw_beds = text[_BEDS].strip()
    if raw_beds and not (raw_beds.isascii() and raw_beds.isdigit()):
        return LineError(line_no, "beds", "not_numeric", f"number of beds {raw_beds!r} is not a number")
    mode = text[_MODE].strip()
    if mode and mode not in MODES:
        return LineError(
            line_no, "hosp_mode", "unknown_mode", f"hospitalisation mode {mode!r} is not C, P or M"
        )
    return IumLine(
        line_no,
        unit,
        finess,
        auth_type,
        raw_date,
        effect,
        int(raw_beds) if raw_beds else None,
        mode,
    )


def parse_ium(body: bytes) -> tuple[list[IumLine], list[LineError]]:
    """All the lines of a fichier d'UM: the well-formed ones and the errors of the others."""
    lines: list[IumLine] = []
    errors: list[LineError] = []
    for line_no, raw in iter_lines((body,)):
        parsed = _parse_line(decode_line(raw), line_no)
        if isinstance(parsed, IumLine):
            lines.append(parsed)
        else:
            errors.append(parsed)
    return lines, errors


def check_authorisation(line: IumLine) -> list[LineError]:
    """Referential checks of one line against the built-in authorisation types."""
    found = lookup(line.auth_type)
    if found is None:
        return [
            LineError(
                line.line,
                "auth_type",
                "unknown_authorisation_type",
                f"authorisation type {line.auth_type!r} is not in the reference table",
            )
        ]
    errors = []
    if found.ended_on is not None and line.effect_date is not None and line.effect_date >= found.ended_on:
        errors.append(
            LineError(
                line.line,
                "auth_type",
                "authorisation_ended",
                f"authorisation type {found.code} is not accepted from {found.ended_on:%d/%m/%Y}",
            )
        )
    if found.modes is not None:
        if not line.hosp_mode:
            errors.append(
                LineError(line.line, "hosp_mode", "missing_mode", "the hospitalisation mode is blank")
            )
        elif line.hosp_mode not in found.modes:
            errors.append(
                LineError(
                    line.line,
                    "hosp_mode",
                    "mode_not_allowed",
                    f"hospitalisation mode {line.hosp_mode} is not allowed for type {found.code}",
                )
            )
    return errors


def check_ium(lines: list[IumLine]) -> list[LineError]:
    """Referential checks of every line, plus the uniqueness of each unit's dates d'effet."""
    errors: list[LineError] = []
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        errors.extend(check_authorisation(line))
        key = (line.unit, line.effect_date_raw)
        first = seen.setdefault(key, line.line)
        if first != line.line:
            errors.append(
                LineError(
                    line.line,
                    "effect_date",
                    "duplicate_effect_date",
                    f"unit {line.unit} already has a line with date d'effet {line.effect_date_raw} "
                    f"(line {first})",
                )
            )
    return errors


def write_ium(line: IumLine) -> str:
    """The 28-character line, without a line end; ValueError when a value does not fit."""
    day = line.effect_date
    effect = line.effect_date_raw if day is None else f"{day.day:02d}{day.month:02d}{day.year:04d}"
    if line.beds is not None and line.beds < 0:
        raise ValueError(f"beds: {line.beds} is negative")
    beds = "" if line.beds is None else str(line.beds)
    values = (line.unit, line.finess_geo, line.auth_type, effect, beds, line.hosp_mode)
    return "".join(
        pad(value, item.length, item.kind, item.name) for value, item in zip(values, LAYOUT, strict=True)
    )
