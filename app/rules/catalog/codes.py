"""Diagnosis (CIM-10) and act (CCAM) code formats; CIM-10 existence and restrictions.

Format rules need no reference. CIM-10 rules need the CIM-10 of the context and judge a code's
validity at the RSS exit date (the date the grouper reads its tables at; the RUM's exit date when
the RSS exit date is unusable), against the version of the stay's exit year when several years are
loaded (app.rules.catalog.versions). A code whose format is wrong is left to the format rules, and
a code that does not exist or is withdrawn is not checked for restrictions. CCAM existence and
validity: app.rules.catalog.ccam.

ATIH "type MCO" restriction of a CIM-10 code -> control raised (inferred: ATIH defines the five
types in the CIM-10 FR file documentation; the control for each type is the one the open-source
grouper drd emits for the matching FG table category, in the same order):

    type 0  no restriction
    type 1  "interdit en DP et DR, autorisé ailleurs" (very imprecise)  DP C113, DR C116
    type 2  "interdit en DP et DR, cause externe de morbidité" (V-Y)    DP C114, DR C117
    type 3  "interdit en DP, DR et DA" (non-empty category, forbidden
            father code)                                                DP C115, DR C118, DA C119
    type 4  "interdit en DP, autorisé ailleurs" (sequelae B90-B94, I69,
            T90-T98...)                                                 DP C113
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from app.ingestion.records import Rss, Rum
from app.rules.catalog._common import (
    ACT_CODE,
    CCAM_WELL_FORMED,
    CIM_WELL_FORMED,
    NONE,
    ccam_format_ok,
    cim_format_ok,
    fg,
    nomenclature_day,
)
from app.rules.catalog.versions import cim10_version
from app.rules.engine import CimCode, Hit, RuleContext, Severity, hit, rule

# --------------------------------------------------------------------------------------------------
# Formats


@rule(
    "C040",
    "codes.dp_missing",
    Severity.BLOCKING,
    "Diagnostic principal absent.",
    reference=fg("C040"),
    when=("blank",),
)
def dp_missing(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Every RUM has a principal diagnosis (DP).

    Bad: dp = "".
    Good: dp = "J189".
    """
    for rum in rss.rums:
        if not rum.dp:
            break
    else:
        return NONE
    return [hit(i, "dp", "") for i, rum in enumerate(rss.rums) if not rum.dp]


@rule(
    "C041",
    "codes.dp_format",
    Severity.BLOCKING,
    "Code de DP « {value} » ne respectant pas le format de la CIM-10 (sans point, ex. J189).",
    reference=fg("C041"),
)
def dp_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The DP is a CIM-10 code written without dot: a letter, two digits, up to three more.

    Bad: dp = "J18.9".
    Good: dp = "J189".
    """
    for rum in rss.rums:
        if rum.dp and not cim_format_ok(rum.dp):
            break
    else:
        return NONE
    return [hit(i, "dp", rum.dp) for i, rum in enumerate(rss.rums) if rum.dp and not cim_format_ok(rum.dp)]


@rule(
    "C051",
    "codes.dr_format",
    Severity.BLOCKING,
    "Code de DR « {value} » ne respectant pas le format de la CIM-10 (sans point, ex. C509).",
    reference=fg("C051"),
    when=("dr",),
)
def dr_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The related diagnosis (DR), when given, is a CIM-10 code written without dot.

    Bad: dr = "C50 9".
    Good: dr = "C509", or blank.
    """
    for rum in rss.rums:
        if rum.dr and not cim_format_ok(rum.dr):
            break
    else:
        return NONE
    return [hit(i, "dr", rum.dr) for i, rum in enumerate(rss.rums) if rum.dr and not cim_format_ok(rum.dr)]


@rule(
    "C042",
    "codes.da_format",
    Severity.BLOCKING,
    "Code de DA « {value} » ne respectant pas le format de la CIM-10 (sans point, ex. I10).",
    reference=fg("C042"),
    when=("das",),
)
def da_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each associated diagnosis (DA) is a CIM-10 code written without dot.

    Bad: das = ["I10", "e119"].
    Good: das = ["I10", "E119"].
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if CIM_WELL_FORMED.issuperset(rum.das):
            continue
        for k, code in enumerate(rum.das):
            if not cim_format_ok(code):
                if hits is None:
                    hits = []
                hits.append(hit(i, f"das[{k}]", code))
    return hits or NONE


