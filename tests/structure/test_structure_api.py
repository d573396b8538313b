from __future__ import annotations

from typing import Any

STRUCTURE = {
    "poles": [{"code": "MED", "label": "Médecine"}, {"code": "URG", "label": "Urgences"}],
    "services": [
        {"code": "ONCO", "label": "Oncologie", "pole": "MED"},
        {"code": "URG", "label": "Urgences", "pole": "URG"},
    ],
    "units": [
        {"code": "7500", "label": "Oncologie", "pole": "MED", "service": "ONCO", "valid_to": "2021-12-31"},
        {"code": "7500", "label": "Oncologie", "pole": "MED", "service": "ONCO", "valid_from": "2022-01-01"},
        {"code": "5520", "label": "Unité surv. Courte durée (urg)", "pole": "URG", "service": "URG"},
    ],
}


def test_put_then_get_structure(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    response = client.put("/api/v1/structure", json=STRUCTURE, headers=admin)
    assert response.status_code == 200
    assert response.json() == {"poles": 2, "services": 2, "units": 3}
    body = client.get("/api/v1/structure", headers=auth_headers("reader")).json()
    assert [p["code"] for p in body["poles"]] == ["MED", "URG"]
    assert [(u["code"], u["valid_from"], u["valid_to"]) for u in body["units"]] == [
        ("5520", None, None),
        ("7500", None, "2021-12-31"),
        ("7500", "2022-01-01", None),
    ]
    assert body["authorisations"] == []


def test_put_replaces_and_is_idempotent(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    client.put("/api/v1/structure", json=STRUCTURE, headers=admin)
    client.put("/api/v1/structure", json=STRUCTURE, headers=admin)
    smaller = {**STRUCTURE, "units": STRUCTURE["units"][2:]}
    client.put("/api/v1/structure", json=smaller, headers=admin)
    body = client.get("/api/v1/structure", headers=admin).json()
    assert [u["code"] for u in body["units"]] == ["5520"]


def test_unit_restricted_token_sees_only_its_units(client: Any, auth_headers: Any) -> None:
    client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin"))
    body = client.get("/api/v1/structure", headers=auth_headers("reader", units=["5520"])).json()
    assert [u["code"] for u in body["units"]] == ["5520"]


def test_inconsistent_structure_is_rejected_with_located_errors(client: Any, auth_headers: Any) -> None:
    bad = {
        "poles": [{"code": "MED", "label": "Médecine"}],
        "services": [{"code": "ONCO", "label": "Oncologie", "pole": "NOPE"}],
        "units": [
            {"code": "7500", "label": "A", "pole": "MED", "service": "GHOST"},
            {"code": "7500", "label": "B", "valid_from": "2022-01-01"},
            {"code": "7510", "label": "C", "valid_from": "2022-02-01", "valid_to": "2022-01-01"},
        ],
    }
    response = client.put("/api/v1/structure", json=bad, headers=auth_headers("admin"))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "services.pole", "unknown_pole"),
        (1, "units.service", "unknown_service"),
        (2, "units.valid_from", "overlapping_period"),
        (3, "units.valid_to", "invalid_period"),
    ]
    assert client.get("/api/v1/structure", headers=auth_headers("admin")).json()["units"] == []


def test_structure_write_needs_admin_and_is_audited(client: Any, auth_headers: Any) -> None:
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("dim")).status_code == 403
    assert client.get("/api/v1/structure", headers=auth_headers("ingest")).status_code == 403
    admin = auth_headers("admin", name="dim-admin")
    client.put("/api/v1/structure", json=STRUCTURE, headers=admin)
    entries = client.get("/api/v1/audit-log", params={"object_type": "structure"}, headers=admin).json()[
        "items"
    ]
    assert [(e["token_name"], e["method"], e["endpoint"]) for e in entries] == [
        ("dim-admin", "PUT", "/api/v1/structure")
    ]
