"""Builders of plausible RHS records, for tests and synthetic SSR/SMR data.

    make_rhs()                                    # non-grouped M0C, one week, 7 days present
    make_rhs(grouped=True, gme="0801A10")          # grouped M1C, CM 08
    make_rhs(version="M19", cm="10", monday=date(2017, 1, 2), days=3)
    write_rhs(make_rhs(...))                       # the fixed-width line

Keywords are Rhs attributes, layout field names stored in `extra` (return code, dependences...), or
the helpers below. Unknown keywords raise TypeError.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.ingestion.rhs.layouts import LAYOUTS, grouped_version, non_grouped_version
from app.ingestion.rhs.parser import RHS_ATTRIBUTES, CcamAct, CsarAct, CsarrAct, Rhs

_GME_FIELDS = (
    "cm",
    "grouping_code",
    "grouping_subdivision",
    "grouping_root",
    "grouping_weight_level",
    "grouping_severity",
)


def make_csarr(**overrides: str) -> CsarrAct:
    values = {
        "code": "PCM+029",
        "location_modifier": "",
        "performer_code": "21",
        "count": "01",
        "date": "04012022",
        "real_patients": "01",
    }
    values.update(overrides)
    return CsarrAct(**values)


def make_csar(**overrides: str) -> CsarAct:
    values = {"code": "AB123", "performer_code": "21", "collective": "0", "count": "01", "date": "04012022"}
    values.update(overrides)
    return CsarAct(**values)


def make_ccam(**overrides: str) -> CcamAct:
    values = {"date": "05012022", "code": "ZCQH001", "phase": "0", "activity": "1", "count": "01"}
    values.update(overrides)
    return CcamAct(**values)


def make_rhs(**overrides: Any) -> Rhs:
    """A plausible RHS; see the module docstring for the helpers.

    Helpers: `grouped` (True/False: switch to the grouped/non-grouped counterpart of the version),
    `gme` (full GME string, split into CM and grouping parts per the version), `monday` (date of the
    week's Monday -> week_number), `days` (present on the first n days of the week).
    """
    version = overrides.pop("version", "M0C")
    grouped = overrides.pop("grouped", None)
    if grouped is True:
        version = grouped_version(version)
    elif grouped is False:
        version = non_grouped_version(version)
    layout = LAYOUTS[version]
    rhs = Rhs(
        version=version,
        finess="910019447",
        ssr_stay_number="2200001",
        admin_number="122000001",
        stay_start_date="03012022",
        birth_date="15031945",
        sex="2",
        postcode="91000",
        hospitalisation_type="1",
        entry_date="03012022",
        entry_mode="6",
        provenance="1",
        week_number="012022",
        weekday_presence="11111",
        weekend_presence="11",
        unit="6117",
        unit_authorisation_type="50A",
        fppc="Z5088",
        mmp="S7200",
        ae="W010",
        das=["I10", "E119"],
        csarr_acts=[make_csarr()],
        ccam_acts=[make_ccam()],
    )
    for name in ("dependence_dressing", "dependence_moving", "dependence_feeding"):
        rhs.extra[name] = "2"
    for name in ("dependence_continence", "dependence_behaviour", "dependence_relation"):
        rhs.extra[name] = "1"
    if layout.field("csar_count") is not None:
        rhs.csar_acts = [make_csar()]
    if layout.grouped:
        rhs.extra.update(classification_version="03", grouping_return_code="000", grouping_error="")
        _set_gme(rhs, "0801A10" if layout.field("grouping_root") else "0801A1")

    # Every field of the layout present, as the parser returns it, so built and parsed records compare.
    for spec in layout.fixed:
        if spec.name not in RHS_ATTRIBUTES and not spec.name.endswith("_count") and spec.name != "version":
            rhs.extra.setdefault(
                spec.name, non_grouped_version(version) if spec.name == "rhs_version" else ""
            )

    gme = overrides.pop("gme", None)
    if gme is not None:
        _set_gme(rhs, gme)
    monday = overrides.pop("monday", None)
    if monday is not None:
        year, week, _ = monday.isocalendar()
        rhs.week_number = f"{week:02d}{year:04d}"
    days = overrides.pop("days", None)
    if days is not None:
        flags = "1" * days + "0" * (7 - days)
        rhs.weekday_presence, rhs.weekend_presence = flags[:5], flags[5:]

    layout_names = {spec.name for spec in layout.fixed}
    for name, value in overrides.items():
        if name in RHS_ATTRIBUTES:
            setattr(rhs, name, value)
        elif name in layout_names:
            rhs.extra[name] = value
        else:
            raise TypeError(f"make_rhs: {name!r} is neither an Rhs attribute nor a {version} field")
    return rhs


def _set_gme(rhs: Rhs, gme: str) -> None:
    layout = LAYOUTS[rhs.version]
    if not layout.grouped:
        raise TypeError(f"make_rhs: gme needs a grouped version, not {rhs.version}")
    position = 0
    for name in _GME_FIELDS:
        spec = layout.field(name)
        if spec is None:
            continue
        value = gme[position : position + spec.length].strip()
        position += spec.length
        if name == "cm":
            rhs.cm = value
        else:
            rhs.extra[name] = value
    if position < len(gme):
        raise TypeError(f"make_rhs: GME {gme!r} is longer than the {rhs.version} grouping fields")


def monday_of(week_number: str) -> date:
    """`WWAAAA` -> its Monday, for readable assertions."""
    return date.fromisocalendar(int(week_number[2:]), int(week_number[:2]), 1)
