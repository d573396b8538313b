"""Births, newborns and stillbirths: gestational age, birth weight, entry by birth (FG controls
C126, C129, C143, C147, C168, C174, C190, C191).

The grouper reads these data at the level of the stay (drd `mco_classifier.cc`, spec PMSI §6.6):
the *stay's gestational age* is the last non-zero one of its RUMs, the *birth weight* is the
first RUM's, the *age* is counted from the birth date to the first RUM's entry date. The grouper
marks a stay as a *childbirth* by table attributes of its codes; without the FG tables, dimqa
uses the documented lists of `app.rules.catalog.guide` (`DELIVERY_ACTS`) and the DA category
Z37 (résultat de l'accouchement), as the FG documentation describes the control.

Each defect gives one finding: a field that is missing, non-numeric or out of range is reported
by its own control (C082, C125, C127, C128) and not again here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

from app.ingestion.records import Rss, Rum
from app.rules.catalog._common import ACT_CODE, NONE, day, fg, number
from app.rules.catalog.guide import DELIVERY_ACTS
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def given(raw: str) -> bool:
    """A gestational age, weight or date is given: filled in and not only zeros (non-numeric
    text counts as given: its own control reports it)."""
    return bool(raw) and raw.strip("0") != ""


# The last RSS `_births` scanned, and its answer: C126, C142, C162 and C261 ask for the same RSS
# in a row (held here, so its identity cannot be reused by another RSS while it is cached).
_last_births: list[tuple[Rss, tuple[int, str] | None, str]] = []


def _births(rss: Rss) -> tuple[Rss, tuple[int, str] | None, str]:
    last = _last_births[0] if _last_births else None  # one read: other threads may replace it
    if last is not None and last[0] is rss:
        return last
    found = (rss, *_scan_births(rss))
    _last_births[:] = [found]
    return found


def _scan_births(rss: Rss) -> tuple[tuple[int, str] | None, str]:
    """(first childbirth RUM and reason, or None; else the first DA O80-O84 as "DA O800", or "")."""
    other = ""
    for index, rum in enumerate(rss.rums):
        for act in rum.acts:
            if act.code in DELIVERY_ACTS:
                return (index, f"acte d'accouchement {act.code}"), ""
        for code in rum.das:
            if code.startswith("Z37"):
                return (index, f"DA {_dotted(code)}, résultat de l'accouchement"), ""
            if not other and code.startswith("O8") and len(code) > 2 and code[2] in "01234":
                other = f"DA {_dotted(code)}"
    return None, other


def childbirth(rss: Rss) -> tuple[int, str] | None:
    """The first RUM marking the stay as a childbirth, with the reason shown to the DIM.

    A delivery act (`DELIVERY_ACTS`) or a DA of category Z37; None for any other stay.
    """
    return _births(rss)[1]


def delivery_sign(rss: Rss) -> str:
    """What shows a delivery in the stay: `childbirth`'s reason, else a DA O80-O84 (type of
    delivery); "" when nothing does."""
    _, found, other = _births(rss)
    return found[1] if found is not None else other


def obstetric(rss: Rss, ctx: RuleContext) -> bool:
    """The stay shows a birth or a pregnancy: a first RUM entered on its birth date, a GHM of CMD
    14, or a delivery (`delivery_sign`). False on most stays, whose rules of births and
    pregnancies (C126, C142, C162, C179, C261) then find nothing."""
    first = rss.rums[0]
    return first.birth_date == first.entry_date or first.ghm[:2] == "14" or bool(delivery_sign(rss))


def _stay_gestational_age(rss: Rss) -> tuple[int, int]:
    """(RUM index, weeks) of the stay's gestational age: the last non-zero numeric one; (-1, 0)."""
    found = (-1, 0)
    for index, rum in enumerate(rss.rums):
        weeks = number(rum.gestational_age) if rum.gestational_age else None
        if weeks:
            found = (index, weeks)
    return found


