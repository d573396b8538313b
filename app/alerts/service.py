"""Alert rules: validation, evaluation (ok → firing → ok) and the events written to the outbox.

An evaluation compares the rule's metric with its threshold. When the comparison changes the
rule's state, one event (`firing` or `resolved`) is written to the outbox in the same transaction
as the new state; while the state stays, nothing is written but the value seen. A value that
cannot be measured (no stay whose window is closed, say) keeps the state as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.alerts import repository
from app.alerts.metrics import PROVIDERS, Context, Period, period_of, provider_of
from app.alerts.models import AlertDelivery, AlertRule
from app.alerts.schemas import (
    AlertEvent,
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    AlertState,
    Comparator,
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    EvaluationRead,
    Metric,
    MetricRead,
    Scope,
    Window,
)
from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.config import get_settings
from app.core.copying import copied
from app.core.line_errors import LineError
from app.core.pagination import id_cursor, next_page
from app.core.problems import InvalidInput, NotFound
from app.core.security import SealBroken, seal, unseal
from app.turnaround import reports

SIGNATURE_HEADER = "X-Dimqa-Signature"
EVENT_ID_HEADER = "X-Dimqa-Event-Id"


def today() -> date:
    """The evaluation day (hospital time); the tests move it."""
    return reports.today()


# --- rules ---------------------------------------------------------------------------------------


def to_read(rule: AlertRule) -> AlertRuleRead:
    return AlertRuleRead.model_validate(rule, from_attributes=True)


def list_metrics() -> list[MetricRead]:
    return [
        copied(MetricRead, p, windows=list(p.windows), default_window=p.windows[0], scopes=list(p.scopes))
        for p in sorted(PROVIDERS.values(), key=lambda p: p.metric.value)
    ]


def _invalid(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[LineError(None, field, code, message)])


def check_webhook_url(url: str) -> None:
    """An http(s) URL without credentials whose host (or host:port) is in the allow-list."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise _invalid("webhook_url", "invalid_url", "the URL's port is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("webhook_url", "invalid_url", "the webhook URL must be http(s)://host/...")
    if parts.username is not None or parts.password is not None:
        raise _invalid("webhook_url", "invalid_url", "the webhook URL must not carry credentials")
    host = parts.hostname.lower()
    port = port or (443 if parts.scheme == "https" else 80)
    named = f"[{host}]" if ":" in host else host
    allowed = get_settings().webhook_hosts()
    if not ({host, named, f"{named}:{port}"} & allowed):
        raise _invalid(
            "webhook_url",
            "host_not_allowed",
            f"host {named}:{port} is not in DIMQA_WEBHOOK_ALLOWED_HOSTS",
        )


def _check(session: Session, rule: AlertRule) -> None:
    provider = provider_of(Metric(rule.metric))
    if provider is None:
        raise _invalid("metric", "metric_unavailable", f"metric {rule.metric!r} is not available yet")
    window, scope = Window(rule.window), Scope(rule.scope)
    if window not in provider.windows:
        allowed = ", ".join(w.value for w in provider.windows)
        raise _invalid("window", "invalid_window", f"{rule.metric} takes the windows {allowed}")
    if scope not in provider.scopes:
        allowed = ", ".join(s.value for s in provider.scopes)
        raise _invalid("scope", "invalid_scope", f"{rule.metric} takes the scopes {allowed}")
    if scope is Scope.ALL and rule.scope_code is not None:
        raise _invalid("scope_code", "unexpected", "scope `all` takes no scope_code")
    if scope is not Scope.ALL:
        if rule.scope_code is None:
            raise _invalid("scope_code", "missing", f"scope `{scope.value}` needs the {scope.value}'s code")
        if (scope, rule.scope_code) not in Context(session, today()).labels():
            raise _invalid(
                "scope_code", "unknown_code", f"{scope.value} {rule.scope_code!r} is not in the structure"
            )
    if provider.kind == "rate" and not 0 <= rule.threshold <= 1:
        raise _invalid("threshold", "out_of_range", "a rate's threshold is a fraction between 0 and 1")
    check_webhook_url(rule.webhook_url)


def _audit(session: Session, principal: Principal, rule_id: int) -> None:
    audit_service.record(session, principal, action="write", object_type="alert_rule", object_ids=[rule_id])