@rule(
    "C043",
    "codes.act_format",
    Severity.BLOCKING,
    "Code d'acte « {value} » ne respectant pas le format de la CCAM (4 lettres et 3 chiffres).",
    reference=fg("C043"),
    when=("acts",),
)
def act_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each act code is a CCAM code: four capital letters and three digits.

    Bad: acts[0].code = "ZBQK02".
    Good: acts[0].code = "ZBQK002".
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if CCAM_WELL_FORMED.issuperset(map(ACT_CODE, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            if not ccam_format_ok(act.code):
                if hits is None:
                    hits = []
                hits.append(hit(i, f"acts[{k}].code", act.code))
    return hits or NONE


# --------------------------------------------------------------------------------------------------
# CIM-10 nomenclature

_UNKNOWN: Final = 0
_WITHDRAWN: Final = 1
_VALID: Final = 2
_BAD_FORMAT: Final = 3  # left to the format rules

# Type MCO groups raised by the restriction rules (see the module docstring).
_TYPE_1_4: Final = (1, 4)
_TYPE_1: Final = (1,)
_TYPE_2: Final = (2,)
_TYPE_3: Final = (3,)


def _status(entry: CimCode | None, code: str, rss: Rss, rum: Rum) -> int:
    """Unknown (never existed as of the nomenclature day), withdrawn, valid, or _BAD_FORMAT."""
    if entry is None:
        return _UNKNOWN if cim_format_ok(code) else _BAD_FORMAT
    if entry.deleted:
        return _WITHDRAWN
    if entry.valid_from is None and entry.valid_to is None:  # nearly every code: no date to read
        return _VALID
    on = nomenclature_day(rss, rum)
    if on is None:
        return _VALID
    if entry.valid_from is not None and on < entry.valid_from:
        return _UNKNOWN
    if entry.valid_to is not None and on >= entry.valid_to:
        return _WITHDRAWN
    return _VALID


@dataclass(frozen=True, slots=True)
class CimIndex:
    """Sets derived once per context from its CIM-10, so that the common case (every code known,
    valid whatever the day, unrestricted) is settled by C-level set operations."""

    plain: frozenset[str]  # known, not deleted, no validity dates
    by_types: Mapping[tuple[int, ...], frozenset[str]]  # restriction groups used by the rules


def cim_index(ctx: RuleContext) -> CimIndex:
    table = ctx.cim10 or {}
    plain = frozenset(
        code
        for code, entry in table.items()
        if not entry.deleted and entry.valid_from is None and entry.valid_to is None
    )
    by_types: dict[tuple[int, ...], frozenset[str]] = {
        types: frozenset(code for code, entry in table.items() if entry.type_mco in types)
        for types in (_TYPE_1_4, _TYPE_1, _TYPE_2, _TYPE_3)
    }
    return CimIndex(plain, by_types)


_INDEX_KEY: Final = "codes.cim_index"


def _check_single(rss: Rss, context: RuleContext, position: str, wanted: int) -> Iterable[Hit]:
    """Hits for the DP or DR (`position`) whose status is `wanted`."""
    ctx = cim10_version(rss, context)
    if ctx is None:
        return NONE  # no loaded version for the stay's year (Q015)
    table = ctx.cim10
    if table is None:
        return NONE
    plain = ctx.derived(_INDEX_KEY, cim_index).plain
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        code = rum.dp if position == "dp" else rum.dr
        if not code or code in plain:
            continue
        if _status(table.get(code), code, rss, rum) == wanted:
            if hits is None:
                hits = []
            hits.append(hit(i, position, code))
    return hits or NONE


def _check_das(rss: Rss, context: RuleContext, wanted: int) -> Iterable[Hit]:
    ctx = cim10_version(rss, context)
    if ctx is None:
        return NONE  # no loaded version for the stay's year (Q015)
    table = ctx.cim10
    if table is None:
        return NONE
    plain = ctx.derived(_INDEX_KEY, cim_index).plain
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        das = rum.das
        if not das or plain.issuperset(das):
            continue
        for k, code in enumerate(das):
            if code not in plain and _status(table.get(code), code, rss, rum) == wanted:
                if hits is None:
                    hits = []
                hits.append(hit(i, f"das[{k}]", code))
    return hits or NONE


@rule(
    "C067",
    "codes.dp_unknown",
    Severity.BLOCKING,
    "DP {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
    reference=fg("C067"),
    needs=("cim10",),
)
def dp_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The DP must exist in the CIM-10 FR à usage PMSI.

    A code created after the stay's exit date counts as never existing at that date.

    Bad: dp = "J199" (no such code).
    Good: dp = "J189".
    """
    return _check_single(rss, ctx, "dp", _UNKNOWN)


@rule(
    "C068",
    "codes.dp_withdrawn",
    Severity.BLOCKING,
    "DP {value} : code n'existant plus dans la CIM-10 (supprimé).",
    reference=fg("C068"),
    needs=("cim10",),
)
def dp_withdrawn(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The DP must still be valid in the CIM-10 at the stay's exit date.

    Bad: dp = a code flagged deleted in the loaded CIM-10 (ATIH "*** SUaa ***" label).
    Good: dp = "J189".
    """
    return _check_single(rss, ctx, "dp", _WITHDRAWN)


@rule(
    "C094",
    "codes.dr_unknown",
    Severity.BLOCKING,
    "DR {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
    reference=fg("C094"),
    needs=("cim10",),
    when=("dr",),
)
def dr_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The related diagnosis (DR), when given, must exist in the CIM-10.

    Bad: dr = "C999".
    Good: dr = "C509".
    """
    return _check_single(rss, ctx, "dr", _UNKNOWN)


@rule(
    "C095",
    "codes.dr_withdrawn",
    Severity.BLOCKING,
    "DR {value} : code n'existant plus dans la CIM-10 (supprimé).",
    reference=fg("C095"),
    needs=("cim10",),
    when=("dr",),
)
def dr_withdrawn(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The related diagnosis (DR) must still be valid in the CIM-10 at the stay's exit date.

    Bad: dr = a code flagged deleted in the loaded CIM-10.
    Good: dr = "C509".
    """
    return _check_single(rss, ctx, "dr", _WITHDRAWN)


@rule(
    "C070",
    "codes.da_unknown",
    Severity.BLOCKING,
    "DA {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
    reference=fg("C070"),
    needs=("cim10",),
    when=("das",),
)
def da_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each associated diagnosis (DA) must exist in the CIM-10.

    Bad: das = ["I10", "I999"].
    Good: das = ["I10"].
    """
    return _check_das(rss, ctx, _UNKNOWN)


@rule(
    "C071",
    "codes.da_withdrawn",
    Severity.BLOCKING,
    "DA {value} : code n'existant plus dans la CIM-10 (supprimé).",
    reference=fg("C071"),
    needs=("cim10",),
    when=("das",),
)
def da_withdrawn(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each associated diagnosis (DA) must still be valid in the CIM-10 at the stay's exit date.

    Bad: das = [a code flagged deleted in the loaded CIM-10].
    Good: das = ["I10"].
    """
    return _check_das(rss, ctx, _WITHDRAWN)


def _restricted(rss: Rss, context: RuleContext, position: str, types: tuple[int, ...]) -> Iterable[Hit]:
    """Hits for valid codes at `position` ("dp", "dr" or "das") whose type MCO is in `types`."""
    ctx = cim10_version(rss, context)
    if ctx is None:
        return NONE  # no loaded version for the stay's year (Q015)
    table = ctx.cim10
    if table is None:
        return NONE
    group = ctx.derived(_INDEX_KEY, cim_index).by_types[types]
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if position == "das":
            if not rum.das or group.isdisjoint(rum.das):
                continue
            found = [(f"das[{k}]", code) for k, code in enumerate(rum.das) if code in group]
        else:
            code = rum.dp if position == "dp" else rum.dr
            if code not in group:
                continue
            found = [(position, code)]
        for field_name, code in found:
            entry = table[code]
            if _status(entry, code, rss, rum) == _VALID:
                if hits is None:
                    hits = []
                hits.append(hit(i, field_name, code, type_mco=entry.type_mco))
    return hits or NONE


@rule(
    "C113",
    "codes.dp_forbidden_imprecise",
    Severity.BLOCKING,
    "Code {value} interdit en DP (type MCO {type_mco} : trop imprécis ou réservé aux autres positions).",
    reference=fg("C113") + "; type MCO 1 ou 4 de la CIM-10 FR ATIH (correspondance inférée)",
    needs=("cim10",),
    params=("type_mco",),
)
def dp_forbidden_imprecise(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A code of ATIH type MCO 1 (very imprecise) or 4 (sequela) cannot be the DP.

    Bad: dp = "A499" (infection bactérienne, SAI: type 1), or "I693" (séquelles d'infarctus: type 4).
    Good: dp = "A419", or "I634".
    """
    return _restricted(rss, ctx, "dp", _TYPE_1_4)


@rule(
    "C114",
    "codes.dp_forbidden_external_cause",
    Severity.BLOCKING,
    "Code {value} interdit en DP : cause externe de morbidité (V, W, X, Y ; type MCO {type_mco}).",
    reference=fg("C114") + "; type MCO 2 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
)
def dp_forbidden_external_cause(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An external cause of morbidity (chapter XX, V01-Y98, type MCO 2) cannot be the DP.

    Bad: dp = "W1800" (chute, type 2).
    Good: dp = "S7200" with the external cause W1800 as DA.
    """
    return _restricted(rss, ctx, "dp", _TYPE_2)


@rule(
    "C115",
    "codes.dp_forbidden_category",
    Severity.BLOCKING,
    "Code {value} interdit en DP : catégorie non vide ou code père interdit (type MCO {type_mco}).",
    reference=fg("C115") + "; type MCO 3 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
)
def dp_forbidden_category(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A category that has subdivisions (type MCO 3) cannot be the DP: code the subdivision.

    Bad: dp = "J18" (category with subdivisions J180-J189).
    Good: dp = "J189".
    """
    return _restricted(rss, ctx, "dp", _TYPE_3)


@rule(
    "C116",
    "codes.dr_forbidden_imprecise",
    Severity.BLOCKING,
    "Code {value} interdit en DR car très imprécis (type MCO {type_mco}).",
    reference=fg("C116") + "; type MCO 1 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
    when=("dr",),
)
def dr_forbidden_imprecise(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A very imprecise code (type MCO 1) cannot be the related diagnosis.

    Bad: dr = "C97" (tumeurs malignes de sièges multiples indépendants, type 1).
    Good: dr = "C509".
    """
    return _restricted(rss, ctx, "dr", _TYPE_1)


@rule(
    "C117",
    "codes.dr_forbidden_external_cause",
    Severity.BLOCKING,
    "Code {value} interdit en DR : cause externe de morbidité (V, W, X, Y ; type MCO {type_mco}).",
    reference=fg("C117") + "; type MCO 2 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
    when=("dr",),
)
def dr_forbidden_external_cause(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An external cause of morbidity (type MCO 2) cannot be the related diagnosis.

    Bad: dr = "W1800".
    Good: dr = "" and W1800 as DA.
    """
    return _restricted(rss, ctx, "dr", _TYPE_2)


@rule(
    "C118",
    "codes.dr_forbidden_category",
    Severity.BLOCKING,
    "Code {value} interdit en DR : catégorie non vide ou code père interdit (type MCO {type_mco}).",
    reference=fg("C118") + "; type MCO 3 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
    when=("dr",),
)
def dr_forbidden_category(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A category that has subdivisions (type MCO 3) cannot be the related diagnosis.

    Bad: dr = "C50".
    Good: dr = "C509".
    """
    return _restricted(rss, ctx, "dr", _TYPE_3)


@rule(
    "C119",
    "codes.da_forbidden_category",
    Severity.BLOCKING,
    "Code {value} interdit en DA : catégorie non vide ou code père interdit (type MCO {type_mco}).",
    reference=fg("C119") + "; type MCO 3 de la CIM-10 FR ATIH",
    needs=("cim10",),
    params=("type_mco",),
    when=("das",),
)
def da_forbidden_category(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A category that has subdivisions (type MCO 3) cannot be an associated diagnosis either.

    Bad: das = ["E11"] (diabète de type 2: code the subdivision).
    Good: das = ["E1198"].
    """
    return _restricted(rss, ctx, "das", _TYPE_3)


RULES = (
    dp_missing,
    dp_format,
    dr_format,
    da_format,
    act_format,
    dp_unknown,
    dp_withdrawn,
    dr_unknown,
    dr_withdrawn,
    da_unknown,
    da_withdrawn,
    dp_forbidden_imprecise,
    dp_forbidden_external_cause,
    dp_forbidden_category,
    dr_forbidden_imprecise,
    dr_forbidden_external_cause,
    dr_forbidden_category,
    da_forbidden_category,
)
