"""RUM / RSS fixed-width writer, the inverse of app.ingestion.parser (formats 016-023, 116-123).

Padding follows the ATIH rule per field kind: alphanumeric/date values are left-aligned and
space-filled, numeric values right-aligned and zero-filled. An empty value is written as spaces
whatever the kind, so "absent" survives a round trip (ATIH also allows zeros for a missing
numeric; the parser would then read "00", a different value). A non-digit value in a numeric field
(test data for the rules) is right-aligned with spaces rather than refused.

Round trip: ``parse_line(write_rum(r).encode(), r.line) == r`` for *normalized* records, i.e. as the
parser produces them: values without surrounding spaces, numeric values empty or full-width, every
`Rum.extra` key of the version present. ``normalized(r)`` gives that form for any writable record.
"""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields

from app.core.fixedwidth.text import pad
from app.core.line_errors import LineError
from app.ingestion.layouts import (
    DIAGNOSIS_LENGTH,
    GROUPED_PREFIX,
    Field,
    Target,
    field_at,
    format_code,
    layout,
)
from app.ingestion.parser import parse_line
from app.ingestion.records import Act, Rss, Rum

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # what the parser refuses (ENCODING_NOTE)
_DIAGNOSIS = Field("diagnosis", 1, DIAGNOSIS_LENGTH)


def _pad(value: str, item: Field, where: str) -> str:
    return pad(value, item.length, item.kind, where)


def _act_zone(act: Act, fields: tuple[Field, ...], index: int) -> str:
    names = {item.name for item in fields}
    for name in (item.name for item in dataclass_fields(Act)):
        if name not in names and getattr(act, name):
            raise ValueError(f"acts[{index}].{name} does not exist in this format")
    return "".join(_pad(getattr(act, item.name), item, f"acts[{index}].{item.name}") for item in fields)


def write_rum(rum: Rum) -> str:
    """One RUM line, without terminator; an RSS groupé line when ``rum.grouped``.

    nDA / nDAD / nZA are computed from the lists. ValueError when the version is unsupported, a
    value is too long for its field, `extra`, an act or the grouped prefix carries a field the line
    does not have, or a value contains a control character (it would corrupt the file).
    """
    rum_layout = layout(rum.version)
    unknown = set(rum.extra) - {item.name for item in rum_layout.extra_fields()}
    if unknown:
        raise ValueError(f"format {rum.version} has no field(s) {', '.join(sorted(unknown))}")
    if not rum.grouped:
        prefix = [
            item.name for item in GROUPED_PREFIX if item.target is Target.RUM and getattr(rum, item.name)
        ]
        if prefix:
            raise ValueError(f"{', '.join(prefix)} can only be written on a grouped line (rum.grouped)")
    counters = {"n_da": len(rum.das), "n_dad": len(rum.dads), "n_za": len(rum.acts)}
    parts: list[str] = []
    if rum.grouped:
        for item in GROUPED_PREFIX:
            if item.target is Target.FORMAT:
                value = format_code(rum.version, True)
            elif item.target is Target.FILLER:
                value = ""
            else:
                value = getattr(rum, item.name)
            parts.append(_pad(value, item, item.name))
    for item in rum_layout.fixed:
        if item.target is Target.RUM:
            value = getattr(rum, item.name)
        elif item.target is Target.EXTRA:
            value = rum.extra.get(item.name, "")
        elif item.target is Target.COUNTER:
            value = str(counters[item.name])
        elif item.target is Target.FORMAT:
            value = rum.version
        else:
            value = ""
        parts.append(_pad(value, item, item.name))
    parts.extend(_pad(code, _DIAGNOSIS, f"das[{i}]") for i, code in enumerate(rum.das))
    parts.extend(_pad(code, _DIAGNOSIS, f"dads[{i}]") for i, code in enumerate(rum.dads))
    parts.extend(_act_zone(act, rum_layout.act, i) for i, act in enumerate(rum.acts))
    line = "".join(parts)
    match = _CONTROL.search(line)
    if match is not None:
        name = field_at(rum.version, rum.grouped, match.start() + 1, len(rum.das), len(rum.dads))
        raise ValueError(f"control character 0x{ord(match.group()):02X} in field {name}")
    return line


def write_rss(rss: Rss) -> list[str]:
    """The lines of one RSS, in order (the RUMs are expected to share ``rss.rss_number``)."""
    return [write_rum(rum) for rum in rss.rums]


def normalized(rum: Rum) -> Rum:
    """The record as the parser would return it after writing: zero-filled numerics, all extra keys."""
    result = parse_line(write_rum(rum).encode("utf-8"), rum.line)
    if isinstance(result, LineError):
        raise ValueError(f"record cannot be read back: {result.code}: {result.message}")
    return result
