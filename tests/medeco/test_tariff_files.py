"""Supplement tariffs and campaign coefficients as nomenclature kinds: layouts, errors, replacement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.core import db
from app.medeco.models import SupplementTariff, TariffCoefficient

pytestmark = pytest.mark.usefixtures("realistic")

SUPPLEMENTS = (
    "anseqta;code;libelle;tarif;date_effet\n"
    "2024;REA;Réanimation;1009,97;01/03/2024\n"
    "2024;nn1;Néonatologie 1;300.50;01/03/2024\n"
    "2024;9610;Radiothérapie;120;\n"
    "2023;REA;Réanimation;990.00;01/03/2023\n"
)


def load(client: Any, headers: dict[str, str], kind: str, year: int, body: str) -> Any:
    return client.post(
        f"/api/v1/nomenclatures/{kind}", params={"year": year}, content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )  # fmt: skip


def test_supplement_tariffs_load_the_requested_campaign(client: Any, auth_headers: Any) -> None:
    response = load(client, auth_headers("admin"), "supplement_tariffs", 2024, SUPPLEMENTS)
    assert response.status_code == 200, response.text
    assert (response.json()["kind"], response.json()["rows"]) == ("supplement_tariffs", 3)
    with db.new_session() as session:
        rows = session.execute(
            select(SupplementTariff.year, SupplementTariff.code, SupplementTariff.tariff).order_by(
                SupplementTariff.code
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (2024, "9610", Decimal("120.00")),
        (2024, "NN1", Decimal("300.50")),
        (2024, "REA", Decimal("1009.97")),
    ]


def test_bad_supplement_rows_load_nothing(client: Any, auth_headers: Any) -> None:
    body = "campaign;code;tariff\n2024;XYZ;10\n2024;REA;-1\n2024;SRC;12\n2024;SRC;13\n"
    response = load(client, auth_headers("admin"), "supplement_tariffs", 2024, body)
    assert response.status_code == 400
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (2, "code", "invalid_code"), (3, "tariff", "invalid_value"), (5, "code", "duplicate_code"),
    ]  # fmt: skip


def test_coefficients(client: Any, auth_headers: Any) -> None:
    response = load(
        client, auth_headers("admin"), "tariff_coefficients", 2024, "prudentiel;geographique\n0,993;1.07\n"
    )
    assert response.status_code == 200, response.text
    with db.new_session() as session:
        row = session.get(TariffCoefficient, 2024)
        assert row is not None and (row.prudential, row.geographic) == (
            Decimal("0.993000"),
            Decimal("1.070000"),
        )
    bad = load(
        client, auth_headers("admin"), "tariff_coefficients", 2024, "prudential;geographic\n0;1\n1;1\n"
    )
    assert bad.status_code == 400
    assert [(e["line"], e["field"]) for e in bad.json()["errors"]] == [(2, "prudential")]
    two = load(
        client, auth_headers("admin"), "tariff_coefficients", 2025, "prudential;geographic\n1;1\n1;1\n"
    )
    assert two.status_code == 400 and two.json()["errors"][0]["code"] == "duplicate_row"
    assert (
        load(
            client, auth_headers("dim"), "tariff_coefficients", 2024, "prudential;geographic\n1;1\n"
        ).status_code
        == 403
    )
