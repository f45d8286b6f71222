"""Factories for marketing rows: campaigns and codes through the service, exposures,
members and orders straight into the tables (with the times a test needs)."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from omniloop.db import Database
from omniloop.marketing import codes, service
from omniloop.marketing.domain import LandingType, Medium, new_visitor_id
from omniloop.marketing.models import Campaign, Exposure
from omniloop.members.models import Member
from omniloop.orders.domain import PaymentStatus
from omniloop.orders.models import Order, OrderTransition

_phones = itertools.count(13800000000)
_numbers = itertools.count(1)


async def add_campaign(db: Database, merchant_id: uuid.UUID, **fields: Any) -> Campaign:
    fields.setdefault("name", "Campaign")
    fields.setdefault("cost", 0)
    fields.setdefault("actor", "test")
    return await service.create_campaign(uow=db.uow(), merchant_id=merchant_id, **fields)


async def add_code(
    db: Database,
    merchant_id: uuid.UUID,
    campaign_id: uuid.UUID,
    *,
    medium: Medium = Medium.POSTER,
    location: str | None = None,
) -> str:
    row = await codes.create_tracking_code(
        uow=db.uow(),
        merchant_id=merchant_id,
        campaign_id=campaign_id,
        medium=medium,
        location=location,
        landing_type=LandingType.URL,
        landing_value="https://example.com/landing",
        actor="test",
    )
    return row.code


async def add_exposure(
    db: Database,
    merchant_id: uuid.UUID,
    code: str,
    campaign_id: uuid.UUID,
    at: datetime,
    *,
    visitor: str | None = None,
    bot: bool = False,
    outside: bool = False,
) -> str:
    """An exposure as ``GET /t/{code}`` records it; returns the visitor id."""
    visitor = visitor or new_visitor_id()
    async with db.uow() as uow:
        uow.session.add(
            Exposure(
                merchant_id=merchant_id,
                id=uuid.uuid4(),
                code=code,
                campaign_id=campaign_id,
                visitor_id=visitor,
                exposed_at=at,
                user_agent="Googlebot" if bot else "Mozilla/5.0",
                is_bot=bot,
                outside_window=outside,
            )
        )
        await uow.commit()
    return visitor


async def add_member(db: Database, merchant_id: uuid.UUID, created_at: datetime) -> uuid.UUID:
    member_id = uuid.uuid4()
    async with db.uow() as uow:
        uow.session.add(
            Member(
                merchant_id=merchant_id,
                id=member_id,
                phone=f"+86{next(_phones)}",
                status="active",
                created_at=created_at,
                updated_at=created_at,
            )
        )
        await uow.commit()
    return member_id


async def add_order(
    db: Database,
    merchant_id: uuid.UUID,
    created_at: datetime,
    *,
    paid: int,
    refunded: int = 0,
    status: str = "completed",
    channel: str = "own_app",
    location: str | None = "S1",
    campaign_id: uuid.UUID | None = None,
    tracking_code: str | None = None,
    picked_up_at: datetime | None = None,
) -> uuid.UUID:
    """An order as the order intake leaves it, with its pickup hand-over when given."""
    order_id = uuid.uuid4()
    total = max(paid, 100)
    async with db.uow() as uow:
        uow.session.add(
            Order(
                merchant_id=merchant_id,
                id=order_id,
                number=f"T{next(_numbers):08d}",
                channel=channel,
                status=status,
                payment_status=PaymentStatus.PAID.value if paid else PaymentStatus.UNPAID.value,
                fulfillment_type="pickup",
                location_code=location,
                currency="CNY",
                subtotal=total,
                total=total,
                paid_total=paid,
                refunded_total=refunded,
                campaign_id=campaign_id,
                tracking_code=tracking_code,
                created_by="test",
                created_at=created_at,
                updated_at=created_at,
            )
        )
        await uow.session.flush()
        if picked_up_at is not None:
            uow.session.add(
                OrderTransition(
                    merchant_id=merchant_id,
                    id=uuid.uuid4(),
                    order_id=order_id,
                    from_status="ready",
                    to_status="picked_up",
                    action="pick_up",
                    actor="test",
                    created_at=picked_up_at,
                )
            )
        await uow.commit()
    return order_id
