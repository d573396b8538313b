"""The audit trail: every patient-level read and every write, with the caller's token name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy.orm import Session

from app.audit import repository
from app.audit.models import AuditLog
from app.audit.schemas import AuditEntry, AuditFilter
from app.auth.schemas import Principal
from app.core import origin
from app.core.dates import check_order
from app.core.logging import request_id_var
from app.core.pagination import id_cursor, next_page


def record(
    session: Session,
    principal: Principal,
    *,
    action: Literal["read", "write"],
    object_type: str,
    object_ids: Sequence[str | int] = (),
    units: Iterable[str | None] | None = None,
) -> None:
    """Add an audit entry in the caller's transaction, so it commits with the work it describes.

    Written by the services (tests/core/test_architecture.py keeps it so), with the method and
    endpoint of the request being served or the CLI command running (`app.core.origin`).

    `units`: the UMs whose data was read or written, for the audit log of tokens restricted to
    units; None (the default) when the entry cannot be tied to units, and as soon as one of them
    is unknown (None in `units`): such an entry is only shown to unrestricted admins."""
    stored_units = _units(units)
    method, endpoint = origin.current()
    repository.add(
        session,
        AuditEntry(
            token_name=principal.name,
            role=principal.role.value,
            action=action,
            method=method,
            endpoint=endpoint,
            object_type=object_type,
            object_ids=[str(i) for i in object_ids],
            units=stored_units,
            request_id=request_id_var.get(),
        ),
    )


def _units(units: Iterable[str | None] | None) -> list[str] | None:
    if units is None:
        return None
    distinct = set(units)
    if None in distinct:
        return None
    return sorted(unit for unit in distinct if unit is not None)


def list_entries(
    session: Session, principal: Principal, where: AuditFilter, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[AuditLog], str | None]:
    """One page of the log as `principal` may read it: a token restricted to units sees only the
    entries about its units (`record`'s `units` non-empty and all among its own), so it never reads
    another unit's stay or RSS numbers, nor hospital-wide entries."""
    since, until = where.since, where.until
    # A naive time is the database session's zone: only times of the same kind are compared here.
    if since is not None and until is not None and (since.tzinfo is None) == (until.tzinfo is None):
        check_order(since, until, first="since", last="until")
    rows = repository.list_entries(
        session, where, before_id=id_cursor(cursor), limit=limit + 1, within_units=principal.units
    )
    return next_page(rows, limit)
