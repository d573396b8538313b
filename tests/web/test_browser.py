"""The web interface in a real browser: the flows of issue 20, with a screenshot of each page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.ingestion.writer import write_rss
from tests.web.browser import browser, live_server, new_page, shot, sign_in
from tests.web.conftest import RESTRICTED_UNIT, WEEK, World, demo

__all__ = ["browser", "live_server"]  # fixtures

pytestmark = pytest.mark.usefixtures("realistic")


def test_sign_in_read_review_upload_sign_out(
    browser: Any, live_server: str, world: World, tmp_path: Path
) -> None:
    page, violations = new_page(browser, live_server)
    page.goto("/")
    assert page.url.endswith("/web/connexion?suite=/web/")
    shot(page, "01-connexion")
    sign_in(page, world.secrets["admin"])
    assert page.url.endswith("/web/hebdomadaire")

    # The weekly report: table, bars, trend, downloads.
    page.get_by_label("Semaine ISO (AAAA-Sss)").fill(WEEK)
    page.get_by_label("Semaine ISO (AAAA-Sss)").press("Enter")
    page.wait_for_url(re.compile(r"week=2022-W11"))
    assert page.get_by_role("heading", level=1).inner_text() == f"Comptes rendus de sortie : semaine {WEEK}"
    table = page.locator("table").first
    assert table.locator("tbody tr").count() == 18
    assert (
        page.get_by_role("img", name=f"Comptes rendus reçus à J0 et J8 par service, semaine {WEEK}").count()
        == 1
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="tableau CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    shot(page, "02-hebdomadaire")

    page.get_by_role("link", name="Délais par période").click()
    page.get_by_label("Du").fill("2022-03-01")
    page.get_by_label("Au").fill("2022-03-31")
    page.get_by_label("Regrouper par").select_option("pole")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"group_by=pole"))
    assert page.locator("tbody tr").count() >= 4
    shot(page, "03-delais")

    page.get_by_role("link", name="Activité").click()
    assert page.get_by_role("heading", name="Types de prise en charge").count() == 1
    shot(page, "04-activite")

    page.get_by_role("link", name="Case-mix").click()
    page.get_by_label("Du", exact=True).fill("2022-03-01")
    page.get_by_label("Au", exact=True).fill("2022-03-31")
    page.get_by_label("Comparer à l'année précédente").check()
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"compare=previous_year"))
    assert page.get_by_role("img", name="Valorisation par pôle").count() == 1
    shot(page, "04b-casemix")

    page.get_by_role("link", name="Exhaustivité").click()
    page.get_by_label("Du", exact=True).fill("2022-03-01")
    page.get_by_label("Au", exact=True).fill("2022-03-31")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"from=2022-03-01"))
    assert page.get_by_role("img", name="Taux de séjours codés par service").count() == 1
    shot(page, "04c-exhaustivite")

    # The quarterly review: a quarter chosen in the list, its tables and chart, the downloads.
    page.get_by_role("link", name="Revue trimestrielle").click()
    page.get_by_label("Trimestre", exact=True).select_option("2022-Q1")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"quarter=2022-Q1"))
    assert page.get_by_role("heading", level=1).inner_text() == "Revue trimestrielle : 1er trimestre 2022"
    assert (
        page.get_by_role("img", name="Comptes rendus reçus à J8 par service, 1er trimestre 2022").count() == 1
    )
    assert page.get_by_role("table").count() == 3
    with page.expect_download() as download:
        page.get_by_role("link", name="revue XLSX (graphiques)").click()
    assert download.value.suggested_filename == "revue-trimestrielle-2022-Q1.xlsx"
    page.get_by_label("Année de sortie").select_option("2022")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le rapport annuel (XLSX)").click()
    assert download.value.suggested_filename == "rapport-annuel-2022.xlsx"
    shot(page, "04d-trimestre")

    # Dismiss a finding with a comment; the API shows it dismissed with that comment.
    page.get_by_role("link", name="Anomalies à revoir").click()
    row = page.locator("#anomalie-1")
    row.get_by_label("Décision").select_option("dismissed")
    row.get_by_label("Commentaire").fill("Codage vérifié dans le dossier")
    shot(page, "05-anomalies")
    row.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"reviewed=1"))
    assert page.get_by_role("status").inner_text() == "Revue de l'anomalie n° 1 enregistrée."
    api = httpx.get(
        f"{live_server}/api/v1/findings", params={"status": "dismissed"}, headers=world.bearer("admin")
    ).json()
    assert [(f["id"], f["status"], f["comment"]) for f in api["items"]] == [
        (1, "dismissed", "Codage vérifié dans le dossier")
    ]

    # Upload a small RUM file (three April RSS): progress bar to 100 %, the batch's outcome.
    april = [r for r in demo().rss if r.exit_date is not None and r.exit_date.month == 4][:3]
    upload = tmp_path / "avril.txt"
    upload.write_text("\n".join(line for r in april for line in write_rss(r)) + "\n", encoding="utf-8")
    page.get_by_role("link", name="Intégration").click()
    page.get_by_label("Fichier RSS (formats 016 à 023, groupé 116 à 123)").set_input_files(str(upload))
    page.get_by_role("button", name="Envoyer").click()
    result = page.locator("#resultat")
    result.filter(has_text="Lot n°").wait_for()
    assert result.inner_text() == "Lot n° 2 intégré : 3 RSS accepté(s), 0 rejeté(s), 0 erreur(s) de ligne."
    assert page.locator("#progression").get_attribute("value") == "100"
    shot(page, "06-integration")
    page.reload()
    assert page.locator("table tbody tr").count() == 2  # the slice's batch and this one

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/web/connexion\?sortie=1"))
    assert page.get_by_role("status").inner_text() == "Vous êtes déconnecté."
    page.goto("/web/hebdomadaire")
    assert "/web/connexion" in page.url
    assert violations == []


def test_reader_cannot_reach_the_findings_page(browser: Any, live_server: str, world: World) -> None:
    page, violations = new_page(browser, live_server)
    sign_in(page, world.secrets["reader"])
    nav = page.get_by_role("navigation", name="Navigation principale")
    assert nav.get_by_role("link").all_inner_texts() == [
        "Délais hebdomadaires",
        "Délais par période",
        "Activité",
        "Case-mix",
        "Exhaustivité",
        "Revue trimestrielle",
    ]
    answer = page.goto("/web/anomalies")
    assert answer is not None and answer.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Accès refusé"
    shot(page, "07-lecteur-refuse")
    assert violations == []


def test_a_unit_restricted_user_sees_only_its_units(browser: Any, live_server: str, world: World) -> None:
    page, _ = new_page(browser, live_server)
    sign_in(page, world.secrets["restricted"])
    page.goto("/web/activite?from=2022-03-01&to=2022-03-31")
    units = page.locator("table").nth(1).locator("tbody th[scope=row]").all_inner_texts()
    assert units == [RESTRICTED_UNIT]
    page.goto(f"/web/hebdomadaire?week={WEEK}")
    assert page.locator("table").first.locator("tbody tr").count() == 1
    page.goto("/web/anomalies")
    findings = httpx.get(
        f"{live_server}/api/v1/findings", params={"limit": 50}, headers=world.bearer("restricted")
    ).json()["items"]
    assert {f["unit"] for f in findings} == {RESTRICTED_UNIT}
    rows = page.locator("table tbody tr")
    assert rows.count() == len(findings)
    assert [rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())] == [
        RESTRICTED_UNIT
    ] * len(findings)
    shot(page, "08-restreint")
    page.goto("/web/trimestre?quarter=2022-Q1")
    services = page.locator("table").first.locator("tbody th[scope=row]").all_inner_texts()
    api = httpx.get(
        f"{live_server}/api/v1/reports/quarterly", params={"quarter": "2022-Q1"},
        headers=world.bearer("restricted"),
    ).json()  # fmt: skip
    assert [s["service"] for s in api["services"]] == ["URG"]
    assert [text.split()[-1] for text in services] == ["URG"]
    shot(page, "08b-restreint-trimestre")


def test_upload_without_javascript(browser: Any, live_server: str, world: World, tmp_path: Path) -> None:
    """JavaScript off: the same form posts the file itself (no progress bar) and a page shows
    the batch's outcome."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    sign_in(page, world.secrets["ingest"])
    assert page.url.endswith("/web/integration")
    assert page.locator("noscript").count() == 1
    april = [r for r in demo().rss if r.exit_date is not None and r.exit_date.month == 4][:2]
    upload = tmp_path / "avril.txt"
    upload.write_text("\n".join(line for r in april for line in write_rss(r)) + "\n", encoding="utf-8")
    page.get_by_label("Fichier RSS (formats 016 à 023, groupé 116 à 123)").set_input_files(str(upload))
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_load_state()
    assert page.url.endswith("/web/integration/fichier")
    assert page.get_by_role("heading", level=1).inner_text() == "Résultat de l'envoi"
    assert (
        page.get_by_role("status").inner_text()
        == "Lot n° 2 intégré : 2 RSS accepté(s), 0 rejeté(s), 0 erreur(s) de ligne."
    )
    assert page.locator("table caption").inner_text() == "Fichier « avril.txt »"
    shot(page, "09-envoi-sans-javascript")
    batches = httpx.get(f"{live_server}/api/v1/rum-batches", headers=world.bearer("admin")).json()["items"]
    assert [(b["id"], b["source"], b["rss_accepted"]) for b in batches][0] == (2, "web", 2)
    context.close()


