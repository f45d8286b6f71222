"""Pricing carts from the database: :func:`price_in` (in an order's transaction) and the
quote a customer or a till asks for before ordering.

A quote is priced exactly as an order is: catalog prices for the channel and store, then on
channels whose prices are ours (``orders.domain.MEMBER_PRICE_CHANNELS``) the member tier's
price (``orders.domain.member_price``) and :func:`price_in`; a platform's orders keep the
catalog price. The only thing that moves the result between a quote and its order
is time (a promotion or coupon window closing in between).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.catalog.models import Product, Sku
from omniloop.catalog.service import effective_prices, get_skus
from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.inventory.domain import Line, merge_lines
from omniloop.inventory.errors import unknown_location, unknown_skus
from omniloop.locations.models import Location
from omniloop.loyalty.accrual import member_discount
from omniloop.members.identity import load_member
from omniloop.orders.domain import MEMBER_PRICE_CHANNELS, PricedLine, member_price
from omniloop.promotions.domain import (
    CartContext,
    CartLine,
    CouponKind,
    CouponOffer,
    CouponStatus,
    CouponTerms,
    PricingResult,
    PromotionKind,
    PromotionRule,
    RejectedCoupon,
    Rejection,
    Scope,
    Tier,
    price_cart,
)
from omniloop.promotions.models import Coupon, CouponTemplate, Promotion
from omniloop.promotions.rules import normalize_code
from omniloop.promotions.schemas import (
    AppliedDiscountOut,
    QuoteIn,
    QuoteLineOut,
    QuoteOut,
    RejectedCouponOut,
)
from omniloop.shared.clock import utcnow


def promotion_rule(row: Promotion) -> PromotionRule:
    return PromotionRule(
        id=str(row.id),
        name=row.name,
        kind=PromotionKind(row.kind),
        scope=Scope.of(
            skus=row.skus, categories=row.categories, channels=row.channels, locations=row.locations
        ),
        tiers=tuple(Tier(int(t["threshold"]), int(t["amount"])) for t in row.tiers or ()),
        percent=row.percent or 0,
        tier_code=row.tier_code,
        currency=row.currency,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        priority=row.priority,
        active=row.active,
    )


def coupon_offer(coupon: Coupon, template: CouponTemplate) -> CouponOffer:
    return CouponOffer(
        code=coupon.code,
        label=template.name,
        terms=CouponTerms(
            kind=CouponKind(template.kind),
            currency=template.currency,
            amount=template.amount or 0,
            percent=template.percent or 0,
            cap=template.cap,
            threshold=template.threshold or 0,
            sku=template.sku,
            min_spend=template.min_spend,
            stackable=template.stackable,
            scope=Scope.of(
                skus=template.skus,
                categories=template.categories,
                channels=template.channels,
                locations=template.locations,
            ),
        ),
        status=CouponStatus(coupon.status),
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        member_id=coupon.member_id,
    )


async def categories_in(
    session: AsyncSession, merchant_id: uuid.UUID, skus: Iterable[str]
) -> dict[str, str]:
    """Each known SKU's product category."""
    codes = sorted(set(skus))
    if not codes:
        return {}
    rows = await session.execute(
        select(Sku.sku, Product.category)
        .join(Product, and_(Product.merchant_id == Sku.merchant_id, Product.id == Sku.product_id))
        .where(Sku.merchant_id == merchant_id, Sku.sku.in_(codes))
    )
    return {sku: category for sku, category in rows}


async def live_promotions_in(
    session: AsyncSession, merchant_id: uuid.UUID, at: datetime
) -> list[PromotionRule]:
    rows = await session.scalars(
        select(Promotion).where(
            Promotion.merchant_id == merchant_id,
            Promotion.active.is_(True),
            or_(Promotion.starts_at.is_(None), Promotion.starts_at <= at),
            or_(Promotion.ends_at.is_(None), Promotion.ends_at > at),
        )
    )
    return [promotion_rule(row) for row in rows]


async def price_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    lines: list[CartLine],
    ctx: CartContext,
    member_id: uuid.UUID | None,
    coupon_codes: list[str],
) -> PricingResult:
    """Price a cart with the merchant's live promotions and the named coupons, in the
    caller's transaction (reads only). Coupons are checked against ``member_id``; an unknown
    or foreign code comes back rejected with its reason, never as an error. A line without a
    category gets its product's."""
    ctx = replace(ctx, member_id=member_id)
    promotions = await live_promotions_in(session, merchant_id, ctx.at)
    codes = [code for code in (normalize_code(c) for c in coupon_codes) if code]
    missing = [ln.sku for ln in lines if ln.category is None]
    if missing and (promotions or codes):  # categories only matter to a rule's scope
        found = await categories_in(session, merchant_id, missing)
        lines = [
            ln if ln.category is not None else replace(ln, category=found.get(ln.sku))
            for ln in lines
        ]
    offers: dict[str, CouponOffer] = {}
    if codes:
        rows = await session.execute(
            select(Coupon, CouponTemplate)
            .join(
                CouponTemplate,
                and_(
                    CouponTemplate.merchant_id == Coupon.merchant_id,
                    CouponTemplate.id == Coupon.template_id,
                ),
            )
            .where(Coupon.merchant_id == merchant_id, Coupon.code.in_(sorted(set(codes))))
        )
        offers = {coupon.code: coupon_offer(coupon, template) for coupon, template in rows}
    result = price_cart(lines, ctx, promotions, [offers[c] for c in codes if c in offers])
    unknown = [
        RejectedCoupon(code, Rejection.UNKNOWN, "no such coupon")
        for code in dict.fromkeys(codes)
        if code not in offers
    ]
    if not unknown:
        return result
    position = {code: n for n, code in reversed(list(enumerate(codes)))}
    rejected = sorted(
        [*result.rejected_coupons, *unknown], key=lambda r: position.get(r.code, len(codes))
    )
    return replace(result, rejected_coupons=tuple(rejected))


