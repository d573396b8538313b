"""Imports every domain's ORM models so Base.metadata is complete (Alembic, tests)."""

from app.activity import models as activity_models
from app.alerts import models as alerts_models
from app.audit import models as audit_models
from app.auth import models as auth_models
from app.core.db import Base
from app.exhaustivity import models as exhaustivity_models
from app.ingestion import models as ingestion_models
from app.medeco import models as medeco_models
from app.reference import models as reference_models
from app.rules import models as rules_models
from app.structure import models as structure_models
from app.turnaround import models as turnaround_models
from app.web import models as web_models

__all__ = [
    "Base",
    "activity_models",
    "alerts_models",
    "audit_models",
    "auth_models",
    "exhaustivity_models",
    "ingestion_models",
    "medeco_models",
    "reference_models",
    "rules_models",
    "structure_models",
    "turnaround_models",
    "web_models",
]
