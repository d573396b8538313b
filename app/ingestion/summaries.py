"""Activity summary deltas of a RUM batch, added up from the rows as they are rendered (pure).

The activity summaries (migration 0005) of a batch's new versions used to come from one SQL pass
over its rows at the end of the batch (`activity_summary_add_batch`, migration 0007): about a
tenth of a large batch's time, alone on the critical path. The block workers now add each accepted
RSS to a `SummaryDelta` while rendering its rows; the service merges the deltas of the blocks whose
every accepted RSS was stored, and upserts them once (app.ingestion.repository.add_summary_delta).
A batch where some accepted RSS was not stored (unchanged, duplicate) falls back to the SQL pass.
The keys and sums are those of migration 0005's `_rss_delta` / `_rum_delta`, on ISO date texts;
the month roll-ups are derived from the day groups when the delta is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

RssKey = tuple[str, str, str, str]  # exit date, exit UM, type of care, GHM ("" when not grouped)
RssMonthKey = tuple[str, str, str]  # first day of the month, type of care, GHM
RumKey = tuple[str, str, str]  # RSS exit date (or month), UM, type of care
RumCounts = list[Any]  # [RUM count, first and last RUM exit date (ISO text)], updated in place
_K = TypeVar("_K")


@dataclass(slots=True)
class SummaryDelta:
    rss_day: dict[RssKey, list[int]] = field(default_factory=dict)  # [RSS, séances]
    rum_day: dict[RumKey, RumCounts] = field(default_factory=dict)

    def add_rss(self, exit_date: str | None, exit_unit: str, care_type: str, ghm: str, seances: int) -> None:
        """One RSS version (a version without a readable exit date is in no summary)."""
        if exit_date is None:
            return
        key = (exit_date, exit_unit, care_type, ghm)
        sums = self.rss_day.get(key)
        if sums is None:
            self.rss_day[key] = [1, seances]
        else:
            sums[0] += 1
            sums[1] += seances

    def add_rum(self, rss_exit_date: str | None, unit: str, care_type: str, exit_date: str | None) -> None:
        """One RUM of an RSS version; `exit_date` its own (None when unreadable)."""
        if rss_exit_date is None:
            return
        bound = exit_date or rss_exit_date
        key = (rss_exit_date, unit, care_type)
        counts = self.rum_day.get(key)
        if counts is None:
            self.rum_day[key] = [1, bound, bound]
            return
        counts[0] += 1
        if bound < counts[1]:
            counts[1] = bound
        elif bound > counts[2]:
            counts[2] = bound

    def merge(self, other: SummaryDelta) -> None:
        _add_sums(self.rss_day, other.rss_day)
        _add_counts(self.rum_day, other.rum_day)

    def rss_month(self) -> dict[RssMonthKey, list[int]]:
        months: dict[RssMonthKey, list[int]] = {}
        for (day, _unit, care_type, ghm), sums in self.rss_day.items():
            _add_sums(months, {(day[:8] + "01", care_type, ghm): sums})
        return months

    def rum_month(self) -> dict[RumKey, RumCounts]:
        months: dict[RumKey, RumCounts] = {}
        for (day, unit, care_type), counts in self.rum_day.items():
            _add_counts(months, {(day[:8] + "01", unit, care_type): counts})
        return months


def _add_sums(mine: dict[_K, list[int]], theirs: dict[_K, list[int]]) -> None:
    for key, (rss, seances) in theirs.items():
        sums = mine.get(key)
        if sums is None:
            mine[key] = [rss, seances]
        else:
            sums[0] += rss
            sums[1] += seances


def _add_counts(mine: dict[RumKey, RumCounts], theirs: dict[RumKey, RumCounts]) -> None:
    for key, (count, first, last) in theirs.items():
        current = mine.get(key)
        if current is None:
            mine[key] = [count, first, last]
        else:
            current[0] += count
            current[1] = min(current[1], first)
            current[2] = max(current[2], last)
