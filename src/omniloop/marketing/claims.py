"""Claiming a coupon through a tracking code's landing (扫码领券): the poster or link the
merchant printed for a coupon gives one to whoever opens it and signs in, credited to the
code's campaign. The quota and the per-member limit hold as for any claim."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from omniloop.db import UnitOfWork
from omniloop.errors import ValidationFailed
from omniloop.marketing.domain import LandingType, normalize_code
from omniloop.marketing.errors import TrackingCodeNotFound
from omniloop.marketing.models import TrackingCode
from omniloop.marketing.tracking import link_visitor_in
from omniloop.promotions.coupons import coupon_out
from omniloop.promotions.grants import grant_in
from omniloop.promotions.service import load_template
from omniloop.shared.clock import utcnow


async def claim_through_code(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    code: str,
    member_id: uuid.UUID,
    visitor_id: str | None,
    actor: str,
) -> dict[str, Any]:
    """Give the member the coupon a ``coupon`` landing names, for its campaign; 404 for a
    code that is not one, 409 at the member's limit or when the quota is gone."""
    clean = normalize_code(code)
    async with uow:
        session = uow.session
        tracking = None
        if clean is not None:
            tracking = await session.scalar(
                select(TrackingCode).where(
                    TrackingCode.merchant_id == merchant_id, TrackingCode.code == clean
                )
            )
        if tracking is None:
            raise TrackingCodeNotFound(f"no tracking code {code!r}")
        if tracking.landing_type != LandingType.COUPON.value:
            raise ValidationFailed("this tracking code does not give a coupon", field="code")
        template = await load_template(session, merchant_id, uuid.UUID(tracking.landing_value))
        [coupon] = await grant_in(
            session,
            merchant_id=merchant_id,
            template_id=template.id,
            member_ids=[member_id],
            via="claim",
            campaign_id=tracking.campaign_id,
            actor=actor,
            on_limit="refuse",
        )
        now = utcnow()
        if visitor_id:
            await link_visitor_in(
                session, merchant_id=merchant_id, visitor_id=visitor_id, member_id=member_id, at=now
            )
        view = coupon_out(coupon, template, at=now).model_dump(mode="json")
        await uow.commit()
    return view
