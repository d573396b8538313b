"""Concurrent batches: a duplicate upload answers the first one's batch, overlapping batches chain
their versions; never an integrity error."""

from __future__ import annotations

import io
import threading
from typing import Any

from sqlalchemy import text

from app.auth.schemas import Principal, Role
from app.core import db
from app.ingestion import service
from app.ingestion.schemas import RumBatchRead
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

PRINCIPAL = Principal(name="orbis", role=Role.INGEST, units=None)


def body(*groups: Any) -> bytes:
    return ("\n".join(line for rss in groups for line in write_rss(rss)) + "\n").encode()


def ingest_together(*bodies: bytes) -> list[tuple[RumBatchRead, bool]]:
    """Each body in its own thread and transaction, all started at once."""
    start = threading.Barrier(len(bodies))
    results: list[tuple[RumBatchRead, bool] | BaseException] = [RuntimeError("not run")] * len(bodies)

    def run(index: int) -> None:
        try:
            with db.new_session() as session, session.begin():
                start.wait()
                results[index] = service.ingest_rss_file(
                    session, io.BytesIO(bodies[index]), principal=PRINCIPAL, source="file"
                )
        except BaseException as error:  # re-raised in the test thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def test_same_body_twice_at_once_stores_one_batch(clean_db: Any, session: Any) -> None:
    payload = body(make_rss(2, rss_number="1001"), make_rss(1, rss_number="1002"))
    (first, first_created), (second, second_created) = ingest_together(payload, payload)
    assert sorted([first_created, second_created]) == [False, True]
    assert first.id == second.id
    assert session.execute(text("SELECT count(*) FROM rum")).scalar_one() == 3


def test_overlapping_batches_at_once_chain_versions(clean_db: Any, session: Any) -> None:
    a = body(make_rss(1, rss_number="2001", dp="J189"), make_rss(1, rss_number="2002"))
    b = body(make_rss(1, rss_number="2001", dp="J159"), make_rss(1, rss_number="2003"))
    results = ingest_together(a, b)
    assert [created for _batch, created in results] == [True, True]
    versions = session.execute(
        text("SELECT batch_id, is_current FROM rss_version WHERE rss_number = '2001' ORDER BY id")
    ).all()
    assert [current for _batch_id, current in versions] == [False, True]
    assert session.execute(text("SELECT count(*) FROM rss_version WHERE is_current")).scalar_one() == 3
