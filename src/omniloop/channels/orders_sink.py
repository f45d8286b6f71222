"""The real order sink: platform pushes become, change and refund Omniloop orders.

Channels sit above orders, so this adapter lives here and calls the orders domain. A pushed
order keeps the platform's prices, fees and discounts (its totals must reconcile with what
the platform collected); its store is fixed by the platform, so routing only records it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from omniloop.channels.domain import DeliveryState, MappedOrder, RefundStage
from omniloop.channels.ports import SinkResult
from omniloop.db import Database, is_unique_violation
from omniloop.orders.domain import Action, FulfillmentType, OrderStatus, PricedLine
from omniloop.orders.lifecycle import apply_refund, apply_transition
from omniloop.orders.models import Order
from omniloop.orders.service import Allocation, Plan, write_order
from omniloop.orders.views import load_order

ACTOR = "channel:"


class OrdersSink:
    """Implements :class:`omniloop.channels.ports.OrderSink` on the orders domain."""

    def __init__(self, db: Database, *, payment_timeout_seconds: int) -> None:
        self.db = db
        self.payment_timeout_seconds = payment_timeout_seconds

    async def _find(self, merchant_id: uuid.UUID, channel: str, external_id: str) -> Order | None:
        async with self.db.uow().read_only() as uow:
            return await uow.session.scalar(
                select(Order).where(
                    Order.merchant_id == merchant_id,
                    Order.channel == channel,
                    Order.external_id == external_id,
                )
            )

    async def _require(self, merchant_id: uuid.UUID, channel: str, external_id: str) -> Order:
        order = await self._find(merchant_id, channel, external_id)
        if order is None:
            from omniloop.orders.errors import OrderNotFound

            raise OrderNotFound(f"no {channel} order {external_id}")
        return order

    async def place(
        self, *, merchant_id: uuid.UUID, connection_id: uuid.UUID, order: MappedOrder
    ) -> SinkResult:
        existing = await self._find(merchant_id, order.channel, order.external_id)
        if existing is not None:
            return SinkResult(existing.id, duplicate=True, status=existing.status)
        lines = [
            PricedLine(
                sku=ln.sku,
                name=ln.name,
                qty=ln.qty,
                unit_price=ln.unit_price,
                price_rule="platform",
            )
            for ln in order.lines
        ]
        adjustments: list[dict[str, Any]] = [
            {"kind": "fee", "type": fee.kind.value, "label": fee.name, "amount": fee.amount}
            for fee in order.fees
        ] + [
            {"kind": "discount", "type": d.type, "label": d.remark, "amount": d.amount}
            for d in order.discounts
        ]
        plan = Plan(
            allocations=[Allocation(location=order.location_code, lines=lines)],
            routing={"fixed_by_platform": order.platform.value, "location": order.location_code},
            currency=order.currency,
        )
        address = order.address
        fulfillment: dict[str, Any] = {"type": FulfillmentType.DELIVERY.value}
        if address.text or address.lat is not None:
            fulfillment["address"] = {"text": address.text, "lat": address.lat, "lng": address.lng}
        if order.requested_time is not None:
            fulfillment["requested_time"] = order.requested_time.isoformat()
        try:
            async with self.db.uow() as uow:
                view = await write_order(
                    uow,
                    merchant_id=merchant_id,
                    plan=plan,
                    channel=order.channel,
                    external_id=order.external_id,
                    fulfillment_type=FulfillmentType.DELIVERY,
                    fulfillment=fulfillment,
                    customer_phone=order.customer.phone,
                    customer_name=order.customer.name,
                    note=order.note,
                    tracking_code=None,
                    actor=f"{ACTOR}{connection_id}",
                    payment_timeout_seconds=self.payment_timeout_seconds,
                    paid=order.prepaid,
                    adjustments=adjustments,
                )
                await uow.commit()
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            again = await self._require(merchant_id, order.channel, order.external_id)
            return SinkResult(again.id, duplicate=True, status=again.status)
        return SinkResult(uuid.UUID(view["id"]), status=view["status"])

    async def cancel(
        self, *, merchant_id: uuid.UUID, channel: str, external_id: str, reason: str
    ) -> SinkResult:
        found = await self._require(merchant_id, channel, external_id)
        async with self.db.uow() as uow:
            order = await load_order(uow.session, merchant_id, found.id, lock=True)
            if order.status == OrderStatus.CANCELLED.value:
                return SinkResult(order.id, duplicate=True, status=order.status)
            await apply_transition(
                uow, order, action=Action.CANCEL.value, actor=f"{ACTOR}{channel}", reason=reason
            )
            await uow.commit()
            return SinkResult(order.id, status=order.status)

    async def refund(
        self,
        *,
        merchant_id: uuid.UUID,
        channel: str,
        external_id: str,
        reason: str,
        notify_type: RefundStage,
        amount: int | None,
    ) -> SinkResult:
        found = await self._require(merchant_id, channel, external_id)
        if notify_type is not RefundStage.AGREE:
            return SinkResult(found.id, status=found.status)  # apply/reject: nothing moves yet
        async with self.db.uow() as uow:
            order = await load_order(uow.session, merchant_id, found.id, lock=True)
            refundable = order.paid_total - order.refunded_total
            if refundable <= 0:
                return SinkResult(order.id, duplicate=True, status=order.status)
            await apply_refund(
                uow,
                order,
                amount=min(amount, refundable) if amount is not None else refundable,
                line_qtys=None,
                restock=False,
                actor=f"{ACTOR}{channel}",
                reason=reason,
            )
            await uow.commit()
            return SinkResult(order.id, status=order.status)

    async def delivery_status(
        self,
        *,
        merchant_id: uuid.UUID,
        channel: str,
        external_id: str,
        status: DeliveryState,
        courier_name: str | None,
        courier_phone: str | None,
    ) -> SinkResult:
        found = await self._require(merchant_id, channel, external_id)
        steps = {
            DeliveryState.PICKED_UP: [(OrderStatus.READY, Action.DISPATCH)],
            DeliveryState.DELIVERED: [
                (OrderStatus.READY, Action.DISPATCH),
                (OrderStatus.OUT_FOR_DELIVERY, Action.DELIVER),
            ],
        }.get(status, [])
        moved = False
        async with self.db.uow() as uow:
            order = await load_order(uow.session, merchant_id, found.id, lock=True)
            for when, action in steps:
                if order.status == when.value:
                    reason = f"courier {courier_name or ''} {status.value}".strip()
                    await apply_transition(
                        uow, order, action=action.value, actor=f"{ACTOR}{channel}", reason=reason
                    )
                    moved = True
            await uow.commit()
        return SinkResult(order.id, duplicate=not moved, status=order.status)
