"""check_period: a week or quarter whose ends lie in the accepted date range, else one 422 problem."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.dates import check_period
from app.core.line_errors import LineError
from app.core.problems import InvalidInput


def test_a_period_in_range_is_returned() -> None:
    assert check_period("week", "2022-W05", date(2022, 1, 31), date(2022, 2, 6)) == (
        date(2022, 1, 31),
        date(2022, 2, 6),
    )


@pytest.mark.parametrize(
    ("parameter", "value", "first", "last", "outside"),
    [
        ("quarter", "2101-Q1", date(2101, 1, 1), date(2101, 3, 31), date(2101, 1, 1)),
        ("week", "1900-W01", date(1899, 12, 31), date(1900, 1, 6), date(1899, 12, 31)),
        ("week", "2100-W53", date(2100, 12, 27), date(2101, 1, 2), date(2101, 1, 2)),
    ],
)
def test_an_end_out_of_range_is_a_422_naming_the_parameter(
    parameter: str, value: str, first: date, last: date, outside: date
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_period(parameter, value, first, last)
    message = (
        f"{parameter} {value}: {outside.isoformat()} is outside the accepted range (1900-01-01 to 2100-12-31)"
    )
    assert raised.value.status == 422
    assert raised.value.detail == message
    assert raised.value.errors == [LineError(None, parameter, "date_out_of_range", message)]
