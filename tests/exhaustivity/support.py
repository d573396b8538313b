"""The exhaustivity scenario shared by the tests of this package (no test here).

As of 2022-03-15, stays discharged from 2022-02-01 (structure of tests/turnaround):

| stay | known from | UM (service) | discharge | RSS received | as of 2022-03-15 |
|---|---|---|---|---|---|
| S1 | movements | 7500 (ONCO) | 02-01 | 02-11 | coded, 10 days |
| S2 | movements | 7500 (ONCO) | 02-01 | — | not coded, 42 days |
| S3 | movements | 5520 (URG) | 03-01 | — | not coded, 14 days |
| S4 | movements | 7600 (ONCO since 02-03) | 02-10 | 02-12, re-sent 03-01 | coded, 2 days (first reception) |
| R5 | its RSS | 5520 (URG) | 02-05 | 02-25 | coded, 20 days |
| S6 | movements | 7500 (ONCO) | 02-01 | 03-20 (after as_of) | not coded, 42 days |
| X1 | movements | 9999 (unmapped) | 02-02 | — | not coded, 41 days |
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.turnaround.test_service_support import STRUCTURE, add_rss, moment, movement

AS_OF = date(2022, 3, 15)
PERIOD = {"from": "2022-02-01", "to": "2022-03-15", "as_of": AS_OF.isoformat()}

# stay, unit, discharge date
MOVEMENT_STAYS = [
    ("S1", "7500", date(2022, 2, 1)),
    ("S2", "7500", date(2022, 2, 1)),
    ("S3", "5520", date(2022, 3, 1)),
    ("S4", "7600", date(2022, 2, 10)),
    ("S6", "7500", date(2022, 2, 1)),
    ("X1", "9999", date(2022, 2, 2)),
]


def load(client: Any, auth_headers: Any, session: Session) -> None:
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin")).status_code == 200
    events = []
    for stay, unit, discharge in MOVEMENT_STAYS:
        events += [
            movement(f"{stay}-a", "admit", stay, discharge - timedelta(days=2), unit),
            movement(f"{stay}-d", "discharge", stay, discharge, hour=15),
        ]
    response = client.post("/api/v1/stay-events", json={"events": events}, headers=auth_headers("ingest"))
    assert response.status_code == 201, response.text
    add_rss(
        session,
        stay_number="S1",
        exit_date=date(2022, 2, 1),
        exit_unit="7500",
        received_at=moment(date(2022, 2, 11), 20),
    )
    add_rss(
        session,
        stay_number="S4",
        exit_date=date(2022, 2, 10),
        exit_unit="7600",
        received_at=moment(date(2022, 2, 12), 20),
    )
    add_rss(
        session,
        stay_number="S4",
        exit_date=date(2022, 2, 10),
        exit_unit="7600",
        received_at=moment(date(2022, 3, 1), 9),
    )
    add_rss(
        session,
        stay_number="R5",
        exit_date=date(2022, 2, 5),
        exit_unit="5520",
        received_at=moment(date(2022, 2, 25), 9),
    )
    add_rss(
        session,
        stay_number="S6",
        exit_date=date(2022, 2, 1),
        exit_unit="7500",
        received_at=moment(date(2022, 3, 20), 9),
    )
    session.commit()
