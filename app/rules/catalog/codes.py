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
    BLOCKING,
    CCAM_WELL_FORMED,
    CIM_WELL_FORMED,
    NONE,
    blank,
    ccam_format_ok,
    cim_format_ok,
    fg,
    fg_rule,
    flagged,
    nomenclature_day,
)
from app.rules.catalog.versions import cim10_version
from app.rules.engine import Check, CimCode, Condition, Hit, Rule, RuleContext, Severity, hit, rule

# --------------------------------------------------------------------------------------------------
# Formats


def _malformed_cim(code: str) -> bool:
    return bool(code) and not cim_format_ok(code)


# fmt: off
_PRESENCE_AND_FORMATS: Final = (
    fg_rule("C040", "codes.dp_missing", BLOCKING, "Diagnostic principal absent.", blank("dp"),
        """Every RUM has a principal diagnosis (DP).

        Bad: dp = "".
        Good: dp = "J189".
        """, when=("blank",)),
    fg_rule("C041", "codes.dp_format", BLOCKING,
        "Code de DP « {value} » ne respectant pas le format de la CIM-10 (sans point, ex. J189).",
        flagged("dp", _malformed_cim),
        """The DP is a CIM-10 code written without dot: a letter, two digits, up to three more.

        Bad: dp = "J18.9".
        Good: dp = "J189".
        """),
    fg_rule("C051", "codes.dr_format", BLOCKING,
        "Code de DR « {value} » ne respectant pas le format de la CIM-10 (sans point, ex. C509).",
        flagged("dr", _malformed_cim),
        """The related diagnosis (DR), when given, is a CIM-10 code written without dot.

        Bad: dr = "C50 9".
        Good: dr = "C509", or blank.
        """, when=("dr",)),
)
# fmt: on


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

    table: Mapping[str, CimCode]  # the CIM-10 itself
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
    return CimIndex(table, plain, by_types)


_INDEX_KEY: Final = "codes.cim_index"


def _judging_index(rss: Rss, context: RuleContext) -> CimIndex | None:
    """The index of the CIM-10 the stay is judged against; None when no version is loaded for its
    year (Q015 says so) or the context has no CIM-10."""
    ctx = cim10_version(rss, context)
    if ctx is None or ctx.cim10 is None:
        return None
    return ctx.derived(_INDEX_KEY, cim_index)


def _check_existence(rss: Rss, context: RuleContext, position: str, wanted: int) -> Iterable[Hit]:
    """Hits for the codes at `position` ("dp", "dr" or "das") whose status is `wanted`."""
    index = _judging_index(rss, context)
    if index is None:
        return NONE
    table, plain = index.table, index.plain
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if position == "das":
            if not rum.das or plain.issuperset(rum.das):
                continue
            found = [(f"das[{k}]", code) for k, code in enumerate(rum.das) if code not in plain]
        else:
            code = rum.dp if position == "dp" else rum.dr
            if not code or code in plain:
                continue
            found = [(position, code)]
        for field_name, code in found:
            if _status(table.get(code), code, rss, rum) == wanted:
                if hits is None:
                    hits = []
                hits.append(hit(i, field_name, code))
    return hits or NONE


