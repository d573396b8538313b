"""Alerts end to end: a rule fires on real data, its event reaches a receiver on loopback (signed,
retried after a 500, sent once across a restart of the delivery worker), then resolves."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.alerts import service
from app.alerts.delivery import DeliveryWorker
from app.core import db
from app.ingestion.writer import write_rss
from tests.alerts.conftest import SECRET, rule_body
from tests.alerts.receiver import Receiver
from tests.fixtures.realistic import Realistic
from tests.ingestion.builders import make_rss
from tests.rules.storage import with_dp
from tests.turnaround.test_service_support import document, movement

pytestmark = pytest.mark.usefixtures("realistic")

FAST = {"poll_seconds": 0.05, "backoff_seconds": 0.2, "timeout_seconds": 5.0}


def _post_rss(client: Any, headers: dict[str, str], dp: str) -> None:
    lines = "\n".join(write_rss(with_dp(make_rss(1, rss_number="100"), dp))).encode()
    response = client.post(
        "/api/v1/rum-batches", content=lines, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code in (200, 201), response.text


def _evaluate(client: Any, headers: dict[str, str], rule_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/alert-rules/{rule_id}/evaluate", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _deliveries(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/alert-deliveries", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _signed(received: Any) -> dict[str, Any]:
    """The body, once its signature is checked against the rule's secret."""
    expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-dimqa-signature"] == expected
    assert received.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(received.body)
    assert received.headers["x-dimqa-event-id"] == body["event_id"]
    return body


def _until(condition: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _status(delivery_id: int) -> tuple[str, int]:
    with db.new_session() as session:
        row = session.execute(
            text("SELECT status, attempts FROM alert_delivery WHERE id = :id"), {"id": delivery_id}
        ).one()
    return str(row.status), int(row.attempts)


def test_a_blocking_finding_fires_is_retried_after_a_500_and_resolves(
    client: Any, realistic: Realistic, receiver: Receiver
) -> None:
    admin = realistic.full
    created = client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert "webhook_secret" not in rule and SECRET not in created.text
    assert (rule["state"], rule["window"], rule["last_value"]) == ("ok", "current", None)

    # Nothing wrong yet: evaluated, no event.
    first = _evaluate(client, admin, rule["id"])
    assert (first["value"], first["condition_met"], first["state"], first["event"]) == (
        0.0,
        False,
        "ok",
        None,
    )

    _post_rss(client, admin, "X999")  # an unknown DP: C067, blocking, in unit 7500 (ONCO)
    fired = _evaluate(client, admin, rule["id"])
    assert (fired["value"], fired["previous_state"], fired["state"], fired["event"]) == (
        1.0,
        "ok",
        "firing",
        "firing",
    )
    # Nothing changes: no second event.
    again = _evaluate(client, admin, rule["id"])
    assert (again["state"], again["event"], again["event_id"]) == ("firing", None, None)
    assert [d["status"] for d in _deliveries(client, admin)] == ["pending"]

    receiver.statuses[:] = [500]
    worker = DeliveryWorker(**FAST)
    worker.start()
    try:
        first_try, retry = receiver.wait_for(2)
        _until(lambda: _deliveries(client, admin)[0]["status"] == "delivered")
    finally:
        worker.stop()
    assert (first_try.answered, retry.answered) == (500, 200)
    assert first_try.body == retry.body and first_try.path == "/hooks/dimqa"
    body = _signed(retry)
    assert body["event_id"] == fired["event_id"]
    assert (body["event"], body["value"], body["period"], body["rule"]["id"]) == (
        "firing",
        1.0,
        None,
        rule["id"],
    )
    assert body["message"] == (
        "Alerte « Anomalies bloquantes en oncologie » : Anomalies bloquantes ouvertes (service ONCO "
        f"Oncologie) au {service.today():%d/%m/%Y} = 1 (seuil : ≥ 1)."  # the hospital's day, not UTC
    )
    [listed] = _deliveries(client, admin)
    assert (listed["status"], listed["attempts"], listed["last_status_code"], listed["last_error"]) == (
        "delivered",
        2,
        200,
        None,
    )
    assert listed["payload"] == body and listed["event_id"] == fired["event_id"]

    _post_rss(client, admin, "J189")  # corrected: the finding closes
    resolved = _evaluate(client, admin, rule["id"])
    assert (resolved["value"], resolved["state"], resolved["event"]) == (0.0, "ok", "resolved")
    assert DeliveryWorker(**FAST).run_once() == 1
    third = receiver.wait_for(3)[2]
    assert _signed(third)["event"] == "resolved" and third.answered == 200
    assert _signed(third)["message"].startswith("Fin d'alerte « Anomalies bloquantes en oncologie »")
    assert [d["event"] for d in _deliveries(client, admin)] == ["resolved", "firing"]

    audit = client.get("/api/v1/audit-log", params={"object_type": "alert_rule"}, headers=admin).json()
    assert [entry["object_ids"] for entry in audit["items"]] == [[str(rule["id"])]] * 5
    assert SECRET not in client.get(f"/api/v1/alert-rules/{rule['id']}", headers=admin).text
    assert SECRET not in client.get("/api/v1/alert-rules", headers=admin).text


def test_a_pending_delivery_survives_a_restart_and_is_delivered_once(
    client: Any, realistic: Realistic, receiver: Receiver
) -> None:
    admin = realistic.full
    rule = client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=admin).json()
    _post_rss(client, admin, "X999")
    fired = _evaluate(client, admin, rule["id"])
    [pending] = _deliveries(client, admin)
    assert (pending["status"], pending["attempts"]) == ("pending", 0)

    # The first worker gets a 500 and is stopped before its retry (the service restarts).
    receiver.statuses[:] = [500]
    first = DeliveryWorker(**{**FAST, "backoff_seconds": 1.0})
    first.start()
    receiver.wait_for(1)
    first.stop()
    _until(lambda: _status(pending["id"]) == ("pending", 1))

    # The next start picks the row up once its backoff is over, and delivers it once.
    second = DeliveryWorker(**FAST)
    second.start()
    try:
        receiver.wait_for(2)
        _until(lambda: _status(pending["id"]) == ("delivered", 2))
        time.sleep(0.5)  # several polls more: nothing else is sent
    finally:
        second.stop()
    assert [r.answered for r in receiver.received] == [500, 200]
    assert {_signed(r)["event_id"] for r in receiver.received} == {fired["event_id"]}


