"""Settings, read once from the environment (prefix DIMQA_, plus the conventional DATABASE_URL)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIMQA_", extra="ignore", env_ignore_empty=True)

    # Unset: an embedded PostgreSQL is started under var_dir (see app.core.embedded_pg).
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    var_dir: Path = PROJECT_ROOT / "var"
    # HMAC key for token hashes; when unset a random one is created once under var_dir.
    secret_key: str | None = None
    max_body_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)  # a 1,000,000-RUM file is about 450 MB
    # Stay and document event feeds are parsed whole in memory (JSON, HL7, FHIR): a feed sends
    # events as they happen, so a body this large is a misdirected file, not a delivery.
    max_event_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # A nomenclature file once decompressed (and a plain one as sent) is parsed whole in memory:
    # the largest real one, the CIM-10, is 8 MB. Beyond: 413 (app.core.compression).
    max_decompressed_bytes: int = Field(default=DEFAULT_MAX_DECOMPRESSED_BYTES, gt=0)
    # Processes parsing and checking large RUM batches; unset: one per core (app.ingestion.workers).
    ingest_workers: int | None = Field(default=None, ge=0, le=32)
    # Files from this size on go to those processes; unset: 4 MiB (app.ingestion.service). The
    # benchmarks set 0, as the tests do, so that every batch crosses to the workers.
    ingest_parallel_min_bytes: int | None = Field(default=None, ge=0)
    log_level: str = "INFO"  # a level name, in any case (`debug`)
    # The public reference files (ATIH tariffs...) the demo year loads when present (app.demo.tariffs).
    shared_data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"
    # shared_buffers of the embedded PostgreSQL (a PostgreSQL size such as `1GB`); unset: sized from
    # the machine's memory (app.core.embedded_pg.default_shared_buffers). Ignored with DATABASE_URL.
    pg_shared_buffers: str | None = None
    db_pool_size: int = 5
    retry_after_seconds: int = 5
    # Web interface sessions (app.web): closed after this long without a page, and in any case
    # this long after sign-in (a shared workstation left signed in).
    web_session_idle_minutes: int = Field(default=30, gt=0)
    web_session_max_hours: int = Field(default=10, gt=0)
    # Alerts (app/alerts, docs/alerts.md). Webhook targets: comma-separated host names, each
    # optionally with a port (`hooks.example.org`, `127.0.0.1:9000`); empty refuses every target.
    webhook_allowed_hosts: str = ""
    # The evaluation schedule and the delivery worker run inside `dimqa serve` (the app's lifespan);
    # off: neither thread starts (the tests' default, tests/conftest.py).
    alert_background: bool = True
    alert_evaluation_interval_seconds: float = Field(default=300.0, ge=0)  # 0: no scheduled evaluation
    alert_delivery_poll_seconds: float = Field(default=5.0, gt=0)
    alert_delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    alert_delivery_backoff_seconds: float = Field(default=30.0, gt=0)  # doubled after each failure
    alert_delivery_timeout_seconds: float = Field(default=10.0, gt=0)

    def webhook_hosts(self) -> frozenset[str]:
        """The allow-list, lower-cased and trimmed."""
        return frozenset(h.strip().lower() for h in self.webhook_allowed_hosts.split(",") if h.strip())

    @field_validator("pg_shared_buffers")
    @classmethod
    def _postgresql_size(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked at start, not when the embedded server starts: a traceback there. Ignored, as
        # documented, with DATABASE_URL (validated before this field).
        if value is None or info.data.get("database_url"):
            return value
        if not PG_SIZE.match(value.strip()):
            raise ValueError("not a size such as 512MB or 2GB")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        # logging knows only upper-case names: `debug` was a traceback at the start of `dimqa serve`.
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"a log level is one of {', '.join(_LOG_LEVELS)}")
        return level

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str | None) -> str | None:
        if not value:
            return value
        url = normalize_database_url(value)
        # Checked here, not at the first connection: a typo (`postgress://`, a port `5432a`, a MySQL
        # URL) was a traceback from deep inside SQLAlchemy or a missing-module error.
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            raise ValueError(f"not a URL; expected {_URL_SHAPE}") from None
        if parsed.drivername != "postgresql+psycopg":
            raise ValueError(f"not a PostgreSQL URL with the psycopg driver; expected {_URL_SHAPE}")
        return url


PG_SIZE = re.compile(r"^\d+\s*(kB|MB|GB|TB)?$")  # a PostgreSQL memory setting
_URL_SHAPE = "postgresql://user:password@host:5432/database"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def environment_errors(settings: type[BaseSettings]) -> list[str]:
    """What is wrong in the environment variables read by `settings`, one item per variable
    (`DIMQA_INGEST_WORKERS: Input should be a valid integer...`); empty when they are valid. The
    value is never repeated: DATABASE_URL holds a password and DIMQA_SECRET_KEY is one."""
    try:
        settings()
    except ValidationError as error:
        prefix = str(settings.model_config.get("env_prefix", ""))
        return [
            f"{_variable(prefix, item['loc'])}: {item['msg'].removeprefix('Value error, ')}"
            for item in error.errors(include_url=False)
        ]
    return []


def _variable(prefix: str, location: tuple[int | str, ...]) -> str:
    name = str(location[0]) if location else "?"
    return name if name.isupper() else f"{prefix}{name}".upper()  # an alias (DATABASE_URL) as it is


def normalize_database_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
