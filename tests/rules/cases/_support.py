"""What the rule cases are made of: the `Case` record, RSS builders and the reference context.

Every case RSS is built from the shared ingestion builders (valid 022 stays, see
tests/ingestion/builders.py) with a few fields changed, and the runner writes each RUM with
`write_rum` and reads it back with `parse_line` before running the rule, so the rules see real
fixed-width lines. Values are therefore given in their parsed form ("01" séances, not "1").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from app.ingestion.records import Act, Rss
from app.rules.engine import AuthorisationHistory, CcamCode, CimCode, RuleContext, UnitPeriods
from tests.ingestion.builders import blank_extra, make_act, make_rss

Expected = tuple[int | None, str, str]  # rum_index, field, value


@dataclass(frozen=True)
class Case:
    code: str
    id: str
    rss: Rss
    expected: tuple[Expected, ...]  # empty: a passing case
    ctx: RuleContext | None = None  # None: FULL_CTX
    roundtrip: bool = True  # False only for records a fixed-width line cannot hold

    @property
    def triggers(self) -> bool:
        return bool(self.expected)


def fails(
    code: str,
    id: str,
    rss: Rss,
    *expected: Expected,
    ctx: RuleContext | None = None,
    roundtrip: bool = True,
) -> Case:
    assert expected, "a failing case lists the findings it expects"
    return Case(code, id, rss, tuple(expected), ctx, roundtrip)


def passes(code: str, id: str, rss: Rss, *, ctx: RuleContext | None = None, roundtrip: bool = True) -> Case:
    return Case(code, id, rss, (), ctx, roundtrip)


def stay(n_rums: int = 1, rums: dict[int, dict[str, Any]] | None = None, **common: Any) -> Rss:
    """`make_rss(n_rums, **common)`, then per-RUM changes: ``rums={1: {"sex": "2"}}``."""
    rss = make_rss(n_rums, **common)
    for index, changes in (rums or {}).items():
        rss.rums[index] = replace(rss.rums[index], **changes)
    return Rss(rss.rss_number, rss.rums)


_STAY_OPTIONS = frozenset({"version", "grouped", "rss_number", "entry", "days_per_rum"})


def one(**fields: Any) -> Rss:
    """A single-RUM stay with these fields changed (`version` and `grouped` shape the whole line)."""
    common = {key: value for key, value in fields.items() if key in _STAY_OPTIONS}
    changes = {key: value for key, value in fields.items() if key not in _STAY_OPTIONS}
    return stay(1, {0: changes} if changes else None, **common)


def act(**fields: Any) -> Act:
    """The builders' chest X-ray act (ZBQK002, activity 1, once, on 04/03/2024), changed."""
    return make_act(**fields)


def extra(version: str = "022", **fields: str) -> dict[str, str]:
    """The version-specific zone of a RUM, blank but for `fields`."""
    return {**blank_extra(version), **fields}


# --------------------------------------------------------------------------------------------------
# Reference data: a handful of codes, enough for every case (never copied from shared files).

_CIM: tuple[CimCode, ...] = (
    CimCode("J189", "Pneumopathie, sans précision"),
    CimCode("I10", "Hypertension essentielle"),
    CimCode("E1198", "Diabète de type 2 sans complication"),
    CimCode("A419", "Sepsis, sans précision"),
    CimCode("I634", "Infarctus cérébral dû à une embolie"),
    CimCode("S7200", "Fracture fermée du col du fémur"),
    CimCode("C509", "Tumeur maligne du sein, sans précision"),
    CimCode("C349", "Tumeur maligne des bronches ou du poumon"),
    CimCode("Z491", "Dialyse extracorporelle"),
    CimCode("Z5100", "Séance de préparation à une irradiation"),
    CimCode("Z5101", "Séance d'irradiation"),
    CimCode("Z511", "Séance de chimiothérapie pour tumeur"),
    CimCode("Z512", "Autres formes de chimiothérapie"),
    CimCode("Z513", "Transfusion sanguine"),
    CimCode("Z5130", "Séance de transfusion de produit sanguin labile"),
    CimCode("Z5131", "Séance d'aphérèse sanguine"),
    CimCode("O0490", "IVG complète sans complication"),
    CimCode("Z380", "Enfant unique, né à l'hôpital"),
    CimCode("A499", "Infection bactérienne, sans précision", type_mco=1),
    CimCode("C97", "Tumeurs malignes de sièges multiples indépendants", type_mco=1),
    CimCode("W1800", "Chute, domicile, sport", type_mco=2),
    CimCode("J18", "Pneumopathie à micro-organisme non précisé", type_mco=3),
    CimCode("C50", "Tumeur maligne du sein", type_mco=3),
    CimCode("E11", "Diabète de type 2", type_mco=3),
    CimCode("I693", "Séquelles d'infarctus cérébral", type_mco=4),
    CimCode("Z9999", "*** SU19 *** code supprimé (fictif)", deleted=True),
    CimCode("R5300", "Code retiré fin 2023 (fictif)", valid_to=date(2024, 1, 1)),
    CimCode("U0715", "Code créé en 2025 (fictif)", valid_from=date(2025, 1, 1)),
)

