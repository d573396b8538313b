from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditLog
from app.ingestion.writer import write_rss
from app.reference.ium import IumLine, write_ium
from tests.ingestion.builders import DEFAULT_ENTRY, make_rss
from tests.rules.storage import ingest, with_dp

pytestmark = pytest.mark.usefixtures("realistic")

CSV = {"Content-Type": "text/csv"}
TEXT = {"Content-Type": "text/plain"}
SCENARIO_IUM = [
    IumLine(0, unit, "750000001", "29", "01012020", date(2020, 1, 1), 10, "C") for unit in ("7501", "9999")
]
TINY_CIM = "code;label;type_mco\nJ189;Pneumopathie, sans précision;0\nI10;Hypertension essentielle;0\n"
# 7501 moves from Cardiologie (pôle Médecine) to the Urgences on 1 April 2024.
STRUCTURE = {
    "poles": [{"code": "MED", "label": "Médecine"}, {"code": "URG", "label": "Urgences"}],
    "services": [
        {"code": "ONCO", "label": "Oncologie", "pole": "MED"},
        {"code": "CARDIO", "label": "Cardiologie", "pole": "MED"},
        {"code": "URG", "label": "Urgences", "pole": "URG"},
    ],
    "units": [
        {"code": "7500", "label": "Oncologie", "pole": "MED", "service": "ONCO"},
        {"code": "7501", "label": "Cardio", "pole": "MED", "service": "CARDIO", "valid_to": "2024-03-31"},
        {"code": "7501", "label": "UHCD", "pole": "URG", "service": "URG", "valid_from": "2024-04-01"},
        {"code": "5520", "label": "Unité surv. courte durée", "pole": "URG", "service": "URG"},
    ],
}
C067 = "DP {} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie)."


@pytest.fixture()
def seeded(client: Any, auth_headers: Any, session: Session) -> dict[str, str]:
    """Five findings, ids 1-5:

    1 C067 RSS 100 RUM 1 X999, UM 7500 (ONCO/MED), discharge 2024-03-08
    2 C067 RSS 100 RUM 2 X998, UM 7501 (CARDIO/MED at that date), discharge 2024-03-08
    3 C067 RSS 200 RUM 2 X997, UM 7501 (URG/URG at that date), discharge 2024-05-10
    4 C070 RSS 300 RUM 1 DA X996, UM 5520 (URG/URG), discharge 2024-06-05
    5 Q008 RSS 400 RUM 1, UM 9999 unknown to the structure (warning), discharge 2024-03-06
    """
    admin = auth_headers("admin", name="admin-seed")
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=admin).status_code == 200
    # The realistic configuration's fichier d'UM (tests/fixtures/realistic.py) authorises the demo's
    # units; the scenario's own unit 7501 and its unknown 9999 get a line too, so that no C100
    # (authorisation) finding joins the five.
    ium = "".join(write_ium(line) + "\n" for line in SCENARIO_IUM).encode()
    assert client.post("/api/v1/structure/ium", content=ium, headers={**admin, **TEXT}).status_code == 200
    response = client.post(
        "/api/v1/nomenclatures/cim10?year=2024", content=TINY_CIM, headers={**admin, **CSV}
    )
    assert response.status_code == 200
    ingest(session, with_dp(make_rss(2, rss_number="100"), "X999", "X998"))
    ingest(session, with_dp(make_rss(2, rss_number="200", entry=date(2024, 5, 6)), "J189", "X997"))
    rss = make_rss(1, rss_number="300", entry=date(2024, 6, 3), unit="5520")
    rss.rums[0].das = ["X996"]
    ingest(session, rss)
    ingest(session, make_rss(1, rss_number="400", unit="9999"))
    session.commit()
    return admin


