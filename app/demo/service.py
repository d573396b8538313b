"""Loading the demo year through the real ingestion services, as the HIS feeds would.

Order: structure (PUT semantics, skipped when already identical), fichier d'UM, the RSS groupé
files month by month (the monthly exports an HIS sends), the RHS file, then the stay movements and
the discharge-report events. Every step is idempotent on its own (same body or same event id =
nothing new), so loading the same (year, seed) twice changes nothing; the summary tells what was
new. Loading another seed on top of it supersedes the RSS and RHS (same numbers, new versions)
but its events collide with the first ones (same ids, other content) and are reported as conflicts.

The caller owns the transaction (`with session.begin():`), as for every service.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.clock import HOSPITAL_TZ
from app.demo import rsa as demo_rsa
from app.demo import tariffs as demo_tariffs
from app.demo.generator import DEFAULT_SEED, DemoData, generate, planted_errors
from app.demo.reference_2022 import YEAR
from app.ingestion import repository as ingestion_repository
from app.ingestion import service as ingestion_service
from app.ingestion.models import RhsBatch, RumBatch
from app.ingestion.rhs import service as rhs_service
from app.reference.ium import parse_ium
from app.structure import repository as structure_repository
from app.structure import service as structure_service
from app.structure.models import OPEN_START, Unit
from app.structure.schemas import StructureIn
from app.turnaround import intake
from app.turnaround.events import DocumentEvent, StayEvent

SOURCE = "demo"
EVENT_CHUNK = 5000  # events per store call: bounded statements and memory


@dataclass(slots=True)
class DemoSummary:
    year: int
    seed: int
    structure_replaced: bool = False
    authorisations_changed: int = 0
    rss_files: int = 0
    rss_files_new: int = 0
    rss: int = 0
    rum: int = 0
    rhs_file_new: bool = False
    rhs: int = 0
    stay_events_new: int = 0
    document_events_new: int = 0
    event_conflicts: int = 0
    deliberate_errors: int = 0
    planted: dict[str, int] = field(default_factory=dict)  # rule code -> planted stays, in plant order
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.structure_replaced
            or self.authorisations_changed
            or self.rss_files_new
            or self.rhs_file_new
            or self.stay_events_new
            or self.document_events_new
        )

    def line(self) -> str:
        """One line for a terminal."""
        state = "loaded" if self.changed else "already loaded, nothing changed"
        return (
            f"Demo year {self.year} (seed {self.seed}) {state}: {self.rss} RSS / {self.rum} RUM in "
            f"{self.rss_files} monthly files ({self.rss_files_new} new), {self.rhs} RHS, "
            f"{self.stay_events_new} stay and {self.document_events_new} document events new, "
            f"{self.deliberate_errors} planted coding errors, {self.seconds:.1f} s"
        )

    def planted_line(self) -> str:
        """What the demo plants, for the DIM to look for: each error gives exactly one finding."""
        kinds = ", ".join(f"{code} ×{count}" for code, count in self.planted.items())
        return (
            f"  {self.deliberate_errors} planted coding errors, one finding each: {kinds} "
            "(GET /api/v1/findings; README, section Demo)"
        )


def _structure_rows(structure: StructureIn) -> tuple[set[tuple[object, ...]], ...]:
    return (
        {(p.code, p.label) for p in structure.poles},
        {(s.code, s.label, s.pole) for s in structure.services},
        {
            (u.code, u.label, u.pole, u.service, u.valid_from or OPEN_START, u.valid_to)
            for u in structure.units
        },
    )


def _current_structure(session: Session) -> tuple[set[tuple[object, ...]], ...]:
    return (
        {(p.code, p.label) for p in structure_repository.list_poles(session)},
        {(s.code, s.label, s.pole_code) for s in structure_repository.list_services(session)},
        {
            (u.code, u.label, u.pole_code, u.service_code, u.valid_from, u.valid_to)
            for u in structure_repository.list_units(session)
        },
    )


def _load_structure(session: Session, data: DemoData, principal: Principal, summary: DemoSummary) -> None:
    if _current_structure(session) != _structure_rows(data.structure):
        structure_service.replace_structure(session, data.structure)
        summary.structure_replaced = True
    # What the fichier d'UM will change, for the summary (its upsert leaves identical lines alone).
    lines, _errors = parse_ium(data.ium_file())
    known: dict[tuple[str, date | None], tuple[str, str, int | None, str]] = {
        (a.unit_code, a.effect_date): (a.finess_geo, a.auth_type, a.beds, a.hosp_mode)
        for a in structure_repository.list_authorisations(session)
    }
    summary.authorisations_changed = sum(
        known.get((line.unit, line.effect_date))
        != (line.finess_geo, line.auth_type, line.beds, line.hosp_mode)
        for line in lines
    )
    result = structure_service.load_ium(session, data.ium_file(), principal=principal)
    if result.lines_rejected:
        raise ValueError(f"demo fichier d'UM: {result.lines_rejected} line(s) rejected")


def _monthly_file_sent(month: str) -> datetime:
    """When the HIS sends the RSS of a month of exits: the 20th of the next month, 9:00, as a DIM
    transmits the month's file to ePMSI (`month`: "2022-01")."""
    year, number = (int(part) for part in month.split("-"))
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 20, 9, 0, tzinfo=HOSPITAL_TZ)


