from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status

from app.alerts import delivery, service
from app.alerts.schemas import (
    AlertRuleCreate,
    AlertRuleList,
    AlertRuleRead,
    AlertRuleUpdate,
    DeliveryPage,
    DeliveryStatus,
    EvaluationRead,
    MetricRead,
)
from app.auth.dependencies import AllUnitsAdmin
from app.core.db import SessionDep
from app.core.problems import problem_responses

# Rules watch the whole hospital and post its figures outside dimqa: admins on every unit only.
router = APIRouter(tags=["alerts"], responses=problem_responses(401, 403, 503))


@router.get("/alert-metrics", response_model=list[MetricRead])
def list_alert_metrics(principal: AllUnitsAdmin) -> list[MetricRead]:
    """The metrics a rule can watch, with their windows (the first is the default) and scopes."""
    return service.list_metrics()


@router.get("/alert-rules", response_model=AlertRuleList)
def list_alert_rules(session: SessionDep, principal: AllUnitsAdmin) -> AlertRuleList:
    """Every alert rule with its state (never its webhook secret)."""
    return AlertRuleList(items=service.list_rules(session))


@router.post(
    "/alert-rules",
    response_model=AlertRuleRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
def create_alert_rule(body: AlertRuleCreate, session: SessionDep, principal: AllUnitsAdmin) -> AlertRuleRead:
    """Create a rule: a metric, its scope, a comparator and threshold, a window, and the webhook
    (its host in DIMQA_WEBHOOK_ALLOWED_HOSTS, else 400). The secret is stored sealed and never
    returned. The rule starts `ok`: its first evaluation may fire it."""
    return service.create_rule(session, principal, body)


@router.get("/alert-rules/{rule_id}", response_model=AlertRuleRead, responses=problem_responses(404, 422))
def read_alert_rule(rule_id: int, session: SessionDep, principal: AllUnitsAdmin) -> AlertRuleRead:
    """One rule and its state."""
    return service.get_rule(session, rule_id=rule_id)


@router.patch("/alert-rules/{rule_id}", response_model=AlertRuleRead, responses=problem_responses(404, 422))
def update_alert_rule(
    rule_id: int, body: AlertRuleUpdate, session: SessionDep, principal: AllUnitsAdmin
) -> AlertRuleRead:
    """Change the fields given (a new `webhook_secret` replaces the old one). The state is kept:
    the next evaluation compares with the changed rule."""
    return service.update_rule(session, principal, rule_id=rule_id, body=body)


@router.delete(
    "/alert-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 422)
)
def delete_alert_rule(rule_id: int, session: SessionDep, principal: AllUnitsAdmin) -> None:
    """Delete a rule. Its deliveries stay listed; those not sent yet are cancelled."""
    service.delete_rule(session, principal, rule_id=rule_id)


@router.post(
    "/alert-rules/{rule_id}/evaluate", response_model=EvaluationRead, responses=problem_responses(404, 422)
)
def evaluate_alert_rule(
    rule_id: int,
    session: SessionDep,
    principal: AllUnitsAdmin,
    background: BackgroundTasks,
) -> EvaluationRead:
    """Evaluate the rule now (enabled or not), as the schedule does: a change of state writes one
    event to the outbox (`event`, `event_id`); no change, no event."""
    result = service.evaluate_rule(session, principal, rule_id=rule_id)
    if result.event is not None:
        background.add_task(delivery.wake)  # after the commit: the worker then finds the event
    return result


@router.get("/alert-deliveries", response_model=DeliveryPage, responses=problem_responses(422))
def list_alert_deliveries(
    session: SessionDep,
    principal: AllUnitsAdmin,
    status: DeliveryStatus | None = None,
    rule_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryPage:
    """The outbox, newest first: each event sent (or to send) to a webhook, its attempts and the
    last error; `payload` is the JSON body sent."""
    return service.list_deliveries(session, status=status, rule_id=rule_id, cursor=cursor, limit=limit)