def _existence(position: str, wanted: int) -> Check:
    """The check "a code at `position` has the status `wanted`" (a closure, not a partial: the
    compiled check is then called with positional arguments, which a keyword partial is not)."""

    def check_existence(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
        return _check_existence(rss, ctx, position, wanted)

    return check_existence


def _restriction_check(position: str, types: tuple[int, ...]) -> Check:
    """The check "a valid code at `position` has one of the ATIH `types`" (a closure, see `_existence`)."""

    def check_restricted(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
        return _restricted(rss, ctx, position, types)

    return check_restricted


# fmt: off
_EXISTENCE: Final = (
    fg_rule("C067", "codes.dp_unknown", BLOCKING,
        "DP {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
        _existence("dp", _UNKNOWN),
        """The DP must exist in the CIM-10 FR à usage PMSI.

        A code created after the stay's exit date counts as never existing at that date.

        Bad: dp = "J199" (no such code).
        Good: dp = "J189".
        """, needs=("cim10",)),
    fg_rule("C068", "codes.dp_withdrawn", BLOCKING,
        "DP {value} : code n'existant plus dans la CIM-10 (supprimé).",
        _existence("dp", _WITHDRAWN),
        """The DP must still be valid in the CIM-10 at the stay's exit date.

        Bad: dp = a code flagged deleted in the loaded CIM-10 (ATIH "*** SUaa ***" label).
        Good: dp = "J189".
        """, needs=("cim10",)),
    fg_rule("C094", "codes.dr_unknown", BLOCKING,
        "DR {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
        _existence("dr", _UNKNOWN),
        """The related diagnosis (DR), when given, must exist in the CIM-10.

        Bad: dr = "C999".
        Good: dr = "C509".
        """, needs=("cim10",), when=("dr",)),
    fg_rule("C095", "codes.dr_withdrawn", BLOCKING,
        "DR {value} : code n'existant plus dans la CIM-10 (supprimé).",
        _existence("dr", _WITHDRAWN),
        """The related diagnosis (DR) must still be valid in the CIM-10 at the stay's exit date.

        Bad: dr = a code flagged deleted in the loaded CIM-10.
        Good: dr = "C509".
        """, needs=("cim10",), when=("dr",)),
    fg_rule("C070", "codes.da_unknown", BLOCKING,
        "DA {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
        _existence("das", _UNKNOWN),
        """Each associated diagnosis (DA) must exist in the CIM-10.

        Bad: das = ["I10", "I999"].
        Good: das = ["I10"].
        """, needs=("cim10",), when=("das",)),
    fg_rule("C071", "codes.da_withdrawn", BLOCKING,
        "DA {value} : code n'existant plus dans la CIM-10 (supprimé).",
        _existence("das", _WITHDRAWN),
        """Each associated diagnosis (DA) must still be valid in the CIM-10 at the stay's exit date.

        Bad: das = [a code flagged deleted in the loaded CIM-10].
        Good: das = ["I10"].
        """, needs=("cim10",), when=("das",)),
)
# fmt: on


def _restricted(rss: Rss, context: RuleContext, position: str, types: tuple[int, ...]) -> Iterable[Hit]:
    """Hits for valid codes at `position` ("dp", "dr" or "das") whose type MCO is in `types`."""
    index = _judging_index(rss, context)
    if index is None:
        return NONE
    table, group = index.table, index.by_types[types]
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


# A rule on the DR or the DAs is only called on a stay that has some.
_WHEN: Final[Mapping[str, tuple[Condition, ...]]] = {"dp": (), "dr": ("dr",), "das": ("das",)}


def _restriction(code: str, name: str, message: str, position: str, types: tuple[int, ...], doc: str) -> Rule:
    """A CIM-10 restriction rule: a valid code of one of the ATIH `types` at `position`."""
    mco = " ou ".join(map(str, types))
    inferred = " (correspondance inférée)" if len(types) > 1 else ""
    return fg_rule(
        code, f"codes.{name}", BLOCKING, message, _restriction_check(position, types), doc,
        reference=f"{fg(code)}; type MCO {mco} de la CIM-10 FR ATIH{inferred}",
        needs=("cim10",), params=("type_mco",), when=_WHEN[position],
    )  # fmt: skip


# fmt: off
_RESTRICTIONS: Final = (
    _restriction("C113", "dp_forbidden_imprecise",
        "Code {value} interdit en DP (type MCO {type_mco} : trop imprécis ou réservé aux autres positions).",
        "dp", _TYPE_1_4,
        """A code of ATIH type MCO 1 (very imprecise) or 4 (sequela) cannot be the DP.

        Bad: dp = "A499" (infection bactérienne, SAI: type 1), or "I693" (séquelles d'infarctus: type 4).
        Good: dp = "A419", or "I634".
        """),
    _restriction("C114", "dp_forbidden_external_cause",
        "Code {value} interdit en DP : cause externe de morbidité (V, W, X, Y ; type MCO {type_mco}).",
        "dp", _TYPE_2,
        """An external cause of morbidity (chapter XX, V01-Y98, type MCO 2) cannot be the DP.

        Bad: dp = "W1800" (chute, type 2).
        Good: dp = "S7200" with the external cause W1800 as DA.
        """),
    _restriction("C115", "dp_forbidden_category",
        "Code {value} interdit en DP : catégorie non vide ou code père interdit (type MCO {type_mco}).",
        "dp", _TYPE_3,
        """A category that has subdivisions (type MCO 3) cannot be the DP: code the subdivision.

        Bad: dp = "J18" (category with subdivisions J180-J189).
        Good: dp = "J189".
        """),
    _restriction("C116", "dr_forbidden_imprecise",
        "Code {value} interdit en DR car très imprécis (type MCO {type_mco}).",
        "dr", _TYPE_1,
        """A very imprecise code (type MCO 1) cannot be the related diagnosis.

        Bad: dr = "C97" (tumeurs malignes de sièges multiples indépendants, type 1).
        Good: dr = "C509".
        """),
    _restriction("C117", "dr_forbidden_external_cause",
        "Code {value} interdit en DR : cause externe de morbidité (V, W, X, Y ; type MCO {type_mco}).",
        "dr", _TYPE_2,
        """An external cause of morbidity (type MCO 2) cannot be the related diagnosis.

        Bad: dr = "W1800".
        Good: dr = "" and W1800 as DA.
        """),
    _restriction("C118", "dr_forbidden_category",
        "Code {value} interdit en DR : catégorie non vide ou code père interdit (type MCO {type_mco}).",
        "dr", _TYPE_3,
        """A category that has subdivisions (type MCO 3) cannot be the related diagnosis.

        Bad: dr = "C50".
        Good: dr = "C509".
        """),
    _restriction("C119", "da_forbidden_category",
        "Code {value} interdit en DA : catégorie non vide ou code père interdit (type MCO {type_mco}).",
        "das", _TYPE_3,
        """A category that has subdivisions (type MCO 3) cannot be an associated diagnosis either.

        Bad: das = ["E11"] (diabète de type 2: code the subdivision).
        Good: das = ["E1198"].
        """),
)
# fmt: on


RULES = (*_PRESENCE_AND_FORMATS, da_format, act_format, *_EXISTENCE, *_RESTRICTIONS)
