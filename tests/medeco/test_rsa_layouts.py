"""The RSA and TRA layouts, field by field against the pmsixml CSV files of the shared data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.medeco.rsa_layouts import ATIH_CODES, LAYOUTS, RSA_VERSIONS, TRA_FIXED
from tests.conftest import shared_file


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def _zone(rows: list[dict[str, str]], kind: str) -> int:
    return sum(int(row["Taille"]) for row in rows if row["Typ"] == kind)


@pytest.mark.parametrize("version", RSA_VERSIONS)
def test_fixed_part_and_zones_match_pmsixml(version: str) -> None:
    rows = _rows(shared_file(f"pmsi_formats/pmsixml/rsa{version}.csv"))
    fixed = [row for row in rows if row["Typ"] == "RSA"]
    starts = {row["Nomc"]: int(row["Début"]) for row in fixed}
    layout = LAYOUTS[version]
    assert layout.fixed_length == int(fixed[-1]["Fin"])
    named = [item for item in layout.fixed if not item.name.startswith("filler")]
    for item in named:
        code = ATIH_CODES[item.name]
        if code == "NSR" and version < "221":
            code = "NZSRT"
        assert starts[code] == item.start, (version, item.name)
    # Every non-filler field of the CSV is in the layout (GHM parts are read as one 6-character code).
    parts = {"GLTYP", "GLNUM", "GLCPX", "GRTYP", "GRNUM", "GRCPX"}
    codes = {ATIH_CODES[item.name] for item in named} | parts | {"NZSRT"}
    missing = {row["Nomc"] for row in fixed if not row["Nomc"].startswith(("FI", "FLR"))} - codes
    assert missing == set()
    assert layout.rum_length == _zone(rows, "RU")
    assert layout.act_length == _zone(rows, "ZA")


def test_tra_matches_pmsixml() -> None:
    rows = [row for row in _rows(shared_file("pmsi_formats/pmsixml/tra2016.csv")) if row["Typ"] == "TRA"]
    assert [(int(row["Début"]), int(row["Taille"])) for row in rows] == [
        (item.start, item.length) for item in TRA_FIXED
    ]


def test_supplement_fields_by_version() -> None:
    assert len(LAYOUTS["218"].supplements) == 14
    assert len(LAYOUTS["228"].supplements) == 16
    assert [item.name for item in LAYOUTS["229"].supplements][-7:] == [
        "sup_si", "sup_usip", "sup_src", "sup_nn1", "sup_nn2", "sup_nn3", "sup_rep",
    ]  # fmt: skip
