"""The counting plan of the demo year: the shape constants and every stay as the counting rules see it.

The *counts* never depend on the seed: `plan_stays` lays out every stay as (care type, units, séance
GHM) from `reference_2022` and the constants below, and checks the totals it must reproduce (see
app/demo/generator.py for how each reference figure is guaranteed). Also the list of the coding
errors the demo plants on purpose (`PLANTED_ERRORS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from app.demo import reference_2022 as ref

DEFAULT_SEED: Final = 42
SUPPORTED_YEARS: Final = range(2020, 2026)

# --- Shape of the year (design choices; the reference only fixes the totals) ---------------------

# 0-day RUMs per unit; ambulatory units (79xx) are entirely 0-day, BALANCE_UNIT takes the rest.
BALANCE_UNIT: Final = "5520"
ZERO_DAY_RUMS: Final[dict[str, int]] = {
    "7500": 40,
    "7510": 60,
    "7525": 12,
    "7529": 10,
    "7702": 107,
    "7703": 53,
    "7705": 31,
    "7724": 15,
    "7020": 40,
    "7030": 3,
    "7040": 10,
    "7050": 40,
    "7065": 10,
    "7080": 4,
    "7600": 150,
    "7620": 240,
    "7630": 120,
    "7635": 6,
    "7636": 30,
    "7637": 10,
    "7638": 12,
    "7720": 20,
    "7721": 20,
    "7730": 6,
    "7120": 30,
}
AMBULATORY_PREFIX: Final = "79"

# Same-day stays through two units: the emergency short-stay unit then medicine.
ZERO_DAY_PATHS: Final[tuple[tuple[tuple[str, ...], int], ...]] = ((("5520", "7525"), 12),)
# Multi-unit complete stays (mutations 6/1 with equal dates); FILLER_PATH's count is computed.
FILLER_PATH: Final = ("5520", "7525")
COMPLETE_PATHS: Final[tuple[tuple[tuple[str, ...], int], ...]] = (
    (("5520", "7515"), 150),
    (("5520", "7526"), 250),
    (("5520", "7529"), 200),
    (("5520", "7510"), 180),
    (("5520", "7500"), 50),
    (("5520", "5540"), 1),
    (("5520", "7521"), 4),
    (("5520", "7020"), 160),
    (("5520", "7050"), 110),
    (("5520", "7630"), 90),
    (("5520", "7120"), 40),
    (("5520", "7600"), 20),
    (("5520", "7400"), 30),
    (("7400", "7525"), 15),
    (("7699", "7640"), 50),
    (("7020", "7526"), 30),
    (("5520", "7410", "7525"), 20),
    (("5520", "7400", "7525"), 25),
    (("5520", "7400", "7510"), 10),
    (("5520", "7410", "7526"), 15),
    (("7050", "7410", "7050"), 40),
    (("7020", "7410", "7020"), 15),
    (("7600", "7410", "7600"), 5),
    (("7510", "7410", "7510"), 10),
    (("5520", "7400", "7410", "7525"), 8),
    (("5520", "7050", "7410", "7050"), 10),
)
DELIVERIES: Final = 700  # the newborns of 7699 beyond this are twins
CAESAREAN_RATE: Final = 0.2
NEWBORN_TRANSFERS_IN: Final = 22  # of the single 7640 stays; the others are readmissions for jaundice

# Séances by unit and GHM; HDJ Oncologie (SEANCE_BALANCE_UNIT) takes what the GHM totals leave.
SEANCE_BALANCE_UNIT: Final = "7702"
SEANCE_SPLIT: Final[dict[str, dict[str, int]]] = {
    "7500": {"28Z07Z": 14},
    "7703": {"28Z17Z": 7},
    "7705": {"28Z14Z": 8},
    "7724": {"28Z17Z": 154},
    "7727": {"28Z17Z": 1},
    "7080": {"28Z14Z": 1},
    "7600": {"28Z14Z": 17},
    "7630": {"28Z14Z": 63},
    "5520": {"28Z14Z": 5},
}
SEANCE_DP: Final = {"28Z07Z": "Z511", "28Z14Z": "Z5130", "28Z17Z": "Z512"}


@dataclass(frozen=True, slots=True)
class StayPlan:
    """One stay as the counting rules see it: its type of care and its units, in order."""

    care: str  # "seance" | "zero_day" | "complete" (`Rss.care_type` values)
    units: tuple[str, ...]
    role: str = ""  # "seance", "delivery", "newborn", "newborn_in", "newborn_readmission" or ""
    ghm: str = ""  # séances: their GHM


@dataclass(frozen=True, slots=True)
class PlantedError:
    """A kind of realistic coding error the demo plants on purpose, and the rule that finds it."""

    rule_code: str  # the finding each planted stay must produce, exactly once
    count: int  # stays planted with it, whatever the year and seed
    description: str  # French, for the DIM (README table, `dimqa demo`)


PLANTED_ERRORS: Final[tuple[PlantedError, ...]] = (
    PlantedError("C187", 2, "séance de chimiothérapie pour tumeur (Z51.1) sans DR : la tumeur manque"),
    PlantedError(
        "Q014", 2, "séance de chimiothérapie avec l'antécédent Z85.3 en DR au lieu de la tumeur traitée"
    ),
    PlantedError("C170", 2, "acte d'anesthésie (activité 4) sans extension documentaire (type d'anesthésie)"),
    PlantedError("C188", 2, "indicateur RAAC exporté « O » au lieu de 1 sur un séjour chirurgical"),
    PlantedError(
        "C198",
        3,
        "HDJ de médecine : catégorie du nombre d'interventions « 3 » (le nombre) au lieu de A, B ou C",
    ),
    PlantedError("C023", 2, "mutation : date d'entrée du 2e RUM différente de la date de sortie du 1er"),
    PlantedError("Q013", 3, "le DP recodé en diagnostic associé sur le même RUM"),
    PlantedError("C102", 2, "acte daté du lendemain de la sortie du RUM"),
)


def planted_errors(year: int) -> tuple[PlantedError, ...]:
    """The errors `generate(year=year)` plants, whatever the seed (every format of the supported
    years carries the fields they need, so the list is the same each year)."""
    if year not in SUPPORTED_YEARS:
        raise ValueError(f"year {year} not supported ({SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1})")
    return PLANTED_ERRORS


@dataclass(frozen=True, slots=True)
class DeliberateError:
    """One planted coding error: the stay, the rule code it must produce, what was done."""

    rss_number: str
    code: str  # the rule code of the finding it produces (`PLANTED_ERRORS`)
    description: str


# --- Counting plan ---------------------------------------------------------------------------------


def seance_split() -> dict[tuple[str, str], int]:
    """(unit, GHM) -> number of séance RSS; the balance unit takes what each GHM total leaves."""
    split: dict[tuple[str, str], int] = {}
    for unit, by_ghm in SEANCE_SPLIT.items():
        for ghm, count in by_ghm.items():
            split[(unit, ghm)] = count
    for ghm, total in ref.SEANCES_BY_GHM.items():
        rest = total - sum(n for (_, g), n in split.items() if g == ghm)
        if rest < 0:
            raise ValueError(f"SEANCE_SPLIT exceeds the {ghm} total")
        split[(SEANCE_BALANCE_UNIT, ghm)] = rest
    by_unit = Counter[str]()
    for (unit, _), count in split.items():
        by_unit[unit] += count
    if dict(by_unit) != {u: n for u, n in ref.SEANCES_BY_UNIT.items() if n}:
        raise ValueError("SEANCE_SPLIT does not reproduce the séances by unit")
    return split


def _path_usage(paths: Iterable[tuple[tuple[str, ...], int]]) -> Counter[str]:
    usage = Counter[str]()
    for units, count in paths:
        for unit in units:
            usage[unit] += count
    return usage


def complete_paths() -> tuple[tuple[tuple[str, ...], int], ...]:
    """COMPLETE_PATHS plus the filler path sized to make the reference number of complete RSS."""
    extra = ref.RUM_BY_CARE_TYPE["complete"] - ref.RSS_BY_CARE_TYPE["complete"]
    used = sum(count * (len(units) - 1) for units, count in COMPLETE_PATHS)
    filler = (extra - used) // (len(FILLER_PATH) - 1)
    if filler < 0 or used + filler * (len(FILLER_PATH) - 1) != extra:
        raise ValueError("COMPLETE_PATHS do not fit the reference extra RUMs")
    return (*COMPLETE_PATHS, (FILLER_PATH, filler))


def plan_stays() -> list[StayPlan]:
    """Every stay of the year, in a fixed order; the counts reproduce the reference figures."""
    units = ref.units_by_code()
    seances = seance_split()
    non_seance = {code: u.rums - ref.SEANCES_BY_UNIT.get(code, 0) for code, u in units.items()}
    zero = {
        code: n if code.startswith(AMBULATORY_PREFIX) else ZERO_DAY_RUMS.get(code, 0)
        for code, n in non_seance.items()
    }
    zero[BALANCE_UNIT] = ref.RUM_BY_CARE_TYPE["zero_day"] - sum(
        n for code, n in zero.items() if code != BALANCE_UNIT
    )
    complete = {code: non_seance[code] - zero[code] for code in units}
    paths = complete_paths()
    zero_single = Counter(zero)
    zero_single.subtract(_path_usage(ZERO_DAY_PATHS))
    complete_single = Counter(complete)
    complete_single.subtract(_path_usage(paths))
    negative = [c for c in units if zero_single[c] < 0 or complete_single[c] < 0 or complete[c] < 0]
    if negative:
        raise ValueError(f"unit budgets exceeded: {', '.join(sorted(negative))}")

    plans: list[StayPlan] = []
    for (unit, ghm), count in seances.items():
        plans += [StayPlan("seance", (unit,), "seance", ghm)] * count
    for code in units:
        plans += [StayPlan("zero_day", (code,))] * zero_single[code]
    for path, count in ZERO_DAY_PATHS:
        plans += [StayPlan("zero_day", path)] * count
    deliveries_in_paths = sum(n for path, n in paths if path[0] == "7600")
    newborn_readmissions = complete_single["7640"] - NEWBORN_TRANSFERS_IN
    for code in units:
        single = complete_single[code]
        if code == "7600":
            deliveries = DELIVERIES - deliveries_in_paths
            plans += [StayPlan("complete", (code,), "delivery")] * deliveries
            plans += [StayPlan("complete", (code,))] * (single - deliveries)
        elif code == "7699":
            plans += [StayPlan("complete", (code,), "newborn")] * single
        elif code == "7640":
            plans += [StayPlan("complete", (code,), "newborn_in")] * NEWBORN_TRANSFERS_IN
            plans += [StayPlan("complete", (code,), "newborn_readmission")] * newborn_readmissions
        else:
            plans += [StayPlan("complete", (code,))] * single
    for path, count in paths:
        role = "delivery" if path[0] == "7600" else "newborn" if path[0] == "7699" else ""
        plans += [StayPlan("complete", path, role)] * count
    _check_plan(plans)
    return plans


def _check_plan(plans: Sequence[StayPlan]) -> None:
    rum_by_care = Counter[str]()
    rss_by_care = Counter[str]()
    rum_by_unit = Counter[str]()
    for plan in plans:
        rss_by_care[plan.care] += 1
        rum_by_care[plan.care] += len(plan.units)
        rum_by_unit.update(plan.units)
    expected_units = {u.code: u.rums for u in ref.UNITS if u.rums}
    if (
        dict(rum_by_care) != ref.RUM_BY_CARE_TYPE
        or dict(rss_by_care) != ref.RSS_BY_CARE_TYPE
        or dict(rum_by_unit) != expected_units
    ):
        raise ValueError("the stay plan does not reproduce the reference figures")
