"""What orders do to coupons, in the order's transaction (orders call these; promotions
never import orders)::

    available ──hold (order placed)──> held ──consume (order paid)──> used
        ^                                │                              │
        └──────release (unpaid order cancelled or expired)┘             │
        └──────after a full refund, restore_on_full_refund templates only (still valid)┘

Holding is a conditional ``UPDATE ... WHERE status = 'available'``: of two orders racing for
one coupon exactly one holds it, the other gets 409 ``coupon_unavailable``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.promotions.domain import CouponStatus
from omniloop.promotions.errors import CouponUnavailable
from omniloop.promotions.models import Coupon, CouponTemplate
from omniloop.promotions.rules import RefundPolicy, normalize_code
from omniloop.shared.clock import utcnow

_AVAILABLE = CouponStatus.AVAILABLE.value
_HELD = CouponStatus.HELD.value
_USED = CouponStatus.USED.value


def _event(
    session: AsyncSession, coupon: Coupon, *, type: str, order_id: uuid.UUID, **extra: Any
) -> None:
    record_event(
        session,
        merchant_id=coupon.merchant_id,
        type=type,
        data={
            "id": str(coupon.id),
            "code": coupon.code,
            "template_id": str(coupon.template_id),
            "member_id": str(coupon.member_id),
            "campaign_id": str(coupon.campaign_id) if coupon.campaign_id else None,
            "order_id": str(order_id),
            **extra,
        },
    )


async def _coupons_of(
    session: AsyncSession, merchant_id: uuid.UUID, order_id: uuid.UUID, status: str
) -> list[Coupon]:
    return list(
        await session.scalars(
            select(Coupon)
            .where(
                Coupon.merchant_id == merchant_id,
                Coupon.order_id == order_id,
                Coupon.status == status,
            )
            .order_by(Coupon.code)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


async def hold_coupons_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, order_id: uuid.UUID, codes: list[str]
) -> None:
    """Hold the coupons for the order (available and within validity now), or 409
    ``coupon_unavailable`` naming the first that cannot be held. Holding a coupon the order
    holds already is a no-op. Hold exactly the codes pricing applied; it checked the owner."""
    now = utcnow()
    for code in sorted({normalize_code(c) for c in codes}):  # one lock order for every order
        result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            update(Coupon)
            .where(
                Coupon.merchant_id == merchant_id,
                Coupon.code == code,
                or_(
                    Coupon.status == _AVAILABLE,
                    and_(Coupon.status == _HELD, Coupon.order_id == order_id),
                ),
                Coupon.valid_from <= now,
                Coupon.valid_until > now,
            )
            .values(status=_HELD, order_id=order_id, held_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise CouponUnavailable(
                f"coupon {code} is used, held by another order or not valid now", code=code
            )


async def consume_coupons_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """The order is paid: the coupons it holds are used (``coupon.used``)."""
    now = utcnow()
    for coupon in await _coupons_of(session, merchant_id, order_id, _HELD):
        coupon.status = _USED
        coupon.used_at = now
        _event(session, coupon, type="coupon.used", order_id=order_id)
    await session.flush()


async def release_coupons_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, order_id: uuid.UUID
) -> None:
    """The unpaid order was cancelled or expired: its coupons are available again
    (``coupon.released``)."""
    for coupon in await _coupons_of(session, merchant_id, order_id, _HELD):
        coupon.status = _AVAILABLE
        coupon.order_id = None
        coupon.held_at = None
        _event(session, coupon, type="coupon.released", order_id=order_id)
    await session.flush()


async def after_refund_in(
    session: AsyncSession, *, merchant_id: uuid.UUID, order_id: uuid.UUID, fully_refunded: bool
) -> None:
    """After a refund of a paid order: a fully refunded order gives back coupons whose
    template says ``restore_on_full_refund`` and that are still valid (``coupon.restored``);
    every other used coupon stays used (the default policy, ``forfeit``)."""
    if not fully_refunded:
        return
    now = utcnow()
    for coupon in await _coupons_of(session, merchant_id, order_id, _USED):
        policy = await session.scalar(
            select(CouponTemplate.refund_policy).where(
                CouponTemplate.merchant_id == merchant_id,
                CouponTemplate.id == coupon.template_id,
            )
        )
        if policy != RefundPolicy.RESTORE_ON_FULL_REFUND or coupon.valid_until <= now:
            continue
        coupon.status = _AVAILABLE
        coupon.order_id = None
        coupon.held_at = None
        coupon.used_at = None
        _event(session, coupon, type="coupon.restored", order_id=order_id)
    await session.flush()
