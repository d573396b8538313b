"""The quarterly review page (the figures of GET /reports/quarterly, the same roles and unit
scoping, its downloads), the annual report's download, and the upload without JavaScript."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from markupsafe import escape
from openpyxl import load_workbook

from app.ingestion.writer import write_rss
from tests.web.a11y import check_page
from tests.web.conftest import CSRF, RESTRICTED_UNIT, World, demo, sign_in

pytestmark = pytest.mark.usefixtures("realistic")

QUARTER = "2022-Q1"  # the slice's stays left in March 2022
SUMMARY_ROW = re.compile(
    r'<tr><th scope="row">[^<]*? <span class="code">([^<]+)</span></th>'
    r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>\s*<td>([^<]+)</td><td>([^<]+)</td>"
)


def _percent(rate: float | None) -> str:
    return "n.d." if rate is None else f"{rate * 100:.1f}".replace(".", ",") + " %"


def _summary(page: str) -> list[tuple[str, int, int, int, str, str]]:
    """(service, stays, within 8 days, missing, rate J8, rate J8 before) of the summary table."""
    table = page.split('id="titre-synthese"')[1].split("</table>")[0]
    return [(c, int(s), int(w), int(m), r, p) for c, s, w, m, r, p in SUMMARY_ROW.findall(table)]


def _expected(api: dict[str, Any]) -> list[tuple[str, int, int, int, str, str]]:
    return [
        (
            s["service"], s["quarter"]["stays"], s["quarter"]["reports_within_8_days"],
            s["quarter"]["missing"], _percent(s["quarter"]["rate_j8"]),
            _percent(s["previous_quarter"]["rate_j8"]),
        )
        for s in api["services"]
    ]  # fmt: skip


def test_quarterly_page_shows_the_api_review(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    api = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER}, headers=world.bearer("reader")
    ).json()
    answer = client.get("/web/trimestre", params={"quarter": QUARTER})
    assert answer.status_code == 200
    page = check_page(answer.text)
    # Summary, monthly detail, channels (no fall: 2021-Q4 holds no stay), one chart.
    assert (len(page.tables), page.svgs) == (3, 1)
    assert "<h1>Revue trimestrielle : 1er trimestre 2022</h1>" in answer.text
    assert _summary(answer.text) == _expected(api) and len(api["services"]) == 22
    hospital = api["hospital"]["quarter"]
    assert hospital["stays"] == sum(s["quarter"]["stays"] for s in api["services"]) > 0
    summary = answer.text.split('id="titre-synthese"')[1].split("</table>")[0]
    assert f'<tr><th scope="row">Total</th><td>{hospital["stays"]}</td>' in summary
    # Each service's three months and the hospital's, under one row-group header each.
    monthly = page.tables[1]
    assert monthly.body_rows == (len(api["services"]) + 1) * 4
    assert answer.text.count('<th scope="row">mars 2022</th>') == len(api["services"]) + 1
    assert api["largest_falls"] == [] and 'id="aucune-baisse"' in answer.text
    channels = re.sub(r">\s+<", "><", answer.text.split('id="titre-canaux"')[1])
    mix = "".join(f"<td>{hospital['channel_mix'][c]}</td>" for c in ("hl7v2", "fhir", "json", "file"))
    assert f'<th scope="row">Total</th>{mix}<td>{hospital["documents"]}</td>' in channels
    # The quarters offered, the chosen one selected; the annual report's form.
    assert '<option value="2022-Q1" selected>1er trimestre 2022</option>' in answer.text
    assert '<option value="2021-Q4">4e trimestre 2021</option>' in answer.text
    assert '<option value="2022" selected>2022</option>' in answer.text
    for label in ("Trimestre", "Année de sortie"):
        assert f">{label}</label>" in answer.text
    # Without a quarter: the quarter of the last discharge known (the data stops in 2022).
    assert "1er trimestre 2022</h1>" in client.get("/web/trimestre").text
    bad = client.get("/web/trimestre", params={"quarter": "2022-Q5"})
    assert bad.status_code == 400 and "Trimestre « 2022-Q5 » inconnu" in bad.text


def test_quarterly_downloads_are_the_api_files(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    csv = client.get("/web/trimestre/export", params={"quarter": QUARTER, "format": "csv"})
    api_csv = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER, "format": "csv"},
        headers=world.bearer("reader"),
    )  # fmt: skip
    assert csv.status_code == 200 and csv.content == api_csv.content
    assert csv.headers["content-disposition"] == api_csv.headers["content-disposition"]
    xlsx = client.get("/web/trimestre/export", params={"quarter": QUARTER, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    api_xlsx = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER, "format": "xlsx"},
        headers=world.bearer("reader"),
    )  # fmt: skip
    api_book = load_workbook(io.BytesIO(api_xlsx.content))
    assert book.sheetnames == api_book.sheetnames
    for name in book.sheetnames:
        assert list(book[name].values) == list(api_book[name].values), name
    assert (
        client.get("/web/trimestre/export", params={"quarter": QUARTER, "format": "pdf"}).status_code == 400
    )


def test_annual_report_download(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    answer = client.get("/web/rapport-annuel", params={"year": "2022"})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="rapport-annuel-2022.xlsx"'
    api = client.get(
        "/api/v1/reports/annual", params={"year": 2022, "format": "xlsx"}, headers=world.bearer("reader")
    )
    book, api_book = (load_workbook(io.BytesIO(r.content)) for r in (answer, api))
    assert book.sheetnames == api_book.sheetnames and len(book.sheetnames) > 1
    for name in book.sheetnames:
        assert list(book[name].values) == list(api_book[name].values), name
    refused = client.get("/web/rapport-annuel", params={"year": "22"})
    assert refused.status_code == 400 and "Année « 22 » invalide" in refused.text
    sign_in(client, world.secrets["ingest"])
    assert client.get("/web/rapport-annuel", params={"year": "2022"}).status_code == 403
    assert client.get("/web/trimestre").status_code == 403
    assert client.get("/web/trimestre/export", params={"quarter": QUARTER}).status_code == 403


def test_a_unit_restricted_user_sees_only_its_units_on_the_quarterly_page(client: Any, world: World) -> None:
    sign_in(client, world.secrets["restricted"])
    page = client.get("/web/trimestre", params={"quarter": QUARTER}).text
    api = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER}, headers=world.bearer("restricted")
    ).json()
    everyone = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER}, headers=world.bearer("dim")
    ).json()
    shown = _summary(page)
    assert shown == _expected(api) and len(shown) == 1
    assert shown[0][1] < everyone["hospital"]["quarter"]["stays"]
    assert f"UM {RESTRICTED_UNIT}" in page
    assert page.count('<th scope="row">mars 2022</th>') == 2  # its service, and its total
    csv = client.get("/web/trimestre/export", params={"quarter": QUARTER, "format": "csv"})
    api_csv = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER, "format": "csv"},
        headers=world.bearer("restricted"),
    )  # fmt: skip
    assert csv.content == api_csv.content


def _april(count: int) -> bytes:
    rss = [r for r in demo().rss if r.exit_date is not None and r.exit_date.month == 4][:count]
    return ("\n".join(line for r in rss for line in write_rss(r)) + "\n").encode()


def test_upload_without_javascript(client: Any, world: World) -> None:
    """The plain form (multipart, CSRF field) stores the batch and answers a page with its outcome."""
    csrf = sign_in(client, world.secrets["ingest"])
    form = client.get("/web/integration").text
    assert 'enctype="multipart/form-data"' in form and f'name="csrf" value="{csrf}"' in form
    body = _april(3)
    sent = client.post(
        "/web/integration/fichier", data={"csrf": csrf}, files={"fichier": ("avril.txt", body, "text/plain")}
    )
    assert sent.status_code == 201, sent.text
    check_page(sent.text)
    assert "Lot n° 2 intégré : 3 RSS accepté(s), 0 rejeté(s), 0 erreur(s) de ligne." in sent.text
    api = client.get("/api/v1/rum-batches/2", headers=world.bearer("admin")).json()
    assert (api["source"], api["rss_accepted"], api["lines"]) == ("web", 3, body.count(b"\n"))
    again = client.post(
        "/web/integration/fichier", data={"csrf": csrf}, files={"fichier": ("avril.txt", body, "text/plain")}
    )
    assert again.status_code == 200 and "Fichier déjà reçu (lot n° 2)" in again.text
    # A broken line: the batch's error listed on the page.
    broken = body + b"not an RSS line\n"
    errors = client.post(
        "/web/integration/fichier", data={"csrf": csrf}, files={"fichier": ("b.txt", broken, "text/plain")}
    )
    assert errors.status_code == 201
    listed = errors.text.split('id="titre-erreurs"')[1]
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td class="text">', listed)
    batch = client.get("/api/v1/rum-batches/3", headers=world.bearer("admin")).json()
    assert batch["errors_total"] == 1 and rows == [str(e["line"]) for e in batch["errors"]][:50]
    # The reason in French for the DIM's staff, the API's English message beside it.
    [error] = batch["errors"]
    assert error["code"] == "unknown_format"
    reason = '<td class="text">Format de RUM inconnu</td>'
    assert f'{reason}<td class="text" lang="en">{escape(error["message"])}</td>' in listed
    # No CSRF field, or another value: refused with the French page; no file: a 400.
    for fields in ({}, {"csrf": "x" * 43}):
        refused = client.post(
            "/web/integration/fichier", data=fields, files={"fichier": ("c.txt", _april(1), "text/plain")}
        )
        assert refused.status_code == 403 and "Jeton de sécurité" in refused.text
    empty = client.post(
        "/web/integration/fichier",
        data={"csrf": csrf},
        files={"fichier": ("", b"", "application/octet-stream")},
    )
    assert empty.status_code == 400 and "Choisissez un fichier RSS" in empty.text
    assert client.get("/api/v1/rum-batches", headers=world.bearer("admin")).json()["items"][0]["id"] == 3
    # A reader may not upload at all.
    reader_csrf = sign_in(client, world.secrets["reader"])
    assert CSRF.search(client.get("/web/hebdomadaire").text) is not None
    denied = client.post(
        "/web/integration/fichier", data={"csrf": reader_csrf},
        files={"fichier": ("d.txt", _april(1), "text/plain")},
    )  # fmt: skip
    assert denied.status_code == 403


def test_the_largest_falls_are_listed_first_fall_first(
    client: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slice has no previous quarter: the review is given two falls to show how they read."""
    from app.exhaustivity import quarterly
    from app.exhaustivity.schemas import QuarterlyRead

    sign_in(client, world.secrets["reader"])
    api = client.get(
        "/api/v1/reports/quarterly", params={"quarter": QUARTER}, headers=world.bearer("reader")
    ).json()
    review = QuarterlyRead.model_validate({**api, "date_from": api["from"], "date_to": api["to"]})
    rated = sorted(
        (s for s in review.services if s.quarter.rate_j8 is not None), key=lambda s: s.quarter.rate_j8 or 0
    )
    first, second = rated[0], rated[1]
    for service, before in ((first, 0.995), (second, 1.0)):
        service.previous_quarter.rate_j8 = before
        assert service.quarter.rate_j8 is not None
        service.on_time_change = service.quarter.rate_j8 - before
    falls = sorted((first, second), key=lambda s: s.on_time_change or 0.0)
    review.largest_falls = [s.service for s in falls]
    monkeypatch.setattr(quarterly, "quarterly_review", lambda *_a, **_k: review)
    answer = client.get("/web/trimestre", params={"quarter": QUARTER})
    page = check_page(answer.text)
    assert len(page.tables) == 4 and 'id="aucune-baisse"' not in answer.text
    table = answer.text.split('id="titre-baisses"')[1].split("</table>")[0]
    listed = re.findall(
        r'<span class="code">([^<]+)</span></th><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>', table
    )
    assert listed == [
        (
            s.service, _percent(s.previous_quarter.rate_j8), _percent(s.quarter.rate_j8),
            f"{(s.on_time_change or 0.0) * 100:+.1f}".replace(".", ",") + " pts",
        )
        for s in falls
    ]  # fmt: skip
    assert listed[0][3].startswith("-")