@rule(
    "C126",
    "perinatal.gestational_age_required",
    Severity.BLOCKING,
    "Âge gestationnel requis absent ({reason}).",
    reference=fg("C126") + "; requis si date d'entrée = date de naissance, acte d'accouchement ou DA Z37",
    params=("reason",),
)
def gestational_age_required(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay of a newborn (first entry on the birth date) or of a childbirth (delivery act or DA
    Z37) records the gestational age on at least one RUM.

    The finding points at the newborn's first RUM, or at the RUM of the delivery act or Z37 DA. A
    delivery RUM without the age while another RUM of the stay has it is Q006, not this control.

    Bad: act JQGD010 (accouchement céphalique unique par voie naturelle), gestational_age = "" on
    every RUM; or birth_date = entry_date = "04032024", gestational_age = "".
    Good: act JQGD010 with gestational_age = "39".
    """
    rums = rss.rums
    for rum in rums:
        if rum.gestational_age and given(rum.gestational_age):
            return NONE
    first = rums[0]
    if first.birth_date == first.entry_date and day(first.birth_date) is not None:
        reason = "nouveau-né : date d'entrée égale à la date de naissance"
        return (hit(0, "gestational_age", first.gestational_age, reason=reason),)
    found = childbirth(rss)
    if found is None:
        return NONE
    index, reason = found
    return (hit(index, "gestational_age", rums[index].gestational_age, reason=reason),)


# A newborn is weighed at entry until its 29th day of life (FG C168, spec PMSI §6.6).
_WEIGHED_UNTIL_DAYS: Final = 29


@rule(
    "C168",
    "perinatal.weight_required",
    Severity.BLOCKING,
    "Poids d'entrée absent pour un patient âgé de {days} jour(s) à l'entrée (requis avant 29 jours).",
    reference=fg("C168") + "; poids absent ou nul et âge < 29 jours (drd)",
    params=("days",),
)
def weight_required(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A patient less than 29 days old at entry has a weight at entry (grams) on the first RUM.

    A non-numeric weight is C082, not this control.

    Bad: birth_date = "01032024", entry_date = "04032024", newborn_weight = "" (or "0000").
    Good: the same RUM with newborn_weight = "3250".
    """
    first = rss.rums[0]
    raw = first.newborn_weight
    if raw and number(raw) != 0:
        return NONE  # given (or non-numeric: C082)
    birth, entry = day(first.birth_date), day(first.entry_date)
    if birth is None or entry is None or entry.year - birth.year > 1 or birth > entry:
        return NONE  # over a year old; unreadable dates or a birth after entry: the date controls
    days = (entry - birth).days
    if days >= _WEIGHED_UNTIL_DAYS:
        return NONE
    return (hit(0, "newborn_weight", raw, days=days),)


def _implausible_by_c127(weeks: int, rum: Rum, last_exit_mode: str) -> bool:
    """C127's condition (counters.gestational_age_implausible): that control reports it."""
    if weeks > 44:
        return True
    if weeks >= 22 or last_exit_mode == "9":
        return False
    birth, entry = day(rum.birth_date), day(rum.entry_date)
    if birth is None or entry is None:
        return False
    return entry.year - birth.year - ((entry.month, entry.day) < (birth.month, birth.day)) <= 0


def _weight_limit(weeks: int, weight: int, dp: str) -> str:
    if weeks >= 37 and weight < 1000 and dp[:3] != "P95":
        return "moins de 1000 g à 37 semaines ou plus"
    if weeks <= 28 and weight > 2500:
        return "plus de 2500 g à 28 semaines ou moins"
    if weeks <= 32 and weight > 4000:
        return "plus de 4000 g à 32 semaines ou moins"
    return ""


@rule(
    "C129",
    "perinatal.gestational_age_weight",
    Severity.BLOCKING,
    "Âge gestationnel de {value} semaines incohérent avec le poids d'entrée de {weight} g ({limit}).",
    reference=fg("C129") + "; seuils DRUIDES 2023 (AG ≥ 37 et < 1000 g hors P95, AG ≤ 32 et > 4000 g, "
    "AG ≤ 28 et > 2500 g)",
    params=("weight", "limit"),
    when=("perinatal",),
)
def gestational_age_weight(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The gestational age and the weight at entry (first RUM) must be compatible.

    Incompatible: 37 weeks or more with less than 1000 g (unless the DP is P95, stillbirth); 32
    weeks or less with more than 4000 g; 28 weeks or less with more than 2500 g (DRUIDES 2023;
    drd reads the last two as below 33 and below 28 weeks). An age that C127 already refuses is
    not judged again.

    Bad: gestational_age = "39", newborn_weight = "0850".
    Good: gestational_age = "39", newborn_weight = "3250".
    """
    rums = rss.rums
    weight = number(rums[0].newborn_weight) if rums[0].newborn_weight else None
    if not weight:
        return
    last_exit_mode = rums[-1].exit_mode
    for i, rum in enumerate(rums):
        weeks = number(rum.gestational_age) if rum.gestational_age else None
        if not weeks or _implausible_by_c127(weeks, rum, last_exit_mode):
            continue
        limit = _weight_limit(weeks, weight, rum.dp)
        if limit:
            yield hit(i, "gestational_age", rum.gestational_age, weight=weight, limit=limit)


# Delivery acts are checked against the gestational age for exits from 1 March 2013 (drd).
_C174_FROM: Final = date(2013, 3, 1)


@rule(
    "C174",
    "perinatal.gestational_age_delivery",
    Severity.BLOCKING,
    "Âge gestationnel de {value} semaines incohérent avec l'acte d'accouchement {act} (22 semaines "
    "au moins).",
    reference=fg("C174") + "; acte d'accouchement et AG < 22 semaines, sorties depuis le 01/03/2013 (drd)",
    params=("act",),
    when=("acts", "perinatal"),
)
def gestational_age_delivery(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay with a delivery act has a gestational age of at least 22 weeks.

    The stay's age is the last non-zero one of its RUMs; the finding points at it. A stay without
    any age is C126 (the grouper raises both; dimqa reports the missing age once).

    Bad: act JQGD010, gestational_age = "20".
    Good: act JQGD010, gestational_age = "39".
    """
    index, weeks = _stay_gestational_age(rss)
    if index < 0 or weeks >= 22:
        return NONE
    exit_day = day(rss.rums[-1].exit_date)
    if exit_day is not None and exit_day < _C174_FROM:
        return NONE
    for rum in rss.rums:
        for act in rum.acts:
            if act.code in DELIVERY_ACTS:
                return (hit(index, "gestational_age", rss.rums[index].gestational_age, act=act.code),)
    return NONE


@rule(
    "C142",
    "perinatal.delivery_act_date",
    Severity.BLOCKING,
    "Date de réalisation « {value} » de l'acte d'accouchement {act} absente ou incohérente (RUM du "
    "{entry_date} au {exit_date}).",
    reference=fg("C142") + "; actes d'accouchement (liste documentée, app/rules/catalog/guide.py)",
    params=("act", "entry_date", "exit_date"),
    when=("acts",),
)
def delivery_act_date(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A delivery act is dated, on a real day within its RUM's entry and exit dates.

    The grouper dates the birth by it. Other acts' dates are C102 (a warning). Checked only on RUMs
    whose own dates are usable.

    Bad: act JQGD010 with date "" (or "10032024" on a RUM from 04/03/2024 to 06/03/2024).
    Good: act JQGD010 dated "05032024".
    """
    if childbirth(rss) is None:
        return  # no delivery act anywhere (the common case, from the scan C126 made)
    for i, rum in enumerate(rss.rums):
        if not rum.acts or DELIVERY_ACTS.isdisjoint(map(ACT_CODE, rum.acts)):
            continue
        entry, exit_day = day(rum.entry_date), day(rum.exit_date)
        if entry is None or exit_day is None:
            continue
        for k, act in enumerate(rum.acts):
            if act.code not in DELIVERY_ACTS:
                continue
            done = day(act.date) if act.date else None
            if done is None or not entry <= done <= exit_day:
                yield hit(
                    i,
                    f"acts[{k}].date",
                    act.date,
                    act=act.code,
                    entry_date=fr_date(rum.entry_date),
                    exit_date=fr_date(rum.exit_date),
                )


@rule(
    "C143",
    "perinatal.stillbirth_exit_mode",
    Severity.BLOCKING,
    "Mode de sortie {value} incohérent avec le DP {dp} (mort-né) : sortie par décès (9) attendue.",
    reference=fg("C143") + "; DP P95 et mode de sortie autre que 9",
    params=("dp",),
    when=("newborn",),
)
def stillbirth_exit_mode(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A RUM whose DP is P95 (mort fœtale de cause non précisée) ends by death (exit mode 9).

    A blank exit mode is C033.

    Bad: dp = "P95", exit_mode = "8".
    Good: dp = "P95", exit_mode = "9".
    """
    for i, rum in enumerate(rss.rums):
        if rum.dp.startswith("P95") and rum.exit_mode and rum.exit_mode != "9":
            yield hit(i, "exit_mode", rum.exit_mode, dp=_dotted(rum.dp))


def _stillbirth_problems(rss: Rss, rum: Rum) -> str:
    problems: list[str] = []
    if len(rss.rums) > 1:
        problems.append(f"RSS de {len(rss.rums)} RUM (un seul attendu)")
    if not given(rum.newborn_weight):
        problems.append("poids d'entrée absent")
    if rum.entry_mode not in ("8", "N"):
        problems.append(f"mode d'entrée {rum.entry_mode or 'absent'} (8 ou N attendu)")
    if rum.birth_date != rum.entry_date:
        birth, entry = fr_date(rum.birth_date), fr_date(rum.entry_date)
        problems.append(f"date de naissance {birth} différente de la date d'entrée {entry}")
    if rum.exit_date != rum.entry_date:
        problems.append(f"sortie le {fr_date(rum.exit_date)}, pas le jour de l'entrée")
    return " ; ".join(problems)


@rule(
    "C147",
    "perinatal.stillbirth_data",
    Severity.BLOCKING,
    "Données incompatibles avec le DP {value} (mort-né) : {problems}.",
    reference=fg("C147") + "; DP P95 : RSS mono-RUM, entrée 8 ou N le jour de la naissance, sortie 9 le "
    "même jour, poids renseigné (drd)",
    params=("problems",),
    when=("newborn",),
)
def stillbirth_data(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stillbirth (DP P95) is a single-RUM stay of 0 days, entered on the birth date by birth or
    from home (mode N or 8), with a weight at entry.

    A stillbirth whose exit mode is not death is C143 (the grouper raises both; dimqa reports it
    once); a missing gestational age is C126.

    Bad: dp = "P95", exit_mode = "9", newborn_weight = "" (or a 2-RUM stay).
    Good: dp = "P95", entry_mode = "N", birth, entry and exit on "04032024", exit_mode = "9",
    newborn_weight = "0650", gestational_age = "24".
    """
    for i, rum in enumerate(rss.rums):
        if rum.exit_mode != "9" or not rum.dp.startswith("P95"):
            continue
        problems = _stillbirth_problems(rss, rum)
        if problems:
            yield hit(i, "dp", _dotted(rum.dp), problems=problems)


# Entry mode N (birth in the hospital) exists for exits from 1 March 2019 (C025 before).
_BIRTH_ENTRY_FROM: Final = date(2019, 3, 1)

# DP refused with an entry by birth in the hospital (DRUIDES 2023 detail of C191).
NOT_BORN_HERE: Final[Mapping[str, str]] = {
    "Z762": "surveillance d'un nourrisson en bonne santé",
    "Z381": "enfant unique né hors d'un hôpital",
    "Z384": "jumeaux nés hors d'un hôpital",
    "Z387": "autres naissances multiples hors d'un hôpital",
}


def _entered_by_birth(rss: Rss) -> bool:
    if rss.rums[0].entry_mode != "N":
        return False
    exit_day = day(rss.rums[-1].exit_date)
    return exit_day is None or exit_day >= _BIRTH_ENTRY_FROM


@rule(
    "C190",
    "perinatal.birth_entry_date",
    Severity.BLOCKING,
    "Mode d'entrée N (naissance) avec une date d'entrée {value_date} différente de la date de "
    "naissance {birth_date}.",
    reference=fg("C190") + "; mode d'entrée N et date d'entrée ≠ date de naissance (drd), sorties depuis "
    "le 01/03/2019",
    params=("birth_date",),
    when=("newborn",),
)
def birth_entry_date(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay entered by birth in the hospital (mode N) starts on the birth date.

    Checked on the first RUM; a blank or impossible date is left to the date controls, a mode N
    before 01/03/2019 to C025.

    Bad: entry_mode = "N", birth_date = "03032024", entry_date = "04032024".
    Good: entry_mode = "N", birth_date = entry_date = "04032024".
    """
    first = rss.rums[0]
    if first.entry_date == first.birth_date or not _entered_by_birth(rss):
        return NONE
    if day(first.entry_date) is None or day(first.birth_date) is None:
        return NONE
    return (hit(0, "entry_date", first.entry_date, birth_date=fr_date(first.birth_date)),)


@rule(
    "C191",
    "perinatal.birth_entry_dp",
    Severity.BLOCKING,
    "Mode d'entrée N (naissance dans l'établissement) incompatible avec le DP {value} ({meaning}).",
    reference=fg("C191") + "; DP Z76.2, Z38.1, Z38.4, Z38.7 (détail DRUIDES 2023), sorties depuis le "
    "01/03/2019",
    params=("meaning",),
    when=("newborn",),
)
def birth_entry_dp(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A newborn entered by birth in the hospital (mode N) cannot have as DP the follow-up of a
    healthy infant (Z76.2) nor a birth outside a hospital (Z38.1, Z38.4, Z38.7).

    Checked on the first RUM, for exits from 01/03/2019.

    Bad: entry_mode = "N", dp = "Z762".
    Good: entry_mode = "N", dp = "Z380" (enfant unique, né à l'hôpital).
    """
    first = rss.rums[0]
    meaning = NOT_BORN_HERE.get(first.dp[:4])
    if meaning is None or not _entered_by_birth(rss):
        return NONE
    return (hit(0, "dp", first.dp, meaning=meaning),)


RULES = (
    gestational_age_required,
    weight_required,
    gestational_age_weight,
    gestational_age_delivery,
    delivery_act_date,
    stillbirth_exit_mode,
    stillbirth_data,
    birth_entry_date,
    birth_entry_dp,
)