# -- quotes ------------------------------------------------------------------------------------


async def quote(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, body: QuoteIn, member_id: uuid.UUID | None
) -> QuoteOut:
    """Price a cart as an order on ``body.channel`` at ``body.location`` would be, now."""
    try:
        merged = merge_lines(Line(ln.sku, ln.qty) for ln in body.lines)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="lines") from None
    skus = await get_skus(uow=uow, merchant_id=merchant_id, skus=[ln.sku for ln in merged])
    inactive = sorted({ln.sku for ln in merged} - {c for c, s in skus.items() if s.active})
    if inactive:
        raise unknown_skus(inactive)
    at = utcnow()
    prices = await effective_prices(
        uow=uow,
        merchant_id=merchant_id,
        skus=[ln.sku for ln in merged],
        channel=body.channel,
        location=body.location,
        at=at,
    )
    currencies = {prices[ln.sku].currency for ln in merged}
    if len(currencies) > 1:
        raise ValidationFailed("an order is paid in one currency", field="lines")
    currency = currencies.pop()
    priced = [
        PricedLine(sku=ln.sku, name=skus[ln.sku].name, qty=ln.qty, unit_price=prices[ln.sku].price)
        for ln in merged
    ]
    async with uow:
        session = uow.session
        if (
            body.location is not None
            and await session.get(Location, (merchant_id, body.location)) is None
        ):
            raise unknown_location(body.location)
        ours = body.channel in MEMBER_PRICE_CHANNELS
        tier: str | None = None
        if member_id is not None:
            member_id = (await load_member(session, merchant_id, member_id)).id
        if member_id is not None and ours:
            tier, percent = await member_discount(session, merchant_id, member_id)
            if percent:
                priced = member_price(priced, percent=percent, tier=tier or "")
        categories = await categories_in(session, merchant_id, [ln.sku for ln in priced])
        lines = [
            CartLine(
                index=n,
                sku=ln.sku,
                category=categories.get(ln.sku),
                qty=ln.qty,
                unit_price=ln.unit_price,
                discount_before=ln.discount,
            )
            for n, ln in enumerate(priced, start=1)
        ]
        ctx = CartContext(
            channel=body.channel,
            location=body.location,
            member_tier=tier,
            at=at,
            currency=currency,
        )
        if ours:
            result = await price_in(
                session,
                merchant_id=merchant_id,
                lines=lines,
                ctx=ctx,
                member_id=member_id,
                coupon_codes=body.coupon_codes,
            )
        else:
            result = _platform_priced(lines, ctx, body.coupon_codes)
        # Nothing to commit: a quote writes nothing (a loyalty account it made rolls back).
    return _quote_out(body, result, lines, {ln.sku: ln.name for ln in priced}, ctx, member_id)


def _platform_priced(
    lines: list[CartLine], ctx: CartContext, coupon_codes: list[str]
) -> PricingResult:
    """A platform's order is priced by the platform: catalog prices, none of our promotions,
    member prices or coupons (as orders from platforms are)."""
    result = price_cart(lines, ctx, [], [])
    codes = dict.fromkeys(code for code in (normalize_code(c) for c in coupon_codes) if code)
    rejected = tuple(
        RejectedCoupon(code, Rejection.WRONG_CHANNEL, f"{ctx.channel} prices its own orders")
        for code in codes
    )
    return replace(result, rejected_coupons=rejected)


def _quote_out(
    body: QuoteIn,
    result: PricingResult,
    lines: list[CartLine],
    names: dict[str, str],
    ctx: CartContext,
    member_id: uuid.UUID | None,
) -> QuoteOut:
    category = {ln.index: ln.category for ln in lines}
    return QuoteOut(
        currency=result.currency,
        channel=body.channel,
        location=body.location,
        member_id=member_id,
        member_tier=ctx.member_tier,
        at=ctx.at,
        lines=[
            QuoteLineOut(
                index=ln.index,
                sku=ln.sku,
                name=names[ln.sku],
                category=category[ln.index],
                qty=ln.qty,
                unit_price=ln.unit_price,
                subtotal=ln.subtotal,
                discount_before=ln.discount_before,
                discount=ln.discount,
                total_discount=ln.total_discount,
                total=ln.total,
            )
            for ln in result.lines
        ],
        breakdown=[
            AppliedDiscountOut(
                source=d.source, label=d.label, kind=d.kind, amount=d.amount, lines=d.lines
            )
            for d in result.breakdown
        ],
        applied_coupons=list(result.applied_coupons),
        rejected_coupons=[
            RejectedCouponOut(code=r.code, reason=r.reason, message=r.message)
            for r in result.rejected_coupons
        ],
        subtotal=result.subtotal,
        discount_total=result.discount_total,
        total=result.total,
    )
