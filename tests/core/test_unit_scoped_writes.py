"""A token restricted to units writes only their data (issue 15, defect 13).

RUM batches: an RSS is written only when all its RUMs are in the token's units, in the version
sent and in the current version it would replace; the others are rejected whole, with a located
line error that never names the other unit. RHS batches: the same per SSR stay and week. The event
feeds, the structure, the fichier d'UM and the nomenclatures (whole-hospital writes) refuse such a
token (403)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from app.ingestion.rhs.writer import write_rhs
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss
from tests.ingestion.rhs_builders import make_rhs

MINE, FOREIGN = "7500", "Q9Z8"
TEXT = {"Content-Type": "text/plain"}
OUT_OF_UNITS = (
    "the UM of this RUM is not one of the token's units: an RSS is written only by a token restricted "
    "to units when all its RUMs are in them"
)
STORED_OUT_OF_UNITS = (
    "the current version of this RSS has RUMs outside the token's units: only a token covering them may "
    "replace it"
)


def rss_lines(*groups: Any) -> list[str]:
    return [line for rss in groups for line in write_rss(rss)]


def one_unit(number: str, unit: str, n_rums: int = 1, **overrides: Any) -> Any:
    return make_rss(n_rums, rss_number=number, unit=unit, **overrides)


def straddling(number: str, **overrides: Any) -> Any:
    """Two RUMs: MINE, then FOREIGN."""
    rss = make_rss(2, rss_number=number, **overrides)
    rss.rums[0] = dataclasses.replace(rss.rums[0], unit=MINE)
    rss.rums[1] = dataclasses.replace(rss.rums[1], unit=FOREIGN)
    return rss


def post_rss(client: Any, headers: dict[str, str], lines: list[str]) -> Any:
    return client.post("/api/v1/rum-batches", content="\n".join(lines).encode(), headers={**headers, **TEXT})


def current(session: Any) -> dict[str, tuple[int, list[str]]]:
    """rss_number -> (batch id, units of its RUMs) of the current versions."""
    rows = session.execute(
        text(
            "SELECT v.rss_number, v.batch_id, array_agg(r.unit ORDER BY r.position) FROM rss_version v "
            "JOIN rum r ON r.rss_version_id = v.id WHERE v.is_current GROUP BY 1, 2"
        )
    )
    return {number: (batch, units) for number, batch, units in rows}


class TestRumBatches:
    def test_only_the_rss_wholly_in_the_token_units_are_written(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        his = auth_headers("ingest", name="his")
        # Stored by the hospital feed: 4001 in MINE alone, 4002 across both units.
        before = post_rss(client, his, rss_lines(one_unit("4001", MINE), straddling("4002"))).json()
        unit_feed = auth_headers("ingest", units=[MINE], name="onco-feed")
        lines = rss_lines(
            one_unit("4001", MINE, dp="J159"),  # 1: replaces an RSS of its unit: written
            straddling("4003"),  # 2-3: a RUM of another unit
            one_unit("4004", FOREIGN, 2),  # 4-5: only other-unit RUMs
            one_unit("4002", MINE),  # 6: would replace an RSS spanning another unit
            one_unit("4005", MINE),  # 7: new, in its unit: written
        )
        response = post_rss(client, unit_feed, lines)
        assert response.status_code == 201, response.text
        batch = response.json()
        counts = ("status", "lines", "rss_accepted", "rum_accepted", "rss_rejected", "lines_rejected")
        assert {key: batch[key] for key in counts} == {
            "status": "partial", "lines": 7, "rss_accepted": 2, "rum_accepted": 2, "rss_rejected": 3,
            "lines_rejected": 5,
        }  # fmt: skip
        assert [(e["line"], e["field"], e["code"], e["message"]) for e in batch["errors"]] == [
            (3, "unit", "unit_out_of_scope", OUT_OF_UNITS),
            (4, "unit", "unit_out_of_scope", OUT_OF_UNITS),
            (5, "unit", "unit_out_of_scope", OUT_OF_UNITS),
            (6, "rss_number", "unit_out_of_scope", STORED_OUT_OF_UNITS),
        ]
        assert FOREIGN not in json.dumps(batch)
        assert current(session) == {
            "4001": (batch["id"], [MINE]),
            "4002": (before["id"], [MINE, FOREIGN]),
            "4005": (batch["id"], [MINE]),
        }
        # The sender's dim reads back which RSS were refused.
        dim = auth_headers("dim", name="dim")
        named = client.get(f"/api/v1/rum-batches/{batch['id']}", headers=dim).json()["errors"]
        assert [e["rss_number"] for e in named] == ["4003", "4004", "4004", "4002"]

    def test_a_json_batch_is_scoped_alike(self, client: Any, auth_headers: Any, session: Any) -> None:
        records = [
            {key: value for key, value in dataclasses.asdict(rum).items() if key != "line"}
            for rss in (straddling("4010"), one_unit("4011", MINE))
            for rum in rss.rums
        ]
        response = client.post(
            "/api/v1/rum-batches", json={"rums": records}, headers=auth_headers("ingest", units=[MINE])
        )
        assert response.status_code == 201, response.text
        assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [(2, "unit_out_of_scope")]
        assert set(current(session)) == {"4011"}

    def test_an_unrestricted_token_writes_every_rss(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        his = auth_headers("ingest")
        post_rss(client, his, rss_lines(one_unit("4002", MINE)))
        batch = post_rss(client, his, rss_lines(straddling("4002"), one_unit("4004", FOREIGN))).json()
        assert (batch["status"], batch["rss_accepted"], batch["errors"]) == ("completed", 2, [])
        assert current(session)["4002"] == (batch["id"], [MINE, FOREIGN])

    def test_a_body_a_restricted_token_sent_first_is_still_stored_whole_for_the_hospital(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        """The same file, first from a unit's feed (other units' RSS refused), then from the
        hospital's: the second was answered the first batch (200, "already received") and 4004
        was never stored. A re-send by either token still stores nothing."""
        lines = rss_lines(one_unit("4001", MINE), one_unit("4004", FOREIGN))
        unit_feed = auth_headers("ingest", units=[MINE], name="onco-feed")
        first = post_rss(client, unit_feed, lines)
        assert (first.status_code, first.json()["rss_accepted"], first.json()["rss_rejected"]) == (201, 1, 1)
        his = auth_headers("ingest", name="his")
        second = post_rss(client, his, lines)
        assert second.status_code == 201, second.text
        batch = second.json()
        assert batch["id"] != first.json()["id"]
        assert (batch["status"], batch["rss_accepted"], batch["rss_unchanged"], batch["errors"]) == (
            "completed", 2, 1, [],
        )  # fmt: skip
        assert current(session) == {"4001": (first.json()["id"], [MINE]), "4004": (batch["id"], [FOREIGN])}
        again = (post_rss(client, his, lines), post_rss(client, unit_feed, lines))
        assert [response.status_code for response in again] == [200, 200]
        # The hospital's batch covers every unit: a unit's feed re-sending the file is answered it.
        same_units = auth_headers("ingest", units=[MINE], name="onco-feed-2")
        assert post_rss(client, same_units, lines).json()["id"] == batch["id"]
        assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 2

    def test_the_audit_entry_of_a_restricted_write_names_its_units(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        batch = post_rss(
            client, auth_headers("ingest", units=[MINE], name="onco-feed"), rss_lines(one_unit("4001", MINE))
        )
        entry = session.execute(
            text("SELECT token_name, object_ids, units FROM audit_log WHERE object_type = 'rum_batch'")
        ).one()
        assert tuple(entry) == ("onco-feed", [str(batch.json()["id"])], [MINE])


def rhs(stay: str, monday: date, unit: str) -> str:
    return write_rhs(make_rhs(version="M1C", ssr_stay_number=stay, monday=monday, unit=unit, gme="0801A10"))


def post_rhs(client: Any, headers: dict[str, str], *lines: str) -> Any:
    return client.post(
        "/api/v1/rhs-batches", content=("\n".join(lines) + "\n").encode(), headers={**headers, **TEXT}
    )


class TestRhsBatches:
    WEEK, NEXT = date(2024, 3, 4), date(2024, 3, 11)

    def current(self, session: Any) -> list[tuple[Any, ...]]:
        rows = session.execute(
            text(
                "SELECT ssr_stay_number, week_date, unit, batch_id FROM rhs WHERE is_current ORDER BY 1, 2, 3"
            )
        )
        return [tuple(row) for row in rows]

    def test_only_the_stay_weeks_wholly_in_the_token_units_are_written(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        his = auth_headers("ingest", name="his")
        before = post_rhs(client, his, rhs("5001", self.WEEK, MINE), rhs("5002", self.WEEK, FOREIGN)).json()
        unit_feed = auth_headers("ingest", units=[MINE], name="ssr-feed")
        response = post_rhs(
            client, unit_feed,
            rhs("5001", self.NEXT, MINE),  # 1: written
            rhs("5003", self.WEEK, MINE),  # 2: the same stay-week has a line of another unit
            rhs("5003", self.WEEK, FOREIGN),  # 3
            rhs("5002", self.WEEK, MINE),  # 4: would replace a stay-week of another unit
        )  # fmt: skip
        assert response.status_code == 201, response.text
        batch = response.json()
        assert (batch["status"], batch["rhs_accepted"], batch["rhs_stored"], batch["lines_rejected"]) == (
            "accepted_with_errors", 1, 1, 3,
        )  # fmt: skip
        assert batch["formats"] == {"M1C": 1}
        assert [(e["line"], e["field"], e["code"]) for e in batch["errors"]] == [
            (2, "unit", "unit_out_of_scope"),
            (3, "unit", "unit_out_of_scope"),
            (4, "ssr_stay_number", "unit_out_of_scope"),
        ]
        assert FOREIGN not in response.text
        assert self.current(session) == [
            ("5001", self.WEEK, MINE, before["id"]),
            ("5001", self.NEXT, MINE, batch["id"]),
            ("5002", self.WEEK, FOREIGN, before["id"]),
        ]

    def test_a_body_a_restricted_token_sent_first_is_still_stored_whole_for_the_hospital(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        """As for RUM batches: the hospital's feed was answered the unit feed's batch, 5002 lost."""
        lines = (rhs("5001", self.WEEK, MINE), rhs("5002", self.WEEK, FOREIGN))
        unit_feed = auth_headers("ingest", units=[MINE], name="ssr-feed")
        first = post_rhs(client, unit_feed, *lines).json()
        assert (first["rhs_stored"], first["lines_rejected"]) == (1, 1)
        his = auth_headers("ingest", name="his")
        second = post_rhs(client, his, *lines)
        assert second.status_code == 201, second.text
        batch = second.json()
        assert (batch["status"], batch["rhs_stored"], batch["rhs_unchanged"], batch["errors"]) == (
            "accepted", 1, 1, [],
        )  # fmt: skip
        assert self.current(session) == [
            ("5001", self.WEEK, MINE, first["id"]),
            ("5002", self.WEEK, FOREIGN, batch["id"]),
        ]
        again = (post_rhs(client, his, *lines), post_rhs(client, unit_feed, *lines))
        assert [response.status_code for response in again] == [200, 200]
        assert session.execute(text("SELECT count(*) FROM rhs_batch")).scalar_one() == 2

    def test_a_body_with_nothing_in_the_token_units_is_a_400(
        self, client: Any, auth_headers: Any, session: Any
    ) -> None:
        response = post_rhs(client, auth_headers("ingest", units=[MINE]), rhs("5002", self.WEEK, FOREIGN))
        assert (response.status_code, response.json()["detail"]) == (
            400, "No RHS of this token's units in the body (1 line(s) rejected).",
        )  # fmt: skip
        assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [(1, "unit_out_of_scope")]
        assert self.current(session) == []
        assert session.execute(text("SELECT count(*) FROM rhs_batch")).scalar_one() == 0


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("POST", "/api/v1/stay-events", "ingest"),
        ("POST", "/api/v1/document-events", "ingest"),
        ("PUT", "/api/v1/structure", "admin"),
        ("POST", "/api/v1/structure/ium", "admin"),
        ("POST", "/api/v1/nomenclatures/cim10?year=2024", "admin"),
    ],
)
def test_whole_hospital_writes_refuse_a_restricted_token(
    client: Any, auth_headers: Any, session: Any, method: str, path: str, role: str
) -> None:
    """Movements cross units and documents have none; the structure, the fichier d'UM and the
    nomenclatures apply to every unit."""
    response = client.request(method, path, json={}, headers=auth_headers(role, units=[MINE]))
    assert (response.status_code, response.json()["detail"]) == (
        403, "A token restricted to units may not do this (it needs every unit).",
    )  # fmt: skip
    # The same role on every unit gets past the scope check (to the body's validation).
    assert client.request(method, path, json={}, headers=auth_headers(role)).status_code not in (401, 403)
