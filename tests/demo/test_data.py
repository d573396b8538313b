"""The nomenclature slices of the realistic configuration (app/demo/data)."""

from __future__ import annotations

from pathlib import Path

from app.demo import data
from app.demo.data.__main__ import main
from app.reference.schemas import NomenclatureKind
from bench import rss_ingest
from tests.conftest import shared_file


def codes(kind: NomenclatureKind) -> set[str]:
    return {line.split(";", 1)[0] for line in data.read(kind).decode().splitlines()[1:]}


def test_the_slices_are_what_the_command_cuts_from_the_public_files(tmp_path: Path) -> None:
    assert main([str(shared_file("nomenclatures")), str(tmp_path)]) == 0
    for name in data.FILES.values():
        assert (tmp_path / name).read_bytes() == (Path(data.__file__).parent / name).read_bytes(), name


def test_the_benchmark_files_use_codes_of_the_slices() -> None:
    """Else every generated stay would carry "unknown code" findings a hospital never sees."""
    dps = {code for _ghm, choices, _acts in rss_ingest.STAYS for code in choices}
    used = {*dps, *rss_ingest.COMORBIDITIES, *rss_ingest.SEANCE_DR, "Z511"}
    assert used <= codes(NomenclatureKind.CIM10)
    acts = {code for _ghm, _dps, choices in rss_ingest.STAYS for code in choices}
    acts |= set(rss_ingest.SEANCE_ACTS)
    assert acts <= codes(NomenclatureKind.CCAM)
    assert {ghm for ghm, _dps, _acts in rss_ingest.STAYS} | {"28Z07Z"} <= codes(NomenclatureKind.GHM)
