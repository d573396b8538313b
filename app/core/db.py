"""Engine, sessions and the declarative base (sync SQLAlchemy 2 + psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine, MetaData, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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


_state = _State()


def configure(url: str, *, pool_size: int = 5) -> Engine:
    """Point the process at a database; called by the app factory, the CLI and the tests."""
    if _state.engine is not None:
        _state.engine.dispose()
    # pre_ping lets the pool recover by itself after a database restart.
    engine = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, pool_timeout=10)
    _state.engine = engine
    _state.session_factory = sessionmaker(engine, expire_on_commit=False)
    return engine


def dispose() -> None:
    if _state.engine is not None:
        _state.engine.dispose()


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
