"""A synthetic hospital year shaped like the reference hospital's 2022 activity. Pure and seeded.

`generate(year=2022, seed=42)` returns everything the demo loads through the real services: the
structure (pôles, services, units), the fichier d'UM, the RSS (as `Rss` records and as monthly
RSS groupé files, format 120 before 1 March 2022 and 121 from then on, per the RSS exit date),
the SMR RHS (groupé, with their CM), the stay movements and the discharge-report events.

How the reference figures are guaranteed. The *counts* never depend on the seed: `plan_stays` lays
out every stay as (care type, units, séance GHM) from `reference_2022` and the shape constants
below, and checks the totals it must reproduce; the seed only draws dates, patients and codes.
* RUM per unit / pôle: each unit's RUM budget = séance RUMs + 0-day RUMs (`ZERO_DAY_RUMS`, the
  emergency unit taking the balance) + complete RUMs; multi-unit stays (`COMPLETE_PATHS`,
  `ZERO_DAY_PATHS`) draw on those budgets, single-unit stays take the rest.
* RSS by type: complete RSS = complete RUMs - extra RUMs of multi-unit stays; the path
  ("5520", "7525") absorbs whatever the other paths leave of the 1,773 extra RUMs.
* Care type follows `Rss.care_type`: séances carry a CMD 28 GHM, every other RSS a non-28 GHM;
  0-day stays have entry = exit date, complete stays exit later than they enter.
* Séances by GHM: `SEANCE_SPLIT` by unit, HDJ Oncologie taking the balance of each GHM; every
  séance is a mono-RUM RSS with nombre de séances = 1.
* SMR by CM: per CM, the weeks are split over the stays (>= 1 each) and the days over the weeks
  (1-7 each) to the exact totals, every week inside the year (ISO weeks 2-51).

Deliberate coding errors (`PLANTED_ERRORS`, drawn among eligible stays into
`DemoData.deliberate_errors`): 18 realistic errors, each on its own stay and each naming the rule
that must report it, once: 2 chemotherapy séances without DR (C187), 2 with the history code Z85.3
as DR instead of the tumour (Q014), 2 anaesthesia acts without documentary extension (C170), 2
RAAC flags exported as "O" (C188), 3 medical day-hospital stays whose intervention category holds
the number of interventions (C198), 2 mutations whose second RUM starts the day after the first
ends (C023), 3 DPs repeated as DA (Q013), 2 acts dated the day after their RUM (C102). Only errors
that dimqa's own rules find are planted (not, e.g., the grouper controls that need the ATIH
grouping tables). Everything else is coded to pass every rule of the catalogue with the public
nomenclatures loaded; none of the errors changes a counted figure.

Movements and RSS agree: a stay's admission, transfers and discharge happen on the RUM entry,
mutation and exit dates, in Europe/Paris time, also on the 23- and 25-hour days of the clock
changes (a same-day stay is never discharged after midnight).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Final

from app.demo import catalogue as cat
from app.demo import reference_2022 as ref
from app.demo import uncoded
from app.demo.catalogue import Profile
from app.ingestion.layouts import layout
from app.ingestion.records import Act, Rss, Rum
from app.ingestion.rhs.parser import CsarrAct, Rhs
from app.ingestion.rhs.writer import write_rhs
from app.ingestion.writer import write_rss
from app.reference.ium import IumLine, write_ium
from app.structure.schemas import PoleIn, ServiceIn, StructureIn, UnitIn
from app.turnaround.events import HOSPITAL_TZ, DocumentEvent, StayEvent, StayEventType

DEFAULT_SEED: Final = 42
SUPPORTED_YEARS: Final = range(2020, 2026)
FINESS: Final = "070000017"  # fictitious e-PMSI FINESS of the demo hospital
FINESS_GEO: Final = "070000025"
EVENT_SOURCE: Final = "json"

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

# Services: one per specialty, inside the pôle of its units (the turnaround report is per service).
SERVICES: Final[tuple[tuple[str, str, str], ...]] = (
    ("ONCO", "Oncologie", "MED"),
    ("CARDIO", "Cardiologie", "MED"),
    ("MPU", "Médecine polyvalente post-urgences", "MED"),
    ("GASTRO", "Gastro-entérologie", "MED"),
    ("MEDPOLY", "Médecine polyvalente", "MED"),
    ("GERIA", "Gériatrie", "MED"),
    ("PNEUMO", "Médecine générale et pneumologie", "MED"),
    ("RHUMATO", "Rhumatologie", "MED"),
    ("DOULEUR", "Douleur chronique", "MED"),
    ("ORTHO", "Chirurgie orthopédique et traumatologique", "MERE"),
    ("DENTAIRE", "Chirurgie dentaire", "MERE"),
    ("GYNOBS", "Gynécologie-obstétrique", "MERE"),
    ("VISC", "Chirurgie viscérale", "MERE"),
    ("PLASTIQUE", "Chirurgie plastique et esthétique", "MERE"),
    ("VASC", "Chirurgie vasculaire", "MERE"),
    ("ORL", "ORL", "MERE"),
    ("REA", "Réanimation - soins continus", "MERE"),
    ("PEDIA", "Pédiatrie - néonatalogie", "MERE"),
    ("CHIRPED", "Chirurgie pédiatrique", "MERE"),
    ("OPHTALMO", "Ophtalmologie", "MERE"),
    ("URO", "Urologie", "MERE"),
    ("REEDUC", "Rééducation Vals", "MERE"),
    ("CHIRAMBU", "Chirurgie ambulatoire", "MERE"),
    ("DIABETO", "Diabétologie - endocrinologie", "SMR"),
    ("SMR", "Soins médicaux et de réadaptation", "SMR"),
    ("URG", "Urgences - UHCD", "URG"),
)
UNIT_SERVICE: Final[dict[str, str]] = {
    "5540": "MEDPOLY", "7500": "ONCO", "7510": "CARDIO", "7515": "MPU", "7521": "GASTRO",
    "7525": "MEDPOLY", "7526": "GERIA", "7529": "PNEUMO", "7702": "ONCO", "7703": "PNEUMO",
    "7704": "GASTRO", "7705": "CARDIO", "7724": "RHUMATO", "7727": "DOULEUR",
    "7020": "ORTHO", "7030": "DENTAIRE", "7040": "GYNOBS", "7050": "VISC", "7065": "PLASTIQUE",
    "7070": "VASC", "7075": "PLASTIQUE", "7080": "ORL", "7400": "REA", "7410": "REA",
    "7600": "GYNOBS", "7620": "GYNOBS", "7630": "PEDIA", "7635": "CHIRPED", "7636": "CHIRPED",
    "7637": "CHIRPED", "7638": "CHIRPED", "7640": "PEDIA", "7699": "PEDIA", "7720": "OPHTALMO",
    "7721": "URO", "7730": "REEDUC",
    "7110": "DIABETO", "7120": "DIABETO", "5520": "URG",
    **{u.code: "CHIRAMBU" for u in ref.UNITS if u.code.startswith("79")},
}  # fmt: skip
# SMR units (RHS only, no RUM): code, label, authorisation type.
SSR_UNITS: Final[tuple[tuple[str, str, str], ...]] = (
    ("7130", "SMR polyvalent", "50A"),
    ("7140", "SMR locomoteur et neurologique", "51A"),
    ("7150", "HDJ SMR", "50A"),
)
# Fichier d'UM: unit -> (authorisation type, beds, hospitalisation mode).
AUTHORISATIONS: Final[dict[str, tuple[str, int, str]]] = {
    "5520": ("07A", 8, "C"), "5540": ("29", 10, "C"), "7400": ("01A", 8, "C"), "7410": ("03A", 8, "C"),
    "7500": ("40", 20, "M"), "7702": ("43", 18, "P"), "7510": ("29", 24, "C"), "7515": ("29", 10, "C"),
    "7521": ("29", 4, "C"), "7525": ("29", 26, "C"), "7526": ("27", 24, "C"), "7529": ("29", 22, "C"),
    "7703": ("29", 2, "P"), "7704": ("29", 2, "P"), "7705": ("29", 2, "P"), "7724": ("29", 3, "P"),
    "7727": ("61", 1, "P"), "7630": ("28", 18, "M"), "7640": ("04", 6, "C"), "7699": ("71", 0, "C"),
    "7600": ("73", 26, "M"), "7620": ("73", 4, "M"), "7110": ("29", 12, "C"), "7120": ("29", 14, "C"),
    "7635": ("52", 2, "M"), "7636": ("52", 3, "M"), "7637": ("52", 2, "M"), "7638": ("52", 1, "P"),
}  # fmt: skip
AUTHORISATION_EFFECT: Final = date(2015, 1, 1)

# Discharge-report behaviour per service: (probability received the day of discharge, probability
# late, probability never received). The rest arrives within 1-8 days.
REPORT_BEHAVIOUR: Final[dict[str, tuple[float, float, float]]] = {
    "CHIRAMBU": (0.75, 0.03, 0.02),
    "OPHTALMO": (0.7, 0.04, 0.03),
    "URG": (0.45, 0.08, 0.05),
    "GERIA": (0.12, 0.22, 0.08),
    "MPU": (0.15, 0.18, 0.07),
    "ORTHO": (0.35, 0.1, 0.04),
}
DEFAULT_REPORT_BEHAVIOUR: Final = (0.25, 0.11, 0.05)
REPORT_TYPES: Final = (("CRH", 7), ("11490-0", 2), ("34133-9", 1))
IMAGING_REPORT: Final = "18748-4"  # does not count as a discharge report

URGENT_UNITS: Final = frozenset({"5520", "7400"})
CRITICAL_UNITS: Final = frozenset({"5520", "7400", "7410"})
SURGICAL_UNITS: Final = frozenset({"7020", "7050", "7600"})
GERIATRIC_UNITS: Final = frozenset({"7526", "7020", "7515"})
# Stays grouped in CMD 14 record the DDR (FG C162), but for the post-partum roots that need none.
NO_LMP_ROOTS: Final = frozenset({"14C04", "14M02"})
# Pregnancies ending in the first trimester (ectopic, molar, miscarriage, abortion): O00-O08.
EARLY_PREGNANCY_DPS: Final = frozenset(f"O0{n}" for n in range(9))


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


@dataclass(slots=True)
class DemoData:
    year: int
    seed: int
    structure: StructureIn
    ium_lines: list[str]
    rss: list[Rss]
    rhs: list[Rhs]
    stay_events: list[StayEvent]
    document_events: list[DocumentEvent]
    deliberate_errors: list[DeliberateError]
    uncoded_stays: list[str] = field(default_factory=list)  # NDAs planted without RSS (app/demo/uncoded.py)

    def rss_files(self) -> list[tuple[str, bytes]]:
        """One RSS groupé file per exit month, as the HIS sends them: (label "2022-01", content)."""
        by_month: dict[str, list[str]] = {}
        for rss in self.rss:
            exit_date = rss.exit_date
            label = f"{exit_date:%Y-%m}" if exit_date else "undated"
            by_month.setdefault(label, []).extend(write_rss(rss))
        return [
            (label, ("\n".join(lines) + "\n").encode("utf-8")) for label, lines in sorted(by_month.items())
        ]

    def rhs_file(self) -> bytes:
        return ("\n".join(write_rhs(rhs) for rhs in self.rhs) + "\n").encode("utf-8")

    def ium_file(self) -> bytes:
        return ("\n".join(self.ium_lines) + "\n").encode("utf-8")


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


# --- Calendar ----------------------------------------------------------------------------------------

# Medical activity peaks in winter; planned surgery dips in August and at Christmas.
_MEDICAL_MONTH: Final = (1.25, 1.2, 1.05, 1.0, 0.95, 0.9, 0.9, 0.85, 0.95, 1.0, 1.05, 1.2)
_PLANNED_MONTH: Final = (1.0, 1.05, 1.1, 1.05, 0.95, 1.05, 0.9, 0.45, 1.05, 1.1, 1.1, 0.8)


class _Calendar:
    def __init__(self, year: int) -> None:
        self.year = year
        self.first = date(year, 1, 1)
        self.last = date(year, 12, 31)
        days = [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]
        self.days = days
        self.weekdays = [d for d in days if d.weekday() < 5]
        self._medical = list(accumulate(_MEDICAL_MONTH[d.month - 1] for d in days))
        self._planned = list(accumulate(_PLANNED_MONTH[d.month - 1] for d in self.weekdays))

    def medical(self, rng: random.Random) -> date:
        return rng.choices(self.days, cum_weights=self._medical)[0]

    def planned(self, rng: random.Random) -> date:
        return rng.choices(self.weekdays, cum_weights=self._planned)[0]

    def weekday_on_or_after(self, day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if day > self.last:
            day = self.last
            while day.weekday() >= 5:
                day -= timedelta(days=1)
        return day


def ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def rum_version(exit_date: date) -> str:
    """The RUM format for an RSS exit date (pmsi-formats.md §1; 022 from March 2023 is inferred)."""
    if exit_date < date(2020, 3, 1):
        return "019"
    if exit_date < date(2022, 3, 1):
        return "020"
    if exit_date < date(2023, 3, 1):
        return "021"
    return "022"


def rhs_version(year: int) -> str:
    """Grouped RHS layout for the year: M1C up to 2022, M1D after (inferred: app.ingestion.rhs.layouts)."""
    return "M1C" if year <= 2022 else "M1D"


# --- Stay drafts -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Patient:
    birth: date
    sex: str
    postcode: str


@dataclass(slots=True)
class _Segment:
    """One RUM before numbering."""

    unit: str
    entry: date
    exit: date
    entry_mode: str = "8"
    provenance: str = ""
    exit_mode: str = "8"
    destination: str = ""
    dp: str = ""
    dr: str = ""
    das: list[str] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    igs2: str = ""
    weight: str = ""
    gestational_age: str = ""
    last_menstrual: str = ""
    seances: str = "00"
    dedicated_bed: str = ""


@dataclass(slots=True)
class _Draft:
    plan: StayPlan
    patient: _Patient
    segments: list[_Segment]
    ghm: str
    non_programmed: str = ""  # "1" / "2"
    category: str = ""  # intervention category of 0-day medical stays
    raac: str = ""  # enhanced recovery flag: blank but for a planted error
    rss_number: str = ""
    admin_number: str = ""

    @property
    def entry(self) -> date:
        return self.segments[0].entry

    @property
    def exit(self) -> date:
        return self.segments[-1].exit


def _weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


class _Builder:
    """Turns the stay plan into coded stays, drawing everything from one seeded generator."""

    def __init__(self, year: int, rng: random.Random) -> None:
        self.year = year
        self.rng = rng
        self.cal = _Calendar(year)

    # Patients ---------------------------------------------------------------------------------------

    def patient(self, on: date, age: tuple[int, int, int], sex: str = "") -> _Patient:
        rng = self.rng
        low, mode, high = age
        years = int(rng.triangular(low, high + 0.999, mode)) if high > low else low
        # Infants of the paediatric units are past the neonatal period (newborns are built apart).
        days = int(years * 365.25) + rng.randrange(365) if years else rng.randint(30, 364)
        birth = on - timedelta(days=days)
        if not sex:
            # Women outnumber men among the very old.
            sex = "2" if rng.random() < (0.62 if years >= 80 else 0.5) else "1"
        return _Patient(birth, sex, _weighted(rng, cat.POSTCODES))

    @staticmethod
    def age(patient: _Patient, on: date) -> int:
        b = patient.birth
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    # Coding helpers ---------------------------------------------------------------------------------

    def acts(self, spec: str, on: date, anaesthesia: bool) -> list[Act]:
        acts: list[Act] = []
        for part in spec.split("+"):
            code, _, extensions = part.partition(":")
            extension = self.rng.choice(extensions.split(",")) if extensions else ""
            acts.append(
                Act(date=ddmmyyyy(on), code=code, extension=extension, phase="0", activity="1", count="01")
            )
        if anaesthesia and acts:
            main = acts[0]
            acts.append(
                Act(
                    date=main.date,
                    code=main.code,
                    extension=main.extension,
                    phase="0",
                    activity="4",
                    doc_extension="1",
                    count="01",
                )
            )
        return acts

    def exam(self, code: str, on: date) -> Act:
        return Act(date=ddmmyyyy(on), code=code, phase="0", activity="1", count="01")

    def level(self, profile: Profile, los: int) -> str:
        levels = profile.levels
        if len(levels) == 1:
            return levels
        if levels[0] == "A":
            return self.rng.choices(levels, weights=(80, 15, 4, 1)[: len(levels)])[0]
        top = 1 if los < 3 else 2 if los == 3 else 3 if los == 4 else 4
        level = self.rng.choices((1, 2, 3, 4), weights=(58, 26, 12, 4))[0]
        return str(min(level, top))

    def ghm(self, profile: Profile, los: int) -> tuple[str, int]:
        """(GHM, severity rank 0-3 used to size the associated diagnoses)."""
        if los == 0:
            zero = profile.zero
            return (zero if len(zero) == 6 else profile.root + zero), 0
        suffix = self.level(profile, los)
        rank = int(suffix) - 1 if suffix.isdigit() else "ABCD".find(suffix) if suffix in "ABCD" else 0
        return profile.root + suffix, max(rank, 0)

    def diagnoses(self, profile: Profile, rank: int, age: int, dp: str) -> list[str]:
        rng = self.rng
        das: list[str] = []
        pool = [c for c in profile.das if c != dp]
        for _ in range(min(len(pool), rank + (1 if rng.random() < 0.4 else 0))):
            das.append(pool.pop(rng.randrange(len(pool))))
        if age >= 45:
            for code in rng.sample(cat.COMORBIDITIES, k=rng.choice((0, 1, 1, 2, 2, 3))):
                if code not in das and code != dp:
                    das.append(code)
        return das

    def profile_for(self, unit: str, zero_day: bool, *, from_emergency: bool = False) -> Profile:
        choices = [(p, w) for p, w in cat.UNIT_PROFILES[unit] if (p.zero if zero_day else p.levels)]
        if from_emergency:
            # Coming through the emergency department: no scheduled procedure.
            urgent = [(p, w) for p, w in choices if p.emergency or not (p.acts or p.planned)]
            choices = urgent or choices
        if not choices:
            raise ValueError(f"unit {unit} has no {'0-day' if zero_day else 'complete'} profile")
        return self.rng.choices([p for p, _ in choices], weights=[w for _, w in choices])[0]

    def los(self, bounds: tuple[int, int]) -> int:
        low, high = bounds
        # Lengths of stay are right-skewed: the mode sits in the lower third.
        return max(low, min(high, int(self.rng.triangular(low, high + 0.999, low + (high - low) / 3))))

    @staticmethod
    def is_planned(unit: str, profile: Profile) -> bool:
        if unit in URGENT_UNITS or profile.emergency:
            return False
        return unit.startswith(("77", AMBULATORY_PREFIX)) or profile.planned or bool(profile.acts)

    # Stays ------------------------------------------------------------------------------------------

    def single(self, plan: StayPlan) -> _Draft:
        unit = plan.units[0]
        zero_day = plan.care == "zero_day"
        profile = self.profile_for(unit, zero_day)
        planned = self.is_planned(unit, profile)
        exit_date = self.cal.planned(self.rng) if planned else self.cal.medical(self.rng)
        los = 0 if zero_day else max(1, self.los(profile.los))
        entry = exit_date - timedelta(days=los)
        patient = self.patient(entry, profile.age, profile.sex)
        seg = _Segment(unit, entry, exit_date)
        # Unscheduled admissions mostly come through the emergency department.
        via_emergency = not planned and (unit in URGENT_UNITS or profile.emergency or self.rng.random() < 0.6)
        return self.code_stay(plan, patient, [seg], profile, 0, planned=planned, via_emergency=via_emergency)

    def multi(self, plan: StayPlan) -> _Draft:
        units = plan.units
        zero_day = plan.care == "zero_day"
        primary = self.primary_index(units)
        from_emergency = units[0] in URGENT_UNITS
        profile = self.profile_for(units[primary], zero_day, from_emergency=from_emergency)
        lengths: list[int] = []
        for i, unit in enumerate(units):
            if zero_day:
                lengths.append(0)
            elif unit == "5520":
                lengths.append(self.rng.choice((0, 0, 0, 1, 1)))
            elif unit == "7400":
                lengths.append(self.rng.randint(2, 9))
            elif unit == "7410":
                lengths.append(self.rng.randint(1, 4))
            elif i == primary:
                lengths.append(self.los(profile.los) if units.count(unit) == 1 else self.rng.randint(0, 2))
            else:
                lengths.append(self.rng.randint(2, 10))
        if not zero_day and sum(lengths) == 0:
            lengths[-1] = 1
        exit_date = self.cal.medical(self.rng)
        start = exit_date - timedelta(days=sum(lengths))
        segments: list[_Segment] = []
        day = start
        for unit, length in zip(units, lengths, strict=True):
            segments.append(_Segment(unit, day, day + timedelta(days=length)))
            day += timedelta(days=length)
        patient = self.patient(start, profile.age, profile.sex)
        planned = not from_emergency and self.is_planned(units[0], profile)
        return self.code_stay(
            plan, patient, segments, profile, primary, planned=planned, via_emergency=units[0] == "5520"
        )

    @staticmethod
    def primary_index(units: tuple[str, ...]) -> int:
        """The RUM whose coding drives the GHM: surgery, then intensive care, then the first ward."""
        for i, unit in enumerate(units):
            if unit in SURGICAL_UNITS:
                return i
        for unit in ("7400", "7640"):
            if unit in units:
                return units.index(unit)
        for i, unit in enumerate(units):
            if unit not in CRITICAL_UNITS:
                return i
        return 0

    def code_stay(
        self,
        plan: StayPlan,
        patient: _Patient,
        segments: list[_Segment],
        profile: Profile,
        primary: int,
        *,
        planned: bool,
        via_emergency: bool,
    ) -> _Draft:
        rng = self.rng
        entry, exit_date = segments[0].entry, segments[-1].exit
        los = (exit_date - entry).days
        age = self.age(patient, entry)
        ghm, rank = self.ghm(profile, los)
        dp = rng.choice(profile.dps)
        dr = rng.choice(profile.drs) if profile.drs else ""
        main = segments[primary]
        main.dp, main.dr = dp, dr
        main.das = self.diagnoses(profile, rank, age, dp)
        if profile.acts:
            # Surgery the day of entry into the unit, or the next day for a planned complete stay.
            same_day = main.entry == main.exit or not planned or rng.random() < 0.6
            day = main.entry if same_day else main.entry + timedelta(days=1)
            main.acts = self.acts(rng.choice(profile.acts), day, profile.anaesthesia)
        for code in profile.exams:
            if rng.random() < 0.5:
                main.acts.append(self.exam(code, main.entry))
        if profile is cat.PALLIATIVE:
            main.dedicated_bed = "08"
        for i, seg in enumerate(segments):
            if i == primary:
                continue
            seg.dp, seg.dr = dp, dr
            seg.das = [c for c in main.das if c in cat.COMORBIDITIES][:2]
            if seg.unit == "7400":
                spec = rng.choice(("GLLD004+EBLA003", "GLLD015+EBLA003", "GLLD012"))
                seg.acts = self.acts(spec, seg.entry, anaesthesia=False)
            elif seg.unit == "5520":
                seg.acts = [self.exam(rng.choice(("ZBQK002", "DEQP003", "ACQK001")), seg.entry)]
        for seg in segments:
            if seg.unit == "7400":
                seg.igs2 = f"{rng.randint(25, 75):03d}"
        if via_emergency:
            segments[0].entry_mode, segments[0].provenance = "8", "5"
        elif segments[0].unit == "7400":
            segments[0].entry_mode, segments[0].provenance = "7", "1"  # from another hospital
        self.chain(segments, plan, profile, age, los)
        draft = _Draft(plan, patient, segments, ghm)
        cmd = ghm[:2]
        if cmd == "14" and ghm[:5] not in NO_LMP_ROOTS:
            lmp = self.last_menstrual(entry, dp)
            for seg in segments:
                seg.last_menstrual = lmp
        if cmd not in {"14", "15", "28"}:
            draft.non_programmed = "2" if planned else "1"
        if plan.care == "zero_day" and planned and ghm[2] in {"M", "Z"} and cmd not in {"14", "15"}:
            draft.category = rng.choices(("A", "B", "C"), weights=(2, 3, 5))[0]
        return draft

    def last_menstrual(self, entry: date, dp: str) -> str:
        """A pregnancy's date of last menstrual period (DDR), for its term at admission."""
        if dp[:3] in EARLY_PREGNANCY_DPS:
            weeks = self.rng.randint(6, 12)
        elif dp[:3] == "O47":  # false labour
            weeks = self.rng.randint(34, 40)
        else:
            weeks = self.rng.randint(24, 38)
        return ddmmyyyy(entry - timedelta(days=weeks * 7 + self.rng.randint(0, 6)))

    def chain(self, segments: list[_Segment], plan: StayPlan, profile: Profile, age: int, los: int) -> None:
        """Mutations 6/1 between the RUMs; how the patient left the last one."""
        rng = self.rng
        last = segments[-1]
        for before, after in zip(segments, segments[1:], strict=False):
            before.exit_mode, before.destination = "6", "1"
            after.entry_mode, after.provenance = "6", "1"
        death = 0.0 if los < 2 else profile.death_rate + (0.02 if age >= 85 else 0.0)
        if rng.random() < death:
            last.exit_mode, last.destination = "9", ""
        elif last.unit == "7400" and plan.care == "complete":
            last.exit_mode, last.destination = "7", "1"  # to the university hospital
        elif plan.care == "complete" and (last.unit in GERIATRIC_UNITS or age >= 80):
            draw = rng.random()
            if draw < 0.18:
                last.exit_mode, last.destination = "7", "2"  # SMR
            elif draw < 0.26:
                last.exit_mode, last.destination = "8", "7"  # nursing home (EHPAD)

    # Séances ----------------------------------------------------------------------------------------

    def seances(self, unit: str, ghm: str, count: int) -> list[_Draft]:
        rng = self.rng
        drafts: list[_Draft] = []
        plan = StayPlan("seance", (unit,), "seance", ghm)
        remaining = count
        while remaining:
            if ghm == "28Z07Z":
                n, interval, age = rng.randint(4, 18), rng.choice((7, 14, 21, 21, 28)), (30, 64, 88)
            elif ghm == "28Z14Z":
                n, interval = rng.randint(1, 12), rng.choice((7, 14, 21, 28, 35))
                age = (2, 9, 17) if unit == "7630" else (20, 31, 42) if unit == "7600" else (40, 74, 95)
            else:
                n, interval, age = rng.randint(3, 13), rng.choice((28, 42, 56)), (18, 48, 85)
            n = min(n, remaining, 350 // interval + 1)
            span = (n - 1) * interval
            start = self.cal.first + timedelta(
                days=rng.randint(0, (self.cal.last - self.cal.first).days - span)
            )
            sex = "2" if unit == "7600" else ""
            patient = self.patient(start, age, sex)
            dr, das = self.seance_codes(unit, ghm)
            for i in range(n):
                day = self.cal.weekday_on_or_after(start + timedelta(days=i * interval))
                seg = _Segment(unit, day, day, dp=SEANCE_DP[ghm], dr=dr, das=list(das), seances="01")
                if ghm == "28Z14Z":
                    seg.acts = [Act(date=ddmmyyyy(day), code="FELF011", phase="0", activity="1", count="01")]
                drafts.append(_Draft(plan, patient, [seg], ghm))
            remaining -= n
        return drafts

    def seance_codes(self, unit: str, ghm: str) -> tuple[str, list[str]]:
        rng = self.rng
        if ghm == "28Z07Z":
            tumour = rng.choice(cat.SEANCE_TUMOURS)
            das = [rng.choice(cat.SEANCE_METASTASES)] if rng.random() < 0.35 else []
            return tumour, das
        if ghm == "28Z14Z":
            if unit == "7630":
                return "", [rng.choice(cat.CHILD_TRANSFUSION_DAS)]
            if unit == "7600":
                return "", ["D62"]
            return "", [rng.choice(cat.TRANSFUSION_DAS)]
        if unit == "7724":
            return "", [rng.choice(cat.RHEUMATOLOGY_CHEMO_DAS)]
        if unit == "7703":
            return "", ["J450"]
        if unit == "7727":
            return "", ["M797"]
        return "", [rng.choice(cat.NON_TUMOUR_CHEMO_DAS)]

    # Births -----------------------------------------------------------------------------------------

    def delivery(self, plan: StayPlan, twins: bool) -> _Draft:
        rng = self.rng
        caesarean = rng.random() < CAESAREAN_RATE
        after = rng.randint(4, 6) if caesarean else rng.randint(2, 4)
        before = rng.choice((0, 0, 1))
        if len(plan.units) > 1:
            after = max(after, 4)
        exit_date = self.cal.medical(self.rng)
        birth = exit_date - timedelta(days=after)
        entry = birth - timedelta(days=before)
        patient = self.patient(entry, (16, 30, 45), "2")
        primipara = rng.random() < 0.42
        weeks = rng.choices((35, 36, 37, 38, 39, 40, 41), weights=(2, 3, 8, 18, 30, 28, 11))[0]
        if twins:
            weeks = min(weeks, 37)
        if caesarean:
            dp = rng.choice(("O342", "O321", "O680", "O622"))
            ghm = ("14C07" if twins else "14C08") + rng.choices("AB", weights=(85, 15))[0]
            act = rng.choice(("JQGA002", "JQGA003"))
            ext = ("-2" if twins else "-1") + ("1" if primipara else "2")
            acts = self.acts(f"{act}:{ext}", birth, anaesthesia=True)
        else:
            dp = "O300" if twins else "O800"
            root = ("14Z11" if primipara else "14Z12") if twins else ("14Z13" if primipara else "14Z14")
            ghm = root + rng.choices("AB", weights=(88, 12))[0]
            act = (
                ("JQGD002" if primipara else "JQGD007") if twins else ("JQGD010" if primipara else "JQGD012")
            )
            acts = self.acts(act, birth, anaesthesia=False)
            if rng.random() < 0.8:
                acts.append(
                    Act(
                        date=ddmmyyyy(birth),
                        code="AFLB010",
                        phase="0",
                        activity="4",
                        doc_extension="1",
                        count="01",
                    )
                )
        das = ["Z372" if twins else "Z370"]
        if rng.random() < 0.15:
            das.append("O990")
        last_menstrual = birth - timedelta(days=weeks * 7 + rng.randint(0, 6))
        segments = []
        if len(plan.units) == 1:
            segments = [_Segment("7600", entry, exit_date)]
            main = segments[0]
        else:
            # Post-partum haemorrhage: a night in continuous care, back to the maternity.
            d1 = birth
            d2 = birth + timedelta(days=1)
            segments = [
                _Segment("7600", entry, d1),
                _Segment("7410", d1, d2),
                _Segment("7600", d2, exit_date),
            ]
            das.append("O721")
            main = segments[0]
            for seg in segments[1:]:
                seg.dp = dp
        main.dp, main.das, main.acts = dp, das, acts
        main.gestational_age = f"{weeks:02d}"
        main.last_menstrual = ddmmyyyy(last_menstrual)
        self.chain(segments, plan, cat.POSTPARTUM, 30, (exit_date - entry).days)
        draft = _Draft(plan, patient, segments, ghm)
        return draft

    def newborn(self, plan: StayPlan, mother: _Draft, twin: bool) -> _Draft:
        rng = self.rng
        birth_act = next(a for a in mother.segments[0].acts if a.activity == "1")
        birth = _parse(birth_act.date)
        weeks = int(mother.segments[0].gestational_age)
        to_neonatology = len(plan.units) > 1
        if to_neonatology:
            weeks = min(weeks, rng.randint(33, 36))
        weight = int(rng.gauss(3350 - (40 - weeks) * 230 - (350 if twin else 0), 380))
        weight = max(1500 if to_neonatology else 2100, min(weight, 4700))
        patient = _Patient(birth, rng.choice("12"), mother.patient.postcode)
        if to_neonatology:
            first = rng.randint(0, 2)
            stay = rng.randint(6, 21)
            segments = [
                _Segment("7699", birth, birth + timedelta(days=first)),
                _Segment("7640", birth + timedelta(days=first), birth + timedelta(days=stay)),
            ]
            group = "15M09" if weight < 2000 else "15M07" if weight < 2300 else "15M06"
            ghm = group + rng.choice("BC")
            das = [rng.choice(("P073", "P071", "P220", "P599"))]
        else:
            segments = [_Segment("7699", birth, mother.exit)]
            group = "15M05" if weight >= 3000 and weeks >= 39 else "15M06" if weight >= 2500 else "15M07"
            ghm = group + rng.choices("AB", weights=(90, 10))[0]
            das = ["P599"] if rng.random() < 0.1 else []
        first_seg = segments[0]
        first_seg.entry_mode, first_seg.provenance = "N", ""
        first_seg.weight = str(weight)
        first_seg.gestational_age = f"{weeks:02d}"
        for seg in segments:
            seg.dp = "Z383" if twin else "Z380"
        first_seg.das = das
        if to_neonatology:
            segments[1].das = das
            for before, after in zip(segments, segments[1:], strict=False):
                before.exit_mode, before.destination = "6", "1"
                after.entry_mode, after.provenance = "6", "1"
        return _Draft(plan, patient, segments, ghm)

    def newborn_elsewhere(self, plan: StayPlan) -> _Draft:
        """A newborn admitted to neonatology: transferred in from another maternity, or readmitted."""
        rng = self.rng
        exit_date = self.cal.medical(rng)
        if plan.role == "newborn_in":
            los = rng.randint(5, 20)
            entry = exit_date - timedelta(days=los)
            birth = entry - timedelta(days=rng.randint(0, 1))
            weeks = rng.randint(32, 36)
            weight = max(1400, int(rng.gauss(2250 - (36 - weeks) * 150, 250)))
            seg = _Segment(
                "7640", entry, exit_date, entry_mode="7", provenance="1", dp=rng.choice(("P073", "P071"))
            )
            seg.das = [rng.choice(("P220", "P599", "P704"))]
            ghm = ("15M09" if weight < 2000 else "15M07") + rng.choice("BC")
        else:
            los = rng.randint(2, 5)
            entry = exit_date - timedelta(days=los)
            birth = entry - timedelta(days=rng.randint(2, 10))
            weeks = rng.randint(36, 41)
            weight = int(rng.gauss(3100, 350))
            seg = _Segment("7640", entry, exit_date, dp="P599")
            ghm = "07M16" + self.level(cat.NEWBORN_JAUNDICE, los)
        seg.weight = str(weight)
        seg.gestational_age = f"{weeks:02d}"
        patient = _Patient(birth, rng.choice("12"), _weighted(rng, cat.POSTCODES))
        return _Draft(plan, patient, [seg], ghm)


def _parse(ddmmyyyy_text: str) -> date:
    return date(int(ddmmyyyy_text[4:]), int(ddmmyyyy_text[2:4]), int(ddmmyyyy_text[:2]))


# --- Numbering and records -------------------------------------------------------------------------


def _build_drafts(year: int, rng: random.Random) -> list[_Draft]:
    builder = _Builder(year, rng)
    plans = plan_stays()
    drafts: list[_Draft] = []
    by_kind: dict[tuple[str, str], int] = {}
    for plan in plans:
        if plan.role == "seance":
            by_kind[(plan.units[0], plan.ghm)] = by_kind.get((plan.units[0], plan.ghm), 0) + 1
    for (unit, ghm), count in by_kind.items():
        drafts += builder.seances(unit, ghm, count)
    deliveries = [p for p in plans if p.role == "delivery"]
    newborns = [p for p in plans if p.role == "newborn"]
    twins = len(newborns) - len(deliveries)
    mothers = [builder.delivery(plan, twins=i < twins) for i, plan in enumerate(deliveries)]
    drafts += mothers
    # The newborns sent to neonatology need time left in the year for their stay.
    singles = [p for p in newborns if len(p.units) == 1]
    transfers = [p for p in newborns if len(p.units) > 1]
    room = [m for m in mothers[twins:] if m.exit <= builder.cal.last - timedelta(days=25)]
    rng.shuffle(room)
    chosen = room[: len(transfers)]
    if len(chosen) < len(transfers):
        raise ValueError("not enough deliveries early enough in the year for the neonatology transfers")
    chosen_ids = {id(m) for m in chosen}
    for plan, mother in zip(transfers, chosen, strict=True):
        drafts.append(builder.newborn(plan, mother, twin=False))
    single_iter = iter(singles)
    for i, mother in enumerate(mothers):
        if id(mother) in chosen_ids:
            continue
        babies = 2 if i < twins else 1
        for _ in range(babies):
            drafts.append(builder.newborn(next(single_iter), mother, twin=babies == 2))
    if next(single_iter, None) is not None:
        raise ValueError("newborns left without a mother")
    for plan in plans:
        if plan.role in {"seance", "delivery", "newborn"}:
            continue
        if plan.role in {"newborn_in", "newborn_readmission"}:
            drafts.append(builder.newborn_elsewhere(plan))
        elif len(plan.units) == 1:
            drafts.append(builder.single(plan))
        else:
            drafts.append(builder.multi(plan))
    return drafts


def _number(drafts: list[_Draft], year: int) -> None:
    """NDA in admission order (per admission year), RSS numbers in export (exit) order."""
    ordered = sorted(range(len(drafts)), key=lambda i: (drafts[i].entry, i))
    sequences: Counter[int] = Counter()
    for i in ordered:
        entry_year = drafts[i].entry.year
        sequences[entry_year] += 1
        drafts[i].admin_number = f"{entry_year}{sequences[entry_year]:06d}"
    for n, i in enumerate(
        sorted(range(len(drafts)), key=lambda i: (drafts[i].exit, drafts[i].admin_number)), 1
    ):
        drafts[i].rss_number = f"{year % 100:02d}{n:06d}"


def _to_rss(draft: _Draft) -> Rss:
    version = rum_version(draft.exit)
    extra_names = [item.name for item in layout(version).extra_fields()]
    rums: list[Rum] = []
    for position, seg in enumerate(draft.segments, start=1):
        extra = dict.fromkeys(extra_names, "")
        if "non_programmed" in extra:
            extra["non_programmed"] = draft.non_programmed
        if "intervention_category" in extra:
            extra["intervention_category"] = draft.category
        if "raac" in extra:
            extra["raac"] = draft.raac
        provenance = seg.provenance
        if "emergency" in extra and provenance == "5":
            # From RUM 022 on, the emergency passage has its own field.
            extra["emergency"], provenance = "5", ""
        rums.append(
            Rum(
                version=version,
                grouped=True,
                classification_version="11",
                ghm=draft.ghm,
                return_code="000",
                finess=FINESS,
                rss_number=draft.rss_number,
                admin_number=draft.admin_number,
                rum_number=f"{draft.rss_number}{position:02d}",
                birth_date=ddmmyyyy(draft.patient.birth),
                sex=draft.patient.sex,
                unit=seg.unit,
                dedicated_bed=seg.dedicated_bed,
                entry_date=ddmmyyyy(seg.entry),
                entry_mode=seg.entry_mode,
                provenance=provenance,
                exit_date=ddmmyyyy(seg.exit),
                exit_mode=seg.exit_mode,
                destination=seg.destination,
                postcode=draft.patient.postcode,
                newborn_weight=seg.weight.rjust(4, "0") if seg.weight else "",
                gestational_age=seg.gestational_age,
                last_menstrual_date=seg.last_menstrual,
                seances=seg.seances,
                dp=seg.dp,
                dr=seg.dr,
                igs2=seg.igs2,
                extra=extra,
                das=list(seg.das),
                acts=list(seg.acts),
            )
        )
    return Rss(draft.rss_number, rums)


# --- Deliberate coding errors ----------------------------------------------------------------------


def _plant_errors(drafts: list[_Draft], year: int, rng: random.Random) -> list[DeliberateError]:
    """`planted_errors(year)`, each on stays chosen at random among the eligible ones (one error per
    stay, so that each planted stay produces exactly its one finding)."""
    planned = {item.rule_code: item for item in planted_errors(year)}
    errors: list[DeliberateError] = []
    by_number = sorted(drafts, key=lambda d: d.rss_number)
    used: set[str] = set()

    def pick(code: str, eligible: Iterable[_Draft]) -> list[_Draft]:
        count = planned[code].count
        pool = [d for d in eligible if d.rss_number not in used]
        if len(pool) < count:
            raise ValueError(f"{year}: only {len(pool)} stays can carry the planted error {code}")
        chosen = sorted(rng.sample(pool, k=count), key=lambda d: d.rss_number)
        used.update(d.rss_number for d in chosen)
        return chosen

    def planted(d: _Draft, code: str, detail: str = "") -> None:
        description = planned[code].description + (f" ({detail})" if detail else "")
        errors.append(DeliberateError(d.rss_number, code, description))

    chemo = [d for d in by_number if d.ghm == "28Z07Z"]
    for d in pick("C187", chemo):
        d.segments[0].dr = ""
        planted(d, "C187")
    for d in pick("Q014", (d for d in chemo if d.segments[0].dr.startswith("C50"))):
        d.segments[0].dr = "Z853"
        planted(d, "Q014")
    anaesthesia = [
        d
        for d in by_number
        if d.plan.care != "seance"
        and any(a.activity == "4" and a.doc_extension for s in d.segments for a in s.acts)
    ]
    for d in pick("C170", anaesthesia):
        act = next(a for s in d.segments for a in s.acts if a.activity == "4" and a.doc_extension)
        act.doc_extension = ""
        planted(d, "C170", act.code)
    surgery = [
        d
        for d in by_number
        if d.plan.care == "complete"
        and not d.plan.role
        and len(d.segments) == 1  # the flag is written on every RUM: one RUM, one finding
        and d.segments[0].unit in SURGICAL_UNITS
        and any(a.activity == "1" for a in d.segments[0].acts)
    ]
    for d in pick("C188", surgery):
        d.raac = "O"
        planted(d, "C188")
    # The intervention category exists from format 020 (exits from March 2020).
    day_hospital = [d for d in by_number if d.category and rum_version(d.exit) != "019"]
    for d in pick("C198", day_hospital):
        d.category = "3"
        planted(d, "C198")
    chained = [
        d
        for d in by_number
        if len(d.segments) == 2
        and d.plan.care == "complete"
        and (d.segments[1].exit - d.segments[1].entry).days >= 2
    ]
    for d in pick("C023", chained):
        moved = d.segments[1]
        moved.entry += timedelta(days=1)
        for act in moved.acts:  # keep the acts inside the RUM: one error per stay
            act.date = max(act.date, ddmmyyyy(moved.entry), key=_parse)
        planted(d, "C023")
    with_da = [d for d in by_number if d.plan.care == "complete" and d.segments[0].das and not d.plan.role]
    for d in pick("Q013", with_da):
        d.segments[0].das.append(d.segments[0].dp)
        planted(d, "Q013", d.segments[0].dp)
    with_acts = [
        d
        for d in by_number
        if d.plan.care == "complete"
        and len(d.segments) == 1
        and not d.plan.role
        and any(a.activity == "1" for a in d.segments[0].acts)
    ]
    for d in pick("C102", with_acts):
        act = next(a for a in d.segments[0].acts if a.activity == "1")
        act.date = ddmmyyyy(d.segments[0].exit + timedelta(days=1))
        planted(d, "C102", act.code)
    return sorted(errors, key=lambda e: (e.rss_number, e.code))


# --- Movements and documents -----------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    """Local midnight of `day` as a UTC instant (midnight exists every day in Europe/Paris)."""
    return datetime.combine(day, time(0, 0), tzinfo=HOSPITAL_TZ).astimezone(UTC)


def _day_minutes(day: date) -> int:
    """Minutes in the local day: 1,380 or 1,500 on the days the clocks change, else 1,440."""
    return int((_midnight(day + timedelta(days=1)) - _midnight(day)).total_seconds()) // 60


def _at(day: date, minutes: int) -> datetime:
    """The instant `minutes` of elapsed time after local midnight of `day`, in hospital time.

    Elapsed time, not wall-clock arithmetic (an aware datetime plus a timedelta keeps its offset,
    so 02:30 on the spring day would name an hour that does not exist, placed before 03:10).
    """
    return (_midnight(day) + timedelta(minutes=minutes)).astimezone(HOSPITAL_TZ)


def _later(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus `delta` of elapsed time, in hospital time (see `_at`)."""
    return (moment.astimezone(UTC) + delta).astimezone(HOSPITAL_TZ)


def _movements(d: _Draft, rng: random.Random) -> list[tuple[StayEventType, str, datetime]]:
    """Admission, transfers and discharge of a stay, each on the date its RSS gives it.

    The admission is on the first RUM's entry date, a transfer on the day the previous RUM ends
    (the mutation day; a planted C023 error shifts only the coded entry of the next RUM), the
    discharge on the exit date. Times increase strictly and never leave their day: a movement
    that would be pushed past midnight by an earlier one on the same day is squeezed before it.
    """
    segments = d.segments
    planned: list[tuple[StayEventType, str, date, int, int]] = []  # kind, unit, day, earliest, latest
    first = segments[0]
    urgent = first.unit in URGENT_UNITS
    same_day = d.entry == d.exit
    # A same-day stay through the emergency unit arrives early enough to be seen and leave.
    planned.append(
        (
            "admit",
            first.unit,
            first.entry,
            0 if urgent else 7 * 60,
            (20 if same_day else 23) * 60 if urgent else 10 * 60,
        )
    )
    for before, seg in zip(segments, segments[1:], strict=False):
        planned.append(("transfer", seg.unit, before.exit, 9 * 60, 20 * 60))
    planned.append(("discharge", segments[-1].unit, d.exit, 10 * 60, 18 * 60))
    moments: list[tuple[StayEventType, str, datetime]] = []
    previous: tuple[date, int] | None = None
    for index, (kind, unit, day, earliest, latest) in enumerate(planned):
        minute = rng.randint(earliest, latest)
        floor = 0
        if previous is not None and previous[0] == day:
            floor = previous[1] + 1
            if minute < floor:
                minute = previous[1] + (rng.randint(60, 240) if kind == "discharge" else rng.randint(20, 90))
        later_same_day = sum(1 for item in planned[index + 1 :] if item[2] == day)
        minute = max(floor, min(minute, _day_minutes(day) - 1 - later_same_day))
        moments.append((kind, unit, _at(day, minute)))
        previous = (day, minute)
    return moments


def _events(
    drafts: list[_Draft], year: int, rng: random.Random, collapse: random.Random
) -> tuple[list[StayEvent], list[DocumentEvent]]:
    stays: list[StayEvent] = []
    documents: list[DocumentEvent] = []
    for d in sorted(drafts, key=lambda d: d.admin_number):
        nda = d.admin_number
        seance = d.plan.care == "seance"
        patient_class = "R" if seance else "I"
        prefix = f"demo-{year}-{nda}"
        moments = _movements(d, rng)
        out = moments[-1][2]
        for n, (kind, unit, stamp) in enumerate(moments, start=1):
            stays.append(StayEvent(f"{prefix}-m{n}", kind, nda, unit, stamp, EVENT_SOURCE, patient_class))
        if seance:
            continue
        exit_unit = d.segments[-1].unit
        service = UNIT_SERVICE.get(exit_unit, "")
        same_day, late, missing = REPORT_BEHAVIOUR.get(service, DEFAULT_REPORT_BEHAVIOUR)
        draw = rng.random()
        if draw < missing:
            delay = None
        elif draw < missing + late:
            delay = rng.randint(9, 45)
        elif draw < missing + late + same_day:
            delay = 0
        else:
            delay = min(8, 1 + int(rng.expovariate(1 / 2.5)))
        if delay is not None:
            received = _at(d.exit + timedelta(days=delay), rng.randint(8 * 60, 19 * 60))
            if received <= out:
                received = _later(out, timedelta(minutes=rng.randint(15, 120)))
            if uncoded.collapses(service, d.exit, year) and (later := uncoded.late_by(collapse)) is not None:
                received = _later(received, later)
            doc_type = _weighted(rng, REPORT_TYPES)
            doc_id = f"{nda}-CR1"
            documents.append(
                DocumentEvent(f"{prefix}-d1", nda, doc_id, doc_type, "new", received, exit_unit, EVENT_SOURCE)
            )
            if rng.random() < 0.05:
                # A corrected version a few days later: the reception date stays the first one.
                again = _later(received, timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 300)))
                documents.append(
                    DocumentEvent(
                        f"{prefix}-d2",
                        nda,
                        f"{nda}-CR2",
                        doc_type,
                        "replace",
                        again,
                        exit_unit,
                        EVENT_SOURCE,
                        parent_document_id=doc_id,
                    )
                )
        if d.plan.care == "complete" and rng.random() < 0.1:
            minute = rng.randint(9 * 60, 20 * 60)
            imaging = _at(d.entry + timedelta(days=rng.randint(0, 1)), minute)
            documents.append(
                DocumentEvent(
                    f"{prefix}-d9",
                    nda,
                    f"{nda}-IMG",
                    IMAGING_REPORT,
                    "new",
                    imaging,
                    d.segments[0].unit,
                    EVENT_SOURCE,
                )
            )
    stays.sort(key=lambda e: (e.occurred_at, e.event_id))
    documents.sort(key=lambda e: (e.received_at, e.event_id))
    return stays, documents


# --- SMR (RHS) -------------------------------------------------------------------------------------


def _split(total: int, parts: int, rng: random.Random, low: int, high: int, initial: list[int]) -> list[int]:
    """Adjust `initial` (one value per part, each within [low, high]) to sum exactly `total`."""
    values = [max(low, min(high, v)) for v in initial]
    diff = total - sum(values)
    if not parts * low <= total <= parts * high:
        raise ValueError(f"cannot split {total} into {parts} parts of {low}-{high}")
    while diff:
        i = rng.randrange(parts)
        if diff > 0 and values[i] < high:
            step = min(diff, high - values[i], 1 + diff // parts)
            values[i] += step
            diff -= step
        elif diff < 0 and values[i] > low:
            step = min(-diff, values[i] - low, 1 + (-diff) // parts)
            values[i] -= step
            diff += step
    return values


@dataclass(slots=True)
class _SsrWeek:
    week: int
    days: list[int]  # ISO weekdays present, 0 = Monday


def _rhs(year: int, rng: random.Random) -> list[Rhs]:
    version = rhs_version(year)
    weeks_available = range(2, 52)  # ISO weeks entirely inside the calendar year, whatever the year
    records: list[Rhs] = []
    stay_no = 0
    for cm, target in ref.SSR_BY_CM.items():
        mean = target.weeks / target.stays
        initial = [max(1, round(rng.expovariate(1 / mean))) for _ in range(target.stays)]
        weeks_per_stay = _split(target.weeks, target.stays, rng, 1, 30, initial)
        partial = [rng.random() < 0.12 for _ in range(target.stays)]
        # Days: complete hospitalisation is 7 days a week (5 with a weekend at home), partial
        # 2-3 days; first and last weeks are cut by the entry and exit days.
        slots: list[tuple[int, int, int]] = []  # (stay, week index, days)
        for s, (n, hp) in enumerate(zip(weeks_per_stay, partial, strict=True)):
            for w in range(n):
                if hp:
                    week_days = rng.randint(2, 3)
                elif n == 1:
                    week_days = rng.randint(3, 7)
                elif w in (0, n - 1):
                    week_days = rng.randint(1, 7)
                else:
                    week_days = 7 if rng.random() < 0.8 else 5
                slots.append((s, w, week_days))
        days = _split(target.days, len(slots), rng, 1, 7, [d for _, _, d in slots])
        per_stay: list[list[int]] = [[] for _ in range(target.stays)]
        for (s, _, _), d in zip(slots, days, strict=True):
            per_stay[s].append(d)
        mmps, aes, csarr = cat.SSR_CM_CONTENT[cm]
        for s, stay_days in enumerate(per_stay):
            stay_no += 1
            n = len(stay_days)
            first_week = rng.randint(weeks_available.start, weeks_available.stop - n)
            weeks: list[_SsrWeek] = []
            for w, d in enumerate(stay_days):
                if partial[s]:
                    present = sorted(rng.sample(range(5), d) if d <= 5 else range(d))
                elif n == 1:
                    start = rng.randint(0, 7 - d)
                    present = list(range(start, start + d))
                elif w == 0:
                    present = list(range(7 - d, 7))
                else:
                    present = list(range(d))
                weeks.append(_SsrWeek(first_week + w, present))
            records += _ssr_stay(year, version, cm, stay_no, weeks, partial[s], mmps, aes, csarr, rng)
    return records


def _ssr_stay(
    year: int,
    version: str,
    cm: str,
    stay_no: int,
    weeks: list[_SsrWeek],
    partial: bool,
    mmps: tuple[str, ...],
    aes: tuple[str, ...],
    csarr: tuple[str, ...],
    rng: random.Random,
) -> list[Rhs]:
    def day_of(week: _SsrWeek, weekday: int) -> date:
        return date.fromisocalendar(year, week.week, weekday + 1)

    entry = day_of(weeks[0], weeks[0].days[0])
    exit_date = day_of(weeks[-1], weeks[-1].days[-1])
    age = int(rng.triangular(25, 99, 78))
    birth = entry - timedelta(days=int(age * 365.25) + rng.randrange(365))
    sex = "2" if rng.random() < 0.56 else "1"
    postcode = _weighted(rng, cat.POSTCODES)
    unit, auth = ("7150", "50A") if partial else ("7140", "51A") if cm in {"08", "01"} else ("7130", "50A")
    draw = rng.random()
    entry_mode, provenance = ("6", "1") if draw < 0.6 else ("8", "") if draw < 0.9 else ("7", "1")
    draw = rng.random()
    exit_mode, destination = (
        ("9", "") if draw < 0.03 else ("7", "1") if draw < 0.11 else ("8", "7") if draw < 0.2 else ("8", "")
    )
    if partial:
        entry_mode, provenance, exit_mode, destination = "8", "", "8", ""
    fppc = rng.choice(cat.SSR_FINALITIES)
    mmp = rng.choice(mmps)
    ae = rng.choice(aes) if aes and rng.random() < 0.6 else ""
    das = [c for c in rng.sample(cat.COMORBIDITIES, k=rng.randint(0, 3)) if c not in (mmp, ae)]
    dependence = [str(rng.randint(1, 4)) for _ in range(6)]
    grouping = (f"{rng.randint(1, 9):02d}", rng.choice("ABC"), rng.choice("012"), rng.choice("01"))
    records: list[Rhs] = []
    for i, week in enumerate(weeks):
        last = i == len(weeks) - 1
        flags = "".join("1" if d in week.days else "0" for d in range(7))
        acts = []
        for code in rng.sample(csarr, k=min(len(csarr), rng.randint(1, 3))):
            on = day_of(week, rng.choice(week.days))
            acts.append(
                CsarrAct(
                    code=code,
                    performer_code=rng.choice(("21", "24", "26")),
                    count="01",
                    date=ddmmyyyy(on),
                    real_patients="01",
                    performers="01",
                )
            )
        extra = {
            "classification_version": "15",
            "grouping_code": grouping[0],
            "grouping_root": grouping[1],
            "grouping_weight_level": grouping[2],
            "grouping_severity": grouping[3],
            "grouping_return_code": "000",
            "dependence_dressing": dependence[0],
            "dependence_moving": dependence[1],
            "dependence_feeding": dependence[2],
            "dependence_continence": dependence[3],
            "dependence_behaviour": dependence[4],
            "dependence_relation": dependence[5],
            "same_project": "1",
        }
        records.append(
            Rhs(
                version=version,
                finess=FINESS,
                ssr_stay_number=f"{year % 100:02d}{stay_no:05d}",
                admin_number=f"{year}8{stay_no:05d}",
                stay_start_date=ddmmyyyy(entry),
                stay_end_date=ddmmyyyy(exit_date),
                birth_date=ddmmyyyy(birth),
                sex=sex,
                postcode=postcode,
                hospitalisation_type="2" if partial else "1",
                entry_date=ddmmyyyy(entry),
                entry_mode=entry_mode,
                provenance=provenance,
                exit_date=ddmmyyyy(exit_date) if last else "",
                exit_mode=exit_mode if last else "",
                destination=destination if last else "",
                week_number=f"{week.week:02d}{year}",
                weekday_presence=flags[:5],
                weekend_presence=flags[5:],
                unit=unit,
                unit_authorisation_type=auth,
                fppc=fppc,
                mmp=mmp,
                ae=ae,
                cm=cm,
                extra=extra,
                das=list(das),
                csarr_acts=acts,
            )
        )
    return records


# --- Structure ---------------------------------------------------------------------------------------


def build_structure() -> StructureIn:
    poles = [PoleIn(code=p.code, label=p.label) for p in ref.POLES]
    services = [ServiceIn(code=code, label=label, pole=pole) for code, label, pole in SERVICES]
    units = [UnitIn(code=u.code, label=u.label, pole=u.pole, service=UNIT_SERVICE[u.code]) for u in ref.UNITS]
    units += [UnitIn(code=code, label=label, pole="SMR", service="SMR") for code, label, _ in SSR_UNITS]
    return StructureIn(poles=poles, services=services, units=units)


def build_ium() -> list[str]:
    """The fichier d'UM: one authorisation line per MCO unit."""
    lines: list[str] = []
    effect = AUTHORISATION_EFFECT
    for unit in ref.UNITS:
        if unit.code in AUTHORISATIONS:
            auth_type, beds, mode = AUTHORISATIONS[unit.code]
        elif unit.code.startswith(AMBULATORY_PREFIX):
            auth_type, beds, mode = "53", 0, "P"  # ambulatory surgery places
        elif unit.code.startswith("77"):
            auth_type, beds, mode = "29", 2, "P"
        else:
            auth_type, beds, mode = "53", 16, "M"
        lines.append(
            write_ium(IumLine(0, unit.code, FINESS_GEO, auth_type, ddmmyyyy(effect), effect, beds, mode))
        )
    return lines


# --- Entry point -------------------------------------------------------------------------------------


def generate(*, year: int = ref.YEAR, seed: int = DEFAULT_SEED) -> DemoData:
    """The whole demo year; the same (year, seed) always gives the same data."""
    if year not in SUPPORTED_YEARS:
        raise ValueError(f"year {year} not supported ({SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1})")
    rng = random.Random(seed)
    drafts = _build_drafts(year, rng)
    _number(drafts, year)
    errors = _plant_errors(drafts, year, rng)
    drafts.sort(key=lambda d: d.rss_number)
    rss = [_to_rss(d) for d in drafts]
    # Own random streams for what issue 19 plants, so the rest of the year does not move.
    stay_events, document_events = _events(drafts, year, rng, random.Random(f"{seed}-{year}-collapse"))
    rhs = _rhs(year, rng)
    numbers, planted_stays, planted_documents = uncoded.uncoded_stays(
        year, random.Random(f"{seed}-{year}-uncoded"), EVENT_SOURCE
    )
    stay_events = sorted(stay_events + planted_stays, key=lambda e: (e.occurred_at, e.event_id))
    document_events = sorted(document_events + planted_documents, key=lambda e: (e.received_at, e.event_id))
    return DemoData(
        year=year,
        seed=seed,
        structure=build_structure(),
        ium_lines=build_ium(),
        rss=rss,
        rhs=rhs,
        stay_events=stay_events,
        document_events=document_events,
        deliberate_errors=errors,
        uncoded_stays=numbers,
    )
