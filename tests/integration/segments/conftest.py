"""Members and orders put straight into the database, for RFM and segment queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from omniloop.members.identity import member_for_phone_in
from omniloop.orders.models import Order


async def add_member(db: Any, t: Any, n: int, **fields: Any) -> uuid.UUID:
    """Member number ``n`` of the tenant (phone +86 138 0000 nnnn)."""
    async with db.uow() as uow:
        member, _ = await member_for_phone_in(
            uow.session,
            merchant_id=t.merchant_id,
            phone=f"+86138{n:08d}",
            name=f"Member {n}",
            channel=fields.pop("channel", "pos"),
            location=fields.pop("location", None),
        )
        for name, value in fields.items():
            setattr(member, name, value)
        await uow.commit()
    return member.id


async def add_order(
    db: Any,
    t: Any,
    member_id: uuid.UUID | None,
    paid: int,
    at: datetime,
    *,
    refunded: int = 0,
    status: str = "completed",
    payment_status: str | None = None,
    channel: str = "pos",
    currency: str = "CNY",
) -> uuid.UUID:
    """An order of ``member_id`` placed at ``at``, ``paid`` in full (unless unpaid)."""
    if payment_status is None:
        payment_status = "partially_refunded" if refunded else "paid"
    order_id = uuid.uuid4()
    async with db.uow() as uow:
        uow.session.add(
            Order(
                merchant_id=t.merchant_id,
                id=order_id,
                number=uuid.uuid4().hex[:16],
                channel=channel,
                status=status,
                payment_status=payment_status,
                fulfillment_type="pickup",
                member_id=member_id,
                currency=currency,
                subtotal=paid,
                total=paid,
                paid_total=0 if payment_status == "unpaid" else paid,
                refunded_total=refunded,
                created_by="test",
                created_at=at,
                updated_at=at,
            )
        )
        await uow.commit()
    return order_id
