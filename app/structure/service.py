"""Loading and reading the hospital structure (pôles, services, UMs with validity periods)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.copying import copied
from app.core.fixedwidth.digest import bytes_sha256
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
from app.core.schemas import LineErrorRead
from app.ingestion.intake import MAX_PROBLEM_ERRORS
from app.reference.ium import IumLine, check_ium, parse_ium, write_ium
from app.structure import repository
from app.structure.models import OPEN_START
from app.structure.schemas import (
    AuthorisationIn,
    AuthorisationRead,
    IumLoadResult,
    PoleRead,
    ServiceRead,
    StructureIn,
    StructureRead,
    StructureSummary,
    UnitRead,
)


def validate_structure(structure: StructureIn) -> list[LineError]:
    """Referential checks the JSON schema cannot express; `line` is the 1-based item index."""
    errors: list[LineError] = []
    pole_codes = {p.code for p in structure.poles}
    service_codes = {s.code for s in structure.services}
    errors += _duplicates("poles", [p.code for p in structure.poles])
    errors += _duplicates("services", [s.code for s in structure.services])
    for index, service in enumerate(structure.services, start=1):
        if service.pole is not None and service.pole not in pole_codes:
            errors.append(
                LineError(index, "services.pole", "unknown_pole", f"pôle {service.pole!r} is not in `poles`")
            )
    periods: dict[str, list[tuple[date, date, int]]] = defaultdict(list)
    for index, unit in enumerate(structure.units, start=1):
        if unit.pole is not None and unit.pole not in pole_codes:
            errors.append(
                LineError(index, "units.pole", "unknown_pole", f"pôle {unit.pole!r} is not in `poles`")
            )
        if unit.service is not None and unit.service not in service_codes:
            errors.append(
                LineError(
                    index,
                    "units.service",
                    "unknown_service",
                    f"service {unit.service!r} is not in `services`",
                )
            )
        start = unit.valid_from or OPEN_START
        end = unit.valid_to or date.max
        if end < start:
            errors.append(
                LineError(index, "units.valid_to", "invalid_period", "valid_to is before valid_from")
            )
            continue
        for other_start, other_end, other_index in periods[unit.code]:
            if start <= other_end and other_start <= end:
                errors.append(
                    LineError(
                        index,
                        "units.valid_from",
                        "overlapping_period",
                        f"unit {unit.code!r} overlaps the period of item {other_index}",
                    )
                )
        periods[unit.code].append((start, end, index))
    return errors


def _duplicates(collection: str, codes: list[str]) -> list[LineError]:
    seen: set[str] = set()
    errors = []
    for index, code in enumerate(codes, start=1):
        if code in seen:
            errors.append(LineError(index, f"{collection}.code", "duplicate", f"code {code!r} appears twice"))
        seen.add(code)
    return errors


def authorisation_lines(items: list[AuthorisationIn]) -> tuple[list[IumLine], list[LineError]]:
    """The fichier d'UM lines of a structure's `authorisations`, read back from their 28-character
    writing, so that they pass exactly the checks of a file sent to POST /structure/ium; `line` is
    the 1-based item index. Doubtful authorisations (unknown type...) are kept, as in a file."""
    lines: list[IumLine] = []
    errors: list[LineError] = []
    for index, item in enumerate(items, start=1):
        written = write_ium(
            IumLine(index, item.unit, item.finess_geo, item.auth_type, "", item.effect_date, item.beds,
                    item.hosp_mode)
        )  # fmt: skip
        parsed, problems = parse_ium(written.encode())  # pydantic refused lone surrogates already
        lines += [replace(line, line=index) for line in parsed]
        errors += [
            LineError(index, f"authorisations.{p.field}" if p.field else "authorisations", p.code, p.message)
            for p in problems
        ]
    errors += [
        LineError(e.line, f"authorisations.{e.field}", e.code, e.message)
        for e in check_ium(lines)
        if e.code == "duplicate_effect_date"
    ]
    errors.sort(key=lambda error: error.line or 0)
    return lines, errors


def submit_structure(session: Session, principal: Principal, structure: StructureIn) -> StructureSummary:
    """PUT /structure and `dimqa ingest structure`: `replace_structure`, audited."""
    summary = replace_structure(session, structure)
    audit_service.record(
        session,
        principal,
        action="write",
        object_type="structure",
        object_ids=[u.code for u in structure.units],
    )
    return summary


def replace_structure(session: Session, structure: StructureIn) -> StructureSummary:
    errors = validate_structure(structure)
    authorisations, authorisation_errors = authorisation_lines(structure.authorisations)
    errors += authorisation_errors
    if errors:
        raise InvalidInput(f"{len(errors)} inconsistency(ies) in the structure", errors=errors)
    repository.replace_structure(
        session,
        poles=[{"code": p.code, "label": p.label} for p in structure.poles],
        services=[{"code": s.code, "label": s.label, "pole_code": s.pole} for s in structure.services],
        units=[
            {
                "code": u.code,
                "label": u.label,
                "pole_code": u.pole,
                "service_code": u.service,
                "valid_from": u.valid_from or OPEN_START,
                "valid_to": u.valid_to,
            }
            for u in structure.units
        ],
    )
    repository.upsert_authorisations(session, [_authorisation_row(line) for line in authorisations])
    return StructureSummary(
        poles=len(structure.poles),
        services=len(structure.services),
        units=len(structure.units),
        authorisations=len(authorisations),
    )


def _authorisation_row(line: IumLine) -> dict[str, object]:
    return {
        "unit_code": line.unit,
        "finess_geo": line.finess_geo,
        "auth_type": line.auth_type,
        "effect_date": line.effect_date,
        "beds": line.beds,
        "hosp_mode": line.hosp_mode,
    }


def read_structure(session: Session, principal: Principal) -> StructureRead:
    codes = principal.units
    units = repository.list_units(session, codes=codes)
    return StructureRead(
        poles=[PoleRead(code=p.code, label=p.label) for p in repository.list_poles(session)],
        services=[
            ServiceRead(code=s.code, label=s.label, pole=s.pole_code)
            for s in repository.list_services(session)
        ],
        units=[
            copied(
                UnitRead,
                u,
                pole=u.pole_code,
                service=u.service_code,
                valid_from=None if u.valid_from == OPEN_START else u.valid_from,
            )
            for u in units
        ],
        authorisations=[
            copied(AuthorisationRead, a, unit=a.unit_code)
            for a in repository.list_authorisations(session, codes=codes)
        ],
    )


def submit_ium(session: Session, principal: Principal, body: bytes) -> IumLoadResult:
    """POST /structure/ium and `dimqa ingest ium`: `load_ium`, audited under the body's hash."""
    result = load_ium(session, body, principal=principal)
    audit_service.record(
        session,
        principal,
        action="write",
        object_type="ium",
        object_ids=[bytes_sha256(body)[:16]],
    )
    return result


