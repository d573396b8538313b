"""The pages show the API's figures, scoped and audited as the API does, and meet the
accessibility basics (labels, table headers, keyboard skip link, contrast) by explicit assertions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.core import db
from tests.web.a11y import check_page, contrast, css_variables
from tests.web.conftest import RESTRICTED_UNIT, WEEK, World, sign_in

pytestmark = pytest.mark.usefixtures("realistic")

CSS = Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "dimqa.css"
PERIOD = {"from": "2022-03-01", "to": "2022-03-31"}
ROW_HEADER = re.compile(r'<th scope="row">([^<]*?) <span class="code">([^<]+)</span></th><td>(\d+)</td>')
UNIT_ROW = re.compile(r'<tr><th scope="row">(\d{4})</th><td class="text">[^<]*</td><td>(\d+)</td></tr>')


def _audit(endpoint: str) -> list[Any]:
    with db.new_session() as session:
        return list(
            session.execute(
                text(
                    "SELECT action, object_type, object_ids, units FROM audit_log "
                    "WHERE endpoint = :e ORDER BY id"
                ),
                {"e": endpoint},
            )
        )


def test_every_page_meets_the_accessibility_basics(client: Any, world: World) -> None:
    check_page(client.get("/web/connexion").text)
    sign_in(client, world.secrets["admin"])
    pages = {
        f"/web/hebdomadaire?week={WEEK}": (2, 2),  # tables, charts (+ one sparkline per service)
        "/web/delais?from=2022-03-01&to=2022-03-31&group_by=unit": (1, 0),
        "/web/anomalies": (1, 0),
        "/web/activite?from=2022-03-01&to=2022-03-31": (3, 0),
        "/web/integration": (1, 0),
        "/web/trimestre?quarter=2022-Q1": (3, 1),
    }
    for path, (tables, charts) in pages.items():
        page = check_page(client.get(path).text)
        assert len(page.tables) == tables, path
        assert page.svgs >= charts, path
    weekly = check_page(client.get(f"/web/hebdomadaire?week={WEEK}").text)
    # The services discharging in the week (18), and those of the 12 weeks (20) with a sparkline each.
    assert (weekly.tables[0].body_rows, weekly.tables[1].body_rows, weekly.svgs) == (18, 20, 2 + 20)


def test_colours_meet_the_contrast_ratios() -> None:
    colours = css_variables(CSS)
    white = "#ffffff"
    pairs = {
        "text": (colours["ink"], colours["paper"]),
        "links": (colours["accent"], colours["paper"]),
        "banner": (white, colours["accent"]),
        "hints": (colours["muted"], colours["paper"]),
        "alerts": (colours["alert"], "#fdf2f2"),
        "notices": (colours["ok"], "#eef7ee"),
        "table headers": (colours["ink"], "#e8eef5"),
        "disabled button": (white, colours["muted"]),
    }
    ratios = {name: round(contrast(*pair), 2) for name, pair in pairs.items()}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
    assert contrast(colours["focus"], colours["paper"]) >= 3  # the focus ring, a graphic
    assert ":focus" in CSS.read_text(encoding="utf-8") and "outline: 3px solid" in CSS.read_text(
        encoding="utf-8"
    )


def test_weekly_page_shows_the_api_report_and_its_charts(client: Any, world: World) -> None:
    api = client.get(
        "/api/v1/reports/weekly-turnaround", params={"week": WEEK}, headers=world.bearer("admin")
    )
    sign_in(client, world.secrets["reader"])
    page = client.get(f"/web/hebdomadaire?week={WEEK}").text
    shown = [(code, int(stays)) for _label, code, stays in ROW_HEADER.findall(page)]
    expected = [(row["service"], row["stays"]) for row in api.json()["rows"]]
    assert shown[: len(expected)] == expected and len(expected) == 18
    total = api.json()["total"]
    assert f'<tr><th scope="row">Total</th><td>{total["stays"]}</td>' in page
    # Bars and trend: patterns and written values, not colour alone.
    assert page.count('fill="url(#barres-hatch)"') == 18 + 1  # one hatched bar per service + the legend
    assert "Reçus à J8 (plein)" in page and "Taux J0 (tirets, carrés)" in page
    assert page.count("<title id=") == 2 + 20  # the two charts and a sparkline per service of the trend
    csv = client.get(f"/web/hebdomadaire/export?week={WEEK}&format=csv")
    api_csv = client.get(
        "/api/v1/reports/weekly-turnaround",
        params={"week": WEEK, "format": "csv"},
        headers=world.bearer("reader"),
    )
    assert csv.status_code == 200 and csv.content == api_csv.content
    xlsx = client.get(f"/web/hebdomadaire/export?week={WEEK}&format=xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    # In French, as on every page: the DIM typed it.
    for path in ("/web/hebdomadaire?week=2022-W99", "/web/hebdomadaire/export?week=2024-W53&format=csv"):
        wrong = client.get(path)
        assert wrong.status_code == 400
        assert "inconnue : écrivez-la AAAA-Wss, par exemple 2026-W05." in wrong.text
        assert "is not an existing ISO week" not in wrong.text
    pdf = client.get(f"/web/hebdomadaire/export?week={WEEK}&format=pdf")
    assert pdf.status_code == 400 and "Format de téléchargement inconnu (csv ou xlsx)." in pdf.text
    # A missing week is reported before the format is looked at, as by the API.
    assert client.get("/web/hebdomadaire/export?format=pdf").status_code == 422


def test_turnaround_and_activity_pages_show_the_api_figures(client: Any, world: World) -> None:
    sign_in(client, world.secrets["dim"])
    for group_by in ("pole", "service", "unit"):
        api = client.get(
            "/api/v1/turnaround", params={**PERIOD, "group_by": group_by}, headers=world.bearer("dim")
        )
        page = client.get("/web/delais", params={**PERIOD, "group_by": group_by}).text
        shown = [(code, int(stays)) for _label, code, stays in ROW_HEADER.findall(page)]
        assert shown == [(row["group"], row["stays"]) for row in api.json()["rows"]], group_by
    units = client.get("/api/v1/activity/units", params=PERIOD, headers=world.bearer("dim")).json()
    page = client.get("/web/activite", params=PERIOD).text
    expected = [(u["unit"], str(u["rum"])) for pole in units["poles"] for u in pole["units"]]
    assert UNIT_ROW.findall(page) == expected and units["total"]["rum"] == 1830
    care = client.get("/api/v1/activity/care-types", params=PERIOD, headers=world.bearer("dim")).json()
    assert f'<th scope="row">Total</th><td>{care["total"]["rum"]}</td><td>{care["total"]["rss"]}</td>' in page


def test_a_unit_restricted_user_sees_only_its_units(client: Any, world: World) -> None:
    sign_in(client, world.secrets["restricted"])
    activity = client.get("/web/activite", params=PERIOD).text
    shown_units = {unit for unit, _ in UNIT_ROW.findall(activity)}
    assert shown_units == {RESTRICTED_UNIT}
    api = client.get("/api/v1/activity/units", params=PERIOD, headers=world.bearer("restricted")).json()
    assert UNIT_ROW.findall(activity) == [(RESTRICTED_UNIT, str(api["total"]["rum"]))]
    turnaround = client.get("/web/delais", params={**PERIOD, "group_by": "unit"}).text
    assert {code for _label, code, _ in ROW_HEADER.findall(turnaround)} == {RESTRICTED_UNIT}
    findings = client.get("/web/anomalies?status=open").text
    units = re.findall(r"<td>\d{8}</td><td>(\w+)</td>", findings)
    assert units and set(units) == {RESTRICTED_UNIT}
    everyone = client.get(
        "/api/v1/findings", params={"status": "open", "limit": 50}, headers=world.bearer("dim")
    )
    assert {item["unit"] for item in everyone.json()["items"]} - {RESTRICTED_UNIT}  # others exist
    api_findings = client.get(
        "/api/v1/findings", params={"status": "open", "limit": 50}, headers=world.bearer("restricted")
    ).json()
    assert len(units) == len(api_findings["items"])
    weekly = client.get(f"/web/hebdomadaire?week={WEEK}").text
    api_weekly = client.get(
        "/api/v1/reports/weekly-turnaround", params={"week": WEEK}, headers=world.bearer("restricted")
    ).json()
    assert [code for _l, code, _s in ROW_HEADER.findall(weekly)][: len(api_weekly["rows"])] == [
        row["service"] for row in api_weekly["rows"]
    ]
    assert len(api_weekly["rows"]) == 1
    assert f"UM {RESTRICTED_UNIT}" in weekly  # the banner says whose units the figures cover


def test_findings_page_is_audited_and_reviews_go_through_the_api_rules(client: Any, world: World) -> None:
    csrf = sign_in(client, world.secrets["dim"])
    page = client.get("/web/anomalies?severity=warning").text
    ids = re.findall(r'id="anomalie-(\d+)"', page)
    rss = re.findall(r"<td>(\d{8})</td><td>\w+</td>", page)
    assert ids and len(ids) == len(rss)
    entries = _audit("/web/anomalies")
    assert [(e.action, e.object_type) for e in entries] == [("read", "rss")]
    assert entries[0].object_ids == list(dict.fromkeys(rss))
    target = ids[0]
    unjustified = client.post(
        f"/web/anomalies/{target}/revue", data={"csrf": csrf, "status": "dismissed", "comment": " "}
    )
    assert unjustified.status_code == 400 and "commentaire pour écarter" in unjustified.text
    done = client.post(
        f"/web/anomalies/{target}/revue",
        data={
            "csrf": csrf,
            "status": "dismissed",
            "comment": "Codage conforme au dossier",
            "back": "severity=warning",
        },
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/web/anomalies?severity=warning&reviewed={target}",
    )
    api = client.get("/api/v1/findings", params={"status": "dismissed"}, headers=world.bearer("dim")).json()
    assert [(f["id"], f["comment"]) for f in api["items"]] == [(int(target), "Codage conforme au dossier")]
    writes = _audit("/web/anomalies/{finding_id}/revue")
    assert [(e.action, e.object_type, e.object_ids) for e in writes] == [("write", "finding", [target])]
    # Dismissed -> acknowledged is refused, as by the API (409), on an HTML page.
    refused = client.post(f"/web/anomalies/{target}/revue", data={"csrf": csrf, "status": "acknowledged"})
    assert refused.status_code == 409 and "<h1>" in refused.text


def test_the_trend_query_counts_as_the_turnaround_of_each_week(world: World) -> None:
    """The 12 weeks' rates in one statement equal the 12 turnaround reports, per service and in total."""
    from app.auth.schemas import Principal, Role
    from app.turnaround import reports
    from app.web import pages

    for principal in (
        Principal(name="t", role=Role.ADMIN, units=None),
        Principal(name="t", role=Role.DIM, units=(RESTRICTED_UNIT,)),
    ):
        weeks = pages.trend_weeks(WEEK)
        with db.new_session() as session:
            trend = reports.weekly_rates(
                session, principal, first_monday=weeks[0][1], last_sunday=weeks[-1][2]
            )
            one_by_one = [
                reports.turnaround(session, principal, reports.PeriodScope(monday, sunday))
                for _name, monday, sunday in weeks
            ]
        expected = [
            (
                monday,
                figures.total.rate_j0,
                figures.total.rate_j8,
                {r.group: (r.label, r.rate_j0, r.rate_j8) for r in figures.rows},
            )
            for (_name, monday, _sunday), figures in zip(weeks, one_by_one, strict=True)
            if figures.total.stays
        ]
        assert [(w.monday, w.rate_j0, w.rate_j8, w.groups) for w in trend] == expected
        assert len(expected) == 3  # the 12 weeks up to W11 hold the slice's (March 2022) W09 to W11