def test_the_running_service_evaluates_on_its_schedule(
    client: Any, realistic: Realistic, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the background on (off in the other tests), the app's lifespan evaluates the rules every
    interval and its delivery worker sends the event: no POST .../evaluate."""
    from fastapi.testclient import TestClient

    from app.core.config import get_settings
    from app.main import create_app

    admin = realistic.full
    rule = client.post("/api/v1/alert-rules", json=rule_body(receiver), headers=admin).json()
    _post_rss(client, admin, "X999")
    monkeypatch.setenv("DIMQA_ALERT_BACKGROUND", "1")
    monkeypatch.setenv("DIMQA_ALERT_EVALUATION_INTERVAL_SECONDS", "0.2")
    monkeypatch.setenv("DIMQA_ALERT_DELIVERY_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    with TestClient(create_app(), raise_server_exceptions=False):
        [received] = receiver.wait_for(1)
        time.sleep(0.6)  # three more passes: the state holds, nothing more is sent
    body = _signed(received)
    assert (body["event"], body["rule"]["id"]) == ("firing", rule["id"])
    assert len(receiver.received) == 1
    state = client.get(f"/api/v1/alert-rules/{rule['id']}", headers=admin).json()
    assert (state["state"], state["last_value"]) == ("firing", 1.0)


def test_a_service_whose_rate_collapses_fires_on_the_last_closed_week(
    client: Any, realistic: Realistic, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stays discharged on Tuesday 2022-02-01 (ISO week 2022-W05), evaluated on Thursday
    2022-02-10 (W06 not closed yet, so W05 is the last closed week): in ONCO one report on time out
    of two stays (the other missing since 02-10), in CARDIO one on time."""
    admin = realistic.full
    day = date(2022, 2, 1)
    monkeypatch.setattr(service, "today", lambda: date(2022, 2, 10))
    stays = [("S1", "7500", day), ("S2", "7500", day), ("S3", "7510", day), ("S9", "7500", date(2022, 1, 5))]
    events = [
        event
        for stay, unit, discharge in stays
        for event in (
            movement(f"{stay}-a", "admit", stay, discharge - timedelta(days=2), unit),
            movement(f"{stay}-d", "discharge", stay, discharge),
        )
    ]
    assert client.post("/api/v1/stay-events", json={"events": events}, headers=admin).status_code == 201
    documents = [document("c1", "S1", "CR1", day + timedelta(days=3)), document("c3", "S3", "CR3", day)]
    assert (
        client.post("/api/v1/document-events", json={"events": documents}, headers=admin).status_code == 201
    )

    results = {}
    for name, scope, code in (("onco", "service", "ONCO"), ("med", "pole", "MED"), ("all", "all", None)):
        body = rule_body(
            receiver,
            name=f"CR sous 8 jours ({name})",
            metric="turnaround_on_time_rate",
            scope=scope,
            scope_code=code,
            comparator="lt",
            threshold=0.8,
            window=None,
        )
        created = client.post("/api/v1/alert-rules", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["window"] == "last_closed_week"
        results[name] = _evaluate(client, admin, created.json()["id"])
    assert {name: (r["value"], r["state"]) for name, r in results.items()} == {
        "onco": (0.5, "firing"),
        "med": (2 / 3, "firing"),
        "all": (2 / 3, "firing"),
    }
    assert (results["onco"]["period_from"], results["onco"]["period_to"]) == ("2022-01-31", "2022-02-06")
    missing = client.post(
        "/api/v1/alert-rules",
        json=rule_body(receiver, name="CR manquants", metric="missing_reports", window="last_closed_week"),
        headers=admin,
    ).json()
    assert _evaluate(client, admin, missing["id"])["value"] == 1.0
    # S9, discharged on 2022-01-05 (36 days before), has no RSS: the only stay not coded over 30 days.
    not_coded = client.post(
        "/api/v1/alert-rules",
        json=rule_body(receiver, name="Non codés", metric="stays_not_coded_over_30_days", window=None),
        headers=admin,
    ).json()
    assert not_coded["window"] == "current"
    evaluated = _evaluate(client, admin, not_coded["id"])
    assert (evaluated["value"], evaluated["event"], evaluated["period_from"]) == (1.0, "firing", None)
    assert DeliveryWorker(**FAST).run_once() == 5
    [message] = [m for r in receiver.wait_for(5) if "(onco)" in (m := _signed(r)["message"])]
    assert message == (
        "Alerte « CR sous 8 jours (onco) » : Taux de comptes rendus reçus sous 8 jours (service ONCO "
        "Oncologie) semaine 2022-W05 (du 31/01/2022 au 06/02/2022) = 50,0 % (seuil : < 80,0 %)."
    )
