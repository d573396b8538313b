"""Test helper: store RSS versions the way ingestion does (minimal columns), so the rules service and
API tests do not depend on the ingestion service. Lines are written with the real writer, so a
validation run re-parses exactly what a batch would have stored."""

from __future__ import annotations

import hashlib
import itertools

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.ingestion.models import RssVersion, RumBatch
from app.ingestion.models import Rum as RumRow
from app.ingestion.records import Rss, as_date
from app.ingestion.writer import write_rss
from app.rules import service
from app.rules.service import FindingCounts

_batch_numbers = itertools.count(1)


def new_batch(session: Session) -> int:
    batch = RumBatch(
        content_sha256=hashlib.sha256(f"batch-{next(_batch_numbers)}-{id(session)}".encode()).hexdigest(),
        source="file",
        token_name="test",
        status="done",
    )
    session.add(batch)
    session.flush()
    return batch.id


def store_rss(session: Session, rss: Rss, *, batch_id: int | None = None) -> tuple[int, int | None]:
    """Store `rss` as the current version of its number; returns (new id, superseded id or None)."""
    batch_id = batch_id or new_batch(session)
    lines = write_rss(rss)
    previous = session.scalar(
        select(RssVersion.id).where(RssVersion.rss_number == rss.rss_number, RssVersion.is_current)
    )
    if previous is not None:
        session.execute(update(RssVersion).where(RssVersion.id == previous).values(is_current=False))
        session.flush()
    version = RssVersion(
        rss_number=rss.rss_number,
        batch_id=batch_id,
        is_current=True,
        content_hash=hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        finess=rss.first.finess,
        stay_number=rss.first.admin_number,
        format=rss.first.format_code,
        entry_date=rss.entry_date,
        exit_date=rss.exit_date,
        care_type=rss.care_type,
        ghm=rss.ghm or None,
        seances=rss.seances,
        rum_count=len(rss.rums),
        exit_unit=rss.last.unit,
    )
    session.add(version)
    session.flush()
    for position, (rum, line_text) in enumerate(zip(rss.rums, lines, strict=True)):
        session.add(
            RumRow(
                rss_version_id=version.id,
                position=position,
                line=rum.line,
                line_text=line_text,
                rum_number=rum.rum_number,
                unit=rum.unit,
                entry_date=as_date(rum.entry_date),
                exit_date=as_date(rum.exit_date),
                rss_exit_date=rss.exit_date,
                care_type=rss.care_type,
                dp=rum.dp,
                dr=rum.dr,
                das=list(rum.das),
                seances=0,
                acts=[act.code for act in rum.acts],
            )
        )
    session.flush()
    return version.id, previous


def with_dp(rss: Rss, *dps: str) -> Rss:
    """`rss` with these DPs on its RUMs, in order."""
    for rum, dp in zip(rss.rums, dps, strict=True):
        rum.dp = dp
    return rss


def ingest(session: Session, rss: Rss) -> FindingCounts:
    """What the ingestion service does for one RSS: store the version, then check it."""
    version_id, previous = store_rss(session, rss)
    superseded = {rss.rss_number: previous} if previous is not None else {}
    checked = service.check(service.load_context(session), [(version_id, rss)])
    return service.store_findings(session, checked, superseded=superseded)
