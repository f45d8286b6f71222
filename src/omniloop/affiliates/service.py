"""Affiliate use cases: keep affiliates, issue them tracking codes, settle a month."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.affiliates.domain import commission_for, period_bounds
from omniloop.affiliates.errors import AffiliateNotFound
from omniloop.affiliates.models import Affiliate
from omniloop.affiliates.schemas import (
    AffiliateCodeIn,
    AffiliateCodeOut,
    AffiliateIn,
    AffiliateOut,
    AffiliatePatch,
    SettlementOrderOut,
    SettlementOut,
)
from omniloop.catalog.models import Product, Sku
from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.events import record_event
from omniloop.marketing.codes import create_tracking_code_in
from omniloop.marketing.domain import tracking_url
from omniloop.marketing.models import TrackingCode
from omniloop.merchants.models import Merchant
from omniloop.orders.domain import OrderStatus
from omniloop.orders.models import Order, OrderLine
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


def _out(affiliate: Affiliate) -> dict[str, Any]:
    return AffiliateOut.model_validate(affiliate, from_attributes=True).model_dump(mode="json")


async def _load(
    session: AsyncSession, merchant_id: uuid.UUID, affiliate_id: uuid.UUID
) -> Affiliate:
    found = await session.get(Affiliate, (merchant_id, affiliate_id))
    if found is None:
        raise AffiliateNotFound(f"no affiliate {affiliate_id}")
    return found


async def create_affiliate(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, body: AffiliateIn, actor: str
) -> dict[str, Any]:
    """Register an affiliate with its commission rates."""
    async with uow:
        now = utcnow()
        affiliate = Affiliate(
            merchant_id=merchant_id,
            id=new_id(),
            name=body.name,
            kind=body.kind.value,
            contact=body.contact,
            default_rate_bp=body.default_rate_bp,
            category_rates_bp=dict(body.category_rates_bp),
            active=body.active,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(affiliate)
        await uow.session.flush()
        record_event(
            uow.session,
            merchant_id=merchant_id,
            type="affiliate.created",
            data={"affiliate_id": str(affiliate.id), "actor": actor},
        )
        view = _out(affiliate)
        await uow.commit()
    return view


async def list_affiliates(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> list[dict[str, Any]]:
    """The merchant's affiliates, oldest first."""
    async with uow.read_only():
        rows = await uow.session.scalars(
            select(Affiliate)
            .where(Affiliate.merchant_id == merchant_id)
            .order_by(Affiliate.created_at, Affiliate.id)
        )
        return [_out(a) for a in rows]


async def get_affiliate(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, affiliate_id: uuid.UUID
) -> dict[str, Any]:
    """One affiliate."""
    async with uow.read_only():
        return _out(await _load(uow.session, merchant_id, affiliate_id))


async def update_affiliate(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, affiliate_id: uuid.UUID, patch: AffiliatePatch
) -> dict[str, Any]:
    """Change an affiliate's name, contact, rates or standing (rates apply to settlements
    computed from then on)."""
    async with uow:
        affiliate = await _load(uow.session, merchant_id, affiliate_id)
        for name, value in patch.model_dump(exclude_unset=True).items():
            if value is None and name != "contact":
                raise ValidationFailed(f"{name} may not be null", field=name)
            setattr(affiliate, name, value)
        affiliate.updated_at = utcnow()
        view = _out(affiliate)
        await uow.commit()
    return view


async def issue_code(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    affiliate_id: uuid.UUID,
    body: AffiliateCodeIn,
    base_url: str,
    actor: str,
) -> dict[str, Any]:
    """A tracking code of a campaign owned by the affiliate: what it brings is theirs."""
    async with uow:
        affiliate = await _load(uow.session, merchant_id, affiliate_id)
        if not affiliate.active:
            raise ValidationFailed("the affiliate is not active", field="affiliate_id")
        row = await create_tracking_code_in(
            uow.session,
            merchant_id=merchant_id,
            campaign_id=body.campaign_id,
            medium=body.medium,
            location=body.location,
            landing_type=body.landing.type,
            landing_value=body.landing.value,
            actor=actor,
            affiliate_id=affiliate.id,
        )
        view = AffiliateCodeOut(
            code=row.code,
            url=tracking_url(base_url, row.code),
            campaign_id=row.campaign_id,
            affiliate_id=affiliate.id,
        ).model_dump(mode="json")
        await uow.commit()
    return view


async def settlement(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, affiliate_id: uuid.UUID, period: str
) -> dict[str, Any]:
    """The commissionable orders of a month (orders credited to the affiliate's codes,
    paid, not cancelled, placed in the month in the merchant's time zone), each with its
    refunds netted, and the commission due."""
    async with uow.read_only():
        session = uow.session
        affiliate = await _load(session, merchant_id, affiliate_id)
        merchant = await session.get(Merchant, merchant_id)
        assert merchant is not None
        try:
            start, end = period_bounds(period, merchant.timezone)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="period") from None
        orders = list(
            await session.scalars(
                select(Order)
                .join(
                    TrackingCode,
                    and_(
                        TrackingCode.merchant_id == Order.merchant_id,
                        TrackingCode.code == Order.tracking_code,
                    ),
                )
                .where(
                    Order.merchant_id == merchant_id,
                    TrackingCode.affiliate_id == affiliate.id,
                    Order.campaign_id.is_not(None),
                    Order.paid_total > 0,
                    Order.status != OrderStatus.CANCELLED.value,
                    Order.created_at >= start,
                    Order.created_at < end,
                )
                .order_by(Order.created_at, Order.id)
            )
        )
        lines: dict[uuid.UUID, list[tuple[str, int]]] = {o.id: [] for o in orders}
        if orders:
            rows = await session.execute(
                select(OrderLine.order_id, Product.category, OrderLine.total)
                .join(Sku, and_(Sku.merchant_id == OrderLine.merchant_id, Sku.sku == OrderLine.sku))
                .join(
                    Product,
                    and_(Product.merchant_id == Sku.merchant_id, Product.id == Sku.product_id),
                )
                .where(
                    OrderLine.merchant_id == merchant_id,
                    OrderLine.order_id.in_([o.id for o in orders]),
                )
                .order_by(OrderLine.order_id, OrderLine.line_no)
            )
            for order_id, category, total in rows:
                lines[order_id].append((category, int(total)))
    out: list[SettlementOrderOut] = []
    for order in orders:
        net = order.paid_total - order.refunded_total
        earned = commission_for(
            net=net,
            lines=lines[order.id] or [("", net)],
            default_rate_bp=affiliate.default_rate_bp,
            category_rates_bp={k: int(v) for k, v in (affiliate.category_rates_bp or {}).items()},
        )
        out.append(
            SettlementOrderOut(
                order_id=order.id,
                number=order.number,
                tracking_code=order.tracking_code or "",
                created_at=order.created_at,
                paid=order.paid_total,
                refunded=order.refunded_total,
                net=net,
                commission=earned.commission,
                net_by_category=earned.by_category,
            )
        )
    return SettlementOut(
        affiliate_id=affiliate.id,
        period=period,
        currency=merchant.currency,
        orders=out,
        paid=sum(o.paid for o in out),
        refunded=sum(o.refunded for o in out),
        net=sum(o.net for o in out),
        commission_due=sum(o.commission for o in out),
    ).model_dump(mode="json")
