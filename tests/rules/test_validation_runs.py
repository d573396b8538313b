"""Validation runs one at a time, and an open finding once per location, whatever runs at once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import db
from app.core.problems import Conflict
from app.rules import repository, service
from app.rules.models import Finding
from app.rules.schemas import ValidationRunResult
from tests.ingestion.builders import make_rss
from tests.rules.storage import ingest, with_dp
from tests.rules.test_service import load_cim

STAYS = 30  # each with two unknown DPs (C067) once the CIM-10 is loaded: 60 findings


def _stays_then_nomenclature(session: Session) -> None:
    """RSS stored while no CIM-10 is loaded (C067 skipped), then the CIM-10: a run opens 60."""
    for number in range(STAYS):
        ingest(session, with_dp(make_rss(2, rss_number=f"{number + 1}"), "X999", "X998"))
    load_cim(session)
    session.commit()


def _open_locations(session: Session) -> Counter[tuple[Any, ...]]:
    rows = session.execute(
        select(
            Finding.rss_version_id, Finding.rule_code, Finding.rum_index, Finding.field, Finding.value
        ).where(Finding.closed_at.is_(None))
    )
    return Counter(tuple(row) for row in rows)


def _parallel_runs(count: int) -> list[ValidationRunResult | Conflict]:
    """`count` runs started at the same instant, each in its own thread, session and transaction."""
    start = threading.Barrier(count)
    results: list[ValidationRunResult | Conflict] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        with db.new_session() as session:
            start.wait()
            try:
                result: ValidationRunResult | Conflict = service.run_validation(
                    session, started_by=f"run-{index}"
                )
                session.commit()
            except Conflict as refused:
                session.rollback()
                result = refused
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == count
    return results


def test_parallel_runs_open_each_finding_once(session: Session) -> None:
    _stays_then_nomenclature(session)

    results = _parallel_runs(3)

    done = [r for r in results if isinstance(r, ValidationRunResult)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) + len(refused) == 3 and done
    assert sum(r.findings_opened for r in done) == 2 * STAYS
    assert all(r.findings_closed == 0 for r in done)
    locations = _open_locations(session)
    assert (len(locations), max(locations.values())) == (2 * STAYS, 1)
    for conflict in refused:
        assert conflict.status == 409
        assert "A validation run is already running (started by 'run-" in conflict.detail

    # Once they are over, a run finds everything in place.
    again = service.run_validation(session, started_by="after")
    assert (again.findings_opened, again.findings_closed, again.findings_unchanged) == (0, 0, 2 * STAYS)


def test_a_run_while_one_runs_is_a_409_naming_it(
    client: Any, auth_headers: Any, session: Session, clean_db: Engine
) -> None:
    _stays_then_nomenclature(session)
    dim = auth_headers("dim", name="dr-second")
    with db.new_session() as running:
        first = service.run_validation(running, started_by="dr-first")  # its transaction still open
        assert first.findings_opened == 2 * STAYS

        refused = client.post("/api/v1/validation-runs", headers=dim)
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["type"].endswith("/conflict")
        assert body["detail"].startswith("A validation run is already running (started by 'dr-first' since ")
        running.commit()

    done = client.post("/api/v1/validation-runs", headers=dim)
    assert done.status_code == 200, done.text
    assert (done.json()["findings_opened"], done.json()["findings_unchanged"]) == (0, 2 * STAYS)
    assert session.scalar(select(func.count()).select_from(Finding)) == 2 * STAYS


def test_a_token_restricted_to_units_cannot_rescan_the_hospital(client: Any, auth_headers: Any) -> None:
    for role in ("dim", "admin"):
        refused = client.post("/api/v1/validation-runs", headers=auth_headers(role, units=["7500"]))
        assert refused.status_code == 403, role
        assert (
            refused.json()["detail"] == "A token restricted to units may not do this (it needs every unit)."
        )
    assert client.post("/api/v1/validation-runs", headers=auth_headers("dim")).status_code == 200


def test_the_schema_refuses_a_second_open_finding_at_one_location(session: Session) -> None:
    ingest(session, with_dp(make_rss(1, rss_number="1"), "X999"))
    load_cim(session)
    service.run_validation(session)
    [finding] = session.scalars(select(Finding).where(Finding.closed_at.is_(None)))
    row = (
        finding.rss_version_id, finding.rss_number, finding.rule_code, finding.severity, finding.rum_number,
        finding.rum_index, finding.field, finding.value, finding.message, finding.unit, finding.rss_exit_date,
    )  # fmt: skip
    # Another writer opening it again (an ingestion racing a run): nothing opened.
    assert repository.insert_findings(session, [row, row]) == 0
    # Even written by hand, past the repository: the partial unique index refuses it.
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError, match="uq_rule_finding_open_location"):
        session.execute(
            text(
                "INSERT INTO rule_finding (rss_version_id, rss_number, rule_code, severity, rum_index, "
                "field, value, message, unit) SELECT rss_version_id, rss_number, rule_code, severity, "
                "rum_index, field, value, message, unit FROM rule_finding WHERE id = :id"
            ),
            {"id": finding.id},
        )
    savepoint.rollback()
    # Closed findings are history: any number at one location.
    session.execute(text("UPDATE rule_finding SET closed_at = now()"))
    assert repository.insert_findings(session, [row]) == 1
