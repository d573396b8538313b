"""Flags of the RUM: confirmation (145), radiotherapy (146-147) and the version-specific zone 163-177.

A version-specific field is only checked when the RUM's format has it (its key is present in
`Rum.extra`): conversion and RAAC from 019, patient context / reserve product / rescrit /
intervention category from 020, non-programmed stay from 021, emergency passage from 022.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import NONE, fg
from app.rules.engine import Hit, RuleContext, Severity, hit, rule

_YES_NO: Final = frozenset({"", "1", "2"})


def _extra_hits(rss: Rss, key: str, allowed: frozenset[str]) -> Iterable[Hit]:
    rums = rss.rums
    if len(rums) == 1:
        value = rums[0].extra.get(key, "")
        return NONE if value in allowed else (hit(0, key, value),)
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        value = rum.extra.get(key, "")
        if value not in allowed:
            if hits is None:
                hits = []
            hits.append(hit(i, key, value))
    return hits or NONE


@rule(
    "C121",
    "flags.confirmation_invalid",
    Severity.WARNING,
    "Code de confirmation du codage « {value} » incorrect (1 ou vide attendu).",
    reference=fg("C121") + "; valeur 2 tolérée (ancien format oui/non)",
    when=("flags",),
)
def confirmation_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The coding confirmation (position 145) is 1 or blank; 2 ("no", older formats) is tolerated.

    Bad: confirmation = "O".
    Good: confirmation = "1", or blank.
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.confirmation not in _YES_NO:
            if hits is None:
                hits = []
            hits.append(hit(i, "confirmation", rum.confirmation))
    return hits or NONE


_RT_CODES: Final = frozenset({"", "1", "2", "3", "4"})


@rule(
    "C122",
    "flags.rt_machine_invalid",
    Severity.WARNING,
    "Type de machine de radiothérapie « {value} » incorrect (1 à 4 ou vide).",
    reference=fg("C122"),
    when=("flags",),
)
def rt_machine_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The radiotherapy machine type (position 146) is 1 to 4, or blank.

    Bad: rt_machine = "5".
    Good: rt_machine = "2".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.rt_machine not in _RT_CODES:
            if hits is None:
                hits = []
            hits.append(hit(i, "rt_machine", rum.rt_machine))
    return hits or NONE


@rule(
    "C123",
    "flags.rt_dosimetry_invalid",
    Severity.WARNING,
    "Type de dosimétrie « {value} » incorrect (1 à 4 ou vide).",
    reference=fg("C123"),
    when=("flags",),
)
def rt_dosimetry_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The dosimetry type (position 147) is 1 to 4, or blank.

    Bad: rt_dosimetry = "0".
    Good: rt_dosimetry = "1".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if rum.rt_dosimetry not in _RT_CODES:
            if hits is None:
                hits = []
            hits.append(hit(i, "rt_dosimetry", rum.rt_dosimetry))
    return hits or NONE


@rule(
    "C083",
    "flags.reserved_not_blank",
    Severity.WARNING,
    "Zone réservée non vide (« {value} »).",
    reference=fg("C083"),
    when=("flags",),
)
def reserved_not_blank(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The reserved zone of the RUM (positions 175-177; 163-177 in format 016) stays blank.

    Bad: reserved = "X".
    Good: reserved = "".
    """
    for rum in rss.rums:
        if rum.extra.get("reserved"):
            break
    else:
        return NONE
    return _extra_hits(rss, "reserved", frozenset({""}))


@rule(
    "C151",
    "flags.conversion_invalid",
    Severity.BLOCKING,
    "Code de conversion en hospitalisation complète « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C151"),
    when=("flags",),
)
def conversion_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The conversion to full hospitalisation flag (163, from 019) is 1, 2 or blank.

    Bad: conversion_hc = "0".
    Good: conversion_hc = "2".
    """
    return _extra_hits(rss, "conversion_hc", _YES_NO)


@rule(
    "C188",
    "flags.raac_invalid",
    Severity.BLOCKING,
    "Code RAAC « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C188"),
    when=("flags",),
)
def raac_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The enhanced-recovery (RAAC) flag (164, from 019) is 1, 2 or blank.

    Bad: raac = "O".
    Good: raac = "1".
    """
    return _extra_hits(rss, "raac", _YES_NO)


