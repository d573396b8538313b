"""The storage's per-block queries (app.ingestion.repository): version ids drawn as one range, the
current versions looked up by one text parameter, whatever characters an N° de RSS holds."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.core.bulk import driver_connection
from app.ingestion import repository, service
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

PRINCIPAL = Principal(name="orbis", role=Role.INGEST, units=None)
# Characters an array literal or a COPY row would have to quote or escape.
ODD_NUMBERS = ("X,1", 'Y"2', "Z\\3", "W{4}", "NULL", "a b")


def ingest(session: Session, *groups: Any) -> Any:
    payload = ("\n".join(line for rss in groups for line in write_rss(rss)) + "\n").encode()
    batch, _created = service.ingest_rss_file(
        session, io.BytesIO(payload), principal=PRINCIPAL, source="file"
    )
    session.flush()
    return batch


def test_version_ids_are_one_consecutive_range_per_draw(session: Session) -> None:
    conn = driver_connection(session)
    first = repository.allocate_version_ids(conn, count=7000)
    second = repository.allocate_version_ids(conn, count=3)
    assert isinstance(first, range) and len(first) == 7000
    assert list(second) == [first[-1] + 1, first[-1] + 2, first[-1] + 3]
    assert list(repository.allocate_version_ids(conn, count=0)) == []


def test_version_ids_not_consecutive_are_drawn_one_by_one(session: Session) -> None:
    # Another session drawing meanwhile leaves holes; a step of 2 makes every draw such a case.
    session.execute(text("ALTER SEQUENCE rss_version_id_seq INCREMENT BY 2"))
    conn = driver_connection(session)
    try:
        ids = repository.allocate_version_ids(conn, count=5)
    finally:
        session.execute(text("ALTER SEQUENCE rss_version_id_seq INCREMENT BY 1"))
    assert not isinstance(ids, range)
    assert len(ids) == 5
    assert all(after - before == 2 for before, after in zip(ids, ids[1:], strict=False))


def test_current_versions_of_numbers_that_need_quoting(session: Session) -> None:
    groups = [make_rss(1, rss_number=number) for number in ODD_NUMBERS]
    batch = ingest(session, *groups)
    assert batch.rss_accepted == len(ODD_NUMBERS) and batch.rss_rejected == 0
    conn = driver_connection(session)
    found = repository.current_versions(conn, rss_numbers=[*ODD_NUMBERS, "X", "1", "unknown"])
    assert sorted(found) == sorted(ODD_NUMBERS)
    stored: dict[str, str] = dict(
        session.execute(text("SELECT rss_number, content_hash FROM rss_version")).tuples().all()
    )
    assert {number: digest for number, (_id, digest) in found.items()} == stored
    assert repository.current_versions(conn, rss_numbers=[]) == {}
    # Sent again: every RSS is found unchanged, nothing new is stored.
    again = ingest(session, *[make_rss(1, rss_number=number) for number in reversed(ODD_NUMBERS)])
    assert (again.rss_accepted, again.rss_unchanged) == (len(ODD_NUMBERS), len(ODD_NUMBERS))
    assert session.execute(text("SELECT count(*) FROM rss_version")).scalar_one() == len(ODD_NUMBERS)