def _load_rss(session: Session, data: DemoData, principal: Principal, summary: DemoSummary) -> None:
    for label, body in data.rss_files():
        batch, created = ingestion_service.ingest_rss_file(
            session,
            io.BytesIO(body),
            principal=principal,
            source=SOURCE,
            idempotency_key=f"demo-{data.year}-{data.seed}-rss-{label}",
        )
        if created and label != "undated":
            ingestion_repository.date_batch_reception(session, batch.id, _monthly_file_sent(label))
        summary.rss_files += 1
        summary.rss_files_new += int(created)


def _load_rhs(session: Session, data: DemoData, principal: Principal, summary: DemoSummary) -> None:
    _batch, created = rhs_service.ingest_rhs_file(
        session,
        io.BytesIO(data.rhs_file()),
        principal=principal,
        source=SOURCE,
        idempotency_key=f"demo-{data.year}-{data.seed}-rhs",
    )
    summary.rhs_file_new = created


def _store(
    session: Session, kind: intake.EventKind, events: Sequence[StayEvent | DocumentEvent]
) -> tuple[int, int]:
    accepted = conflicts = 0
    for start in range(0, len(events), EVENT_CHUNK):
        outcome = intake.store_events(session, kind, events[start : start + EVENT_CHUNK])
        accepted += len(outcome.accepted)
        conflicts += len(outcome.conflicts)
    return accepted, conflicts


def holds_data(session: Session) -> bool:
    """True once anything was loaded (structure, RSS or RHS): the first-start demo must not mix in."""
    return any(session.scalar(select(exists().select_from(model))) for model in (Unit, RumBatch, RhsBatch))


def load_demo(
    session: Session, *, year: int = YEAR, seed: int = DEFAULT_SEED, principal: Principal
) -> DemoSummary:
    """Generate the demo year and feed it through the ingestion services; idempotent."""
    started = time.perf_counter()
    data = generate(year=year, seed=seed)
    summary = DemoSummary(
        year=year,
        seed=seed,
        rss=len(data.rss),
        rum=sum(len(rss.rums) for rss in data.rss),
        rhs=len(data.rhs),
        deliberate_errors=len(data.deliberate_errors),
        planted={item.rule_code: item.count for item in planted_errors(year)},
    )
    _load_structure(session, data, principal, summary)
    _load_rss(session, data, principal, summary)
    ghms = {rum.ghm for rss in data.rss for rum in rss.rums if rum.ghm}
    summary.notes.extend(demo_tariffs.load_tariffs(session, year=year, ghms=ghms, loaded_by=principal.name))
    rsa_note = demo_rsa.load_rsa(session, stays=data.rss, principal=principal)
    if rsa_note:
        summary.notes.append(rsa_note)
    _load_rhs(session, data, principal, summary)
    summary.stay_events_new, stay_conflicts = _store(session, "stay", data.stay_events)
    summary.document_events_new, document_conflicts = _store(session, "document", data.document_events)
    summary.event_conflicts = stay_conflicts + document_conflicts
    if summary.event_conflicts:
        summary.notes.append(
            f"{summary.event_conflicts} events conflict with events already stored under the same ids "
            "(another seed was loaded before)"
        )
    summary.seconds = time.perf_counter() - started
    return summary
