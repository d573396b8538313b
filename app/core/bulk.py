"""COPY, the one bulk-write path of every repository (house rule: bulk writes by COPY).

Three shapes, one statement builder: rows of Python values (psycopg adapts each one, text format),
rows of Python values in the binary format with their column types given (no text round trip:
several times faster for timestamps and arrays), and rows already rendered in the COPY text format
(tab-separated, `\\N` for NULL, one per line: one write per chunk, the RUM hot path). `table` and
`columns` are always code constants, never user input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy.orm import Session


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's transaction (COPY is a psycopg feature)."""
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection)
    return connection


def copy_statement(table: str, columns: Sequence[str], *, binary: bool = False) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")


def copy_rows(
    target: Session | psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    types: Sequence[str] | None = None,
) -> int:
    """COPY `rows` (values in `columns` order) into `table`; returns the row count. With `types`
    (PostgreSQL type names, one per column) the binary format is used."""
    connection = driver_connection(target) if isinstance(target, Session) else target
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.copy(copy_statement(table, columns, binary=types is not None)) as copy,
    ):
        if types is not None:
            copy.set_types(list(types))
        write = copy.write_row
        for row in rows:
            write(row)
            count += 1
    return count


def copy_text(
    connection: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterable[str]
) -> None:
    """COPY rows already rendered in the text format: one write instead of psycopg's per-value
    adaptation, which cost more than parsing the RUM lines."""
    with connection.cursor() as cursor, cursor.copy(copy_statement(table, columns)) as copy:
        copy.write("".join(rows))
