"""SQL of the RSA store, the supplement tariffs and the campaign coefficients."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from app.ingestion.models import RssVersion
from app.medeco.models import Rsa, RsaBatch, SupplementTariff, TariffCoefficient


def get_batch(session: Session, *, batch_id: int) -> RsaBatch | None:
    return session.get(RsaBatch, batch_id)


def get_batch_by_sha256(session: Session, *, sha256: str) -> RsaBatch | None:
    return session.scalar(select(RsaBatch).where(RsaBatch.content_sha256 == sha256))


def get_batch_by_idempotency_key(session: Session, *, key: str, token_name: str) -> RsaBatch | None:
    return session.scalar(
        select(RsaBatch).where(RsaBatch.idempotency_key == key, RsaBatch.token_name == token_name)
    )


def add_batch(session: Session, batch: RsaBatch) -> RsaBatch:
    session.add(batch)
    session.flush()
    return batch


def lock_writers(session: Session) -> None:
    """Serialise RSA batches (transaction-scoped): supersession reads the current RSA of each RSS."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.rsa_ingestion'))"))


def current_hashes(session: Session, *, rss_numbers: Collection[str]) -> dict[str, tuple[int, str]]:
    """rss_number -> (id, content_hash) of the current RSA of each of these RSS that has one."""
    if not rss_numbers:
        return {}
    query = select(Rsa.rss_number, Rsa.id, Rsa.content_hash).where(
        Rsa.is_current, Rsa.rss_number.in_(list(rss_numbers))
    )
    return {number: (row_id, digest) for number, row_id, digest in session.execute(query)}


def stored_rss(session: Session, *, rss_numbers: Collection[str]) -> set[str]:
    """Those of `rss_numbers` that have a current RSS version."""
    if not rss_numbers:
        return set()
    query = select(RssVersion.rss_number).where(
        RssVersion.is_current, RssVersion.rss_number.in_(list(rss_numbers))
    )
    return set(session.scalars(query))


def supersede(session: Session, *, rsa_ids: Sequence[int]) -> None:
    if rsa_ids:
        session.execute(update(Rsa).where(Rsa.id.in_(list(rsa_ids))).values(is_current=False))


def insert_rsas(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row INSERT of accepted RSA (dicts keyed by `Rsa` column)."""
    if rows:
        session.execute(insert(Rsa), list(rows))


def current_rsa(session: Session, *, rss_number: str) -> Rsa | None:
    return session.scalar(select(Rsa).where(Rsa.rss_number == rss_number, Rsa.is_current))


def supplement_tariffs(session: Session, *, campaign: int) -> dict[str, Decimal]:
    query = select(SupplementTariff.code, SupplementTariff.tariff).where(SupplementTariff.year == campaign)
    return dict(session.execute(query).tuples().all())


def coefficient(session: Session, *, campaign: int) -> tuple[Decimal, Decimal] | None:
    row = session.get(TariffCoefficient, campaign)
    return None if row is None else (row.prudential, row.geographic)
