"""`stays_not_coded_over` (what the alerts and gauges read) and the exhaustivity aggregate."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.exhaustivity import service
from app.turnaround.reports import PeriodScope
from app.turnaround.schemas import GroupBy
from tests.exhaustivity.support import AS_OF, load

pytestmark = pytest.mark.usefixtures("realistic")


@pytest.fixture()
def loaded(client: Any, auth_headers: Any, session: Session) -> Session:
    load(client, auth_headers, session)
    return session


@pytest.mark.parametrize(
    ("scope", "days", "expected"),
    [
        ({}, 30, 3),  # S2, S6 (42 days), X1 (41 days)
        ({}, 40, 3),
        ({}, 41, 2),  # X1 is 41 days old: not over 41
        ({}, 42, 0),
        ({"service": "ONCO"}, 30, 2),
        ({"service": "URG"}, 30, 0),  # S3 is 14 days old, R5 coded
        ({"service": "URG"}, 10, 1),
        ({"pole": "MED"}, 30, 2),
        ({"pole": "URG"}, 10, 1),
        ({"service": "NOPE"}, 30, 0),
    ],
)
def test_stays_not_coded_over(loaded: Session, scope: dict[str, str], days: int, expected: int) -> None:
    assert service.stays_not_coded_over(loaded, days=days, as_of=AS_OF, **scope) == expected


def test_before_the_rss_of_s6_and_after_it(loaded: Session) -> None:
    from datetime import date

    # S6's RSS arrives on 03-20: from then it is coded.
    assert service.stays_not_coded_over(loaded, as_of=date(2022, 3, 19)) == 3
    assert service.stays_not_coded_over(loaded, as_of=date(2022, 3, 20)) == 2


def test_summary_by_service(loaded: Session) -> None:
    params = service.params(None, PeriodScope(AS_OF.replace(month=2, day=1), AS_OF, AS_OF))
    rows, total = service.summarize(loaded, params, GroupBy.SERVICE)
    assert [row.model_dump() for row in rows] == [
        {"group": "ONCO", "label": "Oncologie", "stays": 4, "coded": 2, "not_coded": 2,
         "not_coded_over_30_days": 2, "coding_delay_median_days": 6.0, "coding_delay_p90_days": 10,
         "rate_coded": 0.5},
        {"group": "URG", "label": "Urgences", "stays": 2, "coded": 1, "not_coded": 1,
         "not_coded_over_30_days": 0, "coding_delay_median_days": 20.0, "coding_delay_p90_days": 20,
         "rate_coded": 0.5},
        {"group": "unmapped", "label": None, "stays": 1, "coded": 0, "not_coded": 1,
         "not_coded_over_30_days": 1, "coding_delay_median_days": None, "coding_delay_p90_days": None,
         "rate_coded": 0.0},
    ]  # fmt: skip
    assert total.model_dump() == {
        "stays": 7, "coded": 3, "not_coded": 4, "not_coded_over_30_days": 3,
        "coding_delay_median_days": 10.0, "coding_delay_p90_days": 20, "rate_coded": 3 / 7,
    }  # fmt: skip


def test_one_aggregate_per_transaction(loaded: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.exhaustivity import repository

    calls = []
    original = repository.not_coded_over_by_scope
    monkeypatch.setattr(
        repository, "not_coded_over_by_scope", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    loaded.commit()
    assert service.stays_not_coded_over(loaded, as_of=AS_OF) == 3
    assert service.stays_not_coded_over(loaded, as_of=AS_OF, service="ONCO") == 2
    assert service.stays_not_coded_over(loaded, as_of=AS_OF, pole="URG") == 0
    assert len(calls) == 1
    assert service.stays_not_coded_over(loaded, as_of=AS_OF, days=41) == 2
    assert len(calls) == 2
    loaded.commit()  # a new transaction sees the data anew
    assert service.stays_not_coded_over(loaded, as_of=AS_OF) == 3
    assert len(calls) == 3
