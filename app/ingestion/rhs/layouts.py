"""RHS (SSR/SMR weekly summary) fixed-width layouts, as data.

One table per format version, detected per line from its format field:

* non-grouped ("RHS", HIS output): M09, M0A, M0B, M0C, M0D; the format sits at positions 10-12;
* grouped ("RHS groupé", grouper output): M19, M1A, M1B, M1C, M1D; the grouped format sits at 11-13,
  after a 10-character filler, and the grouping result (CM, GME parts, return code) replaces the
  non-grouped "zone réservée".

Sources: hkara2/pmsixml ``rhsm09/0a/0b/19/1a/1b/1c/1d.csv`` (field definitions), cross-checked with
pmeasyr's SSR RHS reading layouts (the 2013-2025 grouped RHS). M0C and M0D are **inferred**: no
public field list was found for them, so they are the grouped M1C/M1D minus the 13-character
grouped prefix, with the grouping zone (53-65) turned back into a 13-character zone réservée. That
is exactly how M09/M0A/M0B relate to M19/M1A/M1B in the sources (checked by the test suite).

Each version is derived from the previous one (app.core.fixedwidth.fields.derive): only the change
is written, and the documented start of every new field is checked where it lands. Positions are
1-based and inclusive, like the ATIH documents. Kind "N" fields are right-aligned and
zero-filled, kind "A" fields left-aligned and space-filled. Dates are "N" except the CSARR act date,
which pmsixml types as alphanumeric.

The variable part follows the fixed part, zone after zone in the order of their counters: DAS (8),
CSARR acts (35), CSAR acts (30, M0D/M1D only), CCAM acts (23).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

from app.core.fixedwidth.fields import Field, Kind, check_contiguous, contiguous, derive

N: Final = Kind.NUMERIC
A: Final = Kind.ALPHA


class Zone(NamedTuple):
    name: str  # "das" | "csarr" | "csar" | "ccam"
    counter: str  # fixed field holding the number of elements
    fields: tuple[Field, ...]  # positions relative to the start of each element (1-based)

    @property
    def length(self) -> int:
        return sum(f.length for f in self.fields)


F = Field

# M09: the oldest layout supported (pmsixml rhsm09); every later one is derived from it.
_M09_FIXED: tuple[Field, ...] = (
    F("finess", 1, 9, A),
    F("version", 10, 3, A),
    F("ssr_stay_number", 13, 7, A),
    F("admin_number", 20, 20, A),
    F("reserved", 40, 12, A),
    F("stay_start_date", 52, 8, N),
    F("stay_end_date", 60, 8, N),
    F("birth_date", 68, 8, N),
    F("sex", 76, 1, A),
    F("postcode", 77, 5, A),
    F("hospitalisation_type", 82, 1, A),
    F("entry_date", 83, 8, N),
    F("entry_mode", 91, 1, A),
    F("provenance", 92, 1, A),
    F("exit_date", 93, 8, N),
    F("exit_mode", 101, 1, A),
    F("destination", 102, 1, A),
    F("week_number", 103, 6, N),
    F("weekday_presence", 109, 5, A),
    F("weekend_presence", 114, 2, A),
    F("unit", 116, 4, A),
    F("unit_authorisation_type", 120, 3, A),
    F("surgery_date", 123, 8, N),
    F("fppc", 131, 8, A),
    F("mmp", 139, 8, A),
    F("ae", 147, 8, A),
    F("dependence_dressing", 155, 1, A),
    F("dependence_moving", 156, 1, A),
    F("dependence_feeding", 157, 1, A),
    F("dependence_continence", 158, 1, A),
    F("dependence_behaviour", 159, 1, A),
    F("dependence_relation", 160, 1, A),
    F("das_count", 161, 2, N),
    F("csarr_count", 163, 3, N),
    F("ccam_count", 166, 2, N),
    F("same_project", 168, 1, A),
)

# M0A: adds a filler and the "lit identifié soins palliatifs" (LISP) after same_project.
_M0A_FIXED = derive(_M09_FIXED, append=(F("filler_2", 169, 1, A), F("identified_beds", 170, 2, A)))

# M0B: adds the specific unit type (USP SSR 08, UCC 09, EVC-EPR 10).
_M0B_FIXED = derive(_M0A_FIXED, append=(F("specific_unit_type", 172, 2, A),))

# M0C, INFERRED from M1C (see the module docstring): the 13-character grouping zone of M1C
# (root and weight levels) becomes a 13-character zone réservée, shifting the rest by one.
_M0C_FIXED = derive(_M0B_FIXED, replace={"reserved": (F("reserved", 40, 13, A),)})

# M0D, INFERRED from M1D: as M0C, plus the CSAR act counter before the CCAM one.
_M0D_FIXED = derive(_M0C_FIXED, insert_after={"csarr_count": (F("csar_count", 167, 3, N),)})

# Grouped lines: a 10-character filler and the grouped format before the FINESS, the non-grouped
# format after it, and the grouping result (CM, GME parts, return code) in place of the zone réservée.
_GROUPED_HEAD: Final = (F("grouped_filler", 1, 10, A), F("version", 11, 3, A), F("finess", 14, 9, A))
_RHS_VERSION: Final = (F("rhs_version", 23, 3, A),)

# M19-M1B: GME = CM + code + subdivision + severity (12 characters, as the zone réservée).
_GROUPING_12: Final = (
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_subdivision", 59, 1, A),
    F("grouping_severity", 60, 1, A),
    F("grouping_return_code", 61, 3, A),
    F("grouping_error", 64, 1, A),
)
# M1C-M1D: the GME gains a root level (NR) and a weight level (NL), 7 characters (13 in all).
_GROUPING_13: Final = derive(
    _GROUPING_12,
    replace={"grouping_subdivision": (F("grouping_root", 59, 1, A), F("grouping_weight_level", 60, 1, A))},
)


def _grouped(fixed: tuple[Field, ...], grouping: tuple[Field, ...]) -> tuple[Field, ...]:
    return derive(fixed, replace={"finess": _GROUPED_HEAD, "version": _RHS_VERSION, "reserved": grouping})


_M19_FIXED = _grouped(_M09_FIXED, _GROUPING_12)
_M1A_FIXED = _grouped(_M0A_FIXED, _GROUPING_12)
_M1B_FIXED = _grouped(_M0B_FIXED, _GROUPING_12)
_M1C_FIXED = _grouped(_M0C_FIXED, _GROUPING_13)
_M1D_FIXED = _grouped(_M0D_FIXED, _GROUPING_13)


DAS_ZONE: Final = Zone("das", "das_count", contiguous([("code", 8, A)]))

# pmeasyr reads 18-21 as a 3-digit count where pmsixml has a 1-character filler then a 2-digit count:
# both agree whenever the filler is blank or "0".
_CSARR_M09: Final = Zone(
    "csarr",
    "csarr_count",
    contiguous(
        [
            ("code", 7, A),
            ("appliance_code", 3, A),  # code supplémentaire « appareillage »
            ("location_modifier", 2, A),
            ("patient_modifier_1", 2, A),
            ("patient_modifier_2", 2, A),
            ("performer_code", 2, A),  # code intervenant
            ("filler", 1, A),
            ("count", 2, N),
            ("date", 8, A),
            ("real_patients", 2, N),
            ("performers", 2, N),  # nombre d'intervenants
            ("doc_extension", 2, A),
        ]
    ),
)

# M0D renames "modulateur de patient n° 2" to "modulateur de technicité" and uses the filler for the
# technicity module/level.
_CSARR_M0D: Final = Zone(
    "csarr",
    "csarr_count",
    derive(
        _CSARR_M09.fields,
        replace={
            "patient_modifier_2": (F("technicity_modifier", 15, 2, A),),
            "filler": (F("technicity_level", 19, 1, A),),
        },
    ),
)

CSAR_ZONE: Final = Zone(
    "csar",
    "csar_count",
    contiguous(
        [
            ("code", 5, A),
            ("location_modifier", 2, A),
            ("time_modifier", 2, A),
            ("technicity_modifier", 2, A),
            ("technicity_level", 1, A),
            ("performer_code", 2, A),
            ("collective", 1, N),
            ("multiprofessional", 1, N),
            ("count", 2, N),
            ("date", 8, N),
            ("doc_extension", 2, A),
            ("filler", 2, A),
        ]
    ),
)

# The ATIH table has one 10-character act code (7-character CCAM code + "-NN" PMSI extension); it is
# split here like the RUM act zone so rules can look the 7-character code up directly.
CCAM_ZONE: Final = Zone(
    "ccam",
    "ccam_count",
    contiguous(
        [
            ("date", 8, N),
            ("code", 7, A),
            ("extension", 3, A),
            ("phase", 1, A),
            ("activity", 1, A),
            ("doc_extension", 1, A),
            ("count", 2, N),
        ]
    ),
)


@dataclass(frozen=True, slots=True)
class RhsLayout:
    version: str
    grouped: bool
    fixed: tuple[Field, ...]
    zones: tuple[Zone, ...]
    inferred: bool = False  # True when no public source lists the fields (see module docstring)

    @property
    def fixed_length(self) -> int:
        last = self.fixed[-1]
        return last.start + last.length - 1

    @property
    def version_field(self) -> Field:
        return next(f for f in self.fixed if f.name == "version")

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fixed if f.name == name), None)


_ZONES_M09: Final = (DAS_ZONE, _CSARR_M09, CCAM_ZONE)
_ZONES_M0D: Final = (DAS_ZONE, _CSARR_M0D, CSAR_ZONE, CCAM_ZONE)

LAYOUTS: Final[dict[str, RhsLayout]] = {
    layout.version: layout
    for layout in (
        RhsLayout("M09", False, _M09_FIXED, _ZONES_M09),
        RhsLayout("M0A", False, _M0A_FIXED, _ZONES_M09),
        RhsLayout("M0B", False, _M0B_FIXED, _ZONES_M09),
        RhsLayout("M0C", False, _M0C_FIXED, _ZONES_M09, inferred=True),
        RhsLayout("M0D", False, _M0D_FIXED, _ZONES_M0D, inferred=True),
        RhsLayout("M19", True, _M19_FIXED, _ZONES_M09),
        RhsLayout("M1A", True, _M1A_FIXED, _ZONES_M09),
        RhsLayout("M1B", True, _M1B_FIXED, _ZONES_M09),
        RhsLayout("M1C", True, _M1C_FIXED, _ZONES_M09),
        RhsLayout("M1D", True, _M1D_FIXED, _ZONES_M0D),
    )
}

NON_GROUPED_VERSIONS: Final = frozenset(v for v, layout in LAYOUTS.items() if not layout.grouped)
GROUPED_VERSIONS: Final = frozenset(v for v, layout in LAYOUTS.items() if layout.grouped)

# Where the format field sits, 0-based slices: a grouped line starts with a 10-character filler.
NON_GROUPED_VERSION_SLICE: Final = slice(9, 12)
GROUPED_VERSION_SLICE: Final = slice(10, 13)


def grouped_version(version: str) -> str:
    """M0C -> M1C; grouped versions are returned unchanged."""
    return version if version in GROUPED_VERSIONS else "M1" + version[2:]


def non_grouped_version(version: str) -> str:
    """M1C -> M0C; non-grouped versions are returned unchanged."""
    return version if version in NON_GROUPED_VERSIONS else "M0" + version[2:]


def detect_layout(line: str) -> RhsLayout | None:
    """The layout named by the line's format field, or None when neither position holds a known one.

    The two positions cannot be confused: a non-grouped line has "M0x" at 10-12, so 11-13 starts with
    "0"; a grouped line has "M1x" at 11-13, so 10-12 ends with "M1".
    """
    layout = LAYOUTS.get(line[NON_GROUPED_VERSION_SLICE])
    if layout is not None and not layout.grouped:
        return layout
    layout = LAYOUTS.get(line[GROUPED_VERSION_SLICE])
    if layout is not None and layout.grouped:
        return layout
    return None


for _layout in LAYOUTS.values():
    check_contiguous(_layout.fixed, _layout.version)
    for _zone in _layout.zones:
        check_contiguous(_zone.fields, f"{_layout.version} {_zone.name} zone")
