"""Webhook use cases: manage subscriptions, read deliveries and the event log.

The dispatcher lives in :mod:`omniloop.webhooks.fanout` (outbox events become deliveries)
and :mod:`omniloop.webhooks.delivery` (deliveries become signed POSTs); the entry points the
app runs as background jobs are re-exported here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, or_, select

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import OutboxEvent, record_event
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.ids import new_id, new_secret
from omniloop.shared.pagination import (
    decode_time_key,
    encode_time_key,
)
from omniloop.webhooks.delivery import deliver_due
from omniloop.webhooks.domain import ALL_EVENTS, DeliveryStatus
from omniloop.webhooks.errors import WebhookInactive, WebhookNotFound
from omniloop.webhooks.fanout import fan_out_events, outbox_backlog
from omniloop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "CreatedWebhook",
    "DeliveryView",
    "create_subscription",
    "delete_subscription",
    "deliver_due",
    "fan_out_events",
    "get_subscription",
    "list_deliveries",
    "list_events",
    "list_subscriptions",
    "outbox_backlog",
    "send_test_event",
    "update_subscription",
]

SECRET_PREFIX = "whsec_"
_Row = TypeVar("_Row", WebhookSubscription, WebhookDelivery, OutboxEvent)
_EDITABLE = frozenset({"url", "events", "secret", "description", "active"})


@dataclass(frozen=True)
class CreatedWebhook:
    subscription: WebhookSubscription
    secret: str


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def _public(sub: WebhookSubscription) -> dict[str, Any]:
    """What events say about a subscription: never its secret."""
    return {
        "id": str(sub.id),
        "url": sub.url,
        "events": list(sub.events),
        "description": sub.description,
        "active": sub.active,
    }


_page_key = encode_time_key


def _split_page(rows: list[_Row], limit: int) -> tuple[list[_Row], str | None]:
    """The page and the cursor after it, from ``limit + 1`` rows in (created_at, id) order."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _page_key(rows[-1].created_at, rows[-1].id)


_decode_page_key = decode_time_key


