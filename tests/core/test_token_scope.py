"""Tokens never exceed their creator's scope; unit restrictions fail closed; the audit log of an
admin restricted to units holds only its units' entries (issue 15, defects 2 and 3)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

PROBLEM = "application/problem+json"
MINE, OTHER, FOREIGN = "7500", "7501", "Q9Z8"
STRUCTURE = {
    "poles": [{"code": "MED", "label": "Médecine"}],
    "services": [{"code": "ONCO", "label": "Oncologie", "pole": "MED"}],
    "units": [
        {"code": code, "label": code, "pole": "MED", "service": "ONCO"} for code in (MINE, OTHER, FOREIGN)
    ],
}


@pytest.fixture()
def structure(client: Any, auth_headers: Any) -> Any:
    admin = auth_headers("admin", name="structure-admin")
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=admin).status_code == 200
    return client


def create(client: Any, headers: dict[str, str], name: str, role: str, units: Any = ...) -> Any:
    body: dict[str, Any] = {"name": name, "role": role}
    if units is not ...:
        body["units"] = units
    return client.post("/api/v1/tokens", json=body, headers=headers)


def names(session: Any) -> list[str]:
    """The tokens created, but the fixture's."""
    query = text("SELECT name FROM api_token WHERE name <> 'structure-admin' ORDER BY name")
    return list(session.execute(query).scalars())


class TestCreation:
    def test_a_restricted_admin_cannot_create_an_unrestricted_token(
        self, structure: Any, auth_headers: Any, session: Any
    ) -> None:
        unit_admin = auth_headers("admin", units=[MINE, OTHER], name="unit-admin")
        for role in ("admin", "dim", "ingest"):
            response = create(structure, unit_admin, f"escalated-{role}", role)
            assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)
            assert response.json()["detail"] == (
                "A token restricted to units may not create a token on every unit: name some of its units."
            )
        outside = create(structure, unit_admin, "foreign-dim", "dim", [MINE, FOREIGN])
        assert outside.status_code == 403
        assert outside.json()["detail"] == (
            "Units Q9Z8 are outside this token's units: it may only create tokens restricted to some "
            "of its own units."
        )
        assert names(session) == ["unit-admin"]

    def test_within_its_units_it_may_create_any_role(self, structure: Any, auth_headers: Any) -> None:
        unit_admin = auth_headers("admin", units=[MINE, OTHER], name="unit-admin")
        created = create(structure, unit_admin, "onco-admin", "admin", [MINE])
        assert created.status_code == 201, created.text
        assert (created.json()["role"], created.json()["units"]) == ("admin", [MINE])
        secret = created.json()["token"]
        me = structure.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert me == {"name": "onco-admin", "role": "admin", "units": [MINE]}
        # ...and the new admin is bound in turn: not even back to its creator's units.
        again = create(structure, {"Authorization": f"Bearer {secret}"}, "wider", "dim", [MINE, OTHER])
        assert again.status_code == 403

    def test_an_unrestricted_admin_creates_any_token(self, structure: Any, auth_headers: Any) -> None:
        admin = auth_headers("admin")
        assert create(structure, admin, "root-2", "admin").json()["units"] is None
        assert create(structure, admin, "foreign", "dim", [FOREIGN]).json()["units"] == [FOREIGN]
        assert create(structure, admin, "null-units", "reader", None).json()["units"] is None

    @pytest.mark.parametrize(
        ("units", "error"),
        [
            ([""], {"line": 1, "field": "body.units.0", "code": "string_too_short"}),
            (["7500", "  "], {"line": 2, "field": "body.units.1", "code": "string_too_short"}),
            ([], {"line": None, "field": "body.units", "code": "too_short"}),
            (["7500", "9999"], {"line": 2, "field": "units", "code": "unknown_unit"}),
        ],
        ids=["empty-code", "blank-code", "empty-list", "unknown-code"],
    )
    def test_blank_empty_or_unknown_units_are_422_and_create_nothing(
        self, structure: Any, auth_headers: Any, session: Any, units: list[str], error: dict[str, Any]
    ) -> None:
        admin = auth_headers("admin", name="root")
        response = create(structure, admin, "onco", "dim", units)
        assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM)
        errors = response.json()["errors"]
        assert [{key: e[key] for key in ("line", "field", "code")} for e in errors] == [error]
        assert names(session) == ["root"]

    def test_units_are_stripped_sorted_and_known_from_the_fichier_d_um_too(
        self, structure: Any, auth_headers: Any
    ) -> None:
        ium = "7600" + "750000001" + "01A" + "01012024" + "010" + "C"
        assert len(ium) == 28
        loaded = structure.post(
            "/api/v1/structure/ium",
            content=ium.encode(),
            headers={**auth_headers("admin"), "Content-Type": "text/plain"},
        )
        assert loaded.status_code == 200, loaded.text
        response = create(structure, auth_headers("admin"), "ssr", "reader", [" 7600", OTHER, MINE])
        assert (response.status_code, response.json()["units"]) == (201, [MINE, OTHER, "7600"])


