"""RHS writer: the exact inverse of the parser for every layout (used for demo data and tests).

Values are padded per the ATIH rule (app.core.fixedwidth.text.pad: numeric right-aligned and
zero-filled, alphanumeric left-aligned and space-filled, blank values as spaces); counters are
written from the lengths of the lists. A value longer than its field is a programming error and
raises ValueError rather than being cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.core.fixedwidth.fields import Kind
from app.core.fixedwidth.text import pad
from app.ingestion.rhs.layouts import LAYOUTS, RhsLayout, non_grouped_version
from app.ingestion.rhs.parser import COUNTER_NAMES, RHS_ATTRIBUTES, ZONE_ATTRIBUTES, Rhs


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
        parts.append(pad(value, f.length, f.kind, f.name))
    for zone in layout.zones:
        elements = getattr(rhs, ZONE_ATTRIBUTES[zone.name])
        for element in elements:
            for sub in zone.fields:
                value = element if zone.name == "das" else getattr(element, sub.name)
                parts.append(pad(value, sub.length, sub.kind, f"{zone.name}.{sub.name}"))
    return "".join(parts)
