"""Blocks of whole RSS (app.ingestion.blocks) and the worker processes that handle them
(app.ingestion.workers): the batch they store is the one a single thread stores, row for row."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.core.config import get_settings
from app.core.problems import ServiceUnavailable
from app.ingestion import blocks, service, workers
from app.ingestion.parser import MAX_LINE_BYTES, iter_lines
from app.ingestion.writer import write_rss
from app.rules.engine import RuleContext
from tests.fixtures.live import wait_until
from tests.ingestion.builders import make_act, make_rss

PRINCIPAL = Principal(name="orbis", role=Role.INGEST, units=None)


def lines_of(*groups: Any) -> list[str]:
    return [line for rss in groups for line in write_rss(rss)]


def numbered(block: list[tuple[int, bytes]]) -> list[int]:
    return [number for number, _ in block]


def test_blocks_hold_every_line_once_and_never_cut_an_rss() -> None:
    groups = [make_rss(1 + k % 4, rss_number=f"{1000 + k}") for k in range(40)]
    body = ("\n".join(lines_of(*groups)) + "\n").encode()
    found = list(blocks.iter_blocks(io.BytesIO(body), block_bytes=900))  # about three lines each
    assert len(found) > 10
    assert [number for block in found for number in numbered(block)] == list(range(1, 101))
    # Where one block ends and the next starts, the N° de RSS changes.
    for before, after in zip(found, found[1:], strict=False):
        assert before[-1][1][12:32] != after[0][1][12:32]
    assert sum(len(block) for block in found) == sum(len(rss.rums) for rss in groups)


def test_blocks_keep_line_numbers_of_blank_lines_crlf_and_broken_lines() -> None:
    body = "\r\n".join([lines_of(make_rss(1, rss_number="1001"))[0], "", "garbage", "   "]).encode()
    body += b"\r\n" + ("x" * (MAX_LINE_BYTES + 50)).encode() + b"\n"
    found = [line for block in blocks.iter_blocks(io.BytesIO(body), block_bytes=1) for line in block]
    assert found == list(iter_lines(io.BytesIO(body)))
    assert [number for number, _ in found] == [1, 3, 5]
    assert len(found[2][1]) == MAX_LINE_BYTES + 1  # cut as the parser cuts it


def test_a_line_cut_in_its_rss_number_stays_in_the_block_of_the_rss_before_it() -> None:
    # The block is full at the cut line: cut there, its RSS would be processed without it.
    lines = lines_of(make_rss(2, rss_number="3001"))
    body = ("\n".join([*lines, lines[1][:25], *lines_of(make_rss(1, rss_number="3002"))]) + "\n").encode()
    found = [numbered(block) for block in blocks.iter_blocks(io.BytesIO(body), block_bytes=1)]
    assert found == [[1, 2, 3], [4]]
    (first, _second) = blocks.iter_blocks(io.BytesIO(body), block_bytes=1)
    result = blocks.process_block(first, 7, RuleContext(), range(10, 13))
    assert (result.rss_numbers, result.accepted) == (["3001"], 0)


def test_a_block_renders_rows_and_findings_of_its_accepted_rss_only() -> None:
    broken = lines_of(make_rss(2, rss_number="2002"))
    broken[1] = broken[1][:-3]  # truncated: the whole RSS 2002 is rejected
    late_act = make_rss(1, rss_number="2003", acts=[make_act(date="01012030")])
    body = (
        "\n".join([*lines_of(make_rss(1, rss_number="2001")), *broken, *lines_of(late_act)]) + "\n"
    ).encode()
    (block,) = blocks.iter_blocks(io.BytesIO(body))
    result = blocks.process_block(block, 7, RuleContext(), range(50, 55))
    assert result.rss_numbers == ["2001", "2002", "2003"]
    assert (list(result.first_lines), list(result.line_counts)) == ([1, 2, 4], [1, 2, 1])
    assert [(error.line, error.code) for error in result.errors[1]] == [(3, "line_length")]
    assert list(result.errors) == [1]  # only the rejected group
    # The accepted groups, in file order, take the block's first ids.
    assert result.accepted == 2 and list(result.rum_counts) == [1, 1]
    versions = result.version_rows.splitlines(keepends=True)
    assert [row.split("\t")[:4] for row in versions] == [["50", "2001", "7", "t"], ["51", "2003", "7", "t"]]
    assert list(result.version_ends) == [len(versions[0]), len(versions[0]) + len(versions[1])]
    rums = result.rum_rows.splitlines(keepends=True)
    assert [row.split("\t")[:3] for row in rums] == [["50", "0", "1"], ["51", "0", "4"]]
    assert list(result.rum_ends) == [len(rums[0]), len(rums[0]) + len(rums[1])]
    assert result.content_hash(1) == hashlib.sha256(lines_of(late_act)[0].encode()).hexdigest()
    assert (result.formats, result.format_counts) == ("022022", {"022": 2})
    assert list(result.findings) == [1]  # 2001 has nothing to report
    assert "C102" in {finding.rule_code for finding in result.findings[1].findings}
    assert {"C067", "C100"} <= result.skipped_rules  # no nomenclature, no fichier d'UM


def test_a_block_needs_an_id_per_line() -> None:
    (block,) = blocks.iter_blocks(io.BytesIO(("\n".join(lines_of(make_rss(2))) + "\n").encode()))
    with pytest.raises(ValueError):
        blocks.process_block(block, 7, RuleContext(), range(1))


@pytest.fixture()
def two_workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every file, however small, to two worker processes, in blocks of a few lines."""
    monkeypatch.setenv("DIMQA_INGEST_WORKERS", "2")
    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 0)
    counting_blocks(monkeypatch)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 2000)
    get_settings.cache_clear()
    BLOCKS_SEEN.clear()
    yield
    assert BLOCKS_SEEN and min(BLOCKS_SEEN) >= 2  # every file in several blocks: several tasks
    get_settings.cache_clear()
    workers.shutdown()


