"""Structure and token unit codes without control characters, structure dates within 1900-2100
(issue 15, defects 8 and 15): a 422 problem naming the field, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

RANGE = "(1900-01-01 to 2100-12-31)"
UNIT = {"code": "7500", "label": "Oncologie", "pole": "MED", "service": "ONCO"}
BASE = {
    "poles": [{"code": "MED", "label": "Médecine"}],
    "services": [{"code": "ONCO", "label": "Oncologie", "pole": "MED"}],
    "units": [UNIT],
}


def _put(client: Any, admin: dict[str, str], **changes: Any) -> Any:
    return client.put("/api/v1/structure", json={**BASE, **changes}, headers=admin)


def _errors(response: Any) -> list[tuple[Any, ...]]:
    return [(e["line"], e["field"], e["code"], e["message"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("changes", "field", "character"),
    [
        ({"units": [{**UNIT, "code": "75\r0"}]}, "body.units.0.code", "U+000D at position 3"),
        ({"units": [{**UNIT, "code": "7500\n"}]}, "body.units.0.code", "U+000A at position 5"),
        (
            {"units": [UNIT, {**UNIT, "code": "7\x00", "valid_from": "2030-01-01"}]},
            "body.units.1.code",
            "U+0000 at position 2",
        ),
        ({"units": [{**UNIT, "service": "ON\rCO"}]}, "body.units.0.service", "U+000D at position 3"),
        ({"poles": [{"code": "M\x00D", "label": "Médecine"}]}, "body.poles.0.code", "U+0000 at position 2"),
        (
            {"services": [{"code": "ONCO\x0b", "label": "Oncologie", "pole": "MED"}]},
            "body.services.0.code",
            "U+000B at position 5",
        ),
    ],
    ids=["unit-cr", "unit-trailing-lf", "unit-nul", "unit-service", "pole", "service"],
)
def test_codes_with_control_characters_are_a_422(
    client: Any, auth_headers: Any, changes: dict[str, Any], field: str, character: str
) -> None:
    admin = auth_headers("admin")
    response = _put(client, admin, **changes)
    assert response.status_code == 422
    line = int(field.split(".")[2]) + 1
    assert _errors(response) == [
        (line, field, "control_character", f"control character {character} is not allowed")
    ]
    assert client.get("/api/v1/structure", headers=admin).json()["units"] == []


@pytest.mark.parametrize(
    ("changes", "field", "day"),
    [
        ({"units": [{**UNIT, "valid_to": "9999-12-31"}]}, "body.units.0.valid_to", "9999-12-31"),
        ({"units": [{**UNIT, "valid_from": "0001-01-01"}]}, "body.units.0.valid_from", "0001-01-01"),
        (
            {
                "authorisations": [
                    {
                        "unit": "7500",
                        "finess_geo": "750091000",
                        "auth_type": "01A",
                        "effect_date": "0001-01-01",
                    }
                ]
            },
            "body.authorisations.0.effect_date",
            "0001-01-01",
        ),
    ],
    ids=["valid-to", "valid-from", "effect-date"],
)
def test_structure_dates_out_of_range_are_a_422(
    client: Any, auth_headers: Any, changes: dict[str, Any], field: str, day: str
) -> None:
    admin = auth_headers("admin")
    response = _put(client, admin, **changes)
    assert response.status_code == 422
    assert _errors(response) == [
        (1, field, "date_out_of_range", f"{day} is outside the accepted range {RANGE}")
    ]
    assert client.get("/api/v1/structure", headers=admin).json()["units"] == []


def test_the_limits_of_the_range_are_accepted(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    unit = {**UNIT, "valid_from": "1900-01-01", "valid_to": "2100-12-31"}
    assert _put(client, admin, units=[unit]).status_code == 200
    body = client.get("/api/v1/structure", headers=admin).json()
    # 1900-01-01, the first day accepted, is also how the structure stores "since always".
    assert [(u["code"], u["valid_from"], u["valid_to"]) for u in body["units"]] == [
        ("7500", None, "2100-12-31")
    ]


@pytest.mark.parametrize("unit", ["7500\n", "75\r00", "7500\x00"])
def test_token_units_with_control_characters_are_a_422(client: Any, auth_headers: Any, unit: str) -> None:
    admin = auth_headers("admin")
    assert _put(client, admin).status_code == 200
    response = client.post(
        "/api/v1/tokens", json={"name": "orbis", "role": "dim", "units": [unit]}, headers=admin
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("body.units.0", "control_character")
    ]
    names = [token["name"] for token in client.get("/api/v1/tokens", headers=admin).json()]
    assert "orbis" not in names
