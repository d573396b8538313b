"""Cross-field controls of the grouper that need no grouping table: a séance motive without
séances (C145), enhanced recovery with a death or transfer (C189), an IVG GHM without the act that
says how (C179), a non-programmed flag that changes along the stay (C253), and the coding
confirmation required for a childbirth outside CMD 14 (C261) or a stay of a year or more (C262).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import NONE, SEANCE_MOTIVES, day, fg, number
from app.rules.catalog.perinatal import delivery_sign
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


@rule(
    "C253",
    "consistency.non_programmed_inconstant",
    Severity.WARNING,
    "Indicateur de séjour non programmé « {value} » différent de celui du premier RUM (« {first} »).",
    reference=fg("C253"),
    params=("first",),
    when=("multi_rum", "flags"),
)
def non_programmed_inconstant(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The non-programmed stay flag (169, from RUM 021) is the same on every RUM of a stay.

    Bad: RUM 1 non_programmed = "1", RUM 2 non_programmed = "2".
    Good: non_programmed = "1" on both RUMs.
    """
    rums = rss.rums
    first = rums[0].extra.get("non_programmed")
    if first is None:
        return  # a format without the field
    for i in range(1, len(rums)):
        value = rums[i].extra.get("non_programmed", first)
        if value != first:
            yield hit(i, "non_programmed", value, first=first)


def _confirmed(rss: Rss) -> bool:
    """The coding is confirmed: 1 at position 145 of the last RUM."""
    return rss.rums[-1].confirmation == "1"


def _service_stay(rss: Rss) -> bool:
    """A stay for an inter-hospital service (entry 0 and exit 0), exempt from confirmation (FG 12)."""
    return rss.rums[0].entry_mode == "0" and rss.rums[-1].exit_mode == "0"


# CMDs and GHM roots where a childbirth is expected (DRUIDES 2023, detail of C261).
_CHILDBIRTH_CMDS: Final = frozenset({"12", "14", "22", "25", "26", "27", "90"})
_CHILDBIRTH_ROOTS: Final = frozenset(
    {"01C03", "01C04", "01C05", "01C06", "01C09", "01C10", "01C11", "01C12", "01K07", "01M13", "01M18"}
    | {"01M19", "01M24", "01M25", "01M30", "01M31", "07C09", "07C10", "07C11", "07C12", "07C13", "07C14"}
    | {"23Z02"}
)


@rule(
    "C261",
    "consistency.childbirth_outside_cmd14_unconfirmed",
    Severity.BLOCKING,
    "Accouchement ({sign}) dans un séjour groupé en {value}, hors CMD 14 : confirmation du codage "
    "(position 145 du dernier RUM) requise mais absente.",
    reference=fg("C261") + "; CMD hors 12, 14, 22, 25, 26, 27, 90 et racines listées (DRUIDES 2023)",
    params=("sign",),
    when=("grouped",),
)
def childbirth_outside_cmd14_unconfirmed(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay with a childbirth (DA Z37 or O80-O84, or a delivery act) in a CMD where none
    is expected has its coding confirmed (1 at position 145 of the last RUM).

    CMDs 12, 14, 22, 25, 26, 27 and 90 and roots 01C03-01C06, 01C09-01C12, 01K07, 01M13, 01M18,
    01M19, 01M24, 01M25, 01M30, 01M31, 07C09-07C14 and 23Z02 are not concerned; nor are stays for
    an inter-hospital service (entry and exit 0).

    Bad: GHM "06C04A", DA Z370, confirmation = "".
    Good: the same stay with confirmation = "1" on its last RUM; or GHM "14C08A".
    """
    ghm = rss.rums[0].ghm
    if not ghm or ghm[:2] in _CHILDBIRTH_CMDS or ghm[:5] in _CHILDBIRTH_ROOTS:
        return NONE
    if _confirmed(rss) or _service_stay(rss):
        return NONE
    sign = delivery_sign(rss)
    if not sign:
        return NONE
    return (hit(None, "ghm", ghm, sign=sign),)


# A stay of 365 days or more needs its coding confirmed (DRUIDES 2023, detail of C120 / C262).
_LONG_STAY_DAYS: Final = 365


@rule(
    "C262",
    "consistency.long_stay_unconfirmed",
    Severity.BLOCKING,
    "Séjour de {days} jours (365 ou plus) : confirmation du codage (position 145 du dernier RUM) "
    "requise mais absente.",
    reference=fg("C262") + "; durée ≥ 365 jours (DRUIDES 2023), hors prestation inter-établissement",
    params=("days",),
)
def long_stay_unconfirmed(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay of 365 days or more (first entry to last exit) has its coding confirmed (1 at
    position 145 of the last RUM).

    Stays for an inter-hospital service (entry and exit 0) are exempt.

    Bad: entry "01032023", exit "04032024" (369 days), confirmation = "".
    Good: the same stay with confirmation = "1" on its last RUM.
    """
    rums = rss.rums
    entry_raw, exit_raw = rums[0].entry_date, rums[-1].exit_date
    if exit_raw[4:] == entry_raw[4:] and (entry_raw[2:4] != "01" or exit_raw[2:4] != "12"):
        return NONE  # most stays: inside one year and not January to December, without parsing
    if _confirmed(rss) or _service_stay(rss):
        return NONE
    entry, exit_day = day(entry_raw), day(exit_raw)
    if entry is None or exit_day is None:
        return NONE
    days = (exit_day - entry).days
    if days < _LONG_STAY_DAYS:
        return NONE
    last = len(rums) - 1
    return (hit(last, "confirmation", rums[last].confirmation, days=days),)


RULES = (
    seance_dp_without_seances,
    raac_exit_mode,
    ivg_without_method_act,
    non_programmed_inconstant,
    childbirth_outside_cmd14_unconfirmed,
    long_stay_unconfirmed,
)
