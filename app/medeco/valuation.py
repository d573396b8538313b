"""The valuation of one stay: pure arithmetic on the tariff rows the service looked up (docs/tariffs.md).

    base  = GHS tariff × séances (CMD 28 séance GHMs with séances) or × 1
    exh   = exh_days × EXH per day, exh_days = max(0, los − high bound) unless the RSA gives it
    exb   = EXB forfait when the table has one, else exb_days × EXB per day, where
            exb_days = low bound − los when los < low bound unless the RSA gives it (0: no EXB)
    total = (base + exh − exb + supplements) × coefficient, rounded to the cent once, at the end

Amounts are Decimal throughout: only `total` is rounded (half up), so a coefficient never rounds
each part separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CENT: Final = Decimal("0.01")
ONE: Final = Decimal(1)
ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True)
class Tariff:
    """The money of one GHS in one campaign (a GHS 9999 row has no base: not valued)."""

    ghs: str
    low_bound: int
    high_bound: int
    base: Decimal
    exb_forfait: Decimal
    exb_daily: Decimal
    exh_daily: Decimal


@dataclass(frozen=True, slots=True)
class GrouperResult:
    """What the RSA says about the stay (None fields: the RSA does not say)."""

    ghs: str | None
    exb_days: int
    exh_days: int
    exb_type: str  # NJBEB: 1 forfait, 2 per day, else no EXB
    ghs_minore: bool
    supplements: Mapping[str, int] = field(default_factory=dict)  # code -> count, radiotherapy GHS included


@dataclass(frozen=True, slots=True)
class Amounts:
    los: int
    base: Decimal
    exb_days: int
    exb: Decimal
    exh_days: int
    exh: Decimal
    supplements: Decimal
    supplement_lines: tuple[tuple[str, int, Decimal | None, Decimal], ...]  # code, count, tariff, amount
    coefficient: Decimal
    total: Decimal


def campaign_of(day: date) -> int:
    """The campaign in force on `day` when campaigns start on 1 March."""
    return day.year if day.month >= 3 else day.year - 1


def is_seance_ghm(ghm: str) -> bool:
    return ghm.startswith("28")


def value(
    tariff: Tariff,
    *,
    ghm: str,
    los: int,
    seances: int,
    rsa: GrouperResult | None,
    supplement_tariffs: Mapping[str, Decimal],
    coefficient: Decimal = ONE,
) -> Amounts:
    multiplier = seances if is_seance_ghm(ghm) and seances > 0 else 1
    base = tariff.base * multiplier
    if rsa is not None:
        exh_days, exb_days = rsa.exh_days, rsa.exb_days
        below = exb_days > 0 or rsa.exb_type in {"1", "2"}
    else:
        exh_days = max(0, los - tariff.high_bound) if tariff.high_bound > 0 else 0
        exb_days = tariff.low_bound - los if los < tariff.low_bound else 0
        below = exb_days > 0
    exh = exh_days * tariff.exh_daily
    if not below:
        exb = ZERO
    elif tariff.exb_forfait > 0:
        exb = tariff.exb_forfait
    else:
        exb = exb_days * tariff.exb_daily
    lines = []
    for code, count in sorted((rsa.supplements if rsa is not None else {}).items()):
        price = supplement_tariffs.get(code)
        lines.append((code, count, price, ZERO if price is None else price * count))
    supplements = sum((line[3] for line in lines), ZERO)
    total = ((base + exh - exb + supplements) * coefficient).quantize(CENT, rounding=ROUND_HALF_UP)
    return Amounts(
        los=los, base=base, exb_days=exb_days if below else 0, exb=exb, exh_days=exh_days, exh=exh,
        supplements=supplements, supplement_lines=tuple(lines), coefficient=coefficient, total=total,
    )  # fmt: skip
