"""Turnaround settings, read once from the environment (prefix DIMQA_).

- `DIMQA_DISCHARGE_REPORT_TYPES`: comma-separated document type codes that count as a discharge
  report (CRH / lettre de liaison). Unset: `events.DEFAULT_DISCHARGE_REPORT_TYPES`. Read at query
  time, so changing it re-classifies stored documents without re-ingesting anything.
- `DIMQA_TURNAROUND_GAUGE_TTL_SECONDS`: how long the Prometheus turnaround gauges are cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from app.turnaround.events import DEFAULT_DISCHARGE_REPORT_TYPES, normalize_document_type


class TurnaroundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIMQA_", extra="ignore", env_ignore_empty=True)

    discharge_report_types: str | None = None
    turnaround_gauge_ttl_seconds: float = 300.0
    # Audit entries list the event ids of a write; a 10,000-event batch would bloat the log.
    audit_max_object_ids: int = 200

    def report_types(self) -> tuple[str, ...]:
        """Normalized (trimmed, upper-case) discharge report types, sorted for stable SQL parameters."""
        configured = (
            self.discharge_report_types.split(",")
            if self.discharge_report_types
            else DEFAULT_DISCHARGE_REPORT_TYPES
        )
        return tuple(sorted({normalize_document_type(code) for code in configured if code.strip()}))

    def report_key(self) -> str:
        """Fingerprint of the report types, stored with the derived rows selected with them."""
        return hashlib.sha256(",".join(self.report_types()).encode("utf-8")).hexdigest()[:16]


@lru_cache
def get_turnaround_settings() -> TurnaroundSettings:
    return TurnaroundSettings()


def audit_ids(ids: Iterable[str]) -> list[str]:
    """Event ids for an audit entry, capped: the count is in the log, not every id of a bulk load."""
    limit = get_turnaround_settings().audit_max_object_ids
    chosen = list(ids)
    if len(chosen) <= limit:
        return chosen
    return [*chosen[:limit], f"... {len(chosen) - limit} more"]
