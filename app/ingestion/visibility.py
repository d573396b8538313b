"""What a caller may see of a RUM batch read back (GET /rum-batches, GET /rum-batches/{id}).

A batch is one file of the whole hospital: its counts, formats and line errors describe the file,
not a patient. As for RHS batches, any role reads a batch by id (a feed reads back what its POST
created) and dim and admin browse the list. Only the `rss_number` of a line error identifies a
stay, so it is kept for the callers who may read that RSS (`GET /rss/{n}`):
- ingest and reader never get it (null);
- dim and admin get it, but a token restricted to units only for the RSS whose current version has
  a RUM in one of its units. The units of a rejected RSS are not stored, so an RSS that was never
  accepted is named only to unrestricted tokens.
The error itself (line, field, code, message) stays: messages never hold patient values
(app.core.line_errors), and the unit DIM still sees what is wrong in the file.

A read that names RSS numbers is a patient-level read: `shown_to` writes its audit entry (as
`GET /rss/{n}` and `GET /findings` do), with the RSS numbers named and their units.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import PATIENT_READERS, Principal
from app.ingestion import repository
from app.ingestion.schemas import RumBatchRead


def shown_to(session: Session, principal: Principal, batches: list[RumBatchRead]) -> list[RumBatchRead]:
    """`batches` as `principal` may see them (`for_caller`), their read audited (`_record_read`)."""
    shown = for_caller(session, principal, batches)
    _record_read(session, principal, shown)
    return shown


def for_caller(session: Session, principal: Principal, batches: list[RumBatchRead]) -> list[RumBatchRead]:
    """`batches` as `principal` may see them: error RSS numbers it may not read set to null."""
    if principal.role in PATIENT_READERS and principal.units is None:
        return batches
    named = {e.rss_number for b in batches for e in b.errors if e.rss_number is not None}
    if not named:
        return batches
    visible: set[str] = set()
    if principal.role in PATIENT_READERS and principal.units is not None:
        visible = repository.current_rss_in_units(session, rss_numbers=sorted(named), units=principal.units)
    return [_redacted(batch, visible) for batch in batches]


def _redacted(batch: RumBatchRead, visible: set[str]) -> RumBatchRead:
    errors = [
        e if e.rss_number is None or e.rss_number in visible else e.model_copy(update={"rss_number": None})
        for e in batch.errors
    ]
    return batch.model_copy(update={"errors": errors})


def _record_read(session: Session, principal: Principal, batches: list[RumBatchRead]) -> None:
    """Audit a read of `batches` (as returned to `principal`) when it names RSS numbers.

    The entry's units are those of the named RSS's current versions (for a token restricted to
    units, those of them in its units: the RSS it may read); an RSS never accepted has no known
    unit, which leaves the entry without units (shown to unrestricted admins only)."""
    named = list(dict.fromkeys(e.rss_number for b in batches for e in b.errors if e.rss_number is not None))
    if not named:
        return
    current = repository.current_units_of(session, rss_numbers=named)
    units: list[str | None] = []
    for number in named:
        found = current.get(number)
        if found is None:
            units.append(None)
        else:
            units.extend(unit for unit in found if principal.sees_unit(unit))
    audit_service.record(session, principal, action="read", object_type="rss", object_ids=named, units=units)