async def _subscription(
    uow: UnitOfWork, merchant_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription:
    sub = await uow.session.get(WebhookSubscription, (merchant_id, subscription_id))
    if sub is None:
        raise WebhookNotFound(f"no webhook subscription {subscription_id}")
    return sub


async def create_subscription(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    url: str,
    events: list[str],
    secret: str | None,
    description: str | None = None,
    active: bool = True,
) -> CreatedWebhook:
    """Subscribe an endpoint to event patterns; a secret is generated when none is given."""
    secret = secret or SECRET_PREFIX + new_secret(24)
    now = utcnow()
    async with uow:
        sub = WebhookSubscription(
            id=new_id(),
            merchant_id=merchant_id,
            url=url,
            events=list(events),
            secret=secret,
            description=description,
            active=active,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(sub)
        record_event(
            uow.session, merchant_id=merchant_id, type="webhook.created", data=_public(sub)
        )
        await uow.commit()
    return CreatedWebhook(subscription=sub, secret=secret)


async def list_subscriptions(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, limit: int, cursor: str | None = None
) -> tuple[list[WebhookSubscription], str | None]:
    """The merchant's subscriptions, oldest first, one page at a time."""
    after = _decode_page_key(cursor)
    query = select(WebhookSubscription).where(WebhookSubscription.merchant_id == merchant_id)
    if after is not None:
        query = query.where(
            or_(
                WebhookSubscription.created_at > after[0],
                and_(WebhookSubscription.created_at == after[0], WebhookSubscription.id > after[1]),
            )
        )
    query = query.order_by(WebhookSubscription.created_at, WebhookSubscription.id).limit(limit + 1)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
    return _split_page(rows, limit)


async def get_subscription(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription:
    """One subscription of the merchant, or 404."""
    async with uow.read_only():
        return await _subscription(uow, merchant_id, subscription_id)


async def update_subscription(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    subscription_id: uuid.UUID,
    changes: dict[str, Any],
) -> WebhookSubscription:
    """Change url, events, secret, description or active; pending deliveries follow."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    async with uow:
        sub = await _subscription(uow, merchant_id, subscription_id)
        changed = sorted(name for name, value in changes.items() if getattr(sub, name) != value)
        if changed:
            for name in changed:
                setattr(sub, name, changes[name])
            sub.updated_at = utcnow()
            record_event(
                uow.session,
                merchant_id=merchant_id,
                type="webhook.updated",
                data={**_public(sub), "changed": changed},
            )
        await uow.commit()
    return sub


async def delete_subscription(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription:
    """Delete a subscription with its delivery history; nothing more is sent to it."""
    async with uow:
        sub = await _subscription(uow, merchant_id, subscription_id)
        deliveries = select(WebhookDelivery.id).where(
            WebhookDelivery.merchant_id == merchant_id,
            WebhookDelivery.subscription_id == subscription_id,
        )
        await uow.session.execute(
            delete(WebhookAttempt).where(
                WebhookAttempt.merchant_id == merchant_id,
                WebhookAttempt.delivery_id.in_(deliveries.scalar_subquery()),
            )
        )
        await uow.session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.merchant_id == merchant_id,
                WebhookDelivery.subscription_id == subscription_id,
            )
        )
        await uow.session.delete(sub)
        record_event(
            uow.session, merchant_id=merchant_id, type="webhook.deleted", data=_public(sub)
        )
        await uow.commit()
    return sub


async def send_test_event(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, subscription_id: uuid.UUID
) -> tuple[OutboxEvent, WebhookDelivery]:
    """Record a ``webhook.test`` event addressed to this one subscription only."""
    async with uow:
        sub = await _subscription(uow, merchant_id, subscription_id)
        if not sub.active:
            raise WebhookInactive("activate the subscription before sending it a test event")
        now = utcnow()
        event = record_event(
            uow.session,
            merchant_id=merchant_id,
            type="webhook.test",
            data={"subscription_id": str(sub.id), "message": "a test event from Omniloop"},
        )
        # Born dispatched: fan-out must not hand it to the merchant's other subscriptions.
        event.created_at = event.dispatched_at = now
        await uow.session.flush()
        delivery = WebhookDelivery.pending(
            merchant_id=merchant_id,
            subscription_id=sub.id,
            event_id=event.id,
            event_type=event.type,
            now=now,
        )
        uow.session.add(delivery)
        await uow.commit()
    return event, delivery


async def list_deliveries(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    subscription_id: uuid.UUID,
    status: DeliveryStatus | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[DeliveryView], str | None]:
    """A subscription's deliveries, newest first, each with its attempts."""
    before = _decode_page_key(cursor)
    query = select(WebhookDelivery).where(
        WebhookDelivery.merchant_id == merchant_id,
        WebhookDelivery.subscription_id == subscription_id,
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    if before is not None:
        query = query.where(
            or_(
                WebhookDelivery.created_at < before[0],
                and_(WebhookDelivery.created_at == before[0], WebhookDelivery.id < before[1]),
            )
        )
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    async with uow.read_only():
        await _subscription(uow, merchant_id, subscription_id)
        rows = list(await uow.session.scalars(query.limit(limit + 1)))
        rows, next_cursor = _split_page(rows, limit)
        attempts: dict[uuid.UUID, list[WebhookAttempt]] = {row.id: [] for row in rows}
        if rows:
            found = await uow.session.scalars(
                select(WebhookAttempt)
                .where(
                    WebhookAttempt.merchant_id == merchant_id,
                    WebhookAttempt.delivery_id.in_(list(attempts)),
                )
                .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
            )
            for attempt in found:
                attempts[attempt.delivery_id].append(attempt)
    return [DeliveryView(row, attempts[row.id]) for row in rows], next_cursor


async def list_events(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    type_pattern: str | None = None,
    since: datetime | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[OutboxEvent], str | None]:
    """The merchant's events newest first, by type pattern and from ``since`` (inclusive)."""
    before = _decode_page_key(cursor)
    query = select(OutboxEvent).where(OutboxEvent.merchant_id == merchant_id)
    if type_pattern and type_pattern != ALL_EVENTS:
        if type_pattern.endswith(".*"):
            query = query.where(OutboxEvent.type.startswith(type_pattern[:-1], autoescape=True))
        else:
            query = query.where(OutboxEvent.type == type_pattern)
    if since is not None:
        query = query.where(OutboxEvent.created_at >= ensure_utc(since))
    if before is not None:
        query = query.where(
            or_(
                OutboxEvent.created_at < before[0],
                and_(OutboxEvent.created_at == before[0], OutboxEvent.id < before[1]),
            )
        )
    query = query.order_by(OutboxEvent.created_at.desc(), OutboxEvent.id.desc()).limit(limit + 1)
    async with uow.read_only():
        rows = list(await uow.session.scalars(query))
    return _split_page(rows, limit)
