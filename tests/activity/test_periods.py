"""The period split of the RSS summaries: whole months from the monthly table, edges by day."""

from __future__ import annotations

from datetime import date

import pytest

from app.activity.repository import month_end, split_months


@pytest.mark.parametrize(
    ("start", "end", "months", "edges"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), (date(2024, 1, 1), date(2024, 12, 1)), []),
        (
            date(2024, 1, 15),
            date(2024, 3, 10),
            (date(2024, 2, 1), date(2024, 2, 1)),
            [(date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 3, 1), date(2024, 3, 10))],
        ),
        (date(2024, 2, 3), date(2024, 2, 27), None, [(date(2024, 2, 3), date(2024, 2, 27))]),
        (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 1)), []),
        (
            date(2023, 12, 31),
            date(2024, 1, 31),
            (date(2024, 1, 1), date(2024, 1, 1)),
            [(date(2023, 12, 31), date(2023, 12, 31))],
        ),
    ],
)
def test_whole_months_and_edges(
    start: date, end: date, months: tuple[date, date] | None, edges: list[tuple[date, date]]
) -> None:
    assert split_months(start, end) == (months, edges)


def test_month_end() -> None:
    assert [month_end(date(2024, m, 1)).day for m in (1, 2, 4, 12)] == [31, 29, 30, 31]
