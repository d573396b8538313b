"""Rewrite the nomenclature slices of app/demo/data from the public files.

    python -m app.demo.data ../shared/data/nomenclatures [OUT_DIR]

OUT_DIR defaults to app/demo/data itself (tests/demo/test_data.py writes elsewhere and compares).

Keeps only the rows of the codes the demo year (default year and seed) and the examples use.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.demo import data
from app.demo.generator import generate
from app.reference.schemas import NomenclatureKind

HERE = Path(data.__file__).parent


def used_codes() -> tuple[set[str], set[str], set[str]]:
    """(CIM-10, CCAM, GHM) codes of the demo year's RUM and of the examples."""
    cim10, ccam, ghm = set(data.EXAMPLE_CIM10), set(data.EXAMPLE_CCAM), set(data.EXAMPLE_GHM)
    for rss in generate().rss:
        for rum in rss.rums:
            cim10.update(code for code in (rum.dp, rum.dr, *rum.das, *rum.dads) if code)
            ccam.update(act.code for act in rum.acts if act.code)
            if rum.ghm:
                ghm.add(rum.ghm)
    return cim10, ccam, ghm


def _rows(path: Path) -> Iterable[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _write(out: Path, name: str, header: Sequence[str], rows: Iterable[tuple[str, ...]]) -> set[str]:
    """Write the slice; the codes it holds."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    codes: set[str] = set()
    for row in sorted(rows):
        writer.writerow(row)
        codes.add(row[0])
    (out / name).write_text(text.getvalue(), encoding="utf-8")
    return codes


def main(argv: Sequence[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m app.demo.data <nomenclatures dir> [out dir]", file=sys.stderr)  # noqa: T201
        return 2
    source = Path(argv[0])
    out = Path(argv[1]) if len(argv) == 2 else HERE
    cim10, ccam, ghm = used_codes()
    activities: dict[str, set[str]] = {}
    for row in _rows(source / "ccam_regroupement.csv"):
        if row["code"] in ccam:
            activities.setdefault(row["code"], set()).add(row["activite"])
    labels: dict[str, tuple[int, str]] = {}
    for row in _rows(source / "ghm_regroupement_2024_2025.csv"):
        year = int(row["anseqta"])
        if row["ghm"] in ghm and year >= labels.get(row["ghm"], (0, ""))[0]:
            labels[row["ghm"]] = (year, row["libelle_ghm"])
    written = {
        NomenclatureKind.CIM10: _write(
            out,
            data.FILES[NomenclatureKind.CIM10],
            ("code", "label", "type_mco"),
            (
                (row["code"], row["lib_long"], row["tr"])
                for row in _rows(source / "cim10_fr_atih_2021.csv.gz")
                if row["code"] in cim10
            ),
        ),
        NomenclatureKind.CCAM: _write(
            out,
            data.FILES[NomenclatureKind.CCAM],
            ("code", "label", "valid_from", "valid_to", "activities"),
            (
                (
                    row["code"],
                    row["libelle_long"],
                    row["date_debut"],
                    row["date_fin"],
                    "".join(sorted(activities.get(row["code"], ()))),
                )
                for row in _rows(source / "ccam_actes.csv")
                if row["code"] in ccam
            ),
        ),  # fmt: skip
        NomenclatureKind.GHM: _write(
            out,
            data.FILES[NomenclatureKind.GHM],
            ("ghm", "label"),
            ((code, label) for code, (_, label) in labels.items()),
        ),
    }
    wanted = {NomenclatureKind.CIM10: cim10, NomenclatureKind.CCAM: ccam, NomenclatureKind.GHM: ghm}
    for kind, codes in written.items():
        missing = sorted(wanted[kind] - codes)
        print(f"{data.FILES[kind]}: {len(codes)} codes; used, not in the public file: {missing or 'none'}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
