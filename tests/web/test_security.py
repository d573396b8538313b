"""Sessions, CSRF, security headers and roles of the web interface, through the TestClient."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.core import db
from app.main import create_app
from app.web.dependencies import CONTENT_SECURITY_POLICY
from tests.web.conftest import CSRF, WEEK, World, sign_in

pytestmark = pytest.mark.usefixtures("realistic")

PAGES = [
    "/web/hebdomadaire", "/web/delais", "/web/anomalies", "/web/activite", "/web/casemix",
    "/web/exhaustivite", "/web/trimestre", "/web/integration",
]  # fmt: skip


SESSIONS = text("SELECT session_hash, expires_at, absolute_expires_at FROM web_session")


def _sessions() -> list[Any]:
    with db.new_session() as session:
        return list(session.execute(SESSIONS))


def _login(client: Any, secret: str, csrf: str | None = None) -> Any:
    """POST the sign-in form (with the form's own CSRF value unless `csrf` is given)."""
    found = CSRF.search(client.get("/web/connexion").text)
    assert found is not None
    return client.post(
        "/web/connexion", data={"csrf": csrf or found.group(1), "token": secret}, follow_redirects=False
    )


def _session_cookie(answer: Any) -> str:
    return next(p for p in answer.headers.get_list("set-cookie") if p.startswith("dimqa_session=")).lower()


def test_root_leads_to_the_sign_in_page(client: Any) -> None:
    first = client.get("/", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/web/")
    second = client.get("/web/", follow_redirects=False)
    assert (second.status_code, second.headers["location"]) == (303, "/web/connexion?suite=/web/")
    page = client.get("/")
    assert page.status_code == 200 and "<h1>Connexion</h1>" in page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_every_page_answers_with_the_strict_headers(client: Any, world: World) -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
    sign_in(client, world.secrets["admin"])
    for path in ["/web/connexion", *PAGES, "/web/pas-une-page"]:
        answer = client.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert "<script>" not in answer.text and " style=" not in answer.text
    # The API keeps its own answers: no page policy on problem+json.
    assert "content-security-policy" not in client.get("/api/v1/rules").headers


def test_sign_in_cookie_is_httponly_strict_and_stores_only_a_hash(client: Any, world: World) -> None:
    sign_in(client, world.secrets["reader"])
    cookie = next(c for c in client.cookies.jar if c.name == "dimqa_session")
    rows = _sessions()
    assert len(rows) == 1
    assert rows[0].session_hash != cookie.value and cookie.value not in rows[0].session_hash
    assert len(rows[0].session_hash) == 64
    assert (rows[0].absolute_expires_at - rows[0].expires_at).total_seconds() > 9 * 3600


def test_cookie_flags(client: Any, world: World) -> None:
    cookie = _session_cookie(_login(client, world.secrets["reader"]))
    assert "; httponly" in cookie and "; samesite=strict" in cookie and "; path=/" in cookie
    assert "; secure" not in cookie
    with TestClient(create_app(), base_url="https://testserver") as https:
        assert "; secure" in _session_cookie(_login(https, world.secrets["reader"]))


def test_wrong_token_and_missing_form_token_are_refused(client: Any, world: World) -> None:
    wrong = _login(client, "dq_nope")
    assert wrong.status_code == 401 and "Jeton inconnu ou révoqué." in wrong.text
    forged = _login(client, world.secrets["admin"], csrf="forged")
    assert forged.status_code == 403 and _sessions() == []


def test_csrf_is_required_on_every_form(client: Any, world: World) -> None:
    csrf = sign_in(client, world.secrets["admin"])
    finding = re.search(r'id="anomalie-(\d+)"', client.get("/web/anomalies").text)
    assert finding is not None
    review = f"/web/anomalies/{finding.group(1)}/revue"
    refused = client.post(review, data={"status": "acknowledged", "csrf": "x" * 64}, follow_redirects=False)
    assert refused.status_code == 403 and "Jeton de sécurité" in refused.text
    assert client.post(review, data={"status": "acknowledged"}, follow_redirects=False).status_code == 403
    logout = client.post("/web/deconnexion", data={}, follow_redirects=False)
    assert logout.status_code == 403 and len(_sessions()) == 1
    upload = client.post(
        "/web/integration/fichier", content=b"x", headers={"Content-Type": "application/octet-stream"}
    )
    assert upload.status_code == 403
    # Another session's token is not this one's.
    with TestClient(create_app()) as other:
        other_csrf = sign_in(other, world.secrets["admin"])
    assert other_csrf != csrf
    stolen = client.post(review, data={"status": "acknowledged", "csrf": other_csrf}, follow_redirects=False)
    assert stolen.status_code == 403
    accepted = client.post(review, data={"status": "acknowledged", "csrf": csrf}, follow_redirects=False)
    assert accepted.status_code == 303


def test_session_expiry_revocation_and_sign_out(client: Any, world: World) -> None:
    csrf = sign_in(client, world.secrets["dim"])
    assert client.get("/web/activite").status_code == 200
    with db.new_session() as session, session.begin():
        session.execute(text("UPDATE web_session SET expires_at = now() - interval '1 second'"))
    expired = client.get("/web/activite", follow_redirects=False)
    assert (expired.status_code, expired.headers["location"]) == (303, "/web/connexion?suite=/web/activite")
    # Idle expiry never passes the absolute one.
    csrf = sign_in(client, world.secrets["dim"])
    with db.new_session() as session, session.begin():
        session.execute(text("UPDATE web_session SET absolute_expires_at = now() + interval '1 second'"))
    client.get("/web/activite")
    assert all((r.expires_at - r.absolute_expires_at).total_seconds() <= 0 for r in _sessions())
    with db.new_session() as session, session.begin():
        session.execute(text("UPDATE web_session SET absolute_expires_at = now() + interval '1 hour'"))
        session.execute(text("UPDATE web_session SET expires_at = now() + interval '1 minute'"))
    # Sign-out deletes the session: the old cookie opens nothing.
    csrf = CSRF.search(client.get("/web/activite").text).group(1)  # type: ignore[union-attr]
    cookie = client.cookies.get("dimqa_session")
    out = client.post("/web/deconnexion", data={"csrf": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/web/connexion?sortie=1")
    assert [r for r in _sessions() if r.expires_at > r.absolute_expires_at] == []
    client.cookies.set("dimqa_session", cookie)
    assert client.get("/web/activite", follow_redirects=False).status_code == 303
    # A revoked token closes its sessions at the next page.
    sign_in(client, world.secrets["reader"])
    with db.new_session() as session, session.begin():
        session.execute(text("UPDATE api_token SET revoked_at = now() WHERE role = 'reader'"))
    assert client.get("/web/activite", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (
            "reader",
            {
                "/web/hebdomadaire",
                "/web/delais",
                "/web/activite",
                "/web/casemix",
                "/web/exhaustivite",
                "/web/trimestre",
            },  # fmt: skip
        ),
        ("ingest", {"/web/integration"}),
        ("dim", set(PAGES)),
        ("admin", set(PAGES)),
    ],
)
def test_pages_apply_the_api_roles(client: Any, world: World, who: str, allowed: set[str]) -> None:
    sign_in(client, world.secrets[who])
    for path in PAGES:
        answer = client.get(path)
        expected = 200 if path in allowed else 403
        assert answer.status_code == expected, (who, path)
        if expected == 403:
            assert "<h1>Accès refusé</h1>" in answer.text
    export = client.get(f"/web/hebdomadaire/export?week={WEEK}&format=csv")
    assert export.status_code == (200 if "/web/hebdomadaire" in allowed else 403)
