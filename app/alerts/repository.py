"""Every SQL statement of the alerts: rules, their locks, and the delivery outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.alerts.models import AlertDelivery, AlertRule


def add_rule(session: Session, rule: AlertRule) -> AlertRule:
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, *, rule_id: int, lock: bool = False) -> AlertRule | None:
    """`lock`: FOR UPDATE, so that two evaluations of one rule (the schedule and a POST) run one
    after the other and the second sees the state the first left: one event per change."""
    return session.get(AlertRule, rule_id, with_for_update=lock)


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def lock_enabled_rules(session: Session) -> list[AlertRule]:
    """The enabled rules, locked; those another evaluation holds are skipped (it evaluates them)."""
    query = (
        select(AlertRule).where(AlertRule.enabled).order_by(AlertRule.id).with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def delete_rule(session: Session, rule: AlertRule) -> None:
    session.delete(rule)
    session.flush()


def cancel_pending(session: Session, *, rule_id: int) -> int:
    result = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.rule_id == rule_id, AlertDelivery.status == "pending")
        .values(status="cancelled")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def add_delivery(session: Session, delivery: AlertDelivery) -> None:
    """Added, not flushed: a pass's events go in one multi-row INSERT at its flush."""
    session.add(delivery)


def list_deliveries(
    session: Session,
    *,
    status: str | None,
    rule_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[AlertDelivery]:
    query = select(AlertDelivery)
    if status is not None:
        query = query.where(AlertDelivery.status == status)
    if rule_id is not None:
        query = query.where(AlertDelivery.rule_id == rule_id)
    if before_id is not None:
        query = query.where(AlertDelivery.id < before_id)
    return list(session.scalars(query.order_by(AlertDelivery.id.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    event_id: uuid.UUID
    event: str
    url: str
    body: str
    signature: str
    attempts: int  # this attempt included


def claim_due(session: Session, *, lease_seconds: float, limit: int) -> list[Claimed]:
    """Take up to `limit` pending deliveries whose time has come, oldest first, and push their next
    attempt `lease_seconds` ahead: another worker skips them meanwhile, and a worker stopped in the
    middle of a send leaves them due again once the lease is over (sent again: the receiver
    recognises the event id)."""
    due = (
        select(AlertDelivery.id)
        .where(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= func.now())
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(AlertDelivery)
        .where(AlertDelivery.id.in_(due))
        .values(
            attempts=AlertDelivery.attempts + 1,
            last_attempt_at=func.now(),
            next_attempt_at=func.now() + timedelta(seconds=lease_seconds),
        )
        .returning(
            AlertDelivery.id,
            AlertDelivery.event_id,
            AlertDelivery.event,
            AlertDelivery.url,
            AlertDelivery.body,
            AlertDelivery.signature,
            AlertDelivery.attempts,
        )
    )
    rows = session.execute(statement, execution_options={"synchronize_session": False}).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def record_attempt(
    session: Session,
    *,
    delivery_id: int,
    status: str,
    status_code: int | None,
    error: str | None,
    retry_in_seconds: float | None,
) -> None:
    """The outcome of an attempt: delivered, failed for good, or pending for `retry_in_seconds`."""
    values: dict[str, object] = {"status": status, "last_status_code": status_code, "last_error": error}
    if status == "delivered":
        values["delivered_at"] = func.now()
    if retry_in_seconds is not None:
        values["next_attempt_at"] = func.now() + timedelta(seconds=retry_in_seconds)
    session.execute(
        update(AlertDelivery).where(AlertDelivery.id == delivery_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def count_deliveries(session: Session, *, statuses: Sequence[str]) -> int:
    query = select(func.count()).select_from(AlertDelivery).where(AlertDelivery.status.in_(list(statuses)))
    return int(session.scalar(query) or 0)
