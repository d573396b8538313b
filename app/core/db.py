"""Engine, sessions and the declarative base (sync SQLAlchemy 2 + psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, MetaData, NullPool, create_engine, event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.dbwaits import WATCHDOG_MARGIN_SECONDS, Waits, long_transaction_sql, watchdog

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _State:
    engine: Engine | None = None
    session_factory: sessionmaker[Session] | None = None
    waits: Waits | None = None
    probe_engine: Engine | None = None


_state = _State()


def configure(url: str, *, pool_size: int = 5, waits: Waits | None = None) -> Engine:
    """Point the process at a database; called by the app factory, the CLI and the tests.

    `waits`: the bounds of every wait on the database (`dimqa serve`, see app.core.dbwaits);
    None (the command line, the tests) waits as long as the database takes."""
    dispose()
    if waits is None:
        # pre_ping lets the pool recover by itself after a database restart.
        engine = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_timeout=10)
    else:
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=10,
            pool_timeout=waits.pool_timeout,
            connect_args=waits.connect_args(),
        )
        _bound(engine, waits)
        # /readyz's own connections: not queued behind the requests for a pooled one.
        _state.probe_engine = create_engine(url, poolclass=NullPool, connect_args=waits.connect_args())
    _state.engine = engine
    _state.waits = waits
    _state.session_factory = sessionmaker(engine, expire_on_commit=False)
    return engine


def dispose() -> None:
    for engine in (_state.engine, _state.probe_engine):
        if engine is not None:
            engine.dispose()
    _state.probe_engine = None


def waits() -> Waits | None:
    return _state.waits


def probe_engine() -> Engine:
    """With bounds, an engine opening a new bounded connection per use; else the main engine."""
    return _state.probe_engine or get_engine()


# Keys of a pooled connection's `info` (it lives as long as the connection).
_FRESH = "dimqa_fresh"  # just connected: no need to ping it
_BOUND = "dimqa_statement_bound"  # this transaction's statement timeout, when raised
_WATCH = "dimqa_watch"  # watchdog token of the statement in flight


def _bound(engine: Engine, waits: Waits) -> None:
    """Attach the bounded ping and the per-statement watchdog (app.core.dbwaits) to `engine`."""

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        # SQLAlchemy's own pre-ping waits for ever on a server that does not answer.
        if record.info.pop(_FRESH, False):
            return
        token = watchdog.arm(dbapi_connection, waits.ping_timeout)
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:
            # The pool drops this connection and opens a new one (bounded by connect_timeout).
            raise DisconnectionError("database did not answer the ping") from error
        finally:
            watchdog.disarm(token)

    def arm(info: dict[Any, Any], dbapi_connection: Any) -> None:
        # One deadline per connection at a time: a previous one left armed would later cut the
        # connection in the middle of another request's work.
        if (previous := info.pop(_WATCH, None)) is not None:
            watchdog.disarm(previous)
        bound = info.get(_BOUND, waits.statement_timeout)
        info[_WATCH] = watchdog.arm(dbapi_connection, bound + WATCHDOG_MARGIN_SECONDS)

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info.pop(_BOUND, None)
        if (token := record.info.pop(_WATCH, None)) is not None:
            watchdog.disarm(token)

    # COMMIT, ROLLBACK and the pool's rollback on return go to the driver without a cursor event;
    # they are bounded the same way, until the connection is back in the pool (checkin above).
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ending(conn: Connection) -> None:
        arm(conn.info, conn.connection.dbapi_connection)

    @event.listens_for(engine, "reset")
    def _resetting(dbapi_connection: Any, record: ConnectionPoolEntry, state: Any) -> None:
        arm(record.info, dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Connection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        arm(conn.info, cursor.connection)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Connection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if (token := conn.info.pop(_WATCH, None)) is not None:
            watchdog.disarm(token)

    @event.listens_for(engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        conn = context.connection
        if conn is not None and (token := conn.info.pop(_WATCH, None)) is not None:
            watchdog.disarm(token)


def get_engine() -> Engine:
    if _state.engine is None:
        raise RuntimeError("database not configured: call app.core.db.configure() first")
    return _state.engine


def new_session() -> Session:
    if _state.session_factory is None:
        raise RuntimeError("database not configured: call app.core.db.configure() first")
    return _state.session_factory()


def get_session() -> Iterator[Session]:
    """One session per request: commit on success, roll back on error."""
    with new_session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def long_statements(session: SessionDep) -> None:
    """Raise this request's statement and lock bounds to DIMQA_DB_LONG_STATEMENT_TIMEOUT (600 s):
    for routes doing long work in one transaction (batch ingestion, rescans, exports)."""
    waits = _state.waits
    if waits is None:
        return  # unbounded
    connection = session.connection()
    for statement in long_transaction_sql(waits.long_statement_timeout):
        connection.exec_driver_sql(statement)
    connection.info[_BOUND] = waits.long_statement_timeout  # the watchdog's bound (popped at checkin)


LongStatements = Annotated[None, Depends(long_statements, scope="function")]


def long_exports(request: Request, session: SessionDep) -> None:
    """`long_statements` for a download (`format` other than json): a CSV or XLSX export may
    read a year of rows; the same route's JSON page stays under the request bound."""
    if request.query_params.get("format", "json") != "json":
        long_statements(session)


LongExports = Annotated[None, Depends(long_exports, scope="function")]
