"""The stored case-mix figures (migration 0020): equal to pricing the stays on each request, and
computed again after every change they depend on (tariffs, supplements, coefficient, national LOS,
structure, RSA, RSS versions)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.medeco import casemix, repository
from app.medeco.schemas import CasemixGroup
from app.reference import repository as reference_repository
from tests.medeco.builders import archive, rsa_line, tra_csv
from tests.medeco.test_casemix import DMS, grouped, post, stays
from tests.medeco.test_valuation_api import TARIFFS, load

pytestmark = pytest.mark.usefixtures("realistic")
__all__ = ["stays"]  # the fixture, imported for these tests

APRIL = {"from": "2024-04-01", "to": "2024-04-30"}


def _figures(client: Any, headers: dict[str, str], group_by: str = "ghm", **params: str) -> dict[str, Any]:
    params = {**APRIL, "group_by": group_by, **params}
    response = client.get("/api/v1/casemix", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return {row["key"]: row for row in body["rows"]} | {"total": body["total"]}


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the API rounds them (the stored mean LOS is a sum over a count, not avg())."""
    out = []
    for row in rows:
        los = row.pop("los_expected")
        row.pop("national_sum", None)
        row.pop("national_n", None)
        out.append({**row, "los_expected": None if los is None else round(float(los), 4)})
    return out


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 4, 1), date(2024, 4, 30)),
        (date(2024, 4, 8), date(2024, 5, 31)),
        (date(2023, 4, 3), date(2024, 4, 9)),
        (date(2023, 1, 1), date(2024, 12, 31)),  # two calendar years: their year rows (0025)
        (date(2022, 12, 30), date(2024, 1, 2)),  # a year between edge days
    ],
)
def test_the_stored_figures_equal_the_priced_stays(
    client: Any, stays: dict[str, str], session: Session, start: date, end: date
) -> None:
    """Whole months, days at the edges, a year and more: every grouping, every UM or one."""
    with session.begin():
        starts = reference_repository.campaign_starts(session)
        priced = repository.price_stays(session, start=start, end=end, campaign_starts=starts)
        for group in CasemixGroup:
            for units in (None, ["7500"], ["7501"]):
                expected = repository.casemix(session, priced=priced, group_by=group.value, units=units)
                stored = casemix._stored(session, group, [(start, end)], units)[0]
                assert _comparable(stored[0]) == _comparable(expected[0]), (group, units)
                assert stored[1] == expected[1]
    with session.begin():
        months = casemix._split(start, end)[0] + [end.replace(day=1)]
        assert repository.stale_months(session, months=months) == {}  # months computed once, then read


def test_a_change_during_the_computation_leaves_the_month_stale(
    client: Any, stays: dict[str, str], session: Session
) -> None:
    april = date(2024, 4, 1)
    with session.begin():
        changes = repository.stale_months(session, months=[april])[april]
        repository.price_month(
            session, month=april, last=date(2024, 4, 30), changes=changes - 1,
            campaign_starts=reference_repository.campaign_starts(session),
        )  # fmt: skip
        assert repository.stale_months(session, months=[april]) == {april: changes}
        count = session.execute(text("SELECT count(*) FROM casemix_figures WHERE grain = 'm'")).scalar_one()
        assert count == 2 + 3 + 4  # 2 UMs, 3 GHMs, 4 (GHM, UM) pairs: S1 went through 7500 and 7501


def test_a_year_is_read_from_its_year_rows_written_again_with_each_month(
    client: Any, stays: dict[str, str], session: Session
) -> None:
    admin = stays
    year = {"from": "2024-01-01", "to": "2024-12-31"}
    assert _figures(client, admin, **year)["04M144"]["stays"] == 1
    with session.begin():
        count = session.execute(
            text("SELECT count(*) FROM casemix_figures WHERE grain = 'y' AND period = '2024-01-01'")
        ).scalar_one()
        assert count == 2 + 3 + 4  # as April's month rows: the only month of 2024 with stays
    # A new version of S3 in April: the month is computed again, and the year with it.
    post(client, admin, grouped("S3", "04M144", date(2024, 4, 12), 9))
    after = _figures(client, admin, **year)
    assert (after["04M144"]["stays"], after["04M144"]["days"], after["total"]["stays"]) == (2, 14.0, 3)
    assert after == _figures(client, admin, **APRIL)


