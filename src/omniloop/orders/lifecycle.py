"""After placing: reading orders, moving them through the state machine, payment, expiry.

Every change locks the order row first (``SELECT ... FOR UPDATE``; SQLite's writers are
serialised anyway), so two staff pressing buttons at once, or a payment racing the expiry
sweeper, apply one after the other and the second sees the first's result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from omniloop.db import Database, UnitOfWork
from omniloop.inventory.domain import ReservationStatus
from omniloop.inventory.reservations import close_in
from omniloop.inventory.service import restock_in
from omniloop.loyalty.accrual import earn_for_order_in, reverse_for_order_in, spend_changed_in
from omniloop.orders.domain import (
    Action,
    FulfillmentType,
    Internal,
    OrderStatus,
    TenderKind,
    TransitionRefused,
    event_type,
    next_status,
)
from omniloop.orders.errors import InvalidTransition, OrderNotPayable
from omniloop.orders.models import Order, OrderTender
from omniloop.orders.tenders import (
    RefundSplit,
    amount_due,
    load_tenders,
    points_amount,
    return_unpaid_tenders,
    split_refund_over_tenders,
)
from omniloop.orders.transitions import record_transition, settle_payment
from omniloop.orders.views import load_order, load_view
from omniloop.promotions.lifecycle import after_refund_in, release_coupons_in
from omniloop.referrals.rewards import reward_first_order_in
from omniloop.shared.clock import utcnow
from omniloop.shared.pagination import decode_time_key, encode_time_key
from omniloop.vouchers.issuing import is_voucher_sku, void_for_refund_in


async def get_order(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, order_id: uuid.UUID
) -> dict[str, Any]:
    """The order resource with its lines and history."""
    async with uow.read_only():
        order = await load_order(uow.session, merchant_id, order_id)
        return await load_view(uow.session, order)


async def list_orders(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str | None,
    status: OrderStatus | None,
    channel: str | None,
    since: datetime | None,
    only_locations: frozenset[str] | None,
    limit: int,
    cursor: str | None,
    member_id: uuid.UUID | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The queue: orders oldest first, filtered; store staff see their own locations only,
    a member (or a customer) its own orders."""
    query = select(Order).where(Order.merchant_id == merchant_id)
    if member_id is not None:
        query = query.where(Order.member_id == member_id)
    if location is not None:
        query = query.where(Order.location_code == location)
    if only_locations is not None:
        query = query.where(Order.location_code.in_(sorted(only_locations)))
    if status is not None:
        query = query.where(Order.status == status.value)
    if channel is not None:
        query = query.where(Order.channel == channel)
    if since is not None:
        query = query.where(Order.created_at >= since)
    after = decode_time_key(cursor)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Order.created_at > at, and_(Order.created_at == at, Order.id > last_id))
        )
    query = query.order_by(Order.created_at, Order.id).limit(limit + 1)
    async with uow.read_only():
        orders = list(await uow.session.scalars(query))
        views = [await load_view(uow.session, o) for o in orders[:limit]]
    next_cursor = None
    if len(orders) > limit:
        last = orders[limit - 1]
        next_cursor = encode_time_key(last.created_at, last.id)
    return views, next_cursor


async def _give_stock_back(uow: UnitOfWork, order: Order, *, actor: str) -> None:
    """Unpaid: release the holds. Paid (sold): put the units back on hand."""
    for alloc in order.allocations or []:
        reservation_id = uuid.UUID(alloc["reservation_id"])
        if order.paid_total == 0:
            await close_in(
                uow.session,
                merchant_id=order.merchant_id,
                reservation_id=reservation_id,
                to=ReservationStatus.RELEASED,
                actor=actor,
            )
        else:
            await restock_in(
                uow.session,
                merchant_id=order.merchant_id,
                location=alloc["location"],
                lines=[(ln["sku"], ln["qty"]) for ln in alloc["lines"]],
                reference=f"order:{order.number}:cancelled",
                actor=actor,
            )


async def _void_vouchers(uow: UnitOfWork, order: Order) -> None:
    """A paid order cancelled takes back its untouched vouchers (409 when one was used)."""
    from omniloop.orders.models import OrderLine

    lines = (
        await uow.session.execute(
            select(OrderLine.sku, OrderLine.qty).where(
                OrderLine.merchant_id == order.merchant_id, OrderLine.order_id == order.id
            )
        )
    ).all()
    qtys: dict[str, int] = {}
    for sku, qty in lines:
        qtys[sku] = qtys.get(sku, 0) + qty
    for sku in sorted(await is_voucher_sku(uow.session, order.merchant_id, qtys)):
        await void_for_refund_in(
            uow.session,
            merchant_id=order.merchant_id,
            order_id=order.id,
            sku=sku,
            qty=qtys[sku],
            reason="cancelled",
        )


