"""The coding delay counts from the first RSS received for the stay (`first_rss` in
app/exhaustivity/repository.py: superseded versions read by stay number, migration 0021), on the
scenario of tests/exhaustivity/support.py: S4 (UM 7600 alone, discharged 02-10) has an RSS received
02-12 and re-sent 03-01."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.exhaustivity import repository, service
from app.turnaround.reports import PeriodScope
from app.turnaround.schemas import GroupBy
from tests.exhaustivity.support import load
from tests.turnaround.test_service_support import add_rss, moment

pytestmark = pytest.mark.usefixtures("realistic")


@pytest.fixture()
def loaded(client: Any, auth_headers: Any, session: Session) -> Session:
    load(client, auth_headers, session)
    return session


def _by_unit(session: Session, as_of: date) -> dict[str, tuple[int, int, float | None]]:
    """UM -> (stays, coded, median coding delay) of the stays discharged from 02-01 to as_of."""
    params = service.params(None, PeriodScope(date(2022, 2, 1), as_of, as_of))
    rows, _total = service.summarize(session, params, GroupBy.UNIT)
    return {row.group: (row.stays, row.coded, row.coding_delay_median_days) for row in rows}


def _not_coded(session: Session, as_of: date) -> list[str]:
    params = service.params(None, PeriodScope(date(2022, 2, 1), as_of, as_of))
    return [row.stay_number for row in repository.not_coded_stays(session, params)]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2022, 2, 11), (1, 0, None)),  # before its first RSS: not coded
        (date(2022, 2, 20), (1, 1, 2.0)),  # the first version in force
        (date(2022, 3, 1), (1, 1, 2.0)),  # re-sent that day: the first reception still counts
        (date(2022, 3, 15), (1, 1, 2.0)),
    ],
)
def test_a_replaced_rss_counts_from_its_first_reception(
    loaded: Session, as_of: date, expected: tuple[int, int, float | None]
) -> None:
    assert _by_unit(loaded, as_of)["7600"] == expected


def test_a_version_that_moved_to_another_stay_codes_neither_from_the_other(loaded: Session) -> None:
    # One RSS first sent for S2 (discharged 02-01) on 02-05, re-sent on 03-05 for S3 (03-01).
    add_rss(loaded, stay_number="S2", rss_number="RMOVED", exit_date=date(2022, 2, 1), exit_unit="7500",
            received_at=moment(date(2022, 2, 5), 10))  # fmt: skip
    add_rss(loaded, stay_number="S3", rss_number="RMOVED", exit_date=date(2022, 3, 1), exit_unit="5520",
            received_at=moment(date(2022, 3, 5), 10))  # fmt: skip
    # As of 03-02 S2 is coded (4 days: with S1's 10, a median of 7), S3 is not.
    assert _by_unit(loaded, date(2022, 3, 2))["7500"] == (3, 2, 7.0)
    assert "S3" in _not_coded(loaded, date(2022, 3, 2))
    assert "S2" not in _not_coded(loaded, date(2022, 3, 2))
    # As of 03-15 the superseded version no longer codes S2, and does not date S3's coding:
    # S3 counts from 03-05 (4 days; with R5's 20, a median of 12), not from S2's 02-05 (0).
    assert "S2" in _not_coded(loaded, date(2022, 3, 15))
    assert "S3" not in _not_coded(loaded, date(2022, 3, 15))
    assert _by_unit(loaded, date(2022, 3, 15))["5520"] == (2, 2, 12.0)


def test_the_first_of_several_earlier_versions(loaded: Session) -> None:
    # S1 (discharged 02-01, RSS 02-11) re-sent twice more: 02-20 and 03-10; a version of another
    # RSS number carried S1 earlier (02-03) and was replaced by one for S1 again (02-25).
    for day in (date(2022, 2, 20), date(2022, 3, 10)):
        add_rss(loaded, stay_number="S1", exit_date=date(2022, 2, 1), exit_unit="7500",
                received_at=moment(day, 10))  # fmt: skip
    add_rss(loaded, stay_number="S1", rss_number="ROTHER", exit_date=date(2022, 2, 1), exit_unit="7500",
            received_at=moment(date(2022, 2, 3), 10))  # fmt: skip
    add_rss(loaded, stay_number="S1", rss_number="ROTHER", exit_date=date(2022, 2, 1), exit_unit="7500",
            received_at=moment(date(2022, 2, 25), 10))  # fmt: skip
    # 7500: S1 coded 2 days after discharge (the version of 02-03), S2 and S6 not coded.
    assert _by_unit(loaded, date(2022, 3, 15))["7500"] == (3, 1, 2.0)
    # As of 02-02 nothing had arrived yet.
    assert _by_unit(loaded, date(2022, 2, 2))["7500"][1] == 0
