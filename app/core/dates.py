"""The range of dates dimqa accepts: 1900-01-01 to 2100-12-31, for every date and datetime it reads.

Python's `date` and `datetime` span years 1 to 9999, but the arithmetic dimqa does on them (the day
after `as_of`, a period's 8-day window, an instant with an offset converted to UTC or to Paris
time) overflows at their ends: `to=9999-12-31` or an event of `0001-01-01T00:00:00+01:00` used to
end in a 500. No PMSI date, hospital stay or document of the service falls outside this range,
so a date beyond it is a typo or a probe, refused up front with a 422 problem (code
`date_out_of_range`, the field named) or, for HL7 v2, an ACK AE naming the field.

`BoundedDate` / `BoundedDatetime` are the annotated types for query parameters and request bodies;
parsers of other formats (HL7 DTM, FHIR, RSS) call `check_date` / `check_datetime`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from app.core.line_errors import LineError
from app.core.problems import InvalidInput

MIN_DATE: Final = date(1900, 1, 1)
MAX_DATE: Final = date(2100, 12, 31)
DATE_OUT_OF_RANGE: Final = "date_out_of_range"
RANGE_TEXT: Final = f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"


class DateOutOfRange(ValueError):
    """A date or datetime outside [MIN_DATE, MAX_DATE]."""

    code = DATE_OUT_OF_RANGE

    def __init__(self, value: date) -> None:
        day = value.date() if isinstance(value, datetime) else value
        super().__init__(f"{day.isoformat()} is outside the accepted range ({RANGE_TEXT})")
        self.value = value


def in_range(value: date) -> bool:
    """Whether a date, or a datetime's own calendar date, is within the accepted range.

    A datetime is judged on its wall-clock date, offset included: within the range, converting it
    to any zone (at most 14 hours away) stays far from the limits of `datetime`."""
    day = value.date() if isinstance(value, datetime) else value
    return MIN_DATE <= day <= MAX_DATE


def check_date(value: date) -> date:
    """`value` when within the range, else DateOutOfRange."""
    if not in_range(value):
        raise DateOutOfRange(value)
    return value


def check_period(parameter: str, value: str, first: date, last: date) -> tuple[date, date]:
    """(first, last) of the period `value` of query parameter `parameter` ("week", "quarter"), or a
    422 problem naming it when either end is outside the range."""
    for day in (first, last):
        if not in_range(day):
            message = f"{parameter} {value}: {DateOutOfRange(day)}"
            raise InvalidInput(
                message, errors=[LineError(None, parameter, DATE_OUT_OF_RANGE, message)], status=422
            )
    return first, last


def check_order(start: date, end: date, *, first: str = "from", last: str = "to") -> None:
    """A 400 problem (`invalid_period` on `last`) when query parameter `last` is before `first`:
    swapped bounds are a caller's mistake, and the empty answer they would give reads as "nothing
    happened then" (no stay, no finding, no access)."""
    if end < start:
        raise InvalidInput(
            f"`{last}` is before `{first}`",
            errors=[LineError(None, last, "invalid_period", f"`{last}` must be on or after `{first}`")],
        )


def check_datetime(value: datetime) -> datetime:
    """`value` when its date is within the range, else DateOutOfRange."""
    if not in_range(value):
        raise DateOutOfRange(value)
    return value


def _validate(value: date) -> date:
    if not in_range(value):
        shown = (value.date() if isinstance(value, datetime) else value).isoformat()
        raise PydanticCustomError(
            DATE_OUT_OF_RANGE,
            "{value} is outside the accepted range ({range})",
            {"value": shown, "range": RANGE_TEXT},
        )
    return value


def _validate_datetime(value: datetime) -> datetime:
    _validate(value)
    return value


BoundedDate = Annotated[date, AfterValidator(_validate)]
BoundedDatetime = Annotated[datetime, AfterValidator(_validate_datetime)]