def load_ium(session: Session, body: bytes, *, principal: Principal) -> IumLoadResult:
    """Add a fichier d'UM to the authorisation history (a line per unit and date d'effet).

    Format errors reject their line; doubtful authorisations are stored and reported as warnings,
    so a type our table does not know yet never drops a unit. A second line for the same unit and
    date d'effet is rejected (DRUIDES requires each date d'effet to be unique within a unit)."""
    lines, errors = parse_ium(body)
    if not lines:
        # The first errors only, as the RUM and RHS feeds: a wrong file (an RSS sent here) listed
        # every one of its lines.
        raise InvalidInput(
            f"No readable line in the fichier d'UM ({len(errors)} line(s) rejected).",
            errors=errors[:MAX_PROBLEM_ERRORS],
        )
    read = len(lines) + len(errors)
    checks = check_ium(lines)
    # One upsert statement cannot touch a row twice, and the file would contradict itself.
    duplicates = [e for e in checks if e.code == "duplicate_effect_date"]
    rejected = {e.line for e in duplicates}
    warnings = [e for e in checks if e.code != "duplicate_effect_date"]
    errors = [*errors, *duplicates]
    stored = [line for line in lines if line.effect_date is not None and line.line not in rejected]
    errors.sort(key=lambda error: error.line or 0)
    changed = repository.upsert_authorisations(session, [_authorisation_row(line) for line in stored])
    return IumLoadResult(
        lines=read,
        authorisations_added_or_changed=changed,
        authorisations_unchanged=len(stored) - changed,
        lines_rejected=len(errors),
        errors=[LineErrorRead.of(e) for e in errors],
        warnings=[LineErrorRead.of(e) for e in warnings],
    )
