"""RHS writer: the exact inverse of the parser for every layout (used for demo data and tests).

Values are padded per the ATIH rule (numeric: right-aligned, zero-filled; alphanumeric and blank
values: left-aligned, space-filled); counters are written from the lengths of the lists. A value
longer than its field is a programming error and raises ValueError rather than being cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.activity.rhs_layouts import LAYOUTS, Kind, RhsLayout, non_grouped_version
from app.activity.rhs_parser import COUNTER_NAMES, RHS_ATTRIBUTES, ZONE_ATTRIBUTES, Rhs


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    length: int
    kind: Kind
    source: str  # "version" | "counter" | "attribute" | "extra"


def _write_plan(layout: RhsLayout) -> tuple[_Field, ...]:
    counters = {zone.counter: ZONE_ATTRIBUTES[zone.name] for zone in layout.zones}
    plan = []
    for spec in layout.fixed:
        if spec.name == "version":
            source = "version"
        elif spec.name in COUNTER_NAMES:
            source = "counter"
            if spec.name not in counters:
                raise AssertionError(f"{layout.version}: counter {spec.name} without a zone")
        elif spec.name in RHS_ATTRIBUTES:
            source = "attribute"
        else:
            source = "extra"
        plan.append(_Field(spec.name, spec.length, spec.kind, source))
    return tuple(plan)


_PLANS: Final = {version: _write_plan(layout) for version, layout in LAYOUTS.items()}


def _pad(value: str, length: int, kind: Kind, name: str) -> str:
    if len(value) > length:
        raise ValueError(f"{name}: {value!r} does not fit in {length} characters")
    if kind == "N" and value.isdigit():
        return value.rjust(length, "0")
    return value.ljust(length)


def write_rhs(rhs: Rhs) -> str:
    """The fixed-width line for `rhs` in its own version, without a line end."""
    layout = LAYOUTS.get(rhs.version)
    if layout is None:
        raise ValueError(f"unknown RHS version {rhs.version!r}")
    counts = {zone.counter: len(getattr(rhs, ZONE_ATTRIBUTES[zone.name])) for zone in layout.zones}
    parts: list[str] = []
    for f in _PLANS[rhs.version]:
        if f.source == "version":
            value = rhs.version
        elif f.source == "counter":
            value = str(counts[f.name])
        elif f.source == "attribute":
            value = getattr(rhs, f.name)
        elif f.name == "rhs_version":
            # The non-grouped version embedded in a grouped line defaults to its counterpart.
            value = rhs.extra.get(f.name, non_grouped_version(rhs.version))
        else:
            value = rhs.extra.get(f.name, "")
        parts.append(_pad(value, f.length, f.kind, f.name))
    for zone in layout.zones:
        elements = getattr(rhs, ZONE_ATTRIBUTES[zone.name])
        for element in elements:
            for sub in zone.fields:
                value = element if zone.name == "das" else getattr(element, sub.name)
                parts.append(_pad(value, sub.length, sub.kind, f"{zone.name}.{sub.name}"))
    return "".join(parts)
