"""The case-mix and exhaustivity pages: the API's figures for the same query, the same roles and
unit scoping, the stays not coded for the DIM only (audited), accessible markup and strict headers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text

from app.core import db
from app.web.dependencies import CONTENT_SECURITY_POLICY
from tests.web.a11y import check_page
from tests.web.conftest import RESTRICTED_UNIT, World, sign_in

pytestmark = pytest.mark.usefixtures("realistic")

PERIOD = {"from": "2022-03-01", "to": "2022-03-31"}
# Before the slice was stored (today): as of then no stay was coded (RSS stored later are ignored).
BEFORE_STORAGE = "2022-04-30"
ROW = re.compile(
    r'<tr><th scope="row">[^<]*? <span class="code">([^<]+)</span></th><td>(\d+)</td><td>([^<]+)</td>'
)


def _rows(page: str) -> list[tuple[str, int, str]]:
    """(code, first count, the next cell as written) of each body row."""
    return [(code, int(a), b) for code, a, b in ROW.findall(page)]


def _audit(endpoint: str) -> list[Any]:
    with db.new_session() as session:
        return list(
            session.execute(
                text("SELECT action, object_type, object_ids FROM audit_log WHERE endpoint = :e ORDER BY id"),
                {"e": endpoint},
            )
        )


def test_casemix_page_shows_the_api_figures(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    for group_by in ("pole", "service", "unit", "ghm", "cmd"):
        query = {**PERIOD, "group_by": group_by}
        api = client.get("/api/v1/casemix", params=query, headers=world.bearer("reader")).json()
        answer = client.get("/web/casemix", params=query)
        assert answer.status_code == 200, group_by
        page = check_page(answer.text)
        assert (len(page.tables), page.svgs) == (1, 1)
        shown = [(code, stays) for code, stays, _days in _rows(answer.text)]
        assert shown == [(row["key"], row["stays"]) for row in api["rows"]], group_by
        assert f'<tr><th scope="row">Total</th><td>{api["total"]["stays"]}</td>' in answer.text
        assert f"Séjours non valorisés : {api['not_valued']['stays']}" in answer.text
        assert answer.text.count('<rect x="260" y=') == len(api["rows"]) + 1  # a bar per row, the legend
    assert api["total"]["stays"] == 0 or api["rows"]
    compared = client.get("/web/casemix", params={**PERIOD, "group_by": "pole", "compare": "previous_year"})
    api = client.get(
        "/api/v1/casemix", params={**PERIOD, "group_by": "pole", "compare": "previous_year"},
        headers=world.bearer("reader"),
    ).json()  # fmt: skip
    assert '<th scope="col">Séjours N-1</th>' in compared.text
    assert [(code, stays, before) for code, stays, before in _rows(compared.text)] == [
        (row["key"], row["stays"], str(row["previous"]["stays"])) for row in api["rows"]
    ]
    csv = client.get("/web/casemix/export", params={**PERIOD, "group_by": "unit", "format": "csv"})
    api_csv = client.get(
        "/api/v1/casemix",
        params={**PERIOD, "group_by": "unit", "format": "csv"},
        headers=world.bearer("reader"),
    )
    assert csv.status_code == 200 and csv.content == api_csv.content
    xlsx = client.get("/web/casemix/export", params={**PERIOD, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert client.get("/web/casemix", params={**PERIOD, "group_by": "ghs"}).status_code == 400
    assert client.get("/web/casemix/export", params={**PERIOD, "format": "pdf"}).status_code == 400


def _french(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def test_decimals_are_written_the_french_way(client: Any, world: World) -> None:
    # The pages wrote Python's "2.6654" or "35.0" beside "85,5 %" and "1 234,56 €".
    sign_in(client, world.secrets["reader"])
    bearer = world.bearer("reader")
    casemix = client.get("/api/v1/casemix", params=PERIOD, headers=bearer).json()["total"]
    page = client.get("/web/casemix", params=PERIOD).text
    assert casemix["days"] > 0 and casemix["los_mean"] is not None
    assert f"<td>{_french(casemix['days'], 2)}</td>" in page
    assert f"<td>{_french(casemix['los_mean'], 2)}</td>" in page
    assert f"<td>{casemix['days']}</td>" not in page
    turnaround = client.get("/api/v1/turnaround", params=PERIOD, headers=bearer).json()["total"]
    assert turnaround["median_delay_days"] is not None
    page = client.get("/web/delais", params=PERIOD).text
    assert f"<td>{_french(turnaround['median_delay_days'], 1)}</td>" in page
    assert f"<td>{turnaround['median_delay_days']}</td>" not in page
    exhaustivity = client.get("/api/v1/exhaustivity", params=PERIOD, headers=bearer).json()["total"]
    assert exhaustivity["coding_delay_median_days"] is not None
    page = client.get("/web/exhaustivite", params=PERIOD).text
    assert f"<td>{_french(exhaustivity['coding_delay_median_days'], 1)}</td>" in page
    assert f"<td>{exhaustivity['coding_delay_median_days']}</td>" not in page


def test_the_grouping_column_keeps_its_capitals(client: Any, world: World) -> None:
    # Jinja's `capitalize` lowered the rest: "Ghm", "Cmd", "Unité médicale (um)".
    sign_in(client, world.secrets["reader"])
    for path, group_by, header in [
        ("/web/casemix", "ghm", "GHM"), ("/web/casemix", "cmd", "CMD"),
        ("/web/casemix", "unit", "Unité médicale (UM)"), ("/web/exhaustivite", "unit", "Unité médicale (UM)"),
        ("/web/delais", "unit", "Unité médicale (UM)"), ("/web/delais", "pole", "Pôle"),
    ]:  # fmt: skip
        page = client.get(path, params={**PERIOD, "group_by": group_by}).text
        assert f'<thead><tr><th scope="col">{header}</th>' in page, (path, group_by)


def test_a_stay_of_a_unit_outside_the_structure_is_named_in_french(client: Any, world: World) -> None:
    # Its group is `unmapped`: the files say "Non rattaché", the pages showed the code "unmapped".
    events = [
        {"event_id": f"hors-{kind}", "type": kind, "stay_number": "HORS-1", "unit": "9999",
         "occurred_at": f"2022-03-{day}T10:00:00+01:00"}
        for kind, day in (("admit", "08"), ("discharge", "10"))
    ]  # fmt: skip
    posted = client.post("/api/v1/stay-events", json={"events": events}, headers=world.bearer("admin"))
    assert posted.status_code == 201, posted.text
    sign_in(client, world.secrets["dim"])
    for path in ("/web/delais", "/web/exhaustivite"):
        page = client.get(path, params={**PERIOD, "group_by": "service"}).text
        assert '<th scope="row">Non rattaché <span class="code">unmapped</span></th>' in page, path
        assert ">unmapped</text>" not in page and "; unmapped:" not in page, path


def test_exhaustivity_page_shows_the_api_figures(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    for group_by in ("pole", "service", "unit"):
        query = {**PERIOD, "group_by": group_by}
        api = client.get("/api/v1/exhaustivity", params=query, headers=world.bearer("reader")).json()
        answer = client.get("/web/exhaustivite", params=query)
        assert answer.status_code == 200, group_by
        page = check_page(answer.text)
        assert (len(page.tables), page.svgs) == (1, 1)
        assert _rows(answer.text) == [(r["group"], r["stays"], str(r["coded"])) for r in api["rows"]], (
            group_by
        )
        t = api["total"]
        assert (
            f'<tr><th scope="row">Total</th><td>{t["stays"]}</td><td>{t["coded"]}</td>'
            f"<td>{t['not_coded']}</td><td>{t['not_coded_over_30_days']}</td>"
        ) in answer.text
        assert len(api["rows"]) > 1 and t["stays"] == t["coded"] == 1364  # as of today: all coded
        assert answer.text.count('<rect x="260" y=') == len(api["rows"]) + 1
    csv = client.get("/web/exhaustivite/export", params={**PERIOD, "format": "csv"})
    api_csv = client.get(
        "/api/v1/exhaustivity",
        params={**PERIOD, "format": "csv"},
        headers=world.bearer("reader"),
    )
    assert csv.status_code == 200 and csv.content == api_csv.content


def test_stays_not_coded_are_for_the_dim_and_audited(client: Any, world: World) -> None:
    query = {**PERIOD, "as_of": BEFORE_STORAGE}
    sign_in(client, world.secrets["reader"])
    assert "detail=true" not in client.get("/web/exhaustivite", params=query).text
    refused = client.get("/web/exhaustivite", params={**query, "detail": "true"})
    assert refused.status_code == 403 and "<h1>Accès refusé</h1>" in refused.text
    sign_in(client, world.secrets["dim"])
    assert "detail=true" in client.get("/web/exhaustivite", params=query).text
    assert _audit("/web/exhaustivite") == []  # aggregates only: nothing to audit
    page = client.get("/web/exhaustivite", params={**query, "detail": "true"})
    check_page(page.text)
    api = client.get(
        "/api/v1/exhaustivity", params={**query, "detail": "true"}, headers=world.bearer("dim")
    ).json()["detail"]
    stays = [s["stay_number"] for s in api]
    assert stays and re.findall(r'<tr><th scope="row">(\w+)</th><td class="text">', page.text) == stays
    entries = _audit("/web/exhaustivite")
    assert [(e.action, e.object_type) for e in entries] == [("read", "stay")]
    # The service caps the ids it logs (app.turnaround.settings.audit_ids): the first ones, then the count.
    logged = entries[0].object_ids
    assert len(stays) == 1364
    assert (
        logged[:-1] == stays[: len(logged) - 1] and logged[-1] == f"... {len(stays) - len(logged) + 1} more"
    )


def test_a_unit_restricted_user_sees_only_its_units(client: Any, world: World) -> None:
    sign_in(client, world.secrets["restricted"])
    for path, api_path in (
        ("/web/casemix", "/api/v1/casemix"),
        ("/web/exhaustivite", "/api/v1/exhaustivity"),
    ):
        query = {**PERIOD, "group_by": "unit"} if "exh" in path else {**PERIOD, "group_by": "unit"}
        page = client.get(path, params=query).text
        api = client.get(api_path, params=query, headers=world.bearer("restricted")).json()
        everyone = client.get(api_path, params=query, headers=world.bearer("dim")).json()
        key = "key" if "casemix" in path else "group"
        assert {code for code, _a, _b in _rows(page)} == {RESTRICTED_UNIT} == {r[key] for r in api["rows"]}
        assert {r[key] for r in everyone["rows"]} - {RESTRICTED_UNIT}  # others exist
        assert f"UM {RESTRICTED_UNIT}" in page


@pytest.mark.parametrize("path", ["/web/casemix", "/web/exhaustivite"])
def test_pages_have_the_strict_headers_and_the_navigation(client: Any, world: World, path: str) -> None:
    sign_in(client, world.secrets["reader"])
    answer = client.get(path, params=PERIOD)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert f'<a href="{path}" aria-current="page">' in answer.text
    for label in ("Du", "Au", "Regrouper par"):
        assert f">{label}</label>" in answer.text
    sign_in(client, world.secrets["ingest"])
    assert client.get(path, params=PERIOD).status_code == 403
    assert client.get(path + "/export", params=PERIOD).status_code == 403
