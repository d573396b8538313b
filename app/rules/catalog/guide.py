"""Coding rules of the Guide méthodologique MCO that the grouper does not (or not fully) control.

Definitions used here (documented choices, to be reviewed with the DIM):

* *Séance RUM*: a RUM with a number of séances above 0, or a stay grouped in CMD 28.
* *Apheresis acts*: FEFF001, FEFF002, FEJF001, FEJF002, FEJF004, FEJF005, FEJF007, FEJF009,
  FEPF001-FEPF005, FERP001 (CCAM chapter "aphérèses" used for séances, FG GHM 28Z16Z).
* *Medical abortion RUM*: a RUM whose DP is a legal IVG, O04x0 (category O04 "avortement médical",
  CIM-10 FR fifth character 0: "IVG dans le cadre légal"; 1 to 3 are the IMG for a foetal, a
  maternal or both causes, not concerned), and which carries the CCAM act JNJP001 "évacuation
  d'un utérus gravide par moyen médicamenteux, au 1er trimestre".
* *Delivery acts*: JQGA002-JQGA005 (caesarean sections) and JQGD001-JQGD013 (vaginal deliveries,
  including the instrumental extractions JQGD006, JQGD009, JQGD011), the CCAM "Accouchement"
  subchapter; JQGA001 (ectopic pregnancy) and JQGD014 (selective fetal extraction) are excluded.
* *Newborn's first RUM*: the first RUM of a stay entering by birth (mode N) or whose entry date is
  the birth date (0 days old).
* *History codes* (a DR cannot be one): the CIM-10 categories that record a past or a family
  condition, not a disease present during the stay: Z80-Z84 (antécédents familiaux), Z85-Z87
  (antécédents personnels de tumeur maligne et d'autres maladies), Z88 (antécédents personnels
  d'allergie), Z91 (antécédents personnels de facteurs de risque) and Z92 (antécédents personnels
  de traitement médical). The guide defines the DR as "une maladie chronique ou de longue durée ou
  un état permanent, présent au moment du séjour"; the permanent states Z89-Z90 (absence acquise)
  and Z93-Z99 (stomies, implants, dépendances) are states present during the stay and stay allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from app.ingestion.records import Rss, Rum
from app.rules.catalog._common import ACT_CODE, GUIDE, NONE, SEANCE_MOTIVES, day, number
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule


@rule(
    "Q001",
    "guide.rum_number_duplicate",
    Severity.WARNING,
    "N° de RUM {value} déjà utilisé par un autre RUM du même RSS.",
    reference=GUIDE + " — le n° de RUM est distinct pour chaque RUM d'un RSS (format RSS, spec §2.1)",
    when=("multi_rum",),
)
def rum_number_duplicate(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The RUM numbers of a stay are all different; each repeat after the first is reported.

    Bad: a 2-RUM stay whose RUMs are both numbered "1".
    Good: RUMs numbered "1" and "2".
    """
    rums = rss.rums
    if len(rums) < 2:
        return NONE
    seen: set[str] = set()
    hits: list[Hit] | None = None
    for i, rum in enumerate(rums):
        number_ = rum.rum_number
        if not number_:
            continue
        if number_ in seen:
            if hits is None:
                hits = []
            hits.append(hit(i, "rum_number", number_))
        seen.add(number_)
    return hits or NONE


@rule(
    "Q002",
    "guide.rum_number_invalid",
    Severity.WARNING,
    "N° de RUM « {value} » absent ou trop long (1 à 10 caractères attendus).",
    reference=GUIDE + " — n° de RUM, 10 caractères (format RSS, spec §2.1)",
)
def rum_number_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Every RUM has a number of 1 to 10 characters (the width of its field).

    A longer number cannot come from a file (the field is 10 wide) but can from other feeds.

    Bad: rum_number = "".
    Good: rum_number = "1".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if not rum.rum_number or len(rum.rum_number) > 10:
            if hits is None:
                hits = []
            hits.append(hit(i, "rum_number", rum.rum_number))
    return hits or NONE


