"""GHS tariffs per campaign and national mean lengths of stay per GHM: readers and pure helpers.

Two ATIH-derived shapes are read (see docs/nomenclatures.md):

* GHS tariffs: ``ghs;ghm[;label;campaign;low_bound;high_bound;base;exb_forfait;exb_daily;exh_daily;
  effective_date]``, aliases of `tarifs_mco_ghs_public_2024_2025.csv` (``anseqta, ghs, ghm, libelle_ghm,
  borne_basse, borne_haute, tarif_base, forfait_exb, tarif_exb, tarif_exh, date_effet``) and of
  `tarifs_mco_ghs_9999.csv` (``ghs, ghm, libelle_ghm``: the GHMs that are not valued, GHS 9999).
* National mean LOS: ``ghm;mean_los[;ghs;year;low_bound;high_bound]``, aliases of
  `ghm_dms_nationales_2018.csv` (``anseqta, ghm, ghs, borne_basse, borne_haute, dms_n``).

A tariff campaign starts on 1 March of its year (`anseqta`), unless its rows say otherwise
(`date_effet`: the 2023 campaign started on 1 May). The campaign of a row is its `anseqta`; without
one, the campaign its effective date falls in; without either, the year the load names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from app.core.config import DEFAULT_MAX_DECOMPRESSED_BYTES
from app.core.line_errors import LineError
from app.reference.campaigns import CAMPAIGN_MONTH, campaign_of
from app.reference.loaders import Layout, Source, _Columns, _parse_date

UNVALUED_GHS: Final = "9999"  # the GHS of the GHMs the tariffs do not pay (cosmetic surgery, errors...)
_GHS: Final = re.compile(r"[0-9]{1,4}")
_GHM6: Final = re.compile(r"[0-9]{2}[A-Z][0-9]{2}[0-9A-Z]")
_MONEY: Final = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_LOS: Final = re.compile(r"[0-9]+(?:\.[0-9]{1,4})?")
_YEAR: Final = re.compile(r"[0-9]{4}")


@dataclass(frozen=True, slots=True)
class GhsTariff:
    """One GHS of one campaign. The money fields are None for GHS 9999 (not valued)."""

    campaign: int
    ghs: str  # 4 digits: "0022"
    ghm: str
    label: str
    low_bound: int | None  # borne basse (days); a stay below it is paid less (EXB)
    high_bound: int | None  # borne haute (days); each day beyond it is paid EXH
    base: Decimal | None  # euros
    exb_forfait: Decimal | None  # forfait EXB, 0 when the GHS has a per-day EXB instead
    exb_daily: Decimal | None  # EXB per day below the low bound
    exh_daily: Decimal | None  # EXH per day beyond the high bound
    effective_date: date | None

    @property
    def valued(self) -> bool:
        return self.base is not None


@dataclass(frozen=True, slots=True)
class GhmMeanStay:
    """National mean length of stay (DMS) of a GHM, or of one of its GHS, for one year."""

    year: int
    ghm: str
    ghs: str  # "" for the GHM as a whole
    low_bound: int | None
    high_bound: int | None
    mean_los: Decimal


_TARIFF_COLUMNS: Final = _Columns(
    ("ghs", "ghm"),
    {
        "ghs": ("ghs",),
        "ghm": ("ghm",),
        "label": ("label", "libelle_ghm", "libelle"),
        "campaign": ("campaign", "anseqta"),
        "low_bound": ("low_bound", "borne_basse"),
        "high_bound": ("high_bound", "borne_haute"),
        "base": ("base", "tarif_base"),
        "exb_forfait": ("exb_forfait", "forfait_exb"),
        "exb_daily": ("exb_daily", "tarif_exb"),
        "exh_daily": ("exh_daily", "tarif_exh"),
        "effective_date": ("effective_date", "date_effet"),
    },
)
_DMS_COLUMNS: Final = _Columns(
    ("ghm", "mean_los"),
    {
        "ghm": ("ghm",),
        "mean_los": ("mean_los", "dms_n", "dms"),
        "ghs": ("ghs",),
        "year": ("year", "anseqta"),
        "low_bound": ("low_bound", "borne_basse"),
        "high_bound": ("high_bound", "borne_haute"),
    },
)


def campaign_start(campaign: int, effective_dates: list[date]) -> date:
    """When a campaign started: the earliest effective date of its rows on or after 1 March of its
    year (rows whose tariff did not change keep the previous campaign's date), else 1 March."""
    first = date(campaign, CAMPAIGN_MONTH, 1)
    own = [day for day in effective_dates if day >= first]
    return min(own) if own else first


def _money(line: int, values: dict[str, str], name: str) -> Decimal | LineError | None:
    raw = values.get(name, "").replace(",", ".").replace(" ", "")
    if not raw:
        return None
    if not _MONEY.fullmatch(raw):
        return LineError(line, name, "invalid_value", f"{name} {values[name]!r} is not an amount in euros")
    return Decimal(raw)


def _days(line: int, values: dict[str, str], name: str) -> int | LineError | None:
    raw = values.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        return LineError(line, name, "invalid_value", f"{name} {raw!r} is not a number of days")
    return int(raw)


def _tariff_row(line: int, values: dict[str, str], default_campaign: int) -> GhsTariff | LineError:
    raw_ghs = values["ghs"]
    if not _GHS.fullmatch(raw_ghs):
        return LineError(line, "ghs", "invalid_code", f"{raw_ghs!r} is not a GHS number")
    ghs = raw_ghs.zfill(4)
    ghm = values["ghm"].upper()
    if not _GHM6.fullmatch(ghm):
        return LineError(line, "ghm", "invalid_code", f"{values['ghm']!r} is not a GHM")
    try:
        effective = _parse_date(values.get("effective_date", ""))
    except ValueError:
        return LineError(
            line, "effective_date", "invalid_date", f"{values['effective_date']!r} is not a date"
        )
    raw_campaign = values.get("campaign", "")
    if raw_campaign and not _YEAR.fullmatch(raw_campaign):
        return LineError(line, "campaign", "invalid_value", f"campaign {raw_campaign!r} is not a year")
    if raw_campaign:
        campaign = int(raw_campaign)
    elif effective is not None:
        campaign = campaign_of(effective)
    else:
        campaign = default_campaign
    numbers: dict[str, int | Decimal | None] = {}
    for name in ("low_bound", "high_bound"):
        days = _days(line, values, name)
        if isinstance(days, LineError):
            return days
        numbers[name] = days
    for name in ("base", "exb_forfait", "exb_daily", "exh_daily"):
        money = _money(line, values, name)
        if isinstance(money, LineError):
            return money
        numbers[name] = money
    if ghs == UNVALUED_GHS:  # not valued: whatever the file says, no money and no bounds
        return GhsTariff(
            campaign, ghs, ghm, values.get("label", ""), None, None, None, None, None, None, effective
        )
    for name in ("base", "low_bound", "high_bound"):
        if numbers[name] is None:
            return LineError(line, name, "missing_value", f"{name} of GHS {ghs} is blank")
    low, high = numbers["low_bound"], numbers["high_bound"]
    assert isinstance(low, int) and isinstance(high, int)
    if high < low:
        return LineError(
            line, "high_bound", "invalid_range", f"GHS {ghs}: high bound {high} < low bound {low}"
        )
    zero = Decimal(0)

    def amount(name: str) -> Decimal:
        value = numbers[name]
        return value if isinstance(value, Decimal) else zero

    return GhsTariff(
        campaign,
        ghs,
        ghm,
        values.get("label", ""),
        low,
        high,
        amount("base"),
        amount("exb_forfait"),
        amount("exb_daily"),
        amount("exh_daily"),
        effective,
    )


_TARIFFS: Final[Layout[GhsTariff]] = Layout(
    _TARIFF_COLUMNS,
    "GHS tariff",
    lambda row: ((row.campaign, row.ghs, row.ghm), "ghs", f"GHS {row.ghs} ({row.ghm}) is listed twice"),
)


def read_ghs_tariffs(
    source: Source, *, default_campaign: int, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[GhsTariff | LineError]:
    """GHS tariffs of every campaign the file holds (`default_campaign` for rows that name none)."""
    return _TARIFFS.read(source, max_bytes, lambda line, values: _tariff_row(line, values, default_campaign))


_DMS: Final[Layout[GhmMeanStay]] = Layout(
    _DMS_COLUMNS,
    "national DMS",
    lambda row: ((row.year, row.ghm, row.ghs), "ghm", f"{row.ghm} {row.ghs or ''} is listed twice".rstrip()),
)


def read_ghm_dms(
    source: Source, *, default_year: int, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[GhmMeanStay | LineError]:
    """National mean LOS per GHM (and per GHS when the file splits a GHM), per year."""
    return _DMS.read(source, max_bytes, lambda line, values: _dms_row(line, values, default_year))


def _dms_row(line: int, values: dict[str, str], default_year: int) -> GhmMeanStay | LineError:
    ghm = values["ghm"].upper()
    if not _GHM6.fullmatch(ghm):
        return LineError(line, "ghm", "invalid_code", f"{values['ghm']!r} is not a GHM")
    raw_ghs = values.get("ghs", "")
    if raw_ghs and not _GHS.fullmatch(raw_ghs):
        return LineError(line, "ghs", "invalid_code", f"{raw_ghs!r} is not a GHS number")
    raw_year = values.get("year", "")
    if raw_year and not _YEAR.fullmatch(raw_year):
        return LineError(line, "year", "invalid_value", f"year {raw_year!r} is not a year")
    raw_los = values["mean_los"].replace(",", ".")
    if not _LOS.fullmatch(raw_los):
        return LineError(
            line, "mean_los", "invalid_value", f"mean LOS {values['mean_los']!r} is not a number"
        )
    low = _days(line, values, "low_bound")
    if isinstance(low, LineError):
        return low
    high = _days(line, values, "high_bound")
    if isinstance(high, LineError):
        return high
    return GhmMeanStay(
        int(raw_year) if raw_year else default_year,
        ghm,
        raw_ghs.zfill(4) if raw_ghs else "",
        low,
        high,
        Decimal(raw_los),
    )


def mean_los_of(rows: list[GhmMeanStay], ghs: str | None = None) -> Decimal | None:
    """The national mean LOS of a GHM from its rows of one year: the given GHS's row when the file
    splits the GHM and has it, else the GHM's own row (blank GHS), else its lowest-numbered GHS (the
    GHM's standard GHS: the higher numbers are the special ones, e.g. stroke units)."""
    if not rows:
        return None
    if ghs is not None:
        for row in rows:
            if row.ghs == ghs.zfill(4):
                return row.mean_los
    whole = [row for row in rows if row.ghs == ""]
    if whole:
        return whole[0].mean_los
    return min(rows, key=lambda row: row.ghs).mean_los