def test_keyboard_navigation(browser: Any, live_server: str, world: World) -> None:
    page, _ = new_page(browser, live_server)
    page.goto("/web/connexion")
    assert page.evaluate("document.activeElement.id") == "token"  # autofocus: type, then Enter
    page.keyboard.type(world.secrets["dim"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/web/hebdomadaire"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link moves the focus to the content
    assert page.evaluate("document.activeElement.id") == "contenu"
    page.keyboard.press("Shift+Tab")
    focused = []
    page.goto("/web/hebdomadaire")
    for _ in range(10):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert focused == [
        "Aller au contenu",
        "Délais hebdomadaires",
        "Délais par période",
        "Anomalies à revoir",
        "Activité",
        "Case-mix",
        "Exhaustivité",
        "Revue trimestrielle",
        "Intégration",
        "Se déconnecter",
    ]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.empty_configuration("checks the skip of the browser tests: no database work")
def test_without_a_browser_the_tests_skip_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.web import browser as module

    monkeypatch.setattr(module, "CHROMIUM_PATHS", ("/nonexistent/chromium",))
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match=r"no Chromium browser \(apt-get install chromium\)"):
        module.chromium()
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert (
        "NO CHROMIUM: the web interface's browser tests (tests/web/test_browser.py) are SKIPPED" in makefile
    )