class TestListAndRevoke:
    @pytest.fixture()
    def tokens(self, structure: Any, auth_headers: Any) -> dict[str, dict[str, str]]:
        return {
            "root": auth_headers("admin", name="root"),
            "unit-admin": auth_headers("admin", units=[MINE, OTHER], name="unit-admin"),
            "onco-dim": auth_headers("dim", units=[MINE], name="onco-dim"),
            "both-reader": auth_headers("reader", units=[MINE, OTHER], name="both-reader"),
            "straddling": auth_headers("dim", units=[MINE, FOREIGN], name="straddling"),
            "foreign-ingest": auth_headers("ingest", units=[FOREIGN], name="foreign-ingest"),
            "his": auth_headers("ingest", name="his"),
        }

    def test_a_restricted_admin_lists_only_the_tokens_within_its_units(
        self, structure: Any, tokens: dict[str, dict[str, str]]
    ) -> None:
        listed = structure.get("/api/v1/tokens", headers=tokens["unit-admin"]).json()
        assert [t["name"] for t in listed] == ["both-reader", "onco-dim", "unit-admin"]
        everything = structure.get("/api/v1/tokens", headers=tokens["root"]).json()
        assert len(everything) == 8  # and the fixture's

    def test_a_restricted_admin_revokes_only_the_tokens_within_its_units(
        self, structure: Any, tokens: dict[str, dict[str, str]]
    ) -> None:
        unit_admin = tokens["unit-admin"]
        for name in ("root", "his", "straddling", "foreign-ingest"):
            response = structure.delete(f"/api/v1/tokens/{name}", headers=unit_admin)
            assert (response.status_code, response.json()["detail"]) == (
                404,
                f"No active token named {name!r}.",
            )
            assert structure.get("/api/v1/me", headers=tokens[name]).status_code == 200
        assert structure.delete("/api/v1/tokens/onco-dim", headers=unit_admin).status_code == 204
        assert structure.get("/api/v1/me", headers=tokens["onco-dim"]).status_code == 401
        assert structure.delete("/api/v1/tokens/straddling", headers=tokens["root"]).status_code == 204


class TestAuditLog:
    def test_a_restricted_admin_reads_only_its_units_entries(self, structure: Any, auth_headers: Any) -> None:
        client = structure
        root = auth_headers("admin", name="root")
        lines = [
            *write_rss(make_rss(1, rss_number="51000001", admin_number="61000001", unit=MINE)),
            *write_rss(make_rss(1, rss_number="52999991", admin_number="62999991", unit=FOREIGN)),
        ]
        posted = client.post(
            "/api/v1/rum-batches", content="\n".join(lines).encode(),
            headers={**auth_headers("ingest", name="his"), "Content-Type": "text/plain"},
        )  # fmt: skip
        assert posted.status_code == 201
        # Reads: an unrestricted dim reads the foreign RSS, a dim of MINE its own RSS.
        assert client.get("/api/v1/rss/52999991", headers=auth_headers("dim", name="dim")).status_code == 200
        onco = auth_headers("dim", units=[MINE], name="onco-dim")
        assert client.get("/api/v1/rss/51000001", headers=onco).status_code == 200
        assert client.get("/api/v1/findings", headers=onco).status_code == 200  # no finding: no unit
        # Token writes: a token of MINE, an unrestricted one, one straddling MINE and FOREIGN.
        assert create(client, root, "onco-reader", "reader", [MINE]).status_code == 201
        assert create(client, root, "dashboard", "reader").status_code == 201
        assert create(client, root, "straddling", "reader", [MINE, FOREIGN]).status_code == 201

        unit_admin = auth_headers("admin", units=[MINE, OTHER], name="unit-admin")
        page = client.get("/api/v1/audit-log", headers=unit_admin)
        assert page.status_code == 200
        seen = [
            (e["token_name"], e["object_type"], e["object_ids"], e["units"]) for e in page.json()["items"]
        ]
        assert seen == [
            ("root", "token", ["onco-reader"], [MINE]),
            ("onco-dim", "rss", ["51000001"], [MINE]),
        ]
        assert "52999991" not in page.text and FOREIGN not in page.text
        # Filters narrow the same scope, never widen it.
        by_id = client.get("/api/v1/audit-log", params={"object_id": "52999991"}, headers=unit_admin)
        assert by_id.json()["items"] == []
        everything = client.get("/api/v1/audit-log", headers=root).json()["items"]
        assert [(e["token_name"], e["object_type"], e["units"]) for e in everything[:-1]] == [
            ("root", "token", [MINE, FOREIGN]),
            ("root", "token", None),
            ("root", "token", [MINE]),
            ("onco-dim", "rss", []),
            ("onco-dim", "rss", [MINE]),
            ("dim", "rss", [FOREIGN]),
            ("his", "rum_batch", None),
        ]
        assert (everything[-1]["object_type"], everything[-1]["units"]) == ("structure", None)
