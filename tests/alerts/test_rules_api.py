"""The alert rules' API: validation (allow-list, scopes, windows), write-only secrets, audit,
deletion, the deliveries' listing; and the pure pieces (seal, signature, backoff)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from sqlalchemy import text

from app.alerts import service
from app.alerts.delivery import DeliveryWorker, backoff
from app.core import db
from app.core.security import SealBroken, seal, unseal
from tests.alerts.conftest import SECRET, rule_body
from tests.alerts.receiver import Receiver
from tests.fixtures.realistic import Realistic

pytestmark = pytest.mark.usefixtures("realistic")

GROUPED = ["all", "pole", "service"]


def _errors(response: Any) -> list[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


class TestCreate:
    @pytest.mark.parametrize(
        ("overrides", "status", "errors"),
        [
            ({"webhook_url": "http://example.org/hook"}, 400, [("webhook_url", "host_not_allowed")]),
            ({"webhook_url": "ftp://127.0.0.1/x"}, 400, [("webhook_url", "invalid_url")]),
            ({"webhook_url": "http://u:p@127.0.0.1/x"}, 400, [("webhook_url", "invalid_url")]),
            ({"scope_code": "NOPE"}, 400, [("scope_code", "unknown_code")]),
            ({"scope": "pole", "scope_code": "ONCO"}, 400, [("scope_code", "unknown_code")]),
            ({"scope": "all"}, 400, [("scope_code", "unexpected")]),
            ({"scope_code": None}, 400, [("scope_code", "missing")]),
            ({"metric": "ingestion_failures"}, 400, [("scope", "invalid_scope")]),
            ({"metric": "turnaround_on_time_rate"}, 400, [("window", "invalid_window")]),
            (
                {"metric": "turnaround_on_time_rate", "window": "last_7_days", "threshold": 80},
                400,
                [("threshold", "out_of_range")],
            ),
            ({"webhook_secret": "short"}, 422, [("body.webhook_secret", "too_short")]),
            ({"comparator": "eq"}, 422, [("body.comparator", "enum")]),
            ({"threshold": "nan"}, 422, [("body.threshold", "finite_number")]),
            ({"extra": 1}, 422, [("body.extra", "extra_forbidden")]),
        ],
    )
    def test_refused_with_the_field_named(
        self,
        client: Any,
        realistic: Realistic,
        receiver: Receiver,
        overrides: dict[str, Any],
        status: int,
        errors: list[tuple[str, str]],
    ) -> None:
        response = client.post(
            "/api/v1/alert-rules", json=rule_body(receiver, **overrides), headers=realistic.full
        )
        assert response.status_code == status
        assert _errors(response) == errors
        assert client.get("/api/v1/alert-rules", headers=realistic.full).json() == {"items": []}

    def test_with_no_allowed_host_every_target_is_refused(
        self, client: Any, realistic: Realistic, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.core.config import get_settings

        monkeypatch.delenv("DIMQA_WEBHOOK_ALLOWED_HOSTS")
        get_settings.cache_clear()
        response = client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=realistic.full)
        assert response.status_code == 400
        assert response.json()["detail"] == (
            f"host 127.0.0.1:{receiver.port} is not in DIMQA_WEBHOOK_ALLOWED_HOSTS"
        )

    def test_only_admins_on_every_unit(
        self, client: Any, realistic: Realistic, receiver: Receiver, auth_headers: Any
    ) -> None:
        for headers in (realistic.restricted, auth_headers("dim"), auth_headers("reader")):
            assert (
                client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=headers).status_code
                == 403
            )
            assert client.get("/api/v1/alert-deliveries", headers=headers).status_code == 403


class TestSecretAndChanges:
    def test_the_secret_is_sealed_never_returned_and_rotated_by_patch(
        self, client: Any, realistic: Realistic, receiver: Receiver
    ) -> None:
        admin = realistic.full
        rule = client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=admin).json()
        with db.new_session() as session:
            stored = session.execute(text("SELECT webhook_secret FROM alert_rule")).scalar_one()
        assert SECRET not in stored and unseal(stored) == SECRET

        patched = client.patch(
            f"/api/v1/alert-rules/{rule['id']}",
            json={"webhook_secret": "another-secret-0123456789", "threshold": 2, "enabled": False},
            headers=admin,
        )
        assert patched.status_code == 200, patched.text
        body = patched.json()
        assert "another-secret" not in patched.text and "webhook_secret" not in body
        assert (body["threshold"], body["enabled"], body["state"]) == (2.0, False, "ok")
        with db.new_session() as session:
            assert unseal(session.execute(text("SELECT webhook_secret FROM alert_rule")).scalar_one()) == (
                "another-secret-0123456789"
            )

        refused = client.patch(
            f"/api/v1/alert-rules/{rule['id']}", json={"webhook_url": "https://example.org/x"}, headers=admin
        )
        assert refused.status_code == 400 and _errors(refused) == [("webhook_url", "host_not_allowed")]
        assert (
            client.patch(f"/api/v1/alert-rules/{rule['id']}", json={"name": None}, headers=admin).status_code
            == 400
        )
        assert client.patch("/api/v1/alert-rules/99", json={}, headers=admin).status_code == 404
        scoped = client.patch(
            f"/api/v1/alert-rules/{rule['id']}",
            json={"scope": "all", "metric": "ingestion_failures"},
            headers=admin,
        )
        assert scoped.status_code == 200, scoped.text
        assert (scoped.json()["scope_code"], scoped.json()["window"]) == (None, "current")

    def test_deleting_a_rule_cancels_its_pending_deliveries_and_keeps_them_listed(
        self, client: Any, realistic: Realistic, receiver: Receiver
    ) -> None:
        admin = realistic.full
        body = rule_body(receiver, metric="ingestion_failures", scope="all", scope_code=None, threshold=0)
        rule = client.post("/api/v1/alert-rules", json=body, headers=admin).json()
        fired = client.post(f"/api/v1/alert-rules/{rule['id']}/evaluate", headers=admin).json()
        assert (fired["value"], fired["event"]) == (0.0, "firing")
        assert client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=admin).status_code == 204
        assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=admin).status_code == 404
        [listed] = client.get("/api/v1/alert-deliveries", headers=admin).json()["items"]
        assert (listed["rule_id"], listed["status"], listed["event_id"]) == (
            None,
            "cancelled",
            fired["event_id"],
        )
        assert DeliveryWorker(poll_seconds=0.05).run_once() == 0
        assert receiver.received == []
        audit = client.get("/api/v1/audit-log", params={"object_type": "alert_rule"}, headers=admin).json()
        assert [(e["method"], e["endpoint"]) for e in audit["items"]] == [
            ("DELETE", "/api/v1/alert-rules/{rule_id}"),
            ("POST", "/api/v1/alert-rules/{rule_id}/evaluate"),
            ("POST", "/api/v1/alert-rules"),
        ]

    def test_a_target_removed_from_the_allow_list_fails_without_a_request(
        self, client: Any, realistic: Realistic, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.core.config import get_settings

        admin = realistic.full
        body = rule_body(receiver, metric="ingestion_failures", scope="all", scope_code=None, threshold=0)
        rule = client.post("/api/v1/alert-rules", json=body, headers=admin).json()
        client.post(f"/api/v1/alert-rules/{rule['id']}/evaluate", headers=admin)
        monkeypatch.setenv("DIMQA_WEBHOOK_ALLOWED_HOSTS", "hooks.example.org")
        get_settings.cache_clear()
        assert DeliveryWorker(poll_seconds=0.05).run_once() == 1
        [listed] = client.get("/api/v1/alert-deliveries", params={"status": "failed"}, headers=admin).json()[
            "items"
        ]
        assert (listed["attempts"], listed["last_status_code"]) == (1, None)
        assert listed["last_error"] == f"host 127.0.0.1:{receiver.port} is not in DIMQA_WEBHOOK_ALLOWED_HOSTS"
        assert receiver.received == []

    def test_the_metrics_listed(self, client: Any, realistic: Realistic) -> None:
        listed = client.get("/api/v1/alert-metrics", headers=realistic.full).json()
        assert [(m["metric"], m["kind"], m["windows"], m["scopes"]) for m in listed] == [
            (
                "ingestion_failures",
                "count",
                ["last_7_days", "last_closed_week", "last_30_days", "current"],
                ["all"],
            ),
            ("missing_reports", "count", ["last_closed_week", "last_7_days", "last_30_days"], GROUPED),
            (
                "open_blocking_findings",
                "count",
                ["current", "last_closed_week", "last_7_days", "last_30_days"],
                GROUPED,
            ),
            ("stays_not_coded_over_30_days", "count", ["current"], GROUPED),
            ("turnaround_on_time_rate", "rate", ["last_closed_week", "last_7_days", "last_30_days"], GROUPED),
        ]
        assert [m["default_window"] for m in listed] == [m["windows"][0] for m in listed]


def test_a_delivery_gives_up_after_the_last_attempt(
    client: Any, realistic: Realistic, receiver: Receiver
) -> None:
    admin = realistic.full
    body = rule_body(receiver, metric="ingestion_failures", scope="all", scope_code=None, threshold=0)
    rule = client.post("/api/v1/alert-rules", json=body, headers=admin).json()
    client.post(f"/api/v1/alert-rules/{rule['id']}/evaluate", headers=admin)
    receiver.statuses[:] = [503, 302]
    worker = DeliveryWorker(poll_seconds=0.05, backoff_seconds=0.01, max_attempts=2)
    assert worker.run_once() == 1
    with db.new_session() as session, session.begin():  # the backoff, without waiting for it
        session.execute(text("UPDATE alert_delivery SET next_attempt_at = now()"))
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    [listed] = client.get("/api/v1/alert-deliveries", headers=admin).json()["items"]
    assert (listed["status"], listed["attempts"], listed["last_status_code"], listed["last_error"]) == (
        "failed",
        2,
        302,
        "HTTP 302",
    )
    assert [r.answered for r in receiver.received] == [503, 302]


def test_seal_round_trip_and_tamper() -> None:
    sealed = seal("un secret très long")
    assert sealed.startswith("s1:") and "secret" not in sealed and seal("un secret très long") != sealed
    assert unseal(sealed) == "un secret très long"
    tampered = sealed[:-2] + ("00" if sealed[-2:] != "00" else "11")
    with pytest.raises(SealBroken):
        unseal(tampered)
    with pytest.raises(SealBroken):
        unseal("plain")


def test_signature_and_backoff() -> None:
    body = b'{"event":"firing"}'
    assert service.sign("k" * 16, body) == "sha256=" + hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()
    assert [backoff(n, 30.0) for n in (1, 2, 3, 8, 20)] == [30.0, 60.0, 120.0, 3600.0, 3600.0]
