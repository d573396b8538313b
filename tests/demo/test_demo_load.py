"""The demo year loaded through the services gives every reference figure over the API, and loads once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.core.clock import HOSPITAL_TZ
from app.core.config import get_settings
from app.demo import reference_2022 as ref
from app.demo import tariffs as demo_tariffs
from app.demo.service import DemoSummary, load_demo
from app.exhaustivity import service as exhaustivity_service
from app.ingestion.models import RssVersion
from app.turnaround import reports

PRINCIPAL = Principal(name="demo", role=Role.ADMIN, units=None)
PERIOD = {"from": "2022-01-01", "to": "2022-12-31"}
ENDPOINTS = (
    ("/api/v1/activity/units", {}),
    ("/api/v1/activity/care-types", {}),
    ("/api/v1/activity/seances", {"by": "unit"}),
    ("/api/v1/activity/seances", {"by": "ghm"}),
    ("/api/v1/activity/ssr-cm", {}),
)


def _load(session: Session) -> DemoSummary:
    with session.begin():
        return load_demo(session, year=2022, seed=42, principal=PRINCIPAL)


def _answers(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answers = []
    for path, params in ENDPOINTS:
        response = client.get(path, params={**PERIOD, **params}, headers=headers)
        assert response.status_code == 200, (path, response.text)
        answers.append(response.json())
    return answers


def _check_reference_figures(answers: list[dict[str, Any]]) -> None:
    units, care_types, seances_by_unit, seances_by_ghm, ssr = answers

    poles = {p["pole"]: p for p in units["poles"]}
    assert {code: poles[code]["rum"] for code in ref.RUM_BY_POLE} == ref.RUM_BY_POLE
    assert set(poles) == set(ref.RUM_BY_POLE), "no unmapped or pôle-less UM"
    assert units["total"] == {"rum": ref.RUM_TOTAL}
    rum_by_unit = {u["unit"]: u["rum"] for p in units["poles"] for u in p["units"]}
    labels = {u["unit"]: u["label"] for p in units["poles"] for u in p["units"]}
    for unit in ref.UNITS:
        assert rum_by_unit.get(unit.code, 0) == unit.rums, unit.code
        if unit.code in labels:
            assert labels[unit.code] == unit.label
    assert poles["MED"]["label"] == "Médecine" and poles["URG"]["label"] == "Urgences"

    rows = {r["care_type"]: r for r in care_types["rows"]}
    assert {k: rows[k]["rum"] for k in ref.RUM_BY_CARE_TYPE} == ref.RUM_BY_CARE_TYPE
    assert {k: rows[k]["rss"] for k in ref.RSS_BY_CARE_TYPE} == ref.RSS_BY_CARE_TYPE
    assert care_types["total"] == {"rum": ref.RUM_TOTAL, "rss": ref.RSS_TOTAL}

    by_unit = {r["key"]: r for r in seances_by_unit["rows"]}
    assert {k: r["rss"] for k, r in by_unit.items() if r["rss"]} == ref.SEANCES_BY_UNIT
    assert {k: r["seances"] for k, r in by_unit.items() if r["rss"]} == ref.SEANCES_BY_UNIT
    assert seances_by_unit["total"] == {"rss": ref.SEANCES_TOTAL, "seances": ref.SEANCES_TOTAL}

    by_ghm = {r["key"]: r for r in seances_by_ghm["rows"]}
    assert {k: r["rss"] for k, r in by_ghm.items() if r["rss"]} == ref.SEANCES_BY_GHM
    assert {k: r["seances"] for k, r in by_ghm.items() if r["rss"]} == ref.SEANCES_BY_GHM
    for ghm, label in ref.SEANCE_GHM_LABELS.items():
        assert by_ghm[ghm]["label"] == label

    cms = {r["cm"]: r for r in ssr["rows"]}
    for cm, expected in ref.SSR_BY_CM.items():
        assert (cms[cm]["weeks"], cms[cm]["days"], cms[cm]["stays"]) == tuple(expected), cm
    assert set(cms) == set(ref.SSR_BY_CM)
    assert ssr["total"] == ref.SSR_TOTAL._asdict()


def test_demo_year_reproduces_the_reference_figures_and_loads_once(
    session: Session,
    client: TestClient,
    auth_headers: Callable[..., dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # First start of `dimqa serve` on an empty database: admin token, then the demo year.
    from app.cli import main as cli_main

    cli_main._first_start_banner("127.0.0.1", 8000, demo=True)
    printed = capsys.readouterr().out
    assert "Demo year 2022 (seed 42) loaded" in printed and "DIMQA_TOKEN=" in printed
    assert "18 planted coding errors, one finding each: C187 ×2, Q014 ×2," in printed

    headers = auth_headers("reader")
    answers = _answers(client, headers)
    _check_reference_figures(answers)

    # Issue 19: the 30 stays planted without RSS, and cardiology's reports collapsing in October.
    coding = client.get("/api/v1/exhaustivity", params=PERIOD, headers=headers).json()["total"]
    assert (coding["not_coded"], coding["not_coded_over_30_days"]) == (30, 30)
    # Each month's RSS file is dated as the HIS sends it, the 20th of the next month at 9:00, so a
    # stay's coding delay is 20 (exit on the 31st of January) to 50 days (exit on 1 January).
    assert 20 <= coding["coding_delay_median_days"] <= coding["coding_delay_p90_days"] <= 50
    with session.begin():
        receptions = session.execute(
            select(RssVersion.exit_date, RssVersion.received_at).where(RssVersion.exit_date.is_not(None))
        ).all()
    assert len(receptions) == ref.RSS_TOTAL
    for exit_date, received_at in receptions:
        sent = received_at.astimezone(HOSPITAL_TZ)
        assert (sent.day, sent.hour, sent.minute) == (20, 9, 0), (exit_date, sent)
        assert (sent.year * 12 + sent.month) - (exit_date.year * 12 + exit_date.month) == 1, (exit_date, sent)
    with session.begin():
        assert exhaustivity_service.stays_not_coded_over(session, as_of=reports.today()) == 30
        assert exhaustivity_service.stays_not_coded_over(session, as_of=reports.today(), service="CARDIO") > 0
    review = client.get("/api/v1/reports/quarterly", params={"quarter": "2022-Q4"}, headers=headers)
    assert review.status_code == 200, review.text
    body = review.json()
    assert body["largest_falls"][0] == "CARDIO"
    cardio = next(s for s in body["services"] if s["service"] == "CARDIO")
    assert cardio["on_time_change"] < -0.4
    _check_the_cardiology_alert(session, monkeypatch)

    # Issue 18: the demo's RSA (app/demo/rsa.py) value its stays as a grouper's output would; a few
    # stay unvalued (GHMs the tariff table lacks, one ambiguous stay in 200) so the page shows why.
    mix = client.get("/api/v1/casemix", params={**PERIOD, "group_by": "pole"}, headers=headers).json()
    assert mix["total"]["stays"] == ref.RSS_TOTAL
    if (Path(get_settings().shared_data_dir) / demo_tariffs.GHS_FILE).is_file():  # the public table
        assert mix["not_valued"] == {"stays": 355, "by_reason": {"ambiguous_ghs": 51, "no_tariff": 304}}
        assert mix["total"]["valuation_total"] == 34061055.25
    else:  # the synthetic table: one GHS per GHM, every GHM priced
        assert mix["not_valued"] == {"stays": 0, "by_reason": {}}

    # `dimqa demo` afterwards (the database is already configured by the fixtures).
    from typer.testing import CliRunner

    from app.cli import database as cli_database

    monkeypatch.setattr(cli_database, "open_database", lambda settings: "")
    monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
    result = CliRunner().invoke(cli_main.app, ["demo", "--year", "2022", "--seed", "42"])
    assert result.exit_code == 0, result.output
    assert "already loaded, nothing changed" in result.output
    assert "18 planted coding errors, one finding each" in result.output
    assert _answers(client, headers) == answers

    second = _load(session)
    assert not second.changed, second
    assert (second.rss, second.rum, second.rhs) == (ref.RSS_TOTAL, ref.RUM_TOTAL, ref.SSR_TOTAL.weeks)
    assert second.rss_files == 12 and second.rss_files_new == 0 and not second.rhs_file_new
    assert second.stay_events_new == second.document_events_new == second.event_conflicts == 0


def test_service_summary_of_a_first_load(session: Session) -> None:
    first = _load(session)
    assert first.changed and first.structure_replaced and first.authorisations_changed == len(ref.UNITS)
    assert (first.rss, first.rum, first.rhs) == (ref.RSS_TOTAL, ref.RUM_TOTAL, ref.SSR_TOTAL.weeks)
    assert first.rss_files == first.rss_files_new == 12 and first.rhs_file_new
    assert first.stay_events_new > 30_000 and first.document_events_new > 10_000
    assert first.event_conflicts == 0


def test_first_start_demo_is_skipped_when_the_database_holds_data(session: Session) -> None:
    from app.demo.generator import build_structure
    from app.demo.service import holds_data
    from app.structure.service import replace_structure

    with session.begin():
        assert not holds_data(session)
        replace_structure(session, build_structure())
    with session.begin():
        assert holds_data(session)


def test_serve_demo_option(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from app.cli.main import app

    serve = typer.main.get_command(app).get_command(None, "serve")  # type: ignore[attr-defined]
    assert serve.make_context("serve", []).params["demo"] is True
    assert serve.make_context("serve", ["--no-demo"]).params["demo"] is False
    monkeypatch.setenv("DIMQA_DEMO", "0")
    assert serve.make_context("serve", []).params["demo"] is False
    monkeypatch.setenv("DIMQA_DEMO", "1")
    assert serve.make_context("serve", []).params["demo"] is True


def _check_the_cardiology_alert(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: an alert on cardiology's on-time rate stays quiet in September and fires once the
    demo's reports collapse, then sends nothing more while nothing changes."""
    from app.alerts import service as alerts_service
    from app.alerts.schemas import AlertRuleCreate
    from app.core.config import get_settings

    monkeypatch.setenv("DIMQA_WEBHOOK_ALLOWED_HOSTS", "hooks.example.test")
    get_settings.cache_clear()
    body = AlertRuleCreate.model_validate(
        {
            "name": "Cardiologie : CR sous 8 jours", "metric": "turnaround_on_time_rate", "scope": "service",
            "scope_code": "CARDIO", "comparator": "lt", "threshold": 0.5, "window": "last_30_days",
            "webhook_url": "https://hooks.example.test/dimqa", "webhook_secret": "demo-secret-0123456789",
        }
    )  # fmt: skip
    with session.begin():
        rule = alerts_service.create_rule(session, PRINCIPAL, body)
    states = []
    for day in (date(2022, 9, 30), date(2022, 12, 15), date(2022, 12, 16)):
        monkeypatch.setattr(alerts_service, "today", lambda day=day: day)
        with session.begin():
            result = alerts_service.evaluate_rule(session, PRINCIPAL, rule_id=rule.id)
        states.append((result.condition_met, result.state.value, result.event is not None))
    # condition_met is None when there is nothing to measure: September's rate was measured.
    assert states == [(False, "ok", False), (True, "firing", True), (True, "firing", False)]
    get_settings.cache_clear()
