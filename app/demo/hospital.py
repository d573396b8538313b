"""The demo hospital's organisation: its FINESS, services, unit-to-service map, SMR units and the
fichier d'UM (authorisations), with the structure and fichier d'UM built from them."""

from __future__ import annotations

from datetime import date
from typing import Final

from app.demo import reference_2022 as ref
from app.demo.dates import ddmmyyyy
from app.demo.plan import AMBULATORY_PREFIX
from app.reference.ium import IumLine, write_ium
from app.structure.schemas import PoleIn, ServiceIn, StructureIn, UnitIn

FINESS: Final = "070000017"  # fictitious e-PMSI FINESS of the demo hospital
FINESS_GEO: Final = "070000025"

# Services: one per specialty, inside the pôle of its units (the turnaround report is per service).
SERVICES: Final[tuple[tuple[str, str, str], ...]] = (
    ("ONCO", "Oncologie", "MED"),
    ("CARDIO", "Cardiologie", "MED"),
    ("MPU", "Médecine polyvalente post-urgences", "MED"),
    ("GASTRO", "Gastro-entérologie", "MED"),
    ("MEDPOLY", "Médecine polyvalente", "MED"),
    ("GERIA", "Gériatrie", "MED"),
    ("PNEUMO", "Médecine générale et pneumologie", "MED"),
    ("RHUMATO", "Rhumatologie", "MED"),
    ("DOULEUR", "Douleur chronique", "MED"),
    ("ORTHO", "Chirurgie orthopédique et traumatologique", "MERE"),
    ("DENTAIRE", "Chirurgie dentaire", "MERE"),
    ("GYNOBS", "Gynécologie-obstétrique", "MERE"),
    ("VISC", "Chirurgie viscérale", "MERE"),
    ("PLASTIQUE", "Chirurgie plastique et esthétique", "MERE"),
    ("VASC", "Chirurgie vasculaire", "MERE"),
    ("ORL", "ORL", "MERE"),
    ("REA", "Réanimation - soins continus", "MERE"),
    ("PEDIA", "Pédiatrie - néonatalogie", "MERE"),
    ("CHIRPED", "Chirurgie pédiatrique", "MERE"),
    ("OPHTALMO", "Ophtalmologie", "MERE"),
    ("URO", "Urologie", "MERE"),
    ("REEDUC", "Rééducation Vals", "MERE"),
    ("CHIRAMBU", "Chirurgie ambulatoire", "MERE"),
    ("DIABETO", "Diabétologie - endocrinologie", "SMR"),
    ("SMR", "Soins médicaux et de réadaptation", "SMR"),
    ("URG", "Urgences - UHCD", "URG"),
)
UNIT_SERVICE: Final[dict[str, str]] = {
    "5540": "MEDPOLY", "7500": "ONCO", "7510": "CARDIO", "7515": "MPU", "7521": "GASTRO",
    "7525": "MEDPOLY", "7526": "GERIA", "7529": "PNEUMO", "7702": "ONCO", "7703": "PNEUMO",
    "7704": "GASTRO", "7705": "CARDIO", "7724": "RHUMATO", "7727": "DOULEUR",
    "7020": "ORTHO", "7030": "DENTAIRE", "7040": "GYNOBS", "7050": "VISC", "7065": "PLASTIQUE",
    "7070": "VASC", "7075": "PLASTIQUE", "7080": "ORL", "7400": "REA", "7410": "REA",
    "7600": "GYNOBS", "7620": "GYNOBS", "7630": "PEDIA", "7635": "CHIRPED", "7636": "CHIRPED",
    "7637": "CHIRPED", "7638": "CHIRPED", "7640": "PEDIA", "7699": "PEDIA", "7720": "OPHTALMO",
    "7721": "URO", "7730": "REEDUC",
    "7110": "DIABETO", "7120": "DIABETO", "5520": "URG",
    **{u.code: "CHIRAMBU" for u in ref.UNITS if u.code.startswith("79")},
}  # fmt: skip
# SMR units (RHS only, no RUM): code, label, authorisation type.
SSR_UNITS: Final[tuple[tuple[str, str, str], ...]] = (
    ("7130", "SMR polyvalent", "50A"),
    ("7140", "SMR locomoteur et neurologique", "51A"),
    ("7150", "HDJ SMR", "50A"),
)
# Fichier d'UM: unit -> (authorisation type, beds, hospitalisation mode).
AUTHORISATIONS: Final[dict[str, tuple[str, int, str]]] = {
    "5520": ("07A", 8, "C"), "5540": ("29", 10, "C"), "7400": ("01A", 8, "C"), "7410": ("03A", 8, "C"),
    "7500": ("40", 20, "M"), "7702": ("43", 18, "P"), "7510": ("29", 24, "C"), "7515": ("29", 10, "C"),
    "7521": ("29", 4, "C"), "7525": ("29", 26, "C"), "7526": ("27", 24, "C"), "7529": ("29", 22, "C"),
    "7703": ("29", 2, "P"), "7704": ("29", 2, "P"), "7705": ("29", 2, "P"), "7724": ("29", 3, "P"),
    "7727": ("61", 1, "P"), "7630": ("28", 18, "M"), "7640": ("04", 6, "C"), "7699": ("71", 0, "C"),
    "7600": ("73", 26, "M"), "7620": ("73", 4, "M"), "7110": ("29", 12, "C"), "7120": ("29", 14, "C"),
    "7635": ("52", 2, "M"), "7636": ("52", 3, "M"), "7637": ("52", 2, "M"), "7638": ("52", 1, "P"),
}  # fmt: skip
AUTHORISATION_EFFECT: Final = date(2015, 1, 1)

# --- Structure ---------------------------------------------------------------------------------------


def build_structure() -> StructureIn:
    poles = [PoleIn(code=p.code, label=p.label) for p in ref.POLES]
    services = [ServiceIn(code=code, label=label, pole=pole) for code, label, pole in SERVICES]
    units = [UnitIn(code=u.code, label=u.label, pole=u.pole, service=UNIT_SERVICE[u.code]) for u in ref.UNITS]
    units += [UnitIn(code=code, label=label, pole="SMR", service="SMR") for code, label, _ in SSR_UNITS]
    return StructureIn(poles=poles, services=services, units=units)


def build_ium() -> list[str]:
    """The fichier d'UM: one authorisation line per MCO unit."""
    lines: list[str] = []
    effect = AUTHORISATION_EFFECT
    for unit in ref.UNITS:
        if unit.code in AUTHORISATIONS:
            auth_type, beds, mode = AUTHORISATIONS[unit.code]
        elif unit.code.startswith(AMBULATORY_PREFIX):
            auth_type, beds, mode = "53", 0, "P"  # ambulatory surgery places
        elif unit.code.startswith("77"):
            auth_type, beds, mode = "29", 2, "P"
        else:
            auth_type, beds, mode = "53", 16, "M"
        lines.append(
            write_ium(IumLine(0, unit.code, FINESS_GEO, auth_type, ddmmyyyy(effect), effect, beds, mode))
        )
    return lines
