"""Coupon grants to a segment: every member in it now gets a coupon of the template, and the
grant is a campaign of its own (kind ``segment_grant``) whose report follows the coupons'
orders."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.idempotency import run_once
from omniloop.marketing.domain import MAX_NAME_LENGTH as MAX_CAMPAIGN_NAME
from omniloop.marketing.domain import CampaignKind
from omniloop.marketing.service import create_campaign_in
from omniloop.promotions.errors import CouponTemplateNotFound
from omniloop.promotions.grants import grant_in
from omniloop.promotions.models import CouponTemplate
from omniloop.segments.domain import filters_from_config
from omniloop.segments.errors import SegmentEmpty
from omniloop.segments.models import SegmentGrant
from omniloop.segments.schemas import CouponGrantOut
from omniloop.segments.service import load_segment_in, segment_member_ids_in
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id

DEFAULT_GRANT_DAYS = 30
"""How long a grant's campaign runs when its coupons' validity does not say."""


def _campaign_ends(template: CouponTemplate, now: datetime) -> datetime:
    """The grant's campaign runs as long as its coupons can be used."""
    if template.days_after_grant:
        return now + timedelta(days=template.days_after_grant)
    if template.ends_at is not None and template.ends_at > now:
        return template.ends_at
    return now + timedelta(days=DEFAULT_GRANT_DAYS)


async def grant_coupons(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    segment_id: uuid.UUID,
    template_id: uuid.UUID,
    name: str | None,
    cost: int,
    actor: str,
    idempotency_key: str | None = None,
) -> CouponGrantOut:
    """Grant the template's coupons to every member of the segment now, as a campaign of
    kind ``segment_grant``; all or nothing (the template's quota and per-member limit hold),
    409 segment_empty when nobody is in the segment."""

    async def grant(uow: UnitOfWork) -> tuple[int, Any]:
        session, now = uow.session, utcnow()
        segment = await load_segment_in(session, merchant_id, segment_id)
        template = await session.get(CouponTemplate, (merchant_id, template_id))
        if template is None:
            raise CouponTemplateNotFound(f"no coupon template {template_id}")
        members = await segment_member_ids_in(
            session, merchant_id=merchant_id, filters=filters_from_config(segment.filters), now=now
        )
        if not members:
            raise SegmentEmpty(f"no member is in segment {segment.name!r} now")
        campaign = await create_campaign_in(
            session,
            merchant_id=merchant_id,
            name=name or f"{segment.name}: {template.name}"[:MAX_CAMPAIGN_NAME],
            cost=cost,
            starts_at=now,
            ends_at=_campaign_ends(template, now),
            actor=actor,
            channels=template.channels,
            locations=template.locations,
            kind=CampaignKind.SEGMENT_GRANT.value,
        )
        coupons = await grant_in(
            session,
            merchant_id=merchant_id,
            template_id=template_id,
            member_ids=members,
            via="segment",
            campaign_id=campaign.id,
            actor=actor,
        )
        grant = SegmentGrant(
            merchant_id=merchant_id,
            id=new_id(),
            segment_id=segment.id,
            campaign_id=campaign.id,
            template_id=template_id,
            filters=segment.filters,
            members=len(members),
            granted=len(coupons),
            created_by=actor,
            created_at=now,
        )
        session.add(grant)
        view = CouponGrantOut.model_validate(grant, from_attributes=True)
        record_event(
            session,
            merchant_id=merchant_id,
            type="segment.coupons_granted",
            data=view.model_dump(mode="json"),
        )
        return 201, view.model_dump(mode="json")

    outcome = await run_once(
        uow=uow,
        merchant_id=merchant_id,
        scope="segment_coupon_grant",
        key=idempotency_key,
        payload={"segment_id": str(segment_id), "template_id": str(template_id),
                 "name": name, "cost": cost},
        action=grant,
    )  # fmt: skip
    return CouponGrantOut.model_validate(outcome.body)
