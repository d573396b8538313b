"""Imports every domain's ORM models so Base.metadata is complete (Alembic, tests)."""

from app.audit import models as audit_models
from app.auth import models as auth_models
from app.core.db import Base

__all__ = ["Base", "audit_models", "auth_models"]
