"""Checks on the grouper's output carried by RSS groupé lines (GHM and return code).

The HIS (ORBIS) groups the stays itself, so the lines may carry the GHM and the FG return code.
Every line of a grouped RSS carries the same result; it is read from the first line. Findings are
RSS-level (no RUM index), except the CMD 28 consistency check which points at the DP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import GUIDE, NONE
from app.rules.engine import Hit, RuleContext, Severity, hit, rule
from app.rules.fg_labels import fg_label

_UNKNOWN_LABEL: Final = "libellé inconnu"


def _label(code: str, ctx: RuleContext) -> str:
    return fg_label(code, ctx.fg_labels) or _UNKNOWN_LABEL


def fg_signal(rss: Rss, ctx: RuleContext) -> bool:
    """The stay is grouped in CMD 90 or carries a return code other than 000: false on most
    stays, whose grouping signals (Q009, Q010) then find nothing."""
    first = rss.rums[0]
    code = first.return_code
    return first.ghm[:2] == "90" or (bool(code) and code != "000")


@rule(
    "Q009",
    "grouping.error_cmd",
    Severity.WARNING,
    "RSS groupé en erreur (GHM {value}, CMD 90) ; {return_detail}.",
    reference="FG MCO — CMD 90 (90Z00Z contrôles bloquants, 90Z01Z/90Z02Z erreurs de groupage), "
    "spec PMSI §6.1",
    params=("return_detail",),
    when=("grouped",),
)
def error_cmd(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay grouped in CMD 90 (errors) is not valued: the coding must be fixed and regrouped.

    The message gives the FG return code and its label, which usually names the blocking control.
    A blank return code is said to be missing, and "000" to name no error: neither is an unknown
    code to look up.

    Bad: GHM "90Z00Z", return code "040" (diagnostic principal absent).
    Good: GHM "04M051", return code "000".
    """
    first = rss.rums[0]
    if first.ghm[:2] != "90":
        return NONE
    return (hit(None, "ghm", first.ghm, return_detail=_return_detail(first.return_code, ctx)),)


def _return_detail(code: str, ctx: RuleContext) -> str:
    if not code:
        return "code retour non renseigné"
    if code == "000":
        return "code retour 000 (aucune erreur indiquée par la fonction groupage)"
    return f"code retour {code} : {_label(code, ctx)}"


@rule(
    "Q010",
    "grouping.return_code",
    Severity.INFO,
    "Code retour {value} de la fonction groupage : {fg_label}.",
    reference="FG MCO — code retour du RSS groupé (positions 13-15), spec PMSI §3 et §6",
    params=("fg_label",),
    when=("grouped",),
)
def return_code(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay outside CMD 90 with a non-zero return code carries a non-blocking signal.

    The GHM is kept, but the signal (e.g. 170: documentary extension missing) is worth reviewing.
    CMD 90 stays are reported by Q009 instead.

    Bad: GHM "04M051", return code "170".
    Good: GHM "04M051", return code "000" (or blank).
    """
    first = rss.rums[0]
    code = first.return_code
    if not first.ghm or first.ghm[:2] == "90" or not code or code == "000":
        return NONE
    return (hit(None, "return_code", code, fg_label=_label(code, ctx)),)


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


# Séance GHM -> the DP (séance motive) leading to it. Inferred from the FG lists of CMD 28 (V2024)
# and the GHM labels (spec PMSI §7.4): the CMD 28 decision tree was not available.
SEANCE_GHM_DP: Final[Mapping[str, frozenset[str]]] = {
    "28Z01Z": frozenset({"Z492", "Z4920", "Z4921"}),
    "28Z02Z": frozenset({"Z492", "Z4920", "Z4921"}),
    "28Z03Z": frozenset({"Z491"}),
    "28Z04Z": frozenset({"Z491"}),
    "28Z07Z": frozenset({"Z511"}),
    "28Z10Z": frozenset({"Z5101"}),
    "28Z11Z": frozenset({"Z5101"}),
    "28Z14Z": frozenset({"Z513", "Z5130"}),
    "28Z15Z": frozenset({"Z5180"}),
    "28Z16Z": frozenset({"Z5131"}),
    "28Z17Z": frozenset({"Z512"}),
    "28Z18Z": frozenset({"Z5101"}),
    "28Z19Z": frozenset({"Z5100"}),
    "28Z20Z": frozenset({"Z5100"}),
    "28Z21Z": frozenset({"Z5100"}),
    "28Z22Z": frozenset({"Z5100"}),
    "28Z23Z": frozenset({"Z5101"}),
    "28Z24Z": frozenset({"Z5101"}),
    "28Z25Z": frozenset({"Z5101"}),
}


@rule(
    "Q011",
    "grouping.seance_ghm_dp",
    Severity.WARNING,
    "GHM de séances {ghm} incohérent avec le DP {value} : DP attendu {expected}.",
    reference=GUIDE + " (séances) ; listes FG CMD 28 V2024, spec PMSI §7.4 (correspondance inférée)",
    params=("ghm", "expected"),
    when=("grouped",),
)
def seance_ghm_dp(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A séance GHM (CMD 28) must match the séance motive coded as DP.

    28Z07Z chemotherapy for a tumour needs Z51.1; 28Z17Z other chemotherapy Z51.2; 28Z14Z
    transfusion Z51.3/Z51.30; 28Z16Z apheresis Z51.31; 28Z15Z hyperbaric oxygen Z51.80;
    28Z03Z/28Z04Z haemodialysis Z49.1; 28Z01Z/28Z02Z peritoneal dialysis Z49.2x; 28Z19Z-28Z22Z
    preparation for irradiation Z51.00; 28Z10Z, 28Z11Z, 28Z18Z, 28Z23Z-28Z25Z irradiation Z51.01.
    Checked on single-RUM stays (a multi-RUM stay in CMD 28 is C150).

    Bad: GHM "28Z07Z" with dp = "Z512".
    Good: GHM "28Z07Z" with dp = "Z511".
    """
    rums = rss.rums
    first = rums[0]
    expected = SEANCE_GHM_DP.get(first.ghm) if first.ghm[:2] == "28" else None
    if expected is None or len(rums) != 1 or first.dp in expected or not first.dp:
        return NONE
    shown = " ou ".join(_dotted(code) for code in sorted(expected))
    return (hit(0, "dp", first.dp, ghm=first.ghm, expected=shown),)


@rule(
    "Q012",
    "grouping.ghm_unknown",
    Severity.WARNING,
    "GHM {value} inconnu de la classification chargée.",
    reference="Classification des GHM (ATIH), table de regroupement chargée",
    needs=("ghm",),
    when=("grouped",),
)
def ghm_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A grouped stay's GHM must exist in the loaded GHM classification.

    An unknown GHM usually means a grouper version the DIM tables do not cover, or a corrupted line.

    Bad: GHM "04M999".
    Good: GHM "04M051".
    """
    labels = ctx.ghm_labels
    ghm = rss.rums[0].ghm
    if labels is None or not ghm or ghm in labels:
        return NONE
    return (hit(None, "ghm", ghm),)


RULES = (
    error_cmd,
    return_code,
    seance_ghm_dp,
    ghm_unknown,
)
