"""The one place that knows URL prefixes: every domain router is mounted here under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from app.activity.router import router as activity_router
from app.alerts.router import router as alerts_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.core.problems import problem_responses
from app.exhaustivity.router import router as exhaustivity_router
from app.ingestion.rhs.router import router as rhs_router
from app.ingestion.router import router as ingestion_router
from app.medeco.router import router as medeco_router
from app.reference.router import router as reference_router
from app.rules.router import router as rules_router
from app.structure.router import router as structure_router
from app.turnaround.router import router as turnaround_router

# Every API route may answer these: bad input, no or wrong token, role, database down.
api_router = APIRouter(prefix="/api/v1", responses=problem_responses(400, 401, 403, 503))
api_router.include_router(auth_router)
api_router.include_router(audit_router)
api_router.include_router(structure_router)
api_router.include_router(ingestion_router)
api_router.include_router(medeco_router)
api_router.include_router(reference_router)
api_router.include_router(rules_router)
api_router.include_router(activity_router)
# After the activity routes, where the RHS feed was first mounted: the OpenAPI paths keep their order.
api_router.include_router(rhs_router)
api_router.include_router(turnaround_router)
api_router.include_router(exhaustivity_router)
api_router.include_router(alerts_router)
