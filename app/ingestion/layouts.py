"""Fixed-width layouts of the RUM (formats 016-023) and of the RSS groupé prefix (116-123), as data.

Positions are 1-based and inclusive, exactly as printed in the ATIH "Formats MCO" workbooks, so a
layout can be checked line by line against the documentation (see docs: shared spec
`pmsi-formats.md` §2-§3; the pmsixml CSVs are cross-checked in tests/ingestion/test_layouts.py).

Field names are the attribute names of `Rum` / `Act` (app.ingestion.records), of the `Rum.extra`
keys, or one of the pseudo-fields `version`, `rss_version` (format codes), `n_da`, `n_dad`, `n_za`
(the counters, derived from the lists) and `filler` (ignored on read, blank on write).

The `Field` type is the fixed-width toolkit's (app.core.fixedwidth.fields). Padding kinds follow
the ATIH rule: alphanumeric and date fields are left-aligned and space-filled, numeric fields are
right-aligned and zero-filled. Where ATIH changed the kind over time (type d'autorisation du lit
dédié and code postal: N right/zero up to 021, A left/space in the 2024 workbook for 022), each
version carries the kind of its own documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

# Field and Kind are the toolkit's (app.core.fixedwidth), re-exported: `from app.ingestion.layouts
# import Field, Kind` keeps working for the readers written against this module.
from app.core.fixedwidth.fields import Field as Field
from app.core.fixedwidth.fields import Kind as Kind
from app.core.fixedwidth.fields import check_contiguous, derive


class Target(StrEnum):
    """Where a field's value lives in the in-memory records (`Field.target` of the RUM layouts)."""

    RUM = "rum"  # a `Rum` (or `Act`) attribute of the same name
    EXTRA = "extra"  # a key of `Rum.extra`
    FORMAT = "format"  # the format code itself (`Rum.version`, or the grouped version)
    COUNTER = "counter"  # nDA / nDAD / nZA, derived from the lengths of the lists
    FILLER = "filler"  # unused positions


A = Kind.ALPHA
N = Kind.NUMERIC


# The pseudo-fields' roles follow from their names (module docstring); every other field of a table
# is a `Rum`/`Act` attribute, and the version-specific ones are declared with `_extra`.
_ROLES: Mapping[str, Target] = MappingProxyType(
    {
        "version": Target.FORMAT,
        "rss_version": Target.FORMAT,
        "n_da": Target.COUNTER,
        "n_dad": Target.COUNTER,
        "n_za": Target.COUNTER,
        "filler": Target.FILLER,
    }
)


def _f(name: str, start: int, length: int, kind: Kind) -> Field:
    """A field as the ATIH workbook prints it: name, start, length, type (A or N)."""
    return Field(name, start, length, kind, _ROLES.get(name, Target.RUM))


def _extra(name: str, start: int, length: int, kind: Kind) -> Field:
    return Field(name, start, length, kind, Target.EXTRA)


RUM_VERSIONS: tuple[str, ...] = ("016", "017", "018", "019", "020", "021", "022", "023")
GROUPED_VERSIONS: tuple[str, ...] = tuple("1" + v[1:] for v in RUM_VERSIONS)

GROUPED_PREFIX_LENGTH = 15
DIAGNOSIS_LENGTH = 8  # one DA or one DAD

GROUPED_PREFIX: tuple[Field, ...] = (
    _f("classification_version", 1, 2, N),
    _f("ghm", 3, 6, A),  # CMD (3-4) + GHM number (5-8), kept together as the usual 6-character code
    _f("filler", 9, 1, A),
    _f("rss_version", 10, 3, A),
    _f("return_code", 13, 3, N),
)