async def apply_transition(
    uow: UnitOfWork, order: Order, *, action: str, actor: str, reason: str | None
) -> None:
    """Move a locked order through the state machine in the caller's transaction."""
    try:
        target = next_status(
            OrderStatus(order.status),
            action,
            fulfillment=FulfillmentType(order.fulfillment_type),
            has_pickup_code=order.pickup_code is not None,
        )
    except TransitionRefused as exc:
        raise InvalidTransition(str(exc), status_now=order.status, action=action) from None
    if target is OrderStatus.CANCELLED:
        await _give_stock_back(uow, order, actor=actor)
        if order.paid_total == 0:
            await return_unpaid_tenders(uow.session, order, actor=actor)
            await release_coupons_in(uow.session, merchant_id=order.merchant_id, order_id=order.id)
        else:
            await _void_vouchers(uow, order)
        order.expires_at = None
    if target is OrderStatus.COMPLETED and order.member_id is not None:
        tenders = await load_tenders(uow.session, order)
        await earn_for_order_in(
            uow.session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            order_id=order.id,
            order_number=order.number,
            amount=_net_money(order, tenders),
            channel=order.channel,
            actor=actor,
        )
    record_transition(
        uow,
        order,
        to=target,
        action=action,
        actor=actor,
        reason=reason,
        event=event_type(target, action),
    )
    if target is OrderStatus.COMPLETED and order.member_id is not None:
        await reward_first_order_in(
            uow.session, merchant_id=order.merchant_id, member_id=order.member_id, order_id=order.id
        )


def _net_money(order: Order, tenders: list[OrderTender]) -> int:
    """What the customer paid in money (provider, till, platform or wallet), net of refunds:
    what earns points and counts towards tiers. Points paid with points earn nothing."""
    return order.paid_total - order.refunded_total - points_amount(tenders, net=True)


async def transition(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    action: Action,
    reason: str | None,
    actor: str,
    authorize: Callable[[Order], None] | None = None,
) -> dict[str, Any]:
    """Apply a staff or integrator action (accept, start, ready, dispatch, deliver, complete,
    cancel); 409 invalid_transition when the state machine refuses it."""
    async with uow:
        order = await load_order(uow.session, merchant_id, order_id, lock=True)
        if authorize is not None:
            authorize(order)
        await apply_transition(uow, order, action=action.value, actor=actor, reason=reason)
        view = await load_view(uow.session, order)
        await uow.commit()
    return view


async def mark_paid(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, order_id: uuid.UUID, amount: int, actor: str
) -> dict[str, Any]:
    """Record a successful payment of a pending order (used by payment providers)."""
    async with uow:
        order = await load_order(uow.session, merchant_id, order_id, lock=True)
        if order.status != OrderStatus.PENDING_PAYMENT.value:
            raise OrderNotPayable(
                f"order {order.number} is {order.status}, not pending_payment",
                status_now=order.status,
            )
        due = await amount_due(uow.session, order)
        if amount != due:
            raise OrderNotPayable(f"payment of {amount} does not match the amount due {due}")
        await settle_payment(uow, order, amount=amount, actor=actor)
        view = await load_view(uow.session, order)
        await uow.commit()
    return view


async def expire_unpaid_orders(*, db: Database, batch: int = 200) -> int:
    """Cancel orders whose payment deadline passed and give their stock back."""
    async with db.uow().read_only() as uow:
        due = (
            await uow.session.execute(
                select(Order.merchant_id, Order.id)
                .where(
                    Order.status == OrderStatus.PENDING_PAYMENT.value,
                    Order.expires_at <= utcnow(),
                )
                .order_by(Order.expires_at)
                .limit(batch)
            )
        ).all()
    done = 0
    for merchant_id, order_id in due:
        async with db.uow() as uow:
            order = await load_order(uow.session, merchant_id, order_id, lock=True)
            if (
                order.status != OrderStatus.PENDING_PAYMENT.value
                or order.expires_at is None
                or order.expires_at > utcnow()
            ):
                continue  # paid or cancelled meanwhile
            await apply_transition(
                uow, order, action=Internal.EXPIRE.value, actor="system:expiry", reason="unpaid"
            )
            await uow.commit()
            done += 1
    return done


