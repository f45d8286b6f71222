"""Members, templates and coupons made straight in the database, for coupon lifecycle tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from omniloop.members.identity import member_for_phone_in
from omniloop.promotions.grants import grant_in
from omniloop.promotions.models import Coupon, CouponTemplate
from omniloop.promotions.schemas import CouponTemplateIn
from omniloop.promotions.service import create_template


async def add_member(db: Any, t: Any, n: int) -> uuid.UUID:
    """Member number ``n`` of the tenant (phone +86 138 0000 nnnn)."""
    async with db.uow() as uow:
        member, _ = await member_for_phone_in(
            uow.session,
            merchant_id=t.merchant_id,
            phone=f"+86138{n:08d}",
            name=f"Member {n}",
            channel="pos",
        )
        await uow.commit()
    return member.id


async def add_template(db: Any, t: Any, **fields: Any) -> uuid.UUID:
    spec = {"name": "¥5 off", "kind": "fixed_amount", "amount": 500, "days_after_grant": 7}
    spec.update(fields)
    made = await create_template(
        uow=db.uow(),
        merchant_id=t.merchant_id,
        spec=CouponTemplateIn.model_validate(spec),
        actor="test",
    )
    return made.id


async def give(db: Any, t: Any, template_id: uuid.UUID, member_id: uuid.UUID) -> str:
    """Grant one coupon; its code."""
    async with db.uow() as uow:
        (coupon,) = await grant_in(
            uow.session,
            merchant_id=t.merchant_id,
            template_id=template_id,
            member_ids=[member_id],
            via="grant",
            actor="test",
        )
        await uow.commit()
    return coupon.code


async def coupon(db: Any, t: Any, code: str) -> Coupon:
    async with db.uow().read_only() as uow:
        row = await uow.session.scalar(
            select(Coupon).where(Coupon.merchant_id == t.merchant_id, Coupon.code == code)
        )
        assert row is not None
        return row


async def issued(db: Any, t: Any, template_id: uuid.UUID) -> tuple[int, int]:
    """The template's ``issued`` counter and the coupons that really exist."""
    async with db.uow().read_only() as uow:
        template = await uow.session.get(CouponTemplate, (t.merchant_id, template_id))
        assert template is not None
        count = await uow.session.scalar(
            select(func.count()).where(
                Coupon.merchant_id == t.merchant_id, Coupon.template_id == template_id
            )
        )
        return template.issued, int(count or 0)