def test_tariffs_supplements_coefficients_and_national_los_recompute(
    client: Any, stays: dict[str, str]
) -> None:
    admin = stays
    before = _figures(client, admin)
    assert (before["04M144"]["valuation_total"], before["04M144"]["los_expected"]) == (7935.58, 10.0)
    load(client, admin, "ghs_tariffs", 2024, TARIFFS.replace("10470.19", "11470.19"))
    assert _figures(client, admin)["04M144"]["valuation_total"] == 8935.58
    load(client, admin, "tariff_coefficients", 2024, "prudential;geographic\n0.5;1\n")
    assert _figures(client, admin)["04M144"]["valuation_total"] == 4467.79
    load(client, admin, "ghm_dms", 2018, DMS.replace(",10\n", ",5\n"))
    assert _figures(client, admin)["04M144"]["los_expected"] == 5.0
    supplements = "campaign;code;label;tariff\n2024;REA;Réanimation;100\n"
    line = rsa_line(index=1, ghm="04M144", ghs="1188", los=5, exit_month=4, supplements={"sup_rea": 2})
    response = client.post(
        "/api/v1/rsa-batches", content=archive(line.encode(), tra_csv((1, "S2", "S"))),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert _figures(client, admin)["04M144"]["valuation_supplements"] == 0.0  # REA has no tariff yet
    load(client, admin, "supplement_tariffs", 2024, supplements)
    assert _figures(client, admin)["04M144"]["valuation_supplements"] == 200.0


def test_an_rsa_and_a_new_rss_version_recompute(client: Any, stays: dict[str, str]) -> None:
    admin = stays
    assert _figures(client, admin)["04M144"]["stays"] == 1
    # The grouper says 04M143 (GHS 1187) for S2: the stay moves to that GHM, valued by its tariff.
    line = rsa_line(index=1, ghm="04M143", ghs="1187", los=5, exit_month=4)
    response = client.post(
        "/api/v1/rsa-batches", content=archive(line.encode(), tra_csv((1, "S2", "S"))),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    after = _figures(client, admin)
    assert "04M144" not in after
    assert (after["04M143"]["stays"], after["04M143"]["valuation_total"]) == (2, 2 * 6668.29)
    # A new version of S3 (error GHM) with a GHM of its own: the error is gone.
    post(client, admin, grouped("S3", "04M144", date(2024, 4, 12), 9))
    after = _figures(client, admin)
    assert "90Z00Z" not in after
    assert (after["04M144"]["stays"], after["04M144"]["days"]) == (1, 9.0)
    assert after["total"]["stays"] == 3


def test_a_structure_change_recomputes(client: Any, stays: dict[str, str], session: Session) -> None:
    admin = stays
    assert _figures(client, admin, "unit")["7500"]["label"] == "Oncologie"
    with session.begin():
        session.execute(text("UPDATE structure_unit SET label = 'Renommée' WHERE code = '7500'"))
    assert _figures(client, admin, "unit")["7500"]["label"] == "Renommée"


def test_the_campaign_is_the_exit_dates_unless_the_rsa_batch_names_it(
    client: Any, stays: dict[str, str]
) -> None:
    """Left on 20 February 2024: campaign 2023 by its exit date (campaigns start 1 March), which is
    not loaded; the RSA batch that says campaign=2024 values it with the 2024 tariff."""
    admin = stays
    post(client, admin, grouped("FEB", "04M143", date(2024, 2, 16), 4))
    february = {"from": "2024-02-01", "to": "2024-02-29"}
    body = _figures(client, admin, **february)
    assert (body["total"]["stays"], body["total"]["valuation_total"]) == (1, 0.0)
    line = rsa_line(index=1, ghm="04M143", ghs="1187", los=4, exit_month=2)
    response = client.post(
        "/api/v1/rsa-batches", params={"campaign": 2024},
        content=archive(line.encode(), tra_csv((1, "FEB", "S"))),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert _figures(client, admin, **february)["total"]["valuation_total"] == 6668.29
