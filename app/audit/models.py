from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class AuditLog(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): who read or wrote what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_token_name_at", "token_name", "at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    token_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))  # read | write
    method: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(50))
    object_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # The UMs whose data the entry concerns (what was read or written); NULL when it cannot be told
    # (hospital-wide writes, entries before migration 0011). A token restricted to units sees an
    # entry only when this is non-empty and within its units.
    units: Mapped[list[str] | None] = mapped_column(ARRAY(Text), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
