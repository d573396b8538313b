"""RHS (SSR/SMR weekly summary) records and fixed-width parser, every version from M09 on.

Like the RUM records, every field keeps the text found in the file stripped of its padding, so rules
can tell "absent" from "not numeric" from "impossible"; typed views are properties. The parser only
reports what prevents reading a line (unknown format, length not matching the counters, non-numeric
counters, missing stay number, control characters); everything else is kept raw for the rules.

Leniency, all deliberate:

* LF or CRLF line ends; each line is decoded as UTF-8, or as Latin-1 when it is not valid UTF-8;
  a UTF-8 byte-order mark on the first line is ignored; blank lines are skipped;
* counters may be space-padded (" 5") as well as zero-filled;
* trailing spaces beyond the expected length are ignored (HIS exports padded to a record length);
* a line may be short of its expected length when the missing characters all fall inside its last
  element (the last DAS/act, or the fixed fields after the counters when there is no variable part):
  editors and transfers strip trailing blanks. The missing characters are read as blanks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import BinaryIO, Final

from app.core.fixedwidth.fields import control_character_at
from app.core.fixedwidth.text import decode_line, iter_lines
from app.core.line_errors import LineError
from app.ingestion.rhs.layouts import GROUPED_VERSIONS, LAYOUTS, RhsLayout, detect_layout

_GME_PARTS: Final = (
    "grouping_code",
    "grouping_subdivision",
    "grouping_root",
    "grouping_weight_level",
    "grouping_severity",
)


@dataclass(slots=True)
class CsarrAct:
    """One CSARR act zone (35 characters)."""

    code: str = ""
    appliance_code: str = ""
    location_modifier: str = ""
    patient_modifier_1: str = ""
    patient_modifier_2: str = ""  # up to M0C/M1C
    technicity_modifier: str = ""  # M0D/M1D, same position as patient_modifier_2
    performer_code: str = ""
    filler: str = ""  # up to M0C/M1C
    technicity_level: str = ""  # M0D/M1D, same position as filler
    count: str = ""
    date: str = ""
    real_patients: str = ""
    performers: str = ""
    doc_extension: str = ""


@dataclass(slots=True)
class CsarAct:
    """One CSAR act zone (30 characters, M0D/M1D only)."""

    code: str = ""
    location_modifier: str = ""
    time_modifier: str = ""
    technicity_modifier: str = ""
    technicity_level: str = ""
    performer_code: str = ""
    collective: str = ""
    multiprofessional: str = ""
    count: str = ""
    date: str = ""
    doc_extension: str = ""
    filler: str = ""


@dataclass(slots=True)
class CcamAct:
    """One CCAM act zone (23 characters)."""

    date: str = ""
    code: str = ""  # 7-character CCAM code
    extension: str = ""  # PMSI extension, "-01"
    phase: str = ""
    activity: str = ""
    doc_extension: str = ""
    count: str = ""


@dataclass(slots=True)
class Rhs:
    """One RHS line: one week of an SSR/SMR stay in one medical unit, grouped or not."""

    line: int = 0  # 1-based line number in the batch
    version: str = "M0C"  # layout: M09..M0D non-grouped, M19..M1D grouped
    finess: str = ""
    ssr_stay_number: str = ""  # N° de séjour SSR/SMR: links the weekly RHS of one stay
    admin_number: str = ""  # N° administratif de séjour (the HIS stay number)
    # Not an ATIH field: iter_rhs sets the 1-based rank of the RHS among those of its stay in the batch.
    rhs_number: str = ""
    stay_start_date: str = ""
    stay_end_date: str = ""
    birth_date: str = ""
    sex: str = ""
    postcode: str = ""
    hospitalisation_type: str = ""
    entry_date: str = ""  # entry into the unit
    entry_mode: str = ""
    provenance: str = ""
    exit_date: str = ""  # exit from the unit
    exit_mode: str = ""
    destination: str = ""
    week_number: str = ""  # "WWAAAA": ISO week then year
    weekday_presence: str = ""  # 5 flags, Monday..Friday, "1" = present
    weekend_presence: str = ""  # 2 flags, Saturday and Sunday
    unit: str = ""
    unit_authorisation_type: str = ""
    surgery_date: str = ""
    fppc: str = ""  # finalité principale de prise en charge
    mmp: str = ""  # manifestation morbide principale
    ae: str = ""  # affection étiologique
    cm: str = ""  # grouped only: "Groupage - CM"
    # Every other fixed field, by its layout name: reserved, dependence_*, same_project, filler_2,
    # identified_beds, specific_unit_type; grouped lines add grouped_filler, rhs_version,
    # classification_version, grouping_code, grouping_subdivision (M19-M1B), grouping_root and
    # grouping_weight_level (M1C-M1D), grouping_severity, grouping_return_code, grouping_error.
    # Absent key = not in this version.
    extra: dict[str, str] = field(default_factory=dict)
    das: list[str] = field(default_factory=list)
    csarr_acts: list[CsarrAct] = field(default_factory=list)
    csar_acts: list[CsarAct] = field(default_factory=list)
    ccam_acts: list[CcamAct] = field(default_factory=list)

    @property
    def grouped(self) -> bool:
        return self.version in GROUPED_VERSIONS

    @property
    def presence(self) -> tuple[bool, ...]:
        """Seven flags, Monday to Sunday; anything but "1" (blank, "0", garbage) counts as absent."""
        flags = self.weekday_presence.ljust(5)[:5] + self.weekend_presence.ljust(2)[:2]
        return tuple(flag == "1" for flag in flags)

    @property
    def days_present(self) -> int:
        return sum(self.presence)

    @property
    def iso_week(self) -> tuple[int, int] | None:
        """(year, week) from the week number, or None when it is not a valid ISO week."""
        raw = self.week_number
        if len(raw) != 6 or not raw.isascii() or not raw.isdigit():
            return None
        week, year = int(raw[:2]), int(raw[2:])
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            return None
        return year, week

    @property
    def week_monday(self) -> date | None:
        """The Monday of the RHS week (date du lundi de la semaine)."""
        iso = self.iso_week
        return None if iso is None else date.fromisocalendar(iso[0], iso[1], 1)

    @property
    def gme(self) -> str:
        """The GME as grouped (CM + GN code + subdivision, or root and weight levels, + severity).

        Empty for a non-grouped line or a line without a CM.
        """
        if not self.cm:
            return ""
        layout = LAYOUTS.get(self.version)
        if layout is None:
            return ""
        text = self.cm.ljust(2)
        for name in _GME_PARTS:
            spec = layout.field(name)
            if spec is not None:
                text += self.extra.get(name, "").ljust(spec.length)
        return text.rstrip()


RHS_ATTRIBUTES: Final = frozenset(f.name for f in fields(Rhs))
ZONE_ATTRIBUTES: Final = {"das": "das", "csarr": "csarr_acts", "csar": "csar_acts", "ccam": "ccam_acts"}
ACT_CLASSES: Final[dict[str, type[CsarrAct] | type[CsarAct] | type[CcamAct]]] = {
    "csarr": CsarrAct,
    "csar": CsarAct,
    "ccam": CcamAct,
}
COUNTER_NAMES: Final = frozenset(zone.counter for layout in LAYOUTS.values() for zone in layout.zones)

# C0 controls and DEL; CR/LF are removed before the check.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


# The str attributes read from the fixed part, in dataclass order: the parser builds records
# positionally from one itemgetter call, the fastest way to cut a line in CPython.
_STRING_ATTRIBUTES: Final = tuple(
    f.name for f in fields(Rhs) if f.name not in {"line", "version", "extra", *ZONE_ATTRIBUTES.values()}
)
_EMPTY: Final = slice(0, 0)


def _getter(slices: list[slice]) -> Callable[[str], tuple[str, ...]]:
    if len(slices) == 1:
        # itemgetter returns a bare item, not a 1-tuple, for a single key.
        only = slices[0]
        return lambda text: (text[only],)
    return itemgetter(*slices)


@dataclass(frozen=True, slots=True)
class _ZonePlan:
    name: str
    counter_name: str
    counter: slice
    attribute: str
    element: int
    cls: type[CsarrAct] | type[CsarAct] | type[CcamAct] | None  # None for the DAS zone
    parts: tuple[slice, ...]  # within an element, one per attribute of cls in field order


@dataclass(frozen=True, slots=True)
class _Plan:
    layout: RhsLayout
    attributes: Callable[[str], tuple[str, ...]]
    extra_keys: tuple[str, ...]
    extras: Callable[[str], tuple[str, ...]]
    zones: tuple[_ZonePlan, ...]
    stay: slice
    counters_end: int
    fixed_length: int


def _plan(layout: RhsLayout) -> _Plan:
    by_name = {spec.name: slice(spec.start - 1, spec.end) for spec in layout.fixed}
    extra_keys = tuple(
        spec.name
        for spec in layout.fixed
        if spec.name not in RHS_ATTRIBUTES and spec.name not in COUNTER_NAMES and spec.name != "version"
    )
    zones = []
    for zone in layout.zones:
        offsets: dict[str, slice] = {}
        offset = 0
        for sub in zone.fields:
            offsets[sub.name] = slice(offset, offset + sub.length)
            offset += sub.length
        cls = ACT_CLASSES.get(zone.name)
        order = [f.name for f in fields(cls)] if cls is not None else ["code"]
        unknown = set(offsets) - set(order)
        if unknown:
            raise AssertionError(f"{layout.version} {zone.name}: no attribute for {sorted(unknown)}")
        zones.append(
            _ZonePlan(
                zone.name,
                zone.counter,
                by_name[zone.counter],
                ZONE_ATTRIBUTES[zone.name],
                offset,
                cls,
                tuple(offsets.get(name, _EMPTY) for name in order),
            )
        )
    return _Plan(
        layout,
        _getter([by_name.get(name, _EMPTY) for name in _STRING_ATTRIBUTES]),
        extra_keys,
        _getter([by_name[name] for name in extra_keys]),
        tuple(zones),
        by_name["ssr_stay_number"],
        max(by_name[zone.counter].stop for zone in layout.zones),
        layout.fixed_length,
    )


_PLANS: Final = {version: _plan(layout) for version, layout in LAYOUTS.items()}


@lru_cache(maxsize=4096)
def _zone_getter(version: str, index: int, start: int, count: int) -> Callable[[str], tuple[str, ...]]:
    """Every value of `count` elements of a zone starting at `start`, in one call."""
    zp = _PLANS[version].zones[index]
    return _getter(
        [
            slice(base + part.start, base + part.stop)
            for base in range(start, start + count * zp.element, zp.element)
            for part in zp.parts
        ]
    )


def parse_rhs_line(raw: bytes, line_no: int) -> Rhs | LineError:
    """One RHS line (its line end is optional) -> a record, or the structural error preventing it."""
    text = decode_line(raw.rstrip(b"\r\n"))
    # isprintable() is the fast path; it also rejects harmless characters (no-break space...), hence
    # the exact check behind it.
    control = None if text.isprintable() else _CONTROL.search(text)
    layout = detect_layout(text)
    if control is not None:
        fixed = layout.fixed if layout is not None else ()
        name, message = control_character_at(fixed, text, control.start() + 1)
        return LineError(line_no, name, "control_character", message)
    if layout is None:
        return LineError(
            line_no,
            "version",
            "unknown_format",
            "no known RHS format (M09-M0D at positions 10-12, M19-M1D at 11-13)",
        )
    plan = _PLANS[layout.version]
    length = len(text)
    if length < plan.counters_end:
        return LineError(
            line_no,
            None,
            "line_length",
            f"RHS {layout.version} line of {length} characters, shorter than its fixed part "
            f"({layout.fixed_length})",
        )
    counts: list[int] = []
    for zp in plan.zones:
        value = text[zp.counter].strip()
        if not value.isascii() or not value.isdigit():
            return LineError(
                line_no, zp.counter_name, "not_numeric", f"{zp.counter_name} {value!r} is not a number"
            )
        counts.append(int(value))
    expected = plan.fixed_length
    last_element = 0
    for count, zp in zip(counts, plan.zones, strict=True):
        if count:
            expected += count * zp.element
            last_element = zp.element
    if length != expected:
        minimum = expected - last_element + 1 if last_element else plan.counters_end
        if length > expected and not text[expected:].strip():
            text = text[:expected]
        elif minimum <= length < expected:
            text = text.ljust(expected)
        else:
            found = ", ".join(f"{zp.name} {n}" for n, zp in zip(counts, plan.zones, strict=True))
            return LineError(
                line_no,
                None,
                "line_length",
                f"RHS {layout.version} line of {length} characters, {expected} expected from its counters "
                f"({found})",
            )
    if not text[plan.stay].strip():
        return LineError(line_no, "ssr_stay_number", "missing_stay_number", "the SSR stay number is blank")
    # Positional construction from the plan's getter (all str, in field order) is the fast path;
    # mypy cannot count the unpacked values.
    rhs = Rhs(  # type: ignore[misc]
        line_no,
        layout.version,
        *map(str.strip, plan.attributes(text)),  # type: ignore[arg-type]
        extra=dict(zip(plan.extra_keys, map(str.strip, plan.extras(text)), strict=False)),
    )
    position = plan.fixed_length
    for index, (count, zp) in enumerate(zip(counts, plan.zones, strict=True)):
        if not count:
            continue
        values = list(map(str.strip, _zone_getter(layout.version, index, position, count)(text)))
        cls = zp.cls
        if cls is None:
            rhs.das = values
        else:
            arity = len(zp.parts)
            setattr(rhs, zp.attribute, [cls(*values[i : i + arity]) for i in range(0, len(values), arity)])
        position += count * zp.element
    return rhs


def stay_week_of(raw: bytes) -> tuple[str, date] | None:
    """The SSR stay number and week (its Monday) of a line `parse_rhs_line` refused, read where its
    format puts them; None when the format, the stay number or the week cannot be read. A stay-week
    is written whole, so its other RHS must not be written without this one."""
    text = decode_line(raw.rstrip(b"\r\n"))
    layout = detect_layout(text)
    week_field = layout.field("week_number") if layout is not None else None
    if layout is None or week_field is None or len(text) < week_field.end:
        return None
    stay = text[_PLANS[layout.version].stay].strip()
    monday = Rhs(week_number=text[week_field.slice()].strip()).week_monday
    return (stay, monday) if stay and monday is not None else None


def iter_rhs(stream: BinaryIO | Iterable[bytes]) -> Iterator[Rhs | LineError]:
    """Stream RHS records from a binary file object (or an iterable of chunks), in file order.

    Line numbers count every physical line, blank ones included, so they match an editor's.
    """
    ranks: dict[tuple[str, str], int] = {}
    for line_no, raw in iter_lines(stream):
        record = parse_rhs_line(raw, line_no)
        if isinstance(record, Rhs):
            key = (record.finess, record.ssr_stay_number)
            rank = ranks.get(key, 0) + 1
            ranks[key] = rank
            record.rhs_number = str(rank)
        yield record
