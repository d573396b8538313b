"""Medical units: present on the RUM, known in the hospital structure, authorised in the fichier d'UM."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.reference.authorisation_types import lookup
from app.rules.catalog._common import NONE, WARNING, blank, day, fg, fg_rule, rss_exit
from app.rules.engine import Hit, RuleContext, Severity, hit, rule

# fmt: off
unit_missing: Final = fg_rule("C062", "structure.unit_missing", WARNING,
    "Unité médicale non renseignée.",
    blank("unit"),
    """Every RUM names its medical unit (UM).

    Bad: unit = "".
    Good: unit = "7500".
    """, when=("blank",))
# fmt: on


@rule(
    "Q008",
    "structure.unit_unknown",
    Severity.WARNING,
    "UM {value} inconnue de la structure de l'établissement au {on} (date de sortie du RUM).",
    reference="dimqa — règles de comptage : UM rattachée via la structure valide à la date de sortie du RUM",
    needs=("structure",),
    params=("on",),
)
def unit_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The UM of each RUM must exist in the hospital structure on the RUM's exit date.

    Otherwise its activity cannot be attributed to a service and a pôle. A RUM with an unusable
    exit date is judged on its entry date.

    Bad: unit = "9999" (not in the structure).
    Good: unit = "7500" (Oncologie, open on that date).
    """
    units = ctx.units
    if units is None:
        return NONE
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if not rum.unit:
            continue
        on = day(rum.exit_date) or day(rum.entry_date)
        if on is not None and not units.unit_known(rum.unit, on):
            if hits is None:
                hits = []
            hits.append(hit(i, "unit", rum.unit, on=on.strftime("%d/%m/%Y")))
    return hits or NONE


def _new_memo(ctx: RuleContext) -> dict[tuple[str, date], str]:
    return {}


def _refusal(types: tuple[str, ...], on: date) -> str:
    """Why the authorisation types in force are not accepted ("" when they are)."""
    if not types:
        return "aucune autorisation en vigueur dans le fichier d'UM"
    for code in types:
        if code == "88":
            return "unité supprimée (type 88)"
        known = lookup(code)
        if known is None:
            return f"type d'autorisation {code} inconnu"
        if known.ended_on is not None and on >= known.ended_on:
            return f"type d'autorisation {code} supprimé depuis le {known.ended_on.strftime('%d/%m/%Y')}"
    return ""


@rule(
    "C100",
    "structure.authorisation_not_accepted",
    Severity.WARNING,
    "UM {value} : type d'autorisation non accepté au {on} ({reason}).",
    reference=fg("C100") + "; fichier d'UM, spec PMSI §5",
    needs=("ium",),
    params=("on", "reason"),
)
def authorisation_not_accepted(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each UM must have an accepted authorisation type in force at the RSS exit date.

    Read from the fichier d'UM history (the line with the latest date d'effet on or before the
    RSS exit date). Refused: no line in force, type 88 (closed unit), a type unknown to the ATIH
    table, or a type no longer accepted (72 after 1 March 2019).

    Bad: unit "7500" whose only fichier d'UM line takes effect after the discharge.
    Good: unit "7500" with type "29" in force since 01/01/2020.
    """
    authorisations = ctx.authorisations
    exit_day = rss_exit(rss)
    if authorisations is None or exit_day is None:
        return NONE
    # Refusals per (unit, exit date), kept for the batch: stays share a few units and dates.
    memo: dict[tuple[str, date], str] = ctx.derived("structure.c100_memo", _new_memo)
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if not rum.unit:
            continue
        key = (rum.unit, exit_day)
        reason = memo.get(key)
        if reason is None:
            reason = memo[key] = _refusal(tuple(authorisations.types_on(rum.unit, exit_day)), exit_day)
        if reason:
            if hits is None:
                hits = []
            hits.append(hit(i, "unit", rum.unit, on=exit_day.strftime("%d/%m/%Y"), reason=reason))
    return hits or NONE


RULES = (
    unit_missing,
    unit_unknown,
    authorisation_not_accepted,
)