BLOCKS_SEEN: list[int] = []


def counting_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    def iter_blocks(*args: Any) -> Iterator[list[tuple[int, bytes]]]:
        BLOCKS_SEEN.append(0)
        for block in blocks.iter_blocks(*args):
            BLOCKS_SEEN[-1] += 1
            yield block

    monkeypatch.setattr(service, "iter_blocks", iter_blocks)


def stored(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            text(
                "SELECT v.rss_number, v.is_current, v.content_hash, v.care_type, v.seances, r.position, "
                "r.line, r.line_text, r.unit, r.das, r.acts FROM rss_version v "
                "JOIN rum r ON r.rss_version_id = v.id ORDER BY v.id, r.position"
            )
        )
    ]


def findings(session: Session) -> list[tuple[Any, ...]]:
    query = (
        "SELECT rss_number, rule_code, rum_index, field, value, message, unit FROM rule_finding ORDER BY id"
    )
    return [tuple(row) for row in session.execute(text(query))]


def ingest_twice(session: Session) -> tuple[list[Any], list[Any], list[Any]]:
    """A first file, then a second one superseding part of it, with errors and duplicates."""
    first = [make_rss(1 + k % 3, rss_number=f"{3000 + k}") for k in range(30)]
    second = [
        *[make_rss(2, rss_number=f"{3000 + k}", dp="Z511") for k in range(0, 30, 3)],  # new versions
        *first[1:30:3],  # unchanged
        make_rss(1, rss_number="3001"),  # 3001 again, another content: both groups rejected
        make_rss(1, rss_number="3100", acts=[make_act(date="01012030")]),
    ]
    broken = lines_of(make_rss(2, rss_number="3200"))
    broken[0] = broken[0][:50]
    results = []
    for groups, extra in ((first, []), (second, broken)):
        body = ("\n".join([*lines_of(*groups), *extra]) + "\n").encode()
        batch, created = service.ingest_rss_file(
            session, io.BytesIO(body), principal=PRINCIPAL, source="file"
        )
        assert created
        results.append(batch.model_dump(exclude={"id", "received_at"}))
    return results, stored(session), findings(session)


def test_worker_processes_store_what_one_thread_stores(session: Session, two_workers: None) -> None:
    in_workers = ingest_twice(session)
    session.rollback()
    workers.shutdown()
    get_settings.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIMQA_INGEST_WORKERS", "0")
        get_settings.cache_clear()
        in_thread = ingest_twice(session)
    assert in_workers == in_thread
    batches, rows, found = in_workers
    assert [(b["rss_accepted"], b["rss_unchanged"], b["rss_rejected"]) for b in batches] == [
        (30, 0, 0),
        (20, 9, 3),
    ]
    assert {(error["code"], error["fg_code"]) for error in batches[1]["errors"]} == {
        ("split_rss", None),
        ("line_length", "C059"),  # the FG code crosses the process boundary with its error
    }
    # 10 new versions of 2 RUM, 9 unchanged RSS of 2 RUM (3004, 3007, ...), 3100: counted from the
    # blocks' format codes of the RSS admitted, not of every accepted one (3001 is out, twice).
    assert (batches[1]["rum_accepted"], batches[1]["formats"]) == (39, {"022": 39})
    assert len(rows) == 60 + 20 + 1  # RUM of the first file, of the 10 new versions, of 3100
    assert ("3100", "C102") in {(rss, code) for rss, code, *_ in found}


SUMMARY_TABLES = ("activity_rss_day", "activity_rss_month", "activity_rum_day", "activity_rum_month")


