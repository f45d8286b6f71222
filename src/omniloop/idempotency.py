"""Idempotent writes: the same ``Idempotency-Key`` and body replay the first response.

The record is written in the same transaction as the change it guards, so either both exist
or neither. Two concurrent first attempts race on the record's primary key: the loser's
transaction (change included) rolls back and it replays the winner's response.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from omniloop.db import Base, JsonType, MerchantScoped, UnitOfWork, is_unique_violation
from omniloop.errors import IdempotencyConflict
from omniloop.shared.clock import utcnow


class IdempotencyRecord(MerchantScoped, Base):
    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[Any] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool


def request_fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _stored(
    uow: UnitOfWork, merchant_id: uuid.UUID, scope: str, key: str, fingerprint: str
) -> Outcome | None:
    record = await uow.session.get(IdempotencyRecord, (merchant_id, scope, key))
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(
            f"Idempotency-Key {key!r} was already used with a different request"
        )
    return Outcome(record.status_code, record.response, replayed=True)


async def lookup(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, scope: str, key: str | None, payload: Any
) -> Outcome | None:
    """The stored response for this key, before doing any work (None when there is none)."""
    if key is None:
        return None
    async with uow.read_only():
        return await _stored(uow, merchant_id, scope, key, request_fingerprint(payload))


async def run_once(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    scope: str,
    key: str | None,
    payload: Any,
    action: Callable[[UnitOfWork], Awaitable[tuple[int, Any]]],
) -> Outcome:
    """Run ``action`` inside one transaction, at most once per (scope, key).

    ``action`` does its writes on ``uow.session`` and returns ``(status, json body)``; it must
    not commit. Without a key the action simply runs and commits.
    """
    fingerprint = request_fingerprint(payload)
    for attempt in range(2):
        async with uow:
            if key is not None:
                previous = await _stored(uow, merchant_id, scope, key, fingerprint)
                if previous is not None:
                    return previous
            status, body = await action(uow)
            if key is not None:
                uow.session.add(
                    IdempotencyRecord(
                        merchant_id=merchant_id,
                        scope=scope,
                        key=key,
                        request_hash=fingerprint,
                        status_code=status,
                        response=body,
                    )
                )
            try:
                await uow.commit()
            except IntegrityError as exc:
                if key is None or attempt or not is_unique_violation(exc):
                    raise
                continue
            return Outcome(status, body, replayed=False)
    raise RuntimeError("unreachable")  # pragma: no cover
