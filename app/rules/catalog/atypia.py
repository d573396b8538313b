"""Atypia a DIM audits before sending the monthly files: codings and stays that are allowed but
unusual enough to be looked at. All are warnings; none is an official grouper control.

Definitions used here (documented choices, to be reviewed with the DIM):

* *Length of stay (LOS)*: days between the stay's entry date (first RUM) and exit date (last RUM).
* *Severity level minimum LOS*: a GHM of severity level 2, 3 or 4 (sixth character) needs a stay of
  at least 3, 4 or 5 days, unless the patient died (classification des GHM, "durées minimales de
  séjour des niveaux de sévérité"; the grouper lowers the level of a shorter stay). Levels A-D
  (CMD 14 and 15), J, T, Z and E have no such minimum here.
* *Symptoms a DA explains* (chapter XVIII, R codes): a short list of the symptoms most often coded
  as DP, each with the CIM-10 categories of the diseases that typically explain it (prefixes,
  ranges inclusive), in `EXPLAINED_SYMPTOMS` below: chest pain (R07) by an ischaemic heart disease,
  a pulmonary embolism, a pericarditis, an aortic dissection or a pneumothorax; abdominal pain (R10)
  by a digestive disease, a pyelonephritis, a urinary stone or an ectopic pregnancy; fever (R50) by
  an infection; syncope (R55) by a conduction disorder, a paroxysmal tachycardia, an aortic stenosis
  or a hypotension (not an atrial fibrillation, a common chronic comorbidity); and so on.
  The limit of a table-free rule: it cannot tell whether that DA explains *this* symptom in this
  patient (a known coronary disease may coexist with a chest pain of another cause); the finding
  asks the question. Other symptoms, and DAs outside the symptom's list (chronic comorbidities such
  as a COPD or an atrial fibrillation for a chest pain), are not judged.
* *GHM bounds*: the low and high bounds (bornes basse et haute) of the GHS of the stay's GHM in the
  tariff campaign in force at the exit date (app.reference.campaigns), when that campaign's table
  is loaded and settles the GHS (one GHS for the GHM, or several sharing their bounds: the RSS
  does not say which GHS the grouper chose). Stays of a campaign that is not loaded, of CMD 90
  or CMD 28 (séances) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final

from app.ingestion.records import Rss
from app.reference.campaigns import campaign_of
from app.rules.catalog._common import GUIDE, NONE, day
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule


@rule(
    "Q016",
    "atypia.dr_equals_dp",
    Severity.WARNING,
    "DR {value} identique au DP du même RUM : le DR complète un DP qui ne suffit pas, il ne le répète pas.",
    reference=GUIDE + " (diagnostic relié : il précise le DP, le plus souvent un code Z ; un même code "
    "n'est pas DP et DR)",
    when=("dr",),
)
def dr_equals_dp(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The related diagnosis (DR) of a RUM is never its principal diagnosis (DP) again.

    The DR exists to say what the DP does not (the disease treated during a séance coded Z51.1,
    for instance): a DR equal to the DP says nothing and usually means the DP was copied.

    Bad: dp = "C509", dr = "C509".
    Good: dp = "Z511", dr = "C509"; or dp = "C509" and no DR.
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        dr = rum.dr
        if dr and dr == rum.dp:
            if hits is None:
                hits = []
            hits.append(hit(i, "dr", dr))
    return hits or NONE


# Symptom category -> (what explains it, (first, last) code prefixes of the explaining diseases).
EXPLAINED_SYMPTOMS: Final[dict[str, tuple[str, tuple[tuple[str, str], ...]]]] = {
    "R00": ("trouble du rythme ou de la conduction", (("I44", "I49"),)),
    "R05": ("maladie respiratoire", (("J00", "J99"),)),
    "R06": ("maladie respiratoire ou insuffisance cardiaque", (("J00", "J99"), ("I50", "I50"))),
    "R07": (
        "cardiopathie ischémique, embolie pulmonaire, péricardite, dissection aortique ou pneumothorax",
        (("I20", "I26"), ("I30", "I31"), ("I71", "I71"), ("J93", "J93")),
    ),
    "R10": (
        "maladie digestive, pyélonéphrite, lithiase urinaire ou grossesse extra-utérine",
        (("K20", "K93"), ("N10", "N10"), ("N13", "N13"), ("N20", "N23"), ("O00", "O00")),
    ),
    "R11": ("maladie digestive", (("K20", "K93"),)),
    "R13": ("maladie ou tumeur de l'œsophage", (("K20", "K22"), ("C15", "C15"))),
    "R17": ("maladie du foie ou des voies biliaires", (("K70", "K87"), ("B15", "B19"), ("C22", "C25"))),
    "R18": (
        "maladie du foie, tumeur abdominale ou insuffisance cardiaque",
        (("K70", "K77"), ("C16", "C26"), ("C48", "C48"), ("C56", "C56"), ("I50", "I50")),
    ),
    "R26": ("maladie neurologique dégénérative", (("G20", "G21"), ("G30", "G31"), ("G35", "G35"))),
    "R31": ("maladie ou tumeur des voies urinaires", (("N00", "N39"), ("C64", "C68"))),
    "R33": ("maladie de la prostate ou de la vessie", (("N30", "N32"), ("N35", "N35"), ("N40", "N42"))),
    "R40": (
        "trouble de la glycémie, AVC, intoxication ou épilepsie",
        (("E10", "E16"), ("I60", "I64"), ("T36", "T65"), ("G40", "G41")),
    ),
    "R41": ("syndrome confusionnel ou démence", (("F00", "F05"), ("G30", "G31"))),
    "R42": ("maladie de l'oreille interne", (("H81", "H83"),)),
    "R50": (
        "infection",
        (
            ("A00", "B99"),
            ("J09", "J22"),
            ("N10", "N10"),
            ("N390", "N390"),
            ("K35", "K35"),
            ("K81", "K81"),
            ("L03", "L03"),
        ),
    ),
    "R51": (
        "migraine, céphalée primaire, hémorragie méningée ou méningite",
        (("G43", "G44"), ("I60", "I62"), ("G00", "G03")),
    ),
    "R55": (
        "trouble de la conduction, tachycardie paroxystique, rétrécissement aortique ou hypotension",
        (("I44", "I45"), ("I47", "I47"), ("I49", "I49"), ("I35", "I35"), ("I95", "I95")),
    ),
    "R56": ("épilepsie", (("G40", "G41"),)),
}


def _explains(code: str, prefixes: tuple[tuple[str, str], ...]) -> bool:
    return any(first <= code[: len(first)] <= last for first, last in prefixes)


@rule(
    "Q017",
    "atypia.symptom_dp_explained",
    Severity.WARNING,
    "Symptôme {value} en DP alors que le DA {da} ({cause}) peut l'expliquer : si ce DA en est la "
    "cause, c'est lui le DP.",
    reference=GUIDE + " (un symptôme n'est DP que si aucune affection n'en rend compte) ; choix "
    "documenté : liste de symptômes et des affections qui les expliquent",
    params=("da", "cause"),
    when=("das",),
)
def symptom_dp_explained(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A symptom (chapter XVIII, R codes) as DP while a DA is a disease that typically explains it.

    The guide makes a symptom the DP only when no diagnosed disease accounts for it. The symptoms
    judged and the diseases taken to explain them are listed in `EXPLAINED_SYMPTOMS` (module
    docstring); the first such DA of the RUM is named. A table-free rule cannot tell whether that
    DA is the cause in this patient: it asks.

    Bad: dp = "R101" (douleur abdominale haute), das = ["K800"] (lithiase de la vésicule biliaire).
    Good: dp = "K800", das = []; or dp = "R074" (douleur thoracique) with das = ["I480"] (a
    fibrillation atriale does not explain it).
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        dp = rum.dp
        if dp[:1] != "R" or not rum.das:
            continue
        found = EXPLAINED_SYMPTOMS.get(dp[:3])
        if found is None:
            continue
        cause, prefixes = found
        for code in rum.das:
            if _explains(code, prefixes):
                if hits is None:
                    hits = []
                hits.append(hit(i, "dp", dp, da=code, cause=cause))
                break
    return hits or NONE


_LEVEL_MINIMUM: Final = {"2": 3, "3": 4, "4": 5}  # severity level -> minimum LOS (days)
_DEATH: Final = "9"


def _los(rss: Rss) -> int | None:
    entry, exit_ = day(rss.rums[0].entry_date), day(rss.rums[-1].exit_date)
    if entry is None or exit_ is None or exit_ < entry:
        return None
    return (exit_ - entry).days


@rule(
    "Q018",
    "atypia.los_below_level_minimum",
    Severity.WARNING,
    "GHM {value} de niveau {level} pour un séjour de {los} jour(s) : ce niveau demande au moins {minimum} "
    "jours hors décès ; groupage ou dates à vérifier.",
    reference="Classification des GHM (ATIH), durées minimales de séjour des niveaux de sévérité 2, 3 et 4 "
    "(3, 4 et 5 jours) ; choix documenté",
    params=("level", "los", "minimum"),
    when=("grouped",),
)
def los_below_level_minimum(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay whose GHM severity level needs more days than the stay has (LOS 0 included).

    A GHM of level 2, 3 or 4 (sixth character) needs at least 3, 4 or 5 days unless the patient
    died: a shorter stay with such a GHM was grouped with other dates (dates corrected after
    grouping, a stale GHM). Stays ending in death (exit mode 9) are not judged.

    Bad: GHM "04M053" (niveau 3), entry 04/03/2024, exit 04/03/2024 (0 day).
    Good: GHM "04M053" with an exit on 08/03/2024 (4 days); or GHM "04M05T" for the 0-day stay.
    """
    rums = rss.rums
    ghm = rums[0].ghm
    minimum = _LEVEL_MINIMUM.get(ghm[5:6]) if len(ghm) == 6 else None
    if minimum is None or rums[-1].exit_mode == _DEATH:
        return NONE
    los = _los(rss)
    if los is None or los >= minimum:
        return NONE
    return (hit(None, "ghm", ghm, level=ghm[5], los=los, minimum=minimum),)