@rule(
    "C195",
    "flags.patient_context_invalid",
    Severity.BLOCKING,
    "Code contexte patient / surveillance particulière « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C195"),
    when=("flags",),
)
def patient_context_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The patient context / special monitoring flag (165, from 020) is 1, 2 or blank.

    Bad: patient_context = "3".
    Good: patient_context = "2".
    """
    return _extra_hits(rss, "patient_context", _YES_NO)


@rule(
    "C196",
    "flags.reserve_product_invalid",
    Severity.BLOCKING,
    "Code administration d'un produit de la réserve hospitalière « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C196"),
    when=("flags",),
)
def reserve_product_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The hospital-reserve product flag (166, from 020) is 1, 2 or blank.

    Bad: reserve_product = "N".
    Good: reserve_product = "2".
    """
    return _extra_hits(rss, "reserve_product", _YES_NO)


@rule(
    "C197",
    "flags.rescrit_invalid",
    Severity.BLOCKING,
    "Code rescrit tarifaire « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C197"),
    when=("flags",),
)
def rescrit_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The tariff rescript flag (167, from 020) is 1, 2 or blank.

    Bad: rescrit = "9".
    Good: rescrit = "".
    """
    return _extra_hits(rss, "rescrit", _YES_NO)


@rule(
    "C198",
    "flags.intervention_category_invalid",
    Severity.BLOCKING,
    "Catégorie du nombre d'interventions totales « {value} » incorrecte (A, B, C ou vide).",
    reference=fg("C198"),
    when=("flags",),
)
def intervention_category_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The category of the total number of interventions (168, from 020) is A, B, C or blank.

    Bad: intervention_category = "D".
    Good: intervention_category = "A".
    """
    return _extra_hits(rss, "intervention_category", frozenset({"", "A", "B", "C"}))


@rule(
    "C251",
    "flags.non_programmed_invalid",
    Severity.BLOCKING,
    "Code indicateur de séjour non programmé « {value} » incorrect (1, 2 ou vide).",
    reference=fg("C251"),
    when=("flags",),
)
def non_programmed_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The non-programmed stay flag (169, from 021) is 1, 2 or blank.

    Bad: non_programmed = "0".
    Good: non_programmed = "2".
    """
    return _extra_hits(rss, "non_programmed", _YES_NO)


_EMERGENCY: Final = frozenset({"", "5", "U", "V"})


@rule(
    "C256",
    "flags.emergency_invalid",
    Severity.BLOCKING,
    "Code passage par une structure des urgences « {value} » incorrect (5, U, V ou vide).",
    reference=fg("C256"),
    when=("flags",),
)
def emergency_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The emergency passage (170, from 022) is 5 (own emergency unit), U (another one), V (both) or blank.

    Bad: emergency = "1".
    Good: emergency = "5".
    """
    return _extra_hits(rss, "emergency", _EMERGENCY)


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
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        value = rum.extra.get("emergency")
        if value and rum.entry_mode in ("N", "0"):
            if hits is None:
                hits = []
            hits.append(hit(i, "emergency", value, mode=rum.entry_mode))
    return hits or NONE


RULES = (
    confirmation_invalid,
    rt_machine_invalid,
    rt_dosimetry_invalid,
    reserved_not_blank,
    conversion_invalid,
    raac_invalid,
    patient_context_invalid,
    reserve_product_invalid,
    rescrit_invalid,
    intervention_category_invalid,
    non_programmed_invalid,
    emergency_invalid,
    emergency_entry_mode,
)
