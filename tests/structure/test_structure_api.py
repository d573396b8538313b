from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo.generator import build_ium, build_structure

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
    assert response.json() == {"poles": 2, "services": 2, "units": 3, "authorisations": 0}
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


def test_a_structure_file_that_is_not_json_names_its_line_and_reason(client: Any, auth_headers: Any) -> None:
    """It was `line` 323 and field `body.322` (the character offset) with only "JSON decode error"."""
    body = json.dumps(STRUCTURE, indent=2).replace('"URG"\n', '"URG",\n', 1)  # a trailing comma
    assert body.count("\n") > 10
    headers = {**auth_headers("admin"), "Content-Type": "application/json"}
    response = client.put("/api/v1/structure", content=body.encode(), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "line": 22, "field": "body", "code": "json_invalid",
            "message": "the body is not valid JSON: Expecting property name enclosed in double quotes "
            "(line 22, column 5)",
        }
    ]  # fmt: skip


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


def _demo_structure(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    """GET /structure after the demo structure and fichier d'UM, plus a later line changing one
    unit's authorisation (blank beds and mode) so that the history has two dates for it."""
    assert client.put("/api/v1/structure", json=build_structure().model_dump(mode="json"), headers=admin)
    ium = "\n".join([*build_ium(), "770275009100029 01012023"]).encode()
    loaded = client.post(
        "/api/v1/structure/ium", content=ium, headers={**admin, "Content-Type": "text/plain"}
    )
    assert loaded.status_code == 200 and loaded.json()["lines_rejected"] == 0
    body: dict[str, Any] = client.get("/api/v1/structure", headers=admin).json()
    assert [
        (a["effect_date"], a["beds"], a["hosp_mode"]) for a in body["authorisations"] if a["unit"] == "7702"
    ][-1] == ("2023-01-01", None, "")
    return body


def _without_load_times(structure: dict[str, Any]) -> dict[str, Any]:
    return {**structure, "authorisations": [{**a, "loaded_at": None} for a in structure["authorisations"]]}


def test_get_output_is_accepted_by_put_and_gives_the_same_structure(
    client: Any, auth_headers: Any, session: Session
) -> None:
    admin = auth_headers("admin")
    demo = _demo_structure(client, admin)
    counts = {name: len(demo[name]) for name in ("poles", "services", "units", "authorisations")}
    assert counts["units"] > 50 and counts["authorisations"] > 50

    again = client.put("/api/v1/structure", json=demo, headers=admin)
    assert (again.status_code, again.json()) == (200, counts)
    assert client.get("/api/v1/structure", headers=admin).json() == demo  # load times kept too

    # Into a database without that structure: the same structure, loaded now.
    session.execute(text("DELETE FROM unit_authorisation"))
    session.commit()
    assert client.put("/api/v1/structure", json={}, headers=admin).status_code == 200
    copied = client.put("/api/v1/structure", json=demo, headers=admin)
    assert (copied.status_code, copied.json()) == (200, counts)
    assert _without_load_times(client.get("/api/v1/structure", headers=admin).json()) == _without_load_times(
        demo
    )


def test_authorisations_of_a_put_are_checked_as_fichier_d_um_lines(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    line = {"unit": "7500", "finess_geo": "750091000", "auth_type": "01A", "effect_date": "2022-01-01"}
    bad = {
        **STRUCTURE,
        "authorisations": [
            {**line, "beds": 12, "hosp_mode": "C"},
            {**line, "hosp_mode": "X", "effect_date": "2023-01-01"},
            {**line, "unit": "75\r0", "effect_date": "2024-01-01"},
            {**line, "beds": 20, "hosp_mode": "C"},
        ],
    }
    response = client.put("/api/v1/structure", json=bad, headers=admin)
    assert response.status_code == 400
    assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (2, "authorisations.hosp_mode", "unknown_mode"),
        (3, "authorisations.unit", "control_character"),
        (4, "authorisations.effect_date", "duplicate_effect_date"),
    ]
    too_many_beds = {**STRUCTURE, "authorisations": [{**line, "beds": 1000}]}
    response = client.put("/api/v1/structure", json=too_many_beds, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.authorisations.0.beds"]
    body = client.get("/api/v1/structure", headers=admin).json()
    assert (body["units"], body["authorisations"]) == ([], [])
