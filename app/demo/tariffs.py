"""Tariffs for the demo year, so that its valuation, case-mix and annual report are complete.

When the public files are at hand (`DIMQA_SHARED_DATA_DIR`, by default ../shared/data beside the
project), the GHS tariffs of their latest campaign and the national mean LOS are loaded, the
tariffs as the tariffs of every campaign the demo year and the year before need (the public table
starts in 2024: the source of each load says so). Otherwise a synthetic table is generated for the
GHMs the demo stays use and loaded with the source `synthetic (dimqa demo, not ATIH tariffs)`.
Nothing is copied into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.reference import repository as reference_repository
from app.reference import service as reference_service
from app.reference.schemas import NomenclatureKind

GHS_FILE: Final = "nomenclatures/tarifs_mco_ghs_public_2024_2025.csv"
DMS_FILE: Final = "nomenclatures/ghm_dms_nationales_2018.csv"
SYNTHETIC: Final = "synthetic (dimqa demo, not ATIH tariffs)"
TARIFF_COLUMNS: Final = (
    "anseqta", "ghs", "ghm", "libelle_ghm", "borne_basse", "borne_haute", "tarif_base", "forfait_exb",
    "tarif_exb", "tarif_exh", "date_effet",
)  # fmt: skip


def _campaigns(year: int) -> list[int]:
    """Campaigns whose tariffs value the stays of `year` and of the year before (1 March starts)."""
    return [year - 2, year - 1, year]


def _relabelled(text: str, campaign: int) -> bytes:
    """The latest campaign's rows of a tariff CSV, as `campaign`'s (effective 1 March of it)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    latest = max(row["anseqta"] for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TARIFF_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        if row["anseqta"] == latest:
            writer.writerow({**row, "anseqta": str(campaign), "date_effet": f"01/03/{campaign}"})
    return out.getvalue().encode()


def _number(ghm: str, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{ghm}".encode()).digest()[:4], "big")


def synthetic_tariffs(ghms: Iterable[str], campaign: int) -> bytes:
    """A deterministic table: one GHS per GHM, base and bounds by severity level, séances priced per
    séance; plausible orders of magnitude, labelled synthetic wherever loaded."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TARIFF_COLUMNS)
    for index, ghm in enumerate(sorted(set(ghms)), start=1):
        level = ghm[-1]
        seance = ghm.startswith("28")
        base = 300 + _number(ghm, "base") % 400 if seance else 800 + _number(ghm, "base") % 3000
        factor = {"1": 1.0, "2": 1.6, "3": 2.4, "4": 3.5}.get(level, 0.6)
        high = 0 if seance or level in "JT" else int(6 * factor) + 4
        low = 0 if level in "12JTZ" or seance else int(factor)
        writer.writerow([
            campaign, f"{index:04d}", ghm, f"GHM {ghm} (tarif synthétique)", low, high,
            f"{base * factor:.2f}", "0", f"{base * factor / 10:.2f}" if low else "0",
            f"{base * factor / 12:.2f}" if high else "0", f"01/03/{campaign}",
        ])  # fmt: skip
    return out.getvalue().encode()


def synthetic_dms(ghms: Iterable[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("anseqta", "ghm", "ghs", "dms_n"))
    for ghm in sorted(set(ghms)):
        if not ghm.startswith(("28", "90")):
            writer.writerow((2018, ghm, "", f"{1 + _number(ghm, 'dms') % 900 / 100:.4f}"))
    return out.getvalue().encode()


def load_tariffs(session: Session, *, year: int, ghms: Iterable[str], loaded_by: str) -> list[str]:
    """Load GHS tariffs for the demo's campaigns and the national mean LOS; notes saying from what."""
    shared = Path(get_settings().shared_data_dir)
    ghms = sorted(set(ghms))
    notes: list[str] = []
    tariffs, dms = shared / GHS_FILE, shared / DMS_FILE
    loaded = reference_repository.campaign_starts(session)
    for campaign in _campaigns(year):
        if campaign in loaded:  # a hospital's own load, or a previous demo run: kept as it is
            continue
        if tariffs.is_file():
            data, source = (
                _relabelled(tariffs.read_text(encoding="utf-8"), campaign),
                f"{GHS_FILE} (latest campaign)",
            )
        else:
            data, source = synthetic_tariffs(ghms, campaign), SYNTHETIC
        reference_service.load(
            session,
            kind=NomenclatureKind.GHS_TARIFFS,
            year=campaign,
            data=data,
            source=source,
            loaded_by=loaded_by,
        )
        notes.append(f"GHS tariffs of campaign {campaign}: {source}")
    if reference_repository.ghm_mean_stays(session):
        return notes
    if dms.is_file():
        data, source = dms.read_bytes(), DMS_FILE
    else:
        data, source = synthetic_dms(ghms), SYNTHETIC
    reference_service.load(
        session, kind=NomenclatureKind.GHM_DMS, year=2018, data=data, source=source, loaded_by=loaded_by
    )
    notes.append(f"national mean LOS: {source}")
    return notes