@rule(
    "Q003",
    "guide.seances_without_motive",
    Severity.BLOCKING,
    "{count} séance(s) déclarée(s) alors que le DP {dp} n'est pas un motif de séances.",
    reference=GUIDE + " (séances) ; erreur de groupage G006 (→ 90Z01Z), liste FG D-145",
    params=("count", "dp"),
    when=("seances",),
)
def seances_without_motive(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Séances (count above 0) are only recorded with a séance-motive DP.

    Séance motives (FG list D-145): Z49.1, Z49.2, Z49.20, Z49.21, Z51.00, Z51.01, Z51.1, Z51.2,
    Z51.3, Z51.30, Z51.31, Z51.80. Otherwise the grouper sends the stay to 90Z01Z (G006).

    Bad: dp = "J189", seances = "01".
    Good: dp = "Z511", seances = "01"; or dp = "J189", seances = "00".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.dp in SEANCE_MOTIVES or not rum.seances:
            continue
        count = number(rum.seances)
        if count:
            if hits is None:
                hits = []
            hits.append(hit(i, "seances", rum.seances, count=count, dp=rum.dp or "absent"))
    return hits or NONE


APHERESIS_ACTS: Final = frozenset(
    {
        "FEFF001",
        "FEFF002",
        "FEJF001",
        "FEJF002",
        "FEJF004",
        "FEJF005",
        "FEJF007",
        "FEJF009",
        "FEPF001",
        "FEPF002",
        "FEPF003",
        "FEPF004",
        "FEPF005",
        "FERP001",
    }
)


MEDICAL_ABORTION_ACT: Final = "JNJP001"


DELIVERY_ACTS: Final = frozenset(
    {"JQGA002", "JQGA003", "JQGA004", "JQGA005"} | {f"JQGD{n:03d}" for n in range(1, 14)}
)


# The acts some rule of this module looks for (apheresis, medical abortion, delivery).
_SPECIAL_ACTS: Final = APHERESIS_ACTS | DELIVERY_ACTS | {MEDICAL_ABORTION_ACT}


def special_acts(rss: Rss, ctx: RuleContext) -> bool:
    """Some RUM has an apheresis, medical abortion or delivery act: false on most stays, whose
    rules of such acts (Q004, Q005, Q006) then find nothing."""
    return any(not _SPECIAL_ACTS.isdisjoint(map(ACT_CODE, rum.acts)) for rum in rss.rums)


def _in_seance(rss: Rss, rum: Rum) -> bool:
    return bool(number(rum.seances)) or rss.rums[0].ghm[:2] == "28"


@rule(
    "Q004",
    "guide.apheresis_dp",
    Severity.WARNING,
    "Acte d'aphérèse {act} en séance avec le DP {value} : DP Z51.31 (séance d'aphérèse sanguine) attendu.",
    reference=GUIDE + " (séances d'aphérèse) ; liste FG D-054, GHM 28Z16Z",
    params=("act",),
    when=("acts",),
)
def apheresis_dp(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A séance with an apheresis act has Z51.31 (séance d'aphérèse sanguine) as DP.

    Bad: seances = "01", act FEJF004 (échange plasmatique), dp = "Z513".
    Good: the same séance with dp = "Z5131".
    """
    for i, rum in enumerate(rss.rums):
        if rum.dp == "Z5131" or APHERESIS_ACTS.isdisjoint(map(ACT_CODE, rum.acts)):
            continue
        for act in rum.acts:
            if act.code in APHERESIS_ACTS and _in_seance(rss, rum):
                yield hit(i, "dp", rum.dp, act=act.code)
                break


def _legal_ivg(dp: str) -> bool:
    """O04x0: a legal IVG (O04x1-O04x3 are IMG, a bare O04x is not a DP code)."""
    return len(dp) == 5 and dp[:3] == "O04" and dp[4] == "0"


@rule(
    "Q005",
    "guide.medical_abortion_same_day",
    Severity.WARNING,
    "IVG médicamenteuse (DP {dp}, acte JNJP001) sur un RUM du {entry_date} au {value_date} : "
    "entrée et sortie le même jour attendues.",
    reference=GUIDE + " (interruption de grossesse) ; choix documenté : DP O04x0 (IVG) et acte JNJP001",
    params=("dp", "entry_date"),
    when=("acts",),
)
def medical_abortion_same_day(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A medical abortion RUM (DP a legal IVG O04x0, act JNJP001) starts and ends on the same day.

    A medical termination for a foetal or maternal cause (IMG, DP O04x1 to O04x3) may need a stay
    of several days and is not concerned.

    Bad: dp = "O0490", act JNJP001, entry "04032024", exit "05032024".
    Good: dp = "O0490", act JNJP001, entry and exit "04032024".
    """
    for i, rum in enumerate(rss.rums):
        if not _legal_ivg(rum.dp) or rum.entry_date == rum.exit_date:
            continue
        entry, exit_day = day(rum.entry_date), day(rum.exit_date)
        if entry is None or exit_day is None or entry == exit_day:
            continue
        if any(act.code == MEDICAL_ABORTION_ACT for act in rum.acts):
            yield hit(i, "exit_date", rum.exit_date, dp=rum.dp, entry_date=fr_date(rum.entry_date))


def _no_gestational_age(rum: Rum) -> bool:
    return not number(rum.gestational_age)  # blank, "00" and non-numeric alike


def _stay_has_gestational_age(rss: Rss) -> bool:
    """Some RUM gives a gestational age (non-numeric counts: C125 reports it), as C126 reads it."""
    return any(rum.gestational_age.strip("0") for rum in rss.rums)


@rule(
    "Q006",
    "guide.gestational_age_delivery",
    Severity.WARNING,
    "Âge gestationnel absent sur le RUM de l'accouchement (acte {act}).",
    reference=GUIDE + " (âge gestationnel) ; sans aucun âge gestationnel dans le RSS : contrôle FG C126",
    params=("act",),
    when=("acts",),
)
def gestational_age_delivery(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The RUM carrying a delivery act records the gestational age (weeks of amenorrhoea).

    Only when another RUM of the stay gives it: a stay without any gestational age is the
    grouper's blocking control C126, reported once by that rule.

    Bad: a 2-RUM stay, act JQGD010 (accouchement céphalique unique par voie naturelle) on RUM 2
    with gestational_age = "", RUM 1 with gestational_age = "39".
    Good: act JQGD010, gestational_age = "39" on its RUM.
    """
    if not _stay_has_gestational_age(rss):
        return  # C126
    for i, rum in enumerate(rss.rums):
        if DELIVERY_ACTS.isdisjoint(map(ACT_CODE, rum.acts)) or not _no_gestational_age(rum):
            continue
        for act in rum.acts:
            if act.code in DELIVERY_ACTS:
                yield hit(i, "gestational_age", rum.gestational_age, act=act.code)
                break


@rule(
    "Q007",
    "guide.gestational_age_newborn",
    Severity.WARNING,
    "Âge gestationnel absent sur le premier RUM d'un nouveau-né (mode d'entrée {mode}, né le {birth_date}).",
    reference=GUIDE + " (nouveau-nés) ; entré le jour de sa naissance sans aucun âge gestationnel : "
    "contrôle FG C126",
    params=("mode", "birth_date"),
)
def gestational_age_newborn(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A newborn's first RUM (entry by birth, mode N, or admitted on its birth day) records the
    gestational age at birth.

    A newborn admitted on its birth day without any gestational age in the stay is the grouper's
    blocking control C126, reported once by that rule; this rule covers the rest (the age given on
    a later RUM only, or an entry by birth on another day than the birth date).

    Bad: a 2-RUM stay, first RUM entry_mode = "N", birth_date = entry_date = "04032024",
    gestational_age = "", RUM 2 gestational_age = "39".
    Good: the same stay with gestational_age = "39" on its first RUM.
    """
    first = rss.rums[0]
    if not _no_gestational_age(first):
        return NONE
    born_today = first.birth_date == first.entry_date and day(first.birth_date) is not None
    if first.entry_mode != "N" and not born_today:
        return NONE
    if born_today and not _stay_has_gestational_age(rss):
        return NONE  # C126
    return (
        hit(
            0,
            "gestational_age",
            first.gestational_age,
            mode=first.entry_mode,
            birth_date=fr_date(first.birth_date),
        ),
    )


@rule(
    "Q013",
    "guide.da_equals_dp",
    Severity.WARNING,
    "DA {value} identique au DP du même RUM : un diagnostic n'est codé qu'une fois, en DP.",
    reference=GUIDE + " (diagnostics associés) ; un même code n'est pas à la fois DP et DA d'un RUM",
    when=("das",),
)
def da_equals_dp(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """No associated diagnosis (DA) of a RUM repeats the principal diagnosis (DP) of that RUM.

    A DA equal to the DP adds nothing to the stay's description and usually betrays a copy of the
    problem list into the DAs. Each repetition is reported (the DP of another RUM of the same stay
    may be a DA here: a RUM is coded for its own unit).

    Bad: dp = "J189", das = ["I10", "J189"].
    Good: dp = "J189", das = ["I10"].
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        dp = rum.dp
        if not dp or dp not in rum.das:
            continue
        for k, code in enumerate(rum.das):
            if code == dp:
                if hits is None:
                    hits = []
                hits.append(hit(i, f"das[{k}]", code))
    return hits or NONE


# Categories of history codes (see the module docstring), with what they record.
HISTORY_CATEGORIES: Final[dict[str, str]] = {
    **dict.fromkeys(("Z80", "Z81", "Z82", "Z83", "Z84"), "antécédent familial"),
    **dict.fromkeys(("Z85", "Z86", "Z87"), "antécédent personnel"),
    "Z88": "antécédent personnel d'allergie",
    "Z91": "antécédent personnel de facteur de risque",
    "Z92": "antécédent personnel de traitement",
}


@rule(
    "Q014",
    "guide.dr_history_code",
    Severity.WARNING,
    "DR {value} impossible : c'est un code d'{kind}, pas une maladie présente pendant le séjour ; "
    "coder l'affection en cours (la tumeur traitée, par exemple) ou ne pas coder de DR.",
    reference=GUIDE + " (diagnostic relié : maladie chronique ou état permanent présent au moment du "
    "séjour) ; choix documenté : catégories Z80-Z88, Z91, Z92",
    params=("kind",),
    when=("dr",),
)
def dr_history_code(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The related diagnosis (DR) is a disease present during the stay, never a history code
    (Z80-Z88, Z91, Z92: family or personal history, allergy, risk factor or treatment history).

    Typical case: a chemotherapy séance (DP Z51.1) for a breast cancer under treatment coded with
    the history code Z85.3 as DR; a tumour still treated is a current tumour (C50.x).

    Bad: dp = "Z511", dr = "Z853".
    Good: dp = "Z511", dr = "C509".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        kind = HISTORY_CATEGORIES.get(rum.dr[:3])
        if kind is not None:
            if hits is None:
                hits = []
            hits.append(hit(i, "dr", rum.dr, kind=kind))
    return hits or NONE


RULES = (
    rum_number_duplicate,
    rum_number_invalid,
    seances_without_motive,
    apheresis_dp,
    medical_abortion_same_day,
    gestational_age_delivery,
    gestational_age_newborn,
    da_equals_dp,
    dr_history_code,
)
