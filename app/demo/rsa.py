"""The grouper's output for the demo year: an RSA (with its TRA) per demo stay, so that its stays
are valued as a real year's are (docs/casemix.md, "The demo year").

dimqa never groups a stay. A DIM gets the GHS of each stay from GENRSA/DRUIDES; the demo has no
grouper, so it writes what one would answer, with the project's RSA writer, and sends it through
the RSA batch service like a DIM's upload: the GHM of the stay, the GHS of that GHM in the campaign
in force at its exit date (the lowest number when the GHM has several: the standard GHS, before
the ambulatory or minoré variants), the days beyond the high bound and below the low bound that
grouper computes from the same bounds, the séances. So that the case-mix page still shows each
reason a stay is not valued, no RSA is written for one ambiguous stay in AMBIGUOUS_KEPT (the GHS
stays `ambiguous_ghs`), for the stays without a GHM (`no_ghm`), in error (CMD 90, `error_ghm`) or
whose GHM has no tariff (`no_tariff`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final

from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.ingestion.records import Rss
from app.medeco import service as rsa_service
from app.medeco.rsa_layouts import LAYOUTS
from app.medeco.rsa_parser import GrouperOutput
from app.medeco.rsa_writer import rsa_line, tra_lines
from app.reference import repository as reference_repository
from app.reference.campaigns import campaign_of
from app.reference.tariffs import GhsTariff

AMBIGUOUS_KEPT: Final = 200  # one ambiguous stay in 200 keeps no RSA
FINESS_NAME: Final = "demo"


def _version(year: int) -> str:
    """The RSA format of the year's campaign (2xx), within the layouts dimqa reads."""
    versions = sorted(LAYOUTS)
    wanted = f"2{year % 100:02d}"
    return min(max(wanted, versions[0]), versions[-1])


def grouper_output(
    stays: Sequence[Rss], tariffs: Sequence[GhsTariff], starts: Mapping[int, date]
) -> tuple[bytes, bytes, int]:
    """(RSA file, TRA file, RSA written) for the stays a grouper would give a valued GHS."""
    by_ghm: dict[tuple[int, str], list[GhsTariff]] = defaultdict(list)
    for tariff in tariffs:
        if tariff.base is not None:
            by_ghm[(tariff.campaign, tariff.ghm)].append(tariff)
    lines: list[str] = []
    links = []
    ambiguous = 0
    for rss in stays:
        exit_date, entry_date, ghm = rss.exit_date, rss.entry_date, rss.ghm
        if exit_date is None or entry_date is None or not ghm or ghm.startswith("90"):
            continue
        candidates = sorted(by_ghm.get((campaign_of(exit_date, starts), ghm), []), key=lambda t: t.ghs)
        if not candidates:
            continue
        if len(candidates) > 1:
            ambiguous += 1
            if ambiguous % AMBIGUOUS_KEPT == 0:
                continue
        tariff = candidates[0]
        los = (exit_date - entry_date).days
        high, low = tariff.high_bound or 0, tariff.low_bound or 0
        below = low - los if los < low else 0
        index = len(lines) + 1
        lines.append(
            rsa_line(
                _version(exit_date.year), index=index, ghm=ghm, ghs=tariff.ghs, los=los,
                exit_month=exit_date.month, exit_year=exit_date.year,
                seances=rss.seances if ghm.startswith("28") else 0,
                exh_days=max(0, los - high) if high > 0 else 0,
                exb_type=("1" if (tariff.exb_forfait or 0) > 0 else "2") if below else "0", exb_days=below,
            )
        )  # fmt: skip
        links.append(
            (index, rss.rss_number, rss.first.admin_number or rss.rss_number, entry_date, exit_date, ghm)
        )
    return ("\r\n".join(lines) + "\r\n").encode("latin-1"), tra_lines(links), len(lines)


def load_rsa(session: Session, *, stays: Sequence[Rss], principal: Principal) -> str | None:
    """Send the demo year's grouper output through the RSA batch service (idempotent: the same
    output is the same batch); a note saying what was sent, None when there is nothing to send."""
    tariffs = reference_repository.ghs_tariffs(session)
    starts = reference_repository.campaign_starts(session)
    rsa, tra, count = grouper_output(stays, tariffs, starts)
    if not count:
        return None
    output = GrouperOutput(rsa, tra, f"{FINESS_NAME}.rsa", f"{FINESS_NAME}.tra.txt")
    batch, _created = rsa_service.ingest(session, output, principal=principal, source="demo")
    return (
        f"RSA: the GHS of {batch.rsa_accepted + batch.rsa_unchanged:,} stays, as a grouper gives them "
        f"(app/demo/rsa.py; written by dimqa, not by GENRSA)"
    )