def _common(bed_postcode_kind: Kind) -> tuple[Field, ...]:
    """Positions 1-162, identical from 016 to 023 except for two padding kinds."""
    return (
        _f("finess", 1, 9, A),
        _f("version", 10, 3, A),
        _f("rss_number", 13, 20, A),
        _f("admin_number", 33, 20, A),
        _f("rum_number", 53, 10, A),
        _f("birth_date", 63, 8, A),
        _f("sex", 71, 1, A),
        _f("unit", 72, 4, A),
        _f("dedicated_bed", 76, 2, bed_postcode_kind),
        _f("entry_date", 78, 8, A),
        _f("entry_mode", 86, 1, A),
        _f("provenance", 87, 1, A),
        _f("exit_date", 88, 8, A),
        _f("exit_mode", 96, 1, A),
        _f("destination", 97, 1, A),
        _f("postcode", 98, 5, bed_postcode_kind),
        _f("newborn_weight", 103, 4, N),
        _f("gestational_age", 107, 2, N),
        _f("last_menstrual_date", 109, 8, A),
        _f("seances", 117, 2, N),
        _f("n_da", 119, 2, N),
        _f("n_dad", 121, 2, N),
        _f("n_za", 123, 3, N),
        _f("dp", 126, 8, A),
        _f("dr", 134, 8, A),
        _f("igs2", 142, 3, N),
        _f("confirmation", 145, 1, A),
        _f("rt_machine", 146, 1, A),
        _f("rt_dosimetry", 147, 1, A),
        _f("innovation_number", 148, 15, A),
    )


_RESERVED = _extra("reserved", 175, 3, A)
_FROM_019 = (_extra("conversion_hc", 163, 1, A), _extra("raac", 164, 1, A))
_FROM_020 = (
    *_FROM_019,
    _extra("patient_context", 165, 1, A),
    _extra("reserve_product", 166, 1, A),
    _extra("rescrit", 167, 1, A),
    _extra("intervention_category", 168, 1, A),
)
_FROM_021 = (*_FROM_020, _extra("non_programmed", 169, 1, A))
_FROM_022 = (*_FROM_021, _extra("emergency", 170, 1, A))
_TAIL_022 = (*_FROM_022, _f("filler", 171, 4, A), _RESERVED)

# Positions 163-177 (016-022) or 163-190 (023), by RUM version.
_TAILS: Mapping[str, tuple[Field, ...]] = {
    "016": (_extra("reserved", 163, 15, A),),
    "017": (
        _extra("ivg_count", 163, 2, N),
        _extra("ivg_prev_year", 165, 4, N),
        _f("filler", 169, 4, A),
        _extra("live_births", 173, 2, N),
        _RESERVED,
    ),
    "018": (_f("filler", 163, 12, A), _RESERVED),
    "019": (*_FROM_019, _f("filler", 165, 10, A), _RESERVED),
    "020": (*_FROM_020, _f("filler", 169, 6, A), _RESERVED),
    "021": (*_FROM_021, _f("filler", 170, 5, A), _RESERVED),
    "022": _TAIL_022,
    # 178-190: derived from the (consistent) groupé 123 sheet of the 2026 workbook, the non-groupé
    # sheet being self-contradictory; to re-check against a real 023 file (spec §2.3).
    "023": derive(
        _TAIL_022,
        append=(
            _extra("rt_complex", 178, 1, A),
            _extra("rt_tumours", 179, 2, N),
            _extra("rt_adaptive", 181, 1, A),
            _extra("rt_hypofract", 182, 1, A),
            _extra("dial_level", 183, 1, A),
            _extra("dial_score", 184, 2, N),
            _extra("dial_consults", 186, 1, N),
            _extra("dial_weekly_time", 187, 4, N),
        ),
    ),
}

# Act zones; offsets are relative to the start of each zone.
ACT_016: tuple[Field, ...] = (
    _f("date", 1, 8, A),
    _f("code", 9, 7, A),
    _f("phase", 16, 1, A),
    _f("activity", 17, 1, A),
    _f("doc_extension", 18, 1, A),
    _f("modifiers", 19, 4, A),
    _f("exceptional_refund", 23, 1, A),
    _f("unplanned_association", 24, 1, A),
    _f("count", 25, 2, N),
)
# 017 adds the 3-character PMSI extension of the CCAM code; the later fields shift by 3.
ACT_017: tuple[Field, ...] = derive(ACT_016, insert_after={"code": (_f("extension", 16, 3, A),)})
# 023 adds the dialysis start time and modality.
ACT_023: tuple[Field, ...] = derive(
    ACT_017, append=(_f("dialysis_start", 30, 1, A), _f("dialysis_modality", 31, 2, A))
)


