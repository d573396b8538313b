"""Date of the last menstrual period (DDR, positions 109-116): required, constant, plausible (FG
controls C162 to C166).

The grouper reads one DDR per stay: the first one given on its RUMs (drd `mco_classifier.cc`), and
judges it against the stay's entry date (its first RUM's). A DDR that is not eight digits or not a
calendar day is C160 / C161 and is not judged again here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import NONE, day, fg
from app.rules.catalog.perinatal import childbirth
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule

# GHM roots of CMD 14 that need no DDR (DRUIDES 2023, detail of C162).
_NO_DDR_ROOTS: Final = frozenset({"14C04", "14M02"})


def _stay_lmp(rss: Rss) -> tuple[int, date | None]:
    """(RUM index, date) of the stay's DDR: the first one given; (-1, None) when none is."""
    for index, rum in enumerate(rss.rums):
        if rum.last_menstrual_date:
            return index, day(rum.last_menstrual_date)
    return -1, None


@rule(
    "C162",
    "menstrual.lmp_required",
    Severity.BLOCKING,
    "Date des dernières règles requise absente ({reason}).",
    reference=fg("C162") + "; requise pour un accouchement (acte ou DA Z37) et en CMD 14 hors racines "
    "14C04 et 14M02 (DRUIDES 2023)",
    params=("reason",),
)
def lmp_required(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A childbirth stay (delivery act or DA Z37), or a stay grouped in CMD 14 (pregnancy,
    childbirth and puerperium) outside roots 14C04 and 14M02, records the DDR on one of its RUMs.

    The finding points at the RUM of the delivery act or Z37 DA; for a stay that only its GHM
    places in CMD 14, at the whole RSS.

    Bad: act JQGD010 (accouchement), last_menstrual_date = "" on every RUM.
    Good: act JQGD010 with last_menstrual_date = "01062023".
    """
    for rum in rss.rums:
        if rum.last_menstrual_date:
            return NONE
    found = childbirth(rss)
    if found is not None:
        index, reason = found
        return (hit(index, "last_menstrual_date", "", reason=reason),)
    ghm = rss.rums[0].ghm
    if ghm[:2] == "14" and ghm[:5] not in _NO_DDR_ROOTS:
        return (hit(None, "last_menstrual_date", "", reason=f"séjour groupé en CMD 14, GHM {ghm}"),)
    return NONE


@rule(
    "C163",
    "menstrual.lmp_inconstant",
    Severity.BLOCKING,
    "Date des dernières règles {value_date} différente de celle d'un RUM précédent ({first}).",
    reference=fg("C163"),
    params=("first",),
    when=("multi_rum", "perinatal"),
)
def lmp_inconstant(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The RUMs of a stay that give a DDR give the same one (blank RUMs are allowed).

    Bad: RUM 1 last_menstrual_date = "01062023", RUM 2 "08062023".
    Good: both "01062023", or RUM 2 blank.
    """
    reference = ""
    for i, rum in enumerate(rss.rums):
        raw = rum.last_menstrual_date
        if not raw:
            continue
        if not reference:
            reference = raw
        elif raw != reference:
            yield hit(i, "last_menstrual_date", raw, first=fr_date(reference))


@rule(
    "C164",
    "menstrual.lmp_male",
    Severity.WARNING,
    "Date des dernières règles {value_date} renseignée pour un patient de sexe masculin.",
    reference=fg("C164"),
    when=("perinatal",),
)
def lmp_male(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A DDR is only recorded for a female patient.

    Bad: sex = "1", last_menstrual_date = "01062023".
    Good: sex = "2", last_menstrual_date = "01062023"; or sex = "1" and no DDR.
    """
    for i, rum in enumerate(rss.rums):
        if rum.last_menstrual_date and rum.sex == "1":
            yield hit(i, "last_menstrual_date", rum.last_menstrual_date)


@rule(
    "C165",
    "menstrual.lmp_after_entry",
    Severity.WARNING,
    "Date des dernières règles {value_date} postérieure à la date d'entrée du séjour ({entry_date}).",
    reference=fg("C165") + "; non bloquante selon DRUIDES 2023 (drd la rend bloquante pour les sorties "
    "depuis le 01/03/2016)",
    params=("entry_date",),
    when=("perinatal",),
)
def lmp_after_entry(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The stay's DDR (the first given) is not after the stay's entry date.

    Severity as listed by ATIH (non-blocking); the open-source grouper drd makes it blocking for
    exits from 01/03/2016, so a finding is worth fixing before sending.

    Bad: entry_date = "04032024", last_menstrual_date = "10032024".
    Good: entry_date = "04032024", last_menstrual_date = "01062023".
    """
    index, lmp = _stay_lmp(rss)
    entry = day(rss.rums[0].entry_date)
    if lmp is None or entry is None or lmp <= entry:
        return NONE
    raw = rss.rums[index].last_menstrual_date
    return (hit(index, "last_menstrual_date", raw, entry_date=fr_date(rss.rums[0].entry_date)),)


# A DDR more than 305 days (43 weeks and 4 days) before entry is implausible (drd threshold).
_LMP_MAX_DAYS: Final = 305


@rule(
    "C166",
    "menstrual.lmp_too_old",
    Severity.WARNING,
    "Date des dernières règles {value_date} antérieure de {days} jours à la date d'entrée (305 au plus).",
    reference=fg("C166") + "; seuil de 305 jours de drd",
    params=("days",),
    when=("perinatal",),
)
def lmp_too_old(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The stay's DDR is at most 305 days before the stay's entry date.

    Bad: entry_date = "04032024", last_menstrual_date = "01012023" (428 days).
    Good: entry_date = "04032024", last_menstrual_date = "01062023" (277 days).
    """
    index, lmp = _stay_lmp(rss)
    entry = day(rss.rums[0].entry_date)
    if lmp is None or entry is None:
        return NONE
    days = (entry - lmp).days
    if days <= _LMP_MAX_DAYS:
        return NONE
    return (hit(index, "last_menstrual_date", rss.rums[index].last_menstrual_date, days=days),)


RULES = (
    lmp_required,
    lmp_inconstant,
    lmp_male,
    lmp_after_entry,
    lmp_too_old,
)