async def apply_refund(
    uow: UnitOfWork,
    order: Order,
    *,
    amount: int | None,
    line_qtys: dict[str, int] | None,
    restock: bool,
    actor: str,
    reason: str | None,
) -> RefundSplit:
    """Book a refund on a locked order in the caller's transaction; returns where it goes.

    Give ``line_qtys`` (SKU -> units) to refund units (their paid share, optionally put back
    in stock) or ``amount`` for a goodwill refund; never more than was paid and not yet
    refunded. The refund is shared over the order's tenders: points and wallet parts go
    back to the member at once, the member's spend and earned points shrink in proportion;
    paying out the provider part is the caller's business.
    """
    from omniloop.orders.domain import after_refund, payment_status, refund_for_units
    from omniloop.orders.errors import RefundRefused
    from omniloop.orders.models import OrderLine

    if order.paid_total <= 0:
        raise RefundRefused(f"order {order.number} has not been paid")
    if line_qtys:
        vouchers = await is_voucher_sku(uow.session, order.merchant_id, line_qtys)
        for sku in sorted(vouchers):  # refunded units void their untouched vouchers, or refuse
            await void_for_refund_in(
                uow.session,
                merchant_id=order.merchant_id,
                order_id=order.id,
                sku=sku,
                qty=line_qtys[sku],
            )
    lines = list(
        await uow.session.scalars(
            select(OrderLine)
            .where(OrderLine.merchant_id == order.merchant_id, OrderLine.order_id == order.id)
            .order_by(OrderLine.line_no)
        )
    )
    total = 0
    returned: dict[str, list[tuple[str, int]]] = {}
    if line_qtys:
        by_sku: dict[str, list[OrderLine]] = {}
        for line in lines:
            by_sku.setdefault(line.sku, []).append(line)
        for sku, qty in sorted(line_qtys.items()):
            left = qty
            for line in by_sku.get(sku, []):
                take = min(left, line.qty - line.refunded_qty)
                if take <= 0:
                    continue
                total += refund_for_units(
                    line_total=line.total,
                    line_qty=line.qty,
                    already_refunded=line.refunded_qty,
                    qty=take,
                )
                line.refunded_qty += take
                returned.setdefault(line.location_code or "", []).append((sku, take))
                left -= take
            if left > 0:
                raise RefundRefused(
                    f"cannot refund {qty} of {sku}: only {qty - left} left to refund",
                    sku=sku,
                )
        if amount is not None and amount != total:
            raise RefundRefused(f"the lines are worth {total}, not {amount}")
    elif amount is not None:
        total = amount
    refundable = order.paid_total - order.refunded_total
    if total <= 0 or total > refundable:
        raise RefundRefused(
            f"refund of {total} refused: {refundable} of {order.paid_total} is refundable",
            refundable=refundable,
        )
    if restock:
        for location, units in returned.items():
            await restock_in(
                uow.session,
                merchant_id=order.merchant_id,
                location=location,
                lines=units,
                reference=f"order:{order.number}:refund",
                actor=actor,
            )
    split = await split_refund_over_tenders(uow.session, order, total, actor=actor)
    order.refunded_total += total
    if order.member_id is not None:
        tenders = await load_tenders(uow.session, order)
        await spend_changed_in(
            uow.session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            order_id=order.id,
            amount=-(total - split.amount(TenderKind.POINTS)),
        )
        await reverse_for_order_in(
            uow.session,
            merchant_id=order.merchant_id,
            member_id=order.member_id,
            order_id=order.id,
            order_number=order.number,
            net_amount_now=_net_money(order, tenders),
            actor=actor,
        )
    order.payment_status = payment_status(
        paid=order.paid_total, refunded=order.refunded_total
    ).value
    await after_refund_in(
        uow.session,
        merchant_id=order.merchant_id,
        order_id=order.id,
        fully_refunded=order.refunded_total >= order.paid_total,
    )
    target = after_refund(
        OrderStatus(order.status), paid=order.paid_total, refunded=order.refunded_total
    )
    if target.value != order.status:
        record_transition(
            uow, order, to=target, action="refund", actor=actor, reason=reason,
            event=f"order.{target.value}",
        )  # fmt: skip
    return split
