"""Reading what the RUM feed stored: batches (counts and line errors) and the current version of an
RSS, re-parsed from its stored lines (patient-level: audited, restricted to the caller's units)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.copying import copied
from app.core.pagination import id_cursor, next_page
from app.core.problems import NotFound
from app.ingestion import repository
from app.ingestion.models import RumBatch
from app.ingestion.parser import parse_line
from app.ingestion.records import Act, Rum, as_date, as_int
from app.ingestion.schemas import ActRead, RssRead, RssVersionRef, RumBatchPage, RumBatchRead, RumRead
from app.ingestion.service import to_read


def get_batch(session: Session, *, batch_id: int) -> RumBatchRead:
    batch = repository.get_batch(session, RumBatch, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"No RUM batch {batch_id}.")
    return to_read(batch)


def list_batches(session: Session, *, cursor: str | None, limit: int) -> RumBatchPage:
    """One page of batches, newest first, and the cursor of the next page (None at the end)."""
    rows = repository.list_batches(session, RumBatch, before_id=id_cursor(cursor), limit=limit + 1)
    page, next_cursor = next_page(rows, limit)
    return RumBatchPage(items=[to_read(b) for b in page], next_cursor=next_cursor)


def read_rss(session: Session, principal: Principal, *, rss_number: str) -> RssRead:
    number = rss_number.rstrip()
    version = repository.get_current_version(session, rss_number=number)
    rums = repository.rums_of(session, version_id=version.id) if version is not None else []
    # A token restricted to units reads the RUMs of its units only (the others' DP, acts... are
    # withheld); an RSS with none of them does not exist for it.
    visible = [rum for rum in rums if principal.sees_unit(rum.unit)]
    if version is None or not visible:
        raise NotFound(f"No RSS {number!r}.")
    audit_service.record(
        session, principal, action="read", object_type="rss", object_ids=[number],
        units=[rum.unit for rum in visible],
    )  # fmt: skip
    records = [parse_line(rum.line_text.encode("utf-8"), rum.line) for rum in visible]
    return copied(
        RssRead,
        version,
        rums=[_rum_read(record) for record in records if isinstance(record, Rum)],
        rums_withheld=len(rums) - len(visible),
        versions=[copied(RssVersionRef, v) for v in repository.list_versions(session, rss_number=number)],
        # Priced by the router (medeco), which needs the stored RSA.
        valuation=None,
        not_valued_reason=None,
    )


_RUM_READ_FIELDS = frozenset(RumRead.model_fields) | {"line", "version", "grouped", "extra", "acts"}


def _rum_read(rum: Rum) -> RumRead:
    other = {name: getattr(rum, name) for name in Rum.__dataclass_fields__ if name not in _RUM_READ_FIELDS}
    other.update(rum.extra)
    return copied(
        RumRead,
        rum,
        entry_date=as_date(rum.entry_date),
        exit_date=as_date(rum.exit_date),
        birth_date=as_date(rum.birth_date),
        seances=as_int(rum.seances),
        gestational_age=as_int(rum.gestational_age),
        newborn_weight=as_int(rum.newborn_weight),
        acts=[_act_read(act) for act in rum.acts],
        format=rum.format_code,
        fields=other,
    )


def _act_read(act: Act) -> ActRead:
    return copied(ActRead, act, date=as_date(act.date), count=as_int(act.count))


def failed_batches(session: Session, *, since: datetime | None, until: datetime | None) -> int:
    """How many RUM batches received in [since, until) had RSS rejected (statuses `rejected` and
    `partial`): what the alerts call ingestion failures."""
    return repository.count_failed_batches(session, since=since, until=until)
