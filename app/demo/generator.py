"""A synthetic hospital year shaped like the reference hospital's 2022 activity. Pure and seeded.

`generate(year=2022, seed=42)` returns everything the demo loads through the real services: the
structure (pôles, services, units), the fichier d'UM, the RSS (as `Rss` records and as monthly
RSS groupé files, format 120 before 1 March 2022 and 121 from then on, per the RSS exit date),
the SMR RHS (groupé, with their CM), the stay movements and the discharge-report events.

The year is built in steps, one module each: `plan` (the counting plan and the shape constants),
`hospital` (structure, fichier d'UM), `drafts` (coded stays), `stays` (numbering, `Rss` records,
planted errors), `movements` (stay and document events), `smr` (RHS); `dates` holds the calendar.

How the reference figures are guaranteed. The *counts* never depend on the seed: `plan_stays` lays
out every stay as (care type, units, séance GHM) from `reference_2022` and the shape constants
of `plan`, and checks the totals it must reproduce; the seed only draws dates, patients and codes.
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
from dataclasses import dataclass, field

from app.demo import reference_2022 as ref
from app.demo import uncoded
from app.demo.dates import ddmmyyyy, rhs_version, rum_version
from app.demo.hospital import FINESS, UNIT_SERVICE, build_ium, build_structure
from app.demo.movements import EVENT_SOURCE, build_events
from app.demo.plan import (
    DEFAULT_SEED,
    PLANTED_ERRORS,
    SUPPORTED_YEARS,
    DeliberateError,
    PlantedError,
    StayPlan,
    complete_paths,
    plan_stays,
    planted_errors,
    seance_split,
)
from app.demo.smr import build_rhs
from app.demo.stays import build_drafts, number_stays, plant_errors, to_rss
from app.ingestion.records import Rss
from app.ingestion.rhs.parser import Rhs
from app.ingestion.rhs.writer import write_rhs
from app.ingestion.writer import write_rss
from app.structure.schemas import StructureIn
from app.turnaround.events import DocumentEvent, StayEvent

# The generator was one module; these names stay importable from here for its callers.
__all__ = [
    "DEFAULT_SEED",
    "FINESS",
    "PLANTED_ERRORS",
    "SUPPORTED_YEARS",
    "UNIT_SERVICE",
    "DeliberateError",
    "DemoData",
    "PlantedError",
    "StayPlan",
    "build_ium",
    "build_structure",
    "complete_paths",
    "ddmmyyyy",
    "generate",
    "plan_stays",
    "planted_errors",
    "rhs_version",
    "rum_version",
    "seance_split",
]


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


# --- Entry point -------------------------------------------------------------------------------------


def generate(*, year: int = ref.YEAR, seed: int = DEFAULT_SEED) -> DemoData:
    """The whole demo year; the same (year, seed) always gives the same data."""
    if year not in SUPPORTED_YEARS:
        raise ValueError(f"year {year} not supported ({SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1})")
    rng = random.Random(seed)
    drafts = build_drafts(year, rng)
    number_stays(drafts, year)
    errors = plant_errors(drafts, year, rng)
    drafts.sort(key=lambda d: d.rss_number)
    rss = [to_rss(d) for d in drafts]
    # Own random streams for what issue 19 plants, so the rest of the year does not move.
    stay_events, document_events = build_events(drafts, year, rng, random.Random(f"{seed}-{year}-collapse"))
    rhs = build_rhs(year, rng)
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
