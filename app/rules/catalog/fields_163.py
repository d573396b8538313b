"""Flags of the RUM: confirmation (145), radiotherapy (146-147) and the version-specific zone 163-177.

A version-specific field is only checked when the RUM's format has it (its key is present in
`Rum.extra`): conversion and RAAC from 019, patient context / reserve product / rescrit /
intervention category from 020, non-programmed stay from 021, emergency passage from 022.

Every rule but the last checks that one field holds one of its accepted values: one row each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import BLOCKING, WARNING, extra, fg, fg_rule, flagged, outside
from app.rules.engine import Check, Hit, RuleContext, Severity, hit, rule

_YES_NO: Final = frozenset({"", "1", "2"})
_RT_CODES: Final = frozenset({"", "1", "2", "3", "4"})
_EMERGENCY: Final = frozenset({"", "5", "U", "V"})
_INTERVENTIONS: Final = frozenset({"", "A", "B", "C"})
_BLANK_ONLY: Final = frozenset({""})


def _codes(field: str, allowed: frozenset[str]) -> Check:
    """A RUM field (positions 145-147) outside `allowed`."""
    return flagged(field, outside(allowed))


def _zone(key: str, allowed: frozenset[str]) -> Check:
    """A field of the version-specific zone outside `allowed`; blank when the format lacks it."""
    return flagged(key, outside(allowed), extra(key))


# fmt: off
_VALUES: Final = (
    fg_rule("C121", "flags.confirmation_invalid", WARNING,
        "Code de confirmation du codage « {value} » incorrect (1 ou vide attendu).",
        _codes("confirmation", _YES_NO),
        """The coding confirmation (position 145) is 1 or blank; 2 ("no", older formats) is tolerated.

        Bad: confirmation = "O".
        Good: confirmation = "1", or blank.
        """, reference=fg("C121") + "; valeur 2 tolérée (ancien format oui/non)", when=("flags",)),
    fg_rule("C122", "flags.rt_machine_invalid", WARNING,
        "Type de machine de radiothérapie « {value} » incorrect (1 à 4 ou vide).",
        _codes("rt_machine", _RT_CODES),
        """The radiotherapy machine type (position 146) is 1 to 4, or blank.

        Bad: rt_machine = "5".
        Good: rt_machine = "2".
        """, when=("flags",)),
    fg_rule("C123", "flags.rt_dosimetry_invalid", WARNING,
        "Type de dosimétrie « {value} » incorrect (1 à 4 ou vide).",
        _codes("rt_dosimetry", _RT_CODES),
        """The dosimetry type (position 147) is 1 to 4, or blank.

        Bad: rt_dosimetry = "0".
        Good: rt_dosimetry = "1".
        """, when=("flags",)),
    fg_rule("C083", "flags.reserved_not_blank", WARNING,
        "Zone réservée non vide (« {value} »).",
        _zone("reserved", _BLANK_ONLY),
        """The reserved zone of the RUM (positions 175-177; 163-177 in format 016) stays blank.

        Bad: reserved = "X".
        Good: reserved = "".
        """, when=("flags",)),
    fg_rule("C151", "flags.conversion_invalid", BLOCKING,
        "Code de conversion en hospitalisation complète « {value} » incorrect (1, 2 ou vide).",
        _zone("conversion_hc", _YES_NO),
        """The conversion to full hospitalisation flag (163, from 019) is 1, 2 or blank.

        Bad: conversion_hc = "0".
        Good: conversion_hc = "2".
        """, when=("flags",)),
    fg_rule("C188", "flags.raac_invalid", BLOCKING,
        "Code RAAC « {value} » incorrect (1, 2 ou vide).",
        _zone("raac", _YES_NO),
        """The enhanced-recovery (RAAC) flag (164, from 019) is 1, 2 or blank.

        Bad: raac = "O".
        Good: raac = "1".
        """, when=("flags",)),
    fg_rule("C195", "flags.patient_context_invalid", BLOCKING,
        "Code contexte patient / surveillance particulière « {value} » incorrect (1, 2 ou vide).",
        _zone("patient_context", _YES_NO),
        """The patient context / special monitoring flag (165, from 020) is 1, 2 or blank.

        Bad: patient_context = "3".
        Good: patient_context = "2".
        """, when=("flags",)),
    fg_rule("C196", "flags.reserve_product_invalid", BLOCKING,
        "Code administration d'un produit de la réserve hospitalière « {value} » incorrect (1, 2 ou vide).",
        _zone("reserve_product", _YES_NO),
        """The hospital-reserve product flag (166, from 020) is 1, 2 or blank.

        Bad: reserve_product = "N".
        Good: reserve_product = "2".
        """, when=("flags",)),
    fg_rule("C197", "flags.rescrit_invalid", BLOCKING,
        "Code rescrit tarifaire « {value} » incorrect (1, 2 ou vide).",
        _zone("rescrit", _YES_NO),
        """The tariff rescript flag (167, from 020) is 1, 2 or blank.

        Bad: rescrit = "9".
        Good: rescrit = "".
        """, when=("flags",)),
    fg_rule("C198", "flags.intervention_category_invalid", BLOCKING,
        "Catégorie du nombre d'interventions totales « {value} » incorrecte (A, B, C ou vide).",
        _zone("intervention_category", _INTERVENTIONS),
        """The category of the total number of interventions (168, from 020) is A, B, C or blank.

        Bad: intervention_category = "D".
        Good: intervention_category = "A".
        """, when=("flags",)),
    fg_rule("C251", "flags.non_programmed_invalid", BLOCKING,
        "Code indicateur de séjour non programmé « {value} » incorrect (1, 2 ou vide).",
        _zone("non_programmed", _YES_NO),
        """The non-programmed stay flag (169, from 021) is 1, 2 or blank.

        Bad: non_programmed = "0".
        Good: non_programmed = "2".
        """, when=("flags",)),
    fg_rule("C256", "flags.emergency_invalid", BLOCKING,
        "Code passage par une structure des urgences « {value} » incorrect (5, U, V ou vide).",
        _zone("emergency", _EMERGENCY),
        """The emergency passage (170, from 022) is 5 (own emergency unit), U (another one), V (both)
        or blank.

        Bad: emergency = "1".
        Good: emergency = "5".
        """, when=("flags",)),
)
# fmt: on


@rule(
    "C257",
    "flags.emergency_entry_mode",
    Severity.BLOCKING,
    "Passage par les urgences « {value} » incompatible avec le mode d'entrée {mode}.",
    reference=fg("C257"),
    params=("mode",),
    when=("flags",),
)
def emergency_entry_mode(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A birth in the hospital (entry N) or a temporary transfer (entry 0) cannot come through the
    emergency unit.

    Bad: entry_mode = "N", emergency = "5".
    Good: entry_mode = "8", emergency = "5".
    """
    for i, rum in enumerate(rss.rums):
        value = rum.extra.get("emergency")
        if value and rum.entry_mode in ("N", "0"):
            yield hit(i, "emergency", value, mode=rum.entry_mode)


RULES = (*_VALUES, emergency_entry_mode)