def summaries(session: Session, *, counts_only: bool = False) -> list[list[tuple[Any, ...]]]:
    """The four summary tables; `counts_only`: without the RUM exit-date bounds (which only widen
    when a version is superseded) and without the groups left at zero (a rebuild drops them)."""
    tables = []
    for table in SUMMARY_TABLES:
        rows = [tuple(row) for row in session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4"))]
        if counts_only and table.startswith("activity_rum"):
            rows = [row[:4] for row in rows if row[3]]
        elif counts_only:
            rows = [row for row in rows if row[-2] or row[-1]]
        tables.append(rows)
    return tables


@pytest.mark.parametrize("mode", ["0", "2"])
def test_summaries_added_from_the_blocks_equal_a_rebuild(
    session: Session, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A batch storing every accepted RSS adds the blocks' own summary deltas (no SQL pass); one
    leaving some out (unchanged, duplicate) falls back to the SQL pass; both equal a rebuild."""
    monkeypatch.setenv("DIMQA_INGEST_WORKERS", mode)
    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 2000)
    get_settings.cache_clear()
    sql_passes: list[int] = []
    add_batch_activity = service.repository.add_batch_activity
    monkeypatch.setattr(
        service.repository,
        "add_batch_activity",
        lambda session, *, batch_id: (
            sql_passes.append(batch_id) or add_batch_activity(session, batch_id=batch_id)
        ),
    )
    try:
        seances = make_rss(
            1, rss_number="5999", grouped=True, ghm="28Z07Z", seances="03", dp="Z511", dr="C509"
        )
        undated = make_rss(1, rss_number="5998", exit_date="", entry_date="")
        first = [make_rss(1 + k % 3, rss_number=f"{5000 + k}", unit=str(7000 + k % 4)) for k in range(30)]
        body = ("\n".join(lines_of(*first, seances, undated)) + "\n").encode()
        service.ingest_rss_file(session, io.BytesIO(body), principal=PRINCIPAL, source="file")
        assert sql_passes == []
        incremental = summaries(session)
        session.execute(text("SELECT activity_summary_rebuild()"))
        assert summaries(session) == incremental
        assert sum(row[4] for row in incremental[0]) == 31  # RSS with an exit date, in activity_rss_day
        second = [make_rss(2, rss_number=f"{5000 + k}", dp="Z511") for k in range(0, 30, 2)] + first[1:30:2]
        body = ("\n".join(lines_of(*second)) + "\n").encode()
        batch, _ = service.ingest_rss_file(session, io.BytesIO(body), principal=PRINCIPAL, source="file")
        assert batch.rss_unchanged == 15 and len(sql_passes) == 1
        incremental = summaries(session, counts_only=True)
        session.execute(text("SELECT activity_summary_rebuild()"))
        assert summaries(session, counts_only=True) == incremental
    finally:
        get_settings.cache_clear()
        workers.shutdown()


def test_dead_workers_are_replaced_by_the_next_batch(session: Session, two_workers: None) -> None:
    body = ("\n".join(lines_of(*[make_rss(1, rss_number=f"{4000 + k}") for k in range(20)])) + "\n").encode()
    pool = workers.pool(2)
    assert pool.submit(int, "1").result() == 1  # the workers are up
    for process in list(pool._processes.values()):
        process.kill()
        process.join()
    with pytest.raises(BrokenProcessPool):
        pool.submit(int, "1").result()
    batch, created = service.ingest_rss_file(session, io.BytesIO(body), principal=PRINCIPAL, source="file")
    assert created and batch.rss_accepted == 20
    assert workers.pool(2) is not pool


def _killed(*_task: object) -> None:
    os._exit(9)  # the worker killed while it holds a block (the OOM killer, an operator)


def test_a_worker_killed_during_a_batch_is_a_503_and_the_batch_can_be_sent_again(
    session: Session, two_workers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = ("\n".join(lines_of(*[make_rss(1, rss_number=f"{5000 + k}") for k in range(20)])) + "\n").encode()
    process = workers.process
    monkeypatch.setattr(workers, "process", _killed)
    with pytest.raises(ServiceUnavailable) as refused:  # was a RuntimeError: a 500 "unexpected error"
        service.ingest_rss_file(session, io.BytesIO(body), principal=PRINCIPAL, source="file")
    assert (refused.value.status, refused.value.slug, refused.value.headers) == (
        503, "service-unavailable", {"Retry-After": "5"},
    )  # fmt: skip
    assert refused.value.detail == (
        "An ingestion worker process stopped (killed, out of memory?) while this batch was processed: "
        "nothing was stored; send the batch again."
    )
    session.rollback()  # as the request's session does
    monkeypatch.setattr(workers, "process", process)
    batch, created = service.ingest_rss_file(session, io.BytesIO(body), principal=PRINCIPAL, source="file")
    assert created and batch.rss_accepted == 20


def test_start_brings_up_every_worker_before_any_batch() -> None:
    workers.shutdown()
    try:
        workers.start(2)
        processes = list(workers.pool(2)._processes.values())
        assert len(processes) == 2 and all(process.is_alive() for process in processes)
    finally:
        workers.shutdown()


def test_workers_leave_when_their_server_is_killed() -> None:
    """A server killed outright (SIGKILL) runs no shutdown: its workers must not outlive it."""
    script = (
        "import os, sys, time\n"
        "from app.ingestion import workers\n"
        "pool = workers.pool(2)\n"
        "pids = {pool.submit(os.getpid).result() for _ in range(20)}\n"
        "print(' '.join(map(str, pids)), flush=True)\n"
        "time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        pids = [int(pid) for pid in server.stdout.readline().split()]
        assert pids and all(psutil.pid_exists(pid) for pid in pids)
    finally:
        server.kill()
        server.wait(timeout=10)
    wait_until(lambda: not any(psutil.pid_exists(pid) for pid in pids), timeout=15)
