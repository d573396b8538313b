"""A small slice of the demo year (stays discharged in March 2022, their movements and reports)
loaded through the real services on the realistic configuration, and the tokens of each role."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import pytest

from app.auth import service as auth_service
from app.auth.schemas import Principal, Role
from app.core import db
from app.demo.generator import DemoData, generate
from app.ingestion import service as ingestion_service
from app.ingestion.writer import write_rss
from app.turnaround import intake
from tests.fixtures.realistic import Realistic

FIRST_EXIT = date(2022, 3, 1)
LAST_EXIT = date(2022, 3, 31)
WEEK = "2022-W11"  # 14-20 March 2022: closed, in the slice
# The restricted user's unit: UHCD (urgences), whose RUM carries one of the slice's two findings.
RESTRICTED_UNIT = "5520"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@lru_cache(maxsize=1)
def demo() -> DemoData:
    return generate()


@dataclass(frozen=True, slots=True)
class World:
    """Secrets of one token per role, and a dim token restricted to RESTRICTED_UNIT."""

    secrets: dict[str, str]
    rss: int

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"}


def _token(session: Any, role: Role, units: list[str] | None = None) -> str:
    _, secret = auth_service.create_token(
        session, name=f"web-{role.value}-{uuid.uuid4().hex[:6]}", role=role, units=units
    )
    return secret


@pytest.fixture()
def world(realistic: Realistic) -> World:
    data = demo()
    chosen = [r for r in data.rss if r.exit_date is not None and FIRST_EXIT <= r.exit_date <= LAST_EXIT]
    stays = {rum.admin_number for r in chosen for rum in r.rums}
    body = ("\n".join(line for r in chosen for line in write_rss(r)) + "\n").encode()
    admin = Principal(name="web-loader", role=Role.ADMIN, units=None)
    with db.new_session() as session, session.begin():
        ingestion_service.ingest_rss_file(session, io.BytesIO(body), principal=admin, source="demo")
        intake.store_events(session, "stay", [e for e in data.stay_events if e.stay_number in stays])
        intake.store_events(session, "document", [e for e in data.document_events if e.stay_number in stays])
        secrets = {
            "admin": _token(session, Role.ADMIN),
            "dim": _token(session, Role.DIM),
            "reader": _token(session, Role.READER),
            "ingest": _token(session, Role.INGEST),
            "restricted": _token(session, Role.DIM, [RESTRICTED_UNIT]),
        }
    return World(secrets, len(chosen))


def sign_in(client: Any, secret: str) -> str:
    """Sign `client` in with the form, as a browser does; returns the session's CSRF token."""
    form = client.get("/web/connexion")
    assert form.status_code == 200
    login_csrf = CSRF.search(form.text)
    assert login_csrf is not None
    answer = client.post(
        "/web/connexion", data={"csrf": login_csrf.group(1), "token": secret, "suite": "/web/"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    page = client.get("/web/integration" if "ingest" in secret else "/web/hebdomadaire")
    found = CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)
