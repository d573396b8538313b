"""Dates of the demo year: the seasonal calendar stays are drawn from, and the date formats and
file-format versions that depend on a date."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

# --- Calendar ----------------------------------------------------------------------------------------

# Medical activity peaks in winter; planned surgery dips in August and at Christmas.
_MEDICAL_MONTH: Final = (1.25, 1.2, 1.05, 1.0, 0.95, 0.9, 0.9, 0.85, 0.95, 1.0, 1.05, 1.2)
_PLANNED_MONTH: Final = (1.0, 1.05, 1.1, 1.05, 0.95, 1.05, 0.9, 0.45, 1.05, 1.1, 1.1, 0.8)


class Calendar:
    def __init__(self, year: int) -> None:
        self.year = year
        self.first = date(year, 1, 1)
        self.last = date(year, 12, 31)
        days = [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]
        self.days = days
        self.weekdays = [d for d in days if d.weekday() < 5]
        self._medical = list(accumulate(_MEDICAL_MONTH[d.month - 1] for d in days))
        self._planned = list(accumulate(_PLANNED_MONTH[d.month - 1] for d in self.weekdays))

    def medical(self, rng: random.Random) -> date:
        return rng.choices(self.days, cum_weights=self._medical)[0]

    def planned(self, rng: random.Random) -> date:
        return rng.choices(self.weekdays, cum_weights=self._planned)[0]

    def weekday_on_or_after(self, day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if day > self.last:
            day = self.last
            while day.weekday() >= 5:
                day -= timedelta(days=1)
        return day


def ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def rum_version(exit_date: date) -> str:
    """The RUM format for an RSS exit date (pmsi-formats.md §1; 022 from March 2023 is inferred)."""
    if exit_date < date(2020, 3, 1):
        return "019"
    if exit_date < date(2022, 3, 1):
        return "020"
    if exit_date < date(2023, 3, 1):
        return "021"
    return "022"


def rhs_version(year: int) -> str:
    """Grouped RHS layout for the year: M1C up to 2022, M1D after (inferred: app.ingestion.rhs.layouts)."""
    return "M1C" if year <= 2022 else "M1D"


def parse_ddmmyyyy(ddmmyyyy_text: str) -> date:
    return date(int(ddmmyyyy_text[4:]), int(ddmmyyyy_text[2:4]), int(ddmmyyyy_text[:2]))
