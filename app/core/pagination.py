"""Keyset pagination shared by the list endpoints: the cursor is the id of the last row of the
previous page, so pages stay stable while rows are added."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from app.core.problems import InvalidInput


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


_R = TypeVar("_R", bound=_HasId)


def id_cursor(cursor: str | None) -> int | None:
    """The id a `next_cursor` carries; a 400 problem for any other text (a bigint has 19 digits)."""
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) < 19):
        raise InvalidInput("cursor is not a value returned as next_cursor")
    return int(cursor)


def next_page(rows: Sequence[_R], limit: int) -> tuple[list[_R], str | None]:
    """`rows` fetched with `limit + 1`: the page and the cursor of the next one (None at the end)."""
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return list(rows[:limit]), next_cursor
