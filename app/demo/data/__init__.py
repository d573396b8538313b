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

from app.demo.reference_2022 import YEAR
from app.reference import service as reference_service
from app.reference.models import NomenclatureLoad
from app.reference.schemas import NomenclatureKind

FILES: Final[dict[NomenclatureKind, str]] = {
    NomenclatureKind.CIM10: "cim10.csv",
    NomenclatureKind.CCAM: "ccam.csv",
    NomenclatureKind.GHM: "ghm.csv",
}
# Codes outside the demo's stays that the README's examples and the record builders of the tests
# use (tests/ingestion/builders.py): valid in the realistic configuration as in a hospital.
EXAMPLE_CIM10: Final = ("J189", "I10", "Z511", "C349", "E119", "R69", "K529", "C509")
EXAMPLE_CCAM: Final = ("ZBQK002", "ZZNL065")
EXAMPLE_GHM: Final = ("04M051", "28Z07Z", "17M061")


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
