"""The request bounds of `dimqa serve` (app.core.dbwaits) on a running server: the statement bound,
and the long bound of the routes doing long work."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app.core import db, dbwaits


@pytest.fixture()
def bounded(clean_db: Engine) -> Iterator[dbwaits.Waits]:
    waits = replace(dbwaits.request_waits(), statement_timeout=0.5, long_statement_timeout=4.0)
    url = clean_db.url.render_as_string(hide_password=False)
    db.configure(url, waits=waits)
    try:
        yield waits
    finally:
        db.configure(url)  # back to the unbounded engine of the other tests


def test_defaults() -> None:
    waits = dbwaits.request_waits()
    assert (waits.connect_timeout, waits.pool_timeout, waits.ping_timeout) == (2, 3.0, 1.5)
    assert (waits.statement_timeout, waits.lock_timeout, waits.long_statement_timeout) == (5.0, 3.0, 600.0)
    assert waits.connect_args()["options"] == "-c statement_timeout=5000 -c lock_timeout=3000"


def test_every_setting_reaches_the_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "CONNECT_TIMEOUT": "7",
        "POOL_TIMEOUT": "3.5",
        "PING_TIMEOUT": "2.5",
        "STATEMENT_TIMEOUT": "9.0",
        "LOCK_TIMEOUT": "4.0",
        "LONG_STATEMENT_TIMEOUT": "120",
        "TCP_USER_TIMEOUT": "11.5",
        "KEEPALIVES_IDLE": "6",
        "KEEPALIVES_INTERVAL": "3",
        "KEEPALIVES_COUNT": "4",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"DIMQA_DB_{name}", value)
    assert asdict(dbwaits.request_waits()) == {
        "connect_timeout": 7,
        "pool_timeout": 3.5,
        "ping_timeout": 2.5,
        "statement_timeout": 9.0,
        "lock_timeout": 4.0,
        "long_statement_timeout": 120.0,
        "tcp_user_timeout": 11.5,
        "keepalives_idle": 6,
        "keepalives_interval": 3,
        "keepalives_count": 4,
    }


def test_a_statement_past_the_bound_is_cancelled_and_the_pool_goes_on(bounded: dbwaits.Waits) -> None:
    with db.new_session() as session:
        assert session.scalar(text("SHOW statement_timeout")) == "500ms"
        with pytest.raises(OperationalError, match="canceling statement due to statement timeout"):
            session.execute(text("SELECT pg_sleep(1)"))
    with db.new_session() as session:
        assert session.scalar(text("SELECT 1")) == 1


def test_long_statements_raise_the_bound_for_one_transaction(bounded: dbwaits.Waits) -> None:
    with db.new_session() as session:
        db.long_statements(session)
        assert session.scalar(text("SHOW statement_timeout")) == "4s"
        assert session.scalar(text("SHOW lock_timeout")) == "4s"
        assert session.execute(text("SELECT pg_sleep(1)")).all() == [("",)]
        session.commit()
        # The next transaction (the next request on this pooled connection) is bounded again.
        assert session.scalar(text("SHOW statement_timeout")) == "500ms"
        assert session.scalar(text("SHOW lock_timeout")) == "3s"


def test_the_watchdog_cuts_a_connection_that_does_not_answer_and_survives_a_lost_one(
    clean_db: Engine,
) -> None:
    import psycopg

    url = clean_db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as lost:
        lost.close()
        dbwaits.watchdog.arm(lost, 0.01)  # already closed: skipped, the thread goes on
    with psycopg.connect(url) as conn:
        dbwaits.watchdog.arm(conn, 0.3)
        # pg_sleep stands for a server that does not answer: the socket is shut down under it.
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT pg_sleep(5)")
        assert conn.broken