@dataclass(frozen=True, slots=True)
class RumLayout:
    """The non-grouped layout of one RUM version: fixed part and act zone."""

    version: str
    fixed: tuple[Field, ...]
    act: tuple[Field, ...]

    @property
    def fixed_length(self) -> int:
        return self.fixed[-1].end

    @property
    def act_length(self) -> int:
        return self.act[-1].end

    def field(self, name: str) -> Field:
        for item in self.fixed:
            if item.name == name:
                return item
        raise KeyError(name)

    def extra_fields(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fixed if item.target is Target.EXTRA)


def _build_layouts() -> dict[str, RumLayout]:
    layouts: dict[str, RumLayout] = {}
    for version in RUM_VERSIONS:
        kind = N if version <= "021" else A
        act = ACT_016 if version == "016" else ACT_023 if version == "023" else ACT_017
        layouts[version] = RumLayout(version, (*_common(kind), *_TAILS[version]), act)
    return layouts


LAYOUTS: Mapping[str, RumLayout] = MappingProxyType(_build_layouts())


for _layout in LAYOUTS.values():
    check_contiguous(_layout.fixed, _layout.version)
    check_contiguous(_layout.act, f"{_layout.version} act zone")
check_contiguous(GROUPED_PREFIX, "grouped prefix")


def layout(version: str) -> RumLayout:
    """Layout of a RUM version ("016".."023"); ValueError for any other value."""
    try:
        return LAYOUTS[version]
    except KeyError:
        raise ValueError(f"unsupported RUM format {version!r}") from None


def format_code(version: str, grouped: bool) -> str:
    """The code found at positions 10-12: the RUM version, or "1xx" for an RSS groupé."""
    return "1" + version[1:] if grouped else version


def split_format_code(code: str) -> tuple[str, bool] | None:
    """Positions 10-12 -> (RUM version, grouped), or None when the format is not supported."""
    if code in LAYOUTS:
        return code, False
    if code in GROUPED_VERSIONS:
        return "0" + code[1:], True
    return None


def fixed_length(version: str, grouped: bool = False) -> int:
    """Length of the fixed part: 177 (016-022) or 190 (023), plus 15 for a grouped line."""
    return layout(version).fixed_length + (GROUPED_PREFIX_LENGTH if grouped else 0)


def expected_length(version: str, grouped: bool, n_da: int, n_dad: int, n_za: int) -> int:
    """Record length per spec §2.5: fixed + 8·nDA + 8·nDAD + (26|29|32)·nZA."""
    rum_layout = layout(version)
    return (
        rum_layout.fixed_length
        + (GROUPED_PREFIX_LENGTH if grouped else 0)
        + DIAGNOSIS_LENGTH * (n_da + n_dad)
        + rum_layout.act_length * n_za
    )


def field_at(
    version: str, grouped: bool, column: int, n_da: int = 0, n_dad: int = 0, n_za: int | None = None
) -> str | None:
    """Name of the field covering a 1-based column, for error messages.

    Variable-part fields are named like the records: ``das[0]``, ``dads[1]``, ``acts[2].code``.
    None when the column lies beyond the last act zone (only known when `n_za` is given).
    """
    if column < 1:
        return None
    if grouped:
        if column <= GROUPED_PREFIX_LENGTH:
            return next(item.name for item in GROUPED_PREFIX if item.start <= column <= item.end)
        column -= GROUPED_PREFIX_LENGTH
    rum_layout = layout(version)
    if column <= rum_layout.fixed_length:
        return next(item.name for item in rum_layout.fixed if item.start <= column <= item.end)
    index = column - rum_layout.fixed_length - 1  # 0-based inside the variable part
    if index < DIAGNOSIS_LENGTH * n_da:
        return f"das[{index // DIAGNOSIS_LENGTH}]"
    index -= DIAGNOSIS_LENGTH * n_da
    if index < DIAGNOSIS_LENGTH * n_dad:
        return f"dads[{index // DIAGNOSIS_LENGTH}]"
    index -= DIAGNOSIS_LENGTH * n_dad
    act_number, offset = divmod(index, rum_layout.act_length)
    if n_za is not None and act_number >= n_za:
        return None
    name = next(item.name for item in rum_layout.act if item.start <= offset + 1 <= item.end)
    return f"acts[{act_number}].{name}"