def _ids(client: Any, headers: dict[str, str], **params: Any) -> list[int]:
    response = client.get("/api/v1/findings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestList:
    def test_items(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        body = client.get("/api/v1/findings", headers=auth_headers("dim")).json()
        assert body["next_cursor"] is None
        assert [(i["id"], i["rule"], i["severity"], i["rss_number"]) for i in body["items"]] == [
            (1, "C067", "blocking", "100"),
            (2, "C067", "blocking", "100"),
            (3, "C067", "blocking", "200"),
            (4, "C070", "blocking", "300"),
            (5, "Q008", "warning", "400"),
        ]
        assert body["items"][0] == {
            "id": 1,
            "rule": "C067",
            "severity": "blocking",
            "rss_number": "100",
            "rum_number": "1",
            "field": "dp",
            "value": "X999",
            "message": C067.format("X999"),
            "status": "open",
            "comment": None,
            "unit": "7500",
            "exit_date": "2024-03-08",
        }

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"rss_number": "100"}, [1, 2]),
            ({"rule": "C070"}, [4]),
            ({"severity": "warning"}, [5]),
            ({"unit": "7501"}, [2, 3]),
            ({"service": "CARDIO"}, [2]),
            ({"service": "URG"}, [3, 4]),
            ({"pole": "MED"}, [1, 2]),
            ({"pole": "URG"}, [3, 4]),
            ({"from": "2024-05-01"}, [3, 4]),
            ({"to": "2024-03-31"}, [1, 2, 5]),
            ({"from": "2024-03-07", "to": "2024-05-10"}, [1, 2, 3]),
            ({"rule": "C067", "pole": "MED", "unit": "7501"}, [2]),
            ({"status": "acknowledged"}, []),
            ({"status": "open"}, [1, 2, 3, 4, 5]),
        ],
    )
    def test_filters(
        self,
        client: Any,
        auth_headers: Any,
        seeded: dict[str, str],
        params: dict[str, str],
        expected: list[int],
    ) -> None:
        assert _ids(client, auth_headers("dim"), **params) == expected

    def test_cursor_pagination(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        dim = auth_headers("dim")
        pages, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = client.get("/api/v1/findings", params=params, headers=dim).json()
            pages.append(([i["id"] for i in body["items"]], body["next_cursor"]))
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == [([1, 2], "2"), ([3, 4], "4"), ([5], None)]
        bad = client.get("/api/v1/findings", params={"cursor": "abc"}, headers=dim)
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("path", ["/api/v1/findings", "/api/v1/findings/summary"])
    def test_reversed_period_is_a_problem(
        self, client: Any, auth_headers: Any, seeded: dict[str, str], path: str
    ) -> None:
        # Swapped dates in a DIM script answered an empty list, read as "no finding to review".
        response = client.get(
            path, params={"from": "2024-05-10", "to": "2024-03-07"}, headers=auth_headers("dim")
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {
                "line": None,
                "field": "to",
                "code": "invalid_period",
                "message": "`to` must be on or after `from`",
            }
        ]

    def test_csv(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        response = client.get(
            "/api/v1/findings", params={"format": "csv", "rss_number": "100"}, headers=auth_headers("dim")
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "X-Next-Cursor" not in response.headers
        lines = response.content.decode("utf-8").split("\r\n")
        assert lines[0] == (
            "\ufeffid;rule;severity;rss_number;rum_number;field;value;message;status;unit;exit_date;comment"
        )
        assert lines[1] == f"1;C067;blocking;100;1;dp;X999;{C067.format('X999')};open;7500;2024-03-08;"
        assert len(lines) == 4 and lines[3] == ""

    def test_csv_page_cursor_is_a_header(
        self, client: Any, auth_headers: Any, seeded: dict[str, str]
    ) -> None:
        response = client.get("/api/v1/findings?format=csv&limit=3", headers=auth_headers("dim"))
        assert response.headers["X-Next-Cursor"] == "3"

    def test_closed_findings_are_listed_apart(
        self, client: Any, auth_headers: Any, seeded: dict[str, str], session: Session
    ) -> None:
        ingest(session, with_dp(make_rss(2, rss_number="100"), "J189", "X998"))  # RUM 1 fixed
        session.commit()
        dim = auth_headers("dim")
        assert _ids(client, dim, rss_number="100") == [2]
        body = client.get("/api/v1/findings?status=closed", headers=dim).json()
        assert [(i["id"], i["status"]) for i in body["items"]] == [(1, "closed")]


class TestSummary:
    def test_counts_per_rule_and_service(
        self, client: Any, auth_headers: Any, seeded: dict[str, str]
    ) -> None:
        dim = auth_headers("dim")
        client.patch("/api/v1/findings/3", json={"status": "acknowledged"}, headers=dim)
        response = client.get("/api/v1/findings/summary", headers=auth_headers("reader"))
        assert response.status_code == 200
        body = response.json()
        assert (body["from"], body["to"]) == (None, None)
        rows = [
            (
                r["rule"],
                r["severity"],
                r["service"],
                r["open"],
                r["acknowledged"],
                r["dismissed"],
                r["findings"],
            )
            for r in body["items"]
        ]
        assert rows == [
            ("C067", "blocking", "CARDIO", 1, 0, 0, 1),
            ("C067", "blocking", "ONCO", 1, 0, 0, 1),
            ("C067", "blocking", "URG", 0, 1, 0, 1),
            ("C070", "blocking", "URG", 1, 0, 0, 1),
            ("Q008", "warning", None, 1, 0, 0, 1),
        ]
        assert body["total"] == {"open": 4, "acknowledged": 1, "dismissed": 0, "findings": 5}
        assert "rss_number" not in response.text

    def test_period(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        body = client.get(
            "/api/v1/findings/summary?from=2024-05-01&to=2024-06-30", headers=auth_headers("reader")
        ).json()
        assert body["from"] == "2024-05-01"
        assert [(r["rule"], r["service"], r["findings"]) for r in body["items"]] == [
            ("C067", "URG", 1),
            ("C070", "URG", 1),
        ]
        assert body["total"] == {"open": 2, "acknowledged": 0, "dismissed": 0, "findings": 2}

    def test_unit_restricted_reader(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        body = client.get("/api/v1/findings/summary", headers=auth_headers("reader", units=["5520"])).json()
        assert [(r["rule"], r["service"], r["findings"]) for r in body["items"]] == [("C070", "URG", 1)]
        assert body["total"] == {"open": 1, "acknowledged": 0, "dismissed": 0, "findings": 1}


class TestReview:
    def _patch(self, client: Any, headers: dict[str, str], finding_id: int, **body: Any) -> Any:
        return client.patch(f"/api/v1/findings/{finding_id}", json=body, headers=headers)

    def test_workflow(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        dim = auth_headers("dim")
        response = self._patch(client, dim, 1, status="acknowledged", comment="Vu avec le Dr B.")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["comment"]) == ("acknowledged", "Vu avec le Dr B.")
        # Same status: only the comment changes.
        assert (
            self._patch(client, dim, 1, status="acknowledged", comment="Relancé").json()["comment"]
            == "Relancé"
        )
        # A dismissal must be justified (payload validation).
        assert self._patch(client, dim, 1, status="dismissed").status_code == 422
        dismissed = self._patch(client, dim, 1, status="dismissed", comment="Code local accepté")
        assert dismissed.json()["status"] == "dismissed"
        conflict = self._patch(client, dim, 1, status="acknowledged")
        assert conflict.status_code == 409
        assert conflict.json()["detail"] == "a finding dismissed cannot become acknowledged; reopen it first"
        reopened = self._patch(client, dim, 1, status="open")
        assert (reopened.json()["status"], reopened.json()["comment"]) == ("open", "Code local accepté")
        assert self._patch(client, dim, 999, status="acknowledged").status_code == 404
        assert self._patch(client, dim, 1, status="closed").status_code == 422

    def test_review_follows_the_finding_then_closed_is_frozen(
        self, client: Any, auth_headers: Any, seeded: dict[str, str], session: Session
    ) -> None:
        dim = auth_headers("dim")
        self._patch(client, dim, 2, status="acknowledged", comment="À recoder")
        ingest(session, with_dp(make_rss(2, rss_number="100"), "J189", "X998"))  # RUM 1 fixed, RUM 2 not
        session.commit()
        kept = client.get("/api/v1/findings?rss_number=100", headers=dim).json()["items"]
        assert [(i["id"], i["status"], i["comment"]) for i in kept] == [(2, "acknowledged", "À recoder")]
        closed = self._patch(client, dim, 1, status="acknowledged")
        assert closed.status_code == 409

    def test_audited(self, client: Any, auth_headers: Any, seeded: dict[str, str], session: Session) -> None:
        dim = auth_headers("dim", name="dr-dim")
        self._patch(client, dim, 4, status="acknowledged")
        entry = session.scalars(select(AuditLog).where(AuditLog.object_type == "finding")).one()
        assert (entry.token_name, entry.action, entry.method, entry.object_ids) == (
            "dr-dim",
            "write",
            "PATCH",
            ["4"],
        )
        assert entry.endpoint == "/api/v1/findings/{finding_id}"


class TestAccess:
    def test_role_matrix(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        expected = {
            "reader": {"findings": 403, "summary": 200, "rules": 200, "patch": 403, "runs": 403},
            "ingest": {"findings": 403, "summary": 403, "rules": 403, "patch": 403, "runs": 403},
            "dim": {"findings": 200, "summary": 200, "rules": 200, "patch": 200, "runs": 200},
            "admin": {"findings": 200, "summary": 200, "rules": 200, "patch": 200, "runs": 200},
        }
        for role, statuses in expected.items():
            headers = auth_headers(role)
            got = {
                "findings": client.get("/api/v1/findings", headers=headers).status_code,
                "summary": client.get("/api/v1/findings/summary", headers=headers).status_code,
                "rules": client.get("/api/v1/rules", headers=headers).status_code,
                "patch": client.patch(
                    "/api/v1/findings/1", json={"status": "open"}, headers=headers
                ).status_code,
                "runs": client.post("/api/v1/validation-runs", headers=headers).status_code,
            }
            assert got == statuses, role
        assert client.get("/api/v1/findings").status_code == 401

    def test_unit_restricted_token(self, client: Any, auth_headers: Any, seeded: dict[str, str]) -> None:
        dim = auth_headers("dim", units=["7501"])
        assert _ids(client, dim) == [2, 3]
        assert _ids(client, dim, unit="7500") == []
        assert client.patch("/api/v1/findings/1", json={"status": "open"}, headers=dim).status_code == 404
        assert client.patch("/api/v1/findings/2", json={"status": "open"}, headers=dim).status_code == 200

    def test_reads_are_audited_with_rss_numbers(
        self, client: Any, auth_headers: Any, seeded: dict[str, str], session: Session
    ) -> None:
        client.get("/api/v1/findings?rule=C067", headers=auth_headers("dim", name="dr-dim"))
        client.get("/api/v1/findings/summary", headers=auth_headers("reader"))
        [entry] = session.scalars(select(AuditLog).where(AuditLog.action == "read")).all()
        assert (entry.token_name, entry.object_type, entry.object_ids) == ("dr-dim", "rss", ["100", "200"])


class TestRulesCatalogue:
    @pytest.mark.empty_configuration("the rules needing a CIM-10 are skipped until one is loaded")
    def test_skipped_until_cim10_is_loaded(self, client: Any, auth_headers: Any) -> None:
        reader = auth_headers("reader")
        rules = {r["code"]: r for r in client.get("/api/v1/rules", headers=reader).json()["items"]}
        assert rules["C067"]["skipped"] is True
        assert rules["C040"]["skipped"] is False
        assert {k: rules["C067"][k] for k in ("name", "severity", "needs", "message")} == {
            "name": "codes.dp_unknown",
            "severity": "blocking",
            "needs": ["cim10"],
            "message": "DP {value} : code n'ayant jamais existé dans la CIM-10 (à la date de sortie).",
        }
        assert rules["C067"]["summary"] == "The DP must exist in the CIM-10 FR à usage PMSI."
        assert rules["C067"]["bad"] and rules["C067"]["good"] and rules["C067"]["reference"]
        admin = auth_headers("admin")
        client.post("/api/v1/nomenclatures/cim10?year=2024", content=TINY_CIM, headers={**admin, **CSV})
        rules = {r["code"]: r for r in client.get("/api/v1/rules", headers=reader).json()["items"]}
        assert rules["C067"]["skipped"] is False
        assert rules["C073"]["skipped"] is True  # CCAM still missing

    @pytest.mark.empty_configuration("loads a CCAM without activities in place of none")
    def test_activity_rules_skipped_while_the_ccam_lists_no_activities(
        self, client: Any, auth_headers: Any
    ) -> None:
        admin, reader = {**auth_headers("admin"), **CSV}, auth_headers("reader")
        text_file = {**auth_headers("ingest"), "Content-Type": "text/plain"}

        def skipped() -> dict[str, bool]:
            items = client.get("/api/v1/rules", headers=reader).json()["items"]
            return {r["code"]: r["skipped"] for r in items if r["code"] in {"C073", "C110", "C111"}}

        def load_ccam(year: int, body: str) -> None:
            response = client.post(f"/api/v1/nomenclatures/ccam?year={year}", content=body, headers=admin)
            assert response.status_code == 200

        def post_rss(number: str, entry: date = DEFAULT_ENTRY) -> dict[str, Any]:
            # Activity 4 on a chest X-ray (ZBQK002 has activity 1 only): C110 when it is checked.
            rss = make_rss(1, rss_number=number, entry=entry)
            rss.rums[0].acts = [replace(rss.rums[0].acts[0], activity="4", doc_extension="1")]
            body = "\n".join(write_rss(rss))
            response = client.post("/api/v1/rum-batches", content=body, headers=text_file)
            assert response.status_code == 201
            return response.json()  # type: ignore[no-any-return]

        # The layout of the public ATIH extract: no activities column.
        ccam = "code,libelle_long,date_debut,date_fin\nZBQK002,Radiographie du thorax,2005-03-01,\n"
        load_ccam(2024, ccam)
        assert skipped() == {"C073": False, "C110": True, "C111": True}
        rules = {r["code"]: r for r in client.get("/api/v1/rules", headers=reader).json()["items"]}
        assert rules["C110"]["needs"] == rules["C111"]["needs"] == ["ccam", "ccam_activities"]
        batch = post_rss("700")
        assert {"C110", "C111"} <= set(batch["skipped_rules"]) and "C073" not in batch["skipped_rules"]

        # A later year with the activities column: the rules run again, on the acts of that year
        # (each act is judged by its year's CCAM: the 2024 one still lists no activities).
        ccam = "code;label;valid_from;valid_to;activities\nZBQK002;Radiographie du thorax;2005-03-01;;1\n"
        load_ccam(2025, ccam)
        assert skipped() == {"C073": False, "C110": False, "C111": False}
        assert post_rss("702")["findings"] == {"blocking": 0, "warning": 0, "info": 0}
        batch = post_rss("701", date(2025, 3, 4))
        assert {"C110", "C111"} & set(batch["skipped_rules"]) == set()
        found = client.get("/api/v1/findings?rule=C110", headers=auth_headers("dim")).json()["items"]
        assert [(f["rss_number"], f["field"], f["value"], f["message"]) for f in found] == [
            ("701", "acts[0].activity", "4", "Activité 4 (anesthésie) inexistante pour l'acte ZBQK002.")
        ]


class TestValidationRuns:
    def test_structure_change_then_run(
        self, client: Any, auth_headers: Any, seeded: dict[str, str], session: Session
    ) -> None:
        admin = seeded
        smaller = {**STRUCTURE, "units": [u for u in STRUCTURE["units"] if u["code"] != "7501"]}
        assert client.put("/api/v1/structure", json=smaller, headers=admin).status_code == 200
        response = client.post("/api/v1/validation-runs", headers=auth_headers("dim", name="dr-dim"))
        assert response.status_code == 200
        body = response.json()
        assert {k: v for k, v in body.items() if k != "skipped_rules"} == {
            "rss_checked": 4,
            "findings_opened": 2,  # Q008 on RUM 2 of RSS 100 and 200
            "findings_closed": 0,
            "findings_unchanged": 5,
        }
        # Every reference loaded (the realistic configuration) but a GHS tariff table: the GHM bounds.
        assert body["skipped_rules"] == ["Q019", "Q020"]
        new = client.get("/api/v1/findings?rule=Q008&unit=7501", headers=admin).json()["items"]
        assert [(i["rss_number"], i["value"]) for i in new] == [("100", "7501"), ("200", "7501")]
        entry = session.scalars(select(AuditLog).where(AuditLog.object_type == "validation_run")).one()
        assert (entry.token_name, entry.action) == ("dr-dim", "write")
