"""How an order is shown: one function builds the JSON view from rows already loaded."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.orders.errors import OrderNotFound
from omniloop.orders.models import Order, OrderLine, OrderTender, OrderTransition
from omniloop.orders.schemas import (
    CustomerOut,
    OrderLineOut,
    OrderOut,
    TenderOut,
    TransitionOut,
)

PICKUP_QR_PREFIX = "omniloop:pickup:"


def pickup_qr(order: Order) -> str | None:
    """What the customer's QR code encodes: the location, the order number and the code."""
    if not order.pickup_code:
        return None
    return f"{PICKUP_QR_PREFIX}{order.location_code}:{order.number}:{order.pickup_code}"


def order_view(
    order: Order,
    lines: list[OrderLine],
    history: list[OrderTransition],
    tenders: list[OrderTender] | None = None,
) -> dict[str, Any]:
    """The full order resource (pickup code included; callers redact it per role)."""
    tenders = tenders or []
    tendered = sum(t.amount for t in tenders)
    return OrderOut(
        id=order.id,
        number=order.number,
        channel=order.channel,
        external_id=order.external_id,
        status=order.status,
        payment_status=order.payment_status,
        location=order.location_code,
        member_id=order.member_id,
        customer=CustomerOut(phone=order.customer_phone, name=order.customer_name),
        lines=[
            OrderLineOut(
                sku=ln.sku,
                name=ln.name,
                qty=ln.qty,
                unit_price=ln.unit_price,
                discount=ln.discount,
                total=ln.total,
                location=ln.location_code,
                price_rule=ln.price_rule,
                refunded_qty=ln.refunded_qty,
            )
            for ln in sorted(lines, key=lambda x: x.line_no)
        ],
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        fee_total=order.fee_total,
        total=order.total,
        paid_total=order.paid_total,
        refunded_total=order.refunded_total,
        net_total=order.paid_total - order.refunded_total,
        amount_due=0 if order.paid_total > 0 else max(0, order.total - tendered),
        tenders=[
            TenderOut(
                kind=t.kind,
                amount=t.amount,
                points=t.points,
                refunded_amount=t.refunded_amount,
                refunded_points=t.refunded_points,
            )
            for t in tenders
        ],
        currency=order.currency,
        adjustments=order.adjustments or [],
        fulfillment=order.fulfillment or {},
        allocations=order.allocations or [],
        routing=order.routing or {},
        pickup_code=order.pickup_code,
        pickup_qr=pickup_qr(order),
        note=order.note,
        tracking_code=order.tracking_code,
        campaign_id=order.campaign_id,
        attribution=order.attribution,
        expires_at=order.expires_at,
        created_at=order.created_at,
        updated_at=order.updated_at,
        history=[
            TransitionOut(
                from_status=t.from_status,
                to_status=t.to_status,
                action=t.action,
                actor=t.actor,
                reason=t.reason,
                at=t.created_at,
            )
            for t in sorted(history, key=lambda x: (x.created_at, x.id))
        ],
    ).model_dump(mode="json")


def redact(view: dict[str, Any], *, may_see_pickup_code: bool) -> dict[str, Any]:
    """Remove what this caller may not see (the pickup code for store staff)."""
    if may_see_pickup_code or view.get("pickup_code") is None:
        return view
    return {**view, "pickup_code": None, "pickup_qr": None}


async def load_order(
    session: AsyncSession, merchant_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False
) -> Order:
    query = select(Order).where(Order.merchant_id == merchant_id, Order.id == order_id)
    if lock:
        query = query.with_for_update()
    order = await session.scalar(query.execution_options(populate_existing=True))
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


async def load_view(session: AsyncSession, order: Order) -> dict[str, Any]:
    lines = list(
        await session.scalars(
            select(OrderLine).where(
                OrderLine.merchant_id == order.merchant_id, OrderLine.order_id == order.id
            )
        )
    )
    history = list(
        await session.scalars(
            select(OrderTransition).where(
                OrderTransition.merchant_id == order.merchant_id,
                OrderTransition.order_id == order.id,
            )
        )
    )
    tenders = list(
        await session.scalars(
            select(OrderTender)
            .where(OrderTender.merchant_id == order.merchant_id, OrderTender.order_id == order.id)
            .order_by(OrderTender.tender_no)
        )
    )
    return order_view(order, lines, history, tenders)
