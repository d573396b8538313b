from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class WebSession(Base):
    """A signed-in browser. Only a keyed hash of the cookie's session id is stored (migration 0019)."""

    __tablename__ = "web_session"
    __table_args__ = (
        Index("ix_web_session_expires_at", "expires_at"),
        Index("ix_web_session_token_id", "token_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    absolute_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
