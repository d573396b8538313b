"""Valuation of a stored RSS: its RSA (if any), the campaign's tariffs, supplements and coefficient.

The arithmetic is app.medeco.valuation; this module picks its inputs (docs/tariffs.md):

* GHM: the RSA's (GENRSA's) GHM, else the RSS's; none → `no_ghm`; CMD 90 → `error_ghm`.
* Campaign: the one the RSA batch named, else the one in force at the RSS exit date (the RSA's
  exit month when the RSS has no exit date), as app.reference.repository.campaign_in_force
  decides it (1 March, or the loaded effective date).
* GHS: the RSA's (`ghs_source` "rsa"); without an RSA, the GHM's GHS in that campaign when it
  has exactly one ("tariff"); several → `ambiguous_ghs`; none, a campaign not loaded, or a GHS
  without money (9999) → `no_tariff`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.medeco import repository
from app.medeco.models import Rsa
from app.medeco.schemas import NotValuedReason, SupplementValue, Valuation
from app.medeco.valuation import ONE, GrouperResult, Tariff, value
from app.reference import repository as reference_repository


def _result(rsa: Rsa) -> GrouperResult:
    supplements = dict(rsa.supplements)
    for ghs, count in rsa.radiotherapy.items():
        supplements[ghs] = supplements.get(ghs, 0) + count
    return GrouperResult(rsa.ghs, rsa.exb_days, rsa.exh_days, rsa.exb_type, rsa.ghs_minore, supplements)


def _campaign(session: Session, rsa: Rsa | None, exit_date: date | None) -> int | None:
    if rsa is not None and rsa.campaign is not None:
        return rsa.campaign
    day = exit_date
    if day is None and rsa is not None and 1 <= rsa.exit_month <= 12 and rsa.exit_year > 1900:
        day = date(rsa.exit_year, rsa.exit_month, 1)
    return None if day is None else reference_repository.campaign_in_force(session, day)


def value_rss(session: Session, *, rss_number: str) -> tuple[Valuation | None, NotValuedReason | None]:
    """(valuation, None), or (None, why not) for the current version of an RSS."""
    facts = repository.rss_facts(session, rss_number=rss_number)
    if facts is None:
        return None, NotValuedReason.NO_GHM
    entry_date, exit_date, rss_ghm, rss_seances = facts
    rsa = repository.current_rsa(session, rss_number=rss_number)
    ghm = (rsa.ghm if rsa is not None and rsa.ghm else rss_ghm) or ""
    if not ghm:
        return None, NotValuedReason.NO_GHM
    if ghm.startswith("90"):
        return None, NotValuedReason.ERROR_GHM
    campaign = _campaign(session, rsa, exit_date)
    if campaign is None:
        return None, NotValuedReason.NO_TARIFF
    if rsa is not None and rsa.ghs:
        ghs, source = rsa.ghs, "rsa"
    else:
        candidates = reference_repository.ghs_of_ghm(session, campaign, ghm)
        if len(candidates) > 1:
            return None, NotValuedReason.AMBIGUOUS_GHS
        if not candidates:
            return None, NotValuedReason.NO_TARIFF
        ghs, source = candidates[0], "tariff"
    row = reference_repository.ghs_tariff(session, campaign, ghs)
    if row is None or row.base is None:
        return None, NotValuedReason.NO_TARIFF
    tariff = Tariff(
        row.ghs, row.low_bound or 0, row.high_bound or 0, row.base, row.exb_forfait or Decimal(0),
        row.exb_daily or Decimal(0), row.exh_daily or Decimal(0),
    )  # fmt: skip
    if entry_date is not None and exit_date is not None:
        los = (exit_date - entry_date).days
    else:
        los = rsa.los if rsa is not None else 0
    factors = repository.coefficient(session, campaign=campaign)
    coefficient = ONE if factors is None else factors[0] * factors[1]
    prices = repository.supplement_tariffs(session, campaign=campaign)
    amounts = value(
        tariff, ghm=ghm, los=los, seances=rsa.seances if rsa is not None else rss_seances,
        rsa=_result(rsa) if rsa is not None else None, supplement_tariffs=prices, coefficient=coefficient,
    )  # fmt: skip
    return (
        Valuation(
            campaign=campaign, ghs=tariff.ghs, ghs_source=source, los=amounts.los, base=float(amounts.base),
            exb_days=amounts.exb_days, exb=float(amounts.exb), exh_days=amounts.exh_days,
            exh=float(amounts.exh), supplements=float(amounts.supplements),
            coefficient=float(amounts.coefficient), total=float(amounts.total),
            ghs_minore=rsa.ghs_minore if rsa is not None else False,
            supplement_details=[
                SupplementValue(code=code, count=count, tariff=None if price is None else float(price),
                                amount=float(amount))
                for code, count, price, amount in amounts.supplement_lines
            ],
            supplements_without_tariff=[
                code for code, _, price, _ in amounts.supplement_lines if price is None
            ],
        ),
        None,
    )  # fmt: skip