def create_rule(session: Session, principal: Principal, body: AlertRuleCreate) -> AlertRuleRead:
    """A new rule, `ok`; its first evaluation may fire it. Audited."""
    provider = provider_of(body.metric)
    rule = AlertRule(
        name=body.name,
        metric=body.metric.value,
        scope=body.scope.value,
        scope_code=body.scope_code,
        comparator=body.comparator.value,
        threshold=body.threshold,
        window=(body.window or (provider.windows[0] if provider else Window.CURRENT)).value,
        webhook_url=body.webhook_url,
        webhook_secret=seal(body.webhook_secret.get_secret_value()),
        enabled=body.enabled,
        state=AlertState.OK.value,
        created_by=principal.name,
    )
    _check(session, rule)
    created = to_read(repository.add_rule(session, rule))
    _audit(session, principal, created.id)
    return created


def _get(session: Session, rule_id: int, *, lock: bool = False) -> AlertRule:
    rule = repository.get_rule(session, rule_id=rule_id, lock=lock)
    if rule is None:
        raise NotFound(f"alert rule {rule_id} does not exist")
    return rule


def get_rule(session: Session, *, rule_id: int) -> AlertRuleRead:
    return to_read(_get(session, rule_id))


def list_rules(session: Session) -> list[AlertRuleRead]:
    return [to_read(rule) for rule in repository.list_rules(session)]


def update_rule(
    session: Session, principal: Principal, *, rule_id: int, body: AlertRuleUpdate
) -> AlertRuleRead:
    """Change the fields given; the state is kept (the next evaluation decides with the new rule).
    Audited."""
    rule = _get(session, rule_id, lock=True)
    changes = body.model_dump(exclude_unset=True, exclude={"webhook_secret"})
    for name, value in changes.items():
        if value is None and name != "scope_code":
            raise _invalid(name, "null", f"{name} cannot be null")
        setattr(rule, name, value.value if hasattr(value, "value") else value)
    if "scope" in changes and changes["scope"] is Scope.ALL and "scope_code" not in changes:
        rule.scope_code = None
    if body.webhook_secret is not None:
        rule.webhook_secret = seal(body.webhook_secret.get_secret_value())
    _check(session, rule)
    rule.updated_at = datetime.now(UTC)
    session.flush()
    _audit(session, principal, rule_id)
    return to_read(rule)


def delete_rule(session: Session, principal: Principal, *, rule_id: int) -> int:
    """Delete the rule; its deliveries still pending are cancelled (returns how many). Audited."""
    rule = _get(session, rule_id, lock=True)
    cancelled = repository.cancel_pending(session, rule_id=rule_id)
    repository.delete_rule(session, rule)
    _audit(session, principal, rule_id)
    return cancelled


# --- evaluation ----------------------------------------------------------------------------------

_COMPARE = {
    Comparator.LT: lambda value, threshold: value < threshold,
    Comparator.LE: lambda value, threshold: value <= threshold,
    Comparator.GT: lambda value, threshold: value > threshold,
    Comparator.GE: lambda value, threshold: value >= threshold,
}
_SYMBOL = {Comparator.LT: "<", Comparator.LE: "≤", Comparator.GT: ">", Comparator.GE: "≥"}


@dataclass(frozen=True, slots=True)
class _Measured:
    value: float | None
    period: Period | None


def _measure(ctx: Context, rule: AlertRule) -> _Measured:
    provider = provider_of(Metric(rule.metric))
    if provider is None:  # a rule kept from a version that had the metric
        return _Measured(None, None)
    period = period_of(Window(rule.window), ctx.as_of)
    return _Measured(provider.compute(ctx, period, Scope(rule.scope), rule.scope_code), period)


def _number(value: float, kind: str) -> str:
    if kind == "rate":
        return f"{value * 100:.1f} %".replace(".", ",")
    return f"{value:g}".replace(".", ",")


def _message(ctx: Context, rule: AlertRule, event: AlertEvent, measured: _Measured) -> str:
    provider = provider_of(Metric(rule.metric))
    label, kind = (provider.label, provider.kind) if provider else (rule.metric, "count")
    scope = Scope(rule.scope)
    where = ""
    if scope is not Scope.ALL and rule.scope_code is not None:
        name = ctx.labels().get((scope, rule.scope_code))
        noun = "pôle" if scope is Scope.POLE else "service"
        where = f" ({noun} {rule.scope_code}{f' {name}' if name else ''})"
    period = measured.period
    if period is None:
        when = f"au {ctx.as_of:%d/%m/%Y}"
    elif period.label:
        when = f"semaine {period.label} (du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y})"
    else:
        when = f"du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}"
    value = "sans donnée" if measured.value is None else _number(measured.value, kind)
    head = "Alerte" if event is AlertEvent.FIRING else "Fin d'alerte"
    limit = f"{_SYMBOL[Comparator(rule.comparator)]} {_number(rule.threshold, kind)}"
    return f"{head} « {rule.name} » : {label}{where} {when} = {value} (seuil : {limit})."


