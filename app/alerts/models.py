"""Alert rules (with their current state) and the delivery outbox.

A rule holds its own state (`ok` or `firing`) and the last value it saw: an evaluation that finds
the state unchanged writes nothing else, so nothing is sent while nothing changes. Each change of
state (`firing`, `resolved`) is one event, written in the same transaction as the new state into
`alert_delivery`, the outbox the delivery worker drains: an event is never lost between the
evaluation and the send, and a row still `pending` when the process stops is sent by the next one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class AlertRule(Base):
    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(10))  # all | pole | service
    scope_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    comparator: Mapped[str] = mapped_column(String(2))  # lt | le | gt | ge
    threshold: Mapped[float] = mapped_column(Float)
    window: Mapped[str] = mapped_column(String(20))
    webhook_url: Mapped[str] = mapped_column(Text)
    # Sealed with the server key (app.core.security.seal): the HMAC needs the secret itself.
    webhook_secret: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    state: Mapped[str] = mapped_column(String(10), server_default="ok")  # ok | firing
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AlertDelivery(Base):
    """One event (a change of a rule's state) and its delivery to the rule's webhook."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        Index("ix_alert_delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_alert_delivery_rule_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_rule.id", ondelete="SET NULL"), nullable=True
    )
    event: Mapped[str] = mapped_column(String(10))  # firing | resolved
    url: Mapped[str] = mapped_column(Text)
    # The exact bytes sent (UTF-8 JSON) and their signature: every retry sends the same request.
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(
        String(12), server_default="pending"
    )  # pending|delivered|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
