"""What marketing does to an order as it is placed, in its transaction: automatic
promotions and coupons priced by the promotions engine (the same function a quote uses, so
every channel gets the same price), and the campaign the order is credited to."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.marketing.attribution import attribute_in
from omniloop.marketing.tracking import link_visitor_in
from omniloop.orders.domain import PricedLine
from omniloop.orders.errors import CouponRejected
from omniloop.orders.models import Order
from omniloop.promotions.domain import CartContext, CartLine
from omniloop.promotions.pricing import price_in


async def apply_promotions(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    lines: list[PricedLine],
    channel: str,
    location: str | None,
    member_id: uuid.UUID | None,
    member_tier: str | None,
    coupon_codes: list[str],
    currency: str,
    at: datetime,
) -> tuple[list[PricedLine], list[dict[str, Any]], list[str]]:
    """Lines with promotion and coupon discounts added, the breakdown (one adjustment per
    rule, kind ``promotion`` or ``coupon``, already inside the line discounts) and the
    coupons applied. A coupon asked for that cannot apply refuses the order (409
    ``coupon_rejected`` with each reason) rather than charging more than the customer
    expected."""
    cart = [
        CartLine(
            index=i,
            sku=ln.sku,
            category=None,
            qty=ln.qty,
            unit_price=ln.unit_price,
            discount_before=ln.discount,
        )
        for i, ln in enumerate(lines)
    ]
    ctx = CartContext(
        channel=channel, location=location, member_tier=member_tier, at=at, currency=currency
    )
    result = await price_in(
        session,
        merchant_id=merchant_id,
        lines=cart,
        ctx=ctx,
        member_id=member_id,
        coupon_codes=coupon_codes,
    )
    if result.rejected_coupons:
        raise CouponRejected(
            "; ".join(f"{r.code}: {r.message}" for r in result.rejected_coupons),
            coupons=[
                {"code": r.code, "reason": r.reason.value, "detail": r.message}
                for r in result.rejected_coupons
            ],
        )
    discounts = result.line_discounts()
    priced = []
    for i, ln in enumerate(lines):
        extra = discounts.get(i, ln.discount) - ln.discount
        priced.append(
            replace(
                ln,
                discount=ln.discount + extra,
                price_rule=ln.price_rule if extra == 0 else f"{ln.price_rule}+promo"[:24],
            )
        )
    breakdown = [
        {
            "kind": "coupon" if applied.source.startswith("coupon:") else "promotion",
            "source": applied.source,
            "label": applied.label,
            "type": applied.kind,
            "amount": applied.amount,
            "lines": {str(k): v for k, v in sorted(applied.lines.items())},
        }
        for applied in result.breakdown
    ]
    return priced, breakdown, list(result.applied_coupons)


async def attribute_order_in(
    session: AsyncSession,
    order: Order,
    *,
    tracking_code: str | None,
    visitor_id: str | None,
    at: datetime,
) -> None:
    """Credit the order to a campaign (explicit tracking code, else the visitor's touches
    within the campaign's window) and link the visitor to the order's member."""
    order.visitor_id = visitor_id
    attribution = await attribute_in(
        session,
        merchant_id=order.merchant_id,
        tracking_code=tracking_code,
        visitor_id=visitor_id,
        member_id=order.member_id,
        channel=order.channel,
        location=order.location_code,
        at=at,
    )
    if attribution is not None:
        order.tracking_code = attribution.tracking_code
        order.campaign_id = attribution.campaign_id
        order.attribution = attribution.as_json()
    if visitor_id and order.member_id is not None:
        await link_visitor_in(
            session,
            merchant_id=order.merchant_id,
            visitor_id=visitor_id,
            member_id=order.member_id,
            at=at,
        )
