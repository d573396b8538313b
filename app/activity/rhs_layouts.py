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

Positions are 1-based and inclusive, like the ATIH documents. Kind "N" fields are right-aligned and
zero-filled, kind "A" fields left-aligned and space-filled. Dates are "N" except the CSARR act date,
which pmsixml types as alphanumeric.

The variable part follows the fixed part, zone after zone in the order of their counters: DAS (8),
CSARR acts (35), CSAR acts (30, M0D/M1D only), CCAM acts (23).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

Kind = Literal["N", "A"]
N: Final = "N"
A: Final = "A"


class FieldSpec(NamedTuple):
    name: str  # attribute of the record, or key of its `extra` dict
    start: int  # 1-based
    length: int
    kind: Kind

    @property
    def end(self) -> int:
        """1-based inclusive end, as in the ATIH tables."""
        return self.start + self.length - 1


class ZoneField(NamedTuple):
    name: str
    length: int
    kind: Kind


class Zone(NamedTuple):
    name: str  # "das" | "csarr" | "csar" | "ccam"
    counter: str  # fixed field holding the number of elements
    fields: tuple[ZoneField, ...]

    @property
    def length(self) -> int:
        return sum(f.length for f in self.fields)


F = FieldSpec
Z = ZoneField

# M09: the oldest layout supported (pmsixml rhsm09).
_M09_FIXED: tuple[FieldSpec, ...] = (
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
_M0A_FIXED: tuple[FieldSpec, ...] = (
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
    F("filler_2", 169, 1, A),
    F("identified_beds", 170, 2, A),
)


# M0B: adds the specific unit type (USP SSR 08, UCC 09, EVC-EPR 10).
_M0B_FIXED: tuple[FieldSpec, ...] = (
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
    F("filler_2", 169, 1, A),
    F("identified_beds", 170, 2, A),
    F("specific_unit_type", 172, 2, A),
)


# M0C, INFERRED from M1C (see the module docstring): the 13-character grouping zone of M1C
# (root and weight levels) becomes a 13-character zone réservée, shifting the rest by one.
_M0C_FIXED: tuple[FieldSpec, ...] = (
    F("finess", 1, 9, A),
    F("version", 10, 3, A),
    F("ssr_stay_number", 13, 7, A),
    F("admin_number", 20, 20, A),
    F("reserved", 40, 13, A),
    F("stay_start_date", 53, 8, N),
    F("stay_end_date", 61, 8, N),
    F("birth_date", 69, 8, N),
    F("sex", 77, 1, A),
    F("postcode", 78, 5, A),
    F("hospitalisation_type", 83, 1, A),
    F("entry_date", 84, 8, N),
    F("entry_mode", 92, 1, A),
    F("provenance", 93, 1, A),
    F("exit_date", 94, 8, N),
    F("exit_mode", 102, 1, A),
    F("destination", 103, 1, A),
    F("week_number", 104, 6, N),
    F("weekday_presence", 110, 5, A),
    F("weekend_presence", 115, 2, A),
    F("unit", 117, 4, A),
    F("unit_authorisation_type", 121, 3, A),
    F("surgery_date", 124, 8, N),
    F("fppc", 132, 8, A),
    F("mmp", 140, 8, A),
    F("ae", 148, 8, A),
    F("dependence_dressing", 156, 1, A),
    F("dependence_moving", 157, 1, A),
    F("dependence_feeding", 158, 1, A),
    F("dependence_continence", 159, 1, A),
    F("dependence_behaviour", 160, 1, A),
    F("dependence_relation", 161, 1, A),
    F("das_count", 162, 2, N),
    F("csarr_count", 164, 3, N),
    F("ccam_count", 167, 2, N),
    F("same_project", 169, 1, A),
    F("filler_2", 170, 1, A),
    F("identified_beds", 171, 2, A),
    F("specific_unit_type", 173, 2, A),
)


# M0D, INFERRED from M1D: as M0C, plus the CSAR act counter before the CCAM one.
_M0D_FIXED: tuple[FieldSpec, ...] = (
    F("finess", 1, 9, A),
    F("version", 10, 3, A),
    F("ssr_stay_number", 13, 7, A),
    F("admin_number", 20, 20, A),
    F("reserved", 40, 13, A),
    F("stay_start_date", 53, 8, N),
    F("stay_end_date", 61, 8, N),
    F("birth_date", 69, 8, N),
    F("sex", 77, 1, A),
    F("postcode", 78, 5, A),
    F("hospitalisation_type", 83, 1, A),
    F("entry_date", 84, 8, N),
    F("entry_mode", 92, 1, A),
    F("provenance", 93, 1, A),
    F("exit_date", 94, 8, N),
    F("exit_mode", 102, 1, A),
    F("destination", 103, 1, A),
    F("week_number", 104, 6, N),
    F("weekday_presence", 110, 5, A),
    F("weekend_presence", 115, 2, A),
    F("unit", 117, 4, A),
    F("unit_authorisation_type", 121, 3, A),
    F("surgery_date", 124, 8, N),
    F("fppc", 132, 8, A),
    F("mmp", 140, 8, A),
    F("ae", 148, 8, A),
    F("dependence_dressing", 156, 1, A),
    F("dependence_moving", 157, 1, A),
    F("dependence_feeding", 158, 1, A),
    F("dependence_continence", 159, 1, A),
    F("dependence_behaviour", 160, 1, A),
    F("dependence_relation", 161, 1, A),
    F("das_count", 162, 2, N),
    F("csarr_count", 164, 3, N),
    F("csar_count", 167, 3, N),
    F("ccam_count", 170, 2, N),
    F("same_project", 172, 1, A),
    F("filler_2", 173, 1, A),
    F("identified_beds", 174, 2, A),
    F("specific_unit_type", 176, 2, A),
)


# M19: grouped M09; GME = CM + code + subdivision + severity.
_M19_FIXED: tuple[FieldSpec, ...] = (
    F("grouped_filler", 1, 10, A),
    F("version", 11, 3, A),
    F("finess", 14, 9, A),
    F("rhs_version", 23, 3, A),
    F("ssr_stay_number", 26, 7, A),
    F("admin_number", 33, 20, A),
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_subdivision", 59, 1, A),
    F("grouping_severity", 60, 1, A),
    F("grouping_return_code", 61, 3, A),
    F("grouping_error", 64, 1, A),
    F("stay_start_date", 65, 8, N),
    F("stay_end_date", 73, 8, N),
    F("birth_date", 81, 8, N),
    F("sex", 89, 1, A),
    F("postcode", 90, 5, A),
    F("hospitalisation_type", 95, 1, A),
    F("entry_date", 96, 8, N),
    F("entry_mode", 104, 1, A),
    F("provenance", 105, 1, A),
    F("exit_date", 106, 8, N),
    F("exit_mode", 114, 1, A),
    F("destination", 115, 1, A),
    F("week_number", 116, 6, N),
    F("weekday_presence", 122, 5, A),
    F("weekend_presence", 127, 2, A),
    F("unit", 129, 4, A),
    F("unit_authorisation_type", 133, 3, A),
    F("surgery_date", 136, 8, N),
    F("fppc", 144, 8, A),
    F("mmp", 152, 8, A),
    F("ae", 160, 8, A),
    F("dependence_dressing", 168, 1, A),
    F("dependence_moving", 169, 1, A),
    F("dependence_feeding", 170, 1, A),
    F("dependence_continence", 171, 1, A),
    F("dependence_behaviour", 172, 1, A),
    F("dependence_relation", 173, 1, A),
    F("das_count", 174, 2, N),
    F("csarr_count", 176, 3, N),
    F("ccam_count", 179, 2, N),
    F("same_project", 181, 1, A),
)


# M1A: grouped M0A.
_M1A_FIXED: tuple[FieldSpec, ...] = (
    F("grouped_filler", 1, 10, A),
    F("version", 11, 3, A),
    F("finess", 14, 9, A),
    F("rhs_version", 23, 3, A),
    F("ssr_stay_number", 26, 7, A),
    F("admin_number", 33, 20, A),
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_subdivision", 59, 1, A),
    F("grouping_severity", 60, 1, A),
    F("grouping_return_code", 61, 3, A),
    F("grouping_error", 64, 1, A),
    F("stay_start_date", 65, 8, N),
    F("stay_end_date", 73, 8, N),
    F("birth_date", 81, 8, N),
    F("sex", 89, 1, A),
    F("postcode", 90, 5, A),
    F("hospitalisation_type", 95, 1, A),
    F("entry_date", 96, 8, N),
    F("entry_mode", 104, 1, A),
    F("provenance", 105, 1, A),
    F("exit_date", 106, 8, N),
    F("exit_mode", 114, 1, A),
    F("destination", 115, 1, A),
    F("week_number", 116, 6, N),
    F("weekday_presence", 122, 5, A),
    F("weekend_presence", 127, 2, A),
    F("unit", 129, 4, A),
    F("unit_authorisation_type", 133, 3, A),
    F("surgery_date", 136, 8, N),
    F("fppc", 144, 8, A),
    F("mmp", 152, 8, A),
    F("ae", 160, 8, A),
    F("dependence_dressing", 168, 1, A),
    F("dependence_moving", 169, 1, A),
    F("dependence_feeding", 170, 1, A),
    F("dependence_continence", 171, 1, A),
    F("dependence_behaviour", 172, 1, A),
    F("dependence_relation", 173, 1, A),
    F("das_count", 174, 2, N),
    F("csarr_count", 176, 3, N),
    F("ccam_count", 179, 2, N),
    F("same_project", 181, 1, A),
    F("filler_2", 182, 1, A),
    F("identified_beds", 183, 2, A),
)


# M1B: grouped M0B.
_M1B_FIXED: tuple[FieldSpec, ...] = (
    F("grouped_filler", 1, 10, A),
    F("version", 11, 3, A),
    F("finess", 14, 9, A),
    F("rhs_version", 23, 3, A),
    F("ssr_stay_number", 26, 7, A),
    F("admin_number", 33, 20, A),
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_subdivision", 59, 1, A),
    F("grouping_severity", 60, 1, A),
    F("grouping_return_code", 61, 3, A),
    F("grouping_error", 64, 1, A),
    F("stay_start_date", 65, 8, N),
    F("stay_end_date", 73, 8, N),
    F("birth_date", 81, 8, N),
    F("sex", 89, 1, A),
    F("postcode", 90, 5, A),
    F("hospitalisation_type", 95, 1, A),
    F("entry_date", 96, 8, N),
    F("entry_mode", 104, 1, A),
    F("provenance", 105, 1, A),
    F("exit_date", 106, 8, N),
    F("exit_mode", 114, 1, A),
    F("destination", 115, 1, A),
    F("week_number", 116, 6, N),
    F("weekday_presence", 122, 5, A),
    F("weekend_presence", 127, 2, A),
    F("unit", 129, 4, A),
    F("unit_authorisation_type", 133, 3, A),
    F("surgery_date", 136, 8, N),
    F("fppc", 144, 8, A),
    F("mmp", 152, 8, A),
    F("ae", 160, 8, A),
    F("dependence_dressing", 168, 1, A),
    F("dependence_moving", 169, 1, A),
    F("dependence_feeding", 170, 1, A),
    F("dependence_continence", 171, 1, A),
    F("dependence_behaviour", 172, 1, A),
    F("dependence_relation", 173, 1, A),
    F("das_count", 174, 2, N),
    F("csarr_count", 176, 3, N),
    F("ccam_count", 179, 2, N),
    F("same_project", 181, 1, A),
    F("filler_2", 182, 1, A),
    F("identified_beds", 183, 2, A),
    F("specific_unit_type", 185, 2, A),
)


# M1C: grouped M0C; the GME gains a root level (NR) and a weight level (NL), 7 characters.
_M1C_FIXED: tuple[FieldSpec, ...] = (
    F("grouped_filler", 1, 10, A),
    F("version", 11, 3, A),
    F("finess", 14, 9, A),
    F("rhs_version", 23, 3, A),
    F("ssr_stay_number", 26, 7, A),
    F("admin_number", 33, 20, A),
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_root", 59, 1, A),
    F("grouping_weight_level", 60, 1, A),
    F("grouping_severity", 61, 1, A),
    F("grouping_return_code", 62, 3, A),
    F("grouping_error", 65, 1, A),
    F("stay_start_date", 66, 8, N),
    F("stay_end_date", 74, 8, N),
    F("birth_date", 82, 8, N),
    F("sex", 90, 1, A),
    F("postcode", 91, 5, A),
    F("hospitalisation_type", 96, 1, A),
    F("entry_date", 97, 8, N),
    F("entry_mode", 105, 1, A),
    F("provenance", 106, 1, A),
    F("exit_date", 107, 8, N),
    F("exit_mode", 115, 1, A),
    F("destination", 116, 1, A),
    F("week_number", 117, 6, N),
    F("weekday_presence", 123, 5, A),
    F("weekend_presence", 128, 2, A),
    F("unit", 130, 4, A),
    F("unit_authorisation_type", 134, 3, A),
    F("surgery_date", 137, 8, N),
    F("fppc", 145, 8, A),
    F("mmp", 153, 8, A),
    F("ae", 161, 8, A),
    F("dependence_dressing", 169, 1, A),
    F("dependence_moving", 170, 1, A),
    F("dependence_feeding", 171, 1, A),
    F("dependence_continence", 172, 1, A),
    F("dependence_behaviour", 173, 1, A),
    F("dependence_relation", 174, 1, A),
    F("das_count", 175, 2, N),
    F("csarr_count", 177, 3, N),
    F("ccam_count", 180, 2, N),
    F("same_project", 182, 1, A),
    F("filler_2", 183, 1, A),
    F("identified_beds", 184, 2, A),
    F("specific_unit_type", 186, 2, A),
)


# M1D: grouped M0D; CSAR acts (30 characters) between the CSARR and the CCAM acts.
_M1D_FIXED: tuple[FieldSpec, ...] = (
    F("grouped_filler", 1, 10, A),
    F("version", 11, 3, A),
    F("finess", 14, 9, A),
    F("rhs_version", 23, 3, A),
    F("ssr_stay_number", 26, 7, A),
    F("admin_number", 33, 20, A),
    F("classification_version", 53, 2, A),
    F("cm", 55, 2, A),
    F("grouping_code", 57, 2, A),
    F("grouping_root", 59, 1, A),
    F("grouping_weight_level", 60, 1, A),
    F("grouping_severity", 61, 1, A),
    F("grouping_return_code", 62, 3, A),
    F("grouping_error", 65, 1, A),
    F("stay_start_date", 66, 8, N),
    F("stay_end_date", 74, 8, N),
    F("birth_date", 82, 8, N),
    F("sex", 90, 1, A),
    F("postcode", 91, 5, A),
    F("hospitalisation_type", 96, 1, A),
    F("entry_date", 97, 8, N),
    F("entry_mode", 105, 1, A),
    F("provenance", 106, 1, A),
    F("exit_date", 107, 8, N),
    F("exit_mode", 115, 1, A),
    F("destination", 116, 1, A),
    F("week_number", 117, 6, N),
    F("weekday_presence", 123, 5, A),
    F("weekend_presence", 128, 2, A),
    F("unit", 130, 4, A),
    F("unit_authorisation_type", 134, 3, A),
    F("surgery_date", 137, 8, N),
    F("fppc", 145, 8, A),
    F("mmp", 153, 8, A),
    F("ae", 161, 8, A),
    F("dependence_dressing", 169, 1, A),
    F("dependence_moving", 170, 1, A),
    F("dependence_feeding", 171, 1, A),
    F("dependence_continence", 172, 1, A),
    F("dependence_behaviour", 173, 1, A),
    F("dependence_relation", 174, 1, A),
    F("das_count", 175, 2, N),
    F("csarr_count", 177, 3, N),
    F("csar_count", 180, 3, N),
    F("ccam_count", 183, 2, N),
    F("same_project", 185, 1, A),
    F("filler_2", 186, 1, A),
    F("identified_beds", 187, 2, A),
    F("specific_unit_type", 189, 2, A),
)


DAS_ZONE: Final = Zone("das", "das_count", (Z("code", 8, A),))

# pmeasyr reads 18-21 as a 3-digit count where pmsixml has a 1-character filler then a 2-digit count:
# both agree whenever the filler is blank or "0".
_CSARR_M09: Final = Zone(
    "csarr",
    "csarr_count",
    (
        Z("code", 7, A),
        Z("appliance_code", 3, A),  # code supplémentaire « appareillage »
        Z("location_modifier", 2, A),
        Z("patient_modifier_1", 2, A),
        Z("patient_modifier_2", 2, A),
        Z("performer_code", 2, A),  # code intervenant
        Z("filler", 1, A),
        Z("count", 2, N),
        Z("date", 8, A),
        Z("real_patients", 2, N),
        Z("performers", 2, N),  # nombre d'intervenants
        Z("doc_extension", 2, A),
    ),
)

# M0D renames "modulateur de patient n° 2" to "modulateur de technicité" and uses the filler for the
# technicity module/level.
_CSARR_M0D: Final = Zone(
    "csarr",
    "csarr_count",
    (
        Z("code", 7, A),
        Z("appliance_code", 3, A),
        Z("location_modifier", 2, A),
        Z("patient_modifier_1", 2, A),
        Z("technicity_modifier", 2, A),
        Z("performer_code", 2, A),
        Z("technicity_level", 1, A),
        Z("count", 2, N),
        Z("date", 8, A),
        Z("real_patients", 2, N),
        Z("performers", 2, N),
        Z("doc_extension", 2, A),
    ),
)

CSAR_ZONE: Final = Zone(
    "csar",
    "csar_count",
    (
        Z("code", 5, A),
        Z("location_modifier", 2, A),
        Z("time_modifier", 2, A),
        Z("technicity_modifier", 2, A),
        Z("technicity_level", 1, A),
        Z("performer_code", 2, A),
        Z("collective", 1, N),
        Z("multiprofessional", 1, N),
        Z("count", 2, N),
        Z("date", 8, N),
        Z("doc_extension", 2, A),
        Z("filler", 2, A),
    ),
)

# The ATIH table has one 10-character act code (7-character CCAM code + "-NN" PMSI extension); it is
# split here like the RUM act zone so rules can look the 7-character code up directly.
CCAM_ZONE: Final = Zone(
    "ccam",
    "ccam_count",
    (
        Z("date", 8, N),
        Z("code", 7, A),
        Z("extension", 3, A),
        Z("phase", 1, A),
        Z("activity", 1, A),
        Z("doc_extension", 1, A),
        Z("count", 2, N),
    ),
)


@dataclass(frozen=True, slots=True)
class RhsLayout:
    version: str
    grouped: bool
    fixed: tuple[FieldSpec, ...]
    zones: tuple[Zone, ...]
    inferred: bool = False  # True when no public source lists the fields (see module docstring)

    @property
    def fixed_length(self) -> int:
        last = self.fixed[-1]
        return last.start + last.length - 1

    @property
    def version_field(self) -> FieldSpec:
        return next(f for f in self.fixed if f.name == "version")

    def field(self, name: str) -> FieldSpec | None:
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
