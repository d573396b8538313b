"""API shapes of the alert rules, their evaluations and deliveries (docs/alerts.md).

The webhook secret is write-only: accepted on create and update, never part of a response."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from app.core.control_chars import NoControlStr, NoControlStrOrNone


class Metric(StrEnum):
    TURNAROUND_ON_TIME_RATE = "turnaround_on_time_rate"
    MISSING_REPORTS = "missing_reports"
    STAYS_NOT_CODED_OVER_30_DAYS = "stays_not_coded_over_30_days"
    OPEN_BLOCKING_FINDINGS = "open_blocking_findings"
    INGESTION_FAILURES = "ingestion_failures"


class Scope(StrEnum):
    ALL = "all"
    POLE = "pole"
    SERVICE = "service"


class Comparator(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


class Window(StrEnum):
    """The period a metric is computed over, as of the evaluation day (hospital time)."""

    LAST_CLOSED_WEEK = "last_closed_week"  # the ISO week before the current one
    LAST_7_DAYS = "last_7_days"  # the evaluation day and the 6 before it
    LAST_30_DAYS = "last_30_days"
    CURRENT = "current"  # the state on the evaluation day, no period


class AlertState(StrEnum):
    OK = "ok"
    FIRING = "firing"


class AlertEvent(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed, or the target left the allow-list
    CANCELLED = "cancelled"  # its rule was deleted before it could be sent


_URL = Field(
    max_length=2000,
    description="http(s) URL whose host is in DIMQA_WEBHOOK_ALLOWED_HOSTS",
    examples=["https://hooks.example.org/dimqa"],
)
_SECRET = Field(
    min_length=16,
    max_length=200,
    description="HMAC-SHA256 key of the X-Dimqa-Signature header (write-only: never returned)",
)
_THRESHOLD = Field(
    allow_inf_nan=False,
    description="Rates are fractions (0.8 = 80 %), as in the turnaround reports; counts are counts",
)


class AlertRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["Cardiologie : CR sous 8 jours"])
    metric: Metric
    scope: Scope = Scope.ALL
    scope_code: NoControlStrOrNone = Field(
        default=None, max_length=20, description="The pôle or service code; null with scope `all`"
    )
    comparator: Comparator = Field(description="The rule fires when `value <comparator> threshold`")
    threshold: float = _THRESHOLD
    window: Window | None = Field(default=None, description="Null: the metric's default window")
    webhook_url: NoControlStr = _URL
    webhook_secret: SecretStr = _SECRET
    enabled: bool = True


class AlertRuleUpdate(BaseModel):
    """The fields to change (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    metric: Metric | None = None
    scope: Scope | None = None
    scope_code: NoControlStrOrNone = Field(default=None, max_length=20)
    comparator: Comparator | None = None
    threshold: float | None = Field(default=None, allow_inf_nan=False)
    window: Window | None = None
    webhook_url: NoControlStrOrNone = Field(default=None, max_length=2000)
    webhook_secret: SecretStr | None = Field(default=None, min_length=16, max_length=200)
    enabled: bool | None = None


class AlertRuleRead(BaseModel):
    id: int
    name: str
    metric: Metric
    scope: Scope
    scope_code: str | None
    comparator: Comparator
    threshold: float
    window: Window
    webhook_url: str
    enabled: bool
    state: AlertState
    last_value: float | None = Field(description="The value of the last evaluation; null: no data")
    last_evaluated_at: datetime | None
    state_changed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class AlertRuleList(BaseModel):
    items: list[AlertRuleRead]


class MetricRead(BaseModel):
    metric: Metric
    label: str
    kind: str = Field(description="`rate` (a fraction) or `count`")
    windows: list[Window]
    default_window: Window
    scopes: list[Scope]


class EvaluationRead(BaseModel):
    rule_id: int
    value: float | None = Field(description="Null when there is nothing to measure: the state is kept")
    condition_met: bool | None
    previous_state: AlertState
    state: AlertState
    event: AlertEvent | None = Field(description="The change of state sent to the webhook, if any")
    event_id: uuid.UUID | None
    period_from: date | None
    period_to: date | None
    as_of: date
    evaluated_at: datetime


class DeliveryRead(BaseModel):
    id: int
    event_id: uuid.UUID
    rule_id: int | None = Field(description="Null once the rule is deleted")
    event: AlertEvent
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The JSON body sent (the same bytes on every attempt)")


class DeliveryPage(BaseModel):
    items: list[DeliveryRead] = Field(description="Newest first")
    next_cursor: str | None
