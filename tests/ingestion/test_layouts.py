"""Layout tables: internal consistency, and cross-check against the pmsixml field CSVs (read at test time)."""

from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

import pytest

from app.ingestion.layouts import (
    ACT_016,
    ACT_017,
    ACT_023,
    GROUPED_PREFIX,
    GROUPED_VERSIONS,
    LAYOUTS,
    RUM_VERSIONS,
    Field,
    Kind,
    Target,
    expected_length,
    field_at,
    fixed_length,
    format_code,
    layout,
    split_format_code,
)
from app.ingestion.records import Act, Rum
from tests.conftest import shared_file

RUM_ATTRIBUTES = {f.name for f in fields(Rum)}
ACT_ATTRIBUTES = {f.name for f in fields(Act)}

EXTRA_NAMES = {
    "016": ["reserved"],
    "017": ["ivg_count", "ivg_prev_year", "live_births", "reserved"],
    "018": ["reserved"],
    "019": ["conversion_hc", "raac", "reserved"],
    "020": [
        "conversion_hc",
        "raac",
        "patient_context",
        "reserve_product",
        "rescrit",
        "intervention_category",
        "reserved",
    ],
}
EXTRA_NAMES["021"] = [*EXTRA_NAMES["020"][:-1], "non_programmed", "reserved"]
EXTRA_NAMES["022"] = [*EXTRA_NAMES["021"][:-1], "emergency", "reserved"]
EXTRA_NAMES["023"] = [
    *EXTRA_NAMES["022"],
    "rt_complex",
    "rt_tumours",
    "rt_adaptive",
    "rt_hypofract",
    "dial_level",
    "dial_score",
    "dial_consults",
    "dial_weekly_time",
]


def positions(items: tuple[Field, ...]) -> dict[str, tuple[int, int]]:
    return {item.name: (item.start, item.length) for item in items if item.target is not Target.FILLER}


# ---------------------------------------------------------------------------------------------
# Internal consistency


@pytest.mark.parametrize("version", RUM_VERSIONS)
def test_fixed_part_is_contiguous_and_has_the_documented_length(version: str) -> None:
    rum_layout = layout(version)
    position = 1
    for item in rum_layout.fixed:
        assert item.start == position, item
        position = item.end + 1
    assert rum_layout.fixed_length == (190 if version == "023" else 177)
    assert rum_layout.act_length == {"016": 26, "023": 32}.get(version, 29)


def test_act_zones_are_contiguous() -> None:
    for zone, length in ((ACT_016, 26), (ACT_017, 29), (ACT_023, 32)):
        position = 1
        for item in zone:
            assert item.start == position
            position = item.end + 1
        assert position - 1 == length
        assert {item.name for item in zone} <= ACT_ATTRIBUTES


def test_grouped_prefix() -> None:
    assert positions(GROUPED_PREFIX) == {
        "classification_version": (1, 2),
        "ghm": (3, 6),
        "rss_version": (10, 3),
        "return_code": (13, 3),
    }
    assert [(item.start, item.length) for item in GROUPED_PREFIX if item.target is Target.FILLER] == [(9, 1)]


@pytest.mark.parametrize("version", RUM_VERSIONS)
def test_field_names_are_record_attributes_or_extra_keys(version: str) -> None:
    for item in layout(version).fixed:
        if item.target is Target.RUM:
            assert item.name in RUM_ATTRIBUTES
        elif item.target is Target.EXTRA:
            assert item.name not in RUM_ATTRIBUTES
        elif item.target is Target.COUNTER:
            assert item.name in {"n_da", "n_dad", "n_za"}
        elif item.target is Target.FORMAT:
            assert item.name == "version"
    assert [item.name for item in layout(version).extra_fields()] == EXTRA_NAMES[version]


def test_version_specific_positions() -> None:
    assert positions(layout("016").extra_fields()) == {"reserved": (163, 15)}
    assert positions(layout("017").extra_fields()) == {
        "ivg_count": (163, 2),
        "ivg_prev_year": (165, 4),
        "live_births": (173, 2),
        "reserved": (175, 3),
    }
    assert positions(layout("022").extra_fields()) == {
        "conversion_hc": (163, 1),
        "raac": (164, 1),
        "patient_context": (165, 1),
        "reserve_product": (166, 1),
        "rescrit": (167, 1),
        "intervention_category": (168, 1),
        "non_programmed": (169, 1),
        "emergency": (170, 1),
        "reserved": (175, 3),
    }
    extra_023 = positions(layout("023").extra_fields())
    assert {name: extra_023[name] for name in EXTRA_NAMES["023"][9:]} == {
        "rt_complex": (178, 1),
        "rt_tumours": (179, 2),
        "rt_adaptive": (181, 1),
        "rt_hypofract": (182, 1),
        "dial_level": (183, 1),
        "dial_score": (184, 2),
        "dial_consults": (186, 1),
        "dial_weekly_time": (187, 4),
    }


