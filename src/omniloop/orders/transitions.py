"""Writing an order's history: every status change with its actor, time and reason and its
outbox event, and the one change that money makes (a pending order becomes paid)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.inventory.domain import ReservationStatus
from omniloop.inventory.reservations import close_in
from omniloop.loyalty.accrual import spend_changed_in
from omniloop.members.domain import ActivityKind
from omniloop.members.identity import record_activity_in
from omniloop.orders.domain import (
    FulfillmentType,
    OrderStatus,
    PaymentStatus,
    TenderKind,
    new_pickup_code,
)
from omniloop.orders.models import Order, OrderLine, OrderTransition
from omniloop.orders.tenders import add_payment_tender, points_amount
from omniloop.promotions.lifecycle import consume_coupons_in
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.vouchers.issuing import issue_for_order_in


def record_transition(
    uow: UnitOfWork,
    order: Order,
    *,
    to: OrderStatus,
    action: str,
    actor: str,
    reason: str | None,
    event: str,
    history: list[OrderTransition] | None = None,
) -> OrderTransition:
    previous = order.status if order.status else None
    order.status = to.value
    transition = OrderTransition(
        id=new_id(),
        merchant_id=order.merchant_id,
        order_id=order.id,
        from_status=previous,
        to_status=to.value,
        action=action,
        actor=actor,
        reason=reason,
        created_at=utcnow(),
    )
    uow.session.add(transition)
    if history is not None:
        history.append(transition)
    record_event(
        uow.session,
        merchant_id=order.merchant_id,
        type=event,
        data={
            "order_id": str(order.id),
            "number": order.number,
            "channel": order.channel,
            "external_id": order.external_id,
            "location": order.location_code,
            "member_id": str(order.member_id) if order.member_id else None,
            "from_status": previous,
            "status": to.value,
            "action": action,
            "actor": actor,
            "total": order.total,
            "currency": order.currency,
            "reason": reason,
        },
    )
    return transition


async def settle_payment(
    uow: UnitOfWork,
    order: Order,
    *,
    amount: int,
    actor: str,
    history: list[OrderTransition] | None = None,
    reason: str | None = None,
    kind: TenderKind = TenderKind.PROVIDER,
    reference: str | None = None,
) -> None:
    """Mark a pending order paid in the caller's transaction: ``amount`` is the money part
    (what the member's tenders left); its held stock becomes a sale, a pickup order gets its
    code, and its member gets the visit and the spend."""
    for alloc in order.allocations or []:
        await close_in(
            uow.session,
            merchant_id=order.merchant_id,
            reservation_id=uuid.UUID(alloc["reservation_id"]),
            to=ReservationStatus.COMMITTED,
            actor=actor,
            honour_expiry=False,
        )
    if any(a.get("kind") == "coupon" for a in order.adjustments or []):
        await consume_coupons_in(uow.session, merchant_id=order.merchant_id, order_id=order.id)
    await _issue_vouchers(uow, order)
    tenders = await add_payment_tender(
        uow.session, order, kind=kind, amount=amount, reference=reference
    )
    order.paid_total = sum(t.amount for t in tenders)
    order.payment_status = PaymentStatus.PAID.value
    order.expires_at = None
    if order.fulfillment_type == FulfillmentType.PICKUP.value:
        order.pickup_code = new_pickup_code()
    record_transition(
        uow,
        order,
        to=OrderStatus.PAID,
        action="pay",
        actor=actor,
        reason=reason,
        event="order.paid",
        history=history,
    )
    if order.member_id is not None:
        record_activity_in(
            uow.session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            kind=ActivityKind.ORDER,
            channel=order.channel,
            location=order.location_code,
            order_id=order.id,
        )
        await spend_changed_in(
            uow.session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            order_id=order.id,
            amount=order.paid_total - points_amount(tenders),
        )


async def _issue_vouchers(uow: UnitOfWork, order: Order) -> None:
    """A paid order's voucher SKUs become voucher codes (团购券), one per unit."""
    lines = (
        await uow.session.execute(
            select(OrderLine.sku, OrderLine.qty, OrderLine.total).where(
                OrderLine.merchant_id == order.merchant_id, OrderLine.order_id == order.id
            )
        )
    ).all()
    await issue_for_order_in(
        uow.session,
        merchant_id=order.merchant_id,
        order_id=order.id,
        member_id=order.member_id,
        lines=[(sku, qty, total // qty) for sku, qty, total in lines],
        at=utcnow(),
    )
