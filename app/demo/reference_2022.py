"""The reference hospital's 2022 activity, from its tender documents (mission.md, "Reference figures").

Pure data: the demo generator builds a year that reproduces every figure below, and the tests
count the generated data (and the API's answers on it) against them. Labels are the hospital's
own, in French, as printed in its tables.
"""

from __future__ import annotations

from typing import Final, NamedTuple

YEAR: Final = 2022


class PoleRef(NamedTuple):
    code: str
    label: str


class UnitRef(NamedTuple):
    pole: str
    code: str
    label: str
    rums: int  # RUM count in 2022, séance RUMs included


class SsrCmRef(NamedTuple):
    weeks: int  # RHS count
    days: int  # days of presence
    stays: int


POLES: Final[tuple[PoleRef, ...]] = (
    PoleRef("MED", "Médecine"),
    PoleRef("MERE", "Mère-enfant-chirurgie"),
    PoleRef("SMR", "SMR"),
    PoleRef("URG", "Urgences"),
)

UNITS: Final[tuple[UnitRef, ...]] = (
    UnitRef("MED", "5540", "Covid", 1),
    UnitRef("MED", "7500", "Oncologie", 632),
    UnitRef("MED", "7510", "Cardiologie", 900),
    UnitRef("MED", "7515", "Med pol. Post urg.", 194),
    UnitRef("MED", "7521", "Gastro-Entérologie", 9),
    UnitRef("MED", "7525", "Médecine polyvalente", 553),
    UnitRef("MED", "7526", "Gériatrie MCO", 485),
    UnitRef("MED", "7529", "Médecine générale et pneumo", 422),
    UnitRef("MED", "7702", "HDJ Oncologie", 3454),
    UnitRef("MED", "7703", "HDJ Pneumologie", 60),
    UnitRef("MED", "7704", "HDJ gastro-entérologie", 0),
    UnitRef("MED", "7705", "HDJ Cardiologie", 39),
    UnitRef("MED", "7724", "HDJ rhumatologie", 169),
    UnitRef("MED", "7727", "HDJ douleur chronique", 1),
    UnitRef("MERE", "7020", "Chirurgie Orthopédique et trauma", 1075),
    UnitRef("MERE", "7030", "Chirurgie Dentaire", 9),
    UnitRef("MERE", "7040", "Chirurgie Gynécologique", 115),
    UnitRef("MERE", "7050", "Chirurgie Viscérale", 738),
    UnitRef("MERE", "7065", "Chir plastique reconstructrice", 84),
    UnitRef("MERE", "7070", "Chirurgie Vasculaire", 2),
    UnitRef("MERE", "7075", "Chir esthétique", 6),
    UnitRef("MERE", "7080", "Chirurgie ORL", 25),
    UnitRef("MERE", "7400", "Réanimation", 165),
    UnitRef("MERE", "7410", "Soins Continus Polyvalents", 228),
    UnitRef("MERE", "7600", "Gynécologie Obstétrique", 980),
    UnitRef("MERE", "7620", "Orthogénie", 261),
    UnitRef("MERE", "7630", "Pédiatrie", 693),
    UnitRef("MERE", "7635", "Chir Pédiatrique ORL", 10),
    UnitRef("MERE", "7636", "Chir Pédiatrique Ortho-Traumato", 117),
    UnitRef("MERE", "7637", "Chir Pédiatrique Viscérale", 48),
    UnitRef("MERE", "7638", "Chir Pédiatrique dentaire", 12),
    UnitRef("MERE", "7640", "Néonatalogie", 94),
    UnitRef("MERE", "7699", "Nouveaux Nés", 714),
    UnitRef("MERE", "7720", "Chirurgie Ophtalmo", 60),
    UnitRef("MERE", "7721", "Chirurgie URO", 142),
    UnitRef("MERE", "7730", "HDJ rééduc Vals MCO", 6),
    UnitRef("MERE", "7910", "Chirurgie Ambulatoire Cardio", 25),
    UnitRef("MERE", "7920", "Chirurgie Ambu Ortho", 284),
    UnitRef("MERE", "7921", "Chirurgie Ambu URO", 81),
    UnitRef("MERE", "7925", "Chirurgie Ambu Oph", 362),
    UnitRef("MERE", "7930", "Chirurgie Ambu Dentaire", 52),
    UnitRef("MERE", "7940", "Chirurgie Ambu Gynéco", 321),
    UnitRef("MERE", "7950", "Chirurgie Ambu Viscérale", 363),
    UnitRef("MERE", "7965", "Chir Ambu plastique", 148),
    UnitRef("MERE", "7970", "Chirurgie Ambu Vasculaire", 47),
    UnitRef("MERE", "7975", "Chir Ambu esthétique", 4),
    UnitRef("MERE", "7980", "Chirurgie Ambu ORL", 51),
    UnitRef("MERE", "7985", "Chirurgie Ambu pneumo", 1),
    UnitRef("MERE", "7990", "Chirurgie Ambu Gastro", 41),
    UnitRef("SMR", "7110", "MCO Diabéto pav 3", 0),
    UnitRef("SMR", "7120", "MCO Diabéto pav 4", 439),
    UnitRef("URG", "5520", "Unité surv. Courte durée (urg)", 5256),
)

