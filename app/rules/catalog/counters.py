"""Numeric fields of the RUM: séances, newborn weight, gestational age, IGS 2.

The counters nDA, nDAD and nZA (FG C055-C058) are not checked here: a line whose counters are blank
or not numeric cannot be cut into fields, so the parser rejects it as a structural error
(`not_numeric` / `line_length`) before any rule runs, with the FG code as the line error's `fg_code`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from app.ingestion.records import Rss, Rum
from app.rules.catalog._common import (
    BLOCKING,
    NONE,
    WARNING,
    day,
    fg,
    fg_rule,
    flagged,
    number,
    signed_number,
)
from app.rules.engine import Hit, RuleContext, Severity, hit, rule


def _not_numeric(raw: str) -> bool:
    return bool(raw) and number(raw) is None


@rule(
    "C036",
    "counters.seances_not_numeric",
    Severity.BLOCKING,
    "Nombre de séances « {value} » non numérique.",
    reference=fg("C036"),
    when=("seances",),
)
def seances_not_numeric(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The number of séances is a number (blank counts as 0, as in the grouper).

    A negative number is implausible rather than non-numeric: see C066.

    Bad: seances = "A1".
    Good: seances = "04", or "00".
    """
    for rum in rss.rums:
        raw = rum.seances
        if raw and signed_number(raw) is None:
            break
    else:
        return NONE
    return [
        hit(i, "seances", rum.seances)
        for i, rum in enumerate(rss.rums)
        if rum.seances and signed_number(rum.seances) is None
    ]


def _implausible_seances(raw: str) -> bool:
    if not raw:
        return False
    if raw.isdigit() and raw.isascii():
        return int(raw) > 31
    value = signed_number(raw)
    return value is not None and value < 0


# fmt: off
seances_implausible: Final = fg_rule("C066", "counters.seances_implausible", WARNING,
    "Nombre de séances {value} invraisemblable (attendu entre 0 et 31).",
    flagged("seances", _implausible_seances),
    """A RUM holds at most 31 séances (one a day over a month); a negative number is read as 0.

    Bad: seances = "45".
    Good: seances = "20".
    """, when=("seances",))

weight_not_numeric: Final = fg_rule("C082", "counters.weight_not_numeric", BLOCKING,
    "Poids d'entrée du nouveau-né « {value} » non numérique.",
    flagged("newborn_weight", _not_numeric),
    """The newborn's weight at entry, when given, is a number of grams.

    Bad: newborn_weight = "3kg2".
    Good: newborn_weight = "3250", or blank.
    """, when=("perinatal",))
# fmt: on


def _one_or_two_digits(raw: str) -> bool:
    value = number(raw) if raw else None
    return value is not None and 0 < value < 100


# fmt: off
weight_too_short: Final = fg_rule("C128", "counters.weight_too_short", BLOCKING,
    "Poids d'entrée {value} g écrit sur un ou deux chiffres (poids en grammes attendu).",
    flagged("newborn_weight", _one_or_two_digits),
    """A weight of 1 to 99 g is a weight typed in kilograms or hectograms.

    Bad: newborn_weight = "0032" (3.2 kg typed as 32).
    Good: newborn_weight = "3200".
    """, reference=fg("C128") + "; seuil 100 g de drd", when=("perinatal",))

gestational_age_not_numeric: Final = fg_rule("C125", "counters.gestational_age_not_numeric", BLOCKING,
    "Âge gestationnel « {value} » non numérique.",
    flagged("gestational_age", _not_numeric),
    """The gestational age, when given, is a number of weeks of amenorrhoea.

    Bad: gestational_age = "3S".
    Good: gestational_age = "39", or blank.
    """, when=("perinatal",))
# fmt: on


@rule(
    "C127",
    "counters.gestational_age_implausible",
    Severity.BLOCKING,
    "Âge gestationnel de {value} semaines incohérent (plus de 44, ou moins de 22 pour un nouveau-né vivant).",
    reference=fg("C127"),
    when=("perinatal",),
)
def gestational_age_implausible(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A gestational age above 44 weeks is impossible; below 22 weeks only for a stillbirth.

    Below 22 weeks is reported when the patient is under one year old at entry and the stay does
    not end by death (exit mode 9), as the grouper does. 0 means "not given".

    Bad: gestational_age = "52".
    Good: gestational_age = "39".
    """
    last_exit_mode = rss.rums[-1].exit_mode
    for i, rum in enumerate(rss.rums):
        weeks = number(rum.gestational_age) if rum.gestational_age else None
        if not weeks:
            continue
        if weeks > 44 or (weeks < 22 and last_exit_mode != "9" and _under_one_year(rum)):
            yield hit(i, "gestational_age", rum.gestational_age)


def _under_one_year(rum: Rum) -> bool:
    birth = day(rum.birth_date)
    entry = day(rum.entry_date)
    if birth is None or entry is None:
        return False
    years = entry.year - birth.year - ((entry.month, entry.day) < (birth.month, birth.day))
    return years <= 0


# fmt: off
igs2_not_numeric: Final = fg_rule("C169", "counters.igs2_not_numeric", BLOCKING,
    "IGS 2 « {value} » non numérique.",
    flagged("igs2", _not_numeric),
    """The IGS 2 severity score, when given, is a number.

    Bad: igs2 = "4O" (letter O).
    Good: igs2 = "040", or blank.
    """)
# fmt: on


RULES = (
    seances_not_numeric,
    seances_implausible,
    weight_not_numeric,
    weight_too_short,
    gestational_age_not_numeric,
    gestational_age_implausible,
    igs2_not_numeric,
)
