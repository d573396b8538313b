"""Discharge report turnaround: every state and every figure pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.turnaround.classify import (
    StayOutcome,
    StayStatus,
    assess_stay,
    classify_stay,
    delay_days,
    median,
    percentile_nearest_rank,
    summarize,
)
from app.turnaround.events import DEFAULT_DISCHARGE_REPORT_TYPES, is_discharge_report, local_date

DISCHARGE = date(2024, 3, 6)


def _day(offset: int) -> date:
    return DISCHARGE + timedelta(days=offset)


@pytest.mark.parametrize(
    ("received", "as_of", "status", "delay"),
    [
        (_day(0), _day(30), StayStatus.ON_TIME_J0, 0),
        (_day(-2), _day(30), StayStatus.ON_TIME_J0, 0),  # received before discharge: delay 0
        (_day(1), _day(30), StayStatus.ON_TIME_J8, 1),
        (_day(8), _day(30), StayStatus.ON_TIME_J8, 8),  # exactly 8 days: still on time
        (_day(9), _day(30), StayStatus.LATE, 9),  # 9 days: late
        (_day(9), _day(9), StayStatus.LATE, 9),
        (_day(25), _day(30), StayStatus.LATE, 25),
        (None, _day(0), StayStatus.PENDING, None),
        (None, _day(8), StayStatus.PENDING, None),  # window still open at discharge + 8
        (None, _day(9), StayStatus.MISSING, None),  # closed at discharge + 9
        (_day(10), _day(9), StayStatus.MISSING, None),  # received after as_of: ignored
        (_day(5), _day(4), StayStatus.PENDING, None),  # received after as_of, window open
        (_day(0), _day(0), StayStatus.ON_TIME_J0, 0),
    ],
)
def test_every_state(received: date | None, as_of: date, status: StayStatus, delay: int | None) -> None:
    assert assess_stay(DISCHARGE, received, as_of) == StayOutcome(status, delay)
    assert classify_stay(DISCHARGE, received, as_of) is status


def test_delay_days() -> None:
    assert delay_days(DISCHARGE, _day(8)) == 8
    assert delay_days(DISCHARGE, _day(-1)) == 0
    assert delay_days(date(2024, 2, 28), date(2024, 3, 1)) == 2  # calendar days, leap year


def test_status_values_are_the_published_names() -> None:
    assert [status.value for status in StayStatus] == [
        "on_time_j0",
        "on_time_j8",
        "late",
        "missing",
        "pending",
    ]


def test_summary_counts_rates_and_delays() -> None:
    outcomes = [
        assess_stay(DISCHARGE, _day(0), _day(30)),  # j0, delay 0
        assess_stay(DISCHARGE, _day(-1), _day(30)),  # j0, delay 0
        assess_stay(DISCHARGE, _day(3), _day(30)),  # j8, delay 3
        assess_stay(DISCHARGE, _day(8), _day(30)),  # j8, delay 8
        assess_stay(DISCHARGE, _day(12), _day(30)),  # late, delay 12
        assess_stay(DISCHARGE, None, _day(30)),  # missing
        assess_stay(_day(25), None, _day(30)),  # pending
        assess_stay(_day(28), None, _day(30)),  # pending
    ]

    assert summarize(outcomes) == {
        "stays": 8,
        "on_time_j0": 2,
        "on_time_j8": 4,  # j0 stays included
        "late": 1,
        "missing": 1,
        "pending": 2,
        "rate_j0": 2 / 6,  # pending excluded from the denominator
        "rate_j8": 4 / 6,
        "median_delay_days": 3.0,  # delays 0, 0, 3, 8, 12
        "p90_delay_days": 12,  # rank ceil(0.9 * 5) = 5
    }


def test_summary_median_of_an_even_count_and_nearest_rank_p90() -> None:
    delays = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20]
    outcomes = [assess_stay(DISCHARGE, _day(delay), _day(40)) for delay in delays]
    summary = summarize(outcomes)

    assert summary["median_delay_days"] == 4.5
    assert summary["p90_delay_days"] == 8  # rank ceil(0.9 * 10) = 9
    assert summary["rate_j8"] == 0.9
    assert summary["rate_j0"] == 0.1


def test_summary_without_closed_stays_or_reports() -> None:
    assert summarize([]) == {
        "stays": 0,
        "on_time_j0": 0,
        "on_time_j8": 0,
        "late": 0,
        "missing": 0,
        "pending": 0,
        "rate_j0": None,
        "rate_j8": None,
        "median_delay_days": None,
        "p90_delay_days": None,
    }
    only_pending = summarize([StayOutcome(StayStatus.PENDING, None)] * 3)
    assert (only_pending["stays"], only_pending["pending"], only_pending["rate_j8"]) == (3, 3, None)
    only_missing = summarize([StayOutcome(StayStatus.MISSING, None)])
    assert (only_missing["rate_j0"], only_missing["rate_j8"], only_missing["median_delay_days"]) == (
        0.0,
        0.0,
        None,
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5], 5),
        ([1, 2], 2),
        ([3, 1, 2], 3),
        (list(range(1, 11)), 9),
        (list(range(1, 21)), 18),
        (list(range(1, 12)), 10),
    ],
)
def test_percentile_nearest_rank(values: list[int], expected: int) -> None:
    assert percentile_nearest_rank(values, 90) == expected


def test_median() -> None:
    assert median([]) is None
    assert median([7]) == 7.0
    assert median([9, 1, 4]) == 4.0
    assert median([1, 2, 3, 10]) == 2.5


def test_report_dates_are_taken_in_hospital_time() -> None:
    # 23:30 UTC on 9 March is already 10 March in Paris (UTC+1 in winter).
    assert local_date(datetime(2024, 3, 9, 23, 30, tzinfo=UTC)) == date(2024, 3, 10)
    assert local_date(datetime(2024, 3, 9, 23, 30)) == date(2024, 3, 9)


@pytest.mark.parametrize(
    "code", ["11490-0", "18842-5", "34105-7", "34133-9", "CRH", "LDL", "LDL-SES", " ldl-ses "]
)
def test_default_discharge_report_types(code: str) -> None:
    assert is_discharge_report(code)


@pytest.mark.parametrize("code", ["18748-4", "11502-2", "", None, "CR-IMG"])
def test_other_documents_are_not_discharge_reports(code: str | None) -> None:
    assert not is_discharge_report(code)


def test_discharge_report_types_are_configurable() -> None:
    assert is_discharge_report("CR-SORTIE", configured={"cr-sortie"})
    assert not is_discharge_report("11490-0", configured={"CR-SORTIE"})
    assert "11490-0" in DEFAULT_DISCHARGE_REPORT_TYPES
