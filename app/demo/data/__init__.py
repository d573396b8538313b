"""The nomenclature slices of the realistic configuration: the CIM-10, CCAM and GHM rows of the codes
the demo year uses (and the codes of the documented examples), as small CSV files shipped with the
package, so that a fresh machine loads the same references as a hospital would, without the public
files.

The slices are cut from the public ATIH-derived files (../shared/data/nomenclatures) by
``python -m app.demo.data <nomenclatures dir>``, which rewrites them; nothing else is copied. They are
in the canonical layouts of app.reference.loaders (docs/nomenclatures.md):

* ``cim10.csv``: ``code;label;type_mco``;
* ``ccam.csv``: ``code;label;valid_from;valid_to;activities`` (the activities from the CCAM
  regroupement file, so that the activity checks run);
* ``ghm.csv``: ``ghm;label`` (the classification's latest label of each GHM).
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.demo.generator import build_ium, build_structure
from app.demo.reference_2022 import YEAR
from app.reference import service as reference_service
from app.reference.models import NomenclatureLoad
from app.reference.schemas import NomenclatureKind
from app.structure import service as structure_service

FILES: Final[dict[NomenclatureKind, str]] = {
    NomenclatureKind.CIM10: "cim10.csv",
    NomenclatureKind.CCAM: "ccam.csv",
    NomenclatureKind.GHM: "ghm.csv",
}
# Codes outside the demo's stays that the record builders of the tests (tests/ingestion/builders.py)
# and the generated files of the benchmarks (bench/rss_ingest.py) use: valid in the realistic
# configuration, as in a hospital's nomenclatures.
# fmt: off
EXAMPLE_CIM10: Final = (
    "J189", "I10", "Z511", "C349", "E119", "R69", "K529", "C509",
    "A418", "B962", "E1168", "E1190", "E1198", "E43", "E6603", "E8718", "E8768", "F100", "F419", "G309",
    "I1100", "I209", "I2140", "I5000", "I5010", "I701", "J440", "J969", "K219", "K564", "K590", "K800",
    "L024", "L031", "M511", "N40", "R51", "T810", "T8138", "U0712", "Z590", "Z864", "Z8671", "Z880", "Z940",
)
EXAMPLE_CCAM: Final = (
    "ZBQK002", "ZZNL065", "ACQH003", "BFGA002", "DERP004", "EQQP004", "GLQP008", "JDQJ001",
    "LHQK001", "QZFA031", "QZJA002", "YYYY600", "ZCQK002", "ZZQK002",
)
EXAMPLE_GHM: Final = ("04M051", "28Z07Z", "17M061", "08M042", "16M111", "23M20T")
# fmt: on


def read(kind: NomenclatureKind) -> bytes:
    """The slice of `kind` as shipped."""
    return resources.files(__name__).joinpath(FILES[kind]).read_bytes()


def load_slices(session: Session, *, loaded_by: str, year: int = YEAR) -> list[NomenclatureLoad]:
    """Load the three slices as `year`'s nomenclatures (the caller owns the transaction)."""
    return [
        reference_service.load(
            session,
            kind=kind,
            year=year,
            data=read(kind),
            source=f"app.demo.data/{name}",
            loaded_by=loaded_by,
        )  # fmt: skip
        for kind, name in FILES.items()
    ]


def ium_file() -> bytes:
    """The demo's fichier d'UM: an authorisation line per MCO unit."""
    return ("\n".join(build_ium()) + "\n").encode()


def load_configuration(session: Session, *, loaded_by: str = "realistic-configuration") -> None:
    """The realistic configuration's references, as a hospital has them loaded: the demo structure
    (pôles, services, UMs), its fichier d'UM and the nomenclature slices. The caller owns the
    transaction. Used by the end-to-end tests (tests/fixtures/realistic.py) and bench/realistic.py."""
    structure_service.replace_structure(session, build_structure())
    principal = Principal(name=loaded_by, role=Role.ADMIN, units=None)
    result = structure_service.load_ium(session, ium_file(), principal=principal)
    if result.lines_rejected:
        raise ValueError(f"the demo fichier d'UM: {result.lines_rejected} line(s) rejected")
    load_slices(session, loaded_by=loaded_by)
