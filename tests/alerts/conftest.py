from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.core.config import get_settings
from tests.alerts.receiver import Receiver, running

SECRET = "s3cret-webhook-key-0123456789"


@pytest.fixture()
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver on loopback, its host:port the only allowed webhook target."""
    for started in running():
        monkeypatch.setenv("DIMQA_WEBHOOK_ALLOWED_HOSTS", f"127.0.0.1:{started.port}")
        get_settings.cache_clear()
        yield started
    get_settings.cache_clear()


def rule_body(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Anomalies bloquantes en oncologie",
        "metric": "open_blocking_findings",
        "scope": "service",
        "scope_code": "ONCO",
        "comparator": "ge",
        "threshold": 1,
        "window": "current",
        "webhook_url": receiver.url,
        "webhook_secret": SECRET,
    }
    body.update(overrides)
    return body