def _bounds(rss: Rss, ctx: RuleContext) -> tuple[str, int, int, int, int] | None:
    """(GHS, low, high, campaign, LOS) of a grouped stay the loaded tariffs can judge."""
    bounds = ctx.ghm_bounds
    ghm = rss.rums[0].ghm
    if bounds is None or len(ghm) != 6 or ghm[:2] in ("90", "28"):
        return None
    exit_day = day(rss.rums[-1].exit_date)
    if exit_day is None:
        return None
    campaign = campaign_of(exit_day, ctx.campaign_starts)
    found = bounds.get((campaign, ghm))
    los = _los(rss)
    if found is None or los is None:
        return None
    ghs, low, high = found
    return ghs, low, high, campaign, los


@rule(
    "Q019",
    "atypia.los_above_high_bound",
    Severity.WARNING,
    "Séjour de {value} jours au-delà de la borne haute du GHM {ghm} (GHS {ghs}, campagne {campaign} : "
    "{bound} jours) : {days} journée(s) au-delà de la borne (EXH), à partir du {from_date}.",
    reference="Tarifs des GHS (ATIH), borne haute et suppléments EXH de la campagne en vigueur à la sortie",
    needs=("ghs_tariffs",),
    params=("ghm", "ghs", "campaign", "bound", "days", "from_date"),
    when=("grouped",),
)
def los_above_high_bound(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay longer than the high bound of its GHS: each day beyond is paid as EXH, and a
    long stay is worth a look (waiting for a downstream bed, a coding that misses a severity).

    The GHS is the one the loaded tariff table of the campaign in force at the exit date gives the
    GHM (see the module docstring); the message names the days beyond the bound and the first one.

    Bad: GHM "01C031" (GHS 0022, high bound 11 days in 2024), entry 04/03/2024, exit 19/03/2024 (15
    days: 4 EXH days from 15/03/2024).
    Good: the same GHM with an exit on 15/03/2024 (11 days).
    """
    found = _bounds(rss, ctx)
    if found is None:
        return NONE
    ghs, _low, high, campaign, los = found
    if high <= 0 or los <= high:
        return NONE
    entry = day(rss.rums[0].entry_date)
    assert entry is not None  # _bounds had a LOS
    return (
        hit(
            None,
            "los",
            str(los),
            ghm=rss.rums[0].ghm,
            ghs=ghs,
            campaign=campaign,
            bound=high,
            days=los - high,
            from_date=fr_date((entry + timedelta(days=high)).strftime("%d%m%Y")),
        ),
    )


@rule(
    "Q020",
    "atypia.los_below_low_bound",
    Severity.WARNING,
    "Séjour de {value} jour(s) sous la borne basse du GHM {ghm} (GHS {ghs}, campagne {campaign} : "
    "{bound} jours) : {days} journée(s) manquante(s), tarif minoré (EXB).",
    reference="Tarifs des GHS (ATIH), borne basse et minoration EXB de la campagne en vigueur à la sortie",
    needs=("ghs_tariffs",),
    params=("ghm", "ghs", "campaign", "bound", "days"),
    when=("grouped",),
)
def los_below_low_bound(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay shorter than the low bound of its GHS: the GHS is paid less (EXB), and a
    short stay in a heavy GHM is worth a look (an early transfer, a GHM that does not fit).

    The GHS is the one the loaded tariff table of the campaign in force at the exit date gives the
    GHM (see the module docstring); the message names the days missing to reach the bound.

    Bad: GHM "01C034" (GHS 0025, low bound 12 days in 2024), entry 04/03/2024, exit 09/03/2024
    (5 days: 7 days missing).
    Good: the same GHM with an exit on 16/03/2024 (12 days).
    """
    found = _bounds(rss, ctx)
    if found is None:
        return NONE
    ghs, low, _high, campaign, los = found
    if los >= low:
        return NONE
    return (
        hit(
            None, "los", str(los), ghm=rss.rums[0].ghm, ghs=ghs, campaign=campaign, bound=low, days=low - los
        ),
    )


RULES = (
    dr_equals_dp,
    symptom_dp_explained,
    los_below_level_minimum,
    los_above_high_bound,
    los_below_low_bound,
)
