"""``/api/v1/webhooks`` (subscriptions and their deliveries) and ``/api/v1/events`` (the log).

Event patterns: an exact type (``inventory.adjusted``), a prefix (``inventory.*``) or ``*``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from omniloop.deps import UowDep, require
from omniloop.errors import ValidationFailed
from omniloop.merchants.domain import Permission, Principal
from omniloop.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from omniloop.webhooks import service
from omniloop.webhooks.domain import DeliveryStatus, invalid_pattern_reason
from omniloop.webhooks.schemas import (
    DeliveryOut,
    EventOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookTestOut,
    WebhookUpdate,
)

router = APIRouter(tags=["webhooks"])

Manager = Annotated[Principal, Depends(require(Permission.WEBHOOKS_MANAGE))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _out(sub: object) -> WebhookOut:
    return WebhookOut.model_validate(sub, from_attributes=True)


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
async def create_webhook(body: WebhookCreate, principal: Manager, uow: UowDep) -> WebhookCreated:
    """Subscribe an endpoint to events; the signing secret is in this response only."""
    created = await service.create_subscription(
        uow=uow,
        merchant_id=principal.merchant_id,
        url=body.url,
        events=body.events,
        secret=body.secret,
        description=body.description,
        active=body.active,
    )
    return WebhookCreated(**_out(created.subscription).model_dump(), secret=created.secret)


@router.get("/webhooks", response_model=Page[WebhookOut])
async def list_webhooks(
    principal: Manager, uow: UowDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookOut]:
    """The merchant's subscriptions, oldest first, without secrets."""
    subs, next_cursor = await service.list_subscriptions(
        uow=uow, merchant_id=principal.merchant_id, limit=limit, cursor=cursor
    )
    return Page[WebhookOut](items=[_out(s) for s in subs], next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: uuid.UUID, principal: Manager, uow: UowDep) -> WebhookOut:
    """One subscription, without its secret."""
    sub = await service.get_subscription(
        uow=uow, merchant_id=principal.merchant_id, subscription_id=webhook_id
    )
    return _out(sub)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut)
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, principal: Manager, uow: UowDep
) -> WebhookOut:
    """Change url, events, secret (rotation), description or active (pause / resume)."""
    sub = await service.update_subscription(
        uow=uow,
        merchant_id=principal.merchant_id,
        subscription_id=webhook_id,
        changes=body.changes(),
    )
    return _out(sub)


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
async def delete_webhook(webhook_id: uuid.UUID, principal: Manager, uow: UowDep) -> Response:
    """Delete a subscription and its delivery history; nothing more is sent to it."""
    await service.delete_subscription(
        uow=uow, merchant_id=principal.merchant_id, subscription_id=webhook_id
    )
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", status_code=202, response_model=WebhookTestOut)
async def send_test_event(webhook_id: uuid.UUID, principal: Manager, uow: UowDep) -> WebhookTestOut:
    """Queue a ``webhook.test`` event for this subscription only."""
    event, delivery = await service.send_test_event(
        uow=uow, merchant_id=principal.merchant_id, subscription_id=webhook_id
    )
    return WebhookTestOut(event_id=event.id, delivery_id=delivery.id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
async def list_deliveries(
    webhook_id: uuid.UUID,
    principal: Manager,
    uow: UowDep,
    status: DeliveryStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    """Recent deliveries to this subscription, newest first, each with its attempts."""
    views, next_cursor = await service.list_deliveries(
        uow=uow,
        merchant_id=principal.merchant_id,
        subscription_id=webhook_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    items = [DeliveryOut.of(view.delivery, view.attempts) for view in views]
    return Page[DeliveryOut](items=items, next_cursor=next_cursor)


@router.get("/events", response_model=Page[EventOut])
async def list_events(
    principal: Manager,
    uow: UowDep,
    event_type: Annotated[
        str | None,
        Query(
            alias="type",
            max_length=80,
            description="Exact type, a prefix like 'inventory.*', or '*'.",
        ),
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Only events created at or after this instant.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[EventOut]:
    """The merchant's events, newest first, to poll or replay what webhooks delivered."""
    if event_type is not None:
        reason = invalid_pattern_reason(event_type)
        if reason:
            raise ValidationFailed(reason, field="type")
    events, next_cursor = await service.list_events(
        uow=uow,
        merchant_id=principal.merchant_id,
        type_pattern=event_type,
        since=since,
        limit=limit,
        cursor=cursor,
    )
    return Page[EventOut](
        items=[EventOut.model_validate(e, from_attributes=True) for e in events],
        next_cursor=next_cursor,
    )
