"""Cross-field controls of the grouper that need no grouping table: a séance motive without
séances (C145), enhanced recovery with a death or transfer (C189), an IVG GHM without the act that
says how (C179).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import NONE, SEANCE_MOTIVES, day, fg, number
from app.rules.engine import Hit, RuleContext, Severity, hit, rule

# C145 is blocking for exits from 1 March 2019 (drd: not always enforced before).
_C145_FROM: Final = date(2019, 3, 1)


@rule(
    "C145",
    "consistency.seance_dp_without_seances",
    Severity.BLOCKING,
    "DP {value} motif de séances avec un nombre de séances à zéro sur un séjour de 0 jour sans acte.",
    reference=fg("C145") + "; DP motif de séances (liste D-145), séances à 0, durée 0, sans acte "
    "toléré (sorties depuis le 01/03/2019, drd)",
)
def seance_dp_without_seances(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A 0-day single-RUM stay whose DP is a séance motive declares its séances (1 or more).

    The grouper tolerates a 0-day stay with some acts (an FG table attribute); without that table,
    dimqa only reports the stays with no act at all, which the grouper always refuses. Multi-RUM
    stays (the grouper then judges the DP it chooses) and a non-numeric count (C036) are left out.

    Bad: dp = "Z511", entry and exit "04032024", seances = "00", no act.
    Good: dp = "Z511", entry and exit "04032024", seances = "01".
    """
    rums = rss.rums
    if len(rums) != 1:
        return NONE
    rum = rums[0]
    if rum.dp not in SEANCE_MOTIVES or rum.acts or rum.entry_date != rum.exit_date:
        return NONE
    if rum.seances and number(rum.seances) != 0:
        return NONE  # séances declared, or non-numeric (C036)
    exit_day = day(rum.exit_date)
    if exit_day is None or exit_day < _C145_FROM:
        return NONE
    return (hit(0, "dp", rum.dp),)


@rule(
    "C189",
    "consistency.raac_exit_mode",
    Severity.BLOCKING,
    "Prise en charge RAAC incompatible avec le mode de sortie / destination « {value} » (décès ou "
    "transfert en MCO).",
    reference=fg("C189") + "; RAAC = 1 et sortie 9, ou 7 vers le MCO (drd, bloquante)",
    when=("flags",),
)
def raac_exit_mode(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay flagged as enhanced recovery after surgery (RAAC = 1 on a RUM) does not end by death
    (exit 9) nor by a transfer to another MCO hospital (exit 7, destination 1).

    The grouper reads the flag over the whole stay and the exit of its last RUM; stays for an
    inter-hospital service (entry or exit 0) are not concerned.

    Bad: raac = "1", last exit_mode = "9".
    Good: raac = "1", last exit_mode = "8".
    """
    rums = rss.rums
    last = rums[-1]
    mode = last.exit_mode
    if mode != "9" and not (mode == "7" and last.destination == "1"):
        return NONE
    if rums[0].entry_mode == "0" or not any(rum.extra.get("raac") == "1" for rum in rums):
        return NONE
    value = f"{mode}-{last.destination}" if last.destination else mode
    return (hit(len(rums) - 1, "exit_mode", value),)


# Acts saying how an IVG was done: JNJP001 by medication, JNJD002 by aspiration (instrumental).
# Documented choice from the CCAM labels (the FG list behind C179 was not available).
IVG_METHOD_ACTS: Final = frozenset({"JNJP001", "JNJD002"})


@rule(
    "C179",
    "consistency.ivg_without_method_act",
    Severity.WARNING,
    "GHM {value} (interruption volontaire de grossesse) sans acte CCAM indiquant si l'IVG est "
    "médicamenteuse (JNJP001) ou instrumentale (JNJD002).",
    reference=fg("C179") + "; choix documenté des actes JNJP001 et JNJD002",
    when=("grouped",),
)
def ivg_without_method_act(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay grouped in 14Z08Z (IVG) carries the act saying whether the IVG was medical
    (JNJP001, évacuation d'un utérus gravide par moyen médicamenteux) or instrumental (JNJD002,
    par aspiration).

    Bad: GHM "14Z08Z", no act.
    Good: GHM "14Z08Z", act JNJP001.
    """
    ghm = rss.rums[0].ghm
    if ghm != "14Z08Z":
        return NONE
    for rum in rss.rums:
        for act in rum.acts:
            if act.code in IVG_METHOD_ACTS:
                return NONE
    return (hit(None, "ghm", ghm),)


RULES = (
    seance_dp_without_seances,
    raac_exit_mode,
    ivg_without_method_act,
)