_CCAM: tuple[CcamCode, ...] = (
    CcamCode("ZBQK002", "Radiographie du thorax", frozenset({"1"})),
    CcamCode("GEQE007", "Fibroscopie bronchique", frozenset({"1", "4"})),
    CcamCode("LMMA012", "Cure de hernie de l'aine avec prothèse", frozenset({"1", "4"})),
    CcamCode("JQGD010", "Accouchement céphalique unique par voie naturelle", frozenset({"1"})),
    CcamCode("JNJP001", "Évacuation d'un utérus gravide par moyen médicamenteux", frozenset({"1"})),
    CcamCode("FEJF004", "Échange plasmatique programmé", frozenset({"1"})),
    CcamCode("YYYY600", "Supplément archivage numérique"),
    CcamCode("AANL001", "Irradiation encéphalique (retiré)", valid_to=date(2010, 5, 1)),
    CcamCode("ZZNL066", "Irradiation de contact endocavitaire", valid_from=date(2010, 2, 2)),
)

GHM_LABELS: dict[str, str] = {
    "04M051": "Pneumonies et pleurésies banales, âge supérieur à 17 ans, niveau 1",
    "28Z07Z": "Chimiothérapie pour tumeur, en séances",
    "28Z16Z": "Aphérèses sanguines, en séances",
    "28Z17Z": "Chimiothérapie pour affection non tumorale, en séances",
    "90Z00Z": "Erreurs détectées par les contrôles effectués sur les RUM et leur séquencement",
}

_OPEN: list[tuple[date | None, date | None]] = [(None, None)]
UNITS = UnitPeriods(
    {
        **{str(code): _OPEN for code in range(7500, 7510)},
        "7600": [(None, date(2023, 12, 31))],  # closed before the default stays
    }
)
AUTHORISATIONS = AuthorisationHistory(
    [
        *((str(code), date(2020, 1, 1), "29") for code in range(7500, 7505)),
        ("7505", date(2020, 1, 1), "29"),
        ("7505", date(2024, 1, 1), "88"),  # closed on 1 January 2024
        ("7506", date(2015, 1, 1), "72"),  # IVG type, no longer accepted from 1 March 2019
        ("7507", date(2025, 1, 1), "29"),  # only takes effect after the default stays
        ("7508", date(2020, 1, 1), "99"),  # not an ATIH type
    ]
)

TODAY = date(2025, 1, 1)

# (campaign, GHM) -> (GHS, low bound, high bound), as app.rules.service derives it from a loaded
# tariff table (values of the 2024 public table; 2023 given the same for the January stays).
GHM_BOUNDS: dict[tuple[int, str], tuple[str, int, int]] = {
    **{(campaign, "01C031"): ("0022", 0, 11) for campaign in (2023, 2024)},
    **{(campaign, "01C034"): ("0025", 12, 124) for campaign in (2023, 2024)},
}
CAMPAIGN_STARTS = {2023: date(2023, 3, 1), 2024: date(2024, 3, 1)}

FULL_CTX = RuleContext(
    cim10={code.code: code for code in _CIM},
    ccam={code.code: code for code in _CCAM},
    ghm_labels=GHM_LABELS,
    units=UNITS,
    authorisations=AUTHORISATIONS,
    today=TODAY,
    ghm_bounds=GHM_BOUNDS,
    campaign_starts=CAMPAIGN_STARTS,
)

# Nomenclatures by year: CIM-10 and CCAM 2023 and 2024 loaded, each a version of its own. J189 and
# ZBQK002 are in both; K358 only in 2023's CIM-10 (a code dropped in 2024), U0716 only in 2024's;
# GEQE007 only in 2024's CCAM.
_CIM_2023 = {
    code.code: code for code in (*_CIM, CimCode("K358", "Appendicite aiguë, autre et sans précision"))
}
_CIM_2024 = {code.code: code for code in (*_CIM, CimCode("U0716", "Code créé en 2024 (fictif)"))}
_CCAM_2023 = {code.code: code for code in _CCAM if code.code != "GEQE007"}
_CCAM_2024 = {code.code: code for code in _CCAM}
YEARS_CTX = RuleContext(
    cim10=_CIM_2024,
    ccam=_CCAM_2024,
    ghm_labels=GHM_LABELS,
    units=UNITS,
    authorisations=AUTHORISATIONS,
    today=TODAY,
    cim10_years={2023: RuleContext(cim10=_CIM_2023), 2024: RuleContext(cim10=_CIM_2024)},
    ccam_years={2023: RuleContext(ccam=_CCAM_2023), 2024: RuleContext(ccam=_CCAM_2024)},
)
BARE_CTX = RuleContext(today=TODAY)  # no reference loaded
