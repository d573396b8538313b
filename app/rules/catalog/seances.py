"""Séances (dialysis, chemotherapy, radiotherapy, transfusion, apheresis, hyperbaric oxygen).

A séance is produced as a single-RUM RSS ("RSS-séances"); its DP is one of the séance motives
(FG list D-145, see `SEANCE_MOTIVES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import NONE, SEANCE_MOTIVES, day, fg, number
from app.rules.engine import Hit, RuleContext, Severity, hit, rule


@rule(
    "C037",
    "seances.multi_rum",
    Severity.BLOCKING,
    "{count} séance(s) déclarée(s) sur un RUM d'un RSS multiunité (séances réservées aux RSS mono-RUM).",
    reference=fg("C037"),
    params=("count",),
    when=("multi_rum", "seances"),
)
def multi_rum(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Séances are only recorded in single-RUM stays.

    Bad: a 2-RUM stay whose first RUM has seances = "01".
    Good: a 2-RUM stay with seances = "00" on both RUMs; séances in their own single-RUM RSS.
    """
    rums = rss.rums
    if len(rums) < 2:
        return NONE
    hits: list[Hit] | None = None
    for i, rum in enumerate(rums):
        count = number(rum.seances) if rum.seances else None
        if count:
            if hits is None:
                hits = []
            hits.append(hit(i, "seances", rum.seances, count=count))
    return hits or NONE


@rule(
    "C150",
    "seances.multi_rum_cmd28",
    Severity.BLOCKING,
    "RSS de {rums} RUM groupé en CMD 28 ({value}) : DP de séances non autorisé dans un RSS multiunité.",
    reference=fg("C150"),
    params=("rums",),
    when=("multi_rum", "grouped"),
)
def multi_rum_cmd28(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A multi-unit stay cannot be grouped in CMD 28 (séances).

    Only grouped lines carry a GHM; the finding concerns the whole RSS.

    Bad: a 2-RUM RSS groupé in GHM 28Z07Z.
    Good: a single-RUM RSS groupé in 28Z07Z; a 2-RUM RSS groupé in 04M051.
    """
    rums = rss.rums
    ghm = rums[0].ghm
    if len(rums) > 1 and ghm[:2] == "28":
        return (hit(None, "ghm", ghm, rums=len(rums)),)
    return NONE


@rule(
    "C146",
    "seances.more_than_days",
    Severity.WARNING,
    "{count} séances pour un séjour de {days} jour(s) : au plus {limit} attendues.",
    reference=fg("C146"),
    params=("count", "days", "limit"),
    when=("seances",),
)
def more_than_days(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """With a séance-motive DP, the number of séances cannot exceed the stay length plus one.

    Bad: DP Z511, entry 04/03, exit 06/03 (2 days), seances = "05".
    Good: DP Z511, entry 04/03, exit 06/03, seances = "03".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.dp not in SEANCE_MOTIVES:
            continue
        count = number(rum.seances)
        entry, exit_day = day(rum.entry_date), day(rum.exit_date)
        if count is None or entry is None or exit_day is None or exit_day < entry:
            continue
        days = (exit_day - entry).days
        if count > days + 1:
            if hits is None:
                hits = []
            hits.append(hit(i, "seances", rum.seances, count=count, days=days, limit=days + 1))
    return hits or NONE


# Exits from which the grouper raises C187 (drd: FG 2016; pmsi-formats.md §6.6).
_C187_FROM: Final = date(2016, 3, 1)


@rule(
    "C187",
    "seances.chemotherapy_without_dr",
    Severity.BLOCKING,
    "DP Z51.1 (séance de chimiothérapie pour tumeur) sans diagnostic relié : la tumeur doit être "
    "codée en DR.",
    reference=fg("C187") + "; CMD 28 et DP Z51.1 sans DR (exemple ATIH), sorties depuis le 01/03/2016 (drd)",
)
def chemotherapy_without_dr(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A chemotherapy séance for a tumour (DP Z51.1) requires the tumour as related diagnosis (DR).

    The grouper checks it on stays grouped in CMD 28 (séances) discharged from 01/03/2016. A line
    without GHM stands for CMD 28 when its RSS is a séance by the counting rules (séances declared);
    a stay with DP Z51.1 that is not a séance, or is grouped outside CMD 28, is not concerned. An
    unreadable exit date does not spare the check (the date controls report it).

    Bad: dp = "Z511", dr = "", seances = "01" (or grouped in 28Z07Z).
    Good: dp = "Z511", dr = "C509", seances = "01".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.dp == "Z511" and not rum.dr:
            if hits is None:
                hits = []
            hits.append(hit(i, "dr", ""))
    if hits is None or rss.care_type != "seance":
        return NONE
    exit_date = rss.exit_date
    if exit_date is not None and exit_date < _C187_FROM:
        return NONE
    return hits


RULES = (
    multi_rum,
    multi_rum_cmd28,
    more_than_days,
    chemotherapy_without_dr,
)
