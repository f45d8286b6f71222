"""Outbox fan-out: each undispatched event becomes one delivery per matching subscription.

Any number of processes may run :func:`fan_out_events` at once. Events are claimed with a
conditional UPDATE whose row count says who won — the same statement on SQLite and
PostgreSQL: on PostgreSQL a second process's claim waits on the first one's row lock and then
sees the event dispatched; on SQLite whole transactions queue. One transaction per merchant
(never two merchants in one transaction) claims the merchant's events, adds the deliveries
and marks the events dispatched. The unique key (merchant, subscription, event) backs it up.

Only database state is trusted, so an event committed before a crash is fanned out after
the restart.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql import ColumnElement

from omniloop.db import Database, UnitOfWork
from omniloop.events import OutboxEvent, internal_subscribers
from omniloop.shared.clock import utcnow
from omniloop.webhooks.domain import subscribes_to
from omniloop.webhooks.models import WebhookDelivery, WebhookSubscription

log = logging.getLogger("omniloop.webhooks")

FAN_OUT_BATCH = 200
FAN_OUT_CLAIM_SECONDS = 30


def claimable(claimed_until: Any, now: datetime) -> ColumnElement[bool]:
    """The lease column is free: never taken, or run out."""
    return or_(claimed_until.is_(None), claimed_until < now)


def affected_rows(result: Any) -> int:
    """How many rows an UPDATE changed: 1 means this process won the claim."""
    return cast(CursorResult[Any], result).rowcount


async def outbox_backlog(*, db: Database) -> tuple[int, float]:
    """Events not yet dispatched, and the age in seconds of the oldest (0 when none)."""
    async with db.uow().read_only() as uow:
        count, oldest = (
            await uow.session.execute(
                select(func.count(), func.min(OutboxEvent.created_at)).where(
                    OutboxEvent.dispatched_at.is_(None)
                )
            )
        ).one()
    if not count or oldest is None:
        return 0, 0.0
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())


async def fan_out_events(*, db: Database, batch_size: int = FAN_OUT_BATCH) -> int:
    """Turn up to ``batch_size`` undispatched events into deliveries; returns how many."""
    now = utcnow()
    async with db.uow().read_only() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxEvent.merchant_id, OutboxEvent.id)
                .where(
                    OutboxEvent.dispatched_at.is_(None), claimable(OutboxEvent.claimed_until, now)
                )
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
                .limit(batch_size)
            )
        ).all()
    by_merchant: dict[uuid.UUID, list[uuid.UUID]] = {}
    for merchant_id, event_id in rows:
        by_merchant.setdefault(merchant_id, []).append(event_id)
    done = 0
    for merchant_id, event_ids in by_merchant.items():
        try:
            done += await _fan_out_merchant(db.uow(), merchant_id, event_ids)
        except Exception:  # one merchant's trouble must not stall the others
            log.exception("fan-out failed for merchant %s", merchant_id)
    return done


async def _fan_out_merchant(
    uow: UnitOfWork, merchant_id: uuid.UUID, event_ids: list[uuid.UUID]
) -> int:
    now = utcnow()
    claim_until = now + timedelta(seconds=FAN_OUT_CLAIM_SECONDS)
    async with uow:
        claimed: list[uuid.UUID] = []
        for event_id in event_ids:  # one by one, oldest first: locks are taken in one order
            result = await uow.session.execute(
                update(OutboxEvent)
                .where(
                    OutboxEvent.merchant_id == merchant_id,
                    OutboxEvent.id == event_id,
                    OutboxEvent.dispatched_at.is_(None),
                    claimable(OutboxEvent.claimed_until, now),
                )
                .values(claimed_until=claim_until)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) == 1:
                claimed.append(event_id)
        if not claimed:
            return 0
        events = await uow.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.merchant_id == merchant_id, OutboxEvent.id.in_(claimed))
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
        )
        subscriptions = list(
            await uow.session.scalars(
                select(WebhookSubscription).where(
                    WebhookSubscription.merchant_id == merchant_id,
                    WebhookSubscription.active.is_(True),
                )
            )
        )
        for event in events:
            for sub in subscriptions:
                # A subscription receives what happens after it exists, not the backlog.
                if sub.created_at <= event.created_at and subscribes_to(sub.events, event.type):
                    uow.session.add(
                        WebhookDelivery.pending(
                            merchant_id=merchant_id,
                            subscription_id=sub.id,
                            event_id=event.id,
                            event_type=event.type,
                            now=now,
                        )
                    )
            await internal_subscribers.dispatch(uow.session, event)
            event.dispatched_at = now
        await uow.commit()
    return len(claimed)