# RSS-séances by unit; every séance RSS is mono-RUM with nombre de séances = 1, so these are also
# séance RUMs and the sum of `nombre de séances`.
SEANCES_BY_UNIT: Final[dict[str, int]] = {
    "7500": 14,
    "7702": 3347,
    "7703": 7,
    "7705": 8,
    "7724": 154,
    "7727": 1,
    "7080": 1,
    "7600": 17,
    "7630": 63,
    "5520": 5,
}

SEANCE_GHM_LABELS: Final[dict[str, str]] = {
    "28Z07Z": "Chimiothérapie pour tumeur, en séances",
    "28Z14Z": "Transfusions, en séances",
    "28Z17Z": "Chimiothérapie pour affection non tumorale, en séances",
}
SEANCES_BY_GHM: Final[dict[str, int]] = {"28Z07Z": 2436, "28Z14Z": 498, "28Z17Z": 683}

# Keys are `Rss.care_type` values.
RUM_BY_CARE_TYPE: Final[dict[str, int]] = {"complete": 12148, "zero_day": 4213, "seance": 3617}
RSS_BY_CARE_TYPE: Final[dict[str, int]] = {"complete": 10375, "zero_day": 4201, "seance": 3617}
RUM_TOTAL: Final = 19978
RSS_TOTAL: Final = 18193
SEANCES_TOTAL: Final = 3617  # sum of `nombre de séances`

RUM_BY_POLE: Final[dict[str, int]] = {"MED": 6919, "MERE": 7364, "SMR": 439, "URG": 5256}

SSR_BY_CM: Final[dict[str, SsrCmRef]] = {
    "08": SsrCmRef(2586, 12200, 473),
    "10": SsrCmRef(1941, 9620, 590),
    "01": SsrCmRef(1735, 9012, 281),
    "05": SsrCmRef(191, 778, 43),
    "09": SsrCmRef(106, 574, 21),
    "04": SsrCmRef(102, 533, 29),
    "23": SsrCmRef(75, 429, 16),
    "06": SsrCmRef(69, 390, 15),
    "16": SsrCmRef(54, 315, 11),
    "11": SsrCmRef(44, 254, 8),
    "19": SsrCmRef(52, 234, 12),
    "03": SsrCmRef(24, 135, 6),
    "18": SsrCmRef(7, 34, 2),
}
SSR_TOTAL: Final = SsrCmRef(6986, 34508, 1507)


def units_by_code() -> dict[str, UnitRef]:
    return {unit.code: unit for unit in UNITS}