def test_common_positions() -> None:
    common = positions(layout("022").fixed)
    assert common["rss_number"] == (13, 20)
    assert common["unit"] == (72, 4)
    assert common["n_da"] == (119, 2)
    assert common["n_dad"] == (121, 2)
    assert common["n_za"] == (123, 3)
    assert common["dp"] == (126, 8)
    assert common["innovation_number"] == (148, 15)
    for version in RUM_VERSIONS:
        assert {k: v for k, v in positions(layout(version).fixed).items() if k in common and v[0] < 163} == {
            k: v for k, v in common.items() if v[0] < 163
        }


def test_kinds() -> None:
    numeric_022 = {item.name for item in layout("022").fixed if item.kind is Kind.NUMERIC}
    assert numeric_022 == {"newborn_weight", "gestational_age", "seances", "n_da", "n_dad", "n_za", "igs2"}
    numeric_021 = {item.name for item in layout("021").fixed if item.kind is Kind.NUMERIC}
    assert numeric_021 == numeric_022 | {"dedicated_bed", "postcode"}
    numeric_023 = {item.name for item in layout("023").fixed if item.kind is Kind.NUMERIC}
    assert numeric_023 == numeric_022 | {"rt_tumours", "dial_score", "dial_consults", "dial_weekly_time"}
    assert {item.name for item in ACT_023 if item.kind is Kind.NUMERIC} == {"count"}
    assert {item.name for item in GROUPED_PREFIX if item.kind is Kind.NUMERIC} == {
        "classification_version",
        "return_code",
    }


def test_lengths() -> None:
    assert fixed_length("016") == 177
    assert fixed_length("022", grouped=True) == 192
    assert fixed_length("023") == 190
    assert fixed_length("023", grouped=True) == 205
    # Values observed on the public samples (spec §2.5).
    assert expected_length("017", False, 2, 0, 0) == 193
    assert expected_length("017", False, 0, 0, 4) == 293
    assert expected_length("022", True, 26, 2, 3) == 503
    assert expected_length("016", False, 1, 1, 1) == 177 + 16 + 26
    assert expected_length("023", True, 1, 0, 2) == 205 + 8 + 64
    with pytest.raises(ValueError):
        expected_length("024", False, 0, 0, 0)


def test_format_codes() -> None:
    assert GROUPED_VERSIONS == ("116", "117", "118", "119", "120", "121", "122", "123")
    assert format_code("022", False) == "022"
    assert format_code("022", True) == "122"
    assert split_format_code("016") == ("016", False)
    assert split_format_code("123") == ("023", True)
    for code in ("015", "024", "115", "124", "   ", "abc", "222"):
        assert split_format_code(code) is None


def test_field_at() -> None:
    assert field_at("022", False, 1) == "finess"
    assert field_at("022", False, 126) == "dp"
    assert field_at("022", False, 171) == "filler"
    assert field_at("022", True, 5) == "ghm"
    assert field_at("022", True, 141) == "dp"
    assert field_at("022", False, 178, n_da=2, n_dad=1) == "das[0]"
    assert field_at("022", False, 186, n_da=2, n_dad=1) == "das[1]"
    assert field_at("022", False, 194, n_da=2, n_dad=1) == "dads[0]"
    assert field_at("022", False, 202, n_da=2, n_dad=1) == "acts[0].date"
    assert field_at("022", False, 202 + 29 + 8, n_da=2, n_dad=1) == "acts[1].code"
    assert field_at("016", False, 178 + 15) == "acts[0].phase"
    assert field_at("022", False, 178 + 29, n_za=1) is None
    assert field_at("022", False, 0) is None


def test_layouts_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        LAYOUTS["024"] = LAYOUTS["022"]  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Cross-check with hkara2/pmsixml (shared/data/pmsi_formats/pmsixml/rss0xx.csv, rss1xx.csv)

NOMC = {
    "FINESS": "finess",
    "VRUM": "version",
    "NRSS": "rss_number",
    "NADL": "admin_number",
    "NRUM": "rum_number",
    "DNAIS": "birth_date",
    "SEXE": "sex",
    "NUM": "unit",
    "TALD": "dedicated_bed",
    "DEUM": "entry_date",
    "MEUM": "entry_mode",
    "PROV": "provenance",
    "DSUM": "exit_date",
    "MSUM": "exit_mode",
    "DEST": "destination",
    "CPRE": "postcode",
    "PNNE": "newborn_weight",
    "AGEG": "gestational_age",
    "DDR": "last_menstrual_date",
    "NBSE": "seances",
    "NDA": "n_da",
    "NDAD": "n_dad",
    "NZA": "n_za",
    "DP": "dp",
    "DR": "dr",
    "IGS2": "igs2",
    "CCRS": "confirmation",
    "TYMA": "rt_machine",
    "TYDO": "rt_dosimetry",
    "NUMI": "innovation_number",
    "NIVGA": "ivg_count",
    "NIVG": "ivg_count",
    "AIVGP": "ivg_prev_year",
    "APIVG": "ivg_prev_year",
    "NNVA": "live_births",
    "RESER": "reserved",
    "CONVHC": "conversion_hc",
    "PECRAAC": "raac",
    "CTXPSP": "patient_context",
    "ADMPRH": "reserve_product",
    "RESCRT": "rescrit",
    "CATNIT": "intervention_category",
    "NP": "non_programmed",
    "PSUR": "emergency",
    "GVC": "classification_version",
    "VRSS": "rss_version",
    "GCR": "return_code",
}
ACT_NOMC = ["DR", "CCCA", "XPMSI", "PHAS", "ACTI", "XDOCU", "MODIF", "REXC", "ASSNP", "NREAL"]
ACT_NAMES = dict(
    zip(
        ACT_NOMC,
        [
            "date",
            "code",
            "extension",
            "phase",
            "activity",
            "doc_extension",
            "modifiers",
            "exceptional_refund",
            "unplanned_association",
            "count",
        ],
        strict=True,
    )
)


