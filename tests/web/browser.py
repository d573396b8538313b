"""Headless Chromium (Debian's package, driven by Playwright) against dimqa served by uvicorn in a
thread on a free loopback port, on the test database. Skips, saying why, when either is missing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.core.config import PROJECT_ROOT
from app.main import create_app
from tests.fixtures.live import free_port, wait_until

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium() -> str:
    """The browser's path, or a skip naming what is missing (`make test` prints the reason)."""
    found = next((p for p in CHROMIUM_PATHS if Path(p).exists()), None) or shutil.which("chromium")
    if found is None:
        pytest.skip(
            "no Chromium browser (apt-get install chromium): the web interface's browser tests are skipped"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright): browser tests skipped")
    return found


@pytest.fixture()
def live_server(world: Any) -> Iterator[str]:
    """dimqa on a free loopback port, in this process (it shares the test database's engine)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="dimqa-live", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture()
def browser(live_server: str) -> Iterator[Any]:
    path = chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser: Any, base: str) -> tuple[Any, list[str]]:
    """A page of a new context, and the list collecting its Content-Security-Policy violations."""
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return page, violations


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, secret: str) -> None:
    page.goto("/")
    page.get_by_label("Jeton d'accès").fill(secret)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
