"""Placing orders: price on the server, route to a location, hold the stock, all or nothing.

Placing is planned outside the write transaction (routing and pricing only read) and then
written in one transaction that holds the stock at every allocated location. If another
order took the stock between plan and write, the hold fails, the transaction rolls back and
the order is planned again (a bounded number of times). An ``Idempotency-Key`` replays the
first response; an ``external_id`` repeat returns the order it created.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.service import effective_prices, get_skus
from omniloop.db import Database, UnitOfWork, is_unique_violation
from omniloop.errors import Unavailable
from omniloop.idempotency import Outcome, lookup, run_once
from omniloop.inventory.domain import Line, merge_lines
from omniloop.inventory.errors import InsufficientStock, unknown_location, unknown_skus
from omniloop.inventory.reservations import hold_in
from omniloop.locations.service import existing_codes
from omniloop.loyalty.accrual import member_discount
from omniloop.orders.domain import (
    MEMBER_PRICE_CHANNELS,
    OPEN_STATUSES,
    FulfillmentType,
    OrderStatus,
    PaymentStatus,
    PricedLine,
    TenderKind,
    enters_paid,
    member_price,
    new_order_number,
    totals,
)
from omniloop.orders.marketing import apply_promotions, attribute_order_in
from omniloop.orders.members import member_by_phone, member_of
from omniloop.orders.models import Order, OrderLine, OrderTransition
from omniloop.orders.schemas import OrderCreate
from omniloop.orders.tenders import (
    TenderRequest,
    load_tenders,
    member_tendered,
    take_member_tenders,
)
from omniloop.orders.transitions import record_transition, settle_payment
from omniloop.orders.views import order_view
from omniloop.promotions.lifecycle import hold_coupons_in
from omniloop.routing.domain import Demand
from omniloop.routing.errors import raise_if_unroutable
from omniloop.routing.service import decide
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

PLAN_ATTEMPTS = 3
RESERVATION_GRACE_SECONDS = 600
"""An order's stock is held this much longer than its payment deadline, so the order (not
the inventory sweeper) decides when an unpaid order gives its stock back."""


@dataclass(frozen=True)
class Allocation:
    location: str
    lines: list[PricedLine]


@dataclass(frozen=True)
class Plan:
    allocations: list[Allocation]
    routing: dict[str, Any]
    currency: str


@dataclass(frozen=True)
class PlacedOrder:
    status_code: int
    body: dict[str, Any]
    replayed: bool


async def count_open_orders(
    db: Database, merchant_id: uuid.UUID, codes: list[str]
) -> dict[str, int]:
    """Open orders per location (what the ``under_capacity`` routing filter compares)."""
    if not codes:
        return {}
    async with db.uow().read_only() as uow:
        rows = await uow.session.execute(
            select(Order.location_code, func.count())
            .where(
                Order.merchant_id == merchant_id,
                Order.location_code.in_(codes),
                Order.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .group_by(Order.location_code)
        )
        return {code: int(n) for code, n in rows.all() if code is not None}


def _demand(body: OrderCreate, lines: list[Line]) -> Demand:
    fulfillment = body.fulfillment
    destination = (
        (fulfillment.address.lat, fulfillment.address.lng) if fulfillment.address else None
    )
    return Demand(
        channel=body.channel,
        fulfillment_type=fulfillment.type.value,
        lines=[(ln.sku, ln.qty) for ln in lines],
        destination=destination,
        requested_time=fulfillment.requested_time or utcnow(),
        fixed_location=fulfillment.location
        if fulfillment.type is not FulfillmentType.DELIVERY
        else None,
    )


async def plan_order(*, db: Database, merchant_id: uuid.UUID, body: OrderCreate) -> Plan:
    """Route the order and price its lines at the chosen locations (reads only)."""
    try:
        lines = merge_lines(Line(ln.sku, ln.qty) for ln in body.lines)
    except ValueError as exc:
        from omniloop.errors import ValidationFailed

        raise ValidationFailed(str(exc), field="lines") from None
    skus = await get_skus(uow=db.uow(), merchant_id=merchant_id, skus=[ln.sku for ln in lines])
    missing = sorted({ln.sku for ln in lines} - {code for code, s in skus.items() if s.active})
    if missing:
        raise unknown_skus(missing)
    fixed = body.fulfillment.location
    if fixed is not None and not await existing_codes(
        uow=db.uow(), merchant_id=merchant_id, codes={fixed}
    ):
        raise unknown_location(fixed)

    async def open_orders(codes: list[str]) -> dict[str, int]:
        return await count_open_orders(db, merchant_id, codes)

    decision = await decide(
        uow=db.uow(), merchant_id=merchant_id, demand=_demand(body, lines), open_orders=open_orders
    )
    raise_if_unroutable(decision)
    allocations: list[Allocation] = []
    currency = next(iter(skus.values())).currency
    for location, assigned in decision.assignments:
        quotes = await effective_prices(
            uow=db.uow(),
            merchant_id=merchant_id,
            skus=[sku for sku, _ in assigned],
            channel=body.channel,
            location=location,
        )
        priced = []
        for sku, qty in assigned:
            quote = quotes[sku]
            if quote.currency != currency:
                from omniloop.errors import ValidationFailed

                raise ValidationFailed(
                    f"an order is paid in one currency; {sku} is priced in {quote.currency}",
                    field="lines",
                )
            priced.append(PricedLine(sku=sku, name=skus[sku].name, qty=qty, unit_price=quote.price))
        allocations.append(Allocation(location=location, lines=priced))
    return Plan(allocations=allocations, routing=decision.as_dict(), currency=currency)


async def write_order(
    uow: UnitOfWork,
    *,
    merchant_id: uuid.UUID,
    plan: Plan,
    channel: str,
    external_id: str | None,
    fulfillment_type: FulfillmentType,
    fulfillment: dict[str, Any],
    customer_phone: str | None,
    customer_name: str | None,
    note: str | None,
    tracking_code: str | None,
    actor: str,
    payment_timeout_seconds: int,
    paid: bool,
    adjustments: list[dict[str, Any]] | None = None,
    member_id: uuid.UUID | None = None,
    tenders: TenderRequest | None = None,
    coupon_codes: list[str] | None = None,
    visitor_id: str | None = None,
) -> dict[str, Any]:
    """Hold the stock and write the order in the caller's transaction; returns its view.

    The order belongs to ``member_id``, or else to the member with the customer's phone
    (created on its first order, whatever the channel). On our own channels prices are
    catalog → member tier price → automatic promotions → one coupon (held by the order
    until it is paid). ``tenders`` are taken from the member's points and wallet now; a
    ``paid`` order's remainder was paid outside Omniloop, and an unpaid order whose tenders
    cover it all is paid at once. The order is credited to the campaign of its tracking
    code, or of the visitor's touches."""
    session = uow.session
    now = utcnow()
    number = new_order_number(now.strftime("%y%m%d"))
    order_id = new_id()
    if member_id is None and customer_phone:
        member_id = await member_by_phone(
            uow, merchant_id, customer_phone, customer_name, channel, plan.allocations[0].location
        )
    tier: str | None = None
    if member_id is not None and channel in MEMBER_PRICE_CHANNELS:
        tier, percent = await member_discount(session, merchant_id, member_id)
        if percent:
            plan = replace(
                plan,
                allocations=[
                    Allocation(a.location, member_price(a.lines, percent=percent, tier=tier or ""))
                    for a in plan.allocations
                ],
            )
    adjustments = list(adjustments or [])
    coupons: list[str] = []
    if channel in MEMBER_PRICE_CHANNELS:
        plan, breakdown, coupons = await _promoted(
            session, plan, merchant_id, channel, member_id, tier, coupon_codes or [], now
        )
        adjustments.extend(breakdown)
    all_lines = [line for alloc in plan.allocations for line in alloc.lines]
    discount = sum(int(a["amount"]) for a in adjustments if a.get("kind") == "discount")
    fees = sum(int(a["amount"]) for a in adjustments if a.get("kind") == "fee")
    sums = totals(all_lines, order_discount=discount)
    allocations: list[dict[str, Any]] = []
    for alloc in plan.allocations:
        view = await hold_in(
            session,
            merchant_id=merchant_id,
            location=alloc.location,
            lines=merge_lines(Line(ln.sku, ln.qty) for ln in alloc.lines),
            ttl_seconds=payment_timeout_seconds + RESERVATION_GRACE_SECONDS,
            reference=f"order:{number}",
            actor=actor,
        )
        allocations.append(
            {
                "location": alloc.location,
                "reservation_id": view["id"],
                "lines": [{"sku": ln.sku, "qty": ln.qty} for ln in alloc.lines],
            }
        )
    order = Order(
        id=order_id,
        merchant_id=merchant_id,
        number=number,
        channel=channel,
        external_id=external_id,
        status="",
        payment_status=PaymentStatus.UNPAID.value,
        fulfillment_type=fulfillment_type.value,
        location_code=plan.allocations[0].location,
        customer_phone=customer_phone,
        customer_name=customer_name,
        fulfillment=fulfillment,
        note=note,
        tracking_code=tracking_code,
        currency=plan.currency,
        subtotal=sums.subtotal,
        discount_total=sums.discount_total,
        fee_total=fees,
        total=sums.total + fees,
        adjustments=adjustments,
        routing=plan.routing,
        allocations=allocations,
        expires_at=None if paid else now + timedelta(seconds=payment_timeout_seconds),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    order.member_id = member_id
    session.add(order)
    await attribute_order_in(
        session, order, tracking_code=tracking_code, visitor_id=visitor_id, at=now
    )
    await session.flush()
    if coupons:
        await hold_coupons_in(session, merchant_id=merchant_id, order_id=order_id, codes=coupons)
    lines: list[OrderLine] = []
    line_no = 0
    for alloc in plan.allocations:
        for ln in alloc.lines:
            line_no += 1
            lines.append(
                OrderLine(
                    merchant_id=merchant_id,
                    order_id=order_id,
                    line_no=line_no,
                    sku=ln.sku,
                    name=ln.name,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    discount=ln.discount,
                    total=ln.total,
                    location_code=alloc.location,
                    price_rule=ln.price_rule,
                    refunded_qty=0,
                )
            )
    session.add_all(lines)
    history: list[OrderTransition] = []
    record_transition(
        uow,
        order,
        to=OrderStatus.PENDING_PAYMENT,
        action="create",
        actor=actor,
        reason=None,
        event="order.created",
        history=history,
    )
    member_tenders = await take_member_tenders(
        session, order, tenders or TenderRequest(), actor=actor
    )
    due = order.total - member_tendered(member_tenders)
    if paid or due == 0:
        await settle_payment(
            uow,
            order,
            amount=due,
            actor=actor,
            history=history,
            kind=TenderKind.EXTERNAL,
            reference=channel,
        )
    return order_view(order, lines, history, await load_tenders(session, order))


async def _promoted(
    session: AsyncSession,
    plan: Plan,
    merchant_id: uuid.UUID,
    channel: str,
    member_id: uuid.UUID | None,
    tier: str | None,
    coupon_codes: list[str],
    at: datetime,
) -> tuple[Plan, list[dict[str, Any]], list[str]]:
    flat = [line for alloc in plan.allocations for line in alloc.lines]
    priced, breakdown, coupons = await apply_promotions(
        session,
        merchant_id=merchant_id,
        lines=flat,
        channel=channel,
        location=plan.allocations[0].location,
        member_id=member_id,
        member_tier=tier,
        coupon_codes=coupon_codes,
        currency=plan.currency,
        at=at,
    )
    allocations, start = [], 0
    for alloc in plan.allocations:
        allocations.append(Allocation(alloc.location, priced[start : start + len(alloc.lines)]))
        start += len(alloc.lines)
    return replace(plan, allocations=allocations), breakdown, coupons


async def _existing_by_external_id(
    db: Database, merchant_id: uuid.UUID, channel: str, external_id: str
) -> dict[str, Any] | None:
    from omniloop.orders.views import load_view

    async with db.uow().read_only() as uow:
        order = await uow.session.scalar(
            select(Order).where(
                Order.merchant_id == merchant_id,
                Order.channel == channel,
                Order.external_id == external_id,
            )
        )
        return None if order is None else await load_view(uow.session, order)


async def place_order(
    *,
    db: Database,
    merchant_id: uuid.UUID,
    body: OrderCreate,
    actor: str,
    idempotency_key: str | None,
    payment_timeout_seconds: int,
    member_id: uuid.UUID | None = None,
) -> PlacedOrder:
    """Take an order from any channel: route, price, hold stock, write — or refuse cleanly.

    The order's member is ``member_id`` (a signed-in customer), else the member of
    ``body.member_scan_id`` (claimed by this order) or ``body.member_id``, else the one with
    the customer's phone."""
    payload = body.model_dump(mode="json")
    scope = "orders.create"
    stored = await lookup(
        uow=db.uow(), merchant_id=merchant_id, scope=scope, key=idempotency_key, payload=payload
    )
    if stored is not None:
        return PlacedOrder(stored.status_code, stored.body, replayed=True)
    if body.external_id is not None:
        existing = await _existing_by_external_id(db, merchant_id, body.channel, body.external_id)
        if existing is not None:
            return PlacedOrder(200, existing, replayed=True)
    fulfillment = body.fulfillment.model_dump(mode="json", exclude_none=True)
    last_error: InsufficientStock | None = None
    for _ in range(PLAN_ATTEMPTS):
        plan = await plan_order(db=db, merchant_id=merchant_id, body=body)

        async def action(uow: UnitOfWork, plan: Plan = plan) -> tuple[int, Any]:
            member = await member_of(uow, merchant_id, body, member_id)
            view = await write_order(
                uow,
                merchant_id=merchant_id,
                plan=plan,
                channel=body.channel,
                external_id=body.external_id,
                fulfillment_type=body.fulfillment.type,
                fulfillment=fulfillment,
                customer_phone=body.customer.phone,
                customer_name=body.customer.name,
                note=body.note,
                tracking_code=body.tracking_code,
                actor=actor,
                payment_timeout_seconds=payment_timeout_seconds,
                paid=enters_paid(body.channel),
                member_id=member,
                tenders=TenderRequest(body.tenders.points, body.tenders.wallet)
                if body.tenders
                else None,
                coupon_codes=body.coupon_codes,
                visitor_id=body.visitor_id,
            )
            return 201, view

        try:
            outcome: Outcome = await run_once(
                uow=db.uow(),
                merchant_id=merchant_id,
                scope=scope,
                key=idempotency_key,
                payload=payload,
                action=action,
            )
        except InsufficientStock as exc:
            last_error = exc  # another order took the stock after we planned: plan again
            continue
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            if body.external_id is not None:
                existing = await _existing_by_external_id(
                    db, merchant_id, body.channel, body.external_id
                )
                if existing is not None:
                    return PlacedOrder(200, existing, replayed=True)
            continue  # a random order number or pickup code collided: draw again
        return PlacedOrder(outcome.status_code, outcome.body, outcome.replayed)
    if last_error is not None:
        raise last_error
    raise Unavailable("could not place the order; retry")