def our_name(nomc: str) -> str:
    if nomc.startswith(("FLR", "FILLR")):
        return "filler"
    if nomc.startswith("ZR"):
        return "reserved"
    return NOMC[nomc]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = [cell.strip() for cell in next(reader)]
        return [{key: cell.strip() for key, cell in zip(header, row, strict=False)} for row in reader if row]


def csv_path(code: str) -> Path:
    path = shared_file(f"pmsi_formats/pmsixml/rss{code}.csv")
    return path


# pmsixml has no 023/123 file.
CSV_CODES = [format_code(v, g) for v in RUM_VERSIONS[:-1] for g in (False, True)]


@pytest.mark.parametrize("code", CSV_CODES)
def test_fixed_part_matches_pmsixml(code: str) -> None:
    version, grouped = split_format_code(code) or ("", False)
    offset = 15 if grouped else 0
    ours: dict[tuple[str, int], int] = {}  # (name, start) -> length, grouped coordinates
    for item in GROUPED_PREFIX if grouped else ():
        ours[(item.name, item.start)] = item.length
    for item in layout(version).fixed:
        ours[(item.name, item.start + offset)] = item.length
    rows = [row for row in read_csv(csv_path(code)) if row["Typ"] == "RUM"]
    seen: set[tuple[str, int]] = set()
    for row in rows:
        start, length = int(row["Début"]), int(row["Taille"])
        if row["Nomc"] in ("NCMD", "NGHM"):  # we keep CMD + GHM number as one 6-character "ghm"
            assert ("ghm", 3) in ours and ours[("ghm", 3)] == 6
            seen.add(("ghm", 3))
            continue
        key = (our_name(row["Nomc"]), start)
        assert key in ours, f"{code}: {row['Nomc']} ({row['Libellé']}) at {start} is not in our layout"
        assert ours[key] == length, f"{code}: {row['Nomc']} length {length} vs ours {ours[key]}"
        seen.add(key)
    assert seen == set(ours), f"{code}: fields absent from the CSV: {set(ours) - seen}"
    da_row = next(row for row in read_csv(csv_path(code)) if row["Typ"] == "DA")
    assert int(da_row["Début"]) == fixed_length(version, grouped) + 1


# Kinds deliberately different from the CSV's "Droite/Zéro" (right-aligned, zero-filled) marks:
# - 022 postcode / dedicated bed: the ATIH 2024 workbook made them A left/space;
# - fillers and dates: ATIH fills them with spaces (a date is JJMMAAAA or blank);
# - the 6-character GHM (CMD part marked Droite/Zéro) is alphanumeric as a whole.
KIND_EXCEPTIONS = {"filler", "ghm", "date", "birth_date", "entry_date", "exit_date"}


@pytest.mark.parametrize("code", CSV_CODES)
def test_kinds_match_pmsixml(code: str) -> None:
    version, grouped = split_format_code(code) or ("", False)
    items = {item.name: item for item in (*GROUPED_PREFIX, *layout(version).fixed)}
    for row in read_csv(csv_path(code)):
        if row["Typ"] != "RUM" or row["Nomc"] in ("NCMD", "NGHM"):
            continue
        name = our_name(row["Nomc"])
        csv_numeric = row["Cadrage/Remplissage[3]"] == "Droite/Zéro"
        if name in KIND_EXCEPTIONS or (version >= "022" and name in ("postcode", "dedicated_bed")):
            continue
        assert (items[name].kind is Kind.NUMERIC) == csv_numeric, f"{code}: {name}"


@pytest.mark.parametrize("code", CSV_CODES)
def test_act_zone_matches_pmsixml(code: str) -> None:
    version, grouped = split_format_code(code) or ("", False)
    rows = [row for row in read_csv(csv_path(code)) if row["Typ"] == "ZA"]
    csv_fields = [(row["Nomc"], int(row["Taille"])) for row in rows]
    zone = layout(version).act
    ours = [(item.name, item.length) for item in zone]
    if grouped and ("CCCA", 10) in csv_fields:  # groupé CSVs merge the code and its PMSI extension
        index = [name for name, _ in ours].index("code")
        assert ours[index + 1] == ("extension", 3)
        ours[index : index + 2] = [("code", 10)]
    assert [(ACT_NAMES[name], length) for name, length in csv_fields] == ours
    assert sum(length for _, length in csv_fields) == layout(version).act_length