def payload(
    ctx: Context,
    rule: AlertRule,
    event: AlertEvent,
    measured: _Measured,
    *,
    event_id: uuid.UUID,
    at: datetime,
) -> dict[str, Any]:
    """The JSON body a webhook receives."""
    period = measured.period
    return {
        "event_id": str(event_id),
        "event": event.value,
        "occurred_at": at.isoformat(),
        "rule": {
            "id": rule.id,
            "name": rule.name,
            "metric": rule.metric,
            "scope": rule.scope,
            "scope_code": rule.scope_code,
            "comparator": rule.comparator,
            "threshold": rule.threshold,
            "window": rule.window,
        },
        "value": measured.value,
        "period": None
        if period is None
        else {"from": period.start.isoformat(), "to": period.end.isoformat(), "week": period.label or None},
        "as_of": ctx.as_of.isoformat(),
        "message": _message(ctx, rule, event, measured),
    }


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, the X-Dimqa-Signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _enqueue(
    session: Session, ctx: Context, rule: AlertRule, event: AlertEvent, measured: _Measured, at: datetime
) -> uuid.UUID:
    event_id = uuid.uuid4()
    body = json.dumps(
        payload(ctx, rule, event, measured, event_id=event_id, at=at),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    try:
        signature = sign(unseal(rule.webhook_secret), body.encode())
    except SealBroken:
        # Sealed under another server key (DIMQA_SECRET_KEY changed): the delivery fails at once and
        # says why; setting the secret again (PATCH) mends the rule.
        signature = ""
    repository.add_delivery(
        session,
        AlertDelivery(
            event_id=event_id,
            rule_id=rule.id,
            event=event.value,
            url=rule.webhook_url,
            body=body,
            signature=signature,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
        ),
    )
    return event_id


def _evaluate(session: Session, ctx: Context, rule: AlertRule, at: datetime) -> EvaluationRead:
    measured = _measure(ctx, rule)
    previous = AlertState(rule.state)
    met = (
        None
        if measured.value is None
        else _COMPARE[Comparator(rule.comparator)](measured.value, rule.threshold)
    )
    state = previous if met is None else (AlertState.FIRING if met else AlertState.OK)
    event: AlertEvent | None = None
    event_id: uuid.UUID | None = None
    if state is not previous:
        event = AlertEvent.FIRING if state is AlertState.FIRING else AlertEvent.RESOLVED
        rule.state = state.value
        rule.state_changed_at = at
        event_id = _enqueue(session, ctx, rule, event, measured, at)
    rule.last_value = measured.value
    rule.last_evaluated_at = at
    return EvaluationRead(
        rule_id=rule.id,
        value=measured.value,
        condition_met=met,
        previous_state=previous,
        state=state,
        event=event,
        event_id=event_id,
        period_from=measured.period.start if measured.period else None,
        period_to=measured.period.end if measured.period else None,
        as_of=ctx.as_of,
        evaluated_at=at,
    )


def evaluate_rule(session: Session, principal: Principal, *, rule_id: int) -> EvaluationRead:
    """Evaluate one rule now (enabled or not), its row locked until the caller commits. Audited
    (the schedule's passes are not: their events are in the outbox)."""
    rule = _get(session, rule_id, lock=True)
    result = _evaluate(session, Context(session, today()), rule, datetime.now(UTC))
    session.flush()
    _audit(session, principal, rule_id)
    return result


def evaluate_all(session: Session) -> list[EvaluationRead]:
    """Evaluate every enabled rule in one pass (figures shared between rules); the rules another
    evaluation holds are left to it."""
    ctx = Context(session, today())
    at = datetime.now(UTC)
    results = [_evaluate(session, ctx, rule, at) for rule in repository.lock_enabled_rules(session)]
    session.flush()
    return results


# --- deliveries ----------------------------------------------------------------------------------


def _delivery_read(row: AlertDelivery) -> DeliveryRead:
    return copied(DeliveryRead, row, payload=json.loads(row.body))


def list_deliveries(
    session: Session,
    *,
    status: DeliveryStatus | None = None,
    rule_id: int | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> DeliveryPage:
    rows = repository.list_deliveries(
        session,
        status=status.value if status else None,
        rule_id=rule_id,
        before_id=id_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit)
    return DeliveryPage(items=[_delivery_read(row) for row in page], next_cursor=next_cursor)


def pending_count(session: Session) -> int:
    return repository.count_deliveries(session, statuses=(DeliveryStatus.PENDING.value,))
