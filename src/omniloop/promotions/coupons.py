"""A member's coupons: how each shows (its status now, its template's terms), the list a
member or staff reads, and moving them when two members merge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.members.identity import load_member
from omniloop.promotions.domain import CouponStatus
from omniloop.promotions.models import Coupon, CouponTemplate
from omniloop.promotions.rules import shown_status
from omniloop.promotions.schemas import CouponOut
from omniloop.shared.clock import utcnow
from omniloop.shared.pagination import decode_time_key, encode_time_key


def coupon_out(coupon: Coupon, template: CouponTemplate, *, at: datetime) -> CouponOut:
    return CouponOut(
        id=coupon.id,
        code=coupon.code,
        template_id=template.id,
        member_id=coupon.member_id,
        name=template.name,
        kind=template.kind,
        currency=template.currency,
        amount=template.amount,
        percent=template.percent,
        cap=template.cap,
        threshold=template.threshold,
        sku=template.sku,
        min_spend=template.min_spend,
        status=shown_status(coupon.status, valid_until=coupon.valid_until, at=at),
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        granted_via=coupon.granted_via,
        campaign_id=coupon.campaign_id,
        order_id=coupon.order_id,
        granted_at=coupon.granted_at,
        used_at=coupon.used_at,
    )


async def merge_coupons_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """A merge participant: the absorbed member's coupons become the survivor's."""
    await session.execute(
        update(Coupon)
        .where(Coupon.merchant_id == merchant_id, Coupon.member_id == absorbed_id)
        .values(member_id=survivor_id)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class _Filter:
    status: CouponStatus | None
    at: datetime

    def clause(self) -> Any:
        available = Coupon.status == CouponStatus.AVAILABLE.value
        if self.status is None:
            return None
        if self.status is CouponStatus.AVAILABLE:
            return and_(available, Coupon.valid_until > self.at)
        if self.status is CouponStatus.EXPIRED:
            return or_(
                and_(available, Coupon.valid_until <= self.at),
                Coupon.status == CouponStatus.EXPIRED.value,
            )
        return Coupon.status == self.status.value


async def member_coupons(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    member_id: uuid.UUID,
    status: CouponStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CouponOut], str | None]:
    """The member's coupons, newest first, with the status each shows now."""
    now = utcnow()
    after = decode_time_key(cursor)
    async with uow.read_only():
        session = uow.session
        member = await load_member(session, merchant_id, member_id)
        query = (
            select(Coupon, CouponTemplate)
            .join(
                CouponTemplate,
                and_(
                    CouponTemplate.merchant_id == Coupon.merchant_id,
                    CouponTemplate.id == Coupon.template_id,
                ),
            )
            .where(Coupon.merchant_id == merchant_id, Coupon.member_id == member.id)
        )
        clause = _Filter(status, now).clause()
        if clause is not None:
            query = query.where(clause)
        if after is not None:
            granted_at, last_id = after
            query = query.where(
                or_(
                    Coupon.granted_at < granted_at,
                    and_(Coupon.granted_at == granted_at, Coupon.id < last_id),
                )
            )
        rows = list(
            await session.execute(
                query.order_by(Coupon.granted_at.desc(), Coupon.id.desc()).limit(limit + 1)
            )
        )
    items = [coupon_out(coupon, template, at=now) for coupon, template in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    last = rows[limit - 1][0]
    return items, encode_time_key(last.granted_at, last.id)