def test_late_and_missing_stays_are_for_the_dim_and_audited(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    page = client.get(f"/web/hebdomadaire?week={WEEK}")
    assert "detail=true" not in page.text
    assert client.get(f"/web/hebdomadaire?week={WEEK}&detail=true").status_code == 403
    sign_in(client, world.secrets["dim"])
    assert "detail=true" in client.get(f"/web/hebdomadaire?week={WEEK}").text
    assert _audit("/web/hebdomadaire") == []  # aggregates only: nothing to audit
    page = client.get(f"/web/hebdomadaire?week={WEEK}&detail=true")
    check_page(page.text)
    api = client.get(
        "/api/v1/reports/weekly-turnaround",
        params={"week": WEEK, "detail": "true"},
        headers=world.bearer("dim"),
    ).json()["detail"]
    stays = [s["stay_number"] for s in api["late"] + api["missing"]]
    assert len(api["late"]) == 29 and len(api["missing"]) == 15
    assert re.findall(r'<tr><th scope="row">(\d+)</th><td class="text">', page.text) == stays
    entries = _audit("/web/hebdomadaire")
    assert [(e.action, e.object_type) for e in entries] == [("read", "stay")]
    assert sorted(entries[0].object_ids) == sorted(stays)


def test_a_database_that_does_not_answer_is_a_french_page_with_retry_after(
    client: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages answered it as the API does: a raw problem+json in English."""
    from sqlalchemy.exc import OperationalError

    from app.web import service

    sign_in(client, world.secrets["dim"])

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(service, "resolve", down)
    page = client.get("/web/hebdomadaire")
    assert (page.status_code, page.headers["content-type"]) == (503, "text/html; charset=utf-8")
    assert page.headers["retry-after"] == "5"
    assert "<h1>Service momentanément indisponible</h1>" in page.text
    assert "La base de données ne répond pas : réessayez dans quelques instants." in page.text
    assert "server closed" not in page.text
