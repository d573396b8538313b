"""The demo year's tariffs: the public table when present (relabelled, said so), else synthetic."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.demo.tariffs import SYNTHETIC, load_tariffs
from app.reference import repository as reference_repository
from app.reference import service as reference_service
from tests.conftest import SHARED_DATA, shared_file


@pytest.fixture()
def shared_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def point(path: Path) -> None:
        monkeypatch.setenv("DIMQA_SHARED_DATA_DIR", str(path))
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


def sources(session: Session) -> dict[tuple[str, int], str]:
    return {(item.kind.value, item.year): item.source for item in reference_service.list_loaded(session)}


def test_synthetic_when_the_public_files_are_absent(
    session: Session, shared_at: object, tmp_path: Path
) -> None:
    shared_at(tmp_path)  # type: ignore[operator]
    with session.begin():
        notes = load_tariffs(session, year=2022, ghms=["04M143", "28Z07Z", "90Z00Z"], loaded_by="demo")
        assert notes[0] == f"GHS tariffs of campaign 2020: {SYNTHETIC}"
        loaded = sources(session)
        assert [loaded[("ghs_tariffs", year)] for year in (2020, 2021, 2022)] == [SYNTHETIC] * 3
        assert loaded[("ghm_dms", 2018)] == SYNTHETIC
        assert reference_repository.ghs_of_ghm(session, 2022, "04M143") == ["0001"]
        row = reference_repository.ghs_tariff(session, 2022, "0001")
        assert row is not None and row.base is not None and row.base > 0 and row.high_bound == 18
        # Loaded campaigns are kept: a second run loads nothing.
        assert load_tariffs(session, year=2022, ghms=["04M143"], loaded_by="demo") == []
        session.rollback()


def test_the_public_table_when_present(session: Session, shared_at: object) -> None:
    shared_file("nomenclatures/tarifs_mco_ghs_public_2024_2025.csv")
    shared_at(SHARED_DATA)  # type: ignore[operator]
    with session.begin():
        notes = load_tariffs(session, year=2022, ghms=["04M143"], loaded_by="demo")
        assert notes[-1] == "national mean LOS: nomenclatures/ghm_dms_nationales_2018.csv"
        row = reference_repository.ghs_tariff(session, 2021, "1187")
        assert row is not None and (row.ghm, row.base) == ("04M143", Decimal("6680.73"))  # the 2025 tariff
        assert reference_repository.national_mean_los(session, "04M143") == Decimal("12.5073")
        session.rollback()
