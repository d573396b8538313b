"""RHS batches (POST /api/v1/rhs-batches) and the SSR/SMR activity per CM.

Batch 1 (grouped M1C), 10 lines:
    S1 2400001  weeks of 01/01 (CM 08, 7 days), 08/01 (CM 08, 5 days), 15/01 (CM 08, 3 days)
    S2 2400002  week of 08/01 (CM 01, 7 days); week of 15/01 in two UMs: 6117 (3 days), 6118 (4 days)
    S3 2400003  week of 30/12/2024 (ISO week 1 of 2025; its Monday is in 2024) CM 08, 2 days
    S4 2400004  week of 25/12/2023: outside 2024
    + an unreadable line and a line with week number 54
Batch 2: S1 15/01 now 7 days (supersedes), S2 08/01 identical (unchanged), S1 08/01 now CM 10.
Batch 3 (non-grouped M0C): S5 2400005 week of 04/03, 4 days, no CM.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.audit.models import AuditLog
from app.auth.schemas import Principal, Role
from app.core.problems import Conflict, InvalidInput
from app.ingestion.models import Rhs
from app.ingestion.rhs import service
from app.ingestion.rhs.writer import write_rhs
from tests.ingestion.rhs_builders import make_rhs

YEAR = {"from": "2024-01-01", "to": "2024-12-31"}
Headers = Callable[..., dict[str, str]]


def rhs(stay: str, monday: date, cm: str | None, days: int = 7, unit: str = "6117", **extra: Any) -> str:
    if cm is None:
        record = make_rhs(version="M0C", ssr_stay_number=stay, monday=monday, days=days, unit=unit, **extra)
    else:
        record = make_rhs(
            version="M1C",
            ssr_stay_number=stay,
            monday=monday,
            days=days,
            unit=unit,
            gme=f"{cm}01A10",
            **extra,
        )
    return write_rhs(record)


def body(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


BATCH_1 = body(
    rhs("2400001", date(2024, 1, 1), "08", 7),
    rhs("2400001", date(2024, 1, 8), "08", 5),
    rhs("2400001", date(2024, 1, 15), "08", 3),
    rhs("2400002", date(2024, 1, 8), "01", 7),
    rhs("2400002", date(2024, 1, 15), "01", 3),
    rhs("2400002", date(2024, 1, 15), "01", unit="6118", weekday_presence="00011", weekend_presence="11"),
    rhs("2400003", date(2024, 12, 30), "08", 2),
    rhs("2400004", date(2023, 12, 25), "08", 7),
    "THIS IS NOT AN RHS LINE",
    rhs("2400001", date(2024, 1, 22), "08", week_number="542024"),
)
BATCH_2 = body(
    rhs("2400001", date(2024, 1, 15), "08", 7),
    rhs("2400002", date(2024, 1, 8), "01", 7),
    rhs("2400001", date(2024, 1, 8), "10", 5),
)
BATCH_3 = body(rhs("2400005", date(2024, 3, 4), None, 4))


def post(client: Any, headers: dict[str, str], content: bytes, **extra_headers: str) -> Any:
    return client.post(
        "/api/v1/rhs-batches",
        content=content,
        headers={**headers, "Content-Type": "text/plain", **extra_headers},
    )


@pytest.fixture()
def ingest(auth_headers: Headers) -> dict[str, str]:
    return auth_headers("ingest", name="his-feed")


class TestRhsBatches:
    def test_first_batch_stores_readable_lines_and_reports_the_others(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        response = post(client, ingest, BATCH_1)
        assert response.status_code == 201, response.text
        batch = response.json()
        assert {k: batch[k] for k in ("status", "source", "lines", "rhs_accepted", "rhs_stored")} == {
            "status": "accepted_with_errors",
            "source": "file",
            "lines": 10,
            "rhs_accepted": 8,
            "rhs_stored": 8,
        }
        assert (batch["rhs_unchanged"], batch["rhs_superseded"], batch["lines_rejected"]) == (0, 0, 2)
        assert batch["formats"] == {"M1C": 8}
        assert [(e["line"], e["field"], e["code"]) for e in batch["errors"]] == [
            (9, "version", "unknown_format"),
            (10, "week_number", "invalid_week"),
        ]
        stored = session.scalars(select(Rhs).order_by(Rhs.line)).all()
        assert [(r.ssr_stay_number, r.week_date, r.cm, r.days_present) for r in stored][:2] == [
            ("2400001", date(2024, 1, 1), "08", 7),
            ("2400001", date(2024, 1, 8), "08", 5),
        ]
        assert stored[0].gme == "0801A10" and stored[0].line_text.startswith(" " * 10 + "M1C")
        entry = session.scalars(select(AuditLog).where(AuditLog.object_type == "rhs_batch")).one()
        assert (entry.token_name, entry.action, entry.object_ids) == ("his-feed", "write", [str(batch["id"])])

        again = client.get(f"/api/v1/rhs-batches/{batch['id']}", headers=ingest)
        assert again.status_code == 200 and again.json() == batch

    def test_a_week_outside_1900_2100_is_refused(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        """Week 01 of 2500 (a typo for 2025) was stored, dated 2500-01-04: in no report, never said."""
        lines = [
            rhs("2400061", date(2025, 1, 6), "08", 7, week_number="012500"),
            rhs("2400062", date(2025, 1, 6), "08", 7),
        ]
        batch = post(client, ingest, body(*lines)).json()
        assert (batch["rhs_stored"], batch["lines_rejected"]) == (1, 1)
        assert [(e["line"], e["field"], e["code"], e["message"]) for e in batch["errors"]] == [
            (1, "week_number", "date_out_of_range",
             "week 012500 begins on 2500-01-04, outside the accepted range (1900-01-01 to 2100-12-31)"),
        ]  # fmt: skip
        assert session.scalars(select(Rhs.ssr_stay_number)).all() == ["2400062"]

    def test_batch_list_pages_newest_first_with_a_cursor(
        self, client: Any, ingest: dict[str, str], auth_headers: Headers
    ) -> None:
        dim = auth_headers("dim")
        assert client.get("/api/v1/rhs-batches", headers=dim).json() == {"items": [], "next_cursor": None}
        ids = [post(client, ingest, batch).json()["id"] for batch in (BATCH_1, BATCH_2, BATCH_3)]
        first = client.get("/api/v1/rhs-batches", params={"limit": 2}, headers=dim)
        assert first.status_code == 200, first.text
        assert [b["id"] for b in first.json()["items"]] == ids[::-1][:2]
        assert first.json()["items"][0] == client.get(f"/api/v1/rhs-batches/{ids[2]}", headers=dim).json()
        cursor = first.json()["next_cursor"]
        assert cursor is not None
        last = client.get("/api/v1/rhs-batches", params={"limit": 2, "cursor": cursor}, headers=dim).json()
        assert [b["id"] for b in last["items"]] == ids[:1] and last["next_cursor"] is None
        whole = client.get("/api/v1/rhs-batches", params={"limit": 3}, headers=dim).json()
        assert [b["id"] for b in whole["items"]] == ids[::-1] and whole["next_cursor"] is None

        for bad in ({"cursor": "abc"}, {"cursor": "9" * 19}, {"cursor": "-1"}):
            response = client.get("/api/v1/rhs-batches", params=bad, headers=dim)
            assert response.status_code == 400, bad
            assert response.headers["content-type"] == "application/problem+json"
        for bad in ({"limit": 0}, {"limit": 501}):
            assert client.get("/api/v1/rhs-batches", params=bad, headers=dim).status_code == 422
        # Same roles as the RUM batch list.
        assert client.get("/api/v1/rhs-batches", headers=auth_headers("admin")).status_code == 200
        for role in ("ingest", "reader"):
            assert client.get("/api/v1/rhs-batches", headers=auth_headers(role)).status_code == 403
        assert client.get("/api/v1/rhs-batches").status_code == 401

    def test_resending_the_same_body_returns_the_same_batch_and_stores_nothing(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        first = post(client, ingest, BATCH_1)
        second = post(client, ingest, BATCH_1)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json() == first.json()
        assert len(session.scalars(select(Rhs)).all()) == 8

    def test_idempotency_key(self, client: Any, ingest: dict[str, str], auth_headers: Headers) -> None:
        dim = auth_headers("dim")
        first = post(client, ingest, BATCH_3, **{"Idempotency-Key": "smr-2024-03"})
        assert first.status_code == 201
        retry = post(client, ingest, BATCH_3, **{"Idempotency-Key": "smr-2024-03"})
        assert (retry.status_code, retry.json()["id"]) == (200, first.json()["id"])
        # The key names the delivery: another body under it is a 409 naming the batch, nothing stored.
        other = post(client, ingest, BATCH_2, **{"Idempotency-Key": "smr-2024-03"})
        assert (other.status_code, other.json()["detail"]) == (
            409,
            f"Idempotency-Key 'smr-2024-03' was already used by this token for RHS batch "
            f"{first.json()['id']}, with another body: nothing stored. Use a new key to send other content.",
        )
        assert [b["id"] for b in client.get("/api/v1/rhs-batches", headers=dim).json()["items"]] == [
            first.json()["id"]
        ]

    def test_idempotency_keys_belong_to_their_token(self, client: Any, auth_headers: Headers) -> None:
        orbis, pilot = auth_headers("ingest", name="orbis"), auth_headers("ingest", name="pilot")
        first = post(client, orbis, BATCH_3, **{"Idempotency-Key": "smr-2024-03"})
        second = post(client, pilot, BATCH_2, **{"Idempotency-Key": "smr-2024-03"})
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.json()["id"] != first.json()["id"] and second.json()["rhs_stored"] == 3

    def test_a_later_batch_supersedes_the_same_stay_and_week(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        post(client, ingest, BATCH_1)
        batch = post(client, ingest, BATCH_2).json()
        assert (batch["rhs_accepted"], batch["rhs_stored"], batch["rhs_unchanged"]) == (3, 2, 1)
        assert batch["rhs_superseded"] == 2
        current = session.execute(
            select(Rhs.week_date, Rhs.cm, Rhs.days_present, Rhs.batch_id)
            .where(Rhs.ssr_stay_number == "2400001", Rhs.is_current)
            .order_by(Rhs.week_date)
        ).all()
        assert [(w, cm, d) for w, cm, d, _ in current] == [
            (date(2024, 1, 1), "08", 7),
            (date(2024, 1, 8), "10", 5),
            (date(2024, 1, 15), "08", 7),
        ]
        # History is kept: both superseded versions are still there.
        assert len(session.scalars(select(Rhs).where(Rhs.ssr_stay_number == "2400001")).all()) == 5

    def test_a_file_without_any_readable_rhs_is_a_400_and_stores_nothing(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        response = post(client, ingest, b"garbage\nmore garbage\n")
        assert response.status_code == 400
        assert [e["line"] for e in response.json()["errors"]] == [1, 2]
        assert session.scalars(select(Rhs)).all() == []

    def test_a_repeated_rhs_is_stored_and_counted_once(
        self, client: Any, ingest: dict[str, str], auth_headers: Headers, session: Session
    ) -> None:
        """The same line 300 times used to be stored, and counted, as 300 weeks."""
        line = rhs("2400011", date(2024, 2, 5), "08", 7)
        other = rhs("2400012", date(2024, 2, 5), "08", 3)
        response = post(client, ingest, body(line, other, *[line] * 298, line + "   "))
        assert response.status_code == 201, response.text
        batch = response.json()
        assert (batch["lines"], batch["rhs_accepted"], batch["rhs_stored"], batch["lines_rejected"]) == (
            301, 2, 2, 299,
        )  # fmt: skip
        assert batch["status"] == "accepted_with_errors" and batch["formats"] == {"M1C": 2}
        assert [(e["line"], e["field"], e["code"]) for e in batch["errors"][:2]] == [
            (3, "ssr_stay_number", "duplicate_rhs_in_batch"),
            (4, "ssr_stay_number", "duplicate_rhs_in_batch"),
        ]
        assert batch["errors"][-1]["line"] == 301  # trailing blanks aside, the same RHS
        assert batch["errors"][0]["message"] == (
            "this RHS repeats line 1 (same stay, week and UM, same content): the copy is not stored"
        )
        stored = session.scalars(select(Rhs.line).order_by(Rhs.line)).all()
        assert stored == [1, 2]
        activity = client.get("/api/v1/activity/ssr-cm", params=YEAR, headers=auth_headers("reader")).json()
        assert activity["total"] == {"weeks": 2, "days": 10, "stays": 2}

    def test_different_rhs_for_one_stay_week_and_um_are_all_rejected(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        """Which one is right is unknown: none is stored, nor the rest of that stay-week (written
        whole); the stay's other weeks and other stays are."""
        lines = [
            rhs("2400021", date(2024, 2, 5), "08", 7),
            rhs("2400021", date(2024, 2, 12), "08", 7),
            rhs("2400021", date(2024, 2, 5), "08", 7, unit="6118"),
            rhs("2400022", date(2024, 2, 5), "01", 7),
            rhs("2400021", date(2024, 2, 5), "08", 5),
        ]
        response = post(client, ingest, body(*lines))
        assert response.status_code == 201, response.text
        batch = response.json()
        assert (batch["rhs_accepted"], batch["rhs_stored"], batch["lines_rejected"]) == (2, 2, 3)
        assert [(e["line"], e["code"], e["message"]) for e in batch["errors"]] == [
            (1, "duplicate_rhs_in_batch",
             "different RHS for the same stay, week and UM in this batch (lines 1, 5): none is stored"),
            (3, "duplicate_rhs_in_batch",
             "another RHS of this stay and week conflicts in this batch (lines 1, 5): a stay-week is "
             "written whole"),
            (5, "duplicate_rhs_in_batch",
             "different RHS for the same stay, week and UM in this batch (lines 1, 5): none is stored"),
        ]  # fmt: skip
        assert session.scalars(select(Rhs.line).order_by(Rhs.line)).all() == [2, 4]

    def test_an_unreadable_rhs_keeps_its_whole_stay_week_back(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        """A stay-week is written whole: its readable RHS alone used to replace it, so the RHS of
        the other UM, stored before and now cut short in transfer, was superseded and its days lost."""
        week, other = date(2024, 2, 5), date(2024, 2, 12)
        first = post(
            client, ingest, body(rhs("2400051", week, "08", 3), rhs("2400051", week, "08", 4, unit="6118"))
        ).json()
        lines = [
            rhs("2400051", week, "08", 2),  # 1: corrected, but its stay-week is not whole
            rhs("2400051", week, "08", 4, unit="6118")[:150],  # 2: cut after its week number
            rhs("2400051", other, "08", 7),  # 3: another week of the stay: stored
        ]
        response = post(client, ingest, body(*lines))
        assert response.status_code == 201, response.text
        batch = response.json()
        counts = ("rhs_accepted", "rhs_stored", "rhs_superseded", "lines_rejected")
        assert [batch[name] for name in counts] == [1, 1, 0, 2]
        assert [(e["line"], e["field"], e["code"], e["message"]) for e in batch["errors"]] == [
            (1, "ssr_stay_number", "incomplete_stay_week",
             "another RHS of this stay and week could not be read (line 2): a stay-week is written "
             "whole, none of it is stored"),
            (2, None, "line_length", "RHS M1C line of 150 characters, shorter than its fixed part (187)"),
        ]  # fmt: skip
        current = session.execute(
            select(Rhs.week_date, Rhs.unit, Rhs.batch_id)
            .where(Rhs.is_current)
            .order_by(Rhs.week_date, Rhs.unit)
        ).all()
        assert [tuple(row) for row in current] == [
            (week, "6117", first["id"]), (week, "6118", first["id"]), (other, "6117", batch["id"]),
        ]  # fmt: skip

    def test_many_conflicting_rhs_name_a_few_lines(self, client: Any, ingest: dict[str, str]) -> None:
        lines = [rhs("2400041", date(2024, 2, 5), "08", days) for days in range(1, 8)]
        lines.append(rhs("2400042", date(2024, 2, 5), "08", 7))
        batch = post(client, ingest, body(*lines)).json()
        assert (batch["rhs_stored"], batch["lines_rejected"]) == (1, 7)
        assert {e["message"] for e in batch["errors"]} == {
            "different RHS for the same stay, week and UM in this batch (lines 1, 2, 3, 4, 5 and 2 more): "
            "none is stored"
        }

    def test_a_file_of_conflicting_rhs_only_is_a_400(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        lines = [rhs("2400031", date(2024, 2, 5), "08", 7), rhs("2400031", date(2024, 2, 5), "08", 6)]
        response = post(client, ingest, body(*lines))
        assert response.status_code == 400
        assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [
            (1, "duplicate_rhs_in_batch"),
            (2, "duplicate_rhs_in_batch"),
        ]
        assert session.scalars(select(Rhs)).all() == []

    def test_empty_body_and_wrong_media_type(self, client: Any, ingest: dict[str, str]) -> None:
        assert post(client, ingest, b"").status_code == 400
        response = client.post(
            "/api/v1/rhs-batches", content=b"{}", headers={**ingest, "Content-Type": "application/json"}
        )
        assert response.status_code == 415

    def test_a_gzip_body_is_refused_saying_so(
        self, client: Any, ingest: dict[str, str], session: Session
    ) -> None:
        """It was a 400 listing each line of binary as "the line contains a control character"."""
        response = post(client, ingest, gzip.compress(BATCH_3))
        assert response.status_code == 415
        assert response.json()["detail"] == (
            "The body is gzip-compressed: send the RHS file uncompressed (text/plain or "
            "application/octet-stream); nothing was stored."
        )
        assert session.scalars(select(Rhs)).all() == []

    def test_roles(self, client: Any, auth_headers: Headers) -> None:
        assert post(client, auth_headers("reader"), BATCH_3).status_code == 403
        assert post(client, auth_headers("dim"), BATCH_3).status_code == 403
        assert post(client, auth_headers("admin"), BATCH_3).status_code == 201
        assert client.get("/api/v1/rhs-batches/999", headers=auth_headers("reader")).status_code == 404

    def test_service_entry_point_used_by_the_cli(self, session: Session) -> None:
        principal = Principal(name="cli", role=Role.ADMIN, units=None)
        batch, created = service.ingest_rhs_file(
            session, io.BytesIO(b"\xef\xbb\xbf" + BATCH_3), principal=principal, source="cli"
        )
        assert created and (batch.source, batch.rhs_stored) == ("cli", 1)
        again, created = service.ingest_rhs_file(
            session, io.BytesIO(b"\xef\xbb\xbf" + BATCH_3), principal=principal, source="cli"
        )
        assert not created and again.id == batch.id
        keyed, _ = service.ingest_rhs_file(
            session, io.BytesIO(BATCH_2), principal=principal, source="cli", idempotency_key="k"
        )
        retried, created = service.ingest_rhs_file(
            session, io.BytesIO(BATCH_2), principal=principal, source="cli", idempotency_key="k"
        )
        assert (retried.id, created) == (keyed.id, False)
        with pytest.raises(Conflict):
            service.ingest_rhs_file(
                session, io.BytesIO(BATCH_1), principal=principal, source="cli", idempotency_key="k"
            )
        with pytest.raises(InvalidInput):
            service.ingest_rhs_file(session, io.BytesIO(b""), principal=principal, source="cli")
        session.rollback()

    def test_cli_command_is_mounted(self) -> None:
        from app.cli.main import app

        result = CliRunner().invoke(app, ["ingest", "rhs", "--help"])
        assert result.exit_code == 0
        assert "RHS" in result.output
        # The first command, kept as a hidden alias: absent from the help, still runnable.
        assert "rhs" not in CliRunner().invoke(app, ["--help"]).output.split("Commands")[1]
        assert CliRunner().invoke(app, ["rhs", "ingest", "--help"]).exit_code == 0


class TestSsrCm:
    @pytest.fixture()
    def loaded(self, client: Any, ingest: dict[str, str]) -> Any:
        for content in (BATCH_1, BATCH_2, BATCH_3):
            assert post(client, ingest, content).status_code == 201
        return client

    def test_weeks_days_and_stays_per_cm(self, loaded: Any, auth_headers: Headers) -> None:
        response = loaded.get("/api/v1/activity/ssr-cm", params=YEAR, headers=auth_headers("reader"))
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["rows"] == [
            {"cm": "01", "label": "Affections du système nerveux", "weeks": 3, "days": 14, "stays": 1},
            {
                "cm": "08",
                "label": "Affections et traumatismes du système ostéoarticulaire",
                "weeks": 3,
                "days": 16,
                "stays": 2,
            },
            {
                "cm": "10",
                "label": "Affections endocriniennes, métaboliques et nutritionnelles",
                "weeks": 1,
                "days": 5,
                "stays": 1,
            },
            {"cm": None, "label": "RHS non groupé (sans CM)", "weeks": 1, "days": 4, "stays": 1},
        ]
        # A stay changing CM is one stay in the total.
        assert result["total"] == {"weeks": 8, "days": 39, "stays": 4}

    def test_the_week_belongs_to_the_period_of_its_monday(self, loaded: Any, auth_headers: Headers) -> None:
        response = loaded.get(
            "/api/v1/activity/ssr-cm",
            params={"from": "2023-12-25", "to": "2023-12-31"},
            headers=auth_headers("reader"),
        )
        assert response.json()["total"] == {"weeks": 1, "days": 7, "stays": 1}

    def test_unit_restricted_token(self, loaded: Any, auth_headers: Headers) -> None:
        response = loaded.get(
            "/api/v1/activity/ssr-cm", params=YEAR, headers=auth_headers("reader", units=["6118"])
        )
        assert [(r["cm"], r["weeks"], r["days"], r["stays"]) for r in response.json()["rows"]] == [
            ("01", 1, 4, 1)
        ]

    def test_csv_and_xlsx(self, loaded: Any, auth_headers: Headers) -> None:
        params = {**YEAR, "format": "csv"}
        csv = loaded.get("/api/v1/activity/ssr-cm", params=params, headers=auth_headers("reader")).content
        assert csv.split(b"\r\n")[:2] == [
            "\ufeffCM;Libellé;Semaines (RHS);Journées de présence;Séjours".encode(),
            "01;Affections du système nerveux;3;14;1".encode(),
        ]
        params["format"] = "xlsx"
        xlsx = loaded.get("/api/v1/activity/ssr-cm", params=params, headers=auth_headers("reader")).content
        rows = [tuple(c.value for c in r) for r in load_workbook(io.BytesIO(xlsx)).active.iter_rows()]
        assert rows[-1] == ("Total", None, 8, 39, 4)
