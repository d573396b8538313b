"""Public nomenclatures (../shared/data/nomenclatures) as lookup tables for the demo tests."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass

from tests.conftest import shared_file


@dataclass(frozen=True, slots=True)
class Nomenclatures:
    cim_type: dict[str, int]  # CIM-10 FR code -> "type MCO" restriction (0 free, 3 not codable...)
    ssr: dict[str, str]  # CIM-10 FR code -> SMR flags: allowed as FPPC, MMP, AE, DAS ("O"/"N")
    ccam: set[str]  # acts still in force (no end date)
    ccam_activities: set[tuple[str, str]]
    ccam_extensions: dict[str, set[str]]  # act -> allowed "-NN" extensions
    ghm: set[str]
    csarr: set[str]


def load() -> Nomenclatures:
    """The six files' tables; the calling test skips, naming the first file missing."""
    with gzip.open(shared_file("nomenclatures/cim10_fr_atih_2021.csv.gz"), "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    cim = {row["code"]: int(row["tr"]) for row in rows}
    ssr = {row["code"]: row["tssr"] for row in rows}
    with shared_file("nomenclatures/ccam_actes.csv").open(encoding="utf-8") as handle:
        ccam = {row["code"] for row in csv.DictReader(handle) if not row["date_fin"]}
    with shared_file("nomenclatures/ccam_regroupement.csv").open(encoding="utf-8") as handle:
        activities = {(row["code"], row["activite"]) for row in csv.DictReader(handle)}
    extensions: dict[str, set[str]] = {}
    with shared_file("nomenclatures/ccam_extensions_descriptives_atih.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            extensions.setdefault(row["code"], set()).add("-" + row["extension_descriptive"])
    with shared_file("nomenclatures/ghm_regroupement_2024_2025.csv").open(encoding="utf-8") as handle:
        ghm = {row["ghm"] for row in csv.DictReader(handle)}
    with shared_file("nomenclatures/csarr_codes.csv").open(encoding="utf-8") as handle:
        csarr = {row["code"] for row in csv.DictReader(handle)}
    return Nomenclatures(cim, ssr, ccam, activities, extensions, ghm, csarr)
