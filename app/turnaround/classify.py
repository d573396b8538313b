"""Discharge report turnaround: the counting rules, in pure Python.

This is the reference implementation; the SQL version must give the same figures. Rules
(mission.md, "Discharge report turnaround"):

1. Inputs per discharged stay: its discharge date, the reception date of its first qualifying
   report (earliest reception over all versions of non-deleted discharge reports), and `as_of`.
   All dates are calendar dates in hospital local time (Europe/Paris).
2. A report received after `as_of` does not exist yet: it is ignored (callers filter it out;
   `classify_stay` ignores it too). Callers also leave out what dimqa stored after `as_of`, even
   when it claims an earlier date (docs/turnaround.md, rule 10), so figures for an `as_of` never
   change afterwards.
3. `delay_days = reception date - discharge date`, in calendar days; a negative delay (report
   received before the discharge date) counts as 0.
4. Status of the stay, as of `as_of`:
   - report received, delay = 0      -> `on_time_j0`
   - report received, 1 <= delay <= 8 -> `on_time_j8`
   - report received, delay > 8      -> `late`
   - nothing received, as_of > discharge + 8 days  -> `missing` (the window is closed)
   - nothing received, as_of <= discharge + 8 days -> `pending` (the window is still open)
   So a report received exactly 8 days after discharge is on time, 9 days is late; a stay
   without report is pending up to discharge + 8 and missing from discharge + 9.
5. Counts: `on_time_j0` counts j0 stays; `on_time_j8` counts every stay with delay <= 8, j0
   included; `late`, `missing`, `pending` as above. `stays` counts every stay.
6. Rates use the stays whose window is closed: denominator = stays - pending
   (= on_time_j8 + late + missing). rate_j0 = on_time_j0 / denominator, rate_j8 = on_time_j8 /
   denominator, as unrounded IEEE double divisions (SQL: `count::float8 / denominator`); None
   when the denominator is 0.
7. Delay statistics use the stays with a received report (on_time_j0, on_time_j8, late), with
   the clamped delays of rule 3; None when there is none.
   - median_delay_days: mean of the two middle values for an even count, the middle value for
     an odd count, as a float (SQL: `percentile_cont(0.5) WITHIN GROUP (ORDER BY delay_days)`).
   - p90_delay_days: nearest rank, the value at rank ceil(0.9 * n) in ascending order, an
     integer (SQL: `percentile_disc(0.9) WITHIN GROUP (ORDER BY delay_days)`).
Callers select the stays discharged on or before `as_of` (and leave séances out unless asked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, TypedDict

WINDOW_DAYS: Final = 8


class StayStatus(StrEnum):
    ON_TIME_J0 = "on_time_j0"
    ON_TIME_J8 = "on_time_j8"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


RECEIVED_STATUSES: Final = frozenset({StayStatus.ON_TIME_J0, StayStatus.ON_TIME_J8, StayStatus.LATE})


@dataclass(frozen=True, slots=True)
class StayOutcome:
    """Status of one stay, with its clamped delay when a report was received."""

    status: StayStatus
    delay_days: int | None


class TurnaroundSummary(TypedDict):
    stays: int
    on_time_j0: int
    on_time_j8: int
    late: int
    missing: int
    pending: int
    rate_j0: float | None
    rate_j8: float | None
    median_delay_days: float | None
    p90_delay_days: int | None


def delay_days(discharge_date: date, received: date) -> int:
    """Calendar days from discharge to reception; negative delays count as 0 (rule 3)."""
    return max(0, (received - discharge_date).days)


def assess_stay(discharge_date: date, first_report_received: date | None, as_of: date) -> StayOutcome:
    """Status and delay of one discharged stay as of `as_of` (rules 2 to 4)."""
    received = first_report_received if first_report_received and first_report_received <= as_of else None
    if received is None:
        window_closed = (as_of - discharge_date).days > WINDOW_DAYS
        return StayOutcome(StayStatus.MISSING if window_closed else StayStatus.PENDING, None)
    delay = delay_days(discharge_date, received)
    if delay == 0:
        status = StayStatus.ON_TIME_J0
    elif delay <= WINDOW_DAYS:
        status = StayStatus.ON_TIME_J8
    else:
        status = StayStatus.LATE
    return StayOutcome(status, delay)


def classify_stay(discharge_date: date, first_report_received: date | None, as_of: date) -> StayStatus:
    """Status of one discharged stay as of `as_of` (see the module rules)."""
    return assess_stay(discharge_date, first_report_received, as_of).status


def median(values: list[int]) -> float | None:
    """Middle value, or mean of the two middle values (percentile_cont(0.5))."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile_nearest_rank(values: list[int], percent: int) -> int | None:
    """Value at rank ceil(percent/100 * n), 1-based, ascending (percentile_disc(percent/100))."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))  # integer ceil: no float rounding at exact ranks
    return ordered[rank - 1]


def _rate(count: int, denominator: int) -> float | None:
    return count / denominator if denominator else None


def summarize(outcomes: Iterable[StayOutcome]) -> TurnaroundSummary:
    """Counts, rates and delay statistics over a set of stays (rules 5 to 7)."""
    counts = dict.fromkeys(StayStatus, 0)
    delays: list[int] = []
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status in RECEIVED_STATUSES and outcome.delay_days is not None:
            delays.append(outcome.delay_days)
    stays = sum(counts.values())
    on_time_j0 = counts[StayStatus.ON_TIME_J0]
    on_time_j8 = on_time_j0 + counts[StayStatus.ON_TIME_J8]
    closed = stays - counts[StayStatus.PENDING]
    return TurnaroundSummary(
        stays=stays,
        on_time_j0=on_time_j0,
        on_time_j8=on_time_j8,
        late=counts[StayStatus.LATE],
        missing=counts[StayStatus.MISSING],
        pending=counts[StayStatus.PENDING],
        rate_j0=_rate(on_time_j0, closed),
        rate_j8=_rate(on_time_j8, closed),
        median_delay_days=median(delays),
        p90_delay_days=percentile_nearest_rank(delays, 90),
    )
