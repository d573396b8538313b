"""The references between rum_batch, rss_version and rum hold without row-level foreign keys
(migration 0008): statement-level triggers refuse what the foreign keys refused and cascade what
they cascaded."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.ingestion import service
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

PRINCIPAL = Principal(name="orbis", role=Role.INGEST, units=None)


def ingest(session: Session, *groups: Any) -> int:
    payload = ("\n".join(line for rss in groups for line in write_rss(rss)) + "\n").encode()
    batch, created = service.ingest_rss_file(session, io.BytesIO(payload), principal=PRINCIPAL, source="file")
    assert created
    session.flush()
    return batch.id


def count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def refused(session: Session, statement: str) -> str:
    """The message of the foreign key violation `statement` raises (inside a savepoint)."""
    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        session.execute(text(statement))
    assert raised.value.orig is not None and raised.value.orig.sqlstate == "23503"
    return str(raised.value.orig)


def test_rum_rows_must_name_an_existing_version(session: Session) -> None:
    ingest(session, make_rss(2, rss_number="1001"))
    message = refused(
        session,
        "INSERT INTO rum (rss_version_id, position, line, line_text, rum_number, unit, rss_exit_date, "
        "care_type, dp, dr, das, seances, acts) SELECT rss_version_id + 1000, position, line, line_text, "
        "rum_number, unit, rss_exit_date, care_type, dp, dr, das, seances, acts FROM rum",
    )
    assert "rum.rss_version_id names no rss_version" in message
    assert count(session, "rum") == 2


def test_versions_must_name_an_existing_batch(session: Session) -> None:
    ingest(session, make_rss(1, rss_number="1001"))
    message = refused(
        session,
        "INSERT INTO rss_version (id, rss_number, batch_id, is_current, content_hash, finess, stay_number, "
        "format, care_type, seances, rum_count, exit_unit) SELECT id + 1000, rss_number || 'x', "
        "batch_id + 1000, true, content_hash, finess, stay_number, format, care_type, seances, rum_count, "
        "exit_unit FROM rss_version",
    )
    assert "rss_version.batch_id names no rum_batch" in message


def test_deleting_a_version_deletes_its_rum_only(session: Session) -> None:
    ingest(session, make_rss(2, rss_number="1001"), make_rss(3, rss_number="1002"))
    session.execute(text("DELETE FROM rss_version WHERE rss_number = '1001'"))
    assert count(session, "rum") == 3
    assert session.execute(text("SELECT DISTINCT v.rss_number FROM rum r JOIN rss_version v "
                                "ON v.id = r.rss_version_id")).scalars().all() == ["1002"]  # fmt: skip


def test_a_batch_with_versions_cannot_be_deleted(session: Session) -> None:
    batch_id = ingest(session, make_rss(1, rss_number="1001"))
    message = refused(session, f"DELETE FROM rum_batch WHERE id = {batch_id}")
    assert "rum_batch still referenced by rss_version" in message
    session.execute(text("DELETE FROM rss_version"))
    session.execute(text(f"DELETE FROM rum_batch WHERE id = {batch_id}"))
    assert count(session, "rum_batch") == 0


def test_references_cannot_be_changed(session: Session) -> None:
    ingest(session, make_rss(1, rss_number="1001"), make_rss(1, rss_number="1002"))
    assert "rss_version_id cannot change" in refused(
        session, "UPDATE rum SET rss_version_id = rss_version_id + 1"
    )
    assert "id, batch_id cannot change" in refused(session, "UPDATE rss_version SET batch_id = batch_id + 1")
    # Superseding a version (what ingestion updates) is not affected.
    session.execute(text("UPDATE rss_version SET is_current = false, superseded_at = now()"))
    session.execute(text("UPDATE rum SET unit = unit"))
    assert count(session, "rss_version WHERE is_current") == 0


def seq_scans(session: Session, table: str) -> int:
    """Sequential scans of `table` by this transaction (pending statistics, PostgreSQL 15+)."""
    query = "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = :table"
    return int(session.execute(text(query), {"table": table}).scalar_one())


def add_versions(session: Session, batch_id: int, first: int, last: int) -> None:
    session.execute(
        text(
            "INSERT INTO rss_version (id, rss_number, batch_id, is_current, content_hash, finess, "
            "stay_number, format, care_type, seances, rum_count, exit_unit) "
            "SELECT g, 'n' || g, :batch, true, 'h', 'f', 's', '022', 'complete', 0, 1, 'U' "
            "FROM generate_series(CAST(:first AS bigint), :last) AS g"
        ),
        {"batch": batch_id, "first": first, "last": last},
    )


def add_rums(session: Session, first: int, last: int) -> None:
    session.execute(
        text(
            "INSERT INTO rum (rss_version_id, position, line, line_text, rum_number, unit, care_type, dp, "
            "dr, das, seances, acts) SELECT g, 0, 1, 'text', 'r', 'U', 'complete', 'J189', '', '{}', 0, '{}' "
            "FROM generate_series(CAST(:first AS bigint), :last) AS g"
        ),
        {"first": first, "last": last},
    )


def test_checks_are_planned_for_the_tables_as_they_are(session: Session) -> None:
    """Migration 0009: the check of a batch's first block, run while rss_version is small (its
    best plan then reads the whole table), does not keep that plan once the table is large: the
    COPY of every later block would read every version stored before it."""
    batch_id = ingest(session, make_rss(1, rss_number="1001"))
    session.execute(text("DISCARD PLANS"))  # the checks are planned anew on their next run
    add_versions(session, batch_id, 1_000_001, 1_007_000)  # a first block: 7,000 RSS and RUM
    add_rums(session, 1_000_001, 1_007_000)
    add_versions(session, batch_id, 1_007_001, 1_200_000)
    before = seq_scans(session, "rss_version")
    add_rums(session, 1_007_001, 1_007_050)
    assert seq_scans(session, "rss_version") == before
    assert count(session, "rum") == 1 + 7_000 + 50
