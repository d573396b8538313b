"""Activity summary deltas of a RUM batch, added up from the rows as they are rendered (pure).

The activity summaries (migration 0005) of a batch's new versions used to come from one SQL pass
over its rows at the end of the batch (`activity_summary_add_batch`, migration 0007): about a
tenth of a large batch's time, alone on the critical path. The block workers now add each accepted
RSS to a `SummaryDelta` while rendering its rows; the service merges the deltas of the blocks whose
every accepted RSS was stored, and upserts them once (app.ingestion.repository.add_summary_delta).
A batch where some accepted RSS was not stored (unchanged, duplicate) falls back to the SQL pass.
The keys and sums are those of migration 0005's `_rss_delta` / `_rum_delta`, on ISO date texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

RssKey = tuple[str, str, str, str]  # exit date, exit UM, type of care, GHM ("" when not grouped)
RssMonthKey = tuple[str, str, str]  # first day of the month, type of care, GHM
RumKey = tuple[str, str, str]  # RSS exit date (or month), UM, type of care
_K = TypeVar("_K", RssKey, RssMonthKey)


@dataclass(slots=True)
class RumCounts:
    count: int
    first_exit: str  # ISO date bounds of the RUM exit dates (the RSS's when unreadable)
    last_exit: str


@dataclass(slots=True)
class SummaryDelta:
    rss_day: dict[RssKey, list[int]] = field(default_factory=dict)  # [RSS, séances]
    rss_month: dict[RssMonthKey, list[int]] = field(default_factory=dict)
    rum_day: dict[RumKey, RumCounts] = field(default_factory=dict)
    rum_month: dict[RumKey, RumCounts] = field(default_factory=dict)

    def add_rss(self, exit_date: str | None, exit_unit: str, care_type: str, ghm: str, seances: int) -> None:
        """One RSS version (a version without a readable exit date is in no summary)."""
        if exit_date is None:
            return
        _add_sums(self.rss_day, {(exit_date, exit_unit, care_type, ghm): [1, seances]})
        _add_sums(self.rss_month, {(exit_date[:8] + "01", care_type, ghm): [1, seances]})

    def add_rum(self, rss_exit_date: str | None, unit: str, care_type: str, exit_date: str | None) -> None:
        """One RUM of an RSS version; `exit_date` its own (None when unreadable)."""
        if rss_exit_date is None:
            return
        bound = exit_date or rss_exit_date
        for table, key in (
            (self.rum_day, (rss_exit_date, unit, care_type)),
            (self.rum_month, (rss_exit_date[:8] + "01", unit, care_type)),
        ):
            counts = table.get(key)
            if counts is None:
                table[key] = RumCounts(1, bound, bound)
            else:
                counts.count += 1
                if bound < counts.first_exit:
                    counts.first_exit = bound
                elif bound > counts.last_exit:
                    counts.last_exit = bound

    def merge(self, other: SummaryDelta) -> None:
        _add_sums(self.rss_day, other.rss_day)
        _add_sums(self.rss_month, other.rss_month)
        _add_counts(self.rum_day, other.rum_day)
        _add_counts(self.rum_month, other.rum_month)


def _add_sums(mine: dict[_K, list[int]], theirs: dict[_K, list[int]]) -> None:
    for key, (rss, seances) in theirs.items():
        sums = mine.get(key)
        if sums is None:
            mine[key] = [rss, seances]
        else:
            sums[0] += rss
            sums[1] += seances


def _add_counts(mine: dict[RumKey, RumCounts], theirs: dict[RumKey, RumCounts]) -> None:
    for key, counts in theirs.items():
        current = mine.get(key)
        if current is None:
            mine[key] = RumCounts(counts.count, counts.first_exit, counts.last_exit)
        else:
            current.count += counts.count
            current.first_exit = min(current.first_exit, counts.first_exit)
            current.last_exit = max(current.last_exit, counts.last_exit)
