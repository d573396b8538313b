"""Loading nomenclature files (CIM-10, CCAM, GHM, CMD labels, GHS tariffs, national DMS) into their
per-year tables."""

from __future__ import annotations

import csv
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Final

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.config import get_settings
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
from app.reference import loaders, repository, supplement_loaders, tariffs
from app.reference.models import NomenclatureLoad
from app.reference.schemas import NomenclatureKind, NomenclatureRead

MAX_REPORTED_ERRORS: Final = 100
# As the readers name each kind in their messages.
LABELS: Final = {
    NomenclatureKind.CIM10: "CIM-10",
    NomenclatureKind.CCAM: "CCAM",
    NomenclatureKind.GHM: "GHM",
    NomenclatureKind.CMD: "CMD",
    NomenclatureKind.GHS_TARIFFS: "GHS tariff",
    NomenclatureKind.GHM_DMS: "national DMS",
    NomenclatureKind.SUPPLEMENT_TARIFFS: "supplement tariff",
    NomenclatureKind.TARIFF_COEFFICIENTS: "coefficient",
}
MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2100


def _cim10(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in loaders.read_cim10(io.BytesIO(data), max_bytes=max_bytes):
        yield row if isinstance(row, LineError) else (year, row.code, row.label, row.type_mco)


def _ccam(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in loaders.read_ccam(io.BytesIO(data), max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        else:
            activities = "".join(sorted(set(row.activities))) or None
            yield (year, row.code, row.label, row.valid_from, row.valid_to, activities)


def _ghm(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in loaders.read_ghm(io.BytesIO(data), max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        # A file covering several classification years (the ATIH "anseqta" column) gives only
        # the requested year's rows; a file without a year column is taken whole.
        elif row.year is None or row.year == year:
            yield (year, row.ghm, row.label)


def _cmd(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in loaders.read_cmd_labels(io.BytesIO(data), max_bytes=max_bytes):
        yield row if isinstance(row, LineError) else (year, row.cmd, row.label)


def _ghs_tariffs(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in tariffs.read_ghs_tariffs(io.BytesIO(data), default_campaign=year, max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        # The ATIH file holds two campaigns: a load takes the requested one, never a mix.
        elif row.campaign == year:
            yield (
                year,
                row.ghs,
                row.ghm,
                row.label,
                row.low_bound,
                row.high_bound,
                row.base,
                row.exb_forfait,
                row.exb_daily,
                row.exh_daily,
                row.effective_date,
            )


def _ghm_dms(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    for row in tariffs.read_ghm_dms(io.BytesIO(data), default_year=year, max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        elif row.year == year:
            yield (year, row.ghm, row.ghs, row.low_bound, row.high_bound, row.mean_los)


def _supplement_tariffs(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    # A file may hold several campaigns: only the requested one's rows are loaded.
    for row in supplement_loaders.read_supplement_tariffs(io.BytesIO(data), max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        elif row.campaign == year:
            yield (year, row.code, row.label, row.tariff, row.effective_date)


def _coefficients(data: bytes, year: int, max_bytes: int) -> Iterator[tuple[Any, ...] | LineError]:
    rows = 0
    for row in supplement_loaders.read_coefficients(io.BytesIO(data), max_bytes=max_bytes):
        if isinstance(row, LineError):
            yield row
        elif row.campaign is None or row.campaign == year:
            rows += 1
            if rows > 1:
                yield LineError(None, None, "duplicate_row", f"more than one coefficient row for {year}")
            else:
                yield (year, row.prudential, row.geographic)


_Reader = Callable[[bytes, int, int], Iterator[tuple[Any, ...] | LineError]]
_READERS: Final[dict[NomenclatureKind, _Reader]] = {
    NomenclatureKind.CIM10: _cim10,
    NomenclatureKind.CCAM: _ccam,
    NomenclatureKind.GHM: _ghm,
    NomenclatureKind.CMD: _cmd,
    NomenclatureKind.GHS_TARIFFS: _ghs_tariffs,
    NomenclatureKind.GHM_DMS: _ghm_dms,
    NomenclatureKind.SUPPLEMENT_TARIFFS: _supplement_tariffs,
    NomenclatureKind.TARIFF_COEFFICIENTS: _coefficients,
}


def submit(
    session: Session, principal: Principal, *, kind: NomenclatureKind, year: int, data: bytes, source: str
) -> NomenclatureLoad:
    """POST /nomenclatures/{kind} and `dimqa nomenclature load`: `load` by `principal`, audited."""
    loaded = load(session, kind=kind, year=year, data=data, source=source, loaded_by=principal.name)
    audit_service.record(
        session, principal, action="write", object_type="nomenclature", object_ids=[f"{kind.value}:{year}"]
    )
    return loaded


def load(
    session: Session, *, kind: NomenclatureKind, year: int, data: bytes, source: str, loaded_by: str
) -> NomenclatureLoad:
    """Replace the rows of (kind, year) with the content of a CSV file (plain or gzip).

    All or nothing: a file with any unreadable row loads nothing and raises InvalidInput listing the
    first errors (line, column, reason), so a table never holds half a nomenclature. A file over
    `DIMQA_MAX_DECOMPRESSED_BYTES` once decompressed raises PayloadTooLarge (413), read no further."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    rows: list[tuple[Any, ...]] = []
    errors: list[LineError] = []
    error_count = 0
    try:
        for item in _READERS[kind](data, year, get_settings().max_decompressed_bytes):
            if isinstance(item, LineError):
                error_count += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append(item)
            else:
                rows.append(item)
    except (OSError, EOFError, zlib.error) as error:  # gzip magic bytes but not a gzip stream
        raise InvalidInput(f"the {kind.value} file cannot be decompressed: {error}") from None
    except csv.Error as error:
        raise InvalidInput(f"the {kind.value} file is not readable CSV: {error}") from None
    if error_count:
        raise InvalidInput(
            f"{error_count} unreadable row(s) in the {kind.value} file; nothing was loaded", errors=errors
        )
    if not rows:
        raise InvalidInput(f"the {kind.value} file has no row for {year}; nothing was loaded")
    if kind is NomenclatureKind.GHS_TARIFFS:
        # Valued tariffs and the GHS 9999 list come in separate files: each replaces its own part.
        unvalued = any(row[1] == tariffs.UNVALUED_GHS for row in rows)
        valued = any(row[1] != tariffs.UNVALUED_GHS for row in rows)
        count = repository.replace_ghs_tariffs(
            session, campaign=year, rows=rows, unvalued=unvalued, valued=valued
        )
    else:
        count = repository.replace_year(session, kind=kind.value, year=year, rows=rows)
    return repository.add_load(
        session,
        kind=kind.value,
        year=year,
        rows=count,
        source=source[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        loaded_by=loaded_by,
    )


def to_read(load: NomenclatureLoad) -> NomenclatureRead:
    return NomenclatureRead.model_validate(load, from_attributes=True)


def list_loaded(session: Session) -> list[NomenclatureRead]:
    """What is loaded now: the latest load of every (kind, year)."""
    return [to_read(load) for load in repository.list_loads(session)]


def generation(session: Session) -> int:
    """A number that changes whenever a nomenclature is loaded (cache key for the rules engine)."""
    return repository.generation(session)
